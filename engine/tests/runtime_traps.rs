//! Traps end to end: faults in compiled code come back as `Error::Trap`
//! with the spec's reason and a backtrace, and the process carries on.

use engine::{Engine, Error, Linker, Module, Store, TrapKind, TrapReason, Val};

fn instance(wat: &str) -> (Store, engine::Instance) {
    let engine = Engine::default();
    let module = Module::new(&engine, &wat::parse_str(wat).unwrap()).unwrap();
    let mut store = Store::new(&engine);
    let inst = Linker::new().instantiate(&mut store, &module).unwrap();
    (store, inst)
}

fn trap_of(r: Result<Vec<Val>, Error>) -> engine::Trap {
    match r {
        Err(Error::Trap(t)) => t,
        other => panic!("expected a trap, got {other:?}"),
    }
}

fn kind(t: &engine::Trap) -> TrapKind {
    match t.reason {
        TrapReason::Wasm(k) => k,
        ref r => panic!("expected a wasm trap, got {r:?}"),
    }
}

const MODULE: &str = r#"
(module $traps
  (memory 1)
  (func $load (export "load") (param i32) (result i32) (i32.load (local.get 0)))
  (func $store (export "store") (param i32) (i32.store (local.get 0) (i32.const 1)))
  (func $div (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func $unreachable (export "unreachable") unreachable)
  (func $inner (call $unreachable))
  (func $outer (export "nested") (call $inner))
  (func $recurse (export "recurse") (param i32) (result i32)
    (i32.add (call $recurse (i32.add (local.get 0) (i32.const 1))) (i32.const 1)))
  (func (export "ok") (result i32) (i32.const 7)))
"#;

#[test]
fn out_of_bounds_memory_access() {
    let (mut store, inst) = instance(MODULE);
    let load = inst.get_func(&store, "load").unwrap();
    assert_eq!(load.call(&mut store, &[Val::I32(65532)]).unwrap(), vec![Val::I32(0)]);
    for addr in [65533, 65536, -1, i32::MIN] {
        let t = trap_of(load.call(&mut store, &[Val::I32(addr)]));
        assert_eq!(kind(&t), TrapKind::MemoryOutOfBounds, "load at {addr}");
    }
    let st = inst.get_func(&store, "store").unwrap();
    let t = trap_of(st.call(&mut store, &[Val::I32(65535)]));
    assert_eq!(kind(&t), TrapKind::MemoryOutOfBounds);
    assert_eq!(t.to_string().lines().next().unwrap(), "wasm trap: out of bounds memory access");
}

#[test]
fn arithmetic_traps() {
    let (mut store, inst) = instance(MODULE);
    let div = inst.get_func(&store, "div").unwrap();
    assert_eq!(div.call(&mut store, &[Val::I32(7), Val::I32(2)]).unwrap(), vec![Val::I32(3)]);
    let t = trap_of(div.call(&mut store, &[Val::I32(1), Val::I32(0)]));
    assert_eq!(kind(&t), TrapKind::IntegerDivisionByZero);
    let t = trap_of(div.call(&mut store, &[Val::I32(i32::MIN), Val::I32(-1)]));
    assert_eq!(kind(&t), TrapKind::IntegerOverflow);
}

#[test]
fn unreachable_with_backtrace() {
    let (mut store, inst) = instance(MODULE);
    let f = inst.get_func(&store, "nested").unwrap();
    let t = trap_of(f.call(&mut store, &[]));
    assert_eq!(kind(&t), TrapKind::Unreachable);
    let names: Vec<_> = t.backtrace.iter().map(|f| f.func_name.clone().unwrap_or_default()).collect();
    assert_eq!(names, ["unreachable", "inner", "outer"]);
    assert_eq!(t.backtrace[0].func_index, 3);
    assert_eq!(t.backtrace[0].module_name.as_deref(), Some("traps"));
}

#[test]
fn infinite_recursion_is_a_stack_overflow_and_the_store_stays_usable() {
    let (mut store, inst) = instance(MODULE);
    let f = inst.get_func(&store, "recurse").unwrap();
    for _ in 0..3 {
        let t = trap_of(f.call(&mut store, &[Val::I32(0)]));
        assert_eq!(kind(&t), TrapKind::StackOverflow);
        assert!(!t.backtrace.is_empty());
    }
    let ok = inst.get_func(&store, "ok").unwrap();
    assert_eq!(ok.call(&mut store, &[]).unwrap(), vec![Val::I32(7)]);
}

#[test]
fn stack_overflow_on_a_small_thread() {
    // The wasm budget (1 MiB) is larger than this thread's whole stack: the
    // limit must be clamped to the real stack so wasm still traps cleanly.
    std::thread::Builder::new()
        .stack_size(512 << 10)
        .spawn(|| {
            let (mut store, inst) = instance(MODULE);
            let f = inst.get_func(&store, "recurse").unwrap();
            let t = trap_of(f.call(&mut store, &[Val::I32(0)]));
            assert_eq!(kind(&t), TrapKind::StackOverflow);
        })
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn traps_on_many_threads() {
    let engine = Engine::default();
    let module = Module::new(&engine, &wat::parse_str(MODULE).unwrap()).unwrap();
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let (engine, module) = (engine.clone(), module.clone());
            std::thread::spawn(move || {
                let mut store = Store::new(&engine);
                let inst = Linker::new().instantiate(&mut store, &module).unwrap();
                let load = inst.get_func(&store, "load").unwrap();
                for i in 0..50 {
                    let t = trap_of(load.call(&mut store, &[Val::I32(70000 + i)]));
                    assert_eq!(kind(&t), TrapKind::MemoryOutOfBounds);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
}

#[test]
fn max_wasm_stack_is_honoured() {
    let wat = r#"(module
      (func $down (export "down") (param i32) (result i32)
        (if (result i32) (i32.eqz (local.get 0))
          (then (i32.const 0))
          (else (i32.add (i32.const 1) (call $down (i32.sub (local.get 0) (i32.const 1))))))))"#;
    let wasm = wat::parse_str(wat).unwrap();
    for (stack, expect_overflow) in [(1usize << 20, false), (16 << 10, true)] {
        let engine = Engine::new(engine::Config { max_wasm_stack: stack, ..Default::default() }).unwrap();
        let module = Module::new(&engine, &wasm).unwrap();
        let mut store = Store::new(&engine);
        let inst = Linker::new().instantiate(&mut store, &module).unwrap();
        let f = inst.get_func(&store, "down").unwrap();
        let r = f.call(&mut store, &[Val::I32(2000)]);
        if expect_overflow {
            assert_eq!(kind(&trap_of(r)), TrapKind::StackOverflow, "stack {stack}");
        } else {
            assert_eq!(r.unwrap(), vec![Val::I32(2000)], "stack {stack}");
        }
    }
}

/// Each frame's module offset is that of its instruction — the trapping
/// one, then each call on the way — and its function offset the same from
/// the start of the function's body, as a wasm parser reads them.
#[test]
fn frames_give_the_wasm_offsets_of_their_instructions() {
    let wasm = wat::parse_str(MODULE).unwrap();
    // (body start, offset of its first `unreachable` or `call`) per function.
    let mut sites = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(&wasm) {
        if let wasmparser::Payload::CodeSectionEntry(body) = payload.unwrap() {
            let start = body.range().start as u32;
            let mut ops = body.get_operators_reader().unwrap();
            let mut site = None;
            while !ops.eof() {
                let at = ops.original_position() as u32;
                let op = ops.read().unwrap();
                if site.is_none() && matches!(op, wasmparser::Operator::Unreachable | wasmparser::Operator::Call { .. }) {
                    site = Some(at);
                }
            }
            sites.push((start, site));
        }
    }
    let (mut store, inst) = instance(MODULE);
    let t = trap_of(inst.get_func(&store, "nested").unwrap().call(&mut store, &[]));
    let got: Vec<_> = t.backtrace.iter().map(|f| (f.func_index, f.module_offset, f.func_offset)).collect();
    let want: Vec<_> = [3u32, 4, 5]
        .iter()
        .map(|&i| {
            let (start, site) = sites[i as usize];
            (i, site, site.map(|s| s - start))
        })
        .collect();
    assert_eq!(got, want);
    assert!(want.iter().all(|(_, m, _)| m.is_some()));
}
