//! The C API from C: every example of upstream wasm-c-api's `example/`
//! directory, written again as a C program in `tests/c/` (same calls, same
//! output), compiled with `cc` against `include/wasm.h` and the
//! `libfaasm_engine.so` this test was built with, run, and its output
//! compared with `tests/c/NAME.expected`. Plus `misuse.c` (bad arguments)
//! and `python.c` (python3.wasm through the WASI extension).

use std::path::{Path, PathBuf};
use std::process::Command;

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Where cargo put this crate's libraries for this test build: the test
/// executable's own `deps/` directory (`cargo test` leaves them there
/// without copying them up to the profile directory), so that
/// `CARGO_TARGET_DIR` and the profile are whatever this build used.
fn lib_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let deps = exe.parent().expect("deps directory");
    let dir = if deps.join("libfaasm_engine.so").exists() {
        deps.to_path_buf()
    } else {
        deps.parent().expect("profile directory").to_path_buf()
    };
    for lib in ["libfaasm_engine.so", "libfaasm_engine.a"] {
        assert!(
            dir.join(lib).exists(),
            "{} not found next to the test binary (build the faasm-engine-capi crate first)",
            dir.join(lib).display()
        );
    }
    dir
}

/// Compiles `tests/c/NAME.c` into `out/NAME`, linked with the shared
/// library (or the static one).
fn compile(name: &str, out: &Path, static_link: bool) -> PathBuf {
    let c = crate_dir().join("tests/c");
    let exe = out.join(name);
    let lib = lib_dir();
    let mut cmd = Command::new("cc");
    cmd.args(["-std=c11", "-D_DEFAULT_SOURCE", "-Wall", "-Wno-unused-function", "-Werror", "-O1"])
        .arg("-I")
        .arg(crate_dir().join("include"))
        .arg("-I")
        .arg(&c)
        .arg(c.join(format!("{name}.c")))
        .arg("-o")
        .arg(&exe);
    if static_link {
        cmd.arg(lib.join("libfaasm_engine.a")).args(["-lpthread", "-ldl", "-lm", "-lrt"]);
    } else {
        cmd.arg("-L").arg(&lib).arg("-lfaasm_engine").arg(format!("-Wl,-rpath,{}", lib.display())).arg("-lpthread");
    }
    let o = cmd.output().expect("cannot run cc");
    assert!(o.status.success(), "cc {name}.c failed:\n{}", String::from_utf8_lossy(&o.stderr));
    exe
}

/// Builds NAME.wasm from tests/c/NAME.wat into `dir`.
fn write_wasm(name: &str, dir: &Path) {
    let wat = crate_dir().join(format!("tests/c/{name}.wat"));
    let wasm = wat::parse_file(&wat).unwrap_or_else(|e| panic!("{}: {e}", wat.display()));
    std::fs::write(dir.join(format!("{name}.wasm")), wasm).expect("write wasm");
}

fn run(exe: &Path, dir: &Path, args: &[&str]) -> String {
    // Without cargo's LD_LIBRARY_PATH, which would win over the rpath and
    // could load another build's library.
    let o = Command::new(exe).args(args).current_dir(dir).env_remove("LD_LIBRARY_PATH").output().expect("run example");
    let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        o.status.success(),
        "{} exited with {}\nstdout:\n{stdout}\nstderr:\n{}",
        exe.display(),
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
    stdout
}

/// The expected output of NAME. With `CAPI_BLESS=1` in the environment,
/// `got` is written as the new expectation first (for a developer updating
/// the files, who then reads every change in review).
fn expected_or_bless(name: &str, got: &str) -> String {
    if std::env::var_os("CAPI_BLESS").is_some() {
        std::fs::write(crate_dir().join(format!("tests/c/{name}.expected")), got).expect("bless");
    }
    expected(name)
}

fn expected(name: &str) -> String {
    let p = crate_dir().join(format!("tests/c/{name}.expected"));
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Compiles, runs and checks one example; `sorted` compares the lines in
/// any order (for threads, whose interleaving varies).
fn example(name: &str, sorted: bool) {
    let dir = tempfile::tempdir().expect("tempdir");
    write_wasm(name, dir.path());
    let exe = compile(name, dir.path(), false);
    let got = run(&exe, dir.path(), &[]);
    let want = expected_or_bless(name, &got);
    if sorted {
        let mut g: Vec<&str> = got.lines().collect();
        let mut w: Vec<&str> = want.lines().collect();
        g.sort_unstable();
        w.sort_unstable();
        assert_eq!(g, w, "{name}: output (as a set of lines) differs; got:\n{got}");
    } else {
        assert_eq!(got, want, "{name}: output differs");
    }
}

#[test]
fn hello() {
    example("hello", false);
}

#[test]
fn hello_static_library() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_wasm("hello", dir.path());
    let exe = compile("hello", dir.path(), true);
    assert_eq!(run(&exe, dir.path(), &[]), expected("hello"));
}

#[test]
fn callback() {
    example("callback", false);
}

#[test]
fn global() {
    example("global", false);
}

#[test]
fn table() {
    example("table", false);
}

#[test]
fn memory() {
    example("memory", false);
}

#[test]
fn multi() {
    example("multi", false);
}

#[test]
fn reflect() {
    example("reflect", false);
}

#[test]
fn serialize() {
    example("serialize", false);
}

#[test]
fn start() {
    example("start", false);
}

#[test]
fn trap() {
    example("trap", false);
}

#[test]
fn finalize() {
    example("finalize", false);
}

#[test]
fn hostref() {
    example("hostref", false);
}

#[test]
fn threads() {
    example("threads", true);
}

#[test]
fn limits() {
    example("limits", false);
}

#[test]
fn pool() {
    example("pool", false);
}

#[test]
fn misuse() {
    let dir = tempfile::tempdir().expect("tempdir");
    let exe = compile("misuse", dir.path(), false);
    let got = run(&exe, dir.path(), &[]);
    assert_eq!(got, expected_or_bless("misuse", &got));
}

#[test]
fn python() {
    let wasm = crate_dir().join("../workload/python3.wasm");
    if !wasm.exists() {
        println!("skipped: {} is missing (run scripts/fetch-python.sh)", wasm.display());
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let exe = compile("python", dir.path(), false);
    let cache = dir.path().join("cache");
    let out = dir.path().join("out.txt");
    let wasm = wasm.canonicalize().expect("python3.wasm path");
    let args = [wasm.to_str().unwrap(), cache.to_str().unwrap(), out.to_str().unwrap()];
    let got = run(&exe, dir.path(), &args);
    assert_eq!(got, expected_or_bless("python", &got));
    let printed = std::fs::read_to_string(&out).expect("python's stdout file");
    assert_eq!(printed, "args []\nenv hello from C\nsum 45\n");
    // Again: now from the cache.
    assert_eq!(run(&exe, dir.path(), &args), expected("python"));
}
