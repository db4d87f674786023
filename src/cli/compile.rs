//! `faasm-engine compile MODULE [-o FILE]`: compile ahead of time into an
//! artifact that `faasm-engine run FILE` maps and runs without compiling.

use anyhow::{Context, Result};
use clap::Args;
use engine::{Config, Engine};
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct CompileArgs {
    /// The WebAssembly module (.wasm) to compile.
    module: PathBuf,

    /// Where to write the compiled module [default: MODULE with the extension .fobj].
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

/// Compiles the module and writes the artifact; returns the exit code.
pub fn compile(a: CompileArgs) -> Result<i32> {
    let wasm = std::fs::read(&a.module).with_context(|| format!("cannot read {}", a.module.display()))?;
    if objcache::is_artifact(&wasm) {
        anyhow::bail!("{} is already compiled", a.module.display());
    }
    let output = a.output.clone().unwrap_or_else(|| a.module.with_extension(objcache::EXTENSION));
    // The same configuration as `run`, so that `run` accepts the artifact.
    let config = Config { max_wasm_stack: super::run::WASM_STACK_LIMIT, ..Config::default() };
    let engine = Engine::new(config).context("cannot set up the compiler for this CPU")?;
    let name = a.module.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let progress = objcache::CompileProgress::new(&name);
    let hook = |done: usize, total: usize| progress.update(done, total);
    match objcache::compile_artifact(&engine, &wasm, &output, Some(&hook)) {
        Ok(_) => Ok(0),
        Err(objcache::Error::Engine(e)) => Err(e).with_context(|| format!("cannot compile {}", a.module.display())),
        Err(e) => Err(e).with_context(|| format!("cannot write {}", output.display())),
    }
}
