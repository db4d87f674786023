//! A restored instance is the instance its snapshot was taken of: globals,
//! table, memory size and contents, dropped segments; and two restored
//! instances never see each other's writes. The module's `wizer.initialize`
//! changes each of those from what a fresh instance has.

use engine::{Engine, Linker, Module, Store, Val};
use hostabi::wasi::WasiCtx;
use snapshot::take::{capture, run_init, Source, WIZER_INIT};
use snapshot::Snapshot;

const WAT: &str = r#"
(module
  (memory (export "memory") 1 10)
  (global $g (mut i32) (i32.const 1))
  (global $r (mut funcref) (ref.null func))
  (table $t 1 10 funcref)
  (type $v (func (result i32)))
  (func $seven (result i32) i32.const 7)
  (func $eight (result i32) i32.const 8)
  (elem declare func $seven $eight)
  (data $d "passive!")
  (func (export "wizer.initialize")
    (global.set $g (i32.const 42))
    (drop (memory.grow (i32.const 2)))
    (i32.store (i32.const 70000) (i32.const 1234))
    (memory.init $d (i32.const 100) (i32.const 0) (i32.const 8))
    (data.drop $d)
    (drop (table.grow $t (ref.func $eight) (i32.const 2)))
    (table.set $t (i32.const 0) (ref.func $seven))
    (global.set $r (ref.func $eight)))
  (func (export "g") (result i32) global.get $g)
  (func (export "pages") (result i32) memory.size)
  (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "store") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
  (func (export "tsize") (result i32) (table.size $t))
  (func (export "call") (param i32) (result i32) (call_indirect $t (type $v) (local.get 0)))
  (func (export "callr") (result i32) (table.set $t (i32.const 0) (global.get $r)) (call_indirect $t (type $v) (i32.const 0)))
  (func (export "reinit") (memory.init $d (i32.const 0) (i32.const 0) (i32.const 1))))
"#;

fn call(store: &mut Store, inst: engine::Instance, name: &str, args: &[Val]) -> Result<Vec<Val>, engine::Error> {
    inst.get_func(store, name).expect(name).call(store, args)
}

fn i32_of(r: Result<Vec<Val>, engine::Error>) -> i32 {
    match r.expect("call").first() {
        Some(Val::I32(v)) => *v,
        other => panic!("not an i32: {other:?}"),
    }
}

/// Everything the test observes of an instance.
fn observe(store: &mut Store, inst: engine::Instance) -> Vec<i32> {
    vec![
        i32_of(call(store, inst, "g", &[])),
        i32_of(call(store, inst, "pages", &[])),
        i32_of(call(store, inst, "load", &[Val::I32(70000)])),
        i32_of(call(store, inst, "load", &[Val::I32(100)])),
        i32_of(call(store, inst, "tsize", &[])),
        i32_of(call(store, inst, "call", &[Val::I32(0)])),
        i32_of(call(store, inst, "call", &[Val::I32(2)])),
        i32_of(call(store, inst, "callr", &[])),
        // A dropped data segment: memory.init of a non-empty range traps.
        call(store, inst, "reinit", &[]).is_err() as i32,
    ]
}

fn setup() -> (Engine, Module, Linker) {
    let engine = Engine::default();
    let module = Module::new(&engine, &wat::parse_str(WAT).unwrap()).unwrap();
    (engine, module, Linker::new())
}

fn take(engine: &Engine, module: &Module, linker: &Linker) -> (Snapshot, Vec<i32>) {
    let mut store = Store::new(engine);
    let inst = linker.instantiate(&mut store, module).unwrap();
    run_init(&mut store, inst, WIZER_INIT).unwrap();
    let wasi = WasiCtx::builder().build().unwrap();
    let snap = capture(
        &store,
        inst,
        wasi.capture_state().unwrap(),
        None,
        Source { module_sha256: Some([7; 32]), module_path: "", init: WIZER_INIT },
    )
    .unwrap();
    let fresh = observe(&mut store, inst);
    (snap, fresh)
}

#[test]
fn restored_instance_matches_the_initialised_one() {
    let (engine, module, linker) = setup();
    let (snap, fresh) = take(&engine, &module, &linker);
    assert_eq!(fresh, vec![42, 3, 1234, i32::from_le_bytes(*b"pass"), 3, 7, 8, 8, 1]);
    let mut store = Store::new(&engine);
    let restored = snap.restore(&mut store, &linker, &module, None).unwrap();
    assert_eq!(observe(&mut store, restored), fresh);
}

#[test]
fn restored_instances_are_isolated() {
    let (engine, module, linker) = setup();
    let (snap, _) = take(&engine, &module, &linker);
    let mut store = Store::new(&engine);
    let a = snap.restore(&mut store, &linker, &module, None).unwrap();
    let b = snap.restore(&mut store, &linker, &module, None).unwrap();
    call(&mut store, a, "store", &[Val::I32(70000), Val::I32(-5)]).unwrap();
    assert_eq!(i32_of(call(&mut store, a, "load", &[Val::I32(70000)])), -5);
    assert_eq!(i32_of(call(&mut store, b, "load", &[Val::I32(70000)])), 1234);
    drop(store);
    // A memory reused from the pool starts from the image again.
    let mut store = Store::new(&engine);
    let c = snap.restore(&mut store, &linker, &module, None).unwrap();
    assert_eq!(i32_of(call(&mut store, c, "load", &[Val::I32(70000)])), 1234);
}

#[test]
fn file_round_trip_and_damage() {
    let (engine, module, linker) = setup();
    let (snap, fresh) = take(&engine, &module, &linker);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.snap");
    snap.write(&path).unwrap();
    let loaded = Snapshot::load(&path).unwrap();
    assert_eq!(loaded.meta, snap.meta);
    let mut store = Store::new(&engine);
    let a = loaded.restore(&mut store, &linker, &module, None).unwrap();
    let b = loaded.restore(&mut store, &linker, &module, None).unwrap();
    assert_eq!(observe(&mut store, a), fresh);
    call(&mut store, a, "store", &[Val::I32(70000), Val::I32(99)]).unwrap();
    assert_eq!(i32_of(call(&mut store, b, "load", &[Val::I32(70000)])), 1234);
    drop(store);
    // Guest writes never reach the file.
    assert_eq!(Snapshot::load(&path).unwrap().meta, snap.meta);
    let bytes = std::fs::read(&path).unwrap();
    for (what, damaged) in [
        ("truncated", bytes[..bytes.len() - 1].to_vec()),
        ("flipped image byte", {
            let mut b = bytes.clone();
            let n = b.len();
            b[n - 65536 + 1234] ^= 1;
            b
        }),
        ("flipped metadata byte", {
            let mut b = bytes.clone();
            b[80] ^= 1;
            b
        }),
        ("bad magic", {
            let mut b = bytes.clone();
            b[0] = b'X';
            b
        }),
        ("empty", Vec::new()),
    ] {
        let p = dir.path().join("bad.snap");
        std::fs::write(&p, &damaged).unwrap();
        let e = Snapshot::load(&p).err().unwrap_or_else(|| panic!("{what}: loaded"));
        assert!(e.to_string().contains("bad.snap"), "{what}: {e}");
    }
    assert!(Snapshot::load(&dir.path().join("missing.snap")).is_err());
}

#[test]
fn a_snapshot_refuses_another_module() {
    let (engine, module, linker) = setup();
    let (snap, _) = take(&engine, &module, &linker);
    assert!(snap.check_module(&[7; 32]).is_ok());
    assert!(snap.check_module(&[8; 32]).is_err());
    let other = Module::new(&engine, &wat::parse_str("(module (memory 1))").unwrap()).unwrap();
    let mut store = Store::new(&engine);
    let e = snap.restore(&mut store, &linker, &other, None).expect_err("restored into another module");
    assert!(e.to_string().contains("does not fit"), "{e}");
}

#[test]
fn init_failures_are_reported() {
    let engine = Engine::default();
    for (wat, want) in [
        (r#"(module (memory 1) (func (export "wizer.initialize") unreachable))"#, "trapped"),
        (r#"(module (memory 1))"#, "exports no function"),
    ] {
        let module = Module::new(&engine, &wat::parse_str(wat).unwrap()).unwrap();
        let mut store = Store::new(&engine);
        let inst = Linker::new().instantiate(&mut store, &module).unwrap();
        let e = run_init(&mut store, inst, WIZER_INIT).unwrap_err();
        assert!(e.to_string().contains(want), "{e}");
    }
}
