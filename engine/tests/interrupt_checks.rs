//! The interrupt checks compiled into guest code (`run::interrupt`): with
//! them, an endless loop stops at its next check once the store is
//! interrupted; without them
//! (`Config::interrupt_checks = false`, for measuring their cost) the same
//! code computes the same results, under a fingerprint of its own so the
//! two never share cached code.

use engine::{Config, Engine, Error, Linker, Module, Store, TrapKind, TrapReason, Val};
use std::time::Duration;

const WAT: &str = r#"(module
    (func (export "spin") (loop $l (br $l)))
    (func (export "count") (param $n i32) (result i32) (local $i i32)
        (block $done (loop $next
            (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $next)))
        (local.get $i)))"#;

fn module(checks: bool) -> (Engine, Module) {
    let engine = Engine::new(Config { interrupt_checks: checks, ..Config::default() }).unwrap();
    let m = Module::new(&engine, &wat::parse_str(WAT).unwrap()).unwrap();
    (engine, m)
}

fn interrupted(engine: &Engine, module: &Module, name: &str) -> Result<Vec<Val>, Error> {
    let mut store = Store::new(engine);
    let _deadline = store.interrupt_handle().interrupt_after(Duration::from_millis(50));
    let inst = Linker::new().instantiate(&mut store, module).unwrap();
    inst.get_func(&store, name).unwrap().call(&mut store, &[])
}

#[test]
fn an_endless_loop_stops_when_interrupted() {
    let (engine, m) = module(true);
    match interrupted(&engine, &m, "spin") {
        Err(Error::Trap(t)) => assert!(matches!(t.reason, TrapReason::Wasm(TrapKind::Interrupt)), "{t}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn code_without_checks_computes_the_same_and_is_cached_apart() {
    let (on, m_on) = module(true);
    let (off, m_off) = module(false);
    for (engine, m) in [(&on, &m_on), (&off, &m_off)] {
        let mut store = Store::new(engine);
        let inst = Linker::new().instantiate(&mut store, m).unwrap();
        let r = inst.get_func(&store, "count").unwrap().call(&mut store, &[Val::I32(1_000_000)]).unwrap();
        assert_eq!(r, vec![Val::I32(1_000_000)]);
    }
    assert_ne!(on.fingerprint().unwrap(), off.fingerprint().unwrap());
    assert_eq!(on.fingerprint().unwrap(), Engine::new(Config::default()).unwrap().fingerprint().unwrap());
}
