//! Helpers shared by the objcache integration tests (`mod common;`): a
//! cache that keeps quiet about the damage the tests do on purpose, and
//! the harness of the concurrent-processes tests (children started from
//! the test binary itself, released together through a "go" file).

#![allow(dead_code)]

use objcache::Cache;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// How many processes race for the same entry.
pub const CHILDREN: usize = 8;

/// A cache whose recoveries do not print warnings.
pub fn quiet_cache(dir: &Path) -> Cache {
    let mut c = Cache::new(dir).unwrap();
    c.set_warnings(false);
    c
}

/// In a child (the ignored test run by [`run_children`]): the shared
/// directory named by `$var`, once the parent has released all children.
/// `None` when the test runs outside `run_children`.
pub fn child_wait_for_go(var: &str) -> Option<PathBuf> {
    let dir = PathBuf::from(std::env::var_os(var)?);
    let go = dir.join("go");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !go.exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    Some(dir)
}

/// Starts [`CHILDREN`] copies of this test binary running only the ignored
/// test `child_test` with `$var` set to `dir`, releases them together and
/// returns the (stdout, stderr) of each; a child that fails is a failure.
pub fn run_children(child_test: &str, var: &str, dir: &Path) -> Vec<(String, String)> {
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..CHILDREN)
        .map(|_| {
            Command::new(&exe)
                .args([child_test, "--exact", "--ignored", "--nocapture", "--test-threads=1"])
                .env(var, dir)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    std::fs::write(dir.join("go"), b"").unwrap();
    children
        .into_iter()
        .map(|child| {
            let out = child.wait_with_output().unwrap();
            let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
            let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
            assert!(out.status.success(), "child failed:\n{stdout}\n{stderr}");
            (stdout, stderr)
        })
        .collect()
}
