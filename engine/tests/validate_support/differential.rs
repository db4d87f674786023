//! The differential check of parse + validate against wasmparser, shared
//! by the bounded test (`engine/tests/validate_fuzz.rs`, through
//! `validate_support`) and the cargo-fuzz target
//! (`fuzz/fuzz_targets/validate.rs`, through `#[path]`). It needs only
//! `engine`, `wasmparser` and `wasm-smith`, which both crates have.

#![allow(dead_code)]

/// wasm-smith restricted to exactly WebAssembly 2.0 + SIMD.
pub fn config_2_0(allow_invalid_funcs: bool) -> wasm_smith::Config {
    wasm_smith::Config {
        simd_enabled: true,
        relaxed_simd_enabled: false,
        threads_enabled: false,
        shared_everything_threads_enabled: false,
        tail_call_enabled: false,
        exceptions_enabled: false,
        gc_enabled: false,
        memory64_enabled: false,
        extended_const_enabled: false,
        custom_page_sizes_enabled: false,
        wide_arithmetic_enabled: false,
        compact_imports_enabled: false,
        custom_descriptors_enabled: false,
        reference_types_enabled: true,
        bulk_memory_enabled: true,
        multi_value_enabled: true,
        saturating_float_to_int_enabled: true,
        sign_extension_ops_enabled: true,
        max_memories: 1,
        max_tables: 4,
        allow_invalid_funcs,
        ..wasm_smith::Config::default()
    }
}

/// Turns on one proposal beyond 2.0 + SIMD (`which` modulo 8 picks it):
/// modules using it must be rejected exactly when wasmparser rejects them.
pub fn enable_one_beyond_2_0(c: &mut wasm_smith::Config, which: usize) {
    match which % 8 {
        0 => c.threads_enabled = true,
        1 => c.tail_call_enabled = true,
        2 => c.exceptions_enabled = true,
        3 => c.gc_enabled = true,
        4 => c.memory64_enabled = true,
        5 => c.max_memories = 4,
        6 => c.relaxed_simd_enabled = true,
        _ => c.extended_const_enabled = true,
    }
}

/// The feature set both validators implement: WebAssembly 2.0, which in
/// wasmparser includes fixed-width SIMD, plus the parts of 3.0 the engine
/// implements (extended constant expressions, typed function references,
/// tail calls, relaxed SIMD).
pub fn oracle_features() -> wasmparser::WasmFeatures {
    use wasmparser::WasmFeatures as F;
    F::WASM2 | F::EXTENDED_CONST | F::FUNCTION_REFERENCES | F::TAIL_CALL | F::RELAXED_SIMD
}

/// wasmparser's verdict, corrected for its known gaps with respect to
/// WebAssembly 2.0 (see [`oracle_gap`]).
pub fn oracle(bytes: &[u8]) -> Result<(), String> {
    let mut v = wasmparser::Validator::new_with_features(oracle_features());
    v.validate_all(bytes).map_err(|e| format!("{e}"))?;
    match oracle_gap(bytes) {
        Some(gap) => Err(format!("wasmparser accepts, but {gap}")),
        None => Ok(()),
    }
}

/// Constructs wasmparser 0.254 accepts even with only the 2.0 features
/// enabled, but which are not WebAssembly 2.0:
/// * an import of kind 0x20 (an "exact" function import of the
///   custom-descriptors proposal) is not feature-gated; in 2.0 that byte
///   is a malformed import kind.
pub fn oracle_gap(bytes: &[u8]) -> Option<&'static str> {
    let mut parser = wasmparser::Parser::new(0);
    parser.set_features(oracle_features());
    for payload in parser.parse_all(bytes) {
        if let Ok(wasmparser::Payload::ImportSection(reader)) = payload {
            for import in reader.into_imports().flatten() {
                if let wasmparser::TypeRef::FuncExact(_) = import.ty {
                    return Some("exact function imports are not WebAssembly 2.0");
                }
            }
        }
    }
    None
}

/// Our verdict: parse + validate (panics propagate).
pub fn ours_verdict(bytes: &[u8]) -> Result<(), engine::Error> {
    let info = engine::parse::parse(bytes)?;
    engine::validate::validate(&info, bytes)
}
