//! Function routes (`function = "f.py"`): a Faasm Python function behind
//! HTTP. A request's body is the input of the file's `faasm_main`, the
//! output it sets is the response body.
//!
//! Each route owns one `faasm::guest::PythonGuest`, made at start, which
//! takes the route's snapshot before the server says it is ready: CPython
//! initialised with pyfaasm and the file imported. Every request then
//! restores that snapshot (memory mapped copy-on-write) instead of booting
//! CPython. A request is a `LocalRuntime` of its own: its main call runs on
//! the request's thread, the calls it chains on that runtime's pool, all
//! under the route's timeout; state is shared by every function the server
//! runs (one embedded store).

use crate::config::{ModuleConfig, SnapshotChoice};
use crate::runner::Outcome;
use engine::Module;
use faasm::guest::{Guest, PythonGuest};
use faasm::local::LocalRuntime;
use faasm::ChainError;
use hostabi::faasm::StateStore;
use session::Host;
use std::path::Path;
use std::sync::Arc;

/// Calls a request may run at once, its main call included.
const CALLS_PER_REQUEST: usize = 2;

pub struct FunctionRoute {
    guest: Arc<PythonGuest>,
    state: Arc<dyn StateStore>,
    timeout: Option<std::time::Duration>,
}

/// What a function route is made from, besides its configuration.
pub struct Python<'a> {
    /// The engine, and the cache side modules are compiled through.
    pub host: &'a Host,
    /// The build's python.wasm, compiled.
    pub module: &'a Module,
    /// The build (python.wasm and lib/python3.11 with pyfaasm).
    pub dir: &'a Path,
}

impl FunctionRoute {
    /// Sets the route up and takes its snapshot. `Ok` carries, when the
    /// snapshot could not be taken but was not required, the reason (its
    /// requests then start from scratch).
    pub fn new(
        python: &Python<'_>,
        file: &Path,
        cfg: &ModuleConfig,
        state: Arc<dyn StateStore>,
    ) -> Result<(FunctionRoute, Option<String>), String> {
        let snapshots = cfg.snapshot != SnapshotChoice::Off;
        let guest = PythonGuest::new(python.host.clone(), python.module.clone(), python.dir.to_path_buf(), file)?
            .with_snapshots(snapshots)
            .with_memory_limit(cfg.max_memory)
            .with_volumes(cfg.volumes.clone());
        let mut note = None;
        if snapshots {
            if let Err(why) = guest.warm_up() {
                if cfg.snapshot == SnapshotChoice::On {
                    return Err(format!("cannot take its snapshot: {why}"));
                }
                note = Some(why);
            }
        }
        Ok((FunctionRoute { guest: Arc::new(guest), state, timeout: cfg.timeout }, note))
    }

    /// Runs one request on the current thread (a guest-sized stack).
    pub fn run(&self, input: Vec<u8>) -> Outcome {
        let guest: Arc<dyn Guest> = self.guest.clone();
        let runtime = LocalRuntime::new(guest, Arc::clone(&self.state), CALLS_PER_REQUEST, self.timeout);
        let result = match runtime.run_main_here(input) {
            Ok(r) => r,
            Err(ChainError::Timeout { .. }) => return Outcome::Timeout,
            Err(e) => return Outcome::Failed(e.to_string()),
        };
        // Told by the engine's deadline: a function that fails by itself
        // close to its timeout is a failure, not a timeout.
        if result.timed_out() {
            return Outcome::Timeout;
        }
        Outcome::Function { return_code: result.return_code, output: result.output, error: result.error.map(|e| e.to_string()) }
    }
}
