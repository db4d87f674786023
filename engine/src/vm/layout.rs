//! Memory layout of the structures compiled code reads and writes.
//!
//! All structs are `#[repr(C)]`; the `*_OFFSET` constants are what the
//! translator uses, derived with `offset_of!` so they cannot drift.
//!
//! ## Calling convention of compiled wasm functions
//! Every wasm function (defined or imported) is called with Cranelift's
//! `tail` convention (so that wasm tail calls can be real tail calls; the
//! host reaches wasm only through the trampolines, which use the host's
//! convention on their host side) and the signature `(callee_vmctx: i64, caller_vmctx: i64, wasm params...) -> wasm results`,
//! with Cranelift's `enable_multi_ret_implicit_sret` for results that do not
//! fit in registers. `callee_vmctx` is the `VMContext` of the instance that
//! owns the callee (for a host function: its `VMFuncRef::vmctx`, a host
//! context); `caller_vmctx` lets host functions find the caller's memory.
//!
//! ## References
//! A `funcref` value is a `*const VMFuncRef` (0 = null). An `externref` value
//! is an opaque non-zero 64-bit handle chosen by the host (0 = null).
//! Both are `i64` in Cranelift IR.
//!
//! ## Values crossing the host boundary
//! Trampolines pass parameters and results through arrays of [`ValRaw`]
//! (16 bytes each, little-endian, lower bytes first): i32 is stored
//! zero-extended in the low 4 bytes, f32/f64 as raw bits, references as
//! their 64-bit value.

use std::mem::offset_of;

/// One value in a host <-> wasm array call.
#[repr(C, align(16))]
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct ValRaw(pub u128);

impl ValRaw {
    pub fn i32(v: i32) -> ValRaw {
        ValRaw(v as u32 as u128)
    }
    pub fn i64(v: i64) -> ValRaw {
        ValRaw(v as u64 as u128)
    }
    pub fn f32_bits(v: u32) -> ValRaw {
        ValRaw(v as u128)
    }
    pub fn f64_bits(v: u64) -> ValRaw {
        ValRaw(v as u128)
    }
    pub fn v128(v: u128) -> ValRaw {
        ValRaw(v)
    }
    pub fn reference(v: u64) -> ValRaw {
        ValRaw(v as u128)
    }
    pub fn get_i32(self) -> i32 {
        self.0 as u32 as i32
    }
    pub fn get_u32(self) -> u32 {
        self.0 as u32
    }
    pub fn get_i64(self) -> i64 {
        self.0 as u64 as i64
    }
    pub fn get_u64(self) -> u64 {
        self.0 as u64
    }
    pub fn get_f32_bits(self) -> u32 {
        self.0 as u32
    }
    pub fn get_f64_bits(self) -> u64 {
        self.0 as u64
    }
    pub fn get_v128(self) -> u128 {
        self.0
    }
    pub fn get_ref(self) -> u64 {
        self.0 as u64
    }
}

/// Per-thread execution limits shared by every instance of a store.
#[repr(C)]
#[derive(Debug)]
pub struct VMLimits {
    /// Lowest stack pointer compiled code may use; the prologue of every
    /// wasm function compares against it (Cranelift `stack_limit`) and traps
    /// with `STACK_OVERFLOW` below it.
    pub stack_limit: usize,
    /// The store's interrupt flag (`run::interrupt`): compiled code loads
    /// this pointer once per function and the `u32` behind it at every
    /// loop header and at the entry of functions that call, trapping
    /// `Interrupt` when non-zero.
    pub interrupt: *const std::sync::atomic::AtomicU32,
}
pub const LIMITS_STACK_LIMIT_OFFSET: i32 = offset_of!(VMLimits, stack_limit) as i32;
pub const LIMITS_INTERRUPT_OFFSET: i32 = offset_of!(VMLimits, interrupt) as i32;

impl Default for VMLimits {
    /// No stack budget yet; an interrupt flag that is never set.
    fn default() -> VMLimits {
        VMLimits { stack_limit: 0, interrupt: &crate::run::interrupt::NEVER_INTERRUPTED }
    }
}

/// A linear memory as compiled code sees it. The base never moves: memories
/// are reserved at their full 32-bit reach plus guard (see `instantiate`), so
/// the translator may load `base` once per function. `length` changes on
/// `memory.grow` and must be reloaded.
#[repr(C)]
#[derive(Debug)]
pub struct VMMemory {
    pub base: *mut u8,
    /// Current size in bytes.
    pub length: usize,
}
pub const MEMORY_BASE_OFFSET: i32 = offset_of!(VMMemory, base) as i32;
pub const MEMORY_LENGTH_OFFSET: i32 = offset_of!(VMMemory, length) as i32;

/// Bytes reserved for every 32-bit memory: any `u32` address plus any `u32`
/// offset plus a 16-byte access stays inside, so loads and stores need no
/// bounds check — an out-of-bounds access hits an inaccessible page.
pub const MEMORY_RESERVATION: usize = (8 << 30) + (64 << 10);
pub const WASM_PAGE_SIZE: usize = 65536;

/// A table as compiled code sees it: `length` pointer-sized elements at
/// `base` (funcref: `*const VMFuncRef`, externref: handle). Both fields may
/// change on `table.grow`, so compiled code reloads them on each access —
/// except for a table whose type has `max == min`: it can never change
/// size, so the runtime must never move its elements, and compiled code
/// loads `base` once per function and bounds-checks against the constant.
#[repr(C)]
#[derive(Debug)]
pub struct VMTable {
    pub base: *mut usize,
    pub length: u32,
}
pub const TABLE_BASE_OFFSET: i32 = offset_of!(VMTable, base) as i32;
pub const TABLE_LENGTH_OFFSET: i32 = offset_of!(VMTable, length) as i32;

/// Storage of one global: 16 bytes, value in the low bytes as in [`ValRaw`].
#[repr(C, align(16))]
#[derive(Debug, Default)]
pub struct VMGlobal {
    pub value: ValRaw,
}

/// What a `funcref` points to, and how every call is made.
#[repr(C)]
#[derive(Debug)]
pub struct VMFuncRef {
    /// Entry of the function with the wasm calling convention above.
    pub code: *const u8,
    /// Passed as `callee_vmctx`.
    pub vmctx: *mut VMContext,
    /// Engine-wide signature id (see `Engine`'s signature registry); equal
    /// ids mean equal function types, so `call_indirect` compares one word.
    pub type_id: u32,
}
pub const FUNCREF_CODE_OFFSET: i32 = offset_of!(VMFuncRef, code) as i32;
pub const FUNCREF_VMCTX_OFFSET: i32 = offset_of!(VMFuncRef, vmctx) as i32;
pub const FUNCREF_TYPE_ID_OFFSET: i32 = offset_of!(VMFuncRef, type_id) as i32;
pub const FUNCREF_SIZE: i32 = std::mem::size_of::<VMFuncRef>() as i32;

/// The fixed header of every per-instance context. Compiled code holds a
/// pointer to it in its first parameter. Right after the header, at offsets
/// that depend on the module and are computed by [`VMOffsets`], lies the
/// module's inline area: what compiled code touches most (memory bases,
/// global cells) is one load from `vmctx`.
///
/// Arrays are indexed by the module's own index space (imports first) and
/// owned by the runtime; imported entities are pointers into their owners,
/// so sharing needs no copying.
#[repr(C)]
#[derive(Debug)]
pub struct VMContext {
    /// Shared with every instance of the store.
    pub limits: *const VMLimits,
    /// One `VMFuncRef` per function, imported first; `ref.func i` yields
    /// `&funcs[i]`, and a direct call to `i` goes through it.
    pub funcs: *const VMFuncRef,
    /// Engine-wide signature id for each entry of the module's type section.
    pub type_ids: *const u32,
    /// Runtime functions, indexed by [`crate::vm::libcalls::Libcall`].
    pub libcalls: *const usize,
    /// Opaque pointer for the runtime's own use (its instance record).
    pub runtime: *mut u8,
}
pub const VMCTX_LIMITS_OFFSET: i32 = offset_of!(VMContext, limits) as i32;
pub const VMCTX_FUNCS_OFFSET: i32 = offset_of!(VMContext, funcs) as i32;
pub const VMCTX_TYPE_IDS_OFFSET: i32 = offset_of!(VMContext, type_ids) as i32;
pub const VMCTX_LIBCALLS_OFFSET: i32 = offset_of!(VMContext, libcalls) as i32;
pub const VMCTX_RUNTIME_OFFSET: i32 = offset_of!(VMContext, runtime) as i32;

/// Where the inline area of one module's `VMContext` puts things; a pure
/// function of the module's entity counts, so the translator (which bakes
/// the offsets into code) and the instantiator (which fills them in) agree,
/// and cached code stays valid for every instance of the same module.
///
/// After the header, in order:
/// - `memory_bases[m]`: base address of memory `m` (a copy: bases never
///   move, see `MEMORY_RESERVATION`), imported or defined alike;
/// - `memory_ptrs[m]`: `*mut VMMemory` of memory `m` (for its length);
/// - `table_ptrs[t]`: `*mut VMTable` of table `t`;
/// - `imported_globals[g]`: `*mut VMGlobal` of imported global `g`;
/// - 16-byte aligned, `defined_globals[g]`: the [`VMGlobal`] storage of
///   each defined global itself (exporting one hands out a pointer to it).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct VMOffsets {
    num_memories: u32,
    num_tables: u32,
    num_imported_globals: u32,
    num_globals: u32,
    memory_bases: u32,
    memory_ptrs: u32,
    table_ptrs: u32,
    imported_globals: u32,
    defined_globals: u32,
    size: u32,
}

const PTR: u64 = std::mem::size_of::<usize>() as u64;
const GLOBAL_SIZE: u64 = std::mem::size_of::<VMGlobal>() as u64;

impl VMOffsets {
    /// Offsets for a module with these entity counts (imports included);
    /// `None` if the context would not fit in `i32` offsets.
    pub fn new(num_memories: u32, num_tables: u32, num_imported_globals: u32, num_globals: u32) -> Option<VMOffsets> {
        if num_imported_globals > num_globals {
            return None;
        }
        let header = std::mem::size_of::<VMContext>() as u64;
        let memory_bases = header;
        let memory_ptrs = memory_bases + PTR * num_memories as u64;
        let table_ptrs = memory_ptrs + PTR * num_memories as u64;
        let imported_globals = table_ptrs + PTR * num_tables as u64;
        let end = imported_globals + PTR * num_imported_globals as u64;
        let defined_globals = end.next_multiple_of(GLOBAL_SIZE);
        let size = defined_globals + GLOBAL_SIZE * (num_globals - num_imported_globals) as u64;
        if size > i32::MAX as u64 {
            return None;
        }
        Some(VMOffsets {
            num_memories,
            num_tables,
            num_imported_globals,
            num_globals,
            memory_bases: memory_bases as u32,
            memory_ptrs: memory_ptrs as u32,
            table_ptrs: table_ptrs as u32,
            imported_globals: imported_globals as u32,
            defined_globals: defined_globals as u32,
            size: size as u32,
        })
    }

    /// Total bytes of header plus inline area.
    pub fn size(&self) -> usize {
        self.size as usize
    }

    fn at(base: u32, index: u32, count: u32, stride: u64) -> Option<i32> {
        (index < count).then(|| (base as u64 + stride * index as u64) as i32)
    }

    /// Offset of the base address of memory `m`.
    pub fn memory_base(&self, m: u32) -> Option<i32> {
        Self::at(self.memory_bases, m, self.num_memories, PTR)
    }

    /// Offset of the `*mut VMMemory` of memory `m`.
    pub fn memory_ptr(&self, m: u32) -> Option<i32> {
        Self::at(self.memory_ptrs, m, self.num_memories, PTR)
    }

    /// Offset of the `*mut VMTable` of table `t`.
    pub fn table_ptr(&self, t: u32) -> Option<i32> {
        Self::at(self.table_ptrs, t, self.num_tables, PTR)
    }

    /// Where global `g` lives: behind a pointer at this offset (imported), or
    /// inline at this offset (defined).
    pub fn global(&self, g: u32) -> Option<GlobalSlot> {
        if g < self.num_imported_globals {
            Self::at(self.imported_globals, g, self.num_imported_globals, PTR).map(GlobalSlot::Imported)
        } else {
            let d = g - self.num_imported_globals;
            Self::at(self.defined_globals, d, self.num_globals - self.num_imported_globals, GLOBAL_SIZE).map(GlobalSlot::Defined)
        }
    }
}

/// See [`VMOffsets::global`].
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum GlobalSlot {
    /// `*mut VMGlobal` stored at this vmctx offset.
    Imported(i32),
    /// The `VMGlobal` itself at this vmctx offset.
    Defined(i32),
}

/// The [`VMOffsets`] of a module.
pub fn module_offsets(info: &crate::parse::types::ModuleInfo) -> Option<VMOffsets> {
    let count = |n: usize| u32::try_from(n).ok();
    VMOffsets::new(count(info.memories.len())?, count(info.tables.len())?, info.num_imported_globals, count(info.globals.len())?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_are_disjoint_and_aligned() {
        let o = VMOffsets::new(2, 1, 2, 5).unwrap();
        let header = std::mem::size_of::<VMContext>() as i32;
        assert_eq!(o.memory_base(0), Some(header));
        assert_eq!(o.memory_base(1), Some(header + 8));
        assert_eq!(o.memory_ptr(0), Some(header + 16));
        assert_eq!(o.table_ptr(0), Some(header + 32));
        assert_eq!(o.global(1), Some(GlobalSlot::Imported(header + 48)));
        let GlobalSlot::Defined(d0) = o.global(2).unwrap() else { panic!() };
        assert_eq!(d0 % 16, 0);
        assert!(d0 >= header + 56);
        assert_eq!(o.global(4), Some(GlobalSlot::Defined(d0 + 32)));
        assert_eq!(o.size(), (d0 + 48) as usize);
        assert_eq!(o.global(5), None);
        assert_eq!(o.memory_base(2), None);
        assert_eq!(o.table_ptr(1), None);
        assert!(VMOffsets::new(0, 0, 3, 2).is_none());
    }
}
