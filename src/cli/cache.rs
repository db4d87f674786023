//! `faasm-engine cache stats|clear`, and how `run` gets its module: from an
//! artifact file, from the compiled-code cache, or by compiling.

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use engine::{Engine, Module};
use objcache::{Cache, CompileProgress};
use std::path::{Path, PathBuf};

const DIR_HELP: &str = "Directory of the compiled-code cache [default: $FAASM_ENGINE_CACHE_DIR, \
                        else $XDG_CACHE_HOME/faasm-engine, else ~/.cache/faasm-engine]";

// Cache options of `run` (no doc comment: clap would take it for `run`'s about).
#[derive(Args, Debug, Clone, Default)]
pub struct CacheArgs {
    #[arg(long, value_name = "DIR", help = DIR_HELP)]
    pub cache_dir: Option<PathBuf>,

    /// Compile the module without reading or writing the cache.
    #[arg(long, conflicts_with = "cache_dir")]
    pub no_cache: bool,
}

/// The cache directory named by `--cache-dir` or the environment.
fn resolve_dir(flag: &Option<PathBuf>) -> Option<PathBuf> {
    flag.clone().or_else(objcache::default_dir)
}

/// A progress bar named after `path`'s file name.
fn progress_for(path: &Path) -> CompileProgress {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    CompileProgress::new(&name)
}

/// The module in `bytes`, read from `path`. An artifact
/// (`faasm-engine compile` output) is mapped and run as it is; a wasm module
/// comes from the cache, or is compiled (and cached). A cache that cannot be
/// used costs a compilation, never the run.
pub fn load_module(engine: &Engine, args: &CacheArgs, path: &Path, bytes: &[u8]) -> Result<Module> {
    if objcache::is_artifact(bytes) {
        return objcache::read_artifact(engine, path).with_context(|| {
            format!("cannot load the compiled module {} (compile it again with `faasm-engine compile`)", path.display())
        });
    }
    let progress = progress_for(path);
    let hook = |done: usize, total: usize| progress.update(done, total);
    let cache = match (args.no_cache, resolve_dir(&args.cache_dir)) {
        (false, Some(dir)) => match Cache::new(&dir) {
            Ok(c) => Some(c),
            Err(e) => {
                eprintln!("faasm-engine: warning: not using the compiled-code cache: {e}");
                None
            }
        },
        _ => None,
    };
    let module = match cache {
        Some(cache) => cache.load_or_compile_with_progress(engine, bytes, Some(&hook)).map(|(m, _)| m),
        None => Module::new_with_progress(engine, bytes, Some(&hook)),
    };
    module.with_context(|| format!("cannot compile {}", path.display()))
}

#[derive(Args, Debug)]
pub struct CacheCmd {
    #[command(subcommand)]
    action: CacheAction,
}

#[derive(Subcommand, Debug)]
enum CacheAction {
    /// Show how many compiled modules the cache holds and their size.
    Stats(DirArg),
    /// Remove every compiled module from the cache (and nothing else).
    Clear(DirArg),
}

#[derive(Args, Debug)]
struct DirArg {
    #[arg(long, value_name = "DIR", help = DIR_HELP)]
    cache_dir: Option<PathBuf>,
}

/// Runs `faasm-engine cache ...`; returns the exit code.
pub fn cache(cmd: CacheCmd) -> Result<i32> {
    let flag = match &cmd.action {
        CacheAction::Stats(d) | CacheAction::Clear(d) => &d.cache_dir,
    };
    let dir = resolve_dir(flag)
        .context("no cache directory: set --cache-dir, FAASM_ENGINE_CACHE_DIR, XDG_CACHE_HOME or HOME")?;
    // Opening creates the directory; a cache that was never used is empty.
    let cache = Cache::new(&dir)?;
    match cmd.action {
        CacheAction::Stats(_) => {
            let engine = Engine::default();
            let fp = objcache::fingerprint(&engine).context("cannot set up the compiler for this CPU")?;
            let s = cache.stats(&fp).with_context(|| format!("cannot read {}", dir.display()))?;
            println!("cache directory: {}", dir.display());
            println!("compiled modules: {} ({})", s.entries, size(s.bytes));
            println!("  usable by this engine build on this CPU: {}", s.current);
            println!("  stale (other engine builds or CPUs, or unreadable): {}", s.entries - s.current);
            if s.temp_files > 0 {
                println!("unfinished writes: {} ({})", s.temp_files, size(s.temp_bytes));
            }
        }
        CacheAction::Clear(_) => {
            let c = cache.clear().with_context(|| format!("cannot clear {}", dir.display()))?;
            println!("removed {} files ({}) from {}", c.files, size(c.bytes), dir.display());
        }
    }
    Ok(0)
}

fn size(bytes: u64) -> String {
    const MIB: f64 = 1024.0 * 1024.0;
    if bytes >= 1 << 20 {
        format!("{:.1} MiB", bytes as f64 / MIB)
    } else {
        format!("{bytes} bytes")
    }
}
