//! Error reporting of parse + validate: constructs of proposals the engine
//! does not implement are refused with a message naming them, and
//! classic invalid modules get the spec's wording, the right function
//! index and an offset inside that function's body.

mod validate_support;

use engine::Error;

fn wat(text: &str) -> Vec<u8> {
    let buf = wast::parser::ParseBuffer::new(text).expect("lex");
    let mut wat: wast::Wat = wast::parser::parse(&buf).expect("parse");
    wat.encode().expect("encode")
}

fn run(bytes: &[u8]) -> Result<(), Error> {
    match validate_support::ours(bytes) {
        Ok(r) => r,
        Err(panic) => panic!("panicked: {panic}"),
    }
}

#[test]
fn unimplemented_proposals_are_rejected_clearly() {
    // (Extended-const, typed function references, tail calls and relaxed
    // SIMD are implemented: see `validate_spec.rs` and `wasm3_features.rs`.)
    let cases: &[(&str, &str)] = &[
        ("(module (func (param (ref any))))", "heap type"),
        ("(module (func (param exnref)))", "heap type"),
        ("(module (memory 1 2 shared))", "threads"),
        ("(module (memory 1 2 shared) (func (drop (i32.atomic.load (i32.const 0)))))", "threads"),
        ("(module (tag))", "exception handling"),
        ("(module (tag $e) (func (throw $e)))", "exception handling"),
        ("(module (rec (type (func)) (type (func))))", "gc"),
        ("(module (type (struct)))", "struct"),
        ("(module (memory 1) (memory 1))", "multi-memory"),
        ("(module (memory i64 1))", "memory64"),
        ("(module (table i64 1 funcref))", "memory64"),
        ("(module (memory 1 (pagesize 1)))", "custom page sizes"),
    ];
    for (text, needle) in cases {
        let bytes = wat(text);
        assert!(validate_support::oracle(&bytes).is_err(), "wasmparser (with the engine's features) accepts {text}");
        match run(&bytes) {
            Ok(()) => panic!("accepted: {text}"),
            Err(e) => {
                let msg = e.to_string();
                println!("{text}\n  -> {msg}");
                assert!(msg.contains("not supported"), "{text}: {msg}");
                assert!(msg.contains(needle), "{text}: `{msg}` does not mention {needle}");
            }
        }
    }
}

#[test]
fn invalid_modules_use_spec_wording() {
    let cases: &[(&str, &str, Option<u32>)] = &[
        ("(module (func (result i32) (i64.const 0)))", "type mismatch", Some(0)),
        ("(module (func) (func (local.get 3) (drop)))", "unknown local", Some(1)),
        (
            "(module (memory 1) (func (drop (i32.load align=8 (i32.const 0)))))",
            "alignment must not be larger than natural",
            Some(0),
        ),
        ("(module (func) (export \"a\" (func 0)) (export \"a\" (func 0)))", "duplicate export name", None),
        ("(module (func $f) (func (drop (ref.func $f))))", "undeclared function reference", Some(1)),
        ("(module (func (call 7)))", "unknown function", Some(0)),
        ("(module (global i32 (i32.const 0)) (func (global.set 0 (i32.const 1))))", "global is immutable", Some(0)),
        ("(module (func (drop (i8x16.extract_lane_s 16 (v128.const i64x2 0 0)))))", "invalid lane index", Some(0)),
        ("(module (global i32 (i32.const 0)) (global i32 (global.get 0)))", "unknown global", None),
        ("(module (global (import \"m\" \"g\") (mut i32)) (global i32 (global.get 0)))", "constant expression required", None),
        ("(module (global i32 (i32.const 0)) (memory 1) (data (global.get 0) \"\"))", "constant expression required", None),
        ("(module (memory 65537))", "memory size must be at most 65536 pages", None),
        ("(module (table 2 1 funcref))", "size minimum must not be greater than maximum", None),
        ("(module (func (param i32)) (start 0))", "start function", None),
        ("(module (func (select (ref.null func) (ref.null func) (i32.const 1)) (drop)))", "type mismatch", Some(0)),
        ("(module (func (br 1)))", "unknown label", Some(0)),
        (
            "(module (func (result i32) (select (result i32 i32) (i32.const 0) (i32.const 0) (i32.const 0)) (drop)))",
            "invalid result arity",
            Some(0),
        ),
    ];
    for (text, needle, func) in cases {
        let bytes = wat(text);
        assert!(validate_support::oracle(&bytes).is_err(), "wasmparser accepts {text}");
        match run(&bytes) {
            Ok(()) => panic!("accepted: {text}"),
            Err(Error::Invalid { func: f, offset, message }) => {
                assert!(message.contains(needle), "{text}: `{message}` lacks `{needle}`");
                assert_eq!(f, *func, "{text}: wrong function index ({message})");
                assert!(offset >= 8 && offset < bytes.len(), "{text}: offset {offset}");
            }
            Err(e) => panic!("{text}: expected Invalid, got {e}"),
        }
    }
}

/// The spec counts a missing data count section as a binary-format error
/// (binary.wast), so `data.drop`/`memory.init` without it are malformed.
#[test]
fn data_index_without_data_count_is_malformed() {
    // `wast` always emits the data count section when a body uses a data
    // index; drop it to reach the rule we are testing.
    let text = "(module (memory 1) (data \"x\") (func (data.drop 0)))";
    let bytes = strip_data_count(wat(text));
    assert!(validate_support::oracle(&bytes).is_err(), "wasmparser accepts {text}");
    match run(&bytes) {
        Err(Error::Malformed { message, offset }) => {
            assert!(message.contains("data count section required"), "{message}");
            assert!(offset >= 8 && offset < bytes.len(), "offset {offset}");
        }
        other => panic!("expected Malformed, got {other:?}"),
    }
}

/// Removes the data count section (id 12) from a module.
fn strip_data_count(bytes: Vec<u8>) -> Vec<u8> {
    let mut out = bytes[..8].to_vec();
    let mut i = 8;
    while i < bytes.len() {
        let id = bytes[i];
        let (mut size, mut shift, mut j) = (0usize, 0, i + 1);
        loop {
            let b = bytes[j];
            size |= ((b & 0x7f) as usize) << shift;
            shift += 7;
            j += 1;
            if b < 0x80 {
                break;
            }
        }
        if id != 12 {
            out.extend_from_slice(&bytes[i..j + size]);
        }
        i = j + size;
    }
    out
}

/// The offset of a body error points into that function's body.
#[test]
fn body_error_offsets_are_inside_the_body() {
    let bytes = wat("(module (func (nop)) (func (result i32) (nop) (f32.const 1)))");
    let info = engine::parse::parse(&bytes).expect("parses");
    match engine::validate::validate(&info, &bytes) {
        Err(Error::Invalid { func: Some(1), offset, .. }) => {
            let range = info.bodies[1].range.clone();
            assert!(range.contains(&offset), "offset {offset} outside body {range:?}");
        }
        other => panic!("expected an error in function 1, got {other:?}"),
    }
    // validate_function checks one body on its own.
    assert!(engine::validate::validate_function(&info, 0, &bytes).is_ok());
    assert!(engine::validate::validate_function(&info, 1, &bytes).is_err());
    assert!(engine::validate::validate_function(&info, 2, &bytes).is_err());
}

/// Import kind 0x20 ("exact" function import, custom-descriptors
/// proposal) is a malformed import kind in 2.0. wasmparser 0.254 accepts
/// it even without that feature, so the oracle of the differential tests
/// corrects for it (`oracle_gap`); we must reject it.
#[test]
fn exact_function_import_is_rejected() {
    let mut bytes = wat(r#"(module (type (func)) (import "m" "f" (func (type 0))))"#);
    // The import entry ends with kind 0x00 and type index 0x00.
    let tail = bytes.len() - 2;
    assert_eq!(&bytes[tail..], &[0x00, 0x00]);
    bytes[tail] = 0x20;
    let err = run(&bytes).expect_err("exact import must be rejected");
    assert!(err.to_string().contains("not supported"), "{err}");
    assert!(validate_support::differential::oracle_gap(&bytes).is_some());
    assert!(validate_support::oracle(&bytes).is_err());
}
