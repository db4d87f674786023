//! `faasm-engine compile MODULE [-o FILE]`: compile ahead of time into an
//! artifact file (objcache's format) that `faasm-engine run FILE` maps and
//! executes without compiling.

use anyhow::{bail, Context, Result};
use clap::Args;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct CompileArgs {
    /// The WebAssembly module (.wasm) to compile.
    module: PathBuf,

    /// Where to write the artifact [default: MODULE with the extension .fobj].
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

pub fn compile(a: CompileArgs) -> Result<()> {
    let bytes = std::fs::read(&a.module).with_context(|| format!("cannot read {}", a.module.display()))?;
    if objcache::is_artifact(&bytes) {
        bail!("{} is already compiled", a.module.display());
    }
    let out = a.output.clone().unwrap_or_else(|| a.module.with_extension(objcache::EXTENSION));
    // The configuration `run` uses, so that `run` accepts the artifact.
    let host = session::Host::new(session::HostOptions { cache_dir: None, ..session::HostOptions::from_env() })?;
    let engine = host.engine();
    let name = a.module.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let bar = objcache::CompileProgress::new(&name);
    let progress = |done: usize, total: usize| bar.update(done, total);
    let result = objcache::compile_artifact(engine, &bytes, &out, Some(&progress));
    drop(bar);
    let len = match result {
        Ok((_, len)) => len,
        Err(objcache::Error::Engine(e)) => return Err(e).with_context(|| format!("cannot compile {}", a.module.display())),
        Err(e) => return Err(e).with_context(|| format!("cannot write {}", out.display())),
    };
    eprintln!("wrote {} ({len} bytes)", out.display());
    Ok(())
}
