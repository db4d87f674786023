//! What compilation produces: the contract between `compile` (and
//! `objcache`, which stores it) and `instantiate`/`run`, which execute it.

use crate::vm::trap::TrapKind;
use serde::{Deserialize, Serialize};

/// A byte range inside [`CompiledCode::code`].
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeRange {
    pub offset: u32,
    pub len: u32,
}

/// A faulting instruction that means a wasm trap.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrapSite {
    /// Offset of the instruction in [`CompiledCode::code`].
    pub offset: u32,
    pub kind: TrapKind,
}

/// Machine code for a whole module, independent of where it is mapped: all
/// calls between functions are PC-relative and already patched, and
/// everything else (memories, globals, tables, other instances, libcalls) is
/// reached through the `VMContext` argument. It can therefore be written to
/// disk and mapped executable anywhere without relocation.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompiledCode {
    #[serde(skip)]
    pub code: Vec<u8>,
    /// One range per *defined* function (index = func index - imported funcs).
    pub functions: Vec<CodeRange>,
    /// Host-to-wasm entry trampoline for each entry of the type section:
    /// `extern "C" fn(code: *const u8, callee_vmctx, caller_vmctx, values: *mut ValRaw)`.
    /// Loads the params from `values`, calls `code` with the wasm calling
    /// convention, and stores the results back into `values` from index 0.
    pub entry_trampolines: Vec<CodeRange>,
    /// Wasm-to-host trampoline for each entry of the type section, with the
    /// wasm calling convention. Its `callee_vmctx` is a host function context;
    /// it spills the params to a `ValRaw` array (sized for max(params, results)),
    /// calls `Libcall::HostCall` (found through `caller_vmctx`), traps with
    /// `TrapKind::Deferred` on a non-zero status and returns the results.
    pub host_trampolines: Vec<CodeRange>,
    /// Every trap site, sorted by offset.
    pub traps: Vec<TrapSite>,
    /// (code offset, wasm module offset) of every trap site and call
    /// instruction (see `address_map`), sorted by code offset.
    #[serde(skip)]
    pub addresses: Vec<(u32, u32)>,
    /// Wasm module offset of each defined function's body, for frames'
    /// function offsets (the module's body ranges are not kept in a cache
    /// file).
    pub body_starts: Vec<u32>,
}
