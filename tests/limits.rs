//! `--timeout` and `--max-memory` on `faasm-engine run`, and how failures
//! read: a guest stopped by its deadline (running, calling, or blocked in
//! the host) exits 124 naming the timeout; `memory.grow` past the cap
//! fails as the guest sees it (-1, Python's MemoryError); a module that
//! cannot load is one line; backtraces use the name section.
//!
//! Timeouts are asserted by outcome only (exit status and message), never
//! by how long they took: the machine may be loaded.

#[allow(dead_code)] // not every helper is used here
mod common;
use common::TempDir;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn describe(o: &Output) -> String {
    format!("exit {:?}\n--- stdout:\n{}\n--- stderr:\n{}", o.status.code(), text(&o.stdout), text(&o.stderr))
}

fn cache_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("limits-objcache")
}

/// Writes the module in WebAssembly text `wat` to `<dir>/<name>.wasm`.
fn module(dir: &TempDir, name: &str, wat_src: &str) -> PathBuf {
    let bytes = wat::parse_str(wat_src).unwrap_or_else(|e| panic!("{name}: {e}"));
    let p = dir.0.join(format!("{name}.wasm"));
    std::fs::write(&p, bytes).unwrap();
    p
}

fn run(flags: &[&str], module: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_faasm-engine"))
        .arg("run")
        .arg("--cache-dir")
        .arg(cache_dir())
        .args(flags)
        .arg(module)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("starting faasm-engine")
}

fn assert_timed_out(o: &Output) {
    assert_eq!(o.status.code(), Some(124), "{}", describe(o));
    let err = text(&o.stderr);
    assert!(err.contains("timed out") && err.contains("--timeout of 1 s"), "{}", describe(o));
}

#[test]
fn an_infinite_loop_is_stopped_by_the_timeout() {
    let d = TempDir::new("loop");
    let m = module(&d, "spin", r#"(module (func (export "_start") (loop $l (br $l))))"#);
    assert_timed_out(&run(&["--timeout", "1"], &m, &[]));
}

#[test]
fn a_loop_of_calls_and_call_recursion_without_loops_are_stopped() {
    let d = TempDir::new("calls");
    // A loop whose body is a call: the callee's entry check or the loop's.
    let m = module(
        &d,
        "call_loop",
        r#"(module
             (global $g (mut i32) (i32.const 0))
             (func $bump (global.set $g (i32.add (global.get $g) (i32.const 1))))
             (func (export "_start") (loop $l (call $bump) (br $l))))"#,
    );
    assert_timed_out(&run(&["--timeout", "1"], &m, &[]));
    // 2^62 calls, never deeper than 62 frames and no loop anywhere: only
    // the function-entry checks can stop it.
    let m = module(
        &d,
        "tree",
        r#"(module
             (func $f (param $n i32) (result i32)
               (if (result i32) (i32.eqz (local.get $n))
                 (then (i32.const 1))
                 (else (i32.add (call $f (i32.sub (local.get $n) (i32.const 1)))
                                (call $f (i32.sub (local.get $n) (i32.const 1)))))))
             (func (export "_start") (drop (call $f (i32.const 62)))))"#,
    );
    assert_timed_out(&run(&["--timeout", "1"], &m, &[]));
}

#[test]
fn a_guest_sleeping_in_poll_oneoff_is_woken_by_the_timeout() {
    let d = TempDir::new("sleep");
    // One relative monotonic-clock subscription of an hour at address 0
    // (userdata 0, tag 0 = clock, id 1 = monotonic, timeout in ns).
    let m = module(
        &d,
        "sleep",
        r#"(module
             (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
             (memory (export "memory") 1)
             (func (export "_start")
               (i32.store8 (i32.const 8) (i32.const 0))
               (i32.store (i32.const 16) (i32.const 1))
               (i64.store (i32.const 24) (i64.const 3600000000000))
               (drop (call $poll (i32.const 0) (i32.const 64) (i32.const 1) (i32.const 128)))))"#,
    );
    assert_timed_out(&run(&["--timeout", "1"], &m, &[]));
}

#[test]
fn a_guest_blocked_reading_stdin_is_woken_by_the_timeout() {
    let d = TempDir::new("stdin");
    let m = module(
        &d,
        "read",
        r#"(module
             (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
             (memory (export "memory") 1)
             (func (export "_start")
               (i32.store (i32.const 0) (i32.const 64))
               (i32.store (i32.const 4) (i32.const 16))
               (drop (call $read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 32)))))"#,
    );
    // A pipe that stays open and empty for as long as the guest runs.
    let mut child = Command::new(env!("CARGO_BIN_EXE_faasm-engine"))
        .arg("run")
        .arg("--cache-dir")
        .arg(cache_dir())
        .args(["--timeout", "1"])
        .arg(&m)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting faasm-engine");
    let stdin = child.stdin.take();
    let o = child.wait_with_output().unwrap();
    drop(stdin);
    assert_timed_out(&o);
}

#[test]
fn without_a_timeout_a_finite_loop_finishes() {
    let d = TempDir::new("finite");
    let m = module(
        &d,
        "count",
        r#"(module (func (export "count") (param $n i32) (result i32) (local $i i32)
             (loop $l (local.set $i (i32.add (local.get $i) (i32.const 1)))
                      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
             (local.get $i)))"#,
    );
    let o = run(&["--timeout", "600", "--invoke", "count"], &m, &["1000000"]);
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
    assert_eq!(text(&o.stdout).trim(), "1000000");
}

#[test]
fn memory_grow_past_the_cap_returns_minus_one() {
    let d = TempDir::new("grow");
    let m = module(
        &d,
        "grow",
        r#"(module (memory 1)
             (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))"#,
    );
    // 2 MiB = 32 pages: from 1 page, 31 more fit and 32 do not.
    let o = run(&["--max-memory", "2", "--invoke", "grow"], &m, &["32"]);
    assert_eq!(text(&o.stdout).trim(), "-1", "{}", describe(&o));
    let o = run(&["--max-memory", "2", "--invoke", "grow"], &m, &["31"]);
    assert_eq!(text(&o.stdout).trim(), "1", "{}", describe(&o));
    let o = run(&["--invoke", "grow"], &m, &["32"]);
    assert_eq!(text(&o.stdout).trim(), "1", "without the cap: {}", describe(&o));
}

#[test]
fn a_memory_starting_over_the_cap_fails_to_instantiate_in_one_line() {
    let d = TempDir::new("initial");
    let m = module(&d, "big", r#"(module (memory 100) (func (export "_start")))"#);
    let o = run(&["--max-memory", "4"], &m, &[]);
    assert_eq!(o.status.code(), Some(1), "{}", describe(&o));
    let err = text(&o.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "{}", describe(&o));
    assert!(err.contains("over the memory limit of 4 MiB"), "{}", describe(&o));
}

#[test]
fn a_module_that_fails_to_load_is_one_readable_line() {
    let d = TempDir::new("bad");
    let p = d.0.join("garbage.wasm");
    std::fs::write(&p, b"\0asm\x01\0\0\0\x01\xff\xff").unwrap();
    let o = run(&[], &p, &[]);
    assert_eq!(o.status.code(), Some(1), "{}", describe(&o));
    let err = text(&o.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "{}", describe(&o));
    assert!(err.starts_with("Error: cannot compile") && err.contains("garbage.wasm"), "{}", describe(&o));
}

#[test]
fn backtraces_name_functions_from_the_name_section() {
    let d = TempDir::new("names");
    let m = module(
        &d,
        "named",
        r#"(module (func $inner_boom unreachable) (func $outer_caller (call $inner_boom))
             (func (export "_start") (call $outer_caller)))"#,
    );
    let o = run(&[], &m, &[]);
    assert_eq!(o.status.code(), Some(134), "{}", describe(&o));
    let err = text(&o.stderr);
    let inner = err.find("inner_boom").unwrap_or_else(|| panic!("{}", describe(&o)));
    let outer = err.find("outer_caller").unwrap_or_else(|| panic!("{}", describe(&o)));
    assert!(inner < outer, "innermost first: {}", describe(&o));
}

fn python() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("workload/python3.wasm");
    if !p.is_file() {
        panic!("{} is missing: run scripts/fetch-python.sh to fetch python3.wasm", p.display());
    }
    p
}

#[test]
fn python_gets_memory_error_over_max_memory() {
    let code = "try:\n    b = bytearray(200*1024*1024)\n    print('allocated')\nexcept MemoryError:\n    print('MemoryError')\n";
    let o = run(&["--max-memory", "64"], &python(), &["-c", code]);
    assert_eq!(o.status.code(), Some(0), "{}", describe(&o));
    assert_eq!(text(&o.stdout).trim(), "MemoryError", "{}", describe(&o));
    // The same allocation without the cap succeeds, so the cap is what failed it.
    let o = run(&[], &python(), &["-c", code]);
    assert_eq!(text(&o.stdout).trim(), "allocated", "{}", describe(&o));
}

#[test]
fn python_while_true_is_stopped_by_the_timeout() {
    let o = run(&["--timeout", "1"], &python(), &["-c", "while True: pass"]);
    assert_timed_out(&o);
}
