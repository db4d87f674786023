//! Reference and table instructions: `ref.null`, `ref.is_null`,
//! `ref.func`, 3.0's `ref.as_non_null`,
//! `table.get/set/size/grow/fill/copy/init`, `elem.drop`.

use crate::parse::ValType::{self, I32};
use crate::parse::{HeapType, TableType};
use crate::validate::func::FuncValidator;
use crate::Error;
use wasmparser::Operator as O;

impl<'a> FuncValidator<'a> {
    pub(in crate::validate) fn reference(&mut self, op: &O<'_>) -> Result<bool, Error> {
        match *op {
            O::RefNull { hty } => {
                let r = crate::parse::convert_heap_type(hty, self.offset)?;
                crate::validate::subtype::check_indices(r.into(), self.info.types.len()).map_err(|m| self.err(m))?;
                self.push(r.into());
            }
            O::RefIsNull => {
                self.pop_ref()?;
                self.push(I32);
            }
            O::RefAsNonNull => {
                let heap = self.pop_ref()?;
                self.push_opt(heap.map(|h| ValType::reference(false, h)));
            }
            O::RefFunc { function_index } => {
                self.func_type(function_index)?;
                if !self.ctx.is_declared(function_index) {
                    return Err(self.err(format!("undeclared function reference {function_index}")));
                }
                // 3.0: the reference is typed, `(ref $t)` for `$t` the
                // function's type (a subtype of funcref).
                let ty = self.info.functions.get(function_index as usize).copied().unwrap_or(0);
                self.push(ValType::reference(false, HeapType::Concrete(ty)));
            }
            O::TableGet { table } => {
                let t = self.table(table)?;
                self.pop_expect(I32)?;
                self.push(t.elem.into());
            }
            O::TableSet { table } => {
                let t = self.table(table)?;
                self.pop_expect(t.elem.into())?;
                self.pop_expect(I32)?;
            }
            O::TableSize { table } => {
                self.table(table)?;
                self.push(I32);
            }
            O::TableGrow { table } => {
                let t = self.table(table)?;
                self.pop_expect(I32)?;
                self.pop_expect(t.elem.into())?;
                self.push(I32);
            }
            O::TableFill { table } => {
                let t = self.table(table)?;
                self.pop_expect(I32)?;
                self.pop_expect(t.elem.into())?;
                self.pop_expect(I32)?;
            }
            O::TableCopy { dst_table, src_table } => {
                let dst = self.table(dst_table)?;
                let src = self.table(src_table)?;
                if !self.ctx.sub.matches(src.elem.into(), dst.elem.into()) {
                    return Err(self.err("type mismatch: table.copy between tables of different types"));
                }
                self.pop3_i32_tables()?;
            }
            O::TableInit { elem_index, table } => {
                let t = self.table(table)?;
                let seg = self.elem_type(elem_index)?;
                if !self.ctx.sub.matches(seg, t.elem.into()) {
                    return Err(self.err("type mismatch: table.init segment and table types differ"));
                }
                self.pop3_i32_tables()?;
            }
            O::ElemDrop { elem_index } => {
                self.elem_type(elem_index)?;
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn pop3_i32_tables(&mut self) -> Result<(), Error> {
        self.pop_expect(I32)?;
        self.pop_expect(I32)?;
        self.pop_expect(I32)?;
        Ok(())
    }

    fn table(&self, i: u32) -> Result<TableType, Error> {
        self.info.tables.get(i as usize).copied().ok_or_else(|| self.err(format!("unknown table {i}")))
    }

    fn elem_type(&self, i: u32) -> Result<ValType, Error> {
        self.info
            .elements
            .get(i as usize)
            .map(|e| ValType::from(e.ty))
            .ok_or_else(|| self.err(format!("unknown elem segment {i}")))
    }
}
