//! `faasm-engine cache stats|clear`: inspect or empty the compiled-code
//! cache every command loads modules through (see `session::Host::load`).

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use engine::Engine;
use objcache::Cache;
use std::path::PathBuf;

const DIR_HELP: &str = "Directory of the compiled-code cache [default: $FAASM_ENGINE_CACHE_DIR, \
                        else $XDG_CACHE_HOME/faasm-engine, else ~/.cache/faasm-engine]";

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
    let dir = flag
        .clone()
        .or_else(objcache::default_dir)
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
            println!("module index entries: {}", s.index_files);
            println!("verification memos: {}", s.memo_files);
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
