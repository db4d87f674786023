//! `faasm-engine invoke`: run a Faasm function file once — `faasm_main()`
//! of FILE.py on the CPython build (or `_start` of a C program's .wasm) —
//! with its chained calls on an in-process thread pool, and print its
//! output. The runtime itself is the `faasm` crate.

use super::host_args::CacheArgs;
use super::report::TIMEOUT_EXIT_CODE;
use anyhow::{bail, Context, Result};
use clap::Args;
use faasm::guest::{Guest, PythonGuest, WasmGuest};
use faasm::local::LocalRuntime;
use faasm::queue::{Program, RedisChainer};
use faasm::state::{EmbeddedStore, RedisStore, DEFAULT_MAX_VALUE};
use faasm::ChainError;
use hostabi::faasm::StateStore;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

const AFTER_HELP: &str = "\
FILE.py runs on the CPython build given by --python (default: $FAASM_PYTHON,
else workload/cpython), which needs pyfaasm (scripts/build-pyfaasm.sh). A .wasm
FILE is a WASI program using the env.__faasm_* host interface directly.

The function's output goes to stdout (nothing else does: what the function
prints goes to stderr). Exit status: 0 when the function succeeded; its
non-zero return or exit code (1 for an uncaught exception, whose traceback
goes to stderr); 1 if the run could not be set up or timed out.

State is in-process, shared by every call of this run, and chained calls run
on an in-process thread pool. With --redis, state is in that Redis server,
shared with every other invocation, and chained calls go on its queue, run by
`faasm-engine worker --redis URL` processes on any host (at least once).";

#[derive(Args, Debug)]
#[command(after_help = AFTER_HELP)]
pub struct InvokeArgs {
    /// The CPython build (holding python.wasm and lib/python3.11).
    #[arg(long, value_name = "DIR", env = "FAASM_PYTHON", default_value = "workload/cpython")]
    python: PathBuf,

    /// The call's input.
    #[arg(long, value_name = "DATA", conflicts_with = "input_file")]
    input: Option<String>,

    /// Read the call's input from a file.
    #[arg(long, value_name = "FILE")]
    input_file: Option<PathBuf>,

    /// Keep state in this Redis server (redis://HOST:PORT).
    #[arg(long, value_name = "URL")]
    redis: Option<String>,

    /// Give up after this many seconds.
    #[arg(long, value_name = "S")]
    timeout: Option<f64>,

    /// The largest state value, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_VALUE)]
    max_state: u64,

    /// Calls running at once [default: the number of CPUs, at least 2].
    #[arg(long, value_name = "N")]
    threads: Option<usize>,

    #[command(flatten)]
    cache: CacheArgs,

    /// The function file (.py, or a .wasm C program).
    file: PathBuf,
}

pub fn invoke(a: InvokeArgs) -> Result<i32> {
    let input = match (&a.input, &a.input_file) {
        (Some(s), _) => s.clone().into_bytes(),
        (None, Some(f)) => std::fs::read(f).with_context(|| format!("cannot read input file {}", f.display()))?,
        (None, None) => Vec::new(),
    };
    if !a.file.is_file() {
        bail!("{}: no such file", a.file.display());
    }
    let timeout = match a.timeout {
        Some(t) if !(t > 0.0 && t.is_finite()) => bail!("--timeout must be a positive number of seconds"),
        Some(t) => Some(Duration::from_secs_f64(t)),
        None => None,
    };
    let state: Arc<dyn StateStore> = match &a.redis {
        Some(url) => Arc::new(RedisStore::connect(url, "faasm:", a.max_state).context("cannot use --redis")?),
        None => Arc::new(EmbeddedStore::new(a.max_state)),
    };
    let host = a.cache.host()?;
    if timeout.is_some() && !host.interrupt_checks() {
        bail!("--timeout needs the interrupt checks that FAASM_INTERRUPT_CHECKS=0 leaves out");
    }
    let guest: Arc<dyn Guest> = if a.file.extension().is_some_and(|e| e == "wasm") {
        let module = host.load(&a.file)?;
        Arc::new(WasmGuest::new(host, module, a.file.display().to_string()))
    } else {
        let wasm = a.python.join("python.wasm");
        if !wasm.is_file() {
            bail!("{} is missing: build CPython with scripts/build-python.sh, or give --python DIR", wasm.display());
        }
        let module = host.load(&wasm)?;
        Arc::new(PythonGuest::new(host, module, a.python.clone(), &a.file).map_err(anyhow::Error::msg)?)
    };
    let threads = a.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()).max(2));
    let result = match &a.redis {
        // Chained calls go on the Redis queue (faasm-engine worker); the
        // main call runs here.
        Some(url) => {
            let program = Program {
                name: a.file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
                bytes: std::fs::read(&a.file).with_context(|| format!("cannot read {}", a.file.display()))?,
            };
            let chainer = RedisChainer::new(url, "faasm:", program, Arc::clone(&guest), timeout).context("cannot use --redis")?;
            let call = faasm::Call { id: 0, target: faasm::Target::Main, input };
            let deadline = timeout.map(|t| std::time::Instant::now() + t);
            session::on_guest_thread("guest", move || guest.run(&call, Arc::new(chainer), state, deadline))?
        }
        None => {
            let runtime = LocalRuntime::new(guest, state, threads, timeout);
            match runtime.run_main(input) {
                Ok(r) => r,
                // The run's deadline passed while waiting for the call.
                Err(ChainError::Timeout { .. }) => return Ok(timed_out(&a, timeout)),
                Err(e) => return Err(e).with_context(|| format!("cannot run {}", a.file.display())),
            }
        }
    };
    if result.timed_out() {
        return Ok(timed_out(&a, timeout));
    }
    let mut out = std::io::stdout().lock();
    out.write_all(&result.output).and_then(|()| out.flush()).context("cannot write the output")?;
    if result.return_code != 0 || result.error.is_some() {
        match &result.error {
            Some(e) => eprintln!("Error: {} failed: {e}", a.file.display()),
            None => eprintln!("Error: {} failed with return code {}", a.file.display(), result.return_code),
        }
        return Ok(result.return_code.clamp(1, 255));
    }
    Ok(0)
}

/// Reports that the run's `--timeout` stopped it; the exit status.
fn timed_out(a: &InvokeArgs, timeout: Option<Duration>) -> i32 {
    let t = timeout.map_or(0.0, |t| t.as_secs_f64());
    eprintln!("Error: {} timed out after {t} s (--timeout)", a.file.display());
    TIMEOUT_EXIT_CODE
}
