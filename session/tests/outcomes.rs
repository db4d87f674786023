//! Every way a guest's run ends, as the session reports it: typed, and a
//! timeout only when the session's own deadline stopped the guest.

use engine::{TrapKind, TrapReason, Val};
use session::{GuestSpec, Host, HostOptions, Outcome, Session, SessionError, Start, Timeout, UnknownImports};
use std::time::Duration;

fn host() -> Host {
    Host::new(HostOptions { cache_dir: None, ..HostOptions::from_env() }).expect("host")
}

const GUEST: &str = r#"
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "exit3") (call $exit (i32.const 3)))
  (func (export "boom") unreachable)
  (func (export "spin") (loop $l (br $l)))
  ;; Counts down from a large number, then exits by itself with 7.
  (func (export "count_then_exit") (param i64)
    (loop $l
      (local.set 0 (i64.sub (local.get 0) (i64.const 1)))
      (br_if $l (i64.ne (local.get 0) (i64.const 0))))
    (call $exit (i32.const 7))))
"#;

fn session(spec: GuestSpec) -> Session {
    let host = host();
    let module = engine::Module::new(host.engine(), &wat::parse_str(GUEST).unwrap()).unwrap();
    let mut s = Session::new(&host, &module, spec).expect("session");
    s.start(Start::Fresh).expect("start");
    s
}

#[test]
fn returned_exited_and_trapped() {
    let mut s = session(GuestSpec::new("guest"));
    match s.call("add", &[Val::I32(2), Val::I32(40)]) {
        Outcome::Returned(r) => assert_eq!(r, vec![Val::I32(42)]),
        other => panic!("{other:?}"),
    }
    assert!(matches!(s.call("exit3", &[]), Outcome::Exited(3)));
    match s.call("boom", &[]) {
        Outcome::Trapped(t) => assert_eq!(t.reason, TrapReason::Wasm(TrapKind::Unreachable)),
        other => panic!("{other:?}"),
    }
    match s.call("missing", &[]) {
        Outcome::Failed(SessionError::NoExport { name, .. }) => assert_eq!(name, "missing"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_deadline_is_a_timeout() {
    let mut s = session(GuestSpec::new("guest").timeout(Timeout::After(Duration::from_millis(100))));
    assert!(matches!(s.call("spin", &[]), Outcome::TimedOut));
}

#[test]
fn an_interrupt_from_elsewhere_is_not_a_timeout() {
    let mut s = session(GuestSpec::new("guest").timeout(Timeout::After(Duration::from_secs(3600))));
    let handle = s.interrupt_handle();
    let stopper = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        handle.interrupt();
    });
    match s.call("spin", &[]) {
        Outcome::Trapped(t) => assert_eq!(t.reason, TrapReason::Wasm(TrapKind::Interrupt)),
        other => panic!("an interrupt that is not the deadline must not read as a timeout: {other:?}"),
    }
    stopper.join().unwrap();
}

#[test]
fn a_guest_that_ends_by_itself_under_a_deadline_is_not_a_timeout() {
    // It runs for a while under a deadline it never reaches, then exits by
    // itself; nothing compares clocks afterwards.
    let mut s = session(GuestSpec::new("guest").timeout(Timeout::After(Duration::from_secs(3600))));
    assert!(matches!(s.call("count_then_exit", &[Val::I64(50_000_000)]), Outcome::Exited(7)));
}

#[test]
fn unknown_imports_by_policy() {
    let wat = r#"(module
      (import "other" "f" (func $f (param i32) (result i32 i64)))
      (func (export "call") (result i32 i64) (call $f (i32.const 1))))"#;
    let host = host();
    let module = engine::Module::new(host.engine(), &wat::parse_str(wat).unwrap()).unwrap();
    let mut s = Session::new(&host, &module, GuestSpec::new("g")).unwrap();
    match s.start(Start::Fresh) {
        Err(Outcome::Failed(e)) => assert!(e.to_string().contains("other.f"), "{e}"),
        other => panic!("rejected by default: {:?}", other.map(|_| ())),
    }
    let mut s = Session::new(&host, &module, GuestSpec::new("g").unknown_imports(UnknownImports::Default)).unwrap();
    s.start(Start::Fresh).expect("start");
    match s.call("call", &[]) {
        Outcome::Returned(r) => assert_eq!(r, vec![Val::I32(0), Val::I64(0)]),
        other => panic!("{other:?}"),
    }
    let mut s = Session::new(&host, &module, GuestSpec::new("g").unknown_imports(UnknownImports::Trap)).unwrap();
    s.start(Start::Fresh).expect("start");
    match s.call("call", &[]) {
        Outcome::Trapped(t) => assert!(t.to_string().contains("unknown import `other.f`"), "{t}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_snapshot_taken_in_one_session_restores_in_another() {
    let wat = r#"(module
      (global $g (mut i32) (i32.const 0))
      (memory (export "memory") 1)
      (func (export "wizer.initialize") (global.set $g (i32.const 5)) (i32.store (i32.const 64) (i32.const 9)))
      (func (export "read") (result i32) (i32.add (global.get $g) (i32.load (i32.const 64)))))"#;
    let host = host();
    let module = engine::Module::new(host.engine(), &wat::parse_str(wat).unwrap()).unwrap();
    let mut s = Session::new(&host, &module, GuestSpec::new("g")).unwrap();
    s.start(Start::Fresh).unwrap();
    let source = snapshot::take::Source { module_sha256: None, module_path: "", init: "wizer.initialize" };
    let snap = s.take_snapshot("wizer.initialize", source).expect("snapshot");
    let mut r = Session::new(&host, &module, GuestSpec::new("g")).unwrap();
    r.start(Start::Restore { snapshot: &snap, libraries: None }).expect("restore");
    match r.call("read", &[]) {
        Outcome::Returned(v) => assert_eq!(v, vec![Val::I32(14)]),
        other => panic!("{other:?}"),
    }
}
