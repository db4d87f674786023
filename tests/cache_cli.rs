//! The compiled-code cache through the command line: `run` with the cache
//! (default directory, `--cache-dir`, `--no-cache`), recovery from damaged
//! entries with one warning line, `compile` artifacts, `cache stats|clear`,
//! and several `run` processes racing on one cache.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_faasm-engine");

/// Prints a line through WASI, exits with 7; exports `fib` for `--invoke`.
const WAT: &str = r#"
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hello from the cache test\n")
  (func $fib (export "fib") (param i32) (result i64)
    (local $a i64) (local $b i64) (local $t i64)
    (local.set $b (i64.const 1))
    (block $done (loop $next
      (br_if $done (i32.eqz (local.get 0)))
      (local.set $t (i64.add (local.get $a) (local.get $b)))
      (local.set $a (local.get $b))
      (local.set $b (local.get $t))
      (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
      (br $next)))
    (local.get $a))
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 26))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (call $exit (i32.const 7))))
"#;

fn wasm() -> Vec<u8> {
    let buf = wast::parser::ParseBuffer::new(WAT).unwrap();
    let mut module: wast::Wat = wast::parser::parse(&buf).unwrap();
    module.encode().unwrap()
}

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        let env = Env { dir: tempfile::tempdir().unwrap() };
        fs::write(env.module(), wasm()).unwrap();
        env
    }
    fn module(&self) -> PathBuf {
        self.dir.path().join("m.wasm")
    }
    fn cache(&self) -> PathBuf {
        self.dir.path().join("cache")
    }
    /// The command with a clean environment: no cache variables, HOME in the temp dir.
    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.args(args)
            .current_dir(self.dir.path())
            .env_remove("FAASM_ENGINE_CACHE_DIR")
            .env_remove("XDG_CACHE_HOME")
            .env("HOME", self.dir.path().join("home"))
            .stdin(Stdio::null());
        c
    }
    fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }
}

fn entries(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = match fs::read_dir(dir) {
        Ok(d) => d.map(|e| e.unwrap().path()).collect(),
        Err(_) => Vec::new(),
    };
    v.sort();
    v
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The output of the uncached run every other run must reproduce.
fn expect_hello(out: &Output) {
    assert_eq!(out.status.code(), Some(7), "stderr: {}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "hello from the cache test\n");
}

#[test]
fn run_uses_and_fills_the_cache() {
    let env = Env::new();
    let m = env.module();
    let m = m.to_str().unwrap();
    let cache = env.cache();
    let cache = cache.to_str().unwrap();

    let uncached = env.run(&["run", "--no-cache", m]);
    expect_hello(&uncached);
    assert!(entries(&env.dir.path().join("home")).is_empty(), "--no-cache wrote something");

    for _ in 0..2 {
        let out = env.run(&["run", "--cache-dir", cache, m]);
        expect_hello(&out);
        assert_eq!(out.stderr, uncached.stderr);
    }
    assert_eq!(entries(&env.cache()).len(), 1);
    let out = env.run(&["run", "--cache-dir", cache, "--invoke", "fib", m, "50"]);
    assert_eq!(text(&out.stdout), "12586269025\n");

    let stats = env.run(&["cache", "stats", "--cache-dir", cache]);
    assert!(stats.status.success());
    let stats = text(&stats.stdout);
    assert!(stats.contains("compiled modules: 1 ("), "{stats}");
    assert!(stats.contains("usable by this engine build on this CPU: 1"), "{stats}");

    fs::write(env.cache().join("keep.txt"), b"not ours").unwrap();
    let clear = env.run(&["cache", "clear", "--cache-dir", cache]);
    assert!(clear.status.success());
    assert!(text(&clear.stdout).starts_with("removed 1 files"), "{}", text(&clear.stdout));
    assert_eq!(entries(&env.cache()), vec![env.cache().join("keep.txt")]);
}

#[test]
fn default_directories() {
    let env = Env::new();
    let m = env.module();
    let m = m.to_str().unwrap();
    // ~/.cache/faasm-engine without any variable.
    expect_hello(&env.run(&["run", m]));
    assert_eq!(entries(&env.dir.path().join("home/.cache/faasm-engine")).len(), 1);
    // $XDG_CACHE_HOME/faasm-engine ...
    let xdg = env.dir.path().join("xdg");
    expect_hello(&env.cmd(&["run", m]).env("XDG_CACHE_HOME", &xdg).output().unwrap());
    assert_eq!(entries(&xdg.join("faasm-engine")).len(), 1);
    // ... and $FAASM_ENGINE_CACHE_DIR before both.
    let own = env.dir.path().join("own");
    let out = env.cmd(&["run", m]).env("XDG_CACHE_HOME", &xdg).env("FAASM_ENGINE_CACHE_DIR", &own).output().unwrap();
    expect_hello(&out);
    assert_eq!(entries(&own).len(), 1);
    let stats = env.cmd(&["cache", "stats"]).env("FAASM_ENGINE_CACHE_DIR", &own).output().unwrap();
    assert!(text(&stats.stdout).contains(&format!("cache directory: {}", own.display())));
}

#[test]
fn damaged_entries_warn_once_and_are_replaced() {
    let env = Env::new();
    let m = env.module();
    let m = m.to_str().unwrap();
    let cache = env.cache();
    let cache = cache.to_str().unwrap();
    expect_hello(&env.run(&["run", "--cache-dir", cache, m]));
    let entry = entries(&env.cache()).pop().unwrap();
    let good = fs::read(&entry).unwrap();

    type Damage = Box<dyn Fn(&mut Vec<u8>)>;
    let damages: [(&str, Damage); 4] = [
        ("truncated", Box::new(|b: &mut Vec<u8>| b.truncate(b.len() - 10))),
        ("bit in the code", Box::new(|b: &mut Vec<u8>| *b.last_mut().unwrap() ^= 0x08)),
        ("bit in the header", Box::new(|b: &mut Vec<u8>| b[50] ^= 0x01)),
        ("zero length", Box::new(|b: &mut Vec<u8>| b.clear())),
    ];
    for (what, damage) in damages {
        let mut bytes = good.clone();
        damage(&mut bytes);
        fs::write(&entry, &bytes).unwrap();
        let out = env.run(&["run", "--cache-dir", cache, m]);
        expect_hello(&out);
        let stderr = text(&out.stderr);
        assert_eq!(stderr.lines().count(), 1, "{what}: {stderr}");
        assert!(stderr.starts_with("warning: cache entry "), "{what}: {stderr}");
        assert!(stderr.contains("recompiling"), "{what}: {stderr}");
        // Replaced by a good entry: the next run is silent.
        assert_eq!(fs::read(&entry).unwrap(), good, "{what}");
        let out = env.run(&["run", "--cache-dir", cache, m]);
        expect_hello(&out);
        assert!(out.stderr.is_empty(), "{what}: {}", text(&out.stderr));
    }
}

#[test]
fn unusable_cache_directory_still_runs() {
    let env = Env::new();
    let m = env.module();
    let m = m.to_str().unwrap();
    // A file where the directory should be.
    let blocker = env.dir.path().join("file");
    fs::write(&blocker, b"x").unwrap();
    let out = env.run(&["run", "--cache-dir", blocker.join("sub").to_str().unwrap(), m]);
    expect_hello(&out);
    assert!(text(&out.stderr).contains("warning: compiled-code cache disabled"), "{}", text(&out.stderr));
}

#[test]
fn compile_then_run_the_artifact() {
    let env = Env::new();
    let m = env.module();
    let m = m.to_str().unwrap();
    let out = env.run(&["compile", m]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let artifact = env.dir.path().join("m.fobj");
    assert!(fs::read(&artifact).unwrap().starts_with(b"FAASMOBJ"));
    let explicit = env.dir.path().join("other.bin");
    assert!(env.run(&["compile", m, "-o", explicit.to_str().unwrap()]).status.success());
    assert_eq!(fs::read(&artifact).unwrap(), fs::read(&explicit).unwrap(), "compilation is deterministic");

    let out = env.run(&["run", artifact.to_str().unwrap()]);
    expect_hello(&out);
    assert!(out.stderr.is_empty());
    // Running an artifact compiles nothing into the cache.
    let default_cache = env.dir.path().join("home/.cache/faasm-engine");
    assert!(!entries(&default_cache).iter().any(|p| p.extension().is_some_and(|x| x == "fobj")));
    let out = env.run(&["run", "--invoke", "fib", explicit.to_str().unwrap(), "10"]);
    assert_eq!(text(&out.stdout), "55\n");

    // A damaged artifact cannot be recompiled (no wasm): a clear error.
    let mut bytes = fs::read(&artifact).unwrap();
    *bytes.last_mut().unwrap() ^= 1;
    fs::write(&artifact, &bytes).unwrap();
    let out = env.run(&["run", artifact.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("cannot load artifact") && stderr.contains("checksum mismatch"), "{stderr}");
    // Compiling an artifact is refused.
    let out = env.run(&["compile", explicit.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("already compiled"));
}

#[test]
fn later_runs_remember_an_artifacts_verification_until_it_changes() {
    let env = Env::new();
    let m = env.module();
    let artifact = env.dir.path().join("m.fobj");
    assert!(env.run(&["compile", m.to_str().unwrap()]).status.success());
    let cache = env.cache();
    let run = || env.run(&["run", "--cache-dir", cache.to_str().unwrap(), artifact.to_str().unwrap()]);
    let memos = || entries(&cache).into_iter().filter(|p| p.extension().is_some_and(|x| x == "fver")).count();
    expect_hello(&run());
    assert_eq!(memos(), 0, "a file changed just now is verified at every load, never remembered");
    // Once the file has settled, a run remembers its verification in the
    // cache directory and the next run trusts that memo.
    std::thread::sleep(objcache::verified::SETTLED + std::time::Duration::from_millis(300));
    expect_hello(&run());
    assert_eq!(memos(), 1);
    expect_hello(&run());
    let stats = text(&env.run(&["cache", "stats", "--cache-dir", cache.to_str().unwrap()]).stdout);
    assert!(stats.contains("verification memos: 1"), "{stats}");
    // Damage written in place changes the file's identity: the memo no
    // longer vouches, the checksum is read and the damage caught.
    use std::io::{Seek, SeekFrom, Write};
    let len = fs::metadata(&artifact).unwrap().len();
    let mut f = fs::OpenOptions::new().read(true).write(true).open(&artifact).unwrap();
    let mut byte = [0u8];
    f.seek(SeekFrom::Start(len - 1)).unwrap();
    std::io::Read::read_exact(&mut f, &mut byte).unwrap();
    f.seek(SeekFrom::Start(len - 1)).unwrap();
    f.write_all(&[byte[0] ^ 1]).unwrap();
    drop(f);
    let out = run();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("checksum mismatch"), "{}", text(&out.stderr));
    // `cache clear` removes memos too.
    assert!(env.run(&["cache", "clear", "--cache-dir", cache.to_str().unwrap()]).status.success());
    assert_eq!(memos(), 0);
}

#[test]
fn concurrent_runs_share_one_entry() {
    let env = Env::new();
    let m = env.module();
    let cache = env.cache();
    let children: Vec<_> = (0..8)
        .map(|_| {
            env.cmd(&["run", "--cache-dir", cache.to_str().unwrap(), m.to_str().unwrap()])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        expect_hello(&out);
        assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
    }
    let files = entries(&env.cache());
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(files[0].extension().is_some_and(|e| e == "fobj"));
    let out = env.run(&["cache", "stats", "--cache-dir", cache.to_str().unwrap()]);
    assert!(!text(&out.stdout).contains("unfinished writes"));
}
