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
//! [`PythonGuest::with_snapshots`]) always does.

use super::Guest;
use crate::call::{Call, Target};
use engine::{Engine, Error, Instance, Linker, Module, Store};
use hostabi::faasm::{CallResult, ChainError, ChainTarget, Chainer, FaasmCtx, LockKind, StateError, StateStore};
use hostabi::wasi::{Access, Stdio, WasiCtx};
use std::os::fd::AsFd;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

/// A file's initialised interpreter, shared by all its calls.
struct Prepared {
    snapshot: snapshot::Snapshot,
    libraries: Option<loader::snapshot::PreparedLibraries>,
}

/// Where the function's directory appears in the guest.
pub const FUNC_DIR: &str = "/faasm/func";

pub struct PythonGuest {
    engine: Engine,
    module: Module,
    python_dir: PathBuf,
    func_dir: PathBuf,
    file_name: String,
    /// Where side modules are cached, opened once (not per call).
    cache: Option<objcache::Cache>,
    /// `FAASM_DYNLOAD_VERBOSE`, read once.
    verbose: bool,
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
    /// `module`: the build's python.wasm, compiled; `python_dir`: the build
    /// (holding lib/python3.11); `file`: the function file on the host;
    /// `cache_dir`: where side modules are cached once compiled.
    pub fn new(
        engine: Engine,
        module: Module,
        python_dir: PathBuf,
        file: &std::path::Path,
        cache_dir: Option<PathBuf>,
    ) -> Result<PythonGuest, String> {
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
            engine,
            module,
            python_dir,
            func_dir,
            file_name,
            cache: cache_dir.and_then(|d| objcache::Cache::new(d).ok()),
            verbose: std::env::var_os("FAASM_DYNLOAD_VERBOSE").is_some(),
            prepared: OnceLock::new(),
            snapshots: std::env::var_os("FAASM_NO_SNAPSHOT").is_none(),
            memory_limit: None,
            volumes: Vec::new(),
        })
    }

    /// Whether calls start from a snapshot (the default, unless
    /// `FAASM_NO_SNAPSHOT` is set) or each initialises CPython afresh.
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

    /// The WASI context of an instance: the build and the function's
    /// directory granted read-only, in that order (a snapshot's descriptors
    /// are those), stdout to the host's stderr.
    fn wasi(&self, args: &[&str], envs: &[(&str, &str)]) -> Result<WasiCtx, String> {
        let stdout = std::io::stderr().as_fd().try_clone_to_owned().map_err(|e| format!("cannot duplicate stderr: {e}"))?;
        let mut b = WasiCtx::builder()
            .stdin(Stdio::Null)
            .stdout(Stdio::Fd(stdout))
            .stderr(Stdio::Inherit)
            .arg("python.wasm")
            .args(args.iter().copied())
            .env("FAASM_FUNCTION_FILE", format!("{FUNC_DIR}/{}", self.file_name));
        for (k, v) in envs {
            b = b.env(*k, *v);
        }
        b = b.preopened_dir(&self.python_dir, "/usr/local", Access::ReadOnly).preopened_dir(&self.func_dir, FUNC_DIR, Access::ReadOnly);
        for (guest, host) in &self.volumes {
            b = b.preopened_dir(host, guest.clone(), Access::ReadWrite);
        }
        b.build().map_err(|e| e.to_string())
    }

    /// A store, linker and loader for one instance with `wasi` and `ctx`.
    fn instance_parts(&self, wasi: WasiCtx, ctx: FaasmCtx) -> Result<Parts, String> {
        let wasi = Arc::new(Mutex::new(wasi));
        let mut store = Store::new(&self.engine);
        store.set_memory_limit(self.memory_limit);
        let mut linker = Linker::new();
        hostabi::link(&mut linker, &hostabi::wasi::functions::<WasiCtx>(), &wasi);
        let faasm = Arc::new(Mutex::new(ctx));
        hostabi::faasm::link(&mut linker, &faasm);
        let open_wasi = Arc::clone(&wasi);
        let open = move |path: &str| -> Result<std::fs::File, String> {
            let ctx = open_wasi.lock().map_err(|_| "the WASI state is poisoned".to_owned())?;
            ctx.open_guest_file(path).map_err(hostabi::wasi::describe_errno)
        };
        let dl = loader::Loader::new(loader::Config {
            engine: self.engine.clone(),
            cache: self.cache.clone(),
            open: Box::new(open),
            verbose: self.verbose,
        });
        dl.set_host_imports(linker.clone()).map_err(|e| e.to_string())?;
        dl.define(&mut linker);
        Ok(Parts { wasi, store, linker, faasm, dl })
    }

    /// Initialises CPython with the file imported and captures it.
    fn prepare(&self) -> Result<Prepared, String> {
        // Not SystemExit: that would end the process, not the initialisation.
        let init = "import pyfaasm._runner as r\nif r.prepare():\n    raise ImportError('cannot load the function file')";
        let wasi = self.wasi(&[], &[("FAASM_INIT_PYTHON", init)])?;
        let ctx = FaasmCtx::new(Vec::new(), Arc::new(InitOnly), Arc::new(InitOnly));
        let mut parts = self.instance_parts(wasi, ctx)?;
        let instance = self.start(&mut parts, None)?;
        let Parts { wasi, mut store, dl, .. } = parts;
        // Kept in this process only, restored into the same compiled module:
        // no file, so no module identity to check.
        let source = snapshot::take::Source { module_sha256: [0; 32], module_path: "", init };
        let snap = snapshot::take::take(&mut store, instance, snapshot::take::PYTHON_INIT, &wasi, Some(&dl), source)
            .map_err(|e| e.to_string())?;
        let libraries = match &snap.meta.loader {
            Some(state) => Some(dl.prepare(state).map_err(|e| e.to_string())?),
            None => None,
        };
        Ok(Prepared { snapshot: snap, libraries })
    }

    fn prepared(&self) -> Result<&Prepared, &str> {
        self.prepared
            .get_or_init(|| {
                if !self.snapshots {
                    return Err("snapshots are off".into());
                }
                let verbose = self.verbose;
                let p = self.prepare();
                match &p {
                    Ok(p) if verbose => eprintln!(
                        "faasm: {}: calls start from a snapshot ({} pages, {} side modules)",
                        self.file_name,
                        p.snapshot.memory_pages(),
                        p.snapshot.meta.loader.as_ref().map_or(0, |l| l.libraries.len())
                    ),
                    Err(e) if verbose => eprintln!("faasm: {}: no snapshot ({e}); calls start from scratch", self.file_name),
                    _ => {}
                }
                p
            })
            .as_ref()
            .map_err(String::as_str)
    }

    /// Restores the snapshot once without running anything, for the
    /// serving benchmarks: how long the instance took to set up (WASI,
    /// linker, loader: what every call builds), to restore, and to drop.
    pub fn time_restore(&self) -> Result<RestoreTiming, String> {
        let prepared = self.prepared()?;
        let t0 = Instant::now();
        let ctx = FaasmCtx::new(Vec::new(), Arc::new(InitOnly), Arc::new(InitOnly));
        let mut parts = self.call_parts(Some(prepared), &[], ctx)?;
        let t1 = Instant::now();
        self.start(&mut parts, Some(prepared))?;
        let t2 = Instant::now();
        drop(parts);
        Ok(RestoreTiming { setup: t1 - t0, restore: t2 - t1, drop: t2.elapsed() })
    }

    /// What a call's instance runs with: WASI with `args` (and, restoring
    /// `prepared`, the snapshot's descriptors reopened), host interface
    /// `ctx`, a store, linker and loader.
    fn call_parts(&self, prepared: Option<&Prepared>, args: &[&str], ctx: FaasmCtx) -> Result<Parts, String> {
        let mut wasi = self.wasi(args, &[])?;
        if let Some(p) = prepared {
            p.snapshot.restore_wasi(&mut wasi).map_err(|e| e.to_string())?;
        }
        self.instance_parts(wasi, ctx)
    }

    /// The instance of python.wasm in `parts`: `prepared` restored, or a
    /// fresh instance with the loader attached; its `malloc` handed to the
    /// host interface.
    fn start(&self, parts: &mut Parts, prepared: Option<&Prepared>) -> Result<Instance, String> {
        let Parts { store, linker, dl, faasm, .. } = parts;
        let instance = match prepared {
            Some(p) => {
                let libraries = p.libraries.as_ref().map(|prepared| snapshot::restore::Libraries { loader: &*dl, prepared });
                p.snapshot.restore(store, linker, &self.module, libraries).map_err(|e| e.to_string())?
            }
            None => {
                let i = linker.instantiate(store, &self.module).map_err(|e| e.to_string())?;
                dl.attach(store, i).map_err(|e| e.to_string())?;
                i
            }
        };
        if let Ok(mut c) = faasm.lock() {
            c.malloc = instance.get_func(store, "malloc");
        }
        Ok(instance)
    }

    fn execute(&self, call: &Call, ctx: FaasmCtx, deadline: Option<Instant>) -> Result<(i32, Option<Vec<u8>>), String> {
        if let Target::Ptr(p) = &call.target {
            return Err(format!("a Python function cannot be chained by function pointer ({p})"));
        }
        let prepared = self.prepared().ok();
        let args: &[&str] = match prepared {
            Some(_) => &["-c", "import pyfaasm._runner as r; r.call()"],
            None => &["-c", "import pyfaasm._runner as r; r.main()"],
        };
        let mut parts = self.call_parts(prepared, args, ctx)?;
        let _deadline = deadline.map(|d| {
            let handle = parts.store.interrupt_handle();
            if let Ok(mut w) = parts.wasi.lock() {
                w.set_interrupt(handle.clone());
            }
            handle.interrupt_after(d.saturating_duration_since(Instant::now()))
        });
        let instance = self.start(&mut parts, prepared)?;
        let Parts { mut store, faasm, .. } = parts;
        let outcome = instance
            .get_func(&store, "_start")
            .ok_or_else(|| Error::Instantiation("python.wasm exports no `_start`".into()))
            .and_then(|start| start.call(&mut store, &[]));
        let code = match outcome {
            Ok(_) => 0,
            Err(Error::Trap(t)) => match t.exit_code() {
                Some(c) => c,
                None => return Err(t.to_string()),
            },
            Err(e) => return Err(e.to_string()),
        };
        let mut ctx = faasm.lock().map_err(|_| "host state poisoned".to_owned())?;
        ctx.release_locks();
        Ok((code, ctx.output.take()))
    }
}

/// [`PythonGuest::time_restore`]'s measurements.
#[derive(Clone, Copy, Debug)]
pub struct RestoreTiming {
    pub setup: std::time::Duration,
    pub restore: std::time::Duration,
    pub drop: std::time::Duration,
}

/// What one instance runs with.
struct Parts {
    wasi: Arc<Mutex<WasiCtx>>,
    store: Store,
    linker: Linker,
    faasm: Arc<Mutex<FaasmCtx>>,
    dl: loader::Loader,
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
        match self.execute(call, ctx, deadline) {
            Ok((return_code, output)) => CallResult { return_code, output: output.unwrap_or_default(), error: None },
            Err(msg) => {
                eprintln!("faasm: call {} ({}) of {} failed: {msg}", call.id, call.target, self.file_name);
                CallResult { return_code: 1, output: Vec::new(), error: Some(msg) }
            }
        }
    }
}
