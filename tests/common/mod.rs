//! Helpers shared by the end-to-end tests (`mod common;` in each).

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

/// A fresh directory under the system temp dir, removed on drop. Its name
/// carries the test crate, the caller's tag, the process id and a counter,
/// so parallel tests and concurrent runs never share one.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let p = std::env::temp_dir().join(format!(
            "faasm-{}-{tag}-{}-{}",
            env!("CARGO_CRATE_NAME"),
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `cmd` (the `faasm-engine` binary with its arguments) with `stdin`
/// as its standard input, capturing stdout and stderr.
#[allow(dead_code)]
pub fn output_with_stdin(cmd: &mut Command, stdin: &str) -> Output {
    let mut child =
        cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("starting faasm-engine");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

/// clang-19 on PATH, or a failure saying how to install it.
#[allow(dead_code)]
pub fn clang() -> PathBuf {
    let found = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join("clang-19"))
        .find(|p| p.is_file());
    match found {
        Some(p) => p,
        None => panic!(
            "clang-19 is not installed, so the C test programs cannot be built: \
             run scripts/setup-clang.sh (installs clang-19, lld-19, wasi-libc and the wasm32 compiler-rt)"
        ),
    }
}
