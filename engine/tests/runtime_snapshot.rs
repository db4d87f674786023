//! Restoring an instance from a captured state (`Instance::restore`,
//! `engine::instantiate::instance_state`): the restored instance has the
//! captured globals, memory size and table without running its start
//! function, and a state that does not fit the module is refused as such
//! (`Error::SnapshotMismatch`), not as a handle of another store.

use engine::instantiate::instance_state::{capture, fill_refs};
use engine::{Engine, Error, Instance, Linker, Module, Restore, Store, Val};

const WAT: &str = r#"(module
    (memory (export "mem") 1 3)
    (global $g (export "g") (mut i32) (i32.const 1))
    (table 2 funcref)
    (elem (i32.const 0) $get)
    (type $t (func (result i32)))
    (func $get (result i32) (global.get $g))
    (func (export "init") (global.set $g (i32.const 42)) (drop (memory.grow (i32.const 1))))
    (func (export "via_table") (result i32) (call_indirect (type $t) (i32.const 0)))
    (func $start (global.set $g (i32.add (global.get $g) (i32.const 100))))
    (start $start))"#;

fn module(engine: &Engine, wat: &str) -> Module {
    Module::new(engine, &wat::parse_str(wat).unwrap()).unwrap()
}

#[test]
fn a_restored_instance_has_the_captured_state() {
    let engine = Engine::default();
    let m = module(&engine, WAT);
    let mut store = Store::new(&engine);
    let inst = Linker::new().instantiate(&mut store, &m).unwrap();
    inst.get_func(&store, "init").unwrap().call(&mut store, &[]).unwrap();
    let states = capture(&store, &[inst]).unwrap();
    assert_eq!(states[0].memory_pages, vec![2]);

    let mut store = Store::new(&engine);
    let r = Restore { state: &states[0], memory0: None };
    let restored = Instance::restore(&mut store, &m, &[], &r).unwrap();
    fill_refs(&mut store, &[restored], &states).unwrap();
    // 42, not 142: the start function did not run again.
    assert_eq!(restored.get_global(&store, "g").unwrap().get(&store), Val::I32(42));
    assert_eq!(restored.get_memory(&store, "mem").unwrap().size_pages(&store), 2);
    let via_table = restored.get_func(&store, "via_table").unwrap().call(&mut store, &[]).unwrap();
    assert_eq!(via_table, vec![Val::I32(42)]);
}

#[test]
fn a_state_that_does_not_fit_is_a_snapshot_mismatch() {
    let engine = Engine::default();
    let m = module(&engine, WAT);
    let mut store = Store::new(&engine);
    let inst = Linker::new().instantiate(&mut store, &m).unwrap();
    let states = capture(&store, &[inst]).unwrap();

    // Another module: one more global.
    let other = module(&engine, "(module (memory 1) (global i32 (i32.const 0)) (global i32 (i32.const 0)) (table 2 funcref))");
    let r = Restore { state: &states[0], memory0: None };
    match Instance::restore(&mut Store::new(&engine), &other, &[], &r) {
        Err(Error::SnapshotMismatch(m)) => assert!(m.contains("number of globals"), "{m}"),
        other => panic!("{other:?}"),
    }

    // A damaged state: a memory larger than the module's maximum.
    let mut big = states[0].clone();
    big.memory_pages = vec![4];
    let r = Restore { state: &big, memory0: None };
    let e = Instance::restore(&mut Store::new(&engine), &m, &[], &r).unwrap_err();
    assert!(matches!(e, Error::SnapshotMismatch(_)), "{e:?}");
    assert!(e.to_string().contains("does not fit"), "{e}");

    // A table entry naming an instance that was not restored.
    let mut store = Store::new(&engine);
    let restored = Instance::restore(&mut store, &m, &[], &Restore { state: &states[0], memory0: None }).unwrap();
    let mut far = states[0].clone();
    far.tables[0][0] = engine::RefSlot::Func(engine::FuncSlot { instance: 5, func: 0 });
    let e = fill_refs(&mut store, &[restored], &[far]).unwrap_err();
    assert!(matches!(e, Error::SnapshotMismatch(_)), "{e:?}");
}
