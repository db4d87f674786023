//! What a call runs: a [`Guest`] turns a [`Call`] into a fresh guest
//! session (its own store and memory, see the `session` crate), runs the
//! call's function to the end and reports its return code, output and,
//! typed, why it failed. [`WasmGuest`] runs a WASI module using the host
//! interface directly (C programs); the Python guest runs a function of a
//! Python file on the CPython build.

mod python;
mod wasm;

#[cfg(feature = "testing")]
pub use python::RestoreTiming;
pub use python::{PythonGuest, FUNC_DIR};
pub use wasm::WasmGuest;

use crate::call::Call;
use engine::Val;
use hostabi::faasm::{CallError, CallResult, ChainError, ChainTarget, Chainer, StateStore};
use session::{Outcome, Session};
use std::sync::Arc;
use std::time::Instant;

pub trait Guest: Send + Sync {
    /// Refuses a chain target the program cannot run, before any call is
    /// made (`Ok` when that cannot be known in advance).
    fn check(&self, target: &ChainTarget) -> Result<(), ChainError>;

    /// Runs `call` on the current thread in a new instance whose host
    /// interface uses `chainer` and `state`; at `deadline` its guest code
    /// and blocking WASI calls are interrupted. Failures of the call itself
    /// (traps, exceptions, the deadline) are a non-zero return code, with
    /// the reason in [`CallResult::error`] where the runtime knows it.
    fn run(&self, call: &Call, chainer: Arc<dyn Chainer>, state: Arc<dyn StateStore>, deadline: Option<Instant>) -> CallResult;
}

/// A call's result from how its session ended: the return code (an entry's
/// `i32` result, or the exit status), the output it set, the state locks
/// it still held released (whatever the ending, so that no lock outlives
/// its call).
pub(crate) fn call_result(s: &Session, outcome: Outcome) -> CallResult {
    let (return_code, error) = match outcome {
        Outcome::Returned(results) => match results.first() {
            Some(Val::I32(c)) => (*c, None),
            _ => (0, None),
        },
        Outcome::Exited(code) => (code, None),
        Outcome::TimedOut => (1, Some(CallError::TimedOut)),
        Outcome::Trapped(t) => (1, Some(CallError::Trapped(t.to_string()))),
        Outcome::Failed(e) => (1, Some(CallError::Failed(e.to_string()))),
    };
    let output = match s.faasm().map(|ctx| ctx.lock()) {
        Some(Ok(mut ctx)) => {
            ctx.release_locks();
            ctx.output.take()
        }
        Some(Err(_)) => {
            return CallResult {
                return_code: 1,
                output: Vec::new(),
                error: Some(CallError::Failed("the Faasm host state is poisoned".into())),
            }
        }
        None => None,
    };
    // A failed call's partial output is not its result.
    let output = if error.is_some() { Vec::new() } else { output.unwrap_or_default() };
    CallResult { return_code, output, error }
}
