//! The Redis state store against a real `redis-server` of the test's own.

use faasm::state::RedisStore;
use faasm::testing::RedisServer;
use hostabi::faasm::{LockKind, StateError, StateStore};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn server() -> RedisServer {
    RedisServer::start().unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn values_offsets_appends_and_limits() {
    let srv = server();
    let s = RedisStore::connect(&srv.url(), "t:", 100).unwrap();
    assert_eq!(s.size("k").unwrap(), 0);
    assert_eq!(s.get("k").unwrap(), b"");
    assert_eq!(s.get_range("k", 1, 3).unwrap(), vec![0, 0, 0]);
    s.set("k", b"0123456789").unwrap();
    assert_eq!(s.size("k").unwrap(), 10);
    assert_eq!(s.get_range("k", 8, 4).unwrap(), b"89\0\0");
    s.set_range("k", 10, 2, b"999").unwrap();
    assert_eq!(s.get("k").unwrap(), b"0199956789");
    s.set_range("g", 6, 4, b"xy").unwrap();
    assert_eq!(s.get("g").unwrap(), b"\0\0\0\0xy");
    s.set_range("h", 8, 0, b"ab").unwrap();
    assert_eq!(s.get("h").unwrap(), b"ab\0\0\0\0\0\0");
    assert!(matches!(s.set("k", &[0; 101]), Err(StateError::TooLarge { .. })));
    assert_eq!(s.get("k").unwrap(), b"0199956789");

    s.append("k", b"a").unwrap();
    s.append("k", b"bc").unwrap();
    assert_eq!(s.get("k").unwrap(), b"0199956789", "appends leave the value alone");
    assert_eq!(s.read_appended("k", 2).unwrap(), vec![b"a".to_vec(), b"bc".to_vec()]);
    assert_eq!(s.read_appended("k", 0).unwrap(), Vec::<Vec<u8>>::new());
    assert!(matches!(s.read_appended("k", 3), Err(StateError::NotEnoughAppended { have: 2, .. })));
    s.clear_appended("k").unwrap();
    assert_eq!(s.read_appended("k", u64::MAX).unwrap(), Vec::<Vec<u8>>::new());

    // A second connection (another host) sees the same state.
    let other = RedisStore::connect(&srv.url(), "t:", 100).unwrap();
    assert_eq!(other.get("k").unwrap(), b"0199956789");
    // A different prefix is a different namespace.
    let ns = RedisStore::connect(&srv.url(), "u:", 100).unwrap();
    assert_eq!(ns.size("k").unwrap(), 0);
}

#[test]
fn locks_exclude_other_processes_and_unlock_by_token() {
    let srv = server();
    let a = Arc::new(RedisStore::connect(&srv.url(), "t:", 1 << 20).unwrap());
    let b = Arc::new(RedisStore::connect(&srv.url(), "t:", 1 << 20).unwrap());
    a.lock("k", LockKind::Write).unwrap();
    let b2 = Arc::clone(&b);
    let t = std::thread::spawn(move || {
        let start = Instant::now();
        b2.lock("k", LockKind::Read).unwrap();
        let waited = start.elapsed();
        b2.unlock("k", LockKind::Read).unwrap();
        waited
    });
    std::thread::sleep(Duration::from_millis(150));
    a.unlock("k", LockKind::Write).unwrap();
    let waited = t.join().unwrap();
    assert!(waited >= Duration::from_millis(100), "b got the lock after {waited:?}, while a held it");
    // Unlocking what this store never locked is an error, not a stolen lock.
    a.lock("k", LockKind::Write).unwrap();
    assert!(matches!(b.unlock("k", LockKind::Write), Err(StateError::NotLocked { .. })));
    a.unlock("k", LockKind::Write).unwrap();
}

#[test]
fn redis_down_at_start_and_during_use_is_a_clear_error() {
    let mut srv = server();
    let url = srv.url();
    let s = RedisStore::connect(&url, "t:", 100).unwrap();
    s.set("k", b"v").unwrap();
    srv.stop();
    let start = Instant::now();
    let e = s.get("k").unwrap_err().to_string();
    assert!(e.contains(&format!("Redis at {url}")), "{e}");
    assert!(start.elapsed() < Duration::from_secs(15), "no hang");
    let e = RedisStore::connect(&url, "t:", 100).err().expect("connect to a stopped server").to_string();
    assert!(e.contains("Redis at"), "{e}");
}
