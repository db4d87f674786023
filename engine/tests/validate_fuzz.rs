//! Bounded, deterministic differential fuzzing of parse + validate
//! against wasmparser's validator (WebAssembly 2.0 + SIMD):
//!
//! * wasm-smith modules restricted to 2.0 + SIMD (some with invalid
//!   function bodies on purpose),
//! * wasm-smith modules using proposals we do not support (they must be
//!   rejected exactly when wasmparser rejects them),
//! * byte-level mutations (bit flips, truncation, insertion, deletion,
//!   overwrite) of the spec-suite modules.
//!
//! Both must agree on valid/invalid, and nothing may panic. Every input
//! is derived from a fixed seed, so a failure names a reproducible case.
//! The unbounded version of this test is `fuzz/fuzz_targets/validate.rs`.

mod validate_support;

use arbitrary::Unstructured;
use validate_support::differential::{config_2_0, enable_one_beyond_2_0};
use validate_support::{oracle, ours, spec_modules};

/// Multiplies the number of inputs, for deeper runs by hand:
/// `VALIDATE_FUZZ_SCALE=50 cargo test -p engine --test validate_fuzz`.
/// The seed also changes with the scale, so deeper runs explore new inputs.
fn scale() -> usize {
    std::env::var("VALIDATE_FUZZ_SCALE").ok().and_then(|s| s.parse().ok()).unwrap_or(1).max(1)
}

/// splitmix64: a tiny deterministic PRNG, enough to drive the inputs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

#[derive(Default)]
struct Tally {
    total: usize,
    valid: usize,
    failures: Vec<String>,
}

impl Tally {
    fn check(&mut self, what: &str, bytes: &[u8]) {
        self.total += 1;
        let our = match ours(bytes) {
            Ok(r) => r,
            Err(panic) => {
                self.failures.push(format!("{what}: panic: {panic}\n  input: {}", hex(bytes)));
                return;
            }
        };
        let theirs = oracle(bytes);
        if our.is_ok() != theirs.is_ok() {
            self.failures.push(format!("{what}: disagreement: ours = {our:?}, wasmparser = {theirs:?}\n  input: {}", hex(bytes)));
        }
        if our.is_ok() {
            self.valid += 1;
        } else if let Ok(Err(again)) = ours(bytes) {
            // Parallel validation must report the same error every time.
            let first = our.err().map(|e| e.to_string()).unwrap_or_default();
            if again.to_string() != first {
                self.failures.push(format!("{what}: nondeterministic error: {first} vs {again}"));
            }
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    if bytes.len() > 4096 {
        return format!("<{} bytes>", bytes.len());
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn smith(rng: &mut Rng, config: wasm_smith::Config) -> Option<Vec<u8>> {
    let len = 64 + rng.below(4096);
    let data = rng.bytes(len);
    let mut u = Unstructured::new(&data);
    wasm_smith::Module::new(config, &mut u).ok().map(|m| m.to_bytes())
}

fn report(name: &str, t: &Tally) {
    println!("{name}: {} inputs, {} valid, {} failures", t.total, t.valid, t.failures.len());
    assert!(
        t.failures.is_empty(),
        "{name}: {} failures:\n{}",
        t.failures.len(),
        t.failures.iter().take(20).cloned().collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn wasm_smith_2_0_simd_modules_agree() {
    let mut rng = Rng(0x5eed_2024 ^ scale() as u64);
    let mut t = Tally::default();
    for i in 0..1500 * scale() {
        // One in three with invalid function bodies, to exercise rejection.
        let mut config = config_2_0(i % 3 == 2);
        // Vary the shape: some larger bodies, some custom sections (names).
        if i % 4 == 1 {
            config.max_instructions = 1000;
            config.min_funcs = 1;
        }
        config.generate_custom_sections = i % 5 == 0;
        config.export_everything = i % 7 == 0;
        let Some(bytes) = smith(&mut rng, config) else {
            continue;
        };
        t.check(&format!("wasm-smith 2.0 #{i}"), &bytes);
    }
    report("wasm-smith 2.0+SIMD", &t);
    assert!(t.total >= 1400 * scale(), "wasm-smith produced too few modules");
    assert!(t.valid * 2 > t.total, "too few valid modules for a meaningful test");
    assert!(t.valid < t.total, "no invalid module at all: the rejection side is untested");
}

/// The 3.0 proposals the engine implements that wasm-smith generates
/// without GC (typed function references come only with GC there; the
/// spec modules cover them, see `validate_spec.rs`).
#[test]
fn wasm_smith_3_0_features_agree() {
    let mut rng = Rng(0x3a11_0003 ^ scale() as u64);
    let mut t = Tally::default();
    for i in 0..600 * scale() {
        let mut c = config_2_0(i % 3 == 2);
        c.tail_call_enabled = true;
        c.extended_const_enabled = true;
        c.relaxed_simd_enabled = true;
        if i % 4 == 1 {
            c.max_instructions = 1000;
            c.min_funcs = 1;
        }
        let Some(bytes) = smith(&mut rng, c) else {
            continue;
        };
        t.check(&format!("wasm-smith 3.0 #{i}"), &bytes);
    }
    report("wasm-smith tail-call + extended-const + relaxed-simd", &t);
    assert!(t.valid * 2 > t.total, "too few valid modules for a meaningful test");
    assert!(t.valid < t.total, "no invalid module at all: the rejection side is untested");
}

#[test]
fn wasm_smith_disallowed_features_agree() {
    let mut rng = Rng(0xfea7_0001 ^ scale() as u64);
    let mut t = Tally::default();
    for i in 0..300 * scale() {
        let mut c = config_2_0(false);
        // Turn on one proposal beyond 2.0 + SIMD per module.
        enable_one_beyond_2_0(&mut c, i);
        let Some(bytes) = smith(&mut rng, c) else {
            continue;
        };
        t.check(&format!("wasm-smith extra-feature #{i}"), &bytes);
    }
    report("wasm-smith beyond 2.0", &t);
    assert!(t.valid < t.total, "no module used a disallowed feature");
}

#[test]
fn mutated_spec_modules_agree() {
    let modules = spec_modules();
    let mut rng = Rng(0x0b17_f11b ^ scale() as u64);
    let mut t = Tally::default();
    for (k, m) in modules.iter().enumerate() {
        // Two mutants of every module; more for the larger ones, whose
        // bodies have more to break.
        let n = scale() * if m.bytes.len() > 200 { 3 } else { 2 };
        for j in 0..n {
            let mut b = m.bytes.clone();
            let len = b.len();
            let kind = rng.below(5);
            let pos = rng.below(len);
            match kind {
                0 => {
                    let bit = rng.below(8);
                    if let Some(x) = b.get_mut(pos) {
                        *x ^= 1 << bit;
                    }
                }
                1 => b.truncate(pos),
                2 => {
                    let v = rng.next() as u8;
                    b.insert(pos.min(len), v);
                }
                3 => {
                    if pos < len {
                        b.remove(pos);
                    }
                }
                _ => {
                    let v = rng.next() as u8;
                    if let Some(x) = b.get_mut(pos) {
                        *x = v;
                    }
                }
            }
            t.check(&format!("{} mutant {k}.{j} (kind {kind} at {pos})", m.origin), &b);
        }
    }
    report("mutated spec modules", &t);
}

/// Of several invalid functions, the error names the lowest index, even
/// though bodies are validated in parallel.
#[test]
fn lowest_function_error_is_reported() {
    let buf = wast::parser::ParseBuffer::new(
        r#"(module
            (func (result i32) i32.const 0)
            (func (result i32) i64.const 0)
            (func (result i32) f32.const 0)
            (func (result i32) i32.const 0))"#,
    )
    .expect("lex");
    let mut wat: wast::Wat = wast::parser::parse(&buf).expect("parse");
    let bytes = wat.encode().expect("encode");
    for _ in 0..20 {
        match ours(&bytes) {
            Ok(Err(engine::Error::Invalid { func: Some(1), offset, message })) => {
                assert!(message.contains("type mismatch"), "{message}");
                assert!(offset > 0 && offset < bytes.len());
            }
            other => panic!("expected an error in function 1, got {other:?}"),
        }
    }
}
