//! Time to restore a Faasm function's snapshot (benches/serve/run.sh):
//! the snapshot of CPython with pyfaasm and FILE imported is taken once,
//! as a function route does at start; then it is restored N times without
//! running anything, through `PythonGuest::time_restore`.
//!
//!     bench-restore PYTHON_DIR FILE.py N [CACHE_DIR]
//!
//! Prints one line of JSON: p50 and p99 in microseconds of the set-up each
//! call builds (WASI, linker, loader), of the restore itself (memory
//! mapped or reset in place, globals, tables, side modules), of their sum,
//! and of dropping the instance.

use faasm::guest::PythonGuest;
use std::path::PathBuf;
use std::time::Duration;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, file, n, rest @ ..] = args.as_slice() else {
        eprintln!("usage: bench-restore PYTHON_DIR FILE.py N [CACHE_DIR]");
        std::process::exit(2);
    };
    let n: usize = n.parse().unwrap_or_else(|e| panic!("N: {e}"));
    let dir = PathBuf::from(dir);
    // CPython's initialisation runs on this thread: give it a guest stack.
    let file = PathBuf::from(file);
    let cache = rest.first().map(PathBuf::from);
    let worker = std::thread::Builder::new().stack_size(faasm::pool::GUEST_STACK).spawn(move || {
        let host =
            session::Host::new(session::HostOptions { cache_dir: cache, ..session::HostOptions::from_env() }).expect("engine");
        let module = host.load(&dir.join("python.wasm")).expect("compiling python.wasm");
        let guest = PythonGuest::new(host, module, dir, &file).expect("guest");
        guest.warm_up().expect("taking the snapshot");
        let mut t: Vec<[Duration; 4]> = Vec::with_capacity(n);
        for _ in 0..n {
            let r = guest.time_restore().expect("restore");
            t.push([r.setup, r.restore, r.setup + r.restore, r.drop]);
        }
        t
    });
    let t = worker.expect("starting the worker").join().expect("the worker failed");
    let pct = |k: usize, p: f64| {
        let mut v: Vec<f64> = t.iter().map(|x| x[k].as_secs_f64() * 1e6).collect();
        v.sort_by(|a, b| a.total_cmp(b));
        v[((v.len() as f64 * p) as usize).min(v.len() - 1)]
    };
    let names = ["setup", "restore", "total", "drop"];
    let fields: Vec<String> = names
        .iter()
        .enumerate()
        .map(|(k, name)| format!("\"{name}_p50_us\": {:.1}, \"{name}_p99_us\": {:.1}", pct(k, 0.5), pct(k, 0.99)))
        .collect();
    println!("{{\"restores\": {n}, {}}}", fields.join(", "));
}
