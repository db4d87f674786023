//! Our own CPython build (scripts/build-python.sh: CPython 3.11 as a
//! dynamic-linking main module, its C extensions as side modules) run
//! through the `faasm-engine` binary: every side module of the build
//! imports from lib-dynload and works, a C extension of ours built with
//! scripts/build-ext.sh imports from a directory grant, and each way a
//! side module can be bad gives an ImportError carrying the loader's text.
//!
//! The build lives in `workload/cpython/` (git-ignored); scripts/test.sh
//! builds it first. Without it these tests fail and say so.

mod common;
use common::TempDir;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn build_dir() -> PathBuf {
    let d = root().join("workload/cpython");
    if !d.join("python.wasm").is_file() {
        panic!("{} is missing: run scripts/build-python.sh to build CPython for wasm", d.display());
    }
    d
}

/// The cache the tests share (never the user's own).
fn cache_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("cpython-objcache")
}

/// `faasm-engine run` of the build with `/usr/local` granted, plus `dirs`
/// (HOST::GUEST) and `envs` (K=V).
fn python(dirs: &[String], envs: &[&str], args: &[&str]) -> Output {
    warm_cache();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_faasm-engine"));
    cmd.arg("run").arg("--cache-dir").arg(cache_dir());
    cmd.arg("--dir-ro").arg(format!("{}::/usr/local", build_dir().display()));
    for d in dirs {
        cmd.arg("--dir-ro").arg(d);
    }
    for e in envs {
        cmd.arg("--env").arg(e);
    }
    cmd.arg(build_dir().join("python.wasm")).args(args);
    cmd.stdin(Stdio::null()).output().expect("starting faasm-engine")
}

/// Compiles python.wasm into the cache before the tests run it in parallel.
fn warm_cache() {
    static WARM: std::sync::Once = std::sync::Once::new();
    WARM.call_once(|| {
        let o = Command::new(env!("CARGO_BIN_EXE_faasm-engine"))
            .arg("run")
            .arg("--cache-dir")
            .arg(cache_dir())
            .arg("--dir-ro")
            .arg(format!("{}::/usr/local", build_dir().display()))
            .arg(build_dir().join("python.wasm"))
            .args(["-c", "pass"])
            .stdin(Stdio::null())
            .output()
            .expect("starting faasm-engine");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    });
}

fn stdout_of(o: &Output) -> String {
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(o.status.success(), "exit {:?}\nstdout:\n{out}\nstderr:\n{}", o.status, String::from_utf8_lossy(&o.stderr));
    out
}

/// The issue's own command, as a user types it from the project root.
#[test]
fn json_comes_from_lib_dynload() {
    warm_cache();
    let o = Command::new(env!("CARGO_BIN_EXE_faasm-engine"))
        .current_dir(root())
        .env("FAASM_ENGINE_CACHE_DIR", cache_dir())
        .args(["run", "--dir-ro", "workload/cpython::/usr/local", "workload/cpython/python.wasm"])
        .args(["-c", "import _json; print(_json.__file__)"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let out = stdout_of(&o);
    assert_eq!(out.trim(), "/usr/local/lib/python3.11/lib-dynload/_json.cpython-311-wasm32-wasi.so");
}

/// The side modules scripts/python-modules.txt lists.
fn side_modules() -> Vec<String> {
    let list = std::fs::read_to_string(root().join("scripts/python-modules.txt")).unwrap();
    list.lines().map(|l| l.split('#').next().unwrap_or("").trim()).filter(|l| !l.is_empty()).map(str::to_owned).collect()
}

#[test]
fn every_side_module_imports_from_lib_dynload() {
    let mods = side_modules();
    assert!(mods.len() >= 20, "{mods:?}");
    for required in [
        "_json",
        "_struct",
        "array",
        "math",
        "cmath",
        "_bisect",
        "_heapq",
        "_random",
        "_pickle",
        "_datetime",
        "_csv",
        "unicodedata",
        "binascii",
        "select",
        "_statistics",
        "_contextvars",
        "_opcode",
        "_queue",
        "_zoneinfo",
        "zlib",
    ] {
        assert!(mods.iter().any(|m| m == required), "{required} is not a side module of the build");
    }
    let script = format!(
        "import importlib\nfor name in {mods:?}:\n    m = importlib.import_module(name)\n    \
         assert m.__file__.startswith('/usr/local/lib/python3.11/lib-dynload/'), (name, m.__file__)\n\
         print(len({mods:?}), 'imported')\n"
    );
    let out = stdout_of(&python(&[], &[], &["-c", &script]));
    assert_eq!(out.trim(), format!("{} imported", mods.len()));
}

/// Each module does real work through the loader (functions, data,
/// function-pointer tables, types defined in the side module).
#[test]
fn side_modules_work() {
    let script = r#"
import json, struct, array, math, cmath, bisect, heapq, random, pickle, datetime, csv, io
import unicodedata, binascii, zlib, statistics, zoneinfo, decimal, hashlib, select, queue, contextvars
print(json.dumps({"a": [1, 2.5, None, "é"]}, sort_keys=True), json.loads('{"x": [true, 1e3]}'))
print(struct.pack("<ih", 7, -2).hex(), struct.unpack("<d", struct.pack("<d", 0.5)))
a = array.array("i", [3, 1, 2]); a.append(9); print(a.tolist(), sum(a))
print(math.sqrt(2), math.factorial(20), cmath.sqrt(-4))
print(bisect.bisect([1, 3, 5], 4), heapq.nsmallest(2, [5, 1, 3]), random.Random(7).randint(1, 1000))
print(pickle.loads(pickle.dumps({1: [2, (3, 4)], "s": {5}})))
print(datetime.date(2026, 12, 7).isoformat(), datetime.timedelta(days=1, seconds=5))
buf = io.StringIO(); csv.writer(buf).writerow(["a", "b,c", 1]); print(buf.getvalue().strip())
print(unicodedata.name("é"), binascii.hexlify(b"\x01\xff"), binascii.crc32(b"hello"))
print(zlib.decompress(zlib.compress(b"x" * 1000)) == b"x" * 1000, zlib.crc32(b"hello"))
print(statistics.mean([1, 2, 3, 4]), decimal.Decimal(1) / decimal.Decimal(7))
print(hashlib.sha256(b"abc").hexdigest(), hashlib.md5(b"").hexdigest())
q = queue.SimpleQueue(); q.put(1); print(q.get(), contextvars.ContextVar("v", default=3).get())
try:
    hash(array.array("i"))
except TypeError as e:
    print("TypeError:", e)
"#;
    let out = stdout_of(&python(&[], &[], &["-c", script]));
    let expected = [
        r#"{"a": [1, 2.5, null, "\u00e9"]} {'x': [True, 1000.0]}"#,
        "07000000feff (0.5,)",
        "[3, 1, 2, 9] 15",
        "1.4142135623730951 2432902008176640000 2j",
        "2 [1, 3] 332",
        "{1: [2, (3, 4)], 's': {5}}",
        "2026-12-07 1 day, 0:00:05",
        r#"a,"b,c",1"#,
        "LATIN SMALL LETTER E WITH ACUTE b'01ff' 907060870",
        "True 907060870",
        "2.5 0.1428571428571428571428571429",
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad d41d8cd98f00b204e9800998ecf8427e",
        "1 3",
        "TypeError: unhashable type: 'array.array'",
    ];
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines, expected, "\n{out}");
}

/// Builds `tests/ext/NAME.c` with scripts/build-ext.sh into `out`.
fn build_ext(name: &str, out: &Path) {
    let o = Command::new("bash")
        .arg(root().join("scripts/build-ext.sh"))
        .arg(root().join(format!("tests/ext/{name}.c")))
        .arg(out)
        .output()
        .expect("running build-ext.sh");
    assert!(o.status.success(), "build-ext.sh {name}: {}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn own_extension_built_with_build_ext() {
    let tmp = TempDir::new("ext");
    build_ext("extdemo", &tmp.0);
    let script = r#"
import extdemo
print(extdemo.__file__)
print(extdemo.greeting, extdemo.count(), extdemo.count())
print(extdemo.map_sum(lambda x: x * x, [1, 2, 3]), extdemo.apply("mul", 6, 7), extdemo.apply("sub", 1, 9))
print(extdemo.is_none(None), extdemo.is_none(0))
c = extdemo.Counter(); c.incr(); print(c.incr(), type(c).__name__)
for bad in [lambda: hash(c), lambda: extdemo.apply("pow", 1, 2), lambda: extdemo.map_sum(1, [])]:
    try:
        bad()
    except Exception as e:
        print(type(e).__name__ + ":", e)
def boom(x):
    raise KeyError(x)
try:
    extdemo.map_sum(boom, [5])
except KeyError as e:
    print("KeyError from the callback:", e)
"#;
    let dirs = [format!("{}::/ext", tmp.0.display())];
    let out = stdout_of(&python(&dirs, &["PYTHONPATH=/ext"], &["-c", script]));
    let expected = [
        "/ext/extdemo.cpython-311-wasm32-wasi.so",
        "hello from a side module 1 2",
        "14 42 -8",
        "True False",
        "2 Counter",
        "TypeError: unhashable type: 'extdemo.Counter'",
        "ValueError: unknown op pow",
        "TypeError: map_sum: f must be callable",
        "KeyError from the callback: 5",
    ];
    assert_eq!(out.lines().collect::<Vec<_>>(), expected, "\n{out}");
}

/// Every failure is an ImportError with the loader's dlerror() text, and
/// the interpreter goes on.
#[test]
fn bad_side_modules_are_import_errors() {
    let tmp = TempDir::new("badext");
    build_ext("undefined_ext", &tmp.0);
    build_ext("badsig_ext", &tmp.0);
    build_ext("extdemo", &tmp.0);
    let so = |n: &str| tmp.0.join(format!("{n}.cpython-311-wasm32-wasi.so"));
    std::fs::write(so("notwasm"), "#!/bin/sh\necho not wasm\n").unwrap();
    let good = std::fs::read(so("extdemo")).unwrap();
    std::fs::write(so("truncated"), &good[..good.len() / 2]).unwrap();
    // A valid wasm module that is not a side module: python.wasm's own first bytes won't do
    // (truncated); a minimal module (header + empty type section) will.
    std::fs::write(so("plain"), b"\0asm\x01\0\0\0\x01\x01\0").unwrap();
    let script = r#"
import importlib.util, sys
def load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    try:
        importlib.util.module_from_spec(spec)
        print(name, "loaded?!")
    except ImportError as e:
        print(name + ":", e)
for name in ["undefined_ext", "badsig_ext", "notwasm", "truncated", "plain"]:
    load(name, f"/ext/{name}.cpython-311-wasm32-wasi.so")
load("missing", "/ext/missing.cpython-311-wasm32-wasi.so")
load("outside", "/etc/outside.cpython-311-wasm32-wasi.so")
import extdemo
print("still running:", extdemo.apply("add", 2, 2))
"#;
    let dirs = [format!("{}::/ext", tmp.0.display())];
    let out = stdout_of(&python(&dirs, &["PYTHONPATH=/ext"], &["-c", script]));
    let lines: Vec<&str> = out.lines().collect();
    let p = |n: &str| format!("/ext/{n}.cpython-311-wasm32-wasi.so");
    assert_eq!(lines[0], format!("undefined_ext: {}: undefined symbol: no_such_function_anywhere", p("undefined_ext")));
    assert_eq!(
        lines[1],
        format!(
            "badsig_ext: {}: symbol PyLong_FromLong has type func [i32 i32] -> [i32] here but func [i32] -> [i32] \
             where it is defined (the main module)",
            p("badsig_ext")
        )
    );
    assert_eq!(lines[2], format!("notwasm: {}: not a WebAssembly file", p("notwasm")));
    assert!(lines[3].starts_with(&format!("truncated: {}: cannot compile: ", p("truncated"))), "{}", lines[3]);
    assert_eq!(lines[4], format!("plain: {}: not a WebAssembly side module (it has no dylink.0 section first)", p("plain")));
    assert_eq!(lines[5], format!("missing: {}: cannot open shared object file: No such file or directory", p("missing")));
    assert_eq!(
        lines[6],
        "outside: /etc/outside.cpython-311-wasm32-wasi.so: cannot open shared object file: \
         outside the directories granted to the guest"
    );
    assert_eq!(lines[7], "still running: 4");
}

/// A copy of the build's Lib/test alone in a directory (granted as /tests:
/// the guest imports the package `test` from it).
fn regrtest_lib() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("regrtest-lib");
    static COPY: std::sync::Once = std::sync::Once::new();
    COPY.call_once(|| {
        let src = root().join("workload/cpython-build/src/Python-3.11.2/Lib/test");
        assert!(src.is_dir(), "{} is missing: run scripts/build-python.sh", src.display());
        if !dir.join("test/__init__.py").is_file() {
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            let ok = Command::new("cp").arg("-r").arg(&src).arg(dir.join("test")).status().unwrap().success();
            assert!(ok, "copying {}", src.display());
        }
    });
    dir
}

/// (module, [run, failures, errors, skipped]) of faasm-engine's column in
/// tests/cpython-regrtest.md (written by scripts/cpython-regrtest.sh, which
/// ran the same tests under wasmtime with a loader for the other column).
fn recorded_counts() -> Vec<(String, [u32; 4])> {
    let table = std::fs::read_to_string(root().join("tests/cpython-regrtest.md")).unwrap();
    table
        .lines()
        .filter_map(|l| {
            let cells: Vec<&str> = l.trim().trim_matches('|').split('|').map(str::trim).collect();
            let name = cells.first()?.strip_prefix("test_").map(|_| cells[0].to_owned())?;
            let n: Vec<u32> = cells.get(1)?.split('/').map(|x| x.trim().parse().ok()).collect::<Option<_>>()?;
            Some((name, n.try_into().ok()?))
        })
        .collect()
}

/// unittest's closing lines as [run, failures, errors, skipped].
fn unittest_counts(out: &str) -> [u32; 4] {
    let mut c = [0u32; 4];
    for line in out.lines() {
        if let Some(rest) = line.strip_prefix("Ran ") {
            c[0] = rest.split(' ').next().and_then(|n| n.parse().ok()).unwrap_or(0);
        }
        if line.starts_with("OK") || line.starts_with("FAILED") {
            for (i, key) in [(1, "failures="), (2, "errors="), (3, "skipped=")] {
                if let Some(p) = line.find(key) {
                    let digits: String = line[p + key.len()..].chars().take_while(char::is_ascii_digit).collect();
                    c[i] = digits.parse().unwrap_or(0);
                }
            }
        }
    }
    c
}

/// CPython's own tests of the side modules give faasm-engine the counts in
/// the table, which are also wasmtime's (the table's "same" column).
#[test]
fn regression_tests_match_the_recorded_counts() {
    let lib = regrtest_lib();
    let recorded = recorded_counts();
    assert!(recorded.len() >= 20, "tests/cpython-regrtest.md lists {} modules", recorded.len());
    let work = std::sync::Mutex::new(recorded.into_iter());
    let mismatches = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| loop {
                let Some((name, want)) = work.lock().unwrap().next() else { break };
                let scratch = TempDir::new("regrtest");
                std::fs::create_dir_all(scratch.0.join("tmp")).unwrap();
                let mut cmd = Command::new(env!("CARGO_BIN_EXE_faasm-engine"));
                cmd.arg("run").arg("--cache-dir").arg(cache_dir());
                cmd.arg("--dir-ro").arg(format!("{}::/usr/local", build_dir().display()));
                cmd.arg("--dir-ro").arg(format!("{}::/tests", lib.display()));
                cmd.arg("--dir").arg(format!("{}::/", scratch.0.display()));
                cmd.args(["--env", "PYTHONPATH=/tests", "--env", "TMPDIR=/tmp"]);
                cmd.arg(build_dir().join("python.wasm")).args(["-m", "unittest", &format!("test.{name}")]);
                warm_cache();
                let o = cmd.stdin(Stdio::null()).output().unwrap();
                let text = String::from_utf8_lossy(&o.stderr);
                let got = unittest_counts(&text);
                if got != want {
                    let tail: Vec<&str> = text.lines().rev().take(30).collect();
                    mismatches.lock().unwrap().push(format!(
                        "{name}: got {got:?}, recorded {want:?}\n{}",
                        tail.into_iter().rev().collect::<Vec<_>>().join("\n")
                    ));
                }
            });
        }
    });
    let m = mismatches.into_inner().unwrap();
    assert!(m.is_empty(), "{}", m.join("\n\n"));
}
