//! The cache's lookup/recovery logic and file handling end to end, on
//! synthetic compiled modules (no engine needed): what `load_or_build`
//! returns must always equal what `build` would have produced.

mod common;

use common::{child_wait_for_go, quiet_cache, run_children};
use engine::compile::{AddressMap, CodeRange, CompiledCode, TrapSite, TrapTable};
use engine::instantiate::memory_image::ImageLayout;
use engine::{FuncType, ModuleInfo, TrapKind, ValType};
use objcache::{Artifact, Cache, Fingerprint, Mapped, Outcome, Rejection, ENGINE_VERSION};
use std::fs;
use std::path::Path;

#[derive(Debug)]
struct Fake {
    info: ModuleInfo,
    compiled: CompiledCode,
    code: Vec<u8>,
    traps: TrapTable,
    /// Empty: the format round-trips it, which `format`'s tests check.
    addresses: AddressMap,
}

impl PartialEq for Fake {
    fn eq(&self, other: &Fake) -> bool {
        (&self.info, &self.compiled, &self.code, self.traps.bytes())
            == (&other.info, &other.compiled, &other.code, other.traps.bytes())
    }
}

impl Artifact for Fake {
    fn info(&self) -> &ModuleInfo {
        &self.info
    }
    fn compiled(&self) -> &CompiledCode {
        &self.compiled
    }
    fn code(&self) -> &[u8] {
        &self.code
    }
    fn trap_table(&self) -> &TrapTable {
        &self.traps
    }
    fn address_map(&self) -> &AddressMap {
        &self.addresses
    }
    fn memory_image(&self) -> std::io::Result<Option<(ImageLayout, Vec<u8>)>> {
        Ok(None)
    }
}

/// A deterministic "compilation" of `wasm`: code and metadata derived from its bytes.
fn build(wasm: &[u8]) -> Fake {
    let n = 4 + wasm.len() % 5;
    let code: Vec<u8> = (0..n * 1000).map(|i| wasm[i % wasm.len()] ^ (i as u8)).collect();
    let functions = (0..n as u32).map(|i| CodeRange { offset: i * 1000, len: 900 }).collect();
    Fake {
        info: ModuleInfo {
            types: vec![FuncType { params: vec![ValType::I32; wasm.len() % 3], results: vec![ValType::I64] }],
            functions: vec![0; n],
            exports: Vec::new(),
            name: Some(String::from_utf8_lossy(wasm).into_owned()),
            ..ModuleInfo::default()
        },
        compiled: CompiledCode {
            code: Vec::new(),
            functions,
            entry_trampolines: vec![CodeRange { offset: 950, len: 40 }],
            host_trampolines: vec![CodeRange { offset: 1950, len: 40 }],
            traps: Vec::new(),
            addresses: Vec::new(),
            body_starts: vec![0; n],
        },
        code,
        traps: TrapTable::from_sites(&[TrapSite { offset: 17, kind: TrapKind::IntegerDivisionByZero }]),
        addresses: AddressMap::default(),
    }
}

fn load(m: Mapped) -> Result<Fake, Rejection> {
    Ok(Fake {
        info: m.decoded.info,
        compiled: m.decoded.compiled,
        code: m.mmap[m.decoded.code_range].to_vec(),
        traps: TrapTable::from_sites(
            &TrapTable::from_mapping(m.mmap.clone(), m.decoded.traps_range, usize::MAX)
                .map_err(|e| Rejection::Inconsistent(e.to_string()))?
                .iter()
                .collect::<Vec<_>>(),
        ),
        addresses: AddressMap::default(),
    })
}

fn fingerprint() -> Fingerprint {
    Fingerprint {
        engine_version: ENGINE_VERSION.into(),
        target: "x86_64-unknown-linux-gnu".into(),
        cpu_features: "has_avx2=true".into(),
        settings_hash: Fingerprint::hash_settings("opt_level=speed"),
    }
}

/// `load_or_build` for `wasm`, counting builds.
fn get(cache: &Cache, fp: &Fingerprint, wasm: &[u8], builds: &mut u32) -> (Fake, Outcome) {
    cache
        .load_or_build(fp, &objcache::wasm_sha256(wasm), load, || {
            *builds += 1;
            Ok::<_, ()>(build(wasm))
        })
        .unwrap()
}

fn entry_files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    v.sort();
    v
}

#[test]
fn miss_then_hit() {
    let dir = tempfile::tempdir().unwrap();
    let cache = quiet_cache(dir.path());
    let fp = fingerprint();
    let mut builds = 0;
    let (a, o) = get(&cache, &fp, b"module one", &mut builds);
    assert_eq!((o, builds), (Outcome::Miss, 1));
    assert_eq!(a, build(b"module one"));
    let (b, o) = get(&cache, &fp, b"module one", &mut builds);
    assert_eq!((o, builds), (Outcome::Hit, 1));
    assert_eq!(b, a);
    assert_eq!(entry_files(dir.path()).len(), 1);
}

#[test]
fn key_inputs_select_different_entries() {
    let dir = tempfile::tempdir().unwrap();
    let cache = quiet_cache(dir.path());
    let fp = fingerprint();
    let mut builds = 0;
    get(&cache, &fp, b"module one", &mut builds);

    // Other wasm bytes.
    let (m, o) = get(&cache, &fp, b"module two", &mut builds);
    assert_eq!((o, builds), (Outcome::Miss, 2));
    assert_eq!(m, build(b"module two"));
    // Another engine build.
    let mut other = fingerprint();
    other.engine_version = "0.1.0+0000000000000000".into();
    assert_eq!(get(&cache, &other, b"module one", &mut builds).1, Outcome::Miss);
    // Other settings.
    let mut other = fingerprint();
    other.settings_hash = Fingerprint::hash_settings("opt_level=none");
    assert_eq!(get(&cache, &other, b"module one", &mut builds).1, Outcome::Miss);
    // Other CPU features.
    let mut other = fingerprint();
    other.cpu_features = "has_avx2=false".into();
    assert_eq!(get(&cache, &other, b"module one", &mut builds).1, Outcome::Miss);
    assert_eq!(builds, 5);
    assert_eq!(entry_files(dir.path()).len(), 5);
    // And the first entry is still there, untouched.
    assert_eq!(get(&cache, &fp, b"module one", &mut builds).1, Outcome::Hit);
    assert_eq!(builds, 5);

    let stats = cache.stats(&fp).unwrap();
    // The entries of another engine build and of other CPU features are stale.
    assert_eq!((stats.entries, stats.current, stats.temp_files), (5, 3, 0));
}

/// Damages the entry of `wasm` with `damage`, then checks that the next
/// lookup rejects it for `expected`, builds, returns the right module, and
/// leaves a good entry that the lookup after hits.
fn recovers(damage: impl FnOnce(&mut Vec<u8>), expected: impl Fn(&Rejection) -> bool) {
    let dir = tempfile::tempdir().unwrap();
    let cache = quiet_cache(dir.path());
    let fp = fingerprint();
    let wasm = b"a module to damage";
    let mut builds = 0;
    get(&cache, &fp, wasm, &mut builds);
    let path = dir.path().join(&entry_files(dir.path())[0]);
    let mut bytes = fs::read(&path).unwrap();
    damage(&mut bytes);
    fs::write(&path, &bytes).unwrap();

    let (m, o) = get(&cache, &fp, wasm, &mut builds);
    match &o {
        Outcome::Recovered(r) => assert!(expected(r), "unexpected rejection: {r}"),
        other => panic!("damage not detected: {other:?}"),
    }
    assert_eq!(builds, 2);
    assert_eq!(m, build(wasm));
    assert_eq!(get(&cache, &fp, wasm, &mut builds).1, Outcome::Hit);
    assert_eq!(builds, 2);
    assert_eq!(entry_files(dir.path()).len(), 1);
}

#[test]
fn truncated_entry_is_recovered() {
    recovers(|b| b.truncate(b.len() - 100), |r| matches!(r, Rejection::Length { .. }));
    recovers(|b| b.truncate(50), |r| matches!(r, Rejection::Truncated { .. }));
}

#[test]
fn zero_length_entry_is_recovered() {
    recovers(|b| b.clear(), |r| *r == Rejection::Empty);
}

#[test]
fn flipped_bit_in_code_is_recovered() {
    recovers(|b| *b.last_mut().unwrap() ^= 0x04, |r| *r == Rejection::Checksum);
}

#[test]
fn flipped_bit_in_header_is_recovered() {
    // In the checksummed part of the header (the wasm hash) ...
    recovers(|b| b[41] ^= 0x80, |r| matches!(r, Rejection::Mismatch { field: "wasm module", .. }));
    // ... in the checksum itself ...
    recovers(|b| b[30] ^= 0x01, |r| *r == Rejection::Checksum);
    // ... in the engine build string ...
    recovers(|b| b[202] ^= 0x01, |r| matches!(r, Rejection::Mismatch { field: "engine build", .. }));
    // ... and in the magic.
    recovers(|b| b[0] ^= 0x01, |r| *r == Rejection::BadMagic);
}

#[test]
fn garbage_entry_is_recovered() {
    recovers(|b| b.iter_mut().for_each(|x| *x = 0xA5), |r| *r == Rejection::BadMagic);
    recovers(|b| *b = b"\0asm\x01\0\0\0".to_vec(), |r| *r == Rejection::BadMagic);
}

#[test]
fn a_refused_load_is_recovered() {
    let dir = tempfile::tempdir().unwrap();
    let cache = quiet_cache(dir.path());
    let fp = fingerprint();
    let wasm = b"module";
    let sha = objcache::wasm_sha256(wasm);
    let mut builds = 0;
    get(&cache, &fp, wasm, &mut builds);
    let (m, o) =
        cache.load_or_build(&fp, &sha, |_| Err(Rejection::Io("cannot map".into())), || Ok::<_, ()>(build(wasm))).unwrap();
    assert_eq!(o, Outcome::Recovered(Rejection::Io("cannot map".into())));
    assert_eq!(m, build(wasm));
}

#[test]
fn build_errors_are_returned_and_nothing_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let cache = quiet_cache(dir.path());
    let r = cache.load_or_build(&fingerprint(), &[0; 32], load, || Err::<Fake, _>("invalid module"));
    assert_eq!(r.unwrap_err(), "invalid module");
    assert!(entry_files(dir.path()).is_empty());
}

#[test]
fn unwritable_cache_still_runs() {
    let dir = tempfile::tempdir().unwrap();
    let cache = quiet_cache(&dir.path().join("cache"));
    fs::remove_dir(dir.path().join("cache")).unwrap();
    // The directory is gone (or read-only): every lookup builds, none fails.
    let mut builds = 0;
    for _ in 0..2 {
        let (m, o) = get(&cache, &fingerprint(), b"m", &mut builds);
        assert_eq!(o, Outcome::Miss);
        assert_eq!(m, build(b"m"));
    }
    assert_eq!(builds, 2);
    assert_eq!(cache.stats(&fingerprint()).unwrap(), objcache::Stats::default());
}

#[test]
fn clear_removes_only_cache_files() {
    let dir = tempfile::tempdir().unwrap();
    let cache = quiet_cache(dir.path());
    let mut builds = 0;
    get(&cache, &fingerprint(), b"one", &mut builds);
    get(&cache, &fingerprint(), b"two", &mut builds);
    let key = entry_files(dir.path())[0].clone();
    fs::write(dir.path().join(format!(".{key}.77.0.tmp")), b"partial").unwrap();
    fs::write(dir.path().join("notes.txt"), b"mine").unwrap();
    fs::write(dir.path().join("python3.wasm"), b"\0asm").unwrap();

    let s = cache.stats(&fingerprint()).unwrap();
    assert_eq!((s.entries, s.current, s.temp_files, s.temp_bytes), (2, 2, 1, 7));
    let on_disk: u64 = entry_files(dir.path())
        .iter()
        .filter(|n| n.ends_with(".fobj"))
        .map(|n| fs::metadata(dir.path().join(n)).unwrap().len())
        .sum();
    assert_eq!(s.bytes, on_disk);

    let c = cache.clear().unwrap();
    assert_eq!(c.files, 3);
    assert_eq!(c.bytes, on_disk + 7);
    assert_eq!(entry_files(dir.path()), vec!["notes.txt".to_string(), "python3.wasm".to_string()]);
    assert_eq!(get(&cache, &fingerprint(), b"one", &mut builds).1, Outcome::Miss);
}

#[test]
fn foreign_entries_count_as_stale() {
    let dir = tempfile::tempdir().unwrap();
    let cache = quiet_cache(dir.path());
    let mut builds = 0;
    let mut old = fingerprint();
    old.engine_version = "0.0.1+aaaaaaaaaaaaaaaa".into();
    get(&cache, &old, b"one", &mut builds);
    get(&cache, &fingerprint(), b"one", &mut builds);
    let s = cache.stats(&fingerprint()).unwrap();
    assert_eq!((s.entries, s.current), (2, 1));
}

const CHILD_DIR: &str = "OBJCACHE_TEST_CHILD_DIR";

/// Run by `concurrent_processes` in child processes (ignored otherwise):
/// waits for the start signal, then looks the shared module up and prints
/// what it got.
#[test]
#[ignore = "child process of concurrent_processes"]
fn concurrent_child() {
    let Some(dir) = child_wait_for_go(CHILD_DIR) else {
        return;
    };
    let cache = Cache::new(dir.join("cache")).unwrap();
    let wasm = b"the module every process wants";
    let mut builds = 0;
    let (m, outcome) = get(&cache, &fingerprint(), wasm, &mut builds);
    let correct = m == build(wasm);
    println!("RESULT correct={correct} outcome={outcome:?}");
}

#[test]
fn concurrent_processes() {
    let dir = tempfile::tempdir().unwrap();
    for (stdout, stderr) in run_children("concurrent_child", CHILD_DIR, dir.path()) {
        // The test harness prints its own text on the same line.
        let line = stdout
            .lines()
            .find_map(|l| l.split_once("RESULT ").map(|(_, r)| r))
            .unwrap_or_else(|| panic!("no result in {stdout}"));
        assert!(line.contains("correct=true"), "{line}");
        assert!(line.contains("outcome=Hit") || line.contains("outcome=Miss"), "{line}");
        // A concurrent writer must never make another process see a bad entry.
        assert!(stderr.lines().all(|l| !l.contains("warning")), "{stderr}");
    }
    let cache_dir = dir.path().join("cache");
    let files = entry_files(&cache_dir);
    assert_eq!(files.len(), 1, "{files:?}");
    let cache = quiet_cache(&cache_dir);
    let mut builds = 0;
    let (m, o) = get(&cache, &fingerprint(), b"the module every process wants", &mut builds);
    assert_eq!((o, builds), (Outcome::Hit, 0));
    assert_eq!(m, build(b"the module every process wants"));
}
