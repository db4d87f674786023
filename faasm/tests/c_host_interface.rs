//! A C program (tests/c/faasm_demo.c, compiled with clang-19) using the
//! Faasm host interface directly, run through the in-process scheduler:
//! input/output, state values/offsets/appends/locks, chaining by name and
//! by pointer with awaited outputs, failing children, a fan-out of 100, and
//! the bad-input cases (each traps the call with a clear message).

use faasm::guest::WasmGuest;
use faasm::local::LocalRuntime;
use faasm::state::EmbeddedStore;
use hostabi::faasm::{CallResult, ChainError, StateStore};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

fn compile() -> PathBuf {
    static OUT: OnceLock<PathBuf> = OnceLock::new();
    OUT.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/c");
        let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("faasm_demo-{}.wasm", std::process::id()));
        let status = Command::new("clang-19")
            .args(["--target=wasm32-wasi", "-O2", "-Wl,--export-table", "-Wl,--export=malloc", "-o"])
            .arg(&out)
            .arg(dir.join("faasm_demo.c"))
            .status()
            .unwrap_or_else(|e| panic!("cannot run clang-19 ({e}): run scripts/setup-clang.sh"));
        assert!(status.success(), "clang-19 failed on faasm_demo.c");
        out
    })
    .clone()
}

struct Run {
    result: Result<CallResult, ChainError>,
    store: Arc<EmbeddedStore>,
}

fn run(input: &str) -> Run {
    let host = session::Host::new(session::HostOptions { cache_dir: None, ..session::HostOptions::from_env() }).unwrap();
    let module = host.load(&compile()).unwrap();
    let guest = Arc::new(WasmGuest::new(host, module, "faasm_demo.wasm"));
    let store = Arc::new(EmbeddedStore::new(1 << 20));
    let rt = LocalRuntime::new(guest, store.clone(), 2, Some(Duration::from_secs(60)));
    Run { result: rt.run_main(input.as_bytes().to_vec()), store }
}

fn ok(input: &str) -> String {
    let r = run(input).result.unwrap();
    assert_eq!(r.return_code, 0, "{input}: output {:?}", String::from_utf8_lossy(&r.output));
    String::from_utf8(r.output).unwrap()
}

#[test]
fn input_comes_back_as_output() {
    assert_eq!(ok("echo hello"), "echo hello");
    let r = run("exit3").result.unwrap();
    assert_eq!((r.return_code, r.output.len()), (3, 0));
}

#[test]
fn state_values_offsets_appends_and_flags() {
    let r = run("state");
    let out = String::from_utf8(r.result.unwrap().output).unwrap();
    assert_eq!(out, "missing=0;size=10;value=0199956789;seg=9567;appended=abcd;flag=1;");
    assert_eq!(r.store.get("k").unwrap(), b"0199956789");
}

#[test]
fn chained_calls_by_name_and_pointer_with_outputs_and_failures() {
    let out = ok("chain");
    assert!(out.starts_with("a=ABC rc=0;"), "{out}");
    // Ids count from 0 (the main call); b is the second chained call.
    assert!(out.contains("b=ptr idx=2 in=xyz rc=3;"), "{out}");
    assert!(out.contains("c rc=7;"), "{out}");
    assert!(out.contains("d failed=1;"), "a trapping child is a non-zero await: {out}");
    assert!(out.contains("e=DEEP rc=0;"), "a chain of chains: {out}");
}

#[test]
fn fan_out_of_100_with_locked_counter_and_appends() {
    let r = run("fanout");
    let out = String::from_utf8(r.result.unwrap().output).unwrap();
    assert_eq!(out, "failed=0;count=100;appended=100;");
}

fn failed_with(input: &str, needle: &str) {
    let r = run(input).result.unwrap();
    assert_ne!(r.return_code, 0, "{input} should fail");
    let msg = r.error.map(|e| e.to_string()).unwrap_or_default();
    assert!(msg.contains(needle), "{input}: {msg}");
}

#[test]
fn bad_input_traps_the_call() {
    failed_with("bad-output", "outside the guest's");
    failed_with("bad-key", "state key");
    failed_with("oversize", "over the limit");
    failed_with("unknown", "no function `no_such_function`");
    failed_with("bad-await", "call 12345 was not chained");
}
