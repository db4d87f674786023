//! parse + validate on the real workload, CPython 3.12 for WASI
//! (`workload/python3.wasm`, fetched by the project's setup script): it
//! must be accepted, like wasmparser accepts it, and its `ModuleInfo` must
//! describe all of its functions. Skipped (with a message) when the
//! workload has not been fetched.

mod validate_support;

use std::path::PathBuf;
use std::time::Instant;

#[test]
fn python_workload_validates() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../workload/python3.wasm");
    let Ok(wasm) = std::fs::read(&path) else {
        println!("skipped: {} not present (run the setup script to fetch it)", path.display());
        return;
    };
    let t = Instant::now();
    let info = engine::parse::parse(&wasm).expect("python3.wasm parses");
    let parsed = t.elapsed();
    engine::validate::validate(&info, &wasm).expect("python3.wasm validates");
    let validated = t.elapsed() - parsed;
    let t = Instant::now();
    validate_support::oracle(&wasm).expect("wasmparser accepts python3.wasm");
    let oracle = t.elapsed();
    assert!(info.num_defined_funcs() > 10_000, "{} functions", info.num_defined_funcs());
    assert_eq!(info.bodies.len() as u32, info.num_defined_funcs());
    // Informational only (no timing assertions: machines are noisy).
    println!(
        "python3.wasm: {} functions, parse {parsed:?}, validate {validated:?} (wasmparser: {oracle:?})",
        info.functions.len()
    );
}
