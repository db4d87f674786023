//! Stage 1 (`parse`) on every spec-suite module: never panics, succeeds
//! on every module the oracle finds valid, and describes it consistently.

mod validate_support;

use engine::parse::{parse, ConstOp, ElementItems, ElementMode, ImportKind};
use validate_support::{oracle, ours_parse, spec_modules};

#[test]
fn parse_spec_modules() {
    let modules = spec_modules();
    assert!(modules.len() > 1000, "too few spec modules: {}", modules.len());
    let mut parsed = 0;
    for m in &modules {
        let result = match ours_parse(&m.bytes) {
            Ok(r) => r,
            Err(p) => panic!("{}: parse panicked: {p}", m.origin),
        };
        if oracle(&m.bytes).is_err() {
            continue;
        }
        let info = match result {
            Ok(info) => info,
            Err(e) => panic!("{}: valid module failed to parse: {e}", m.origin),
        };
        parsed += 1;
        let imported_funcs = info.imports.iter().filter(|i| matches!(i.kind, ImportKind::Func(_))).count();
        assert_eq!(info.num_imported_funcs as usize, imported_funcs, "{}", m.origin);
        assert_eq!(info.bodies.len(), info.num_defined_funcs() as usize, "{}", m.origin);
        assert_eq!(info.global_inits.len(), info.globals.len() - info.num_imported_globals as usize);
        for b in &info.bodies {
            assert!(b.range.start < b.range.end && b.range.end <= m.bytes.len(), "{}", m.origin);
            // Every body ends with the `end` opcode.
            assert_eq!(m.bytes[b.range.end - 1], 0x0b, "{}", m.origin);
        }
    }
    println!("parsed {parsed} valid spec modules ({} collected)", modules.len());
}

/// A hand-assembled module checking the exact contents of `ModuleInfo`.
#[test]
fn parse_fills_module_info() {
    let wasm = wast::parse_str_module(
        r#"(module $m
            (type $t (func (param i32) (result i32)))
            (import "env" "f" (func $imp (type $t)))
            (import "env" "g" (global i32))
            (table 2 10 funcref)
            (memory 1)
            (global $g (mut i64) (i64.const 7))
            (func $id (type $t) local.get 0)
            (func $other (result f32) f32.const 1.5)
            (export "id" (func $id))
            (elem (i32.const 0) $imp $id)
            (elem declare funcref (ref.func $other))
            (data (i32.const 8) "hi")
            (data "passive")
            (start $other_start)
            (func $other_start)
        )"#,
    );
    let info = parse(&wasm).expect("parses");
    assert_eq!(info.types.len(), 3);
    assert_eq!(info.functions, vec![0, 0, 1, 2]);
    assert_eq!(info.num_imported_funcs, 1);
    assert_eq!(info.num_imported_globals, 1);
    assert_eq!(info.globals.len(), 2);
    assert_eq!(info.global_inits[0].ops.as_slice(), [ConstOp::I64Const(7)]);
    assert_eq!(info.tables[0].min, 2);
    assert_eq!(info.tables[0].max, Some(10));
    assert_eq!(info.memories[0].min, 1);
    assert_eq!(info.start, Some(3));
    assert_eq!(info.elements.len(), 2);
    assert!(matches!(info.elements[0].mode, ElementMode::Active { table: 0, .. }));
    assert_eq!(info.elements[0].items, ElementItems::Funcs(vec![0, 1]));
    // A list of `ref.func` expressions is kept as a function list too.
    assert!(matches!(&info.elements[1].items, ElementItems::Funcs(f) if f.len() == 1));
    assert_eq!(info.elements[1].mode, ElementMode::Declared);
    assert_eq!(info.data[0].bytes, b"hi");
    assert_eq!(info.data[1].bytes, b"passive");
    assert_eq!(info.bodies.len(), 3);
    // Body of $id: 0 local decls, local.get 0, end.
    assert_eq!(&wasm[info.bodies[0].range.clone()], &[0x00, 0x20, 0x00, 0x0b]);
    assert_eq!(info.name.as_deref(), Some("m"));
    assert_eq!(info.func_name(1), Some("id"));
    assert_eq!(info.func_name(0), Some("imp"));
}

mod wast_helper {
    pub fn parse_str_module(text: &str) -> Vec<u8> {
        let buf = wast::parser::ParseBuffer::new(text).expect("lex");
        let mut wat: wast::Wat = wast::parser::parse(&buf).expect("parse");
        wat.encode().expect("encode")
    }
}
use wast_helper as wast;

/// A broken `name` section is ignored, not an error.
#[test]
fn broken_name_section_is_ignored() {
    // Header, then a custom section "name" whose function-names subsection
    // claims more bytes than there are.
    let mut wasm = b"\0asm\x01\0\0\0".to_vec();
    let payload: &[u8] = &[4, b'n', b'a', b'm', b'e', 1, 50, 3, 0];
    wasm.push(0);
    wasm.push(payload.len() as u8);
    wasm.extend_from_slice(payload);
    let info = parse(&wasm).expect("a bad name section must not fail the module");
    assert!(info.func_names.is_empty());
}

/// Malformed input reports the offset of the problem.
#[test]
fn malformed_reports_offset() {
    let wasm = b"\0asm\x01\0\0\0\x01\x05\x01\x60\x00"; // type section cut short
    match parse(wasm) {
        Err(engine::Error::Malformed { offset, .. }) => {
            assert!(offset >= 8 && offset <= wasm.len())
        }
        other => panic!("expected Malformed, got {other:?}"),
    }
    assert!(matches!(parse(b"\0asm\x02\0\0\0"), Err(engine::Error::Malformed { .. })));
}
