//! `faasm-engine worker`: run chained calls taken from a Redis queue (the
//! calls `invoke --redis` and other workers chain), on N threads, with
//! state in the same Redis. The queue and its at-least-once rules are
//! `faasm::queue`.

use super::host_args::CacheArgs;
use anyhow::{bail, Context, Result};
use clap::Args;
use engine::Module;
use faasm::guest::{Guest, PythonGuest, WasmGuest};
use faasm::queue::Program;
use faasm::state::{RedisStore, DEFAULT_MAX_VALUE};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Args, Debug)]
pub struct WorkerArgs {
    /// The Redis server holding the queue and the state (redis://HOST:PORT).
    #[arg(long, value_name = "URL")]
    redis: String,

    /// Calls run at once [default: the number of CPUs, at least 2]. A call
    /// awaiting a chained call holds its thread, so chains deeper than
    /// the workers' threads in total would wait forever.
    #[arg(long, value_name = "N")]
    threads: Option<usize>,

    /// The CPython build for Python programs.
    #[arg(long, value_name = "DIR", env = "FAASM_PYTHON", default_value = "workload/cpython")]
    python: PathBuf,

    /// The largest state value, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_VALUE)]
    max_state: u64,

    #[command(flatten)]
    cache: CacheArgs,
}

pub fn worker(a: WorkerArgs) -> Result<i32> {
    let state = Arc::new(RedisStore::connect(&a.redis, "faasm:", a.max_state).context("cannot use --redis")?);
    let host = a.cache.host()?;
    let wasm = a.python.join("python.wasm");
    let python: Option<Module> = if wasm.is_file() { Some(host.load(&wasm)?) } else { None };
    let files = std::env::temp_dir().join(format!("faasm-worker-{}", std::process::id()));
    let python_dir = a.python.clone();
    let make = move |p: &Program| -> std::result::Result<Arc<dyn Guest>, String> {
        if p.name.ends_with(".wasm") {
            // Through the cache: a program is compiled once per machine.
            let m = host.load_bytes(&p.name, &p.bytes).map_err(|e| e.to_string())?;
            return Ok(Arc::new(WasmGuest::new(host.clone(), m, p.name.clone())));
        }
        let module = python
            .clone()
            .ok_or_else(|| format!("{} is missing: cannot run {}", python_dir.join("python.wasm").display(), p.name))?;
        if p.name.is_empty() || p.name.contains('/') {
            return Err(format!("bad program name {:?}", p.name));
        }
        let dir = files.join(p.digest());
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let file = dir.join(&p.name);
        std::fs::write(&file, &p.bytes).map_err(|e| format!("{}: {e}", file.display()))?;
        Ok(Arc::new(PythonGuest::new(host.clone(), module, python_dir.clone(), &file)?))
    };
    let threads = a.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()).max(2));
    if threads == 0 {
        bail!("--threads must be at least 1");
    }
    faasm::queue::run_worker(&a.redis, "faasm:", threads, state, Arc::new(make)).context("the worker stopped")?;
    Ok(0)
}
