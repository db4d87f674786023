//! `faasm-engine snapshot` and `run --from-snapshot`, end to end: a C
//! program whose `wizer.initialize` leaves state of every kind
//! (tests/snapshot/counter.c), and our CPython build initialised with
//! `--init-python` (side modules loaded during initialisation included).
//! A restored run must print what an initialise-then-run one prints.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn cache_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("cpython-objcache")
}

fn engine(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_faasm-engine"))
        .arg(args[0])
        .arg("--cache-dir")
        .arg(cache_dir())
        .args(&args[1..])
        .current_dir(cwd)
        .stdin(Stdio::null())
        .output()
        .expect("starting faasm-engine")
}

fn text(o: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn stdout(o: &Output) -> String {
    assert_eq!(o.status.code(), Some(0), "{}", text(o));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn counter_wasm(dir: &Path) -> PathBuf {
    let out = dir.join("counter.wasm");
    let status = Command::new("clang-19")
        .args(["--target=wasm32-wasi", "-O2", "-o"])
        .arg(&out)
        .arg(root().join("tests/snapshot/counter.c"))
        .status()
        .expect("running clang-19 (scripts/setup-clang.sh)");
    assert!(status.success());
    out
}

/// A directory with counter.wasm and the data file it opens.
fn counter_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    counter_wasm(dir.path());
    std::fs::write(dir.path().join("data.txt"), "hello world\n").unwrap();
    dir
}

#[test]
fn restored_c_program_matches_a_fresh_run() {
    let dir = counter_dir();
    let d = dir.path();
    let fresh = stdout(&engine(&["run", "--env", "THRICE=1", "counter.wasm", "a", "b"], d));
    assert_eq!(fresh, "counter=42 heap=from the heap head=hello rest= world\n op=21 args=a,b\n");
    let o = engine(&["snapshot", "--env", "THRICE=1", "-o", "c.snap", "counter.wasm"], d);
    assert!(o.status.success(), "{}", text(&o));
    // Without THRICE at restore: the function pointer chosen during
    // initialisation is kept (op=21), the open file continues where it was.
    let restored = stdout(&engine(&["run", "--from-snapshot", "c.snap", "a", "b"], d));
    assert_eq!(restored, fresh);
    // A second restore is not affected by the first one's writes.
    assert_eq!(stdout(&engine(&["run", "--from-snapshot", "c.snap", "a", "b"], d)), fresh);
}

#[test]
fn bad_snapshots_are_refused_with_a_message() {
    let dir = counter_dir();
    let d = dir.path();
    assert!(engine(&["snapshot", "-o", "c.snap", "counter.wasm"], d).status.success());
    let bytes = std::fs::read(d.join("c.snap")).unwrap();
    let mut damaged = bytes.clone();
    let n = damaged.len();
    damaged[n - 100] ^= 0xff;
    std::fs::write(d.join("damaged.snap"), &damaged).unwrap();
    std::fs::write(d.join("short.snap"), &bytes[..bytes.len() / 2]).unwrap();
    for (file, want) in [("damaged.snap", "checksum"), ("short.snap", "truncated"), ("missing.snap", "No such file")] {
        let o = engine(&["run", "--from-snapshot", file], d);
        assert_eq!(o.status.code(), Some(1), "{file}: {}", text(&o));
        assert!(String::from_utf8_lossy(&o.stderr).contains(want), "{file}: {}", text(&o));
    }
    // The file the program held open is gone: the restore says which.
    std::fs::remove_file(d.join("data.txt")).unwrap();
    let o = engine(&["run", "--from-snapshot", "c.snap"], d);
    assert!(String::from_utf8_lossy(&o.stderr).contains("data.txt"), "{}", text(&o));
    // A module that was rebuilt since is not restored into.
    std::fs::write(d.join("data.txt"), "x").unwrap();
    let mut wasm = std::fs::read(d.join("counter.wasm")).unwrap();
    wasm.extend_from_slice(&[0, 4, 1, b'x', 0, 0]); // a custom section "x"
    std::fs::write(d.join("counter.wasm"), wasm).unwrap();
    let o = engine(&["run", "--from-snapshot", "c.snap"], d);
    assert!(String::from_utf8_lossy(&o.stderr).contains("another module"), "{}", text(&o));
    // No initialisation export.
    let o = engine(&["snapshot", "--init", "nope", "-o", "x.snap", "counter.wasm"], d);
    assert!(String::from_utf8_lossy(&o.stderr).contains("exports no function `nope`"), "{}", text(&o));
}

#[test]
fn python_restored_with_its_imports() {
    let build = root().join("workload/cpython");
    assert!(build.join("python.wasm").is_file(), "run scripts/build-python.sh");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let grant = format!("{}::/usr/local", build.display());
    let python = build.join("python.wasm");
    let python = python.to_str().unwrap();
    let o = engine(&["snapshot", "--dir-ro", &grant, "-o", "py.snap", "--init-python", "import json, decimal", python], d);
    assert!(o.status.success(), "{}", text(&o));
    // json's C accelerator (_json) and decimal's (_decimal) are side modules,
    // loaded during initialisation and restored with the snapshot.
    let code = "import sys, json, decimal; print(json.dumps(sys.argv), sorted(m for m in ('_json', '_decimal') if m in sys.modules), decimal.Decimal(1) / 8)";
    let out = stdout(&engine(&["run", "--dir-ro", &grant, "--from-snapshot", "py.snap", "-c", code, "x"], d));
    assert_eq!(out, "[\"-c\", \"x\"] ['_decimal', '_json'] 0.125\n");
    // A script in a directory granted only at restore, its exit status,
    // and a module loaded after the restore (dlopen into restored state).
    std::fs::create_dir(d.join("w")).unwrap();
    std::fs::write(d.join("w/s.py"), "import sys, binascii\nprint('script', sys.argv, binascii.hexlify(b'hi'))\nsys.exit(3)\n")
        .unwrap();
    let o = engine(&["run", "--dir-ro", &grant, "--dir-ro", "w::/w", "--from-snapshot", "py.snap", "/w/s.py", "1"], d);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert_eq!(String::from_utf8_lossy(&o.stdout), "script ['/w/s.py', '1'] b'6869'\n");
    let o = engine(&["run", "--dir-ro", &grant, "--from-snapshot", "py.snap", "-c", "raise ValueError('boom')"], d);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("ValueError: boom"), "{}", text(&o));
}
