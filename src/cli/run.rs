//! `faasm-engine run`: compile a module, give it WASI, run it.
//!
//! The guest runs on its own thread with a large native stack
//! ([`GUEST_THREAD_STACK`]) and the engine's wasm stack limit well below it
//! ([`WASM_STACK_LIMIT`]), so runaway recursion in the guest hits the
//! engine's "call stack exhausted" trap, never the thread's guard page.

use anyhow::{anyhow, bail, Context, Result};
use clap::Args;
use engine::{Config, Engine, Error, Extern, Linker, Module, Store, TrapReason, Val, ValType};
use hostabi::wasi::{Access, WasiCtx};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// Native stack of the thread that runs the guest.
pub const GUEST_THREAD_STACK: usize = 64 << 20;
/// Stack the guest's wasm code may use (the engine traps beyond it).
pub const WASM_STACK_LIMIT: usize = 16 << 20;

/// Exit status after a trap: what a native process killed by SIGABRT
/// reports (128 + 6), as wasmtime does.
pub const TRAP_EXIT_CODE: i32 = 134;

const AFTER_HELP: &str = "\
Directories: the guest sees only the directories granted with --dir (read-write)
or --dir-ro (read-only). With neither, the current directory is granted
read-only under the guest name `.`, so that `faasm-engine run python3.wasm hello.py`
works as typed from the directory that holds hello.py.

Compiled code is cached (see --cache-dir): the first run of a module compiles
it, later runs map the cached machine code. MODULE may also be an artifact
written by `faasm-engine compile`.

Limits: --timeout stops the guest after that many seconds of running (also
while it is blocked reading a stream or sleeping); --max-memory caps each linear
memory, so that memory.grow past it fails (Python raises MemoryError).

Exit status: the guest's own exit code (proc_exit, or 0 when _start returns);
134 after a trap (the trap message and wasm backtrace go to stderr); 124 when
--timeout stopped it; 1 if the module cannot be read, compiled or linked.";

/// Exit status when `--timeout` stopped the guest (what coreutils'
/// `timeout` uses).
pub const TIMEOUT_EXIT_CODE: i32 = 124;

#[derive(Args, Debug)]
#[command(after_help = AFTER_HELP)]
pub struct RunArgs {
    /// Grant a host directory read-write, as GUEST (default: the HOST string itself).
    #[arg(long = "dir", value_name = "HOST[::GUEST]")]
    pub(super) dirs: Vec<String>,

    /// Grant a host directory read-only, as GUEST (default: the HOST string itself).
    #[arg(long = "dir-ro", value_name = "HOST[::GUEST]")]
    pub(super) dirs_ro: Vec<String>,

    /// Set an environment variable for the guest; a bare NAME passes the host's value.
    #[arg(long = "env", value_name = "NAME[=VAL]")]
    pub(super) envs: Vec<String>,

    /// Call this export instead of `_start`; ARGS are then its parameters.
    #[arg(long, value_name = "NAME")]
    pub(super) invoke: Option<String>,

    /// Profiling aid: `perfmap` writes /tmp/perf-<pid>.map so that
    /// `perf report` names the guest's wasm functions.
    #[arg(long, value_name = "STRATEGY")]
    pub(super) profile: Option<Profile>,

    /// Stop the guest after this many seconds (exit status 124).
    #[arg(long, value_name = "SECONDS", value_parser = parse_timeout)]
    pub(super) timeout: Option<std::time::Duration>,

    /// Cap each linear memory at this many MiB: memory.grow past it fails.
    #[arg(long = "max-memory", value_name = "MIB")]
    pub(super) max_memory: Option<u64>,

    #[command(flatten)]
    pub cache: CacheArgs,

    /// Restore the program from this snapshot (`faasm-engine snapshot`)
    /// instead of starting it afresh; MODULE then defaults to the module
    /// the snapshot was taken of, and every positional argument goes to
    /// the guest.
    #[arg(long = "from-snapshot", value_name = "FILE")]
    pub(super) from_snapshot: Option<PathBuf>,

    /// The WebAssembly module (.wasm) to run.
    #[arg(required_unless_present = "from_snapshot", allow_hyphen_values = true)]
    pub(super) module: Option<PathBuf>,

    /// Arguments for the guest (argv[1..]; argv[0] is MODULE as given).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub(super) args: Vec<String>,
}

/// How `--profile` exposes the guest's code to a profiler.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Profile {
    /// Linux perf's `/tmp/perf-<pid>.map` symbol file.
    Perfmap,
}

/// Where compiled code is cached.
#[derive(Args, Debug)]
pub struct CacheArgs {
    /// Compiled-code cache directory [default: $FAASM_ENGINE_CACHE_DIR,
    /// else $XDG_CACHE_HOME/faasm-engine, else ~/.cache/faasm-engine].
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,

    /// Compile without reading or writing the cache.
    #[arg(long, conflicts_with = "cache_dir")]
    pub no_cache: bool,
}

/// The engine configuration every command uses, so that artifacts written
/// by `compile` match what `run` expects. `FAASM_PERF_MAP=1` writes
/// `/tmp/perf-PID.map` for `perf` (any command; `run --profile perfmap`
/// is the same for `run`). `FAASM_INTERRUPT_CHECKS=0` compiles without
/// the checks timeouts rely on, to measure their cost
/// (benches/timeout/run.sh); `--timeout` is then refused.
pub fn engine_config() -> Config {
    let perf_map = std::env::var_os("FAASM_PERF_MAP").is_some_and(|v| v == "1");
    let interrupt_checks = std::env::var_os("FAASM_INTERRUPT_CHECKS").is_none_or(|v| v != "0");
    Config { max_wasm_stack: WASM_STACK_LIMIT, perf_map, interrupt_checks, ..Config::default() }
}

/// Loads `path` as a module: an artifact file is mapped; wasm goes through
/// the cache unless it is disabled (or unusable, with a warning). On a warm
/// start the wasm file is not even read (see `objcache::index`), and the
/// artifact's checksum is not read again if it was verified earlier in this
/// boot (see `objcache::verified`; the cache directory holds the memo).
pub fn load_module(engine: &Engine, path: &std::path::Path, cache: &CacheArgs) -> Result<Module> {
    let shown = path.display().to_string();
    let mut prefix = Vec::with_capacity(8);
    std::fs::File::open(path)
        .and_then(|f| std::io::Read::read_to_end(&mut std::io::Read::take(f, 8), &mut prefix))
        .with_context(|| format!("cannot read {shown}"))?;
    let is_artifact = objcache::is_artifact(&prefix);
    let dir = if cache.no_cache { None } else { cache.cache_dir.clone().or_else(objcache::default_dir) };
    let cache = match dir.map(objcache::Cache::new) {
        Some(Ok(c)) => Some(c),
        // An artifact runs without the cache, which would only remember its
        // verification for later runs.
        Some(Err(_)) if is_artifact => None,
        Some(Err(e)) => {
            eprintln!("warning: compiled-code cache disabled: {e}");
            None
        }
        None => None,
    };
    if is_artifact {
        let module = match &cache {
            Some(c) => c.read_artifact(engine, path),
            None => objcache::read_artifact(engine, path),
        };
        return module.with_context(|| format!("cannot load artifact {shown}"));
    }
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| shown.clone());
    let bar = objcache::CompileProgress::new(&name);
    let progress = |done: usize, total: usize| bar.update(done, total);
    let module = match cache {
        Some(c) => match c.load_or_compile_file(engine, path, Some(&progress)) {
            Ok((m, _)) => Ok(m),
            Err(objcache::Error::Io { source, .. }) => return Err(source).with_context(|| format!("cannot read {shown}")),
            Err(e) => Err(anyhow::Error::new(e)),
        },
        None => {
            let bytes = std::fs::read(path).with_context(|| format!("cannot read {shown}"))?;
            Module::new_with_progress(engine, &bytes, Some(&progress)).map_err(anyhow::Error::new)
        }
    };
    drop(bar);
    module.with_context(|| format!("cannot compile {shown}"))
}

/// A dynamic loader for a main module that imports `env.dlopen` (a CPython
/// of our build): side modules are opened inside the guest's sandbox, and
/// compiled through the same cache as the module itself.
pub(super) fn dynamic_loader(
    engine: &Engine,
    module: &Module,
    cache: &CacheArgs,
    wasi: &Arc<Mutex<WasiCtx>>,
    linker: &mut Linker,
) -> Option<loader::Loader> {
    if !module.imports().any(|i| i.module == "env" && i.name.starts_with("dl")) {
        return None;
    }
    let dir = if cache.no_cache { None } else { cache.cache_dir.clone().or_else(objcache::default_dir) };
    let wasi = wasi.clone();
    let open = move |path: &str| -> Result<std::fs::File, String> {
        let ctx = wasi.lock().map_err(|_| "the WASI state is poisoned".to_owned())?;
        ctx.open_guest_file(path).map_err(hostabi::wasi::describe_errno)
    };
    let l = loader::Loader::new(loader::Config {
        engine: engine.clone(),
        cache: dir.and_then(|d| objcache::Cache::new(d).ok()),
        open: Box::new(open),
        verbose: std::env::var_os("FAASM_DYNLOAD_VERBOSE").is_some(),
    });
    // Side modules may import what the main module may (WASI), besides
    // the main module's own exports.
    let _ = l.set_host_imports(linker.clone());
    l.define(linker);
    Some(l)
}

/// A `--timeout`: positive seconds, fractions allowed.
pub fn parse_timeout(s: &str) -> std::result::Result<std::time::Duration, String> {
    match s.parse::<f64>() {
        Ok(v) if v > 0.0 && v.is_finite() && v < 1e9 => Ok(std::time::Duration::from_secs_f64(v)),
        _ => Err(format!("{s:?} is not a positive number of seconds")),
    }
}

/// A `--max-memory` in MiB as bytes.
pub fn memory_limit_bytes(mib: u64) -> Result<u64> {
    mib.checked_mul(1 << 20).ok_or_else(|| anyhow!("--max-memory {mib}: too large"))
}

/// Splits `HOST[::GUEST]`.
fn parse_dir(spec: &str) -> (PathBuf, String) {
    match spec.split_once("::") {
        Some((host, guest)) => (PathBuf::from(host), guest.to_owned()),
        None => (PathBuf::from(spec), spec.to_owned()),
    }
}

fn parse_env(spec: &str) -> Result<(String, String)> {
    match spec.split_once('=') {
        Some((k, v)) => Ok((k.to_owned(), v.to_owned())),
        None => {
            let v = std::env::var(spec).with_context(|| format!("--env {spec}: not set in the host environment"))?;
            Ok((spec.to_owned(), v))
        }
    }
}

pub(super) fn build_wasi(a: &RunArgs) -> Result<WasiCtx> {
    let mut b = WasiCtx::builder().inherit_stdio().arg(a.module_path().to_string_lossy()).args(a.args.iter().cloned());
    for e in &a.envs {
        let (k, v) = parse_env(e)?;
        b = b.env(k, v);
    }
    if a.dirs.is_empty() && a.dirs_ro.is_empty() {
        b = b.preopened_dir(".", ".", Access::ReadOnly);
    }
    for d in &a.dirs {
        let (host, guest) = parse_dir(d);
        b = b.preopened_dir(host, guest, Access::ReadWrite);
    }
    for d in &a.dirs_ro {
        let (host, guest) = parse_dir(d);
        b = b.preopened_dir(host, guest, Access::ReadOnly);
    }
    Ok(b.build()?)
}

fn parse_param(ty: ValType, s: &str) -> Result<Val> {
    Ok(match ty {
        ValType::I32 => Val::I32(s.parse::<i64>().ok().and_then(|v| i32::try_from(v).ok().or(u32::try_from(v).ok().map(|u| u as i32))).ok_or_else(|| anyhow!("{s:?} is not an i32"))?),
        ValType::I64 => Val::I64(s.parse::<i64>().or_else(|_| s.parse::<u64>().map(|u| u as i64)).map_err(|_| anyhow!("{s:?} is not an i64"))?),
        ValType::F32 => Val::F32(s.parse::<f32>().map_err(|_| anyhow!("{s:?} is not an f32"))?.to_bits()),
        ValType::F64 => Val::F64(s.parse::<f64>().map_err(|_| anyhow!("{s:?} is not an f64"))?.to_bits()),
        other => bail!("cannot pass a {other:?} parameter from the command line"),
    })
}

fn show(v: &Val) -> String {
    match v {
        Val::I32(x) => x.to_string(),
        Val::I64(x) => x.to_string(),
        Val::F32(b) => f32::from_bits(*b).to_string(),
        Val::F64(b) => f64::from_bits(*b).to_string(),
        Val::V128(x) => format!("{x:#034x}"),
        Val::FuncRef(f) => if f.is_some() { "funcref" } else { "null" }.to_owned(),
        Val::ExternRef(r) => r.map_or("null".to_owned(), |r| format!("externref({r})")),
    }
}

impl RunArgs {
    /// MODULE (set by `run` from the snapshot when only that was given).
    pub(super) fn module_path(&self) -> &std::path::Path {
        self.module.as_deref().unwrap_or(std::path::Path::new(""))
    }
}

/// Runs the module and returns the exit code.
pub fn run(mut a: RunArgs) -> Result<i32> {
    let snapshot = match &a.from_snapshot {
        None => None,
        Some(path) => {
            let s = snapshot::Snapshot::load(path).context("cannot load the snapshot")?;
            // Every positional argument is the guest's; the module is the
            // snapshot's.
            if let Some(m) = a.module.take() {
                a.args.insert(0, m.to_string_lossy().into_owned());
            }
            if s.meta.module_path.is_empty() {
                bail!("{} does not say which module it was taken of", path.display());
            }
            a.module = Some(PathBuf::from(&s.meta.module_path));
            Some(s)
        }
    };
    let wasi = build_wasi(&a)?;
    let worker = std::thread::Builder::new()
        .name("guest".into())
        .stack_size(GUEST_THREAD_STACK)
        .spawn(move || execute(&a, wasi, snapshot.as_ref()))
        .context("cannot start the guest thread")?;
    worker.join().map_err(|_| anyhow!("the guest thread panicked"))?
}

fn execute(a: &RunArgs, mut wasi: WasiCtx, snapshot: Option<&snapshot::Snapshot>) -> Result<i32> {
    let config = Config { perf_map: a.profile == Some(Profile::Perfmap), ..engine_config() };
    if a.timeout.is_some() && !config.interrupt_checks {
        bail!("--timeout needs the interrupt checks that FAASM_INTERRUPT_CHECKS=0 leaves out");
    }
    let engine = Engine::new(config).context("cannot set up the compiler for this CPU")?;
    let module = load_module(&engine, a.module_path(), &a.cache)?;
    if let Some(s) = snapshot {
        let bytes = std::fs::read(a.module_path()).with_context(|| format!("cannot read {}", a.module_path().display()))?;
        s.check_module(&objcache::wasm_sha256(&bytes))
            .with_context(|| format!("cannot restore the snapshot into {}", a.module_path().display()))?;
        s.restore_wasi(&mut wasi).context("cannot restore the snapshot's open files")?;
    }
    let mut store = Store::new(&engine);
    store.set_memory_limit(a.max_memory.map(memory_limit_bytes).transpose()?);
    wasi.set_interrupt(store.interrupt_handle());
    // From here on the guest runs (its start function too): the deadline
    // covers that, not the loading above.
    let _deadline = a.timeout.map(|t| store.interrupt_handle().interrupt_after(t));
    let mut linker = Linker::new();
    let state = Arc::new(Mutex::new(wasi));
    hostabi::link(&mut linker, &hostabi::wasi::functions::<WasiCtx>(), &state);
    let loader = dynamic_loader(&engine, &module, &a.cache, &state, &mut linker);

    let instance = match snapshot {
        Some(s) => restore(s, &mut store, &linker, &module, loader.as_ref())?,
        None => match linker.instantiate(&mut store, &module) {
            Ok(i) => i,
            Err(Error::Trap(t)) => return Ok(trapped(a, &t)),
            Err(e) => return Err(e).with_context(|| format!("cannot instantiate {}", a.module_path().display())),
        },
    };
    if let (Some(l), None) = (&loader, snapshot) {
        // A main module without the exports side modules need still runs;
        // its dlopen calls then fail with dlerror() saying what is missing.
        let _ = l.attach(&store, instance);
    }

    let (name, params): (&str, Vec<Val>) = match &a.invoke {
        Some(name) => {
            let f = instance
                .get_func(&store, name)
                .ok_or_else(|| anyhow!("{} has no exported function `{name}`", a.module_path().display()))?;
            let ty = f.ty(&store);
            if ty.params.len() != a.args.len() {
                bail!("`{name}` takes {} parameters, {} given", ty.params.len(), a.args.len());
            }
            let params = ty.params.iter().zip(&a.args).map(|(t, s)| parse_param(*t, s)).collect::<Result<_>>()?;
            (name.as_str(), params)
        }
        None => ("_start", Vec::new()),
    };
    let func = match instance.get_export(&store, name) {
        Some(Extern::Func(f)) => f,
        _ if a.invoke.is_none() => bail!("{} exports no `_start` (use --invoke NAME to call another export)", a.module_path().display()),
        _ => bail!("{} has no exported function `{name}`", a.module_path().display()),
    };
    match func.call(&mut store, &params) {
        Ok(results) => {
            if a.invoke.is_some() {
                for r in &results {
                    println!("{}", show(r));
                }
            }
            Ok(0)
        }
        Err(Error::Trap(t)) => Ok(trapped(a, &t)),
        Err(e) => Err(e).with_context(|| format!("cannot run `{name}`")),
    }
}

/// The program of `snap`, restored into `store` (its side modules too).
fn restore(
    snap: &snapshot::Snapshot,
    store: &mut Store,
    linker: &Linker,
    module: &Module,
    loader: Option<&loader::Loader>,
) -> Result<engine::Instance> {
    let prepared = match (loader, &snap.meta.loader) {
        (Some(l), Some(state)) => Some(l.prepare(state).context("cannot load the snapshot's side modules")?),
        _ => None,
    };
    let libraries = loader.zip(prepared.as_ref()).map(|(loader, prepared)| snapshot::restore::Libraries { loader, prepared });
    snap.restore(store, linker, module, libraries).context("cannot restore the snapshot")
}

/// Exit code for a trap: the guest's own code for `proc_exit`, otherwise
/// the trap is reported on stderr.
fn trapped(a: &RunArgs, t: &engine::Trap) -> i32 {
    if let Some(code) = t.exit_code() {
        return code;
    }
    if t.reason == TrapReason::Wasm(engine::TrapKind::Interrupt) {
        if let Some(limit) = a.timeout {
            eprintln!(
                "Error: {} timed out: stopped after the --timeout of {} s",
                a.module_path().display(),
                limit.as_secs_f64()
            );
            return TIMEOUT_EXIT_CODE;
        }
    }
    eprint!("{}", trap_report(&a.module_path().display().to_string(), t));
    TRAP_EXIT_CODE
}

/// The trap message and its wasm backtrace, innermost frame first. Runs of
/// one function calling itself (deep recursion) are collapsed to one line
/// so that a stack overflow stays readable.
pub fn trap_report(module: &str, t: &engine::Trap) -> String {
    use std::fmt::Write;
    let reason = match &t.reason {
        TrapReason::Wasm(kind) => format!("wasm trap: {kind}"),
        TrapReason::Host(msg) => format!("host function failed: {msg}"),
        TrapReason::Exit(code) => format!("exited with code {code}"),
    };
    let mut out = format!("Error: failed to run {module}\n\nCaused by:\n    {reason}\n");
    if t.backtrace.is_empty() {
        return out;
    }
    out.push_str("    wasm backtrace:\n");
    let name = |f: &engine::Frame| -> String {
        let func = match &f.func_name {
            Some(n) => n.clone(),
            None => format!("<wasm function {}>", f.func_index),
        };
        match &f.module_name {
            Some(m) => format!("{m}!{func}"),
            None => func,
        }
    };
    let mut i = 0;
    while i < t.backtrace.len() {
        let f = &t.backtrace[i];
        let mut run = 1;
        while t.backtrace.get(i + run).is_some_and(|g| g == f) {
            run += 1;
        }
        let _ = writeln!(out, "      {i:>5}: {}", name(f));
        if run > 2 {
            let _ = writeln!(out, "             ... {} more frames of the same function", run - 1);
            i += run;
        } else {
            i += 1;
        }
    }
    out
}
