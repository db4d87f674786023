//! Tables and references: `table.get/set/size/grow/fill`, `ref.null`,
//! `ref.is_null`, `ref.func`.
//!
//! `get`/`set` are inline with a bounds check against the current length
//! (tables can grow, so base and length are reloaded on each access); the
//! operations that allocate or loop go through libcalls.

use super::environ::iconst_u32;
use super::func::FuncTranslator;
use crate::vm::layout::*;
use crate::vm::libcalls::Libcall;
use crate::vm::trap::TrapKind;
use crate::Error;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, InstBuilder, Value};
use wasmparser::Operator;

impl FuncTranslator<'_, '_> {
    pub(crate) fn translate_table(&mut self, op: &Operator) -> Result<bool, Error> {
        match *op {
            Operator::TableGet { table } => {
                let index = self.pop()?;
                let v = self.table_element(table, index, TrapKind::TableOutOfBounds)?;
                self.push(v);
            }
            Operator::TableSet { table } => {
                let (index, value) = self.pop2()?;
                let addr = self.table_element_addr(table, index, TrapKind::TableOutOfBounds)?;
                let flags = self.env.table_flags();
                self.b.ins().store(flags, value, addr, 0);
            }
            Operator::TableSize { table } => {
                let t = self.env.table_ptr(&mut self.b, table)?;
                let flags = self.env.table_flags();
                let len = self.b.ins().load(types::I32, flags, t, TABLE_LENGTH_OFFSET);
                self.push(len);
            }
            Operator::TableGrow { table } => {
                let (init, delta) = self.pop2()?;
                let t = iconst_u32(&mut self.b, table);
                let old = self
                    .env
                    .call_libcall(&mut self.b, Libcall::TableGrow, &[t, init, delta])?
                    .ok_or_else(|| self.env.err("table.grow libcall has no result"))?;
                self.push(old);
            }
            Operator::TableFill { table } => {
                let (dst, val, len) = self.pop3()?;
                let t = iconst_u32(&mut self.b, table);
                self.env.call_libcall_checked(&mut self.b, Libcall::TableFill, &[t, dst, val, len])?;
            }
            Operator::RefNull { .. } => {
                let v = self.b.ins().iconst(types::I64, 0);
                self.push(v);
            }
            Operator::RefIsNull => {
                let r = self.pop()?;
                let is_null = self.b.ins().icmp_imm_s(IntCC::Equal, r, 0);
                let v = self.b.ins().uextend(types::I32, is_null);
                self.push(v);
            }
            Operator::RefFunc { function_index } => {
                let v = self.env.funcref_ptr(&mut self.b, function_index)?;
                self.push(v);
            }
            Operator::RefAsNonNull => {
                let r = self.peek()?;
                self.b.ins().trapz(r, TrapKind::NullReference.to_trap_code());
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Address of element `index` of `table`, trapping with `oob` if out of
    /// bounds.
    ///
    /// A table whose maximum equals its minimum (what LLVM emits for
    /// function-pointer tables) can never change size, and the runtime then
    /// never moves its elements: its length is a constant and its base is
    /// loaded once per function. Other tables reload both on each access.
    /// (An imported table declared with `max == min` is fixed too: limits
    /// subtyping forces the actual table to have exactly those limits.)
    fn table_element_addr(&mut self, table: u32, index: Value, oob: TrapKind) -> Result<Value, Error> {
        let ty = *self.env.info.tables.get(table as usize).ok_or_else(|| self.env.err(format!("table {table} out of range")))?;
        let (out, base) = if ty.max == Some(ty.min) {
            let out = self.b.ins().icmp_imm_u(IntCC::UnsignedGreaterThanOrEqual, index, ty.min as i64);
            (out, self.env.fixed_table_base(&mut self.b, table)?)
        } else {
            let t = self.env.table_ptr(&mut self.b, table)?;
            let flags = self.env.table_flags();
            let len = self.b.ins().load(types::I32, flags, t, TABLE_LENGTH_OFFSET);
            let out = self.b.ins().icmp(IntCC::UnsignedGreaterThanOrEqual, index, len);
            (out, self.b.ins().load(self.env.ptr, flags, t, TABLE_BASE_OFFSET))
        };
        self.b.ins().trapnz(out, oob.to_trap_code());
        let index = self.b.ins().uextend(self.env.ptr, index);
        let scale = self.env.ptr.bytes().trailing_zeros() as i64;
        let offset = self.b.ins().ishl_imm_u(index, scale);
        Ok(self.b.ins().iadd(base, offset))
    }

    /// Loads element `index` of `table` (a funcref pointer or an externref
    /// handle), trapping with `oob` if out of bounds.
    pub(crate) fn table_element(&mut self, table: u32, index: Value, oob: TrapKind) -> Result<Value, Error> {
        let addr = self.table_element_addr(table, index, oob)?;
        let flags = self.env.table_flags();
        Ok(self.b.ins().load(types::I64, flags, addr, 0))
    }
}
