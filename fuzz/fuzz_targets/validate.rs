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
//! engine/tests/validate_fuzz.rs; both share the check in
//! engine/tests/validate_support/differential.rs.

#![no_main]

use arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;

#[path = "../../engine/tests/validate_support/differential.rs"]
mod differential;

use differential::{config_2_0, enable_one_beyond_2_0, oracle, ours_verdict};

fn smith_config(mode: u8) -> wasm_smith::Config {
    let mut c = config_2_0(mode & 0b10 != 0);
    if mode & 0b100 != 0 {
        enable_one_beyond_2_0(&mut c, usize::from(mode >> 3));
    }
    c
}

fn check(data: &[u8]) {
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

    // `oracle` already reports wasmparser's known gaps with respect to 2.0
    // (exact function imports) as rejections.
    let ours = ours_verdict(&bytes);
    let theirs = oracle(&bytes);
    assert_eq!(
        ours.is_ok(),
        theirs.is_ok(),
        "verdicts differ\n  ours:       {ours:?}\n  wasmparser: {theirs:?}"
    );

    // Parallel body validation must be deterministic.
    if let Err(first) = &ours {
        let again = ours_verdict(&bytes);
        assert_eq!(Some(first.to_string()), again.err().map(|e| e.to_string()));
    }
}

fuzz_target!(|data: &[u8]| check(data));
