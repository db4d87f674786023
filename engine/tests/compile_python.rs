//! Stages 3-4 on the real workload: all of CPython's 11,448 functions
//! (`workload/python3.wasm`, fetched by `scripts/fetch-python.sh`) compile,
//! in parallel and sequentially, to byte-identical code (compilation is
//! deterministic, so the on-disk cache can rely on it).
//!
//! Ignored by default because it needs the workload file and takes a while
//! in debug builds: `cargo test -p engine --test compile_python -- --ignored`.

use engine::compile::{compile_module, host_isa, OptLevel};
use std::path::PathBuf;
use std::time::Instant;

fn python_wasm() -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../workload/python3.wasm");
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e} (run scripts/fetch-python.sh first)", path.display()))
}

#[test]
#[ignore = "needs workload/python3.wasm; slow in debug builds"]
fn python_compiles_deterministically() {
    let wasm = python_wasm();
    let info = engine::parse::parse(&wasm).expect("parse");
    engine::validate::validate(&info, &wasm).expect("validate");
    let isa = host_isa(OptLevel::Speed).expect("isa");
    let t = Instant::now();
    let parallel = compile_module(&*isa, &info, &wasm, true).expect("parallel compile");
    println!(
        "{} functions, {} bytes of code, {} trap sites, parallel compile {:?}",
        parallel.functions.len(),
        parallel.code.len(),
        parallel.traps.len(),
        t.elapsed()
    );
    assert_eq!(parallel.functions.len(), info.num_defined_funcs() as usize);
    let sequential = compile_module(&*isa, &info, &wasm, false).expect("sequential compile");
    assert!(parallel == sequential && parallel.code == sequential.code, "compilation is not deterministic");
}
