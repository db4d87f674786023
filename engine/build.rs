//! Compiles the small C helper that does sigsetjmp/siglongjmp around calls
//! into compiled wasm (see src/run/catch.c for why it must be C).
fn main() {
    println!("cargo:rerun-if-changed=src/run/catch.c");
    cc::Build::new().file("src/run/catch.c").opt_level(2).compile("faasm_engine_catch");
}
