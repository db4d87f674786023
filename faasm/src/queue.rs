//! Chained calls over Redis: a [`RedisChainer`] puts each chained call on
//! one Redis list (`PREFIX queue`); `faasm-engine worker` processes
//! ([`run_worker`]) on any host take calls from it and push each result to
//! `PREFIX result:ID`, where `await_call` waits for it.
//!
//! At-least-once: a worker takes a call with `BLMOVE` onto its own
//! processing list (`PREFIX processing:WORKER`) and removes it only after
//! the result is pushed. Every worker keeps a heartbeat key
//! (`PREFIX worker:WORKER`, expiring after [`HEARTBEAT_TTL`]) and, every
//! [`REAP_EVERY`], moves the processing list of any worker whose heartbeat
//! expired back onto the queue. So a worker killed in the middle of a call
//! loses nothing: another worker runs the call again (a call can thus run
//! more than once; its result is the first one pushed).
//!
//! A message carries the program (file name and bytes), so a worker needs
//! no shared filesystem; it caches one guest per program digest.

use crate::call::{Call, Target};
use crate::guest::Guest;
use hostabi::faasm::{CallResult, ChainError, ChainTarget, Chainer, StateStore};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const HEARTBEAT_TTL: Duration = Duration::from_secs(3);
pub const REAP_EVERY: Duration = Duration::from_secs(1);

/// The program a queued call belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Program {
    pub name: String,
    pub bytes: Vec<u8>,
}

impl Program {
    pub fn digest(&self) -> String {
        use sha2::Digest;
        let mut h = sha2::Sha256::new();
        h.update(self.name.as_bytes());
        h.update([0]);
        h.update(&self.bytes);
        h.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }
}

#[derive(Serialize, Deserialize)]
struct Message {
    call: Call,
    program: Program,
}

#[derive(Serialize, Deserialize)]
struct Outcome {
    return_code: i32,
    output: Vec<u8>,
    error: Option<hostabi::faasm::CallError>,
}

fn backend(url: &str, e: impl std::fmt::Display) -> ChainError {
    ChainError::Backend(format!("Redis at {url}: {e}"))
}

fn connect(url: &str) -> Result<redis::Connection, ChainError> {
    let client = redis::Client::open(url).map_err(|e| backend(url, e))?;
    let c = client.get_connection_with_timeout(Duration::from_secs(5)).map_err(|e| backend(url, e))?;
    c.set_read_timeout(Some(Duration::from_secs(10))).map_err(|e| backend(url, e))?;
    c.set_write_timeout(Some(Duration::from_secs(10))).map_err(|e| backend(url, e))?;
    Ok(c)
}

pub struct RedisChainer {
    url: String,
    prefix: String,
    program: Program,
    check: Arc<dyn Guest>,
    con: Mutex<Option<redis::Connection>>,
    results: Mutex<HashMap<u32, Option<CallResult>>>,
    timeout: Option<Duration>,
}

impl RedisChainer {
    /// `check`: the guest used only to refuse unknown chain targets early.
    pub fn new(
        url: &str,
        prefix: &str,
        program: Program,
        check: Arc<dyn Guest>,
        timeout: Option<Duration>,
    ) -> Result<RedisChainer, ChainError> {
        let con = connect(url)?;
        Ok(RedisChainer {
            url: url.to_owned(),
            prefix: prefix.to_owned(),
            program,
            check,
            con: Mutex::new(Some(con)),
            results: Mutex::new(HashMap::new()),
            timeout,
        })
    }

    fn with<T>(&self, f: impl FnOnce(&mut redis::Connection) -> redis::RedisResult<T>) -> Result<T, ChainError> {
        let pooled = self.con.lock().ok().and_then(|mut c| c.take());
        let mut con = match pooled {
            Some(c) => c,
            None => connect(&self.url)?,
        };
        let r = f(&mut con).map_err(|e| backend(&self.url, e))?;
        if let Ok(mut slot) = self.con.lock() {
            *slot = Some(con);
        }
        Ok(r)
    }
}

impl Chainer for RedisChainer {
    fn chain(&self, target: ChainTarget, input: Vec<u8>) -> Result<u32, ChainError> {
        self.check.check(&target)?;
        let next = format!("{}next_call", self.prefix);
        let id = self.with(|c| redis::cmd("INCR").arg(&next).query::<u64>(c))?;
        let id = (id % u64::from(u32::MAX - 1)) as u32 + 1;
        let msg = Message { call: Call { id, target: Target::from(target), input }, program: self.program.clone() };
        let bytes = postcard::to_allocvec(&msg).map_err(|e| ChainError::Backend(e.to_string()))?;
        let queue = format!("{}queue", self.prefix);
        self.with(|c| redis::cmd("LPUSH").arg(&queue).arg(bytes).query::<u64>(c))?;
        self.results.lock().map_err(|_| ChainError::Backend("poisoned".into()))?.insert(id, None);
        Ok(id)
    }

    fn await_call(&self, id: u32) -> Result<CallResult, ChainError> {
        match self.results.lock().map_err(|_| ChainError::Backend("poisoned".into()))?.get(&id) {
            None => return Err(ChainError::UnknownCall(id)),
            Some(Some(r)) => return Ok(r.clone()),
            Some(None) => {}
        }
        let key = format!("{}result:{id}", self.prefix);
        let deadline = self.timeout.map(|t| Instant::now() + t);
        let bytes = crate::pool::Pool::blocking(|| loop {
            let got = self.with(|c| redis::cmd("BLPOP").arg(&key).arg(1).query::<Option<(String, Vec<u8>)>>(c))?;
            if let Some((_, b)) = got {
                return Ok(b);
            }
            if deadline.is_some_and(|d| Instant::now() > d) {
                return Err(ChainError::Timeout { id, secs: self.timeout.map_or(0, |t| t.as_secs()) });
            }
        })?;
        let o: Outcome =
            postcard::from_bytes(&bytes).map_err(|e| ChainError::Backend(format!("bad result of call {id}: {e}")))?;
        let r = CallResult { return_code: o.return_code, output: o.output, error: o.error };
        self.results.lock().map_err(|_| ChainError::Backend("poisoned".into()))?.insert(id, Some(r.clone()));
        Ok(r)
    }
}

/// Makes the guest for a program a worker has not seen yet.
pub type GuestFactory = dyn Fn(&Program) -> Result<Arc<dyn Guest>, String> + Send + Sync;

/// Runs calls from the queue on `threads` threads until an error of the
/// Redis connection (returned) ends it.
pub fn run_worker(
    url: &str,
    prefix: &str,
    threads: usize,
    state: Arc<dyn StateStore>,
    make: Arc<GuestFactory>,
) -> Result<(), ChainError> {
    let me = format!("{}-{}", hostname(), std::process::id());
    let guests: Arc<Mutex<HashMap<String, Arc<dyn Guest>>>> = Arc::new(Mutex::new(HashMap::new()));
    // Heartbeat and reaping of dead workers' calls.
    {
        let (url, prefix, me) = (url.to_owned(), prefix.to_owned(), me.clone());
        let mut con = connect(&url)?;
        heartbeat(&mut con, &prefix, &me).map_err(|e| backend(&url, e))?;
        std::thread::spawn(move || loop {
            if heartbeat(&mut con, &prefix, &me).and_then(|()| reap(&mut con, &prefix)).is_err() {
                match connect(&url) {
                    Ok(c) => con = c,
                    Err(e) => tracing::warn!("faasm worker: {e}"),
                }
            }
            std::thread::sleep(REAP_EVERY);
        });
    }
    let mut handles = Vec::new();
    for _ in 0..threads.max(1) {
        let (url, prefix, me) = (url.to_owned(), prefix.to_owned(), me.clone());
        let (state, make, guests) = (Arc::clone(&state), Arc::clone(&make), Arc::clone(&guests));
        let h = std::thread::Builder::new()
            .stack_size(crate::pool::GUEST_STACK)
            .spawn(move || worker_loop(&url, &prefix, &me, state, make, guests))
            .map_err(|e| ChainError::Backend(e.to_string()))?;
        handles.push(h);
    }
    for h in handles {
        h.join().map_err(|_| ChainError::Backend("a worker thread panicked".into()))??;
    }
    Ok(())
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname").map(|s| s.trim().to_owned()).unwrap_or_else(|_| "host".into())
}

fn heartbeat(con: &mut redis::Connection, prefix: &str, me: &str) -> redis::RedisResult<()> {
    redis::cmd("SET")
        .arg(format!("{prefix}worker:{me}"))
        .arg(1)
        .arg("PX")
        .arg(HEARTBEAT_TTL.as_millis() as u64)
        .query::<()>(con)?;
    redis::cmd("SADD").arg(format!("{prefix}workers")).arg(me).query::<()>(con)
}

/// Puts the calls of workers whose heartbeat expired back on the queue.
fn reap(con: &mut redis::Connection, prefix: &str) -> redis::RedisResult<()> {
    let workers: Vec<String> = redis::cmd("SMEMBERS").arg(format!("{prefix}workers")).query(con)?;
    for w in workers {
        let alive: bool = redis::cmd("EXISTS").arg(format!("{prefix}worker:{w}")).query(con)?;
        if alive {
            continue;
        }
        let processing = format!("{prefix}processing:{w}");
        while redis::cmd("RPOPLPUSH").arg(&processing).arg(format!("{prefix}queue")).query::<Option<Vec<u8>>>(con)?.is_some() {}
        redis::cmd("SREM").arg(format!("{prefix}workers")).arg(&w).query::<()>(con)?;
    }
    Ok(())
}

fn worker_loop(
    url: &str,
    prefix: &str,
    me: &str,
    state: Arc<dyn StateStore>,
    make: Arc<GuestFactory>,
    guests: Arc<Mutex<HashMap<String, Arc<dyn Guest>>>>,
) -> Result<(), ChainError> {
    let mut con = connect(url)?;
    let queue = format!("{prefix}queue");
    let processing = format!("{prefix}processing:{me}");
    loop {
        let taken = redis::cmd("BLMOVE")
            .arg(&queue)
            .arg(&processing)
            .arg("RIGHT")
            .arg("LEFT")
            .arg(1)
            .query::<Option<Vec<u8>>>(&mut con)
            .map_err(|e| backend(url, e))?;
        let Some(raw) = taken else { continue };
        let outcome = match postcard::from_bytes::<Message>(&raw) {
            Err(e) => Err(format!("undecodable call message: {e}")),
            Ok(msg) => {
                let digest = msg.program.digest();
                let cached = guests.lock().ok().and_then(|g| g.get(&digest).cloned());
                let guest = match cached {
                    Some(g) => Ok(g),
                    None => make(&msg.program).inspect(|g| {
                        if let Ok(mut m) = guests.lock() {
                            m.insert(digest.clone(), Arc::clone(g));
                        }
                    }),
                };
                guest.and_then(|guest| {
                    let chainer = RedisChainer::new(url, prefix, msg.program.clone(), Arc::clone(&guest), None)
                        .map_err(|e| e.to_string())?;
                    Ok((msg.call.id, guest.run(&msg.call, Arc::new(chainer), Arc::clone(&state), None)))
                })
            }
        };
        match outcome {
            Ok((id, r)) => {
                let o = Outcome { return_code: r.return_code, output: r.output, error: r.error };
                let bytes = postcard::to_allocvec(&o).map_err(|e| ChainError::Backend(e.to_string()))?;
                let key = format!("{prefix}result:{id}");
                redis::cmd("RPUSH").arg(&key).arg(bytes).query::<()>(&mut con).map_err(|e| backend(url, e))?;
                redis::cmd("EXPIRE").arg(&key).arg(3600).query::<()>(&mut con).map_err(|e| backend(url, e))?;
            }
            Err(e) => tracing::warn!("faasm worker: dropping a call: {e}"),
        }
        redis::cmd("LREM").arg(&processing).arg(1).arg(raw).query::<()>(&mut con).map_err(|e| backend(url, e))?;
    }
}
