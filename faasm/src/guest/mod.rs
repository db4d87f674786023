//! What a call runs: a [`Guest`] turns a [`Call`] into a fresh instance
//! (its own store and memory), runs the call's function to the end and
//! reports its return code and output. [`WasmGuest`] runs a WASI module
//! using the host interface directly (C programs); the Python guest runs a
//! function of a Python file on the CPython build.

mod python;
mod wasm;

pub use python::{PythonGuest, RestoreTiming, FUNC_DIR};
pub use wasm::WasmGuest;

use crate::call::Call;
use hostabi::faasm::{CallResult, ChainError, ChainTarget, Chainer, StateStore};
use std::sync::Arc;
use std::time::Instant;

pub trait Guest: Send + Sync {
    /// Refuses a chain target the program cannot run, before any call is
    /// made (`Ok` when that cannot be known in advance).
    fn check(&self, target: &ChainTarget) -> Result<(), ChainError>;

    /// Runs `call` on the current thread in a new instance whose host
    /// interface uses `chainer` and `state`; at `deadline` its guest code
    /// and blocking WASI calls are interrupted. Failures of the call itself
    /// (traps, exceptions, the deadline) are a non-zero return code,
    /// reported on stderr.
    fn run(&self, call: &Call, chainer: Arc<dyn Chainer>, state: Arc<dyn StateStore>, deadline: Option<Instant>) -> CallResult;
}
