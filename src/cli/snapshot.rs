//! `faasm-engine snapshot`: run a module's initialisation and write what it
//! left to a file that `run --from-snapshot` (and the server) restore
//! copy-on-write instead of initialising again (see the `snapshot` crate).

use super::run::{build_wasi, dynamic_loader, engine_config, load_module, RunArgs, GUEST_THREAD_STACK};
use anyhow::{anyhow, bail, Context, Result};
use clap::Args;
use engine::{Engine, Linker, Store};
use hostabi::wasi::WasiCtx;
use snapshot::take::{Source, PYTHON_INIT, WIZER_INIT};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

const AFTER_HELP: &str = "\
Initialisation is the export named by --init, by default `wizer.initialize`
(Wizer's convention). For the project's CPython build, --init-python CODE
initialises the interpreter and runs CODE (e.g. 'import json, re'); a later
`run --from-snapshot FILE -c '...'` then starts with those imports done.
The snapshot keeps memory, globals, tables, the side modules the program
loaded and the files it holds open; arguments, environment and standard
streams at restore are the restoring command's. --dir/--dir-ro grants must
be the same at restore (the same guest names, in the same order).";

#[derive(Args, Debug)]
#[command(after_help = AFTER_HELP)]
pub struct SnapshotArgs {
    /// Where to write the snapshot.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: PathBuf,

    /// The export that initialises the program [default: wizer.initialize].
    #[arg(long, value_name = "EXPORT", conflicts_with = "init_python")]
    init: Option<String>,

    /// For our CPython build: initialise Python and run CODE.
    #[arg(long = "init-python", value_name = "CODE")]
    init_python: Option<String>,

    #[command(flatten)]
    run: RunArgs,
}

pub fn snapshot(mut a: SnapshotArgs) -> Result<i32> {
    if a.run.from_snapshot.is_some() || a.run.invoke.is_some() {
        bail!("--from-snapshot and --invoke do not apply to `snapshot`");
    }
    if let Some(code) = &a.init_python {
        a.run.envs.push(format!("FAASM_INIT_PYTHON={code}"));
    }
    let wasi = build_wasi(&a.run)?;
    let worker = std::thread::Builder::new()
        .name("guest".into())
        .stack_size(GUEST_THREAD_STACK)
        .spawn(move || take(&a, wasi))
        .context("cannot start the guest thread")?;
    worker.join().map_err(|_| anyhow!("the guest thread panicked"))?
}

fn take(a: &SnapshotArgs, wasi: WasiCtx) -> Result<i32> {
    let path = a.run.module_path();
    let engine = Engine::new(engine_config()).context("cannot set up the compiler for this CPU")?;
    let module = load_module(&engine, path, &a.run.cache)?;
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let module_path = std::fs::canonicalize(path).with_context(|| format!("cannot resolve {}", path.display()))?;
    let mut store = Store::new(&engine);
    let mut linker = Linker::new();
    let state = Arc::new(Mutex::new(wasi));
    hostabi::link(&mut linker, &hostabi::wasi::functions::<WasiCtx>(), &state);
    let loader = dynamic_loader(&engine, &module, &a.run.cache, &state, &mut linker);
    let instance = linker
        .instantiate(&mut store, &module)
        .with_context(|| format!("cannot instantiate {}", path.display()))?;
    if let Some(l) = &loader {
        l.attach(&store, instance).context("cannot attach the dynamic loader")?;
    }
    let init = match (&a.init, &a.init_python) {
        (Some(e), _) => e.as_str(),
        (None, Some(_)) => PYTHON_INIT,
        (None, None) => WIZER_INIT,
    };
    let module_path = module_path.to_string_lossy();
    let source = Source { module_sha256: objcache::wasm_sha256(&bytes), module_path: &module_path, init };
    let snap = snapshot::take::take(&mut store, instance, init, &state, loader.as_ref(), source)
        .with_context(|| format!("cannot snapshot {}", path.display()))?;
    snap.write(&a.output)?;
    let libs = snap.meta.loader.as_ref().map_or(0, |l| l.libraries.len());
    eprintln!(
        "wrote {}: {} pages of memory ({} KiB of them kept), {} side modules",
        a.output.display(),
        snap.memory_pages(),
        snap.meta.image_len / 1024,
        libs
    );
    Ok(0)
}
