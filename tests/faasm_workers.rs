//! `invoke --redis` with `faasm-engine worker` processes: chained calls go
//! through a Redis queue of the test's own server and run in two workers;
//! a worker killed mid-call loses nothing (the call runs again elsewhere);
//! Redis going away during a call fails it with a clear error, no hang.

use faasm::testing::RedisServer;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn cache() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("cpython-objcache")
}

fn setup() {
    static SETUP: std::sync::Once = std::sync::Once::new();
    SETUP.call_once(|| {
        let d = root().join("workload/cpython");
        assert!(d.join("python.wasm").is_file(), "{} is missing: run scripts/build-python.sh", d.display());
        let o = Command::new("bash").arg(root().join("scripts/build-pyfaasm.sh")).output().unwrap();
        assert!(o.status.success(), "build-pyfaasm.sh failed:\n{}", String::from_utf8_lossy(&o.stderr));
    });
}

/// A worker process, killed (by its own pid) on drop.
struct Worker(Child);

impl Worker {
    fn start(url: &str) -> Worker {
        setup();
        let child = Command::new(env!("CARGO_BIN_EXE_faasm-engine"))
            .arg("worker")
            .arg("--cache-dir")
            .arg(cache())
            .arg("--python")
            .arg(root().join("workload/cpython"))
            .args(["--threads", "2", "--redis", url])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting faasm-engine worker");
        Worker(child)
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn invoke(url: &str, file: &str, input: &str) -> Output {
    setup();
    Command::new(env!("CARGO_BIN_EXE_faasm-engine"))
        .arg("invoke")
        .arg("--cache-dir")
        .arg(cache())
        .arg("--python")
        .arg(root().join("workload/cpython"))
        .args(["--timeout", "120", "--redis", url, "--input", input])
        .arg(root().join("tests/faasm").join(file))
        .stdin(Stdio::null())
        .output()
        .expect("starting faasm-engine")
}

fn ok(url: &str, file: &str, input: &str) -> String {
    let o = invoke(url, file, input);
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(o.status.success(), "{file}: {:?}\n{out}\n{}", o.status, String::from_utf8_lossy(&o.stderr));
    out
}

#[test]
fn chained_calls_run_on_two_workers_with_state_in_redis() {
    let srv = RedisServer::start().unwrap_or_else(|e| panic!("{e}"));
    let url = srv.url();
    let _a = Worker::start(&url);
    let _b = Worker::start(&url);
    assert_eq!(ok(&url, "doc_chain.py", ""), "both chained calls succeeded");
    assert_eq!(ok(&url, "dict_state.py", ""), "[('alpha', 'beta'), ('epsilon', 'zeta'), ('gamma', 'delta')]");
    assert_eq!(ok(&url, "outputs.py", "m"), "ABC|text:xyz|set:in|nested(DEEP)|ok=0|bad=1|again=ABC|idx=0|in=m");
    assert_eq!(ok(&url, "state_ops.py", ""), "count=20");
    assert_eq!(ok(&url, "fanout.py", ""), format!("sum={}", (0..100).map(|i| i * i).sum::<i32>()));
    // Both workers took calls: each registered itself and ran some.
    let mut con = redis::Client::open(url.as_str()).unwrap().get_connection().unwrap();
    let workers: Vec<String> = redis::cmd("SMEMBERS").arg("faasm:workers").query(&mut con).unwrap();
    assert_eq!(workers.len(), 2, "{workers:?}");
}

#[test]
fn a_worker_killed_mid_call_loses_no_call() {
    let srv = RedisServer::start().unwrap_or_else(|e| panic!("{e}"));
    let url = srv.url();
    let mut doomed = Worker::start(&url);
    let url2 = url.clone();
    let call = std::thread::spawn(move || invoke(&url2, "slow.py", ""));
    // Wait until the doomed worker has started the child, then kill it.
    let mut con = redis::Client::open(url.as_str()).unwrap().get_connection().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while redis::cmd("LLEN").arg("faasm:appended:slow-runs").query::<u64>(&mut con).unwrap() == 0 {
        assert!(Instant::now() < deadline, "the child never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = doomed.0.kill();
    let _ = doomed.0.wait();
    let _rescuer = Worker::start(&url);
    let o = call.join().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(String::from_utf8_lossy(&o.stdout), "slept:zz");
    let runs: u64 = redis::cmd("LLEN").arg("faasm:appended:slow-runs").query(&mut con).unwrap();
    assert_eq!(runs, 2, "the call ran again after its worker died (at least once)");
}

#[test]
fn redis_going_away_during_a_call_fails_it_clearly() {
    let mut srv = RedisServer::start().unwrap_or_else(|e| panic!("{e}"));
    let url = srv.url();
    // No worker: the chained call waits in the queue until Redis goes.
    let url2 = url.clone();
    let start = Instant::now();
    let call = std::thread::spawn(move || invoke(&url2, "doc_chain.py", ""));
    std::thread::sleep(Duration::from_secs(3));
    srv.stop();
    let o = call.join().unwrap();
    assert!(!o.status.success());
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains(&format!("Redis at {url}")), "{e}");
    assert!(start.elapsed() < Duration::from_secs(60), "no hang");
}

#[test]
fn redis_state_is_shared_across_invocations() {
    let srv = RedisServer::start().unwrap_or_else(|e| panic!("{e}"));
    let url = srv.url();
    let _w = Worker::start(&url);
    assert_eq!(ok(&url, "redis_state.py", "set v1"), "stored");
    assert_eq!(ok(&url, "redis_state.py", "get"), "v1/v1!");
    assert_eq!(ok(&url, "redis_state.py", "set v2"), "stored");
    assert_eq!(ok(&url, "redis_state.py", "get"), "v2/v2!");
}
