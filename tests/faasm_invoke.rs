//! `faasm-engine invoke` end to end: Python function files (tests/faasm/)
//! on our CPython build with pyfaasm, chained calls in new instances,
//! state in process, and the bad input cases (Redis down at start among
//! them; Redis with workers is tests/faasm_workers.rs). Needs scripts/build-python.sh's build (the test installs
//! pyfaasm into it with scripts/build-pyfaasm.sh) and, for the Redis cases,
//! redis-server (scripts/setup-redis.sh).

use faasm::testing::RedisServer;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn python_dir() -> PathBuf {
    static SETUP: std::sync::Once = std::sync::Once::new();
    let d = root().join("workload/cpython");
    SETUP.call_once(|| {
        assert!(d.join("python.wasm").is_file(), "{} is missing: run scripts/build-python.sh", d.display());
        let o = Command::new("bash").arg(root().join("scripts/build-pyfaasm.sh")).output().unwrap();
        assert!(o.status.success(), "build-pyfaasm.sh failed:\n{}", String::from_utf8_lossy(&o.stderr));
        // Compile python.wasm into the tests' cache once, before the tests
        // run in parallel.
        let o = invoke_raw(&["--input", "x"], "doc_chain.py");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    });
    d
}

/// `faasm-engine invoke` with the test cache and the build, before any
/// other option.
fn invoke_command() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_faasm-engine"));
    c.arg("invoke")
        .arg("--cache-dir")
        .arg(Path::new(env!("CARGO_TARGET_TMPDIR")).join("cpython-objcache"))
        .arg("--python")
        .arg(root().join("workload/cpython"))
        .stdin(Stdio::null());
    c
}

fn run_file(mut c: Command, file: &str) -> Output {
    c.arg(root().join("tests/faasm").join(file)).output().expect("starting faasm-engine")
}

fn invoke_raw(args: &[&str], file: &str) -> Output {
    let mut c = invoke_command();
    c.args(["--timeout", "300"]).args(args);
    run_file(c, file)
}

fn invoke(args: &[&str], file: &str) -> Output {
    python_dir();
    invoke_raw(args, file)
}

fn ok(args: &[&str], file: &str) -> String {
    let o = invoke(args, file);
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(o.status.success(), "{file}: exit {:?}\nstdout: {out}\nstderr:\n{}", o.status, String::from_utf8_lossy(&o.stderr));
    out
}

fn fails(args: &[&str], file: &str) -> String {
    let o = invoke(args, file);
    assert!(!o.status.success(), "{file} {args:?} should fail; stdout: {}", String::from_utf8_lossy(&o.stdout));
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn faasm_doc_example_two_chained_calls() {
    assert_eq!(ok(&[], "doc_chain.py"), "both chained calls succeeded");
}

#[test]
fn children_return_outputs_and_a_raising_child_is_non_zero() {
    let out = ok(&["--input", "main-in"], "outputs.py");
    assert_eq!(out, "ABC|text:xyz|set:in|nested(DEEP)|ok=0|bad=1|again=ABC|idx=0|in=main-in",);
}

#[test]
fn the_child_traceback_goes_to_stderr() {
    let o = invoke(&[], "outputs.py");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("ValueError: child raised on purpose"), "{err}");
}

#[test]
fn dict_state_shared_by_parent_and_child() {
    assert_eq!(ok(&[], "dict_state.py"), "[('alpha', 'beta'), ('epsilon', 'zeta'), ('gamma', 'delta')]");
}

#[test]
fn offsets_push_pull_appends_and_locks() {
    assert_eq!(ok(&[], "state_ops.py"), "count=20");
}

#[test]
fn fan_out_of_100() {
    assert_eq!(ok(&[], "fanout.py"), format!("sum={}", (0..100).map(|i| i * i).sum::<i32>()));
}

#[test]
fn input_from_a_file() {
    let f = Path::new(env!("CARGO_TARGET_TMPDIR")).join("faasm-input.txt");
    std::fs::write(&f, "from-file").unwrap();
    let out = ok(&["--input-file", f.to_str().unwrap()], "outputs.py");
    assert!(out.ends_with("in=from-file"), "{out}");
}

#[test]
fn bad_input_fails_with_clear_errors() {
    let e = fails(&["--input", "unknown-function"], "bad_input.py");
    assert!(e.contains("ValueError: no function 'no_such_function'"), "{e}");
    let e = fails(&["--input", "oversize", "--max-state", "1000"], "bad_input.py");
    assert!(e.contains("would be 2000 bytes, over the limit of 1000 bytes"), "{e}");
    let e = fails(&["--input", "bad-await"], "bad_input.py");
    assert!(e.contains("call 424242 was not chained by this call"), "{e}");
    let e = fails(&[], "no_such_file.py");
    assert!(e.contains("no such file"), "{e}");
    let o = Command::new(env!("CARGO_BIN_EXE_faasm-engine"))
        .args(["invoke", "--python", "/nonexistent"])
        .arg(root().join("tests/faasm/doc_chain.py"))
        .output()
        .unwrap();
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && e.contains("/nonexistent/python.wasm is missing"), "{e}");
    // No state was invented for a key never written: read back as b"".
    assert_eq!(ok(&["--input", "no-entry"], "bad_input.py"), "");
}

#[test]
fn redis_down_at_start_is_a_clear_error() {
    let mut srv = RedisServer::start().unwrap_or_else(|e| panic!("{e}"));
    let url = srv.url();
    srv.stop();
    let e = fails(&["--redis", &url], "doc_chain.py");
    assert!(e.contains("cannot use --redis") && e.contains(&format!("Redis at {url}")), "{e}");
}

/// `invoke` with extra environment variables.
fn invoke_env(envs: &[(&str, &str)], file: &str) -> Output {
    python_dir();
    let mut c = invoke_command();
    c.envs(envs.iter().copied());
    run_file(c, file)
}

#[test]
fn calls_restored_from_a_snapshot_match_calls_from_scratch() {
    let want = r#"{"children": [[1, "0"], [1, "1"], [1, "2"]], "main": 10}"#;
    let snap = invoke_env(&[("FAASM_DYNLOAD_VERBOSE", "1")], "snapshot_calls.py");
    let err = String::from_utf8_lossy(&snap.stderr);
    assert!(snap.status.success(), "{err}");
    assert_eq!(String::from_utf8_lossy(&snap.stdout), want);
    assert!(err.contains("snapshot_calls.py: calls start from a snapshot"), "{err}");
    let fresh = invoke_env(&[("FAASM_NO_SNAPSHOT", "1")], "snapshot_calls.py");
    assert_eq!(String::from_utf8_lossy(&fresh.stdout), want, "{}", String::from_utf8_lossy(&fresh.stderr));
}

#[test]
fn a_file_using_state_at_import_runs_without_a_snapshot() {
    let o = invoke_env(&[("FAASM_DYNLOAD_VERBOSE", "1")], "import_state.py");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert_eq!(String::from_utf8_lossy(&o.stdout), "set at import");
    assert!(err.contains("no snapshot"), "{err}");
}

#[test]
fn timeout_interrupts_running_python_code() {
    for input in ["main", "child"] {
        python_dir();
        let mut c = invoke_command();
        c.args(["--timeout", "1", "--input", input]);
        let o = run_file(c, "busy.py");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(124), "{input}: {err}");
        assert!(err.contains("timed out after 1 s"), "{input}: {err}");
    }
}
