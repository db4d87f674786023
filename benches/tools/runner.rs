//! One runtime, one operation, outside criterion: for peak RSS
//! (`benches/compare.sh` runs it under `/usr/bin/time -v`) and for
//! profiling a single operation with perf or callgrind. It uses the
//! benchmark's own setup (`benches/support`): compiled modules from the
//! cache files `cargo bench --bench runtimes` writes (run that first).
//!
//!     bench-runner RUNTIME run [GUEST_ARGS...]   python3.wasm GUEST_ARGS (default /bench/hello.py)
//!     bench-runner RUNTIME load N                load the cached module N times
//!     bench-runner RUNTIME instantiate N         N instances (created and dropped)
//!     bench-runner RUNTIME kernel NAME N         N calls of a C kernel's bench()
//!     bench-runner RUNTIME prepare               compile python3.wasm and write the cache file
//!
//! For instruction counts: `valgrind --tool=callgrind` (the caches must then
//! be compiled under valgrind too, whose CPU lacks AVX-512: use another
//! FAASM_BENCH_OUT, `valgrind --tool=none bench-runner RUNTIME prepare`, and
//! BENCH_WASMTIME_POOLING=0 for every wasmtime run under valgrind).
//! RUNTIME is `faasm-engine` or `wasmtime`. `run` prints the guest's
//! output and exits with its code.

#[path = "../support/mod.rs"]
mod support;

use support::{faasm, fatal, wasmtime_rt, Paths};

const USAGE: &str =
    "usage: bench-runner faasm-engine|wasmtime run [GUEST_ARGS...] | load N | instantiate N | kernel NAME N | prepare";

fn count(s: Option<&String>) -> u64 {
    s.and_then(|s| s.parse().ok()).unwrap_or_else(|| fatal(USAGE))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let worker = std::thread::Builder::new().stack_size(support::THREAD_STACK).spawn(move || run(&args));
    match worker.map(|h| h.join()) {
        Ok(Ok(code)) => std::process::exit(code),
        _ => fatal("the runner thread failed"),
    }
}

fn run(args: &[String]) -> i32 {
    let (Some(rt), Some(op)) = (args.first(), args.get(1)) else { fatal(USAGE) };
    let faasm = match rt.as_str() {
        "faasm-engine" => true,
        "wasmtime" => false,
        _ => fatal(USAGE),
    };
    let paths = Paths::new();
    match op.as_str() {
        "run" => {
            let guest: Vec<&str> =
                if args.len() > 2 { args[2..].iter().map(String::as_str).collect() } else { vec!["/bench/hello.py"] };
            let argv: Vec<&str> = std::iter::once("python3.wasm").chain(guest).collect();
            let preopens = paths.preopens();
            let out = if faasm {
                let e = faasm::engine();
                let m = faasm::load(&e, &paths.faasm_artifact());
                faasm::Python::new(&e, m).run(&argv, &preopens)
            } else {
                let e = wasmtime_rt::engine();
                let m = wasmtime_rt::load(&e, &paths.wasmtime_artifact());
                wasmtime_rt::Python::new(&e, &m).run(&argv, &preopens)
            };
            print!("{}", out.stdout);
            eprint!("{}", out.stderr);
            out.exit_code
        }
        "load" => {
            let n = count(args.get(2));
            if faasm {
                let e = faasm::engine();
                for _ in 0..n {
                    drop(faasm::load(&e, &paths.faasm_artifact()));
                }
            } else {
                let e = wasmtime_rt::engine();
                let linker = wasmtime_rt::linker(&e);
                for _ in 0..n {
                    let m = wasmtime_rt::load(&e, &paths.wasmtime_artifact());
                    drop(wasmtime_rt::pre(&linker, &m));
                }
            }
            0
        }
        "instantiate" => {
            let n = count(args.get(2));
            if faasm {
                let e = faasm::engine();
                let py = faasm::Python::new(&e, faasm::load(&e, &paths.faasm_artifact()));
                for _ in 0..n {
                    py.instantiate_only();
                }
            } else {
                let e = wasmtime_rt::engine();
                let py = wasmtime_rt::Python::new(&e, &wasmtime_rt::load(&e, &paths.wasmtime_artifact()));
                for _ in 0..n {
                    py.instantiate_only();
                }
            }
            0
        }
        "prepare" => {
            let wasm = paths.read_python();
            if faasm {
                let e = faasm::engine();
                let m = faasm::compile(&e, &wasm);
                faasm::write_artifact(&e, &m, &wasm, &paths.faasm_artifact());
            } else {
                let e = wasmtime_rt::engine();
                wasmtime_rt::write_artifact(&wasmtime_rt::compile(&e, &wasm), &paths.wasmtime_artifact());
            }
            0
        }
        "kernel" => {
            let name = args.get(2).unwrap_or_else(|| fatal(USAGE));
            let n = count(args.get(3));
            let spec =
                support::KERNELS.iter().find(|k| k.name == name).unwrap_or_else(|| fatal(format_args!("no kernel {name}")));
            let wasm = support::kernel_wasm(&paths, name).unwrap_or_else(|| fatal("clang-19 is not installed"));
            let mut sum = 0u32;
            if faasm {
                let mut k = faasm::Kernel::new(&faasm::engine(), &wasm);
                for _ in 0..n {
                    sum ^= k.call(spec.n);
                }
            } else {
                let mut k = wasmtime_rt::Kernel::new(&wasmtime_rt::engine(), &wasm);
                for _ in 0..n {
                    sum ^= k.call(spec.n);
                }
            }
            println!("{sum:#x}");
            0
        }
        _ => fatal(USAGE),
    }
}
