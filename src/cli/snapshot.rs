//! `faasm-engine snapshot`: run a module's initialisation and write what it
//! left to a file that `run --from-snapshot` (and the server) restore
//! copy-on-write instead of initialising again (see the `snapshot` crate).

use super::report::exit_status;
use super::run::{guest_spec, host, RunArgs};
use anyhow::{bail, Context, Result};
use clap::Args;
use session::{Session, Start};
use snapshot::take::{Source, PYTHON_INIT, WIZER_INIT};
use std::path::PathBuf;

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
    session::on_guest_thread("guest", move || take(&a))?
}

fn take(a: &SnapshotArgs) -> Result<i32> {
    let path = a.run.module_path();
    let shown = path.display().to_string();
    let host = host(&a.run)?;
    let module = host.load(path)?;
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {shown}"))?;
    let module_path = std::fs::canonicalize(path).with_context(|| format!("cannot resolve {shown}"))?;
    let mut session = Session::new(&host, &module, guest_spec(&a.run)?)?;
    if let Err(outcome) = session.start(Start::Fresh) {
        return exit_status(&shown, a.run.timeout.map(|t| t.as_secs_f64()), outcome);
    }
    let init = match (&a.init, &a.init_python) {
        (Some(e), _) => e.as_str(),
        (None, Some(_)) => PYTHON_INIT,
        (None, None) => WIZER_INIT,
    };
    let module_path = module_path.to_string_lossy();
    let source = Source { module_sha256: Some(objcache::wasm_sha256(&bytes)), module_path: &module_path, init };
    let snap = session.take_snapshot(init, source).with_context(|| format!("cannot snapshot {shown}"))?;
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
