//! Wasm backtraces from the frame-pointer chain.
//!
//! Compiled code keeps frame pointers (Cranelift `preserve_frame_pointers`),
//! so from the trapping frame's fp each frame stores the caller's fp at
//! `[fp]` and the return address at `[fp + word]`. We follow the chain for
//! as long as return addresses lie in registered compiled code; the first
//! one that does not is the C entry helper, where wasm frames end.
//!
//! The walk has to happen inside the signal handler, before unwinding: once
//! control is back at the entry point, the abandoned wasm frames lie below
//! the stack pointer and are overwritten by the next call. So the handler
//! only collects raw PCs into a fixed per-thread buffer (no allocation, no
//! blocking lock), and [`frames`] turns them into named frames afterwards.

use crate::compile::code_memory::{code_meta_at, with_code_at};
use crate::error::Frame;
use std::cell::UnsafeCell;

/// At most this many frames are kept (deep recursion would otherwise make
/// a stack-overflow trap carry tens of thousands of frames).
pub const MAX_FRAMES: usize = 1000;

thread_local! {
    /// PCs collected by the signal handler for the latest trap: the
    /// faulting PC first, then one PC inside each calling instruction.
    static TRAP_PCS: UnsafeCell<[usize; MAX_FRAMES]> = const { UnsafeCell::new([0; MAX_FRAMES]) };
    static TRAP_PC_COUNT: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Collects the PCs of the wasm frames of a trap at `pc` with frame pointer
/// `fp` into this thread's buffer. Async-signal-safe.
///
/// # Safety
/// `pc` must lie in registered compiled code and `fp` be the frame pointer
/// of the interrupted context (a compiled-code frame, or its caller's).
pub(crate) unsafe fn record_in_handler(pc: usize, fp: usize) {
    let word = std::mem::size_of::<usize>();
    TRAP_PCS.with(|buf| {
        // SAFETY: the buffer is this thread's and nothing else on this
        // thread is using it while the handler runs (it is read only after
        // the handler has unwound to the entry point).
        let buf = unsafe { &mut *buf.get() };
        let mut n = 0;
        if let Some(slot) = buf.get_mut(0) {
            *slot = pc;
            n = 1;
        }
        let mut fp = fp;
        while n < MAX_FRAMES && fp != 0 && fp.is_multiple_of(word) {
            // SAFETY: `fp` is the frame pointer of a compiled-code frame (the
            // trapping one, or a caller reached through the chain while
            // return addresses were in compiled code); such frames store the
            // caller's fp and the return address in the two words at `fp`.
            let (next_fp, ret) = unsafe { (*(fp as *const usize), *((fp + word) as *const usize)) };
            // The return address points after the call; step back into it.
            let at = ret.wrapping_sub(1);
            if with_code_at(at, |_, _| ()).is_none() {
                break;
            }
            if let Some(slot) = buf.get_mut(n) {
                *slot = at;
                n += 1;
            }
            // Callers live at higher addresses; anything else is a broken chain.
            if next_fp <= fp {
                break;
            }
            fp = next_fp;
        }
        TRAP_PC_COUNT.set(n);
    });
}

/// The named frames of the latest trap recorded on this thread, innermost
/// first (trampolines are skipped).
pub(crate) fn frames() -> Vec<Frame> {
    let n = TRAP_PC_COUNT.replace(0);
    let pcs: Vec<usize> = TRAP_PCS.with(|buf| {
        // SAFETY: no handler runs on this thread now (we are outside wasm).
        let buf = unsafe { &*buf.get() };
        buf.get(..n).unwrap_or(&[]).to_vec()
    });
    pcs.into_iter()
        .filter_map(|pc| {
            let (meta, off) = code_meta_at(pc)?;
            let func_index = meta.func_at(off)?;
            let offsets = meta.wasm_offsets(off, func_index);
            Some(Frame {
                func_index,
                func_name: meta.func_name(func_index).map(str::to_owned),
                module_name: meta.module_name.clone(),
                module_offset: offsets.map(|o| o.0),
                func_offset: offsets.map(|o| o.1),
            })
        })
        .collect()
}
