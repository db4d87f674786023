//! The runtime functions compiled code calls (see `vm::libcalls` for the
//! contract). Bounds rules follow the spec: a bulk operation checks its
//! whole range first and then either does everything or traps without
//! writing anything; a zero-length operation at exactly the end is fine.
//!
//! Failures record the trap with `entry::set_pending_trap` and return a
//! non-zero status; compiled code then traps with `TrapKind::Deferred`.
//! Nothing here may panic (a panic cannot unwind through compiled code).

use crate::error::Trap;
use crate::instantiate::func::{invoke_host, Caller, HostFuncData};
use crate::instantiate::instance::InstanceData;
use crate::instantiate::memory::LinearMemory;
use crate::instantiate::table::TableData;
use crate::run::entry::set_pending_trap;
use crate::vm::layout::{VMContext, ValRaw};
use crate::vm::libcalls::Libcall;
use crate::vm::trap::TrapKind;
use std::sync::OnceLock;

const OK: u32 = 0;
const FAILED: u32 = 1;

fn trap(kind: TrapKind) -> u32 {
    set_pending_trap(Trap::new(kind));
    FAILED
}

// SAFETY (for every libcall below): these functions are reached only
// through the libcall table (`libcall_table`), and only compiled code of
// this engine calls through it, always passing its own `vmctx`: the
// VMContext of a live instance whose `runtime` field points to that
// instance's `InstanceData`, whose `memory_objs`/`table_objs` point to live
// memories/tables owned by the same store. While a libcall runs, the
// compiled code that called it is suspended and the `&mut Store` entry
// point that started the call chain does not touch the store, so the
// references made here are the only ones in use. None of them outlives
// the libcall.

/// The instance that called a libcall.
///
/// # Safety
/// `vmctx` must be the VMContext of a live instance (what compiled code
/// passes), and the returned reference must not outlive the libcall.
unsafe fn instance<'a>(vmctx: *mut VMContext) -> &'a mut InstanceData {
    // SAFETY: per the contract above `vmctx` is valid and its `runtime`
    // field is the instance's `InstanceData`.
    unsafe { &mut *((*vmctx).runtime as *mut InstanceData) }
}

/// Memory `index` of `inst`, or `None` if there is no such memory.
///
/// # Safety
/// As for [`instance`]: `inst` belongs to the running libcall's caller and
/// the reference must not outlive the libcall.
unsafe fn memory<'a>(inst: &InstanceData, index: u32) -> Option<&'a mut LinearMemory> {
    // SAFETY: entries of `memory_objs` point to memories owned by the
    // store, alive as long as the instance; `get` bounds-checks `index`.
    inst.memory_objs.get(index as usize).map(|&m| unsafe { &mut *m })
}

/// Table `index` of `inst`, or `None` if there is no such table.
///
/// # Safety
/// As for [`memory`].
unsafe fn table<'a>(inst: &InstanceData, index: u32) -> Option<&'a mut TableData> {
    // SAFETY: as in [`memory`], for `table_objs`.
    inst.table_objs.get(index as usize).map(|&t| unsafe { &mut *t })
}

/// `start..start+len` if it lies within `size`.
fn range(start: u32, len: u32, size: usize) -> Option<std::ops::Range<usize>> {
    let end = start as usize + len as usize;
    (end <= size).then_some(start as usize..end)
}

/// # Safety
/// Called only by compiled code with its own `vmctx` (see the note above `instance`).
unsafe extern "C" fn memory_grow(vmctx: *mut VMContext, mem: u32, delta: u32) -> u32 {
    // SAFETY: `vmctx` is the calling instance's (see the note above `instance`).
    let inst = unsafe { instance(vmctx) };
    // SAFETY: as above; the reference is dropped before we return.
    match unsafe { memory(inst, mem) }.and_then(|m| m.grow(u64::from(delta))) {
        Some(old) => old as u32,
        None => u32::MAX,
    }
}

/// # Safety
/// Called only by compiled code with its own `vmctx` (see the note above `instance`).
unsafe extern "C" fn memory_fill(vmctx: *mut VMContext, mem: u32, dst: u32, val: u32, len: u32) -> u32 {
    // SAFETY: `vmctx` is the calling instance's (see the note above `instance`).
    let inst = unsafe { instance(vmctx) };
    // SAFETY: as above; the reference is dropped before we return.
    let Some(m) = (unsafe { memory(inst, mem) }) else { return trap(TrapKind::MemoryOutOfBounds) };
    let data = m.data_mut();
    match range(dst, len, data.len()).and_then(|r| data.get_mut(r)) {
        Some(d) => {
            d.fill(val as u8);
            OK
        }
        None => trap(TrapKind::MemoryOutOfBounds),
    }
}

/// # Safety
/// Called only by compiled code with its own `vmctx` (see the note above `instance`).
unsafe extern "C" fn memory_copy(vmctx: *mut VMContext, dst_mem: u32, src_mem: u32, dst: u32, src: u32, len: u32) -> u32 {
    // SAFETY: `vmctx` is the calling instance's (see the note above `instance`).
    let inst = unsafe { instance(vmctx) };
    let (Some(d), Some(s)) = (inst.memories.get(dst_mem as usize), inst.memories.get(src_mem as usize)) else {
        return trap(TrapKind::MemoryOutOfBounds);
    };
    // SAFETY: both point to live VMMemory records of the store.
    let (d, s) = unsafe { (&**d, &**s) };
    let (Some(dr), Some(sr)) = (range(dst, len, d.length), range(src, len, s.length)) else {
        return trap(TrapKind::MemoryOutOfBounds);
    };
    // SAFETY: both ranges were checked against their memory's accessible
    // length; `copy` has memmove semantics, so overlap (same memory) is fine.
    unsafe { std::ptr::copy(s.base.add(sr.start), d.base.add(dr.start), dr.len()) };
    OK
}

/// # Safety
/// Called only by compiled code with its own `vmctx` (see the note above `instance`).
unsafe extern "C" fn memory_init(vmctx: *mut VMContext, mem: u32, data: u32, dst: u32, src: u32, len: u32) -> u32 {
    // SAFETY: `vmctx` is the calling instance's (see the note above `instance`).
    let inst = unsafe { instance(vmctx) };
    // SAFETY: as above; the reference is dropped before we return.
    let Some(m) = (unsafe { memory(inst, mem) }) else { return trap(TrapKind::MemoryOutOfBounds) };
    let bytes = inst.data_bytes(data).unwrap_or(&[]);
    let Some(src) = range(src, len, bytes.len()).and_then(|r| bytes.get(r)) else {
        return trap(TrapKind::MemoryOutOfBounds);
    };
    let mem = m.data_mut();
    match range(dst, len, mem.len()).and_then(|r| mem.get_mut(r)) {
        Some(d) => {
            d.copy_from_slice(src);
            OK
        }
        None => trap(TrapKind::MemoryOutOfBounds),
    }
}

/// # Safety
/// Called only by compiled code with its own `vmctx` (see the note above `instance`).
unsafe extern "C" fn data_drop(vmctx: *mut VMContext, data: u32) {
    // SAFETY: `vmctx` is the calling instance's (see the note above `instance`).
    let inst = unsafe { instance(vmctx) };
    if let Some(d) = inst.data_dropped.get_mut(data as usize) {
        *d = true;
    }
}

/// # Safety
/// Called only by compiled code with its own `vmctx` (see the note above `instance`).
unsafe extern "C" fn table_grow(vmctx: *mut VMContext, table_index: u32, init: u64, delta: u32) -> u32 {
    // SAFETY: `vmctx` is the calling instance's (see the note above `instance`).
    let inst = unsafe { instance(vmctx) };
    // SAFETY: as above; the reference is dropped before we return.
    unsafe { table(inst, table_index) }.and_then(|t| t.grow(delta, init as usize)).unwrap_or(u32::MAX)
}

/// # Safety
/// Called only by compiled code with its own `vmctx` (see the note above `instance`).
unsafe extern "C" fn table_fill(vmctx: *mut VMContext, table_index: u32, dst: u32, val: u64, len: u32) -> u32 {
    // SAFETY: `vmctx` is the calling instance's (see the note above `instance`).
    let inst = unsafe { instance(vmctx) };
    // SAFETY: as above; the reference is dropped before we return.
    let Some(t) = (unsafe { table(inst, table_index) }) else { return trap(TrapKind::TableOutOfBounds) };
    let n = t.elements.len();
    match range(dst, len, n).and_then(|r| t.elements.get_mut(r)) {
        Some(d) => {
            d.fill(val as usize);
            OK
        }
        None => trap(TrapKind::TableOutOfBounds),
    }
}

/// # Safety
/// Called only by compiled code with its own `vmctx` (see the note above `instance`).
unsafe extern "C" fn table_copy(vmctx: *mut VMContext, dst_table: u32, src_table: u32, dst: u32, src: u32, len: u32) -> u32 {
    // SAFETY: `vmctx` is the calling instance's (see the note above `instance`).
    let inst = unsafe { instance(vmctx) };
    let (Some(&d), Some(&s)) = (inst.table_objs.get(dst_table as usize), inst.table_objs.get(src_table as usize)) else {
        return trap(TrapKind::TableOutOfBounds);
    };
    if d == s {
        // SAFETY: a live table of the store, no other reference during the call.
        let t = unsafe { &mut *d };
        let n = t.elements.len();
        let (Some(dr), Some(sr)) = (range(dst, len, n), range(src, len, n)) else {
            return trap(TrapKind::TableOutOfBounds);
        };
        t.elements.copy_within(sr, dr.start);
    } else {
        // SAFETY: two distinct live tables, so the two references do not alias.
        let (dt, st) = unsafe { (&mut *d, &*s) };
        let (Some(dr), Some(sr)) = (range(dst, len, dt.elements.len()), range(src, len, st.elements.len())) else {
            return trap(TrapKind::TableOutOfBounds);
        };
        match (dt.elements.get_mut(dr), st.elements.get(sr)) {
            (Some(a), Some(b)) => a.copy_from_slice(b),
            _ => return trap(TrapKind::TableOutOfBounds),
        }
    }
    OK
}

/// # Safety
/// Called only by compiled code with its own `vmctx` (see the note above `instance`).
unsafe extern "C" fn table_init(vmctx: *mut VMContext, table_index: u32, elem: u32, dst: u32, src: u32, len: u32) -> u32 {
    // SAFETY: `vmctx` is the calling instance's (see the note above `instance`).
    let inst = unsafe { instance(vmctx) };
    // SAFETY: as above; the reference is dropped before we return.
    let Some(t) = (unsafe { table(inst, table_index) }) else { return trap(TrapKind::TableOutOfBounds) };
    let items: &[usize] = inst.elements.get(elem as usize).and_then(|e| e.as_deref()).unwrap_or(&[]);
    let Some(src) = range(src, len, items.len()).and_then(|r| items.get(r)) else {
        return trap(TrapKind::TableOutOfBounds);
    };
    let n = t.elements.len();
    match range(dst, len, n).and_then(|r| t.elements.get_mut(r)) {
        Some(d) => {
            d.copy_from_slice(src);
            OK
        }
        None => trap(TrapKind::TableOutOfBounds),
    }
}

/// # Safety
/// Called only by compiled code with its own `vmctx` (see the note above `instance`).
unsafe extern "C" fn elem_drop(vmctx: *mut VMContext, elem: u32) {
    // SAFETY: `vmctx` is the calling instance's (see the note above `instance`).
    let inst = unsafe { instance(vmctx) };
    if let Some(e) = inst.elements.get_mut(elem as usize) {
        *e = None;
    }
}

/// Calls a host function on behalf of compiled code (through the
/// wasm-to-host trampoline).
///
/// # Safety
/// Called only by the wasm-to-host trampoline, with the arguments described
/// in the SAFETY comment below.
unsafe extern "C" fn host_call(host_ctx: *mut VMContext, caller_vmctx: *mut VMContext, values: *mut ValRaw, len: u32) -> u32 {
    // SAFETY: `host_ctx` is the `vmctx` of a VMFuncRef the runtime built for
    // a host function, i.e. a `HostFuncData` owned by the caller's store;
    // `caller_vmctx` is the calling instance's context; `values` has `len`
    // slots on the trampoline's frame. The store pointer was refreshed by
    // the `&mut Store` entry point that started this call chain, and that
    // entry point does not touch the store until compiled code returns.
    let (func, ty, store, caller_index, values) = unsafe {
        let data = &*(host_ctx as *const HostFuncData);
        let inst = instance(caller_vmctx);
        let store = (*inst.store).outer;
        (data.func.clone(), data.ty.clone(), store, inst.index, std::slice::from_raw_parts_mut(values, len as usize))
    };
    if store.is_null() {
        set_pending_trap(Trap::host("host function called with no store entered"));
        return FAILED;
    }
    // SAFETY: see above; this is the only live reference to the store now.
    let store = unsafe { &mut *store };
    let mut caller = Caller { store, instance: Some(caller_index) };
    match invoke_host(&mut caller, &ty, &func, values) {
        Ok(()) => OK,
        Err(t) => {
            set_pending_trap(t);
            FAILED
        }
    }
}

static TABLE: OnceLock<[usize; Libcall::COUNT]> = OnceLock::new();

/// The libcall table every VMContext points to.
pub(crate) fn libcall_table() -> *const usize {
    TABLE
        .get_or_init(|| {
            let mut t = [0usize; Libcall::COUNT];
            t[Libcall::MemoryGrow as usize] = memory_grow as *const () as usize;
            t[Libcall::MemoryFill as usize] = memory_fill as *const () as usize;
            t[Libcall::MemoryCopy as usize] = memory_copy as *const () as usize;
            t[Libcall::MemoryInit as usize] = memory_init as *const () as usize;
            t[Libcall::DataDrop as usize] = data_drop as *const () as usize;
            t[Libcall::TableGrow as usize] = table_grow as *const () as usize;
            t[Libcall::TableFill as usize] = table_fill as *const () as usize;
            t[Libcall::TableCopy as usize] = table_copy as *const () as usize;
            t[Libcall::TableInit as usize] = table_init as *const () as usize;
            t[Libcall::ElemDrop as usize] = elem_drop as *const () as usize;
            t[Libcall::HostCall as usize] = host_call as *const () as usize;
            t
        })
        .as_ptr()
}
