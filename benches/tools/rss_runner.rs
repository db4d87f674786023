//! Runs `python3.wasm hello.py` once, with faasm-engine or with wasmtime,
//! the way the benchmarks do (compiled module from the benchmark's cache
//! file, same configuration), so that `benches/compare.sh` can measure each
//! runtime's peak RSS with `/usr/bin/time -v`. The caches are the ones
//! `cargo bench --bench runtimes` writes; run that first.
//!
//!     bench-rss-runner faasm-engine|wasmtime [SCRIPT]
//!
//! SCRIPT is a path as the guest sees it (default /bench/hello.py). The
//! guest's stdout is printed; the exit code is the guest's.

#[path = "../support/mod.rs"]
mod support;

use support::{faasm, fatal, wasmtime_rt, Paths};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(rt), script) = (args.get(1), args.get(2).map(String::as_str).unwrap_or("/bench/hello.py")) else {
        fatal("usage: bench-rss-runner faasm-engine|wasmtime [SCRIPT]");
    };
    let rt = rt.clone();
    let script = script.to_string();
    let worker = std::thread::Builder::new().stack_size(support::THREAD_STACK).spawn(move || {
        let paths = Paths::new();
        let argv = ["python3.wasm", script.as_str()];
        let preopens = paths.preopens();
        match rt.as_str() {
            "faasm-engine" => {
                let e = faasm::engine();
                let m = faasm::load(&e, &paths.faasm_artifact());
                faasm::Python::new(&e, m).run(&argv, &preopens)
            }
            "wasmtime" => {
                let e = wasmtime_rt::engine();
                let m = wasmtime_rt::load(&e, &paths.wasmtime_artifact());
                wasmtime_rt::Python::new(&e, &m).run(&argv, &preopens)
            }
            other => fatal(format_args!("unknown runtime {other:?}")),
        }
    });
    let out = match worker.map(|h| h.join()) {
        Ok(Ok(out)) => out,
        _ => fatal("the runner thread failed"),
    };
    print!("{}", out.stdout);
    eprint!("{}", out.stderr);
    std::process::exit(out.exit_code);
}
