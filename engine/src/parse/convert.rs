//! Conversions from wasmparser's type representations to ours, rejecting
//! every type that exists only in proposals beyond WebAssembly 2.0 + SIMD
//! (typed function references, GC heap types, shared, 64-bit indices,
//! custom page sizes).

use super::types::{GlobalType, MemoryType, RefType, TableType, ValType};
use super::unsupported;
use crate::Error;
use wasmparser as wp;

pub(crate) fn ref_type(t: wp::RefType, offset: usize) -> Result<RefType, Error> {
    if t == wp::RefType::FUNCREF {
        Ok(RefType::FuncRef)
    } else if t == wp::RefType::EXTERNREF {
        Ok(RefType::ExternRef)
    } else {
        Err(unsupported(offset, &format!("reference type {t} is")))
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
    let min = u32::try_from(t.initial).map_err(|_| Error::Malformed {
        offset,
        message: "table limit out of range".into(),
    })?;
    let max = match t.maximum {
        Some(m) => Some(u32::try_from(m).map_err(|_| Error::Malformed {
            offset,
            message: "table limit out of range".into(),
        })?),
        None => None,
    };
    Ok(TableType { elem, min, max })
}

pub(crate) fn memory_type(t: &wp::MemoryType, offset: usize) -> Result<MemoryType, Error> {
    if t.memory64 {
        return Err(unsupported(
            offset,
            "64-bit memories (memory64 proposal) are",
        ));
    }
    if t.shared {
        return Err(unsupported(
            offset,
            "shared memories (threads proposal) are",
        ));
    }
    if t.page_size_log2.is_some() {
        return Err(unsupported(offset, "custom page sizes are"));
    }
    Ok(MemoryType {
        min: t.initial,
        max: t.maximum,
    })
}

pub(crate) fn global_type(t: &wp::GlobalType, offset: usize) -> Result<GlobalType, Error> {
    if t.shared {
        // The flag bit of shared-everything-threads, which the engine does
        // not implement: without it, a mutability byte other than 0 or 1
        // is malformed.
        return Err(Error::Malformed { offset, message: "malformed mutability".into() });
    }
    Ok(GlobalType {
        ty: val_type(t.content_type, offset)?,
        mutable: t.mutable,
    })
}
