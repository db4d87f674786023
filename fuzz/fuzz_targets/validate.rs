//! Differential fuzzing of the engine's parse + validate stages against
//! wasmparser's validator, both restricted to WebAssembly 2.0 + SIMD.
//!
//! The first input byte picks how the rest is used:
//! * even: the bytes are a wasm binary as they are (finds decoding and
//!   robustness bugs; libFuzzer's mutations do the rest),
//! * odd: the bytes drive wasm-smith, configured for 2.0 + SIMD; bits of
//!   the first byte let it emit invalid bodies or one proposal beyond 2.0,
//!   which must then be rejected exactly when wasmparser rejects it.
//!
//! A panic anywhere, or a different valid/invalid verdict, is a crash.
//! The bounded, CI-sized version of this lives in
//! engine/tests/validate_fuzz.rs.

#![no_main]

use arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;

fn smith_config(mode: u8) -> wasm_smith::Config {
    let mut c = wasm_smith::Config {
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
        allow_invalid_funcs: mode & 0b10 != 0,
        ..wasm_smith::Config::default()
    };
    if mode & 0b100 != 0 {
        match (mode >> 3) % 8 {
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
    c
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let bytes = if mode & 1 == 0 {
        rest.to_vec()
    } else {
        let mut u = Unstructured::new(rest);
        match wasm_smith::Module::new(smith_config(mode), &mut u) {
            Ok(m) => m.to_bytes(),
            Err(_) => return,
        }
    };

    let ours =
        engine::parse::parse(&bytes).and_then(|info| engine::validate::validate(&info, &bytes));
    let theirs = wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::WASM2)
        .validate_all(&bytes)
        .map(|_| ());
    // wasmparser 0.254 accepts "exact" function imports (import kind 0x20,
    // custom-descriptors proposal) without that feature; in 2.0 the byte
    // is a malformed import kind, which we reject. Not a disagreement.
    if theirs.is_ok() && has_exact_import(&bytes) {
        assert!(ours.is_err(), "exact function import accepted");
        return;
    }
    assert_eq!(
        ours.is_ok(),
        theirs.is_ok(),
        "verdicts differ\n  ours:       {ours:?}\n  wasmparser: {theirs:?}"
    );

    // Parallel body validation must be deterministic.
    if let Err(first) = &ours {
        let again =
            engine::parse::parse(&bytes).and_then(|info| engine::validate::validate(&info, &bytes));
        assert_eq!(Some(first.to_string()), again.err().map(|e| e.to_string()));
    }
});

fn has_exact_import(bytes: &[u8]) -> bool {
    let mut parser = wasmparser::Parser::new(0);
    parser.set_features(wasmparser::WasmFeatures::WASM2);
    parser.parse_all(bytes).any(|p| match p {
        Ok(wasmparser::Payload::ImportSection(r)) => r
            .into_imports()
            .flatten()
            .any(|i| matches!(i.ty, wasmparser::TypeRef::FuncExact(_))),
        _ => false,
    })
}
