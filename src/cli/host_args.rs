//! The command-line options every command that runs guests shares: where
//! compiled code is cached, and the [`session::Host`] they give.

use anyhow::Result;
use clap::Args;
use session::{Host, HostOptions};
use std::path::PathBuf;

/// Where compiled code is cached.
#[derive(Args, Debug, Clone)]
pub struct CacheArgs {
    /// Compiled-code cache directory [default: $FAASM_ENGINE_CACHE_DIR,
    /// else $XDG_CACHE_HOME/faasm-engine, else ~/.cache/faasm-engine].
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,

    /// Compile without reading or writing the cache.
    #[arg(long, conflicts_with = "cache_dir")]
    pub no_cache: bool,
}

impl CacheArgs {
    /// The host options these flags give (the rest from the environment:
    /// `FAASM_PERF_MAP`, `FAASM_INTERRUPT_CHECKS`, `FAASM_DYNLOAD_VERBOSE`).
    pub fn host_options(&self) -> HostOptions {
        let mut opts = HostOptions::from_env();
        opts.cache_dir = if self.no_cache { None } else { self.cache_dir.clone().or(opts.cache_dir) };
        opts
    }

    /// The engine and cache every guest of this command runs on.
    pub fn host(&self) -> Result<Host> {
        Ok(Host::new(self.host_options())?)
    }
}
