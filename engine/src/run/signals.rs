//! Turning hardware faults in compiled wasm into traps.
//!
//! Compiled code traps by executing a faulting instruction (`ud2`, a load in
//! a guard page, a hardware divide error). We install handlers for SIGSEGV,
//! SIGBUS, SIGILL and SIGFPE once per process. A handler acts only when the
//! faulting PC lies in registered compiled code *and* this thread is inside a
//! wasm call (it has an active jump buffer); it then records the trap and
//! `siglongjmp`s back to the entry point (`catch.c`). Every other fault goes
//! to the handler that was installed before ours (e.g. Rust's stack-overflow
//! reporter), or to the default action, so real crashes are not swallowed.
//!
//! Handlers run on a per-thread alternate signal stack, because a fault may
//! be caused by the thread's stack itself.

use crate::compile::code_memory::with_code_at;

use crate::error::Error;
use crate::vm::trap::TrapKind;
use std::cell::Cell;
use std::ffi::c_void;
use std::sync::{Once, OnceLock};

extern "C" {
    fn faasm_engine_unwind(jmp_buf: *mut c_void) -> !;
}

thread_local! {
    /// The innermost active jump buffer of this thread (set by `catch.c`),
    /// null when no wasm call is active. Const-initialised without Drop so
    /// the signal handler can read it without lazy initialisation.
    pub(crate) static JMP_BUF: Cell<*mut c_void> = const { Cell::new(std::ptr::null_mut()) };
    /// The kind of the latest trap, written by the handler just before
    /// unwinding (its frames are in `backtrace`'s buffer).
    pub(crate) static LAST_TRAP: Cell<Option<TrapKind>> = const { Cell::new(None) };
    /// This thread's alternate signal stack, if we installed one.
    static ALT_STACK: AltStack = const { AltStack { map: Cell::new(None) } };
}

const SIGNALS: [libc::c_int; 4] = [libc::SIGSEGV, libc::SIGBUS, libc::SIGILL, libc::SIGFPE];

/// The handlers ours replaced, one per entry of [`SIGNALS`].
static PREVIOUS: [OnceLock<libc::sigaction>; 4] = [const { OnceLock::new() }; 4];
static INSTALL: Once = Once::new();
static INSTALL_ERROR: OnceLock<String> = OnceLock::new();

/// Installs the trap handlers (once per process).
pub fn install() -> Result<(), Error> {
    INSTALL.call_once(|| {
        for (i, &sig) in SIGNALS.iter().enumerate() {
            // SAFETY: we build a fully initialised sigaction (zeroed, then
            // fields set) and pass valid pointers; the handler has the
            // SA_SIGINFO signature.
            unsafe {
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = handler as *const () as usize;
                action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK | libc::SA_NODEFER;
                libc::sigemptyset(&mut action.sa_mask);
                let mut old: libc::sigaction = std::mem::zeroed();
                if libc::sigaction(sig, &action, &mut old) != 0 {
                    let _ = INSTALL_ERROR
                        .set(format!("cannot install handler for signal {sig}: {}", std::io::Error::last_os_error()));
                    return;
                }
                let _ = PREVIOUS[i].set(old);
            }
        }
    });
    match INSTALL_ERROR.get() {
        Some(e) => Err(Error::Resource(e.clone())),
        None => Ok(()),
    }
}

/// The size of alternate signal stack we want: our handler, and whatever
/// handler we chain to, must fit.
const ALT_STACK_SIZE: usize = 64 << 10;

struct AltStack {
    /// (base of the mapping including its guard page, total length).
    map: Cell<Option<(usize, usize)>>,
}

impl Drop for AltStack {
    fn drop(&mut self) {
        if let Some((base, len)) = self.map.get() {
            // SAFETY: we only disable the alternate stack if it is still the
            // one we installed, then unmap our own mapping, which nothing else
            // references once it is no longer the signal stack.
            unsafe {
                let mut cur: libc::stack_t = std::mem::zeroed();
                if libc::sigaltstack(std::ptr::null(), &mut cur) == 0 && cur.ss_sp as usize == base + region::page::size() {
                    let disable =
                        libc::stack_t { ss_sp: std::ptr::null_mut(), ss_flags: libc::SS_DISABLE, ss_size: ALT_STACK_SIZE };
                    libc::sigaltstack(&disable, std::ptr::null_mut());
                }
                libc::munmap(base as *mut c_void, len);
            }
        }
    }
}

thread_local! {
    static ALT_STACK_CHECKED: Cell<bool> = const { Cell::new(false) };
}

/// Makes sure this thread has an alternate signal stack big enough for the
/// handler (keeping an existing one if it is large enough).
pub fn ensure_alt_stack() -> Result<(), Error> {
    if ALT_STACK_CHECKED.get() {
        return Ok(());
    }
    // SAFETY: sigaltstack/mmap/mprotect are called with valid arguments; the
    // new stack stays mapped until this thread's `AltStack` is dropped, and
    // it is uninstalled then.
    unsafe {
        let mut cur: libc::stack_t = std::mem::zeroed();
        if libc::sigaltstack(std::ptr::null(), &mut cur) != 0 {
            return Err(Error::Resource(format!("sigaltstack: {}", std::io::Error::last_os_error())));
        }
        if cur.ss_flags & libc::SS_DISABLE == 0 && cur.ss_size >= ALT_STACK_SIZE {
            ALT_STACK_CHECKED.set(true);
            return Ok(());
        }
        let page = region::page::size();
        let len = ALT_STACK_SIZE + page;
        let base = libc::mmap(std::ptr::null_mut(), len, libc::PROT_NONE, libc::MAP_PRIVATE | libc::MAP_ANONYMOUS, -1, 0);
        if base == libc::MAP_FAILED {
            return Err(Error::Resource(format!("cannot map signal stack: {}", std::io::Error::last_os_error())));
        }
        // The lowest page stays inaccessible: a guard against handler overflow.
        let stack = (base as *mut u8).add(page);
        if libc::mprotect(stack as *mut c_void, ALT_STACK_SIZE, libc::PROT_READ | libc::PROT_WRITE) != 0 {
            libc::munmap(base, len);
            return Err(Error::Resource(format!("mprotect: {}", std::io::Error::last_os_error())));
        }
        let new = libc::stack_t { ss_sp: stack as *mut c_void, ss_flags: 0, ss_size: ALT_STACK_SIZE };
        if libc::sigaltstack(&new, std::ptr::null_mut()) != 0 {
            libc::munmap(base, len);
            return Err(Error::Resource(format!("sigaltstack: {}", std::io::Error::last_os_error())));
        }
        ALT_STACK.with(|a| a.map.set(Some((base as usize, len))));
    }
    ALT_STACK_CHECKED.set(true);
    Ok(())
}

#[cfg(not(all(target_os = "linux", any(target_arch = "x86_64", target_arch = "aarch64"))))]
compile_error!("trap handling supports Linux on x86-64 and aarch64 only (reading the signal context)");

/// (pc, fp, sp) of the interrupted context.
///
/// SAFETY: `uctx` must be the `ucontext_t` the kernel passed to the handler.
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
unsafe fn registers(uctx: *mut c_void) -> (usize, usize, usize) {
    let uc = &*(uctx as *const libc::ucontext_t);
    let g = &uc.uc_mcontext.gregs;
    (g[libc::REG_RIP as usize] as usize, g[libc::REG_RBP as usize] as usize, g[libc::REG_RSP as usize] as usize)
}

/// SAFETY: `uctx` must be the `ucontext_t` the kernel passed to the handler.
#[cfg(all(target_os = "linux", target_arch = "aarch64"))]
unsafe fn registers(uctx: *mut c_void) -> (usize, usize, usize) {
    let uc = &*(uctx as *const libc::ucontext_t);
    let m = &uc.uc_mcontext;
    (m.pc as usize, m.regs[29] as usize, m.sp as usize)
}

/// How far from the stack pointer a fault without a trap-site entry may be
/// and still count as the stack running out (a probe of a large frame).
const STACK_FAULT_WINDOW: usize = 1 << 20;

/// The SIGSEGV/SIGBUS/SIGILL/SIGFPE handler: a fault in compiled code at a
/// recorded trap site (or a stack overflow) unwinds to the innermost entry
/// point; anything else is passed on to the previous handler.
///
/// # Safety
/// Only the kernel calls this (installed with SA_SIGINFO by [`install`]), with
/// a valid `siginfo_t` and `ucontext_t`. Everything it does itself is
/// async-signal-safe: thread-local reads/writes, the backtrace walk, and
/// `siglongjmp` through C and compiled-wasm frames only.
unsafe extern "C" fn handler(sig: libc::c_int, info: *mut libc::siginfo_t, uctx: *mut c_void) {
    let jmp = JMP_BUF.get();
    if !jmp.is_null() {
        // SAFETY: the kernel passes a valid ucontext_t to SA_SIGINFO handlers.
        let (pc, fp, sp) = unsafe { registers(uctx) };
        let kind = with_code_at(pc, |meta, off| {
            meta.trap_at(off).or_else(|| {
                // Not a recorded trap site: only a stack fault is ours.
                // SAFETY: `info` is the siginfo_t the kernel passed.
                let addr = unsafe { (*info).si_addr() } as usize;
                let near_sp = addr <= sp.saturating_add(STACK_FAULT_WINDOW) && addr.saturating_add(STACK_FAULT_WINDOW) >= sp;
                ((sig == libc::SIGSEGV || sig == libc::SIGBUS) && near_sp).then_some(TrapKind::StackOverflow)
            })
        })
        .flatten();
        if let Some(kind) = kind {
            LAST_TRAP.set(Some(kind));
            // SAFETY: `pc` is in registered code and `fp` is the
            // interrupted frame pointer.
            unsafe { crate::run::backtrace::record_in_handler(pc, fp) };
            // SAFETY: `jmp` is the live sigjmp_buf of the innermost
            // faasm_engine_catch on this thread; only C and compiled-wasm
            // frames lie between it and here.
            unsafe { faasm_engine_unwind(jmp) }
        }
    }
    // SAFETY: forwarding the kernel's own arguments.
    unsafe { chain(sig, info, uctx) }
}

/// Hands a fault that is not a wasm trap to whoever handled it before us.
unsafe fn chain(sig: libc::c_int, info: *mut libc::siginfo_t, uctx: *mut c_void) {
    let prev = SIGNALS.iter().position(|&s| s == sig).and_then(|i| PREVIOUS[i].get());
    let Some(prev) = prev else {
        // SAFETY: restoring the default action; returning re-executes the
        // faulting instruction, which then takes the default action.
        unsafe { reset_default(sig) };
        return;
    };
    let f = prev.sa_sigaction;
    if f == libc::SIG_DFL || f == libc::SIG_IGN {
        // Ignoring a synchronous fault would loop forever: use the default.
        // SAFETY: as above.
        unsafe { reset_default(sig) };
    } else if prev.sa_flags & libc::SA_SIGINFO != 0 {
        // SAFETY: the previous handler was installed with SA_SIGINFO, so it
        // has this signature; we pass the kernel's arguments through.
        unsafe {
            let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut c_void) = std::mem::transmute(f);
            f(sig, info, uctx)
        }
    } else {
        // SAFETY: a handler installed without SA_SIGINFO takes the signal number.
        unsafe {
            let f: extern "C" fn(libc::c_int) = std::mem::transmute(f);
            f(sig)
        }
    }
}

unsafe fn reset_default(sig: libc::c_int) {
    // SAFETY: a zeroed sigaction with SIG_DFL is valid.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = libc::SIG_DFL;
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(sig, &action, std::ptr::null_mut());
    }
}
