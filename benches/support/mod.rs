//! What the benchmarks (`benches/runtimes.rs`) and the peak-RSS runner
//! (`benches/runner.rs`) share: where the workloads are, and the same few
//! operations done once with faasm-engine and once with wasmtime, each in
//! its fastest configuration for running python3.wasm:
//!
//! * faasm-engine: `engine` + `hostabi` in process (what `faasm-engine run`
//!   does), compiled code from an objcache artifact (mapped and executed in
//!   place);
//! * wasmtime 48: compiled module from `Module::serialize` loaded with
//!   `Module::deserialize_file` (mapped), the pooling instance allocator with
//!   copy-on-write memory images, an `InstancePre` so that instantiation does
//!   no name resolution, and `wasmtime-wasi`'s preview1 over the same
//!   arguments, directories and pipes.
//!
//! Both get the same 16 MiB wasm stack limit and run on a thread with a
//! 64 MiB native stack, like the CLI.
//!
//! Harness failures (a missing workload, a guest that does not print its
//! timing line) end the process with a message: a benchmark that silently
//! measured the wrong thing would be worse.

#![allow(dead_code)] // each of the two binaries uses a different part

use std::fs::File;
use std::io::Read;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Native stack of the thread the benchmarks run on (as the CLI's guest thread).
pub const THREAD_STACK: usize = 64 << 20;
/// The wasm stack limit given to both engines (as the CLI's).
pub const WASM_STACK: usize = 16 << 20;

/// Prints `msg` and ends the process: the harness cannot go on.
pub fn fatal(msg: impl std::fmt::Display) -> ! {
    eprintln!("bench: {msg}");
    std::process::exit(2)
}

/// Where everything is.
#[derive(Clone, Debug)]
pub struct Paths {
    /// The repository root (the root package's directory).
    pub root: PathBuf,
    /// `workload/python3.wasm` (scripts/fetch-python.sh).
    pub python_wasm: PathBuf,
    /// `benches/python`: hello.py, the pyperf shim, run.py, workloads.txt;
    /// the guest sees it as `/bench`.
    pub bench_py: PathBuf,
    /// `workload/pyperformance` (scripts/fetch-pyperformance.sh); the
    /// guest sees it as `/pyperformance`.
    pub pyperformance: PathBuf,
    /// `benches/kernels`: the C kernels' sources.
    pub kernels_src: PathBuf,
    /// Build products of the harness: kernels' wasm, compiled-module caches,
    /// results the harness times itself (compile).
    pub out: PathBuf,
}

impl Paths {
    pub fn new() -> Paths {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root.join("target"));
        let out = std::env::var_os("FAASM_BENCH_OUT").map(PathBuf::from).unwrap_or_else(|| target.join("faasm-bench"));
        Paths {
            python_wasm: root.join("workload/python3.wasm"),
            bench_py: root.join("benches/python"),
            pyperformance: root.join("workload/pyperformance"),
            kernels_src: root.join("benches/kernels"),
            out,
            root,
        }
    }

    /// The objcache artifact of python3.wasm (faasm-engine's compiled module).
    pub fn faasm_artifact(&self) -> PathBuf {
        self.out.join("cache/python3.faasmobj")
    }

    /// wasmtime's serialized python3.wasm.
    pub fn wasmtime_artifact(&self) -> PathBuf {
        self.out.join("cache/python3.cwasm")
    }

    /// The guest's directories: `/bench` and, when fetched, `/pyperformance`.
    pub fn preopens(&self) -> Vec<(PathBuf, &'static str)> {
        let mut v = vec![(self.bench_py.clone(), "/bench")];
        if self.pyperformance.is_dir() {
            v.push((self.pyperformance.clone(), "/pyperformance"));
        }
        v
    }

    pub fn read_python(&self) -> Vec<u8> {
        std::fs::read(&self.python_wasm).unwrap_or_else(|e| {
            fatal(format_args!("cannot read {} ({e}); run `bash scripts/fetch-python.sh` first", self.python_wasm.display()))
        })
    }
}

/// `BENCH_PERF_MAP=1`: name JIT code for perf (both runtimes).
pub fn perf_map_wanted() -> bool {
    std::env::var_os("BENCH_PERF_MAP").is_some_and(|v| v == "1")
}

/// What a guest run printed and how it ended.
#[derive(Debug)]
pub struct RunOutput {
    pub exit_code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl RunOutput {
    /// The seconds reported by the pyperf shim's line for benchmark `name`.
    pub fn shim_seconds(&self, name: &str) -> Option<f64> {
        self.stdout.lines().find_map(|l| {
            let rest = l.strip_prefix("PYPERF_SHIM ")?;
            let mut it = rest.split_whitespace();
            if it.next()? != name {
                return None;
            }
            it.find_map(|f| f.strip_prefix("seconds="))?.parse().ok()
        })
    }
}

/// A pipe whose read end is drained into a string after the guest is done
/// (guest output here is a few lines, far below the pipe buffer).
struct Pipe {
    reader: std::io::PipeReader,
    writer: Option<std::io::PipeWriter>,
}

impl Pipe {
    fn new() -> Pipe {
        let (reader, writer) = std::io::pipe().unwrap_or_else(|e| fatal(format_args!("pipe: {e}")));
        Pipe { reader, writer: Some(writer) }
    }
    fn take_writer(&mut self) -> OwnedFd {
        match self.writer.take() {
            Some(w) => OwnedFd::from(w),
            None => fatal("pipe writer taken twice"),
        }
    }
    /// Reads what was written; every write end must be closed by now.
    fn contents(mut self) -> String {
        let mut s = String::new();
        let _ = self.reader.read_to_string(&mut s);
        s
    }
}

// ---------------------------------------------------------------- faasm-engine

pub mod faasm {
    use super::*;
    use engine::{Config, Engine, Error, Extern, Linker, Module, Store, Val};
    use hostabi::wasi::{Access, Stdio, WasiCtx};

    pub fn engine() -> Engine {
        let config = Config { max_wasm_stack: WASM_STACK, perf_map: perf_map_wanted(), ..Config::default() };
        Engine::new(config).unwrap_or_else(|e| fatal(format_args!("faasm-engine: {e}")))
    }

    /// Compiles from scratch (parse, validate, translate, compile).
    pub fn compile(engine: &Engine, wasm: &[u8]) -> Module {
        Module::new(engine, wasm).unwrap_or_else(|e| fatal(format_args!("faasm-engine compile: {e}")))
    }

    pub fn write_artifact(engine: &Engine, module: &Module, wasm: &[u8], path: &Path) {
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        objcache::write_artifact(engine, module, objcache::wasm_sha256(wasm), path)
            .unwrap_or_else(|e| fatal(format_args!("faasm-engine write artifact: {e}")));
    }

    /// Loads the compiled module from its artifact until it is ready to
    /// instantiate (verified, mapped, executable), as `faasm-engine run
    /// ARTIFACT` does: the artifact's directory is the cache directory that
    /// remembers its verification for later processes.
    pub fn load(engine: &Engine, path: &Path) -> Module {
        let dir = path.parent().unwrap_or(Path::new("."));
        let cache = objcache::Cache::new(dir).unwrap_or_else(|e| fatal(format_args!("faasm-engine cache: {e}")));
        let m = cache.read_artifact(engine, path).unwrap_or_else(|e| fatal(format_args!("faasm-engine load: {e}")));
        if perf_map_wanted() {
            write_code_symbols(&m);
        }
        m
    }

    /// Forgets that the artifact at `path` was verified, in this process
    /// and in its memo: the next load reads the whole file again, as the
    /// first load of the file in a boot does.
    pub fn forget_verified(path: &Path) {
        let dir = path.parent().unwrap_or(Path::new("."));
        objcache::forget_verified();
        objcache::Memo::new(dir, path).forget();
    }

    /// Writes `/tmp/faasm-code-PID.syms` (code offset, length, function
    /// index, name), for benches/tools/perf_symbolize.py: perf attributes
    /// samples in a file-backed mapping (the artifact is executed in place)
    /// to the file by offset, not to the engine's `/tmp/perf-PID.map`
    /// (`Config::perf_map`, which names code by address).
    fn write_code_symbols(m: &Module) {
        let (info, compiled, _) = m.parts();
        let mut by_offset = String::new();
        for (i, r) in compiled.functions.iter().enumerate() {
            let index = info.num_imported_funcs + i as u32;
            let name = info.func_name(index).map(str::to_owned).unwrap_or_else(|| format!("wasm[{index}]"));
            by_offset.push_str(&format!("{:x} {:x} {index} {name}\n", r.offset, r.len));
        }
        let sym_path = format!("/tmp/faasm-code-{}.syms", std::process::id());
        if let Err(e) = std::fs::write(&sym_path, by_offset) {
            fatal(format_args!("{sym_path}: {e}"));
        }
    }

    /// A python3.wasm ready to run: the module, and a linker with WASI
    /// whose state is replaced before each run (hostabi binds host
    /// functions to one shared state).
    pub struct Python {
        pub module: Module,
        engine: Engine,
        linker: Linker,
        state: Arc<Mutex<WasiCtx>>,
    }

    impl Python {
        pub fn new(engine: &Engine, module: Module) -> Python {
            let ctx = WasiCtx::builder().build().unwrap_or_else(|e| fatal(e));
            let state = Arc::new(Mutex::new(ctx));
            let mut linker = Linker::new();
            hostabi::link(&mut linker, &hostabi::wasi::functions::<WasiCtx>(), &state);
            Python { module, engine: engine.clone(), linker, state }
        }

        fn set_wasi(&self, args: &[&str], preopens: &[(PathBuf, &str)], stdout: Stdio, stderr: Stdio) {
            let mut b = WasiCtx::builder().args(args.iter().copied()).stdin(Stdio::Null).stdout(stdout).stderr(stderr);
            for (host, guest) in preopens {
                b = b.preopened_dir(host, *guest, Access::ReadOnly);
            }
            let ctx = b.build().unwrap_or_else(|e| fatal(format_args!("faasm-engine WASI: {e}")));
            match self.state.lock() {
                Ok(mut g) => *g = ctx,
                Err(_) => fatal("WASI state poisoned"),
            }
        }

        /// One instance, dropped at once: store, WASI context, instantiation
        /// (memory, tables, data segments), teardown.
        pub fn instantiate_only(&self) {
            self.set_wasi(&["python3.wasm"], &[], Stdio::Null, Stdio::Null);
            let mut store = Store::new(&self.engine);
            if let Err(e) = self.linker.instantiate(&mut store, &self.module) {
                fatal(format_args!("faasm-engine instantiate: {e}"));
            }
        }

        /// Instantiates and runs `_start` to its exit.
        pub fn run(&self, args: &[&str], preopens: &[(PathBuf, &str)]) -> RunOutput {
            let mut out = Pipe::new();
            let mut err = Pipe::new();
            self.set_wasi(args, preopens, Stdio::Fd(out.take_writer()), Stdio::Fd(err.take_writer()));
            let exit_code = {
                let mut store = Store::new(&self.engine);
                match self.linker.instantiate(&mut store, &self.module) {
                    Ok(instance) => match instance.get_export(&store, "_start") {
                        Some(Extern::Func(f)) => match f.call(&mut store, &[]) {
                            Ok(_) => 0,
                            Err(Error::Trap(t)) => t.exit_code().unwrap_or_else(|| fatal(format_args!("faasm-engine trap: {t}"))),
                            Err(e) => fatal(format_args!("faasm-engine run: {e}")),
                        },
                        _ => fatal("python3.wasm exports no _start"),
                    },
                    Err(e) => fatal(format_args!("faasm-engine instantiate: {e}")),
                }
            };
            // Close the guest's ends of the pipes (they live in the WASI state).
            self.set_wasi(&["python3.wasm"], &[], Stdio::Null, Stdio::Null);
            RunOutput { exit_code, stdout: out.contents(), stderr: err.contents() }
        }
    }

    /// A small module without imports that exports `bench(i32) -> i32`.
    pub struct Kernel {
        store: Store,
        func: engine::Func,
    }

    impl Kernel {
        pub fn new(engine: &Engine, wasm: &[u8]) -> Kernel {
            let module = compile(engine, wasm);
            let mut store = Store::new(engine);
            let instance = Linker::new()
                .instantiate(&mut store, &module)
                .unwrap_or_else(|e| fatal(format_args!("faasm-engine kernel: {e}")));
            let func = instance.get_func(&store, "bench").unwrap_or_else(|| fatal("kernel exports no `bench`"));
            Kernel { store, func }
        }

        pub fn call(&mut self, n: i32) -> u32 {
            match self.func.call(&mut self.store, &[Val::I32(n)]) {
                Ok(v) => match v.first() {
                    Some(Val::I32(x)) => *x as u32,
                    other => fatal(format_args!("kernel returned {other:?}")),
                },
                Err(e) => fatal(format_args!("faasm-engine kernel: {e}")),
            }
        }
    }
}

// -------------------------------------------------------------------- wasmtime

pub mod wasmtime_rt {
    use super::*;
    use wasmtime::{
        Config, Engine, InstanceAllocationStrategy, InstancePre, Linker, Module, PoolingAllocationConfig, Store, TypedFunc,
    };
    use wasmtime_wasi::p1::WasiP1Ctx;
    use wasmtime_wasi::{cli::OutputFile, FsPerms, I32Exit, WasiCtxBuilder};

    pub fn engine() -> Engine {
        let mut pool = PoolingAllocationConfig::new();
        // A handful of slots is all one benchmark process uses; the default
        // 1000 would reserve terabytes of address space for nothing.
        pool.total_core_instances(16).total_memories(16).total_tables(16).table_elements(1 << 16).max_core_instance_size(8 << 20);
        let mut c = Config::new();
        // BENCH_WASMTIME_POOLING=0: on-demand allocation, for valgrind, which
        // cannot reserve the pool's address space.
        if std::env::var_os("BENCH_WASMTIME_POOLING").is_none_or(|v| v != "0") {
            c.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        }
        // wasmtime-wasi turns on wasmtime's `async` feature, which wants the
        // (unused here) async stack above the wasm stack limit.
        c.async_stack_size(WASM_STACK + (1 << 20))
            .max_wasm_stack(WASM_STACK)
            .memory_init_cow(true)
            .parallel_compilation(true)
            .cranelift_opt_level(wasmtime::OptLevel::Speed);
        if perf_map_wanted() {
            c.profiler(wasmtime::ProfilingStrategy::PerfMap);
        }
        Engine::new(&c).unwrap_or_else(|e| fatal(format_args!("wasmtime config: {e:#}")))
    }

    pub fn compile(engine: &Engine, wasm: &[u8]) -> Module {
        Module::new(engine, wasm).unwrap_or_else(|e| fatal(format_args!("wasmtime compile: {e:#}")))
    }

    pub fn write_artifact(module: &Module, path: &Path) {
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let bytes = module.serialize().unwrap_or_else(|e| fatal(format_args!("wasmtime serialize: {e:#}")));
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, bytes)
            .and_then(|_| std::fs::rename(&tmp, path))
            .unwrap_or_else(|e| fatal(format_args!("{}: {e}", path.display())));
    }

    /// The module mapped from its serialized file.
    pub fn load(engine: &Engine, path: &Path) -> Module {
        // SAFETY: the file was written by `write_artifact` above with this
        // same wasmtime build and configuration, and nothing modifies it
        // while it is mapped.
        unsafe { Module::deserialize_file(engine, path) }.unwrap_or_else(|e| fatal(format_args!("wasmtime load: {e:#}")))
    }

    pub fn linker(engine: &Engine) -> Linker<WasiP1Ctx> {
        let mut linker = Linker::new(engine);
        wasmtime_wasi::p1::add_to_linker_sync(&mut linker, |cx| cx)
            .unwrap_or_else(|e| fatal(format_args!("wasmtime WASI: {e:#}")));
        linker
    }

    /// What "ready to instantiate" means for wasmtime: the module and its
    /// pre-resolved imports.
    pub fn pre(linker: &Linker<WasiP1Ctx>, module: &Module) -> InstancePre<WasiP1Ctx> {
        linker.instantiate_pre(module).unwrap_or_else(|e| fatal(format_args!("wasmtime link: {e:#}")))
    }

    pub struct Python {
        pub engine: Engine,
        pub pre: InstancePre<WasiP1Ctx>,
    }

    fn wasi(args: &[&str], preopens: &[(PathBuf, &str)], stdout: Option<OwnedFd>, stderr: Option<OwnedFd>) -> WasiP1Ctx {
        let mut b = WasiCtxBuilder::new();
        b.args(args);
        if let Some(fd) = stdout {
            b.stdout(OutputFile::new(File::from(fd)));
        }
        if let Some(fd) = stderr {
            b.stderr(OutputFile::new(File::from(fd)));
        }
        for (host, guest) in preopens {
            b.preopened_dir(host, guest, FsPerms::ReadOnly).unwrap_or_else(|e| fatal(format_args!("wasmtime preopen: {e:#}")));
        }
        b.build_p1()
    }

    impl Python {
        pub fn new(engine: &Engine, module: &Module) -> Python {
            let linker = linker(engine);
            Python { engine: engine.clone(), pre: pre(&linker, module) }
        }

        pub fn instantiate_only(&self) {
            let mut store = Store::new(&self.engine, wasi(&["python3.wasm"], &[], None, None));
            if let Err(e) = self.pre.instantiate(&mut store) {
                fatal(format_args!("wasmtime instantiate: {e:#}"));
            }
        }

        pub fn run(&self, args: &[&str], preopens: &[(PathBuf, &str)]) -> RunOutput {
            let mut out = Pipe::new();
            let mut err = Pipe::new();
            let exit_code = {
                let ctx = wasi(args, preopens, Some(out.take_writer()), Some(err.take_writer()));
                let mut store = Store::new(&self.engine, ctx);
                let instance =
                    self.pre.instantiate(&mut store).unwrap_or_else(|e| fatal(format_args!("wasmtime instantiate: {e:#}")));
                let start: TypedFunc<(), ()> = instance
                    .get_typed_func(&mut store, "_start")
                    .unwrap_or_else(|e| fatal(format_args!("wasmtime _start: {e:#}")));
                match start.call(&mut store, ()) {
                    Ok(()) => 0,
                    Err(e) => match e.downcast_ref::<I32Exit>() {
                        Some(exit) => exit.0,
                        None => fatal(format_args!("wasmtime trap: {e:#}")),
                    },
                }
            };
            RunOutput { exit_code, stdout: out.contents(), stderr: err.contents() }
        }
    }

    pub struct Kernel {
        store: Store<()>,
        func: TypedFunc<i32, i32>,
    }

    impl Kernel {
        pub fn new(engine: &Engine, wasm: &[u8]) -> Kernel {
            let module = compile(engine, wasm);
            let mut store = Store::new(engine, ());
            let instance = wasmtime::Instance::new(&mut store, &module, &[])
                .unwrap_or_else(|e| fatal(format_args!("wasmtime kernel: {e:#}")));
            let func =
                instance.get_typed_func(&mut store, "bench").unwrap_or_else(|e| fatal(format_args!("wasmtime kernel: {e:#}")));
            Kernel { store, func }
        }

        pub fn call(&mut self, n: i32) -> u32 {
            self.func.call(&mut self.store, n).unwrap_or_else(|e| fatal(format_args!("wasmtime kernel: {e:#}"))) as u32
        }
    }
}

// ------------------------------------------------------------------- workloads

/// One pyperformance program, as listed in benches/python/workloads.txt.
#[derive(Clone, Debug)]
pub struct PyWorkload {
    /// The benchmark name the program reports (and the benchmark's id).
    pub name: String,
    /// Its directory under workload/pyperformance.
    pub dir: String,
    /// Loops of the benchmark function per measured iteration.
    pub loops: u64,
    /// Extra arguments for the program.
    pub args: Vec<String>,
}

impl PyWorkload {
    /// Guest argv for `loops` loops.
    pub fn argv(&self, loops: u64) -> Vec<String> {
        let mut v = vec![
            "python3.wasm".to_string(),
            "/bench/run.py".to_string(),
            loops.to_string(),
            format!("/pyperformance/{}/run_benchmark.py", self.dir),
        ];
        v.extend(self.args.iter().cloned());
        v
    }
}

/// Reads benches/python/workloads.txt: `name dir loops [args...]` per line,
/// `#` comments.
pub fn py_workloads(paths: &Paths) -> Vec<PyWorkload> {
    let file = paths.bench_py.join("workloads.txt");
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| fatal(format_args!("{}: {e}", file.display())));
    let mut v = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split_whitespace().collect();
        let (Some(name), Some(dir), Some(loops)) = (f.first(), f.get(1), f.get(2).and_then(|l| l.parse().ok())) else {
            fatal(format_args!("{}:{}: expected `name dir loops [args...]`", file.display(), i + 1));
        };
        v.push(PyWorkload {
            name: name.to_string(),
            dir: dir.to_string(),
            loops,
            args: f.iter().skip(3).map(|s| s.to_string()).collect(),
        });
    }
    v
}

/// One C kernel: its source and the argument of one measured call.
#[derive(Clone, Debug)]
pub struct KernelSpec {
    pub name: &'static str,
    pub n: i32,
}

/// The kernels, each sized to a few tens of milliseconds per call.
pub const KERNELS: &[KernelSpec] = &[
    KernelSpec { name: "hash", n: 16 },
    KernelSpec { name: "sort", n: 6 },
    KernelSpec { name: "matmul", n: 12 },
    KernelSpec { name: "dispatch", n: 300_000 },
];

/// Compiles `benches/kernels/NAME.c` with clang-19 to wasm (freestanding,
/// exporting `bench`) unless the wasm is newer than the sources; returns
/// the wasm bytes, or None when clang-19 is not installed.
pub fn kernel_wasm(paths: &Paths, name: &str) -> Option<Vec<u8>> {
    let src = paths.kernels_src.join(format!("{name}.c"));
    let header = paths.kernels_src.join("common.h");
    let out = paths.out.join(format!("kernels/{name}.wasm"));
    let mtime = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let fresh = match (mtime(&out), mtime(&src), mtime(&header)) {
        (Some(o), Some(s), Some(h)) => o >= s && o >= h,
        _ => false,
    };
    if !fresh {
        let _ = std::fs::create_dir_all(out.parent()?);
        let status = std::process::Command::new("clang-19")
            .args(["--target=wasm32-unknown-unknown", "-O2", "-nostdlib", "-Wl,--no-entry", "-o"])
            .arg(&out)
            .arg(&src)
            .status();
        match status {
            Ok(s) if s.success() => {}
            Ok(s) => fatal(format_args!("clang-19 failed on {} ({s})", src.display())),
            Err(_) => return None,
        }
    }
    std::fs::read(&out).ok()
}

/// Times `f` once.
pub fn time<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let t = Instant::now();
    let r = f();
    (r, t.elapsed())
}
