//! The native stack guests run on. Guest code runs on a thread with a
//! large native stack ([`GUEST_STACK`]) while the engine's wasm stack
//! limit ([`WASM_STACK_LIMIT`]) stays well below it, so that runaway
//! recursion in a guest hits the engine's "call stack exhausted" trap and
//! never the thread's guard page.

use crate::error::SessionError;

/// Native stack of every thread that runs guest code (CLI, server request
/// threads, Faasm call pools).
pub const GUEST_STACK: usize = 64 << 20;

/// Stack a guest's wasm code may use (the engine traps beyond it).
pub const WASM_STACK_LIMIT: usize = 16 << 20;

/// Runs `f` on a new thread named `name` with a guest-sized stack and
/// waits for it.
pub fn on_guest_thread<T: Send + 'static>(name: &str, f: impl FnOnce() -> T + Send + 'static) -> Result<T, SessionError> {
    let worker = std::thread::Builder::new()
        .name(name.to_owned())
        .stack_size(GUEST_STACK)
        .spawn(f)
        .map_err(|e| SessionError::Thread(format!("cannot be started: {e}")))?;
    worker.join().map_err(|_| SessionError::Thread("panicked".into()))
}
