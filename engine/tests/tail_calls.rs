//! Tail calls (`return_call`, `return_call_indirect`, `return_call_ref`):
//! a million-deep mutual recursion runs in constant stack (direct,
//! indirect, through `call_ref`), while ordinary recursion of the same depth
//! overflows; tail calls with more arguments than registers and results
//! returned in memory, between functions of different arities; a tail call
//! to a host function; a mismatched tail call is a validation error naming
//! the function.

use engine::{Engine, Error, FuncType, Linker, Module, Store, TrapKind, TrapReason, Val, ValType};

mod wat_support;
use wat_support::{call, instantiate};

/// Mutual recursion `even`/`odd` a million deep: without real tail calls
/// this overflows any reasonable stack (the engine's limit is far below a
/// million frames).
const EVEN_ODD: &str = r#"
(module
  (type $t (func (param i64) (result i32)))
  (table $tab 2 funcref)
  (elem (table $tab) (i32.const 0) func $even_i $odd_i)
  (elem declare func $even_r $odd_r)
  (func $even (export "even") (param i64) (result i32)
    (if (result i32) (i64.eqz (local.get 0))
      (then (i32.const 1))
      (else (return_call $odd (i64.sub (local.get 0) (i64.const 1))))))
  (func $odd (export "odd") (param i64) (result i32)
    (if (result i32) (i64.eqz (local.get 0))
      (then (i32.const 0))
      (else (return_call $even (i64.sub (local.get 0) (i64.const 1))))))
  (func $even_i (export "even_indirect") (type $t)
    (if (result i32) (i64.eqz (local.get 0))
      (then (i32.const 1))
      (else (return_call_indirect $tab (type $t) (i64.sub (local.get 0) (i64.const 1)) (i32.const 1)))))
  (func $odd_i (type $t)
    (if (result i32) (i64.eqz (local.get 0))
      (then (i32.const 0))
      (else (return_call_indirect $tab (type $t) (i64.sub (local.get 0) (i64.const 1)) (i32.const 0)))))
  (func $even_r (export "even_ref") (type $t)
    (if (result i32) (i64.eqz (local.get 0))
      (then (i32.const 1))
      (else (return_call_ref $t (i64.sub (local.get 0) (i64.const 1)) (ref.func $odd_r)))))
  (func $odd_r (type $t)
    (if (result i32) (i64.eqz (local.get 0))
      (then (i32.const 0))
      (else (return_call_ref $t (i64.sub (local.get 0) (i64.const 1)) (ref.func $even_r)))))
  (func (export "even_plain") (param i64) (result i32)
    (if (result i32) (i64.eqz (local.get 0))
      (then (i32.const 1))
      (else (call $odd (i64.sub (local.get 0) (i64.const 1))))))
)
"#;

#[test]
fn million_deep_tail_recursion_runs_in_constant_stack() {
    let engine = Engine::default();
    let mut store = Store::new(&engine);
    let inst = instantiate(&mut store, &Linker::new(), EVEN_ODD).expect("instantiate");
    for (name, n, want) in [
        ("even", 1_000_000i64, 1),
        ("odd", 1_000_001, 1),
        ("even", 1_000_001, 0),
        ("even_indirect", 1_000_000, 1),
        ("even_indirect", 999_999, 0),
        ("even_ref", 1_000_000, 1),
        ("even_ref", 1_000_003, 0),
    ] {
        let r = call(&mut store, inst, name, &[Val::I64(n)]).unwrap_or_else(|e| panic!("{name}({n}): {e}"));
        assert_eq!(r, vec![Val::I32(want)], "{name}({n})");
    }
    // The same recursion with an ordinary call at the top runs out of stack
    // (so the test above does measure tail calls).
    match call(&mut store, inst, "even_plain", &[Val::I64(1_000_000)]) {
        Ok(r) => assert_eq!(r, vec![Val::I32(1)], "a non-tail first call still recurses by tail calls"),
        Err(e) => panic!("even_plain: {e}"),
    }
}

#[test]
fn plain_recursion_of_the_same_depth_overflows() {
    let engine = Engine::default();
    let mut store = Store::new(&engine);
    let wat = r#"(module
      (func $f (export "f") (param i64) (result i32)
        (if (result i32) (i64.eqz (local.get 0))
          (then (i32.const 1))
          (else (call $f (i64.sub (local.get 0) (i64.const 1)))))))"#;
    let inst = instantiate(&mut store, &Linker::new(), wat).expect("instantiate");
    match call(&mut store, inst, "f", &[Val::I64(1_000_000)]) {
        Err(Error::Trap(t)) => assert_eq!(t.reason, TrapReason::Wasm(TrapKind::StackOverflow), "{t}"),
        other => panic!("expected a stack overflow, got {other:?}"),
    }
}

#[test]
fn tail_calls_with_stack_arguments_and_many_results() {
    let engine = Engine::default();
    let mut store = Store::new(&engine);
    // 12 i64 parameters (more than the registers), 5 results, and the
    // callee with fewer parameters than the caller (and the reverse): the
    // tail call must resize the incoming-argument area.
    let wat = r#"(module
      (type $many (func (param i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64) (result i64 i64 i64 i64 i64)))
      (func $sum12 (type $many)
        (local.get 0) (local.get 1) (local.get 2) (local.get 3)
        (i64.add (local.get 4)
          (i64.add (local.get 5) (i64.add (local.get 6) (i64.add (local.get 7)
            (i64.add (local.get 8) (i64.add (local.get 9) (i64.add (local.get 10) (local.get 11)))))))))
      (func $few (param i64) (result i64 i64 i64 i64 i64)
        (if (result i64 i64 i64 i64 i64) (i64.eqz (local.get 0))
          (then (i64.const 1) (i64.const 2) (i64.const 3) (i64.const 4) (i64.const 5))
          (else (return_call $count
            (i64.sub (local.get 0) (i64.const 1)) (i64.const 1) (i64.const 2) (i64.const 3)
            (i64.const 4) (i64.const 5) (i64.const 6) (i64.const 7) (i64.const 8)
            (i64.const 9) (i64.const 10) (i64.const 11)))))
      (func $count (type $many)
        (return_call $few (local.get 0)))
      (func (export "sum") (result i64 i64 i64 i64 i64)
        (return_call $sum12 (i64.const 1) (i64.const 2) (i64.const 3) (i64.const 4)
          (i64.const 5) (i64.const 6) (i64.const 7) (i64.const 8) (i64.const 9)
          (i64.const 10) (i64.const 11) (i64.const 12)))
      (func (export "bounce") (param i64) (result i64 i64 i64 i64 i64)
        (return_call $few (local.get 0))))"#;
    let inst = instantiate(&mut store, &Linker::new(), wat).expect("instantiate");
    let r = call(&mut store, inst, "sum", &[]).expect("sum");
    assert_eq!(r, vec![Val::I64(1), Val::I64(2), Val::I64(3), Val::I64(4), Val::I64(5 + 6 + 7 + 8 + 9 + 10 + 11 + 12)]);
    let r = call(&mut store, inst, "bounce", &[Val::I64(300_000)]).expect("bounce");
    assert_eq!(r, vec![Val::I64(1), Val::I64(2), Val::I64(3), Val::I64(4), Val::I64(5)]);
}

#[test]
fn tail_call_to_a_host_function() {
    let engine = Engine::default();
    let mut store = Store::new(&engine);
    let mut linker = Linker::new();
    let ty = FuncType { params: vec![ValType::I32, ValType::I32], results: vec![ValType::I32] };
    linker.func_new("host", "sub", ty, |_, args, results| {
        if let ([Val::I32(a), Val::I32(b)], [r]) = (args, &mut *results) {
            *r = Val::I32(a - b);
        }
        Ok(())
    });
    let wat = r#"(module
      (import "host" "sub" (func $sub (param i32 i32) (result i32)))
      (func (export "f") (param i32) (result i32)
        (return_call $sub (local.get 0) (i32.const 10))))"#;
    let inst = instantiate(&mut store, &linker, wat).expect("instantiate");
    assert_eq!(call(&mut store, inst, "f", &[Val::I32(52)]).expect("f"), vec![Val::I32(42)]);
}

#[test]
fn mismatched_tail_call_is_invalid() {
    let engine = Engine::default();
    let wat = r#"(module (func $f (result i64) (i64.const 0)) (func (result i32) (return_call $f)))"#;
    let wasm = wat::parse_str(wat).expect("wat");
    match Module::new(&engine, &wasm) {
        Err(Error::Invalid { func: Some(1), offset, message }) => {
            assert!(offset > 0 && offset < wasm.len(), "offset {offset}");
            assert!(message.contains("type mismatch"), "{message}");
        }
        other => panic!("expected a validation error in function 1, got {other:?}"),
    }
}
