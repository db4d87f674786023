//! Bulk memory and table operations: `memory.fill/copy/init`, `data.drop`,
//! `table.copy/init`, `elem.drop`.
//!
//! All are libcalls (see `vm::libcalls`): they loop, check bounds as a whole
//! before writing anything, and need segment state only the runtime has. A
//! non-zero status means the runtime recorded a trap; we trap `Deferred`.

use super::environ::iconst_u32;
use super::func::FuncTranslator;
use crate::vm::libcalls::Libcall;
use crate::Error;
use wasmparser::Operator;

impl FuncTranslator<'_, '_> {
    pub(crate) fn translate_bulk(&mut self, op: &Operator) -> Result<bool, Error> {
        match *op {
            Operator::MemoryFill { mem } => {
                let (dst, val, len) = self.pop3()?;
                let m = iconst_u32(&mut self.b, mem);
                self.env.call_libcall_checked(&mut self.b, Libcall::MemoryFill, &[m, dst, val, len])?;
            }
            Operator::MemoryCopy { dst_mem, src_mem } => {
                let (dst, src, len) = self.pop3()?;
                let d = iconst_u32(&mut self.b, dst_mem);
                let s = iconst_u32(&mut self.b, src_mem);
                self.env.call_libcall_checked(&mut self.b, Libcall::MemoryCopy, &[d, s, dst, src, len])?;
            }
            Operator::MemoryInit { data_index, mem } => {
                let (dst, src, len) = self.pop3()?;
                let m = iconst_u32(&mut self.b, mem);
                let d = iconst_u32(&mut self.b, data_index);
                self.env.call_libcall_checked(&mut self.b, Libcall::MemoryInit, &[m, d, dst, src, len])?;
            }
            Operator::DataDrop { data_index } => {
                let d = iconst_u32(&mut self.b, data_index);
                self.env.call_libcall(&mut self.b, Libcall::DataDrop, &[d])?;
            }
            Operator::TableCopy { dst_table, src_table } => {
                let (dst, src, len) = self.pop3()?;
                let d = iconst_u32(&mut self.b, dst_table);
                let s = iconst_u32(&mut self.b, src_table);
                self.env.call_libcall_checked(&mut self.b, Libcall::TableCopy, &[d, s, dst, src, len])?;
            }
            Operator::TableInit { elem_index, table } => {
                let (dst, src, len) = self.pop3()?;
                let t = iconst_u32(&mut self.b, table);
                let e = iconst_u32(&mut self.b, elem_index);
                self.env.call_libcall_checked(&mut self.b, Libcall::TableInit, &[t, e, dst, src, len])?;
            }
            Operator::ElemDrop { elem_index } => {
                let e = iconst_u32(&mut self.b, elem_index);
                self.env.call_libcall(&mut self.b, Libcall::ElemDrop, &[e])?;
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}
