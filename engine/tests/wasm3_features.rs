//! End-to-end tests of the WebAssembly 3.0 features the engine implements
//! beyond what the spec scripts check: typed references (`call_ref`, null
//! checks, `br_on_null`, a table with an initialiser) crossing the host
//! API and linked between modules (by signature, not type index), extended
//! constant expressions seen from the host, and validation errors that name
//! the function and offset. Tail calls: `tail_calls.rs`.

use engine::{Engine, Error, Func, FuncType, Linker, Module, Store, TrapKind, TrapReason, Val, ValType};

mod wat_support;
use wat_support::{call, instantiate};

#[test]
fn call_ref_and_null_checks() {
    let engine = Engine::default();
    let mut store = Store::new(&engine);
    let wat = r#"(module
      (type $bin (func (param i32 i32) (result i32)))
      (func $add (type $bin) (i32.add (local.get 0) (local.get 1)))
      (elem declare func $add)
      (global $g (mut (ref null $bin)) (ref.null $bin))
      (table $t 2 (ref $bin) (ref.func $add))
      (func (export "via_table") (param i32 i32) (result i32)
        (call_ref $bin (local.get 0) (local.get 1) (table.get $t (i32.const 1))))
      (func (export "via_null") (result i32)
        (call_ref $bin (i32.const 1) (i32.const 2) (global.get $g)))
      (func (export "as_non_null") (result i32)
        (ref.is_null (ref.as_non_null (global.get $g))))
      (func (export "br_on_null") (param i32) (result i32)
        (block $null
          (if (local.get 0) (then (global.set $g (ref.func $add))))
          (return (call_ref $bin (i32.const 40) (i32.const 2) (br_on_null $null (global.get $g)))))
        (i32.const -1))
      (func (export "typed_param") (param (ref null $bin)) (result i32)
        (ref.is_null (local.get 0))))"#;
    let inst = instantiate(&mut store, &Linker::new(), wat).expect("instantiate");
    assert_eq!(call(&mut store, inst, "via_table", &[Val::I32(3), Val::I32(4)]).expect("via_table"), vec![Val::I32(7)]);
    for (name, kind) in [("via_null", TrapKind::NullFunctionReference), ("as_non_null", TrapKind::NullReference)] {
        match call(&mut store, inst, name, &[]) {
            Err(Error::Trap(t)) => assert_eq!(t.reason, TrapReason::Wasm(kind), "{name}: {t}"),
            other => panic!("{name}: expected a trap, got {other:?}"),
        }
    }
    assert_eq!(call(&mut store, inst, "br_on_null", &[Val::I32(0)]).expect("br_on_null"), vec![Val::I32(-1)]);
    assert_eq!(call(&mut store, inst, "br_on_null", &[Val::I32(1)]).expect("br_on_null"), vec![Val::I32(42)]);
    // The host may pass null to a nullable typed reference...
    assert_eq!(call(&mut store, inst, "typed_param", &[Val::FuncRef(None)]).expect("null"), vec![Val::I32(1)]);
    // ...but not a function of unchecked type: `call_ref` would trust it.
    let host = Func::new(&mut store, FuncType { params: vec![ValType::F64], results: vec![] }, |_, _, _| Ok(()));
    assert!(call(&mut store, inst, "typed_param", &[Val::FuncRef(Some(host))]).is_err());
}

#[test]
fn extended_constant_expressions_are_evaluated() {
    let engine = Engine::default();
    let mut store = Store::new(&engine);
    let wat = r#"(module
      (global $base (import "env" "base") i32)
      (global (export "a") i32 (i32.add (global.get $base) (i32.mul (i32.const 3) (i32.const 7))))
      (global (export "b") i64 (i64.sub (i64.const 0) (i64.mul (i64.const 0x100000000) (i64.const 0x100000000))))
      (global (export "c") i32 (i32.sub (i32.const 0) (i32.const 1)))
      (memory 1)
      (data (i32.add (global.get $base) (i32.const 1)) "x")
      (func (export "load") (param i32) (result i32) (i32.load8_u (local.get 0))))"#;
    let mut linker = Linker::new();
    let g =
        engine::Global::new(&mut store, engine::GlobalType { ty: ValType::I32, mutable: false }, Val::I32(100)).expect("global");
    linker.define("env", "base", engine::Extern::Global(g));
    let inst = instantiate(&mut store, &linker, wat).expect("instantiate");
    let get = |store: &Store, name: &str| match inst.get_export(store, name) {
        Some(engine::Extern::Global(g)) => g.get(store),
        other => panic!("{name}: {other:?}"),
    };
    assert_eq!(get(&store, "a"), Val::I32(121));
    // 2^64 wraps to 0.
    assert_eq!(get(&store, "b"), Val::I64(0));
    assert_eq!(get(&store, "c"), Val::I32(-1));
    assert_eq!(call(&mut store, inst, "load", &[Val::I32(101)]).expect("load"), vec![Val::I32(u32::from(b'x') as i32)]);
}

#[test]
fn validation_errors_name_function_and_offset() {
    let engine = Engine::default();
    let cases = [
        // call_ref of a funcref that is not of the named type.
        r#"(module (type $t (func)) (func (param funcref) (call_ref $t (local.get 0))))"#,
        // A non-nullable local read before it is set.
        r#"(module (type $t (func)) (func (local (ref $t)) (drop (local.get 0))))"#,
        // br_on_non_null to a label that carries no reference.
        r#"(module (func (param funcref) (block (br_on_non_null 0 (local.get 0)))))"#,
    ];
    for wat in cases {
        let wasm = wat::parse_str(wat).expect("wat");
        match Module::new(&engine, &wasm) {
            Err(Error::Invalid { func: Some(f), offset, message }) => {
                assert!(offset > 0 && offset < wasm.len(), "{wat}: offset {offset}");
                assert!(f <= 1, "{wat}: function {f}");
                assert!(message.contains("mismatch") || message.contains("uninitialized"), "{wat}: {message}");
            }
            other => panic!("{wat}: expected a validation error naming the function, got {other:?}"),
        }
    }
}

#[test]
fn typed_globals_link_by_signature_not_by_type_index() {
    let engine = Engine::default();
    let mut store = Store::new(&engine);
    let mut linker = Linker::new();
    // The exporter's type 1 is `func (param i32) (result i32)`.
    let exporter = r#"(module
      (type (func))
      (type $t (func (param i32) (result i32)))
      (func $inc (type $t) (i32.add (local.get 0) (i32.const 1)))
      (global (export "g") (ref $t) (ref.func $inc)))"#;
    let a = instantiate(&mut store, &linker, exporter).expect("exporter");
    linker.instance(&store, "a", a);
    // The same signature at another index, nullable: a constant global of
    // type (ref $t) matches (ref null $u).
    let same = r#"(module
      (type $u (func (param i32) (result i32)))
      (import "a" "g" (global $g (ref null $u)))
      (func (export "call") (param i32) (result i32)
        (call_ref $u (local.get 0) (global.get $g))))"#;
    let b = instantiate(&mut store, &linker, same).expect("same signature links");
    assert_eq!(call(&mut store, b, "call", &[Val::I32(41)]).expect("call"), vec![Val::I32(42)]);
    // Index 1 again, but of another signature: refused, or `call_ref`
    // would pass an f64 where the function reads an i32.
    let other = r#"(module
      (type (func))
      (type $v (func (param f64) (result i32)))
      (import "a" "g" (global (ref null $v))))"#;
    match instantiate(&mut store, &linker, other) {
        Err(Error::Link(m)) => assert!(m.contains("incompatible import type"), "{m}"),
        other => panic!("expected a link error, got {other:?}"),
    }
}
