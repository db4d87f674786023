//! Host functions: typed and raw, called from wasm and from the host,
//! traps/exit/panics coming back as errors, Caller access to memory and
//! exports, re-entrant calls, and host functions as funcref values.

use engine::{
    Caller, Engine, Error, Extern, Func, FuncType, Linker, Module, Store, Trap, TrapKind, TrapReason, Val, ValRaw, ValType,
};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

fn ft(params: &[ValType], results: &[ValType]) -> FuncType {
    FuncType { params: params.to_vec(), results: results.to_vec() }
}

fn module(engine: &Engine, wat: &str) -> Module {
    Module::new(engine, &wat::parse_str(wat).unwrap()).unwrap()
}

const CALLS_HOST: &str = r#"
(module
  (import "host" "add" (func $add (param i32 i32) (result i32)))
  (import "host" "raw_mul" (func $mul (param i64 i64) (result i64)))
  (import "host" "fail" (func $fail))
  (import "host" "exit" (func $exit (param i32)))
  (import "host" "panic" (func $panic))
  (import "host" "peek" (func $peek (param i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "\2a")
  (func (export "add") (param i32 i32) (result i32) (call $add (local.get 0) (local.get 1)))
  (func (export "mul") (param i64 i64) (result i64) (call $mul (local.get 0) (local.get 1)))
  (func $f1 (export "fail") (call $fail))
  (func (export "fail_deep") (call $f1))
  (func (export "exit") (call $exit (i32.const 3)) unreachable)
  (func (export "panic") (call $panic))
  (func (export "peek") (param i32) (result i32) (call $peek (local.get 0)))
  (func (export "double") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2))))
"#;

fn linker() -> Linker {
    let mut l = Linker::new();
    l.func_new("host", "add", ft(&[ValType::I32, ValType::I32], &[ValType::I32]), |_, p, r| {
        r[0] = Val::I32(p[0].i32().unwrap().wrapping_add(p[1].i32().unwrap()));
        Ok(())
    });
    l.func_raw("host", "raw_mul", ft(&[ValType::I64, ValType::I64], &[ValType::I64]), |_, args| {
        args[0] = ValRaw::i64(args[0].get_i64().wrapping_mul(args[1].get_i64()));
        Ok(())
    });
    l.func_new("host", "fail", ft(&[], &[]), |_, _, _| Err(Trap::host("it failed")));
    l.func_raw("host", "exit", ft(&[ValType::I32], &[]), |_, args| Err(Trap::exit(args[0].get_i32())));
    l.func_new("host", "panic", ft(&[], &[]), |_, _, _| panic!("boom"));
    // Reads guest memory and calls back into wasm ("double") re-entrantly.
    l.func_new("host", "peek", ft(&[ValType::I32], &[ValType::I32]), |caller: &mut Caller<'_>, p, r| {
        let addr = p[0].i32().unwrap() as usize;
        let byte = caller.memory().and_then(|m| m.get(addr).copied()).ok_or_else(|| Trap::host("bad address"))?;
        let double = caller.get_export("double").and_then(Extern::into_func).ok_or_else(|| Trap::host("no double"))?;
        let out = double.call(caller.store(), &[Val::I32(byte as i32)]).map_err(|e| Trap::host(e.to_string()))?;
        r[0] = out[0];
        Ok(())
    });
    l
}

#[test]
fn wasm_calls_host_functions() {
    let engine = Engine::default();
    let m = module(&engine, CALLS_HOST);
    let mut store = Store::new(&engine);
    let inst = linker().instantiate(&mut store, &m).unwrap();
    let call = |store: &mut Store, name: &str, args: &[Val]| inst.get_func(store, name).unwrap().call(store, args);
    assert_eq!(call(&mut store, "add", &[Val::I32(2), Val::I32(40)]).unwrap(), vec![Val::I32(42)]);
    assert_eq!(call(&mut store, "mul", &[Val::I64(-3), Val::I64(5)]).unwrap(), vec![Val::I64(-15)]);
    assert_eq!(call(&mut store, "peek", &[Val::I32(100)]).unwrap(), vec![Val::I32(84)]);
}

#[test]
fn host_traps_exit_and_panics_come_back_as_traps() {
    let engine = Engine::default();
    let m = module(&engine, CALLS_HOST);
    let mut store = Store::new(&engine);
    let inst = linker().instantiate(&mut store, &m).unwrap();
    let trap = |store: &mut Store, name: &str| match inst.get_func(store, name).unwrap().call(store, &[]) {
        Err(Error::Trap(t)) => t,
        other => panic!("{name}: expected a trap, got {other:?}"),
    };
    let t = trap(&mut store, "fail_deep");
    assert_eq!(t.reason, TrapReason::Host("it failed".into()));
    let frames: Vec<u32> = t.backtrace.iter().map(|f| f.func_index).collect();
    assert_eq!(frames, vec![8, 9], "the wasm frames that called the host");
    let t = trap(&mut store, "exit");
    assert_eq!(t.exit_code(), Some(3));
    let t = trap(&mut store, "panic");
    match t.reason {
        TrapReason::Host(m) => assert!(m.contains("boom"), "{m}"),
        r => panic!("{r:?}"),
    }
    // The store is still usable after all that.
    let add = inst.get_func(&store, "add").unwrap();
    assert_eq!(add.call(&mut store, &[Val::I32(1), Val::I32(1)]).unwrap(), vec![Val::I32(2)]);
}

#[test]
fn host_functions_called_directly() {
    let engine = Engine::default();
    let mut store = Store::new(&engine);
    let count = Arc::new(AtomicU32::new(0));
    let c = count.clone();
    let f = Func::new(&mut store, ft(&[ValType::F64], &[ValType::F64, ValType::I32]), move |caller, p, r| {
        assert!(caller.memory().is_none(), "no calling instance");
        c.fetch_add(1, Ordering::SeqCst);
        r[0] = Val::from(p[0].f64().unwrap() * 2.0);
        r[1] = Val::I32(1);
        Ok(())
    });
    assert_eq!(f.call(&mut store, &[Val::from(1.5f64)]).unwrap(), vec![Val::from(3.0f64), Val::I32(1)]);
    assert_eq!(count.load(Ordering::SeqCst), 1);
    assert!(matches!(f.call(&mut store, &[Val::I32(1)]), Err(Error::Instantiation(_))), "param type checked");
    assert!(f.call(&mut store, &[]).is_err(), "param count checked");
    let bad = Func::new(&mut store, ft(&[], &[ValType::I32]), |_, _, r| {
        r[0] = Val::I64(1);
        Ok(())
    });
    assert!(matches!(bad.call(&mut store, &[]), Err(Error::Trap(_))), "wrong result type is a host trap");
    assert_eq!(f.ty(&store), ft(&[ValType::F64], &[ValType::F64, ValType::I32]));
}

#[test]
fn host_function_as_funcref_in_a_table() {
    // The host function is never imported: it reaches wasm only as a
    // funcref value, so the engine must supply its wasm-to-host trampoline.
    let engine = Engine::default();
    let m = module(
        &engine,
        r#"(module
            (type $t (func (param i32) (result i32)))
            (table (export "table") 2 funcref)
            (func (export "call") (param i32 i32) (result i32)
              (call_indirect (type $t) (local.get 1) (local.get 0)))
            (func (export "roundtrip") (param funcref) (result funcref) (local.get 0)))"#,
    );
    let mut store = Store::new(&engine);
    let inst = Linker::new().instantiate(&mut store, &m).unwrap();
    let h = Func::new(&mut store, ft(&[ValType::I32], &[ValType::I32]), |_, p, r| {
        r[0] = Val::I32(p[0].i32().unwrap() + 100);
        Ok(())
    });
    let wrong = Func::new(&mut store, ft(&[], &[]), |_, _, _| Ok(()));
    let table = inst.get_table(&store, "table").unwrap();
    table.set(&mut store, 0, Val::FuncRef(Some(h))).unwrap();
    table.set(&mut store, 1, Val::FuncRef(Some(wrong))).unwrap();
    assert_eq!(table.get(&store, 0), Some(Val::FuncRef(Some(h))));
    let call = inst.get_func(&store, "call").unwrap();
    assert_eq!(call.call(&mut store, &[Val::I32(0), Val::I32(5)]).unwrap(), vec![Val::I32(105)]);
    match call.call(&mut store, &[Val::I32(1), Val::I32(5)]) {
        Err(Error::Trap(t)) => assert_eq!(t.reason, TrapReason::Wasm(TrapKind::BadSignature)),
        other => panic!("{other:?}"),
    }
    let rt = inst.get_func(&store, "roundtrip").unwrap();
    assert_eq!(rt.call(&mut store, &[Val::FuncRef(Some(h))]).unwrap(), vec![Val::FuncRef(Some(h))]);
    assert_eq!(rt.call(&mut store, &[Val::FuncRef(None)]).unwrap(), vec![Val::FuncRef(None)]);
}

#[test]
fn trap_in_nested_wasm_call_propagates_through_the_host() {
    // wasm "outer" -> host "reenter" -> wasm "inner" traps; the host passes
    // the trap on, and the outer call reports it with both sets of frames.
    let engine = Engine::default();
    let m = module(
        &engine,
        r#"(module
            (import "host" "reenter" (func $reenter))
            (func $inner (export "inner") unreachable)
            (func $outer (export "outer") (call $reenter))
            (func (export "ok") (result i32) (i32.const 1)))"#,
    );
    let mut linker = Linker::new();
    linker.func_new("host", "reenter", ft(&[], &[]), |caller, _, _| {
        let inner = caller.get_export("inner").and_then(Extern::into_func).unwrap();
        match inner.call(caller.store(), &[]) {
            Err(Error::Trap(t)) => Err(t),
            other => Err(Trap::host(format!("inner did not trap: {other:?}"))),
        }
    });
    let mut store = Store::new(&engine);
    let inst = linker.instantiate(&mut store, &m).unwrap();
    let outer = inst.get_func(&store, "outer").unwrap();
    match outer.call(&mut store, &[]) {
        Err(Error::Trap(t)) => {
            assert_eq!(t.reason, TrapReason::Wasm(TrapKind::Unreachable));
            let names: Vec<_> = t.backtrace.iter().map(|f| f.func_name.clone().unwrap_or_default()).collect();
            assert_eq!(names, ["inner", "outer"]);
        }
        other => panic!("{other:?}"),
    }
    let ok = inst.get_func(&store, "ok").unwrap();
    assert_eq!(ok.call(&mut store, &[]).unwrap(), vec![Val::I32(1)]);
}
