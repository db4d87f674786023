//! State in a Redis server, so every invocation and worker on every host
//! shares it. Layout (all keys under one prefix, `faasm:` by default):
//!
//! * `PREFIX state:KEY`: the value, a Redis string (`GETRANGE`/`SETRANGE`
//!   give offsets; a Lua script grows the value to its total length in the
//!   same step as an offset write).
//! * `PREFIX appended:KEY`: the appended values, a Redis list.
//! * `PREFIX lock:KEY`: the lock, `SET NX PX` with a random token, released
//!   by a script that deletes it only if it still holds our token. Read and
//!   write locks are the same exclusive lock here: readers do not share it
//!   across hosts (stricter than needed, never wrong). A lock expires after
//!   [`LOCK_TTL`] even if its holder vanished with it.
//!
//! Every request has connect/read/write timeouts, so a Redis that goes away
//! in the middle of a call fails that call with an error naming the server
//! instead of hanging it.

use hostabi::faasm::{check_size, LockKind, StateError, StateStore};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a lock lives if its holder never unlocks it.
pub const LOCK_TTL: Duration = Duration::from_secs(60);
/// How long `lock` waits for a lock held by someone else before failing.
pub const LOCK_WAIT: Duration = Duration::from_secs(120);
/// Connect, read and write timeout of every request.
pub const IO_TIMEOUT: Duration = Duration::from_secs(10);

const GROW_SCRIPT: &str = r"
redis.call('SETRANGE', KEYS[1], ARGV[1], ARGV[2])
local total = tonumber(ARGV[3])
if total > 0 and redis.call('STRLEN', KEYS[1]) < total then
  redis.call('SETRANGE', KEYS[1], total - 1, '\0')
end
return 1";

const UNLOCK_SCRIPT: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0";

pub struct RedisStore {
    client: redis::Client,
    url: String,
    prefix: String,
    max_value: u64,
    idle: Mutex<Vec<redis::Connection>>,
    /// Tokens of the locks this process holds, per Redis lock key.
    tokens: Mutex<HashMap<String, Vec<String>>>,
}

/// A Redis error as a state error naming the server.
pub fn backend(url: &str, e: impl std::fmt::Display) -> StateError {
    StateError::Backend(format!("Redis at {url}: {e}"))
}

impl RedisStore {
    /// Connects once to check that the server answers (a Redis that is
    /// down at start is an error here, not at the first call).
    pub fn connect(url: &str, prefix: &str, max_value: u64) -> Result<RedisStore, StateError> {
        let client = redis::Client::open(url).map_err(|e| backend(url, e))?;
        let store = RedisStore {
            client,
            url: url.to_owned(),
            prefix: prefix.to_owned(),
            max_value,
            idle: Mutex::new(Vec::new()),
            tokens: Mutex::new(HashMap::new()),
        };
        store.with(|c| redis::cmd("PING").query::<String>(c))?;
        Ok(store)
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    fn open(&self) -> Result<redis::Connection, StateError> {
        let c = self.client.get_connection_with_timeout(IO_TIMEOUT).map_err(|e| backend(&self.url, e))?;
        c.set_read_timeout(Some(IO_TIMEOUT)).map_err(|e| backend(&self.url, e))?;
        c.set_write_timeout(Some(IO_TIMEOUT)).map_err(|e| backend(&self.url, e))?;
        Ok(c)
    }

    /// Runs `f` on a pooled connection; a connection that failed is dropped
    /// rather than reused.
    fn with<T>(&self, f: impl FnOnce(&mut redis::Connection) -> redis::RedisResult<T>) -> Result<T, StateError> {
        let pooled = self.idle.lock().ok().and_then(|mut v| v.pop());
        let mut con = match pooled {
            Some(c) => c,
            None => self.open()?,
        };
        match f(&mut con) {
            Ok(v) => {
                if let Ok(mut idle) = self.idle.lock() {
                    idle.push(con);
                }
                Ok(v)
            }
            Err(e) => Err(backend(&self.url, e)),
        }
    }

    fn value_key(&self, key: &str) -> String {
        format!("{}state:{key}", self.prefix)
    }
    fn list_key(&self, key: &str) -> String {
        format!("{}appended:{key}", self.prefix)
    }
    fn lock_key(&self, key: &str) -> String {
        format!("{}lock:{key}", self.prefix)
    }
}

fn token() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("{}-{}-{t}", std::process::id(), N.fetch_add(1, Ordering::Relaxed))
}

impl StateStore for RedisStore {
    fn max_value_size(&self) -> u64 {
        self.max_value
    }

    fn size(&self, key: &str) -> Result<u64, StateError> {
        let k = self.value_key(key);
        self.with(|c| redis::cmd("STRLEN").arg(&k).query::<u64>(c))
    }

    fn get(&self, key: &str) -> Result<Vec<u8>, StateError> {
        let k = self.value_key(key);
        Ok(self.with(|c| redis::cmd("GET").arg(&k).query::<Option<Vec<u8>>>(c))?.unwrap_or_default())
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), StateError> {
        check_size(key, value.len() as u64, self.max_value)?;
        let k = self.value_key(key);
        self.with(|c| redis::cmd("SET").arg(&k).arg(value).query::<()>(c))
    }

    fn get_range(&self, key: &str, offset: u64, len: u64) -> Result<Vec<u8>, StateError> {
        check_size(key, offset.saturating_add(len), self.max_value)?;
        if len == 0 {
            return Ok(Vec::new());
        }
        let k = self.value_key(key);
        let mut v = self.with(|c| redis::cmd("GETRANGE").arg(&k).arg(offset).arg(offset + len - 1).query::<Vec<u8>>(c))?;
        v.resize(len as usize, 0);
        Ok(v)
    }

    fn set_range(&self, key: &str, total: u64, offset: u64, data: &[u8]) -> Result<(), StateError> {
        let end = offset.saturating_add(data.len() as u64);
        check_size(key, total.max(end), self.max_value)?;
        let k = self.value_key(key);
        self.with(|c| redis::cmd("EVAL").arg(GROW_SCRIPT).arg(1).arg(&k).arg(offset).arg(data).arg(total).query::<i64>(c))?;
        Ok(())
    }

    fn append(&self, key: &str, data: &[u8]) -> Result<(), StateError> {
        check_size(key, data.len() as u64, self.max_value)?;
        let k = self.list_key(key);
        self.with(|c| redis::cmd("RPUSH").arg(&k).arg(data).query::<u64>(c))?;
        Ok(())
    }

    fn read_appended(&self, key: &str, n: u64) -> Result<Vec<Vec<u8>>, StateError> {
        let k = self.list_key(key);
        let stop: i64 = if n == u64::MAX { -1 } else { i64::try_from(n).unwrap_or(i64::MAX) - 1 };
        if stop == -1 && n != u64::MAX {
            return Ok(Vec::new());
        }
        let v = self.with(|c| redis::cmd("LRANGE").arg(&k).arg(0).arg(stop).query::<Vec<Vec<u8>>>(c))?;
        if n != u64::MAX && (v.len() as u64) < n {
            return Err(StateError::NotEnoughAppended { key: key.to_owned(), wanted: n, have: v.len() as u64 });
        }
        Ok(v)
    }

    fn clear_appended(&self, key: &str) -> Result<(), StateError> {
        let k = self.list_key(key);
        self.with(|c| redis::cmd("DEL").arg(&k).query::<u64>(c))?;
        Ok(())
    }

    fn push(&self, key: &str) -> Result<(), StateError> {
        check_size(key, 0, self.max_value)
    }

    fn pull(&self, key: &str, len: u64) -> Result<(), StateError> {
        check_size(key, len, self.max_value)
    }

    fn lock(&self, key: &str, _kind: LockKind) -> Result<(), StateError> {
        let k = self.lock_key(key);
        let tok = token();
        let deadline = Instant::now() + LOCK_WAIT;
        let mut pause = Duration::from_micros(200);
        loop {
            let got = self.with(|c| {
                redis::cmd("SET")
                    .arg(&k)
                    .arg(&tok)
                    .arg("NX")
                    .arg("PX")
                    .arg(LOCK_TTL.as_millis() as u64)
                    .query::<Option<String>>(c)
            })?;
            if got.is_some() {
                break;
            }
            if Instant::now() > deadline {
                return Err(backend(
                    &self.url,
                    format!("lock on key {key:?} still held by another call after {} s", LOCK_WAIT.as_secs()),
                ));
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(20));
        }
        self.tokens.lock().map_err(|_| StateError::Backend("lock table poisoned".into()))?.entry(k).or_default().push(tok);
        Ok(())
    }

    fn unlock(&self, key: &str, kind: LockKind) -> Result<(), StateError> {
        let k = self.lock_key(key);
        let tok = {
            let mut tokens = self.tokens.lock().map_err(|_| StateError::Backend("lock table poisoned".into()))?;
            tokens.get_mut(&k).and_then(Vec::pop)
        };
        let tok = tok.ok_or_else(|| StateError::NotLocked { key: key.to_owned(), kind })?;
        let deleted = self.with(|c| redis::cmd("EVAL").arg(UNLOCK_SCRIPT).arg(1).arg(&k).arg(&tok).query::<i64>(c))?;
        if deleted == 0 {
            return Err(backend(&self.url, format!("lock on key {key:?} had expired (held over {} s)", LOCK_TTL.as_secs())));
        }
        Ok(())
    }
}
