//! Wasm backtraces from the frame-pointer chain.
//!
//! Compiled code keeps frame pointers (Cranelift `preserve_frame_pointers`),
//! so from the trapping frame's fp each frame stores the caller's fp at
//! `[fp]` and the return address at `[fp + word]`. We follow the chain for
//! as long as return addresses lie in registered compiled code; the first
//! one that does not is the C entry helper, where wasm frames end.

use crate::compile::code_memory::code_meta_at;
use crate::error::Frame;

/// At most this many frames are kept (deep recursion would otherwise make
/// a stack-overflow trap carry tens of thousands of frames).
pub const MAX_FRAMES: usize = 1000;

fn frame_at(pc: usize) -> Option<Option<Frame>> {
    let (meta, off) = code_meta_at(pc)?;
    Some(meta.func_at(off).map(|func_index| Frame {
        func_index,
        func_name: meta.func_name(func_index).map(str::to_owned),
        module_name: meta.module_name.clone(),
    }))
}

/// Frames of a trap at `pc` with frame pointer `fp`, innermost first.
pub(crate) fn capture(pc: usize, fp: usize) -> Vec<Frame> {
    let mut frames = Vec::new();
    if pc == 0 {
        return frames;
    }
    match frame_at(pc) {
        None => return frames,
        Some(Some(f)) => frames.push(f),
        Some(None) => {} // a trampoline
    }
    let word = std::mem::size_of::<usize>();
    let mut fp = fp;
    while frames.len() < MAX_FRAMES && fp != 0 && fp % word == 0 {
        // SAFETY: `fp` is the frame pointer of a compiled-code frame (the
        // trapping one, or a caller reached through the chain while return
        // addresses were in compiled code), and such frames store the
        // caller's fp and the return address in the two words at `fp`.
        let (next_fp, ret) = unsafe { (*(fp as *const usize), *((fp + word) as *const usize)) };
        // The return address points after the call; step back into it.
        match frame_at(ret.wrapping_sub(1)) {
            None => break,
            Some(Some(f)) => frames.push(f),
            Some(None) => {}
        }
        // Callers live at higher addresses; anything else is a broken chain.
        if next_fp <= fp {
            break;
        }
        fp = next_fp;
    }
    frames
}
