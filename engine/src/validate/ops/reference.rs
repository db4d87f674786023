//! Reference and table instructions: `ref.null`, `ref.is_null`,
//! `ref.func`, `table.get/set/size/grow/fill/copy/init`, `elem.drop`.

use crate::parse::ValType::{self, I32};
use crate::parse::{RefType, TableType};
use crate::validate::func::FuncValidator;
use crate::Error;
use wasmparser::Operator as O;

impl<'a> FuncValidator<'a> {
    pub(in crate::validate) fn reference(&mut self, op: &O<'_>) -> Result<bool, Error> {
        match *op {
            O::RefNull { hty } => {
                let r = crate::parse::convert_heap_type(hty, self.offset)?;
                self.push(r.into());
            }
            O::RefIsNull => {
                if let Some(t) = self.pop()? {
                    if !matches!(t, ValType::FuncRef | ValType::ExternRef) {
                        return Err(
                            self.err("type mismatch: ref.is_null needs a reference operand")
                        );
                    }
                }
                self.push(I32);
            }
            O::RefFunc { function_index } => {
                self.func_type(function_index)?;
                if !self.ctx.is_declared(function_index) {
                    return Err(self.err(format!("undeclared function reference {function_index}")));
                }
                self.push(ValType::FuncRef);
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
            O::TableCopy {
                dst_table,
                src_table,
            } => {
                let dst = self.table(dst_table)?;
                let src = self.table(src_table)?;
                if src.elem != dst.elem {
                    return Err(
                        self.err("type mismatch: table.copy between tables of different types")
                    );
                }
                self.pop3_i32_tables()?;
            }
            O::TableInit { elem_index, table } => {
                let t = self.table(table)?;
                let seg = self.elem_type(elem_index)?;
                if seg != t.elem {
                    return Err(
                        self.err("type mismatch: table.init segment and table types differ")
                    );
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
        self.info
            .tables
            .get(i as usize)
            .copied()
            .ok_or_else(|| self.err(format!("unknown table {i}")))
    }

    fn elem_type(&self, i: u32) -> Result<RefType, Error> {
        self.info
            .elements
            .get(i as usize)
            .map(|e| e.ty)
            .ok_or_else(|| self.err(format!("unknown elem segment {i}")))
    }
}
