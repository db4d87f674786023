//! The cache with the real engine: compiled code stored, mapped back and
//! executed, with results identical to a freshly compiled module; every
//! kind of damage detected and recovered; concurrent processes.

mod common;

use common::{child_wait_for_go, quiet_cache, run_children, CHILDREN};
use engine::{Config, Engine, Error, FuncType, Linker, Module, OptLevel, Store, Trap, TrapReason, Val, ValType};
use objcache::{Cache, Outcome, Rejection};
use std::fs;
use std::path::{Path, PathBuf};

/// Uses imports, memory and data, a mutable global, a table with
/// `call_indirect`, recursion, traps and the name section: everything a
/// cache hit must restore without re-reading the wasm.
const WAT: &str = r#"
(module $sample
  (import "host" "add" (func $add (param i32 i32) (result i32)))
  (type $unary (func (param i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hello")
  (global $counter (mut i32) (i32.const 42))
  (table 2 funcref)
  (elem (i32.const 0) $fib $sum_hello)
  (func $fib (param i32) (result i32)
    (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
      (then (local.get 0))
      (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                     (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
  (func $sum_hello (param i32) (result i32)
    (local $i i32)
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (i32.const 5)))
      (local.set 0 (i32.add (local.get 0) (i32.load8_u offset=16 (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (local.get 0))
  (func (export "run") (param i32) (result i32)
    (global.set $counter (i32.add (global.get $counter) (i32.const 1)))
    (call $add
      (i32.add (call_indirect (type $unary) (local.get 0) (i32.const 0))
               (call_indirect (type $unary) (local.get 0) (i32.const 1)))
      (global.get $counter)))
  (func (export "wide") (param i64 f64 f32) (result f64 i64)
    (f64.add (local.get 1) (f64.promote_f32 (local.get 2)))
    (i64.mul (local.get 0) (i64.const 3)))
  (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func $deep (call_indirect (type $unary) (i32.const 0) (i32.const 7)) drop)
  (func (export "oob_table") (call $deep)))
"#;

fn wasm() -> Vec<u8> {
    wat::parse_str(WAT).unwrap()
}

/// A linker with the sample's one import, `host.add` (wrapping i32 add).
fn sample_linker() -> Linker {
    let mut linker = Linker::new();
    linker.func_new(
        "host",
        "add",
        FuncType { params: vec![ValType::I32; 2], results: vec![ValType::I32] },
        |_, args, results| {
            let (Some(Val::I32(a)), Some(Val::I32(b))) = (args.first(), args.get(1)) else {
                return Err(Trap::host("bad args"));
            };
            let Some(r) = results.first_mut() else {
                return Err(Trap::host("no result slot"));
            };
            *r = Val::I32(a.wrapping_add(*b));
            Ok(())
        },
    );
    linker
}

/// Everything observable about running the sample module: results of
/// calls and the exact trap messages with their backtraces.
fn observe(engine: &Engine, module: &Module) -> Vec<String> {
    let mut store = Store::new(engine);
    let inst = sample_linker().instantiate(&mut store, module).unwrap();
    let mut out = Vec::new();
    let mut call = |name: &str, args: &[Val]| {
        let f = inst.get_func(&store, name).unwrap();
        out.push(match f.call(&mut store, args) {
            Ok(v) => format!("{name} -> {v:?}"),
            // Offsets too: the address map must survive the cache.
            Err(Error::Trap(t)) => {
                let at: Vec<_> = t.backtrace.iter().map(|f| (f.func_index, f.module_offset, f.func_offset)).collect();
                format!("{name} trapped: {t} at {at:?}")
            }
            Err(e) => format!("{name} failed: {e}"),
        });
    };
    for n in [0, 1, 10, 20] {
        call("run", &[Val::I32(n)]);
    }
    call("wide", &[Val::I64(-7), Val::F64(2.5f64.to_bits()), Val::F32(0.25f32.to_bits())]);
    call("div", &[Val::I32(7), Val::I32(2)]);
    call("div", &[Val::I32(7), Val::I32(0)]);
    call("div", &[Val::I32(i32::MIN), Val::I32(-1)]);
    call("oob_table", &[]);
    out
}

fn entries(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    v.sort();
    v
}

#[test]
fn expected_behaviour_of_the_sample() {
    // Third call: fib(10) = 55, sum_hello(10) = 10 + 532 ("hello"), counter 45.
    let engine = Engine::default();
    let obs = observe(&engine, &Module::new(&engine, &wasm()).unwrap());
    assert_eq!(obs[2], "run -> [I32(642)]", "{obs:#?}");
    assert!(obs[6].contains("integer divide by zero"), "{obs:#?}");
    assert!(obs[7].contains("integer overflow"), "{obs:#?}");
    assert!(obs[8].contains("undefined element") && obs[8].contains("sample!deep"), "{obs:#?}");
}

#[test]
fn compilation_is_deterministic() {
    let engine = Engine::default();
    let w = wasm();
    let a = Module::new(&engine, &w).unwrap();
    let b = Module::new(&engine, &w).unwrap();
    assert_eq!(a.parts(), b.parts());
    // Sequential compilation yields the very same code as parallel.
    let seq = Engine::new(Config { parallel_compilation: false, ..Config::default() }).unwrap();
    assert_eq!(Module::new(&seq, &w).unwrap().parts().2, a.parts().2);
    // And so do the artifact files, byte for byte.
    let dir = tempfile::tempdir().unwrap();
    let sha = objcache::wasm_sha256(&w);
    objcache::write_artifact(&engine, &a, sha, &dir.path().join("a.fobj")).unwrap();
    objcache::write_artifact(&engine, &b, sha, &dir.path().join("b.fobj")).unwrap();
    assert_eq!(fs::read(dir.path().join("a.fobj")).unwrap(), fs::read(dir.path().join("b.fobj")).unwrap());
}

#[test]
fn miss_then_hit_runs_identically() {
    let dir = tempfile::tempdir().unwrap();
    let cache = quiet_cache(dir.path());
    let engine = Engine::default();
    let w = wasm();
    let uncached = observe(&engine, &Module::new(&engine, &w).unwrap());

    let (m, o) = cache.load_or_compile(&engine, &w).unwrap();
    assert_eq!(o, Outcome::Miss);
    assert_eq!(observe(&engine, &m), uncached);
    let (m, o) = cache.load_or_compile(&engine, &w).unwrap();
    assert_eq!(o, Outcome::Hit);
    assert_eq!(observe(&engine, &m), uncached);
    // A hit in a fresh engine (another process would have one) too.
    let engine2 = Engine::default();
    let (m, o) = cache.load_or_compile(&engine2, &w).unwrap();
    assert_eq!(o, Outcome::Hit);
    assert_eq!(observe(&engine2, &m), uncached);
    assert_eq!(entries(dir.path()).len(), 1);
}

#[test]
fn settings_and_module_select_entries() {
    let dir = tempfile::tempdir().unwrap();
    let cache = quiet_cache(dir.path());
    let w = wasm();
    let speed = Engine::default();
    let none = Engine::new(Config { opt_level: OptLevel::None, ..Config::default() }).unwrap();
    assert_ne!(objcache::fingerprint(&speed).unwrap(), objcache::fingerprint(&none).unwrap());
    // Settings that do not change the code share the entry.
    let seq = Engine::new(Config { parallel_compilation: false, ..Config::default() }).unwrap();
    assert_eq!(objcache::fingerprint(&speed).unwrap(), objcache::fingerprint(&seq).unwrap());

    assert_eq!(cache.load_or_compile(&speed, &w).unwrap().1, Outcome::Miss);
    let (m, o) = cache.load_or_compile(&none, &w).unwrap();
    assert_eq!(o, Outcome::Miss);
    assert_eq!(observe(&none, &m), observe(&speed, &Module::new(&speed, &w).unwrap()));
    assert_eq!(cache.load_or_compile(&seq, &w).unwrap().1, Outcome::Hit);
    assert_eq!(cache.load_or_compile(&none, &w).unwrap().1, Outcome::Hit);

    let other = wat::parse_str("(module (func (export \"f\") (result i32) i32.const 5))").unwrap();
    assert_eq!(cache.load_or_compile(&speed, &other).unwrap().1, Outcome::Miss);
    assert_eq!(entries(dir.path()).len(), 3);
    let stats = cache.stats(&objcache::fingerprint(&speed).unwrap()).unwrap();
    assert_eq!((stats.entries, stats.current), (3, 3));
}

/// Damages the sample's entry, then expects the next load to detect it,
/// recompile with correct behaviour and leave an entry that hits.
fn recovers(damage: impl FnOnce(&mut Vec<u8>), expected: impl Fn(&Rejection) -> bool) {
    let dir = tempfile::tempdir().unwrap();
    let cache = quiet_cache(dir.path());
    let engine = Engine::default();
    let w = wasm();
    let uncached = observe(&engine, &Module::new(&engine, &w).unwrap());
    cache.load_or_compile(&engine, &w).unwrap();
    let path = entries(dir.path()).pop().unwrap();
    let mut bytes = fs::read(&path).unwrap();
    damage(&mut bytes);
    fs::write(&path, &bytes).unwrap();

    let (m, o) = cache.load_or_compile(&engine, &w).unwrap();
    match &o {
        Outcome::Recovered(r) => assert!(expected(r), "unexpected rejection: {r}"),
        other => panic!("damage went unnoticed: {other:?}"),
    }
    assert_eq!(observe(&engine, &m), uncached);
    let (m, o) = cache.load_or_compile(&engine, &w).unwrap();
    assert_eq!(o, Outcome::Hit);
    assert_eq!(observe(&engine, &m), uncached);
}

fn code_start(bytes: &[u8]) -> usize {
    objcache::format::read_header(bytes).unwrap().code.start as usize
}

#[test]
fn truncated_entry() {
    recovers(|b| b.truncate(b.len() / 2), |r| matches!(r, Rejection::Length { .. }));
    // Cut right where the code starts: the code section is gone entirely.
    recovers(|b| b.truncate(code_start(b)), |r| matches!(r, Rejection::Length { .. }));
}

#[test]
fn flipped_bit_in_code() {
    recovers(
        |b| {
            let at = code_start(b) + 5;
            b[at] ^= 0x20;
        },
        |r| *r == Rejection::Checksum,
    );
}

#[test]
fn flipped_bit_in_header() {
    recovers(|b| b[12] ^= 0x01, |r| matches!(r, Rejection::Layout(_)));
    recovers(|b| b[80] ^= 0x01, |r| matches!(r, Rejection::Mismatch { field: "compiler settings", .. }));
}

#[test]
fn flipped_bit_in_metadata() {
    recovers(
        |b| {
            let at = objcache::format::read_header(b).unwrap().metadata.start as usize + 3;
            b[at] ^= 0x01;
        },
        |r| *r == Rejection::Checksum,
    );
}

#[test]
fn zero_length_entry() {
    recovers(|b| b.clear(), |r| *r == Rejection::Empty);
}

#[test]
fn checksummed_but_inconsistent_entry_is_recovered() {
    // A file a buggy writer produced: intact, but its function table does
    // not match the module. The engine refuses it before running anything.
    let dir = tempfile::tempdir().unwrap();
    let cache = quiet_cache(dir.path());
    let engine = Engine::default();
    let w = wasm();
    let good = Module::new(&engine, &w).unwrap();
    let (info, compiled, code) = good.parts();
    let mut broken = compiled.clone();
    broken.functions.pop();
    let fp = objcache::fingerprint(&engine).unwrap();
    let artifact = objcache::ArtifactRef {
        fingerprint: &fp,
        wasm_sha256: objcache::wasm_sha256(&w),
        info,
        compiled: &broken,
        code,
        traps: good.trap_table(),
        addresses: good.address_map(),
        image: None,
    };
    cache.insert(&artifact).unwrap();
    assert!(cache.lookup(&fp, &objcache::wasm_sha256(&w)).unwrap().is_some(), "the file itself is valid");
    let (m, o) = cache.load_or_compile(&engine, &w).unwrap();
    assert!(matches!(o, Outcome::Recovered(Rejection::Inconsistent(_))), "{o:?}");
    assert_eq!(observe(&engine, &m), observe(&engine, &good));
    assert_eq!(cache.load_or_compile(&engine, &w).unwrap().1, Outcome::Hit);
}

#[test]
fn entries_of_other_users_are_not_mapped() {
    // Only root can give a file away; elsewhere there is nothing to test.
    let dir = tempfile::tempdir().unwrap();
    let cache = quiet_cache(dir.path());
    let engine = Engine::default();
    let w = wasm();
    cache.load_or_compile(&engine, &w).unwrap();
    let entry = entries(dir.path()).pop().unwrap();
    if let Err(e) = std::os::unix::fs::chown(&entry, Some(12345), None) {
        eprintln!("skipped: cannot chown as this user ({e})");
        return;
    }
    let (m, o) = cache.load_or_compile(&engine, &w).unwrap();
    assert_eq!(o, Outcome::Recovered(Rejection::Untrusted));
    assert_eq!(observe(&engine, &m), observe(&engine, &Module::new(&engine, &w).unwrap()));
    // Replaced by one of ours.
    assert_eq!(cache.load_or_compile(&engine, &w).unwrap().1, Outcome::Hit);
}

#[test]
fn artifact_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sample.fobj");
    let engine = Engine::default();
    let w = wasm();
    let (compiled, len) = objcache::compile_artifact(&engine, &w, &path, None).unwrap();
    assert_eq!(fs::metadata(&path).unwrap().len(), len);
    let bytes = fs::read(&path).unwrap();
    assert!(objcache::is_artifact(&bytes));
    assert!(!objcache::is_artifact(&w));

    let loaded = objcache::read_artifact(&engine, &path).unwrap();
    assert_eq!(observe(&engine, &loaded), observe(&engine, &compiled));
    // The same code, tables and memory image; the data segments are in the
    // image and function bodies (only compilation reads them) are not stored.
    let ((li, lc, lcode), (ci, cc, ccode)) = (loaded.parts(), compiled.parts());
    assert_eq!((lc, lcode), (cc, ccode));
    assert_eq!(loaded.trap_table().bytes(), compiled.trap_table().bytes());
    let image = |m: &Module| m.memory_image().map(|i| (i.layout(), i.read_contents().unwrap()));
    assert!(image(&compiled).is_some_and(|(l, _)| l.segments == 1 && l.len > 0));
    assert_eq!(image(&loaded), image(&compiled));
    let strip = |i: &engine::ModuleInfo| engine::ModuleInfo { data: Vec::new(), bodies: Vec::new(), ..i.clone() };
    assert_eq!(strip(li), strip(ci));

    // An engine with other settings refuses it, saying why.
    let none = Engine::new(Config { opt_level: OptLevel::None, ..Config::default() }).unwrap();
    let err = objcache::read_artifact(&none, &path).unwrap_err();
    assert!(
        matches!(&err, objcache::Error::Artifact { reason: Rejection::Mismatch { field: "compiler settings", .. }, .. }),
        "{err}"
    );
    // So does a damaged file, and a missing one.
    let mut bad = bytes.clone();
    *bad.last_mut().unwrap() ^= 1;
    fs::write(&path, &bad).unwrap();
    assert!(matches!(
        objcache::read_artifact(&engine, &path),
        Err(objcache::Error::Artifact { reason: Rejection::Checksum, .. })
    ));
    assert!(matches!(objcache::read_artifact(&engine, &dir.path().join("none")), Err(objcache::Error::Io { .. })));
}

#[test]
fn invalid_modules_are_errors_and_not_cached() {
    let dir = tempfile::tempdir().unwrap();
    let cache = quiet_cache(dir.path());
    let engine = Engine::default();
    let invalid = wat::parse_str("(module (func (result i32) i64.const 1))").unwrap();
    assert!(matches!(cache.load_or_compile(&engine, &invalid), Err(Error::Invalid { .. })));
    assert!(matches!(cache.load_or_compile(&engine, b"\0asm\x01"), Err(Error::Malformed { .. })));
    assert!(entries(dir.path()).is_empty());
}

#[test]
fn progress_is_reported_on_a_miss_only() {
    let dir = tempfile::tempdir().unwrap();
    let cache = quiet_cache(dir.path());
    let engine = Engine::default();
    let w = wasm();
    let seen = std::sync::Mutex::new(Vec::new());
    let hook = |done: usize, total: usize| seen.lock().unwrap().push((done, total));
    cache.load_or_compile_with_progress(&engine, &w, Some(&hook)).unwrap();
    let mut calls = seen.lock().unwrap().clone();
    calls.sort();
    // 7 defined functions + an entry and a host trampoline for each of the 4 types.
    let total = 7 + 2 * 4;
    assert_eq!(calls, (1..=total).map(|d| (d, total)).collect::<Vec<_>>());
    seen.lock().unwrap().clear();
    cache.load_or_compile_with_progress(&engine, &w, Some(&hook)).unwrap();
    assert!(seen.lock().unwrap().is_empty());
}

const CHILD_DIR: &str = "OBJCACHE_ENGINE_TEST_CHILD_DIR";

/// Run by `concurrent_processes` in child processes (ignored otherwise).
#[test]
#[ignore = "child process of concurrent_processes"]
fn concurrent_child() {
    let Some(dir) = child_wait_for_go(CHILD_DIR) else {
        return;
    };
    let cache = Cache::new(dir.join("cache")).unwrap();
    let engine = Engine::default();
    let (m, outcome) = cache.load_or_compile(&engine, &wasm()).unwrap();
    // Debug formatting keeps the multi-line trap messages on one line.
    let observed = format!("{:?}", observe(&engine, &m));
    println!("\nOUTCOME {outcome:?}\nOBSERVED {observed}");
}

#[test]
fn concurrent_processes() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::default();
    let expected = format!("{:?}", observe(&engine, &Module::new(&engine, &wasm()).unwrap()));
    let mut outcomes = Vec::new();
    for (stdout, stderr) in run_children("concurrent_child", CHILD_DIR, dir.path()) {
        let field = |tag: &str| {
            stdout.lines().find_map(|l| l.strip_prefix(tag)).unwrap_or_else(|| panic!("no {tag} in {stdout}")).to_string()
        };
        assert!(matches!(&*field("OUTCOME "), "Hit" | "Miss"), "{stdout}");
        outcomes.push(field("OUTCOME "));
        assert_eq!(field("OBSERVED "), expected);
        assert!(!stderr.contains("warning"), "a concurrent writer exposed a bad entry: {stderr}");
    }
    // How many raced to compile varies from run to run; all must be right.
    eprintln!("outcomes of the {CHILDREN} processes: {outcomes:?}");
    let cache_dir = dir.path().join("cache");
    assert_eq!(entries(&cache_dir).len(), 1, "{:?}", entries(&cache_dir));
    let (m, o) = quiet_cache(&cache_dir).load_or_compile(&engine, &wasm()).unwrap();
    assert_eq!(o, Outcome::Hit);
    assert_eq!(format!("{:?}", observe(&engine, &m)), expected);
}

#[test]
fn trap_reason_survives_the_cache() {
    // A trap's reason is recorded per trap site; the mapped code must map
    // faults back to the same reasons.
    let dir = tempfile::tempdir().unwrap();
    let cache = quiet_cache(dir.path());
    let engine = Engine::default();
    let w = wasm();
    cache.load_or_compile(&engine, &w).unwrap();
    let (m, o) = cache.load_or_compile(&engine, &w).unwrap();
    assert_eq!(o, Outcome::Hit);
    let mut store = Store::new(&engine);
    let inst = sample_linker().instantiate(&mut store, &m).unwrap();
    let div = inst.get_func(&store, "div").unwrap();
    match div.call(&mut store, &[Val::I32(1), Val::I32(0)]) {
        Err(Error::Trap(t)) => assert_eq!(t.reason, TrapReason::Wasm(engine::TrapKind::IntegerDivisionByZero)),
        other => panic!("{other:?}"),
    }
}
