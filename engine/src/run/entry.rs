//! Calling into compiled code from the host.
//!
//! Every call goes through the entry trampoline of the callee's type inside
//! `faasm_engine_catch` (catch.c), so a trap anywhere in the wasm frames
//! below comes back here as a `Trap` instead of a signal. This file also
//! owns the thread's "pending trap": the precise reason a libcall or host
//! function gave when it made compiled code trap with `TrapKind::Deferred`.

use crate::error::{Error, Trap};
use crate::run::{backtrace, signals};
use crate::vm::layout::{VMContext, VMLimits, ValRaw};
use crate::vm::trap::TrapKind;
use std::cell::{Cell, RefCell};
use std::ffi::c_void;

/// `extern "C" fn(code, callee_vmctx, caller_vmctx, values)`, see
/// `CompiledCode::entry_trampolines`.
pub type EntryTrampoline =
    unsafe extern "C" fn(code: *const u8, callee: *mut VMContext, caller: *mut VMContext, values: *mut ValRaw);

extern "C" {
    fn faasm_engine_catch(
        trampoline: EntryTrampoline,
        code: *const u8,
        callee_vmctx: *mut VMContext,
        caller_vmctx: *mut VMContext,
        values: *mut ValRaw,
        slot: *mut *mut c_void,
    ) -> libc::c_int;
}

thread_local! {
    static PENDING: RefCell<Option<Trap>> = const { RefCell::new(None) };
    /// Lowest address of this thread's stack (0 = not known yet).
    static STACK_LOW: Cell<usize> = const { Cell::new(0) };
}

/// Records why a libcall or host function is about to make compiled code
/// trap with `TrapKind::Deferred`.
pub fn set_pending_trap(trap: Trap) {
    PENDING.with(|p| *p.borrow_mut() = Some(trap));
}

fn take_pending_trap() -> Option<Trap> {
    PENDING.with(|p| p.borrow_mut().take())
}

/// Stack left below the wasm limit for host functions that wasm calls (and
/// for what they call), so that wasm running out of its budget can never
/// run the thread itself out of stack.
const HOST_STACK_MARGIN: usize = 256 << 10;

fn thread_stack_low() -> usize {
    let cached = STACK_LOW.get();
    if cached != 0 {
        return cached;
    }
    let mut low = 0usize;
    // SAFETY: pthread_getattr_np initialises `attr` for the calling thread;
    // we read the stack bounds and destroy it.
    unsafe {
        let mut attr: libc::pthread_attr_t = std::mem::zeroed();
        if libc::pthread_getattr_np(libc::pthread_self(), &mut attr) == 0 {
            let mut addr: *mut c_void = std::ptr::null_mut();
            let mut size: usize = 0;
            if libc::pthread_attr_getstack(&attr, &mut addr, &mut size) == 0 {
                low = addr as usize;
            }
            libc::pthread_attr_destroy(&mut attr);
        }
    }
    STACK_LOW.set(low);
    low
}

/// Calls `code` through `trampoline` with `values` as the ValRaw array.
///
/// # Safety
/// `trampoline` must be the entry trampoline for the callee's type, `code`
/// and `callee` its function and vmctx (both alive for the call), `values`
/// must hold max(params, results) slots with the params filled in, and
/// `limits` must be the `VMLimits` the callee's instance reads.
pub(crate) unsafe fn call(
    limits: *mut VMLimits,
    max_wasm_stack: usize,
    trampoline: EntryTrampoline,
    code: *const u8,
    callee: *mut VMContext,
    caller: *mut VMContext,
    values: *mut ValRaw,
) -> Result<(), Error> {
    signals::install()?;
    signals::ensure_alt_stack()?;

    // The outermost entry sets the stack budget; nested host->wasm calls keep it.
    // SAFETY: the caller guarantees `limits` is valid; nothing else writes
    // it while this thread is inside the store.
    let outermost = unsafe { (*limits).stack_limit == 0 };
    if outermost {
        let here = &max_wasm_stack as *const usize as usize;
        let low = thread_stack_low();
        let budget_end = here.saturating_sub(max_wasm_stack);
        let floor = if low == 0 { 0 } else { low.saturating_add(HOST_STACK_MARGIN) };
        // SAFETY: as above.
        unsafe { (*limits).stack_limit = budget_end.max(floor).max(1) };
    }
    take_pending_trap();

    // SAFETY: JMP_BUF's slot lives as long as the thread; the C helper
    // restores it before returning. The caller guarantees the rest.
    let ok = signals::JMP_BUF.with(|slot| unsafe { faasm_engine_catch(trampoline, code, callee, caller, values, slot.as_ptr()) });

    if outermost {
        // SAFETY: as above.
        unsafe { (*limits).stack_limit = 0 };
    }
    if ok != 0 {
        return Ok(());
    }
    let frames = backtrace::frames();
    let kind = signals::LAST_TRAP.replace(None).unwrap_or(TrapKind::Deferred);
    let mut trap = if kind == TrapKind::Deferred {
        take_pending_trap().unwrap_or_else(|| Trap::new(TrapKind::Deferred))
    } else {
        Trap::new(kind)
    };
    // A trap coming back through a host function may already carry the
    // inner frames; ours are further out.
    trap.backtrace.extend(frames);
    Err(Error::Trap(trap))
}
