//! `proc_exit`, `proc_raise` and `sched_yield`.
//!
//! Ending the guest is a trap carrying the exit code (`Trap::exit`): it
//! unwinds the wasm stack back to whoever called into the instance, which
//! turns it into the process exit code (the CLI) or a result (an embedder).

use super::ctx::WasiCtx;
use super::types::Errno;
use crate::memory::GuestMemory;
use engine::Trap;

pub fn proc_exit(_ctx: &mut WasiCtx, _mem: &mut GuestMemory<'_>, code: u32) -> Trap {
    // `exitcode` is a u32; the engine's exit code is the same bits as i32
    // (a process can only report the low 8 bits anyway).
    Trap::exit(code as i32)
}

/// WASI signal numbers (witx `signal`) with their POSIX numbers, and
/// whether the default action is to terminate the process.
const SIGNALS: &[(u32, &str, i32, bool)] = &[
    (1, "SIGHUP", 1, true),
    (2, "SIGINT", 2, true),
    (3, "SIGQUIT", 3, true),
    (4, "SIGILL", 4, true),
    (5, "SIGTRAP", 5, true),
    (6, "SIGABRT", 6, true),
    (7, "SIGBUS", 7, true),
    (8, "SIGFPE", 8, true),
    (9, "SIGKILL", 9, true),
    (10, "SIGUSR1", 10, true),
    (11, "SIGSEGV", 11, true),
    (12, "SIGUSR2", 12, true),
    (13, "SIGPIPE", 13, true),
    (14, "SIGALRM", 14, true),
    (15, "SIGTERM", 15, true),
    (16, "SIGCHLD", 17, false),
    (17, "SIGCONT", 18, false),
    (18, "SIGSTOP", 19, false),
    (19, "SIGTSTP", 20, false),
    (20, "SIGTTIN", 21, false),
    (21, "SIGTTOU", 22, false),
    (22, "SIGURG", 23, false),
    (23, "SIGXCPU", 24, true),
    (24, "SIGXFSZ", 25, true),
    (25, "SIGVTALRM", 26, true),
    (26, "SIGPROF", 27, true),
    (27, "SIGWINCH", 28, false),
    (28, "SIGPOLL", 29, true),
    (29, "SIGPWR", 30, true),
    (30, "SIGSYS", 31, true),
];

/// Outcome of `proc_raise`.
pub enum Raise {
    /// The signal's default action is to ignore it (or to stop/continue,
    /// which a sandboxed guest with no job control cannot observe).
    Ignored,
    /// The guest dies of the signal: exit status 128 + signal, as a shell
    /// reports a process killed by a signal.
    Terminate(Trap),
}

/// WASI has no signal handlers, so raising a signal applies its default
/// action. Signal 0 checks nothing and succeeds; unknown numbers are
/// `Inval`.
pub fn raise(sig: u32) -> Result<Raise, Errno> {
    if sig == 0 {
        return Ok(Raise::Ignored);
    }
    let &(_, _name, posix, terminates) = SIGNALS.iter().find(|s| s.0 == sig).ok_or(Errno::Inval)?;
    if terminates {
        Ok(Raise::Terminate(Trap::exit(128 + posix)))
    } else {
        Ok(Raise::Ignored)
    }
}

pub fn sched_yield(_ctx: &mut WasiCtx, _mem: &mut GuestMemory<'_>) -> Result<(), Errno> {
    std::thread::yield_now();
    Ok(())
}

/// `proc_raise` in the table's "errno or trap" form.
pub fn proc_raise(_ctx: &mut WasiCtx, _mem: &mut GuestMemory<'_>, sig: u32) -> Result<Result<(), Errno>, Trap> {
    match raise(sig) {
        Err(e) => Ok(Err(e)),
        Ok(Raise::Ignored) => Ok(Ok(())),
        Ok(Raise::Terminate(t)) => Err(t),
    }
}
