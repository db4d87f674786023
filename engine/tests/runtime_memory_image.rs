//! Memory initialisation from data segments, whether through the
//! copy-on-write image (defined memory 0, constant in-bounds active
//! segments) or the per-segment copy every other module keeps.

use engine::{Engine, Error, Extern, Linker, Memory, MemoryType, Module, Store, TrapKind, TrapReason, Val};

const PAGE: usize = 65536;

fn module(engine: &Engine, wat: &str) -> Module {
    Module::new(engine, &wat::parse_str(wat).unwrap()).unwrap()
}

fn call(store: &mut Store, inst: &engine::Instance, name: &str, args: &[Val]) -> Result<Vec<Val>, Error> {
    let f = inst.get_func(store, name).unwrap();
    f.call(store, args)
}

fn load8(store: &mut Store, inst: &engine::Instance, addr: i32) -> i32 {
    match call(store, inst, "load8", &[Val::I32(addr)]).unwrap().as_slice() {
        [Val::I32(v)] => *v,
        other => panic!("unexpected results {other:?}"),
    }
}

fn trap_kind(e: Error) -> TrapKind {
    match e {
        Error::Trap(t) => match t.reason {
            TrapReason::Wasm(k) => k,
            r => panic!("expected a wasm trap, got {r:?}"),
        },
        other => panic!("expected a trap, got {other:?}"),
    }
}

/// Qualifies for an image: defined memory, constant in-bounds segments,
/// one overlapping an earlier one and one past the first 64 KiB page.
const IMAGED: &str = r#"
(module
  (memory (export "memory") 2 4)
  (data (i32.const 10) "hello")
  (data (i32.const 12) "XY")
  (data (i32.const 70000) "\01\02\00\03")
  (data (i32.const 131071) "\ff")
  (func (export "load8") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "store8") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))
  (func (export "size") (result i32) (memory.size))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "init0") (param i32) (memory.init 0 (i32.const 0) (i32.const 0) (local.get 0)))
  (func (export "fill") (param i32 i32 i32) (memory.fill (local.get 0) (local.get 1) (local.get 2))))
"#;

#[test]
fn memory_starts_with_the_segments_bytes() {
    let engine = Engine::default();
    let m = module(&engine, IMAGED);
    let mut store = Store::new(&engine);
    let inst = Linker::new().instantiate(&mut store, &m).unwrap();
    let mem = inst.get_memory(&store, "memory").unwrap();
    let data = mem.data(&store);
    assert_eq!(data.len(), 2 * PAGE);
    assert_eq!(&data[8..17], b"\0\0heXYo\0\0");
    assert_eq!(&data[70000..70004], &[1, 2, 0, 3]);
    assert_eq!(data[2 * PAGE - 1], 0xff);
    assert!(data[17..70000].iter().all(|&b| b == 0));
    assert!(data[70004..2 * PAGE - 1].iter().all(|&b| b == 0));
    assert_eq!(load8(&mut store, &inst, 13), i32::from(b'Y'));
    assert_eq!(load8(&mut store, &inst, 70003), 3);
    // Active segments are dropped after instantiation: memory.init of
    // length 0 is fine, of length 1 traps.
    call(&mut store, &inst, "init0", &[Val::I32(0)]).unwrap();
    let e = call(&mut store, &inst, "init0", &[Val::I32(1)]).unwrap_err();
    assert_eq!(trap_kind(e), TrapKind::MemoryOutOfBounds);
    // The last byte is accessible, the next one is a trap.
    let e = call(&mut store, &inst, "load8", &[Val::I32((2 * PAGE) as i32)]).unwrap_err();
    assert_eq!(trap_kind(e), TrapKind::MemoryOutOfBounds);
}

#[test]
fn instances_do_not_see_each_others_writes() {
    let engine = Engine::default();
    let m = module(&engine, IMAGED);
    let mut store = Store::new(&engine);
    let a = Linker::new().instantiate(&mut store, &m).unwrap();
    let b = Linker::new().instantiate(&mut store, &m).unwrap();
    let mut other_store = Store::new(&engine);
    let c = Linker::new().instantiate(&mut other_store, &m).unwrap();
    call(&mut store, &a, "store8", &[Val::I32(10), Val::I32(b'J' as i32)]).unwrap();
    call(&mut store, &a, "fill", &[Val::I32(69000), Val::I32(7), Val::I32(2000)]).unwrap();
    let host = a.get_memory(&store, "memory").unwrap();
    host.data_mut(&mut store)[2 * PAGE - 1] = 1;
    assert_eq!(load8(&mut store, &a, 10), i32::from(b'J'));
    assert_eq!(load8(&mut store, &a, 70001), 7);
    assert_eq!(load8(&mut store, &a, 2 * PAGE as i32 - 1), 1);
    for (st, inst) in [(&mut store, &b), (&mut other_store, &c)] {
        assert_eq!(load8(st, inst, 10), i32::from(b'h'));
        assert_eq!(load8(st, inst, 70001), 2);
        assert_eq!(load8(st, inst, 69000), 0);
        assert_eq!(load8(st, inst, 2 * PAGE as i32 - 1), 0xff);
    }
    // A later instance, after the writes, still starts from the image.
    drop(store);
    let d = Linker::new().instantiate(&mut other_store, &m).unwrap();
    assert_eq!(load8(&mut other_store, &d, 10), i32::from(b'h'));
}

#[test]
fn growth_after_an_image() {
    let engine = Engine::default();
    let m = module(&engine, IMAGED);
    let mut store = Store::new(&engine);
    let inst = Linker::new().instantiate(&mut store, &m).unwrap();
    assert_eq!(call(&mut store, &inst, "size", &[]).unwrap(), vec![Val::I32(2)]);
    assert_eq!(call(&mut store, &inst, "grow", &[Val::I32(1)]).unwrap(), vec![Val::I32(2)]);
    assert_eq!(call(&mut store, &inst, "size", &[]).unwrap(), vec![Val::I32(3)]);
    assert_eq!(load8(&mut store, &inst, 12), i32::from(b'X'));
    assert_eq!(load8(&mut store, &inst, 2 * PAGE as i32), 0);
    call(&mut store, &inst, "store8", &[Val::I32(3 * PAGE as i32 - 1), Val::I32(9)]).unwrap();
    assert_eq!(load8(&mut store, &inst, 3 * PAGE as i32 - 1), 9);
    let e = call(&mut store, &inst, "load8", &[Val::I32(3 * PAGE as i32)]).unwrap_err();
    assert_eq!(trap_kind(e), TrapKind::MemoryOutOfBounds);
    let mem = inst.get_memory(&store, "memory").unwrap();
    assert_eq!(mem.grow(&mut store, 1).unwrap(), 3);
    assert!(mem.grow(&mut store, 1).is_err(), "maximum is 4 pages");
    assert_eq!(mem.data(&store).len(), 4 * PAGE);
    assert_eq!(mem.data(&store)[70000], 1);
}

#[test]
fn non_qualifying_segments_follow_the_spec() {
    let engine = Engine::default();
    // Imported memory: segments are copied in order; the second does not
    // fit, so instantiation traps and the first one's write stays visible.
    let m = module(
        &engine,
        r#"(module (import "env" "memory" (memory 1))
             (data (i32.const 0) "ab") (data (i32.const 65535) "cd"))"#,
    );
    let mut store = Store::new(&engine);
    let mem = Memory::new(&mut store, MemoryType { min: 1, max: None }).unwrap();
    let mut linker = Linker::new();
    linker.define("env", "memory", Extern::Memory(mem));
    let e = linker.instantiate(&mut store, &m).unwrap_err();
    assert_eq!(trap_kind(e), TrapKind::MemoryOutOfBounds);
    assert_eq!(&mem.data(&store)[..3], b"ab\0");

    // Defined memory with a segment past the initial size: a trap too.
    let m = module(&engine, r#"(module (memory 1) (data (i32.const 65536) "x"))"#);
    let e = Linker::new().instantiate(&mut Store::new(&engine), &m).unwrap_err();
    assert_eq!(trap_kind(e), TrapKind::MemoryOutOfBounds);

    // With a passive segment: active ones are copied at instantiation,
    // the passive one by memory.init.
    let m = module(
        &engine,
        r#"(module (memory (export "memory") 1)
             (data (i32.const 100) "gg") (data "pp") (data (i32.const 5) "c")
             (func (export "init") (memory.init 1 (i32.const 200) (i32.const 0) (i32.const 2)))
             (func (export "load8") (param i32) (result i32) (i32.load8_u (local.get 0))))"#,
    );
    let mut store = Store::new(&engine);
    let inst = Linker::new().instantiate(&mut store, &m).unwrap();
    assert_eq!(load8(&mut store, &inst, 100), i32::from(b'g'));
    assert_eq!(load8(&mut store, &inst, 5), i32::from(b'c'));
    assert_eq!(load8(&mut store, &inst, 200), 0);
    call(&mut store, &inst, "init", &[]).unwrap();
    assert_eq!(load8(&mut store, &inst, 201), i32::from(b'p'));
}
