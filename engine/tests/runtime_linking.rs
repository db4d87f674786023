//! Linking instances together and the spec's instantiation rules: import
//! type checks with precise messages, shared memories/tables/globals, and
//! segment initialisation that traps part-way (earlier writes stay).

use engine::{
    Engine, Error, Extern, Global, GlobalType, Linker, Memory, MemoryType, Module, RefType, Store, Table, TableType, TrapKind,
    TrapReason, Val, ValType,
};

fn module(engine: &Engine, wat: &str) -> Module {
    Module::new(engine, &wat::parse_str(wat).unwrap()).unwrap()
}

const EXPORTER: &str = r#"
(module
  (memory (export "mem") 1 2)
  (table (export "tab") 3 funcref)
  (global (export "g") (mut i32) (i32.const 5))
  (global (export "c") i64 (i64.const 9))
  (func $f (export "f") (param i32) (result i32) (i32.add (local.get 0) (global.get 0)))
  (elem (i32.const 0) $f))
"#;

const IMPORTER: &str = r#"
(module
  (import "a" "mem" (memory 1))
  (import "a" "tab" (table 1 funcref))
  (import "a" "g" (global $g (mut i32)))
  (import "a" "f" (func $f (param i32) (result i32)))
  (type $t (func (param i32) (result i32)))
  (func (export "via_import") (param i32) (result i32) (call $f (local.get 0)))
  (func (export "via_table") (param i32) (result i32) (call_indirect (type $t) (local.get 0) (i32.const 0)))
  (func (export "set_g") (param i32) (global.set $g (local.get 0)))
  (func (export "store") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))
"#;

#[test]
fn imports_and_exports_between_instances() {
    let engine = Engine::default();
    let mut store = Store::new(&engine);
    let a = Linker::new().instantiate(&mut store, &module(&engine, EXPORTER)).unwrap();
    let mut linker = Linker::new();
    linker.instance(&store, "a", a);
    let b = linker.instantiate(&mut store, &module(&engine, IMPORTER)).unwrap();
    let call = |store: &mut Store, name: &str, args: &[Val]| b.get_func(store, name).unwrap().call(store, args).unwrap();

    assert_eq!(call(&mut store, "via_import", &[Val::I32(1)]), vec![Val::I32(6)]);
    assert_eq!(call(&mut store, "via_table", &[Val::I32(2)]), vec![Val::I32(7)]);
    call(&mut store, "set_g", &[Val::I32(100)]);
    let g = a.get_global(&store, "g").unwrap();
    assert_eq!(g.get(&store), Val::I32(100));
    assert_eq!(call(&mut store, "via_import", &[Val::I32(1)]), vec![Val::I32(101)]);
    call(&mut store, "store", &[Val::I32(8), Val::I32(0x01020304)]);
    let mem = a.get_memory(&store, "mem").unwrap();
    assert_eq!(&mem.data(&store)[8..12], &[4, 3, 2, 1]);
    assert_eq!(call(&mut store, "grow", &[Val::I32(1)]), vec![Val::I32(1)]);
    assert_eq!(mem.size_pages(&store), 2);
    assert_eq!(call(&mut store, "grow", &[Val::I32(1)]), vec![Val::I32(-1)], "max is 2");
    assert_eq!(a.get_table(&store, "tab").unwrap().get(&store, 0), Some(Val::FuncRef(a.get_func(&store, "f"))));
}

#[test]
fn link_errors_name_the_import_and_both_types() {
    let engine = Engine::default();
    let mut store = Store::new(&engine);
    let m = module(&engine, IMPORTER);
    match Linker::new().instantiate(&mut store, &m) {
        Err(Error::Link(msg)) => assert!(msg.contains("a.mem"), "{msg}"),
        other => panic!("{other:?}"),
    }
    let a = Linker::new().instantiate(&mut store, &module(&engine, EXPORTER)).unwrap();
    let mut linker = Linker::new();
    linker.instance(&store, "a", a);
    // Wrong function type.
    let wrong_f = module(&engine, r#"(module (import "a" "f" (func (param i64))))"#);
    match linker.instantiate(&mut store, &wrong_f) {
        Err(Error::Link(msg)) => {
            assert!(msg.contains("`a.f`"), "{msg}");
            assert!(msg.contains("expected func [i64] -> []"), "{msg}");
            assert!(msg.contains("found func [i32] -> [i32]"), "{msg}");
        }
        other => panic!("{other:?}"),
    }
    // Mutability mismatch, wrong kind, memory limits.
    for (wat, needle) in [
        (r#"(module (import "a" "c" (global (mut i64))))"#, "found global i64"),
        (r#"(module (import "a" "f" (memory 1)))"#, "found a function"),
        (r#"(module (import "a" "mem" (memory 1 1)))"#, "found memory {min 1, max 2}"),
        (r#"(module (import "a" "mem" (memory 2)))"#, "found memory {min 1, max 2}"),
        (r#"(module (import "a" "tab" (table 4 funcref)))"#, "found table {min 3} funcref"),
        (r#"(module (import "a" "tab" (table 1 externref)))"#, "found table {min 3} funcref"),
    ] {
        match linker.instantiate(&mut store, &module(&engine, wat)) {
            Err(Error::Link(msg)) => assert!(msg.contains(needle), "{wat}: {msg}"),
            other => panic!("{wat}: {other:?}"),
        }
    }
    // Limits subtyping accepts a larger current size and a tighter max.
    let ok = module(&engine, r#"(module (import "a" "mem" (memory 0 3)) (import "a" "tab" (table 2 funcref)))"#);
    linker.instantiate(&mut store, &ok).unwrap();
}

#[test]
fn host_created_items_can_be_imported() {
    let engine = Engine::default();
    let mut store = Store::new(&engine);
    let mem = Memory::new(&mut store, MemoryType { min: 1, max: None }).unwrap();
    let tab = Table::new(&mut store, TableType { elem: RefType::ExternRef, min: 2, max: None }, Val::ExternRef(Some(7))).unwrap();
    let g = Global::new(&mut store, GlobalType { ty: ValType::F32, mutable: false }, Val::from(2.5f32)).unwrap();
    let mut linker = Linker::new();
    linker.define("h", "mem", Extern::Memory(mem)).define("h", "tab", tab.into()).define("h", "g", g.into());
    let m = module(
        &engine,
        r#"(module
            (import "h" "mem" (memory 1))
            (import "h" "tab" (table 1 externref))
            (import "h" "g" (global f32))
            (func (export "get") (param i32) (result externref) (table.get 0 (local.get 0)))
            (func (export "g") (result f32) (global.get 0))
            (func (export "load") (result i32) (i32.load8_u (i32.const 3))))"#,
    );
    mem.data_mut(&mut store)[3] = 77;
    let inst = linker.instantiate(&mut store, &m).unwrap();
    let call = |store: &mut Store, name: &str, args: &[Val]| inst.get_func(store, name).unwrap().call(store, args).unwrap();
    assert_eq!(call(&mut store, "get", &[Val::I32(1)]), vec![Val::ExternRef(Some(7))]);
    assert_eq!(call(&mut store, "g", &[]), vec![Val::from(2.5f32)]);
    assert_eq!(call(&mut store, "load", &[]), vec![Val::I32(77)]);
    assert!(matches!(inst.get_func(&store, "get").unwrap().call(&mut store, &[Val::I32(2)]), Err(Error::Trap(_))));
    // Handles of another store are refused, not misused.
    let mut other = Store::new(&engine);
    assert!(matches!(mem.grow(&mut other, 1), Err(Error::ForeignHandle)));
    assert!(matches!(inst.get_func(&store, "g").unwrap().call(&mut other, &[]), Err(Error::ForeignHandle)));
    assert!(matches!(linker.instantiate(&mut other, &m), Err(Error::Link(_))));
}

#[test]
fn segment_initialisation_traps_keep_earlier_writes() {
    let engine = Engine::default();
    let mut store = Store::new(&engine);
    let a = Linker::new().instantiate(&mut store, &module(&engine, EXPORTER)).unwrap();
    let mut linker = Linker::new();
    linker.instance(&store, "a", a);
    // First element segment fits, the second does not; data segments never
    // run because element segments come first.
    let m = module(
        &engine,
        r#"(module
            (import "a" "mem" (memory 1))
            (import "a" "tab" (table 3 funcref))
            (func $h (result i32) (i32.const 42))
            (elem (i32.const 1) $h)
            (elem (i32.const 2) $h $h)
            (data (i32.const 0) "x"))"#,
    );
    match linker.instantiate(&mut store, &m) {
        Err(Error::Trap(t)) => assert_eq!(t.reason, TrapReason::Wasm(TrapKind::TableOutOfBounds)),
        other => panic!("{other:?}"),
    }
    let tab = a.get_table(&store, "tab").unwrap();
    let mem = a.get_memory(&store, "mem").unwrap();
    assert_eq!(mem.data(&store)[0], 0, "data segments did not run");
    // The function of the failed instance is in the shared table and works.
    let Some(Val::FuncRef(Some(h))) = tab.get(&store, 1) else { panic!("element 1 not written") };
    assert_eq!(h.call(&mut store, &[]).unwrap(), vec![Val::I32(42)]);
    assert_eq!(tab.get(&store, 2), Some(Val::FuncRef(None)), "the failing segment wrote nothing");

    // Data: the first segment is written, the second is out of bounds.
    let m = module(
        &engine,
        r#"(module
            (import "a" "mem" (memory 1))
            (data (i32.const 10) "ab")
            (data (i32.const 65535) "cd")
            (start $s) (func $s unreachable))"#,
    );
    match linker.instantiate(&mut store, &m) {
        Err(Error::Trap(t)) => assert_eq!(t.reason, TrapReason::Wasm(TrapKind::MemoryOutOfBounds)),
        other => panic!("{other:?}"),
    }
    assert_eq!(&mem.data(&store)[10..12], b"ab");
    assert_eq!(mem.data(&store)[65535], 0);

    // A trapping start function is reported as a trap, after segments ran.
    let m =
        module(&engine, r#"(module (import "a" "mem" (memory 1)) (data (i32.const 20) "z") (start $s) (func $s unreachable))"#);
    match linker.instantiate(&mut store, &m) {
        Err(Error::Trap(t)) => assert_eq!(t.reason, TrapReason::Wasm(TrapKind::Unreachable)),
        other => panic!("{other:?}"),
    }
    assert_eq!(mem.data(&store)[20], b'z');
}

#[test]
fn bulk_memory_and_passive_segments() {
    let engine = Engine::default();
    let mut store = Store::new(&engine);
    let m = module(
        &engine,
        r#"(module
            (memory (export "mem") 1)
            (table 4 funcref)
            (data $d "hello")
            (elem $e func $f $f)
            (func $f (result i32) (i32.const 1))
            (func (export "init") (param i32 i32 i32) (memory.init $d (local.get 0) (local.get 1) (local.get 2)))
            (func (export "drop") (data.drop $d))
            (func (export "fill") (param i32 i32 i32) (memory.fill (local.get 0) (local.get 1) (local.get 2)))
            (func (export "copy") (param i32 i32 i32) (memory.copy (local.get 0) (local.get 1) (local.get 2)))
            (func (export "tinit") (param i32 i32 i32) (table.init $e (local.get 0) (local.get 1) (local.get 2)))
            (func (export "edrop") (elem.drop $e))
            (func (export "tsize") (result i32) (table.size))
            (func (export "tgrow") (param i32) (result i32) (table.grow (ref.null func) (local.get 0))))"#,
    );
    let inst = Linker::new().instantiate(&mut store, &m).unwrap();
    let mem = inst.get_memory(&store, "mem").unwrap();
    let call = |store: &mut Store, name: &str, args: &[i32]| {
        let args: Vec<Val> = args.iter().map(|&a| Val::I32(a)).collect();
        inst.get_func(store, name).unwrap().call(store, &args)
    };
    let is_trap = |r: Result<Vec<Val>, Error>, k: TrapKind| match r {
        Err(Error::Trap(t)) => t.reason == TrapReason::Wasm(k),
        _ => false,
    };
    call(&mut store, "init", &[100, 1, 4]).unwrap();
    assert_eq!(&mem.data(&store)[100..104], b"ello");
    assert!(is_trap(call(&mut store, "init", &[65534, 0, 3]), TrapKind::MemoryOutOfBounds));
    assert_eq!(mem.data(&store)[65534], 0, "out-of-bounds init writes nothing");
    call(&mut store, "init", &[65536, 5, 0]).unwrap();
    assert!(is_trap(call(&mut store, "init", &[65537, 0, 0]), TrapKind::MemoryOutOfBounds));
    call(&mut store, "drop", &[]).unwrap();
    call(&mut store, "init", &[0, 0, 0]).unwrap();
    assert!(is_trap(call(&mut store, "init", &[0, 0, 1]), TrapKind::MemoryOutOfBounds), "dropped");
    call(&mut store, "fill", &[200, 0xAB, 3]).unwrap();
    assert_eq!(&mem.data(&store)[199..204], &[0, 0xAB, 0xAB, 0xAB, 0]);
    assert!(is_trap(call(&mut store, "fill", &[65535, 1, 2]), TrapKind::MemoryOutOfBounds));
    call(&mut store, "copy", &[201, 100, 4]).unwrap();
    assert_eq!(&mem.data(&store)[200..206], b"\xABello\0");
    assert!(is_trap(call(&mut store, "copy", &[0, 65535, 2]), TrapKind::MemoryOutOfBounds));
    call(&mut store, "tinit", &[2, 0, 2]).unwrap();
    assert!(is_trap(call(&mut store, "tinit", &[3, 0, 2]), TrapKind::TableOutOfBounds));
    call(&mut store, "edrop", &[]).unwrap();
    assert!(is_trap(call(&mut store, "tinit", &[0, 0, 1]), TrapKind::TableOutOfBounds));
    assert_eq!(call(&mut store, "tgrow", &[3]).unwrap(), vec![Val::I32(4)]);
    assert_eq!(call(&mut store, "tsize", &[]).unwrap(), vec![Val::I32(7)]);
    assert_eq!(call(&mut store, "tgrow", &[-1]).unwrap(), vec![Val::I32(-1)]);
}
