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

use super::Guest;
use crate::call::{Call, Target};
use engine::{Engine, Error, Linker, Module, Store};
use hostabi::faasm::{CallResult, ChainError, ChainTarget, Chainer, FaasmCtx, StateStore};
use hostabi::wasi::{Access, Stdio, WasiCtx};
use std::os::fd::AsFd;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// Where the function's directory appears in the guest.
pub const FUNC_DIR: &str = "/faasm/func";

pub struct PythonGuest {
    engine: Engine,
    module: Module,
    python_dir: PathBuf,
    func_dir: PathBuf,
    file_name: String,
    cache_dir: Option<PathBuf>,
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
        Ok(PythonGuest { engine, module, python_dir, func_dir, file_name, cache_dir })
    }

    fn execute(&self, call: &Call, ctx: FaasmCtx) -> Result<(i32, Option<Vec<u8>>), String> {
        let entry = match &call.target {
            Target::Main => String::new(),
            Target::Name(n) | Target::Python(n) => n.clone(),
            Target::Ptr(p) => return Err(format!("a Python function cannot be chained by function pointer ({p})")),
        };
        let stdout = std::io::stderr().as_fd().try_clone_to_owned().map_err(|e| format!("cannot duplicate stderr: {e}"))?;
        let wasi = WasiCtx::builder()
            .stdin(Stdio::Null)
            .stdout(Stdio::Fd(stdout))
            .stderr(Stdio::Inherit)
            .arg("python.wasm")
            .args(["-c", "import pyfaasm._runner as r; r.main()"])
            .env("FAASM_FUNCTION_FILE", format!("{FUNC_DIR}/{}", self.file_name))
            .env("FAASM_ENTRY", entry)
            .preopened_dir(&self.python_dir, "/usr/local", Access::ReadOnly)
            .preopened_dir(&self.func_dir, FUNC_DIR, Access::ReadOnly)
            .build()
            .map_err(|e| e.to_string())?;
        let wasi = Arc::new(Mutex::new(wasi));
        let mut store = Store::new(&self.engine);
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
            cache: self.cache_dir.as_ref().and_then(|d| objcache::Cache::new(d).ok()),
            open: Box::new(open),
            verbose: std::env::var_os("FAASM_DYNLOAD_VERBOSE").is_some(),
        });
        dl.set_host_imports(linker.clone()).map_err(|e| e.to_string())?;
        dl.define(&mut linker);
        let outcome = linker.instantiate(&mut store, &self.module).and_then(|instance| {
            dl.attach(&store, instance).map_err(|e| Error::Instantiation(e.to_string()))?;
            let malloc = instance.get_func(&store, "malloc");
            if let Ok(mut c) = faasm.lock() {
                c.malloc = malloc;
            }
            let start = instance
                .get_func(&store, "_start")
                .ok_or_else(|| Error::Instantiation("python.wasm exports no `_start`".into()))?;
            start.call(&mut store, &[])
        });
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

impl Guest for PythonGuest {
    fn check(&self, target: &ChainTarget) -> Result<(), ChainError> {
        match target {
            ChainTarget::Ptr(_) => Err(ChainError::UnknownFunction(target.clone())),
            _ => Ok(()),
        }
    }

    fn run(&self, call: &Call, chainer: Arc<dyn Chainer>, state: Arc<dyn StateStore>) -> CallResult {
        let mut ctx = FaasmCtx::new(call.input.clone(), chainer, state);
        ctx.idx = call.id;
        ctx.python.func = self.file_name.clone();
        if let Target::Python(n) | Target::Name(n) = &call.target {
            ctx.python.entry = n.clone();
        }
        match self.execute(call, ctx) {
            Ok((return_code, output)) => CallResult { return_code, output: output.unwrap_or_default(), error: None },
            Err(msg) => {
                eprintln!("faasm: call {} ({}) of {} failed: {msg}", call.id, call.target, self.file_name);
                CallResult { return_code: 1, output: Vec::new(), error: Some(msg) }
            }
        }
    }
}
