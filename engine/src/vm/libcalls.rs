//! Runtime functions that compiled code calls.
//!
//! Compiled code finds them in the table at `VMContext::libcalls`, indexed by
//! [`Libcall`] (an indirect call through a loaded pointer keeps the compiled
//! code free of absolute addresses, so it can be cached and mapped anywhere).
//! All are `extern "C"` and take the calling instance's `*mut VMContext`
//! first. Those that can fail return a `u32` status, 0 for success; on
//! failure they have recorded the trap reason, and compiled code must then
//! trap with `TrapKind::Deferred` (`trapnz status`).
//!
//! Signatures (`vmctx` is `*mut VMContext`, indices are `u32` index spaces
//! of the calling module, addresses/lengths are wasm `i32` as `u32`,
//! references are `u64`):

/// Index into the libcall table. The doc of each variant is its signature.
#[repr(u32)]
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Libcall {
    /// `(vmctx, mem: u32, delta_pages: u32) -> u32`: old size in pages, or `u32::MAX` on failure.
    MemoryGrow,
    /// `(vmctx, mem: u32, dst: u32, val: u32, len: u32) -> u32 status`.
    MemoryFill,
    /// `(vmctx, dst_mem: u32, src_mem: u32, dst: u32, src: u32, len: u32) -> u32 status`.
    MemoryCopy,
    /// `(vmctx, mem: u32, data: u32, dst: u32, src: u32, len: u32) -> u32 status`.
    MemoryInit,
    /// `(vmctx, data: u32)`.
    DataDrop,
    /// `(vmctx, table: u32, init: u64, delta: u32) -> u32`: old size, or `u32::MAX` on failure.
    TableGrow,
    /// `(vmctx, table: u32, dst: u32, val: u64, len: u32) -> u32 status`.
    TableFill,
    /// `(vmctx, dst_table: u32, src_table: u32, dst: u32, src: u32, len: u32) -> u32 status`.
    TableCopy,
    /// `(vmctx, table: u32, elem: u32, dst: u32, src: u32, len: u32) -> u32 status`.
    TableInit,
    /// `(vmctx, elem: u32)`.
    ElemDrop,
    /// `(host_ctx, caller_vmctx, values: *mut ValRaw, len: u32) -> u32 status`.
    /// Called by the wasm-to-host trampoline with the `callee_vmctx` it was
    /// given (the host function's context) and the caller's vmctx, whose
    /// libcall table it loads this from.
    HostCall,
}

impl Libcall {
    pub const COUNT: usize = 11;
}
