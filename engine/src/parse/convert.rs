//! Conversions from wasmparser's type representations to ours, rejecting
//! every type of a proposal the engine does not implement (GC heap types,
//! shared, 64-bit indices, custom page sizes). Typed function references
//! (3.0) are represented.

use super::types::{GlobalType, HeapType, MemoryType, RefType, TableType, ValType};
use super::unsupported;
use crate::Error;
use wasmparser as wp;

pub(crate) fn ref_type(t: wp::RefType, offset: usize) -> Result<RefType, Error> {
    let heap = heap(t.heap_type(), offset)?;
    match ValType::reference(t.is_nullable(), heap) {
        ValType::FuncRef => Ok(RefType::FuncRef),
        ValType::ExternRef => Ok(RefType::ExternRef),
        ValType::Ref(r) => Ok(RefType::Typed(r)),
        // `reference` only makes reference types.
        other => Err(unsupported(offset, &format!("value type {other} as a reference type is"))),
    }
}

/// The heap types of typed function references: `func`, `extern` and a
/// type index. Whether the index names a type is the validator's call.
pub(crate) fn heap(h: wp::HeapType, offset: usize) -> Result<HeapType, Error> {
    match h {
        wp::HeapType::Abstract { shared: false, ty: wp::AbstractHeapType::Func } => Ok(HeapType::Func),
        wp::HeapType::Abstract { shared: false, ty: wp::AbstractHeapType::Extern } => Ok(HeapType::Extern),
        wp::HeapType::Concrete(wp::UnpackedIndex::Module(i)) => Ok(HeapType::Concrete(i)),
        other => Err(unsupported(offset, &format!("heap type {other:?} is"))),
    }
}

pub(crate) fn val_type(t: wp::ValType, offset: usize) -> Result<ValType, Error> {
    Ok(match t {
        wp::ValType::I32 => ValType::I32,
        wp::ValType::I64 => ValType::I64,
        wp::ValType::F32 => ValType::F32,
        wp::ValType::F64 => ValType::F64,
        wp::ValType::V128 => ValType::V128,
        wp::ValType::Ref(r) => ref_type(r, offset)?.into(),
    })
}

pub(crate) fn table_type(t: &wp::TableType, offset: usize) -> Result<TableType, Error> {
    if t.table64 {
        return Err(unsupported(offset, "64-bit tables (memory64 proposal) are"));
    }
    if t.shared {
        return Err(unsupported(offset, "shared tables are"));
    }
    let elem = ref_type(t.element_type, offset)?;
    // Without memory64 the reader decodes 32-bit limits, so these fit.
    let min = u32::try_from(t.initial).map_err(|_| Error::Malformed { offset, message: "table limit out of range".into() })?;
    let max = match t.maximum {
        Some(m) => Some(u32::try_from(m).map_err(|_| Error::Malformed { offset, message: "table limit out of range".into() })?),
        None => None,
    };
    Ok(TableType { elem, min, max })
}

pub(crate) fn memory_type(t: &wp::MemoryType, offset: usize) -> Result<MemoryType, Error> {
    if t.memory64 {
        return Err(unsupported(offset, "64-bit memories (memory64 proposal) are"));
    }
    if t.shared {
        return Err(unsupported(offset, "shared memories (threads proposal) are"));
    }
    if t.page_size_log2.is_some() {
        return Err(unsupported(offset, "custom page sizes are"));
    }
    Ok(MemoryType { min: t.initial, max: t.maximum })
}

pub(crate) fn global_type(t: &wp::GlobalType, offset: usize) -> Result<GlobalType, Error> {
    if t.shared {
        // The flag bit of shared-everything-threads, which the engine does
        // not implement: without it, a mutability byte other than 0 or 1
        // is malformed.
        return Err(Error::Malformed { offset, message: "malformed mutability".into() });
    }
    Ok(GlobalType { ty: val_type(t.content_type, offset)?, mutable: t.mutable })
}
