//! The in-process scheduler: every call of one run (the main call and all
//! the calls it chains, transitively) runs on a [`Pool`] in this process,
//! each in its own instance, sharing one state store. `await_call` blocks
//! until the awaited call has ended (giving its pool permit back meanwhile)
//! or the run's timeout has passed.

use crate::call::{Call, Target};
use crate::guest::Guest;
use crate::pool::Pool;
use hostabi::faasm::{CallResult, ChainError, ChainTarget, Chainer, StateStore};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Condvar, Mutex, Weak};
use std::time::{Duration, Instant};

/// Where a call's result lands.
#[derive(Default)]
struct Slot {
    result: Mutex<Option<CallResult>>,
    done: Condvar,
}

impl Slot {
    fn finish(&self, r: CallResult) {
        *self.result.lock().unwrap_or_else(|p| p.into_inner()) = Some(r);
        self.done.notify_all();
    }

    fn wait(&self, id: u32, deadline: Option<Instant>) -> Result<CallResult, ChainError> {
        let mut r = self.result.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(done) = r.as_ref() {
                return Ok(done.clone());
            }
            r = match deadline {
                None => self.done.wait(r).unwrap_or_else(|p| p.into_inner()),
                Some(d) => {
                    let left = d.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Err(ChainError::Timeout { id, secs: 0 });
                    }
                    self.done.wait_timeout(r, left).unwrap_or_else(|p| p.into_inner()).0
                }
            };
        }
    }
}

pub struct LocalRuntime {
    guest: Arc<dyn Guest>,
    state: Arc<dyn StateStore>,
    pool: Pool,
    calls: Mutex<HashMap<u32, Arc<Slot>>>,
    next: AtomicU32,
    timeout: Option<Duration>,
    started: Instant,
    me: Weak<LocalRuntime>,
}

impl LocalRuntime {
    /// `running`: how many calls may execute at once; `timeout`: how long
    /// the whole run may take (awaits give up after it).
    pub fn new(
        guest: Arc<dyn Guest>,
        state: Arc<dyn StateStore>,
        running: usize,
        timeout: Option<Duration>,
    ) -> Arc<LocalRuntime> {
        Arc::new_cyclic(|me| LocalRuntime {
            guest,
            state,
            pool: Pool::new(running),
            calls: Mutex::new(HashMap::new()),
            next: AtomicU32::new(0),
            timeout,
            started: Instant::now(),
            me: me.clone(),
        })
    }

    fn deadline(&self) -> Option<Instant> {
        self.timeout.map(|t| self.started + t)
    }

    fn submit(&self, target: Target, input: Vec<u8>) -> Result<u32, ChainError> {
        let me = self.me.upgrade().ok_or_else(|| ChainError::Backend("the run has ended".into()))?;
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let slot = Arc::new(Slot::default());
        self.calls.lock().unwrap_or_else(|p| p.into_inner()).insert(id, Arc::clone(&slot));
        let call = Call { id, target, input };
        let (guest, state, deadline) = (Arc::clone(&self.guest), Arc::clone(&self.state), self.deadline());
        self.pool
            .spawn(move || {
                let chainer: Arc<dyn Chainer> = me;
                let r = guest.run(&call, chainer, state, deadline);
                slot.finish(r);
            })
            .map_err(|e| ChainError::Backend(format!("cannot start a thread for call {id}: {e}")))?;
        Ok(id)
    }

    /// Runs the program's main function with `input` on the current thread
    /// (which must have a guest-sized stack, see [`crate::pool::GUEST_STACK`]);
    /// the calls it chains run on the pool. For a server whose request
    /// threads are already made for guests: no thread hand-over per call.
    pub fn run_main_here(&self, input: Vec<u8>) -> Result<CallResult, ChainError> {
        let me = self.me.upgrade().ok_or_else(|| ChainError::Backend("the run has ended".into()))?;
        let call = Call { id: self.next.fetch_add(1, Ordering::Relaxed), target: Target::Main, input };
        Ok(self.guest.run(&call, me, Arc::clone(&self.state), self.deadline()))
    }

    /// Runs the program's main function with `input` and waits for it.
    pub fn run_main(&self, input: Vec<u8>) -> Result<CallResult, ChainError> {
        let id = self.submit(Target::Main, input)?;
        self.await_call(id).map_err(|e| match e {
            ChainError::Timeout { id, .. } => ChainError::Timeout { id, secs: self.timeout.map_or(0, |t| t.as_secs()) },
            other => other,
        })
    }
}

impl Chainer for LocalRuntime {
    fn chain(&self, target: ChainTarget, input: Vec<u8>) -> Result<u32, ChainError> {
        self.guest.check(&target)?;
        self.submit(target.into(), input)
    }

    fn await_call(&self, id: u32) -> Result<CallResult, ChainError> {
        let slot = self.calls.lock().unwrap_or_else(|p| p.into_inner()).get(&id).cloned();
        let slot = slot.ok_or(ChainError::UnknownCall(id))?;
        let deadline = self.deadline();
        Pool::blocking(|| slot.wait(id, deadline)).map_err(|e| match e {
            ChainError::Timeout { id, .. } => ChainError::Timeout { id, secs: self.timeout.map_or(0, |t| t.as_secs()) },
            other => other,
        })
    }
}
