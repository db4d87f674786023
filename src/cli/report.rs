//! How a guest's end is shown at the command line: exit statuses, and the
//! trap message with its wasm backtrace.

use session::Outcome;

/// Exit status after a trap: what a native process killed by SIGABRT
/// reports (128 + 6), as wasmtime does.
pub const TRAP_EXIT_CODE: i32 = 134;

/// Exit status when a timeout stopped the guest (what coreutils'
/// `timeout` uses).
pub const TIMEOUT_EXIT_CODE: i32 = 124;

/// The exit status for `outcome` of `module`, reporting a trap, a timeout
/// (`timeout` is the limit in seconds, for the message) or a failure on
/// stderr. A failure to set up is `Err`.
pub fn exit_status(module: &str, timeout: Option<f64>, outcome: Outcome) -> anyhow::Result<i32> {
    match outcome {
        Outcome::Returned(_) => Ok(0),
        Outcome::Exited(code) => Ok(code),
        Outcome::TimedOut => {
            eprintln!("Error: {module} timed out: stopped after the --timeout of {} s", timeout.unwrap_or(0.0));
            Ok(TIMEOUT_EXIT_CODE)
        }
        Outcome::Trapped(t) => {
            eprint!("{}", trap_report(module, &t));
            Ok(TRAP_EXIT_CODE)
        }
        Outcome::Failed(e) => Err(e.into()),
    }
}

/// The trap message and its wasm backtrace, innermost frame first. Runs of
/// one function calling itself (deep recursion) are collapsed to one line
/// so that a stack overflow stays readable.
pub fn trap_report(module: &str, t: &engine::Trap) -> String {
    use engine::TrapReason;
    use std::fmt::Write;
    let reason = match &t.reason {
        TrapReason::Wasm(kind) => format!("wasm trap: {kind}"),
        TrapReason::Host(msg) => format!("host function failed: {msg}"),
        TrapReason::Exit(code) => format!("exited with code {code}"),
    };
    let mut out = format!("Error: failed to run {module}\n\nCaused by:\n    {reason}\n");
    if t.backtrace.is_empty() {
        return out;
    }
    out.push_str("    wasm backtrace:\n");
    let name = |f: &engine::Frame| -> String {
        let func = match &f.func_name {
            Some(n) => n.clone(),
            None => format!("<wasm function {}>", f.func_index),
        };
        match &f.module_name {
            Some(m) => format!("{m}!{func}"),
            None => func,
        }
    };
    let mut i = 0;
    while i < t.backtrace.len() {
        let f = &t.backtrace[i];
        let mut run = 1;
        while t.backtrace.get(i + run).is_some_and(|g| g == f) {
            run += 1;
        }
        let _ = writeln!(out, "      {i:>5}: {}", name(f));
        if run > 2 {
            let _ = writeln!(out, "             ... {} more frames of the same function", run - 1);
            i += run;
        } else {
            i += 1;
        }
    }
    out
}
