//! faasm-engine against wasmtime, side by side, on python3.wasm and on a few
//! C kernels (GitHub issue 5). Every workload is measured for both runtimes
//! in the same run; `benches/compare.sh` turns the results into one table.
//!
//! Benchmark ids are `GROUP/RUNTIME` with RUNTIME `faasm-engine` or
//! `wasmtime`:
//!
//! | group | what is timed |
//! |-------|---------------|
//! | `compile` | python3.wasm compiled from scratch (timed by this harness, see below) |
//! | `load` | the compiled python3.wasm loaded from its cache file until ready to instantiate (again: the file's checksum was verified by an earlier load of the process) |
//! | `load-first` | the same as a process's first load: the file's verification is remembered from an earlier process of this boot (objcache's memo) |
//! | `load-verify` | the same as the first load of the file in a boot (or after it changed): the whole-file checksum is read and the memo written |
//! | `instantiate` | one instance: store, WASI context, memory, tables, data segments, teardown |
//! | `hello` | `python3.wasm hello.py` in process: instantiate, run `_start` to exit |
//! | `py-NAME` | a pyperformance program's benchmark function, timed inside the guest |
//! | `kernel-NAME` | one call of a C kernel's `bench(n)` |
//!
//! Compiling python3.wasm takes tens of seconds per runtime, and criterion
//! insists on at least 10 samples, so `compile` is timed by the harness
//! itself (`BENCH_COMPILE_RUNS` runs, default 1, the fastest kept) and
//! written to `$FAASM_BENCH_OUT/compile.tsv`; `BENCH_COMPILE_RUNS=0` skips
//! it (the compiled-module caches are then built once, untimed, if missing).
//!
//! The Python programs run through `benches/python/run.py` and the pyperf
//! shim: the guest times `loops` calls of the benchmark function with its
//! monotonic clock and prints the seconds, which is what criterion records
//! (`iter_custom`); interpreter start-up and imports are not in it.
//!
//! Environment: `BENCH_QUICK=1` (the default) keeps samples few and short
//! for shared 2-core machines, `BENCH_QUICK=0` measures longer. Usual
//! criterion filters work: `cargo bench --bench runtimes -- py-`.

#[path = "support/mod.rs"]
mod support;

use criterion::{Criterion, SamplingMode};
use std::time::Duration;
use support::{faasm, fatal, wasmtime_rt, Paths};

const FAASM: &str = "faasm-engine";
const WASMTIME: &str = "wasmtime";

fn quick() -> bool {
    std::env::var("BENCH_QUICK").map(|v| v != "0").unwrap_or(true)
}

fn env_u64(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => v.parse().unwrap_or_else(|_| fatal(format_args!("{name}={v:?} is not a number"))),
        Err(_) => default,
    }
}

/// Group settings: few samples, flat sampling (each sample the same number
/// of iterations; linear sampling would run long workloads up to 10x).
fn configure(g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>, long: bool) {
    let (samples, warm, meas) = match (quick(), long) {
        (true, false) => (10, 0.3, 1.0),
        (true, true) => (10, 0.1, 1.0),
        (false, false) => (30, 1.0, 5.0),
        (false, true) => (20, 0.5, 8.0),
    };
    g.sample_size(samples)
        .warm_up_time(Duration::from_secs_f64(warm))
        .measurement_time(Duration::from_secs_f64(meas))
        .sampling_mode(SamplingMode::Flat);
}

/// The two runtimes' python3.wasm, compiled (and timed) or loaded from the
/// caches.
struct Pythons {
    faasm_engine: engine::Engine,
    wasmtime_engine: wasmtime::Engine,
    faasm: faasm::Python,
    wasmtime: wasmtime_rt::Python,
}

fn compile_and_cache(paths: &Paths, c_filter: &Filter) -> Pythons {
    let fe = faasm::engine();
    let we = wasmtime_rt::engine();
    let runs = env_u64("BENCH_COMPILE_RUNS", 1);
    // A stale artifact (another engine build) is rebuilt rather than fatal.
    let need_faasm = objcache::read_artifact(&fe, &paths.faasm_artifact()).is_err();
    let need_wasmtime = !paths.wasmtime_artifact().is_file();
    let timed = runs > 0 && c_filter.matches("compile");
    if timed || need_faasm || need_wasmtime {
        let wasm = paths.read_python();
        let mut rows = Vec::new();
        if timed || need_faasm {
            let mut best = Duration::MAX;
            for _ in 0..runs.max(1) {
                let (m, t) = support::time(|| faasm::compile(&fe, &wasm));
                best = best.min(t);
                faasm::write_artifact(&fe, &m, &wasm, &paths.faasm_artifact());
            }
            eprintln!("compile/{FAASM}: {:.3} s (best of {})", best.as_secs_f64(), runs.max(1));
            rows.push((FAASM, best));
        }
        if timed || need_wasmtime {
            let mut best = Duration::MAX;
            for _ in 0..runs.max(1) {
                let (m, t) = support::time(|| wasmtime_rt::compile(&we, &wasm));
                best = best.min(t);
                wasmtime_rt::write_artifact(&m, &paths.wasmtime_artifact());
            }
            eprintln!("compile/{WASMTIME}: {:.3} s (best of {})", best.as_secs_f64(), runs.max(1));
            rows.push((WASMTIME, best));
        }
        if timed {
            let _ = std::fs::create_dir_all(&paths.out);
            let text: String = rows.iter().map(|(rt, d)| format!("compile\t{rt}\t{:.9}\t{}\n", d.as_secs_f64(), runs)).collect();
            if let Err(e) = std::fs::write(paths.out.join("compile.tsv"), text) {
                fatal(format_args!("{}: {e}", paths.out.join("compile.tsv").display()));
            }
        }
    }
    let fm = faasm::load(&fe, &paths.faasm_artifact());
    let wm = wasmtime_rt::load(&we, &paths.wasmtime_artifact());
    Pythons {
        faasm: faasm::Python::new(&fe, fm),
        wasmtime: wasmtime_rt::Python::new(&we, &wm),
        faasm_engine: fe,
        wasmtime_engine: we,
    }
}

/// The command line's filter (criterion's first free argument), applied
/// before expensive setup for groups whose benchmarks would all be skipped
/// anyway. Conservative: anything that looks like a regex matches all.
struct Filter(Option<String>);

impl Filter {
    fn from_args() -> Filter {
        // criterion's options that take a value (the value is not the filter).
        const WITH_VALUE: &[&str] = &[
            "--profile-time",
            "--save-baseline",
            "-s",
            "--baseline",
            "-b",
            "--load-baseline",
            "--sample-size",
            "--warm-up-time",
            "--measurement-time",
            "--nresamples",
            "--noise-threshold",
            "--confidence-level",
            "--significance-level",
            "--plotting-backend",
            "--output-format",
            "--color",
            "-c",
            "--format",
        ];
        let mut args = std::env::args().skip(1);
        while let Some(a) = args.next() {
            if WITH_VALUE.contains(&a.as_str()) {
                args.next();
            } else if !a.starts_with('-') {
                return Filter(Some(a));
            }
        }
        Filter(None)
    }
    fn matches(&self, group: &str) -> bool {
        let Some(f) = &self.0 else { return true };
        if f.contains(|c: char| "^$.*+?()[]{}|\\".contains(c)) {
            return true;
        }
        [FAASM, WASMTIME].iter().any(|rt| format!("{group}/{rt}").contains(f.as_str()))
    }
}

/// wasmtime's load: `deserialize_file` and the pre-resolved imports (it
/// verifies no checksum, so `load`, `load-first` and `load-verify` are alike).
fn bench_wasmtime_load(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    we: &wasmtime::Engine,
    paths: &Paths,
) {
    let linker = wasmtime_rt::linker(we);
    g.bench_function(WASMTIME, |b| {
        b.iter(|| {
            let m = wasmtime_rt::load(we, &paths.wasmtime_artifact());
            wasmtime_rt::pre(&linker, &m)
        })
    });
}

/// One load group: faasm-engine's load of the python3.wasm artifact, with
/// `before` run untimed before each load (what the process, or the boot,
/// is made to have forgotten: the benchmark's stand-in, not part of a
/// load), beside wasmtime's load.
fn bench_load(c: &mut Criterion, group: &str, py: &Pythons, paths: &Paths, before: fn(&std::path::Path)) {
    let mut g = c.benchmark_group(group);
    configure(&mut g, false);
    let artifact = paths.faasm_artifact();
    g.bench_function(FAASM, |b| {
        b.iter_batched(|| before(&artifact), |()| faasm::load(&py.faasm_engine, &artifact), criterion::BatchSize::PerIteration)
    });
    bench_wasmtime_load(&mut g, &py.wasmtime_engine, paths);
    g.finish();
}

/// Waits until the file at `path` last changed `objcache::verified::SETTLED`
/// ago (plus a margin), so that its verification can be remembered.
fn settle(path: &std::path::Path) {
    let changed = std::fs::metadata(path).and_then(|m| m.modified()).ok();
    let age = changed.and_then(|t| t.elapsed().ok()).unwrap_or_default();
    let wanted = objcache::verified::SETTLED + std::time::Duration::from_millis(500);
    if let Some(wait) = wanted.checked_sub(age) {
        std::thread::sleep(wait);
    }
}

fn bench_python(c: &mut Criterion, paths: &Paths, filter: &Filter) {
    let py = compile_and_cache(paths, filter);

    // Loads from the cache until ready to instantiate. A freshly written
    // artifact is verified at every load, never remembered: wait until it
    // has settled, as any artifact has on a real warm start.
    settle(&paths.faasm_artifact());
    // b''. loaded again in the process: the process remembers the file
    // verified.
    bench_load(c, "load", &py, paths, |_| {});
    // b. a process's first load: nothing verified in memory, but the memo
    // of an earlier process in this boot vouches for the unchanged file
    // (objcache::verified), so the checksum is not read.
    bench_load(c, "load-first", &py, paths, |_| objcache::forget_verified());
    // b'. the file's first load in a boot (or after it changed): the
    // whole-file checksum is read, and the memo written.
    bench_load(c, "load-verify", &py, paths, faasm::forget_verified);

    // c. instantiate, per instance.
    {
        let mut g = c.benchmark_group("instantiate");
        configure(&mut g, false);
        g.bench_function(FAASM, |b| b.iter(|| py.faasm.instantiate_only()));
        g.bench_function(WASMTIME, |b| b.iter(|| py.wasmtime.instantiate_only()));
        g.finish();
    }

    // d. hello.py end to end in process.
    {
        let preopens = paths.preopens();
        let argv = ["python3.wasm", "/bench/hello.py"];
        for (rt, out) in [(FAASM, py.faasm.run(&argv, &preopens)), (WASMTIME, py.wasmtime.run(&argv, &preopens))] {
            if out.exit_code != 0 || out.stdout.trim() != "Hello, world!" {
                fatal(format_args!("{rt}: hello.py printed {:?} (stderr {:?}), exit {}", out.stdout, out.stderr, out.exit_code));
            }
        }
        let mut g = c.benchmark_group("hello");
        configure(&mut g, false);
        g.bench_function(FAASM, |b| b.iter(|| py.faasm.run(&argv, &preopens)));
        g.bench_function(WASMTIME, |b| b.iter(|| py.wasmtime.run(&argv, &preopens)));
        g.finish();
    }

    // e. pyperformance programs, timed inside the guest.
    if !paths.pyperformance.is_dir() {
        eprintln!(
            "bench: {} is missing (run `bash scripts/fetch-pyperformance.sh`); skipping the Python workloads",
            paths.pyperformance.display()
        );
        return;
    }
    let preopens = paths.preopens();
    for w in support::py_workloads(paths) {
        let group = format!("py-{}", w.name);
        if !filter.matches(&group) {
            continue;
        }
        let mut g = c.benchmark_group(group.as_str());
        configure(&mut g, true);
        type Runner<'a> = Box<dyn Fn(&[&str]) -> support::RunOutput + 'a>;
        let runners: [(&str, Runner<'_>); 2] = [
            (FAASM, Box::new(|argv: &[&str]| py.faasm.run(argv, &preopens))),
            (WASMTIME, Box::new(|argv: &[&str]| py.wasmtime.run(argv, &preopens))),
        ];
        for (rt, run) in &runners {
            let w = w.clone();
            g.bench_function(*rt, |b| {
                b.iter_custom(|iters| {
                    let argv = w.argv(w.loops * iters);
                    let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
                    let out = run(&argv);
                    match (out.exit_code, out.shim_seconds(&w.name)) {
                        (0, Some(s)) => Duration::from_secs_f64(s),
                        _ => fatal(format_args!(
                            "{rt} {}: no timing line (exit {}); stdout {:?}; stderr {:?}",
                            w.name, out.exit_code, out.stdout, out.stderr
                        )),
                    }
                })
            });
        }
        g.finish();
    }
}

fn bench_kernels(c: &mut Criterion, paths: &Paths, filter: &Filter) {
    let fe = faasm::engine();
    let we = wasmtime_rt::engine();
    for k in support::KERNELS {
        let group = format!("kernel-{}", k.name);
        if !filter.matches(&group) {
            continue;
        }
        let Some(wasm) = support::kernel_wasm(paths, k.name) else {
            eprintln!("bench: clang-19 not found (bash scripts/setup-clang.sh); skipping the C kernels");
            return;
        };
        let mut fk = faasm::Kernel::new(&fe, &wasm);
        let mut wk = wasmtime_rt::Kernel::new(&we, &wasm);
        let (a, b) = (fk.call(k.n), wk.call(k.n));
        if a != b {
            fatal(format_args!("kernel {}: faasm-engine returned {a:#x}, wasmtime {b:#x}", k.name));
        }
        let mut g = c.benchmark_group(group.as_str());
        configure(&mut g, false);
        g.bench_function(FAASM, |b| b.iter(|| fk.call(k.n)));
        g.bench_function(WASMTIME, |b| b.iter(|| wk.call(k.n)));
        g.finish();
    }
}

fn main() {
    // Criterion runs on a thread with the CLI's guest stack, so deep Python
    // recursion meets the wasm stack limit, not the thread's guard page.
    let worker = std::thread::Builder::new().name("bench".into()).stack_size(support::THREAD_STACK).spawn(|| {
        let paths = Paths::new();
        let filter = Filter::from_args();
        let mut c = Criterion::default().configure_from_args();
        let mut python_groups: Vec<String> = ["compile", "load", "instantiate", "hello"].map(String::from).to_vec();
        if paths.pyperformance.is_dir() {
            python_groups.extend(support::py_workloads(&paths).iter().map(|w| format!("py-{}", w.name)));
        }
        if python_groups.iter().any(|g| filter.matches(g)) {
            bench_python(&mut c, &paths, &filter);
        }
        if support::KERNELS.iter().any(|k| filter.matches(&format!("kernel-{}", k.name))) {
            bench_kernels(&mut c, &paths, &filter);
        }
        c.final_summary();
    });
    match worker.map(|h| h.join()) {
        Ok(Ok(())) => {}
        Ok(Err(_)) => fatal("the benchmark thread panicked"),
        Err(e) => fatal(format_args!("cannot start the benchmark thread: {e}")),
    }
}
