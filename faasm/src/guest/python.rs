//! A function of a Python file, run on the project's CPython build
//! (scripts/build-python.sh) with pyfaasm (scripts/build-pyfaasm.sh).
//!
//! Each call is a new instance of python.wasm with the build granted
//! read-only as `/usr/local` and the file's directory read-only as
//! `/faasm/func`; it runs `pyfaasm._runner`, which imports the file and
//! calls the call's function (see that file for the calling rules). The
//! dynamic loader links side modules (stdlib extensions, pyfaasm's own
//! `_pyfaasm`) whose `env.__faasm_*` imports resolve to this call's host
//! interface. The guest's stdout goes to the host's stderr, so that a
//! function's prints never mix with the output `invoke` prints.
//!
//! Calls start from a snapshot (a Proto-Faaslet): the first call of a file
//! initialises CPython once, imports pyfaasm and the file
//! (`pyfaasm._runner.prepare`, through the build's `faasm_python_init`)
//! and captures that; every call then restores it — memory mapped
//! copy-on-write, side modules re-instantiated as they were linked — and
//! runs only `pyfaasm._runner.call()`. If the snapshot cannot be taken
//! (the file fails to import, say), calls run from scratch, which reports
//! the error as the call's own. `FAASM_NO_SNAPSHOT=1` (or
//! [`PythonGuest::with_snapshots`]) always does; `FAASM_NO_SNAPSHOT=0`
//! means snapshots on.
//!
//! Every instance is a guest session (the `session` crate) with the
//! Faasm host interface; this file only says what it is given.

use super::{call_result, Guest};
use crate::call::{Call, Target};
use engine::Module;
use hostabi::faasm::{CallError, CallResult, ChainError, ChainTarget, Chainer, FaasmCtx, LockKind, StateError, StateStore};
use hostabi::wasi::{Access, Stdio};
use session::{GuestSpec, Host, Outcome, Session, Start, Timeout};
use std::os::fd::AsFd;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

/// A file's initialised interpreter, shared by all its calls.
struct Prepared {
    snapshot: snapshot::Snapshot,
    libraries: Option<loader::saved_libraries::PreparedLibraries>,
}

/// Where the function's directory appears in the guest.
pub const FUNC_DIR: &str = "/faasm/func";

pub struct PythonGuest {
    host: Host,
    module: Module,
    python_dir: PathBuf,
    func_dir: PathBuf,
    file_name: String,
    /// Taken on the first call; the reason if it could not be (see the
    /// module comment).
    prepared: OnceLock<Result<Prepared, String>>,
    /// Whether calls may start from a snapshot at all.
    snapshots: bool,
    /// Bytes each linear memory may grow to.
    memory_limit: Option<u64>,
    /// More directories (guest path, host path) granted read-write after
    /// the build's and the function's.
    volumes: Vec<(String, PathBuf)>,
}

impl PythonGuest {
    /// `host`: the engine and the cache side modules are compiled through;
    /// `module`: the build's python.wasm, compiled; `python_dir`: the build
    /// (holding lib/python3.11); `file`: the function file on the host.
    pub fn new(host: Host, module: Module, python_dir: PathBuf, file: &std::path::Path) -> Result<PythonGuest, String> {
        let file = std::fs::canonicalize(file).map_err(|e| format!("{}: {e}", file.display()))?;
        let func_dir = file.parent().map(PathBuf::from).ok_or_else(|| format!("{} has no directory", file.display()))?;
        let file_name = file
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| format!("{}: the file name must be UTF-8", file.display()))?
            .to_owned();
        if !python_dir.join("lib/python3.11/site-packages/pyfaasm/core.py").is_file() {
            return Err(format!(
                "{} has no pyfaasm (lib/python3.11/site-packages/pyfaasm): run scripts/build-pyfaasm.sh",
                python_dir.display()
            ));
        }
        Ok(PythonGuest {
            host,
            module,
            python_dir,
            func_dir,
            file_name,
            prepared: OnceLock::new(),
            snapshots: snapshots_from_env(),
            memory_limit: None,
            volumes: Vec::new(),
        })
    }

    /// Whether calls start from a snapshot (the default, unless
    /// `FAASM_NO_SNAPSHOT` says otherwise) or each initialises CPython afresh.
    pub fn with_snapshots(mut self, on: bool) -> PythonGuest {
        self.snapshots = on;
        self
    }

    /// Caps every linear memory of every call at `bytes` (`memory.grow`
    /// past it fails, so Python raises MemoryError).
    pub fn with_memory_limit(mut self, bytes: Option<u64>) -> PythonGuest {
        self.memory_limit = bytes;
        self
    }

    /// Grants the host directories of `volumes` (guest path, host path)
    /// read-write to every call.
    pub fn with_volumes(mut self, volumes: Vec<(String, PathBuf)>) -> PythonGuest {
        self.volumes = volumes;
        self
    }

    /// Takes the snapshot now rather than at the first call (a server does
    /// this before it is ready). `Err` says why calls will start from
    /// scratch instead.
    pub fn warm_up(&self) -> Result<(), String> {
        self.prepared().map(|_| ()).map_err(str::to_owned)
    }

    /// What an instance of python.wasm is given: the build and the
    /// function's directory granted read-only, in that order (a snapshot's
    /// descriptors are those), then the volumes; stdout to the host's
    /// stderr, so that a function's prints never mix with the output
    /// `invoke` prints; the host interface `ctx`.
    fn spec(&self, args: &[&str], envs: &[(&str, &str)], ctx: FaasmCtx) -> Result<GuestSpec, String> {
        let stdout = std::io::stderr().as_fd().try_clone_to_owned().map_err(|e| format!("cannot duplicate stderr: {e}"))?;
        let mut spec = GuestSpec::new("python.wasm")
            .args(args.iter().copied())
            .stdio(Stdio::Null, Stdio::Fd(stdout), Stdio::Inherit)
            .env("FAASM_FUNCTION_FILE", format!("{FUNC_DIR}/{}", self.file_name))
            .envs(envs.iter().copied())
            .volume(&self.python_dir, "/usr/local", Access::ReadOnly)
            .volume(&self.func_dir, FUNC_DIR, Access::ReadOnly)
            .memory_limit(self.memory_limit)
            .faasm(ctx);
        for (guest, host) in &self.volumes {
            spec = spec.volume(host, guest.clone(), Access::ReadWrite);
        }
        Ok(spec)
    }

    /// Initialises CPython with the file imported and captures it.
    fn prepare(&self) -> Result<Prepared, String> {
        // Not SystemExit: that would end the process, not the initialisation.
        let init = "import pyfaasm._runner as r\nif r.prepare():\n    raise ImportError('cannot load the function file')";
        let ctx = FaasmCtx::new(Vec::new(), Arc::new(InitOnly), Arc::new(InitOnly));
        let spec = self.spec(&[], &[("FAASM_INIT_PYTHON", init)], ctx)?;
        let mut s = Session::new(&self.host, &self.module, spec).map_err(|e| e.to_string())?;
        s.start(Start::Fresh).map_err(describe)?;
        // Kept in this process only, restored into the same compiled module:
        // no file, so no module identity to check.
        let source = snapshot::take::Source { module_sha256: None, module_path: "", init };
        let snapshot = s.take_snapshot(snapshot::take::PYTHON_INIT, source).map_err(|e| e.to_string())?;
        let libraries = s.prepare_libraries(&snapshot).map_err(|e| e.to_string())?;
        Ok(Prepared { snapshot, libraries })
    }

    fn prepared(&self) -> Result<&Prepared, &str> {
        self.prepared
            .get_or_init(|| {
                if !self.snapshots {
                    return Err("snapshots are off".into());
                }
                let p = self.prepare();
                // Shown with FAASM_DYNLOAD_VERBOSE (as the loader's lines
                // are), else at debug level.
                let note = match &p {
                    Ok(p) => format!(
                        "faasm: {}: calls start from a snapshot ({} pages, {} side modules)",
                        self.file_name,
                        p.snapshot.memory_pages(),
                        p.snapshot.meta.loader.as_ref().map_or(0, |l| l.libraries.len())
                    ),
                    Err(e) => format!("faasm: {}: no snapshot ({e}); calls start from scratch", self.file_name),
                };
                if self.host.dynload_verbose() {
                    tracing::info!("{note}");
                } else {
                    tracing::debug!("{note}");
                }
                p
            })
            .as_ref()
            .map_err(String::as_str)
    }

    /// Restores the snapshot once without running anything, for the
    /// serving benchmarks: how long the instance took to set up (WASI,
    /// linker, loader: what every call builds), to restore, and to drop.
    #[cfg(feature = "testing")]
    pub fn time_restore(&self) -> Result<RestoreTiming, String> {
        let prepared = self.prepared()?;
        let t0 = Instant::now();
        let ctx = FaasmCtx::new(Vec::new(), Arc::new(InitOnly), Arc::new(InitOnly));
        let spec = self.spec(&[], &[], ctx)?;
        let mut s = Session::new(&self.host, &self.module, spec).map_err(|e| e.to_string())?;
        let t1 = Instant::now();
        s.start(Start::Restore { snapshot: &prepared.snapshot, libraries: prepared.libraries.as_ref() }).map_err(describe)?;
        let t2 = Instant::now();
        drop(s);
        Ok(RestoreTiming { setup: t1 - t0, restore: t2 - t1, drop: t2.elapsed() })
    }

    fn execute(&self, call: &Call, ctx: FaasmCtx, deadline: Option<Instant>) -> CallResult {
        let failed = |msg: String| CallResult { return_code: 1, output: Vec::new(), error: Some(CallError::Failed(msg)) };
        if let Target::Ptr(p) = &call.target {
            return failed(format!("a Python function cannot be chained by function pointer ({p})"));
        }
        let prepared = self.prepared().ok();
        let (args, start): (&[&str], Start<'_>) = match prepared {
            Some(p) => (
                &["-c", "import pyfaasm._runner as r; r.call()"],
                Start::Restore { snapshot: &p.snapshot, libraries: p.libraries.as_ref() },
            ),
            None => (&["-c", "import pyfaasm._runner as r; r.main()"], Start::Fresh),
        };
        let spec = match self.spec(args, &[], ctx) {
            Ok(spec) => spec.timeout(Timeout::at(deadline)),
            Err(e) => return failed(e),
        };
        let mut s = match Session::new(&self.host, &self.module, spec) {
            Ok(s) => s,
            Err(e) => return failed(e.to_string()),
        };
        let outcome = s.run(start, "_start");
        call_result(&s, outcome)
    }
}

/// `FAASM_NO_SNAPSHOT=1` (any value but `0`) turns snapshots off.
fn snapshots_from_env() -> bool {
    std::env::var_os("FAASM_NO_SNAPSHOT").is_none_or(|v| v == "0")
}

/// Why a guest could not be started, in a line.
fn describe(o: Outcome) -> String {
    match o {
        Outcome::Trapped(_) | Outcome::Failed(_) => o.to_string(),
        other => format!("it {other} while starting"),
    }
}

/// [`PythonGuest::time_restore`]'s measurements.
#[cfg(feature = "testing")]
#[derive(Clone, Copy, Debug)]
pub struct RestoreTiming {
    pub setup: std::time::Duration,
    pub restore: std::time::Duration,
    pub drop: std::time::Duration,
}

/// The host interface during initialisation: a file that chains or
/// touches state while it is imported gets an error there (its import then
/// fails, so it gets no snapshot and its calls run from scratch, where
/// those operations mean what they should).
struct InitOnly;

const AT_IMPORT: &str = "not available while the snapshot of the function file is taken";

impl Chainer for InitOnly {
    fn chain(&self, _: ChainTarget, _: Vec<u8>) -> Result<u32, ChainError> {
        Err(ChainError::Backend(AT_IMPORT.into()))
    }
    fn await_call(&self, _: u32) -> Result<CallResult, ChainError> {
        Err(ChainError::Backend(AT_IMPORT.into()))
    }
}

impl StateStore for InitOnly {
    fn max_value_size(&self) -> u64 {
        0
    }
    fn size(&self, _: &str) -> Result<u64, StateError> {
        Err(StateError::Backend(AT_IMPORT.into()))
    }
    fn get(&self, _: &str) -> Result<Vec<u8>, StateError> {
        Err(StateError::Backend(AT_IMPORT.into()))
    }
    fn set(&self, _: &str, _: &[u8]) -> Result<(), StateError> {
        Err(StateError::Backend(AT_IMPORT.into()))
    }
    fn get_range(&self, _: &str, _: u64, _: u64) -> Result<Vec<u8>, StateError> {
        Err(StateError::Backend(AT_IMPORT.into()))
    }
    fn set_range(&self, _: &str, _: u64, _: u64, _: &[u8]) -> Result<(), StateError> {
        Err(StateError::Backend(AT_IMPORT.into()))
    }
    fn append(&self, _: &str, _: &[u8]) -> Result<(), StateError> {
        Err(StateError::Backend(AT_IMPORT.into()))
    }
    fn read_appended(&self, _: &str, _: u64) -> Result<Vec<Vec<u8>>, StateError> {
        Err(StateError::Backend(AT_IMPORT.into()))
    }
    fn clear_appended(&self, _: &str) -> Result<(), StateError> {
        Err(StateError::Backend(AT_IMPORT.into()))
    }
    fn push(&self, _: &str) -> Result<(), StateError> {
        Err(StateError::Backend(AT_IMPORT.into()))
    }
    fn pull(&self, _: &str, _: u64) -> Result<(), StateError> {
        Err(StateError::Backend(AT_IMPORT.into()))
    }
    fn lock(&self, _: &str, _: LockKind) -> Result<(), StateError> {
        Err(StateError::Backend(AT_IMPORT.into()))
    }
    fn unlock(&self, _: &str, _: LockKind) -> Result<(), StateError> {
        Err(StateError::Backend(AT_IMPORT.into()))
    }
}

impl Guest for PythonGuest {
    fn check(&self, target: &ChainTarget) -> Result<(), ChainError> {
        match target {
            ChainTarget::Ptr(_) => Err(ChainError::UnknownFunction(target.clone())),
            _ => Ok(()),
        }
    }

    fn run(&self, call: &Call, chainer: Arc<dyn Chainer>, state: Arc<dyn StateStore>, deadline: Option<Instant>) -> CallResult {
        let mut ctx = FaasmCtx::new(call.input.clone(), chainer, state);
        ctx.idx = call.id;
        ctx.python.func = self.file_name.clone();
        if let Target::Python(n) | Target::Name(n) = &call.target {
            ctx.python.entry = n.clone();
        }
        let r = self.execute(call, ctx, deadline);
        if let Some(e) = &r.error {
            tracing::warn!("faasm: call {} ({}) of {} failed: {e}", call.id, call.target, self.file_name);
        }
        r
    }
}
