//! `faasm-engine run`: load a module, give it WASI, run it — through the
//! guest-session layer (the `session` crate), as every command does. This
//! file owns the `run` command line and what it turns into: a
//! [`GuestSpec`] (shared with `snapshot`) and an exit status.

use super::host_args::CacheArgs;
use super::report::exit_status;
use anyhow::{anyhow, bail, Context, Result};
use clap::Args;
use engine::{Val, ValType};
use session::{Access, GuestSpec, Host, Outcome, Session, Start, Timeout, UnknownImports};
use std::path::PathBuf;

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

Reactors and other embedders' ABIs: --invoke NAME first calls `_initialize`
when the module exports it (as wasmtime does); --unknown-imports trap gives
every function import that nothing defines a body that traps when called,
naming the import, and --unknown-imports default one that returns zeros.

Exit status: the guest's own exit code (proc_exit, or 0 when _start returns);
134 after a trap (the trap message and wasm backtrace go to stderr); 124 when
--timeout stopped it; 1 if the module cannot be read, compiled or linked.";

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

    /// What a function import that nothing defines becomes: `reject`
    /// (linking fails), `trap` (a trap when called) or `default` (returns zeros).
    #[arg(long = "unknown-imports", value_name = "POLICY", default_value = "reject")]
    pub(super) unknown_imports: UnknownImportsArg,

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

/// `--unknown-imports`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnknownImportsArg {
    Reject,
    Trap,
    Default,
}

impl From<UnknownImportsArg> for UnknownImports {
    fn from(a: UnknownImportsArg) -> UnknownImports {
        match a {
            UnknownImportsArg::Reject => UnknownImports::Reject,
            UnknownImportsArg::Trap => UnknownImports::Trap,
            UnknownImportsArg::Default => UnknownImports::Default,
        }
    }
}

/// How `--profile` exposes the guest's code to a profiler.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Profile {
    /// Linux perf's `/tmp/perf-<pid>.map` symbol file.
    Perfmap,
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

/// What the guest of `run` (and `snapshot`) is given: MODULE and ARGS as
/// argv, `--env`, the granted directories (the current one read-only as
/// `.` when none is), the host's standard streams and the limits.
pub(super) fn guest_spec(a: &RunArgs) -> Result<GuestSpec> {
    let mut spec = GuestSpec::new(a.module_path().to_string_lossy())
        .args(a.args.iter().cloned())
        .inherit_stdio()
        .memory_limit(a.max_memory.map(memory_limit_bytes).transpose()?)
        .timeout(Timeout::after(a.timeout))
        .unknown_imports(a.unknown_imports.into());
    for e in &a.envs {
        let (k, v) = parse_env(e)?;
        spec = spec.env(k, v);
    }
    if a.dirs.is_empty() && a.dirs_ro.is_empty() {
        spec = spec.volume(".", ".", Access::ReadOnly);
    }
    for d in &a.dirs {
        let (host, guest) = parse_dir(d);
        spec = spec.volume(host, guest, Access::ReadWrite);
    }
    for d in &a.dirs_ro {
        let (host, guest) = parse_dir(d);
        spec = spec.volume(host, guest, Access::ReadOnly);
    }
    Ok(spec)
}

/// The host `run` and `snapshot` use: `--profile perfmap` besides the cache.
pub(super) fn host(a: &RunArgs) -> Result<Host> {
    let mut opts = a.cache.host_options();
    opts.perf_map |= a.profile == Some(Profile::Perfmap);
    Ok(Host::new(opts)?)
}

fn parse_param(ty: ValType, s: &str) -> Result<Val> {
    Ok(match ty {
        ValType::I32 => Val::I32(
            s.parse::<i64>()
                .ok()
                .and_then(|v| i32::try_from(v).ok().or(u32::try_from(v).ok().map(|u| u as i32)))
                .ok_or_else(|| anyhow!("{s:?} is not an i32"))?,
        ),
        ValType::I64 => Val::I64(
            s.parse::<i64>().or_else(|_| s.parse::<u64>().map(|u| u as i64)).map_err(|_| anyhow!("{s:?} is not an i64"))?,
        ),
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
    session::on_guest_thread("guest", move || execute(&a, snapshot.as_ref()))?
}

fn execute(a: &RunArgs, snapshot: Option<&snapshot::Snapshot>) -> Result<i32> {
    let host = host(a)?;
    let path = a.module_path();
    let shown = path.display().to_string();
    let spec = guest_spec(a)?;
    spec.check_volumes()?;
    let module = host.load(path)?;
    if let Some(s) = snapshot {
        let bytes = std::fs::read(path).with_context(|| format!("cannot read {shown}"))?;
        s.check_module(&objcache::wasm_sha256(&bytes)).with_context(|| format!("cannot restore the snapshot into {shown}"))?;
    }
    // Arguments for --invoke are checked before anything runs.
    let invoke = match &a.invoke {
        None => None,
        Some(name) => Some((name.as_str(), invoke_params(&module, name, &a.args, &shown)?)),
    };
    let mut session = Session::new(&host, &module, spec)?;
    let start = match snapshot {
        Some(s) => Start::Restore { snapshot: s, libraries: None },
        None => Start::Fresh,
    };
    let timeout = a.timeout.map(|t| t.as_secs_f64());
    if let Err(outcome) = session.start(start) {
        return exit_status(&shown, timeout, outcome);
    }
    let outcome = match invoke {
        None => match session.func("_start") {
            Ok(f) => session.call_func(f, "_start", &[]),
            Err(_) => bail!("{shown} exports no `_start` (use --invoke NAME to call another export)"),
        },
        Some((name, params)) => {
            // A reactor is initialised before any of its exports is used.
            if snapshot.is_none() && module.export("_initialize").is_some() {
                let init = session.call("_initialize", &[]);
                if !init.succeeded() {
                    return exit_status(&shown, timeout, init);
                }
            }
            let outcome = session.call(name, &params);
            if let Outcome::Returned(results) = &outcome {
                for r in results {
                    println!("{}", show(r));
                }
            }
            outcome
        }
    };
    exit_status(&shown, timeout, outcome)
}

/// The parameters of `--invoke NAME ARGS...`, parsed by the export's type.
fn invoke_params(module: &engine::Module, name: &str, args: &[String], shown: &str) -> Result<Vec<Val>> {
    let export = module.export(name).filter(|e| e.kind == engine::ExternKind::Func);
    let ty = export
        .and_then(|e| module.info().functions.get(e.index as usize))
        .and_then(|t| module.info().types.get(*t as usize))
        .ok_or_else(|| anyhow!("{shown} has no exported function `{name}`"))?;
    if ty.params.len() != args.len() {
        bail!("`{name}` takes {} parameters, {} given", ty.params.len(), args.len());
    }
    ty.params.iter().zip(args).map(|(t, s)| parse_param(*t, s)).collect()
}
