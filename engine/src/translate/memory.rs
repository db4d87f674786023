//! Linear-memory loads and stores, `memory.size` and `memory.grow`.
//!
//! No bounds checks: every 32-bit memory is reserved at `MEMORY_RESERVATION`
//! bytes (any `u32` index + any `u32` offset + a 16-byte access stays inside,
//! the inaccessible rest faults), so an access is
//! `base + zext(index) + offset` with trap code `HEAP_OUT_OF_BOUNDS` and the
//! fault becomes the wasm trap.

use super::environ::iconst_u32;
use super::func::FuncTranslator;
use crate::vm::layout::*;
use crate::vm::libcalls::Libcall;
use crate::Error;
use cranelift_codegen::ir::{types, InstBuilder, Opcode, Type, Value};
use wasmparser::{MemArg, Operator};

impl FuncTranslator<'_, '_> {
    pub(crate) fn translate_memory(&mut self, op: &Operator) -> Result<bool, Error> {
        use types::*;
        match *op {
            Operator::I32Load { memarg } => self.load(memarg, Opcode::Load, I32)?,
            Operator::I64Load { memarg } => self.load(memarg, Opcode::Load, I64)?,
            Operator::F32Load { memarg } => self.load(memarg, Opcode::Load, F32)?,
            Operator::F64Load { memarg } => self.load(memarg, Opcode::Load, F64)?,
            Operator::I32Load8S { memarg } => self.load(memarg, Opcode::Sload8, I32)?,
            Operator::I32Load8U { memarg } => self.load(memarg, Opcode::Uload8, I32)?,
            Operator::I32Load16S { memarg } => self.load(memarg, Opcode::Sload16, I32)?,
            Operator::I32Load16U { memarg } => self.load(memarg, Opcode::Uload16, I32)?,
            Operator::I64Load8S { memarg } => self.load(memarg, Opcode::Sload8, I64)?,
            Operator::I64Load8U { memarg } => self.load(memarg, Opcode::Uload8, I64)?,
            Operator::I64Load16S { memarg } => self.load(memarg, Opcode::Sload16, I64)?,
            Operator::I64Load16U { memarg } => self.load(memarg, Opcode::Uload16, I64)?,
            Operator::I64Load32S { memarg } => self.load(memarg, Opcode::Sload32, I64)?,
            Operator::I64Load32U { memarg } => self.load(memarg, Opcode::Uload32, I64)?,
            Operator::I32Store { memarg }
            | Operator::I64Store { memarg }
            | Operator::F32Store { memarg }
            | Operator::F64Store { memarg } => self.store(memarg, Opcode::Store)?,
            Operator::I32Store8 { memarg } | Operator::I64Store8 { memarg } => self.store(memarg, Opcode::Istore8)?,
            Operator::I32Store16 { memarg } | Operator::I64Store16 { memarg } => self.store(memarg, Opcode::Istore16)?,
            Operator::I64Store32 { memarg } => self.store(memarg, Opcode::Istore32)?,
            Operator::MemorySize { mem } => {
                let m = self.env.memory_ptr(&mut self.b, mem)?;
                // The length changes on grow: a plain (non-readonly) load.
                let len =
                    self.b.ins().load(self.env.ptr, cranelift_codegen::ir::MemFlagsData::trusted(), m, MEMORY_LENGTH_OFFSET);
                let pages = self.b.ins().ushr_imm_u(len, WASM_PAGE_SIZE.trailing_zeros() as i64);
                let pages = self.b.ins().ireduce(I32, pages);
                self.push(pages);
            }
            Operator::MemoryGrow { mem } => {
                let delta = self.pop()?;
                let m = iconst_u32(&mut self.b, mem);
                let old = self
                    .env
                    .call_libcall(&mut self.b, Libcall::MemoryGrow, &[m, delta])?
                    .ok_or_else(|| self.env.err("memory.grow libcall has no result"))?;
                self.push(old);
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Pops the index operand and returns `(address, immediate offset)` for an
    /// access described by `memarg`.
    pub(crate) fn heap_addr(&mut self, memarg: &MemArg) -> Result<(Value, i32), Error> {
        let index = self.pop()?;
        let base = self.env.memory_base(&mut self.b, memarg.memory)?;
        if memarg.offset > u32::MAX as u64 {
            return Err(self.env.err("memory offset beyond 32 bits"));
        }
        let index = self.b.ins().uextend(self.env.ptr, index);
        let addr = self.b.ins().iadd(base, index);
        // Offsets up to 4 GiB - 1: those beyond the i32 immediate range are
        // added explicitly.
        match i32::try_from(memarg.offset) {
            Ok(off) => Ok((addr, off)),
            Err(_) => Ok((self.b.ins().iadd_imm_s(addr, memarg.offset as i64), 0)),
        }
    }

    fn load(&mut self, memarg: MemArg, opcode: Opcode, ty: Type) -> Result<(), Error> {
        let (addr, off) = self.heap_addr(&memarg)?;
        let flags = self.env.heap_flags();
        let ins = self.b.ins();
        let v = match opcode {
            Opcode::Load => ins.load(ty, flags, addr, off),
            Opcode::Sload8 => ins.sload8(ty, flags, addr, off),
            Opcode::Uload8 => ins.uload8(ty, flags, addr, off),
            Opcode::Sload16 => ins.sload16(ty, flags, addr, off),
            Opcode::Uload16 => ins.uload16(ty, flags, addr, off),
            Opcode::Sload32 => ins.sload32(flags, addr, off),
            Opcode::Uload32 => ins.uload32(flags, addr, off),
            _ => return Err(self.env.err(format!("not a load: {opcode}"))),
        };
        self.push(v);
        Ok(())
    }

    fn store(&mut self, memarg: MemArg, opcode: Opcode) -> Result<(), Error> {
        let value = self.pop()?;
        let (addr, off) = self.heap_addr(&memarg)?;
        let flags = self.env.heap_flags();
        let ins = self.b.ins();
        match opcode {
            Opcode::Store => ins.store(flags, value, addr, off),
            Opcode::Istore8 => ins.istore8(flags, value, addr, off),
            Opcode::Istore16 => ins.istore16(flags, value, addr, off),
            Opcode::Istore32 => ins.istore32(flags, value, addr, off),
            _ => return Err(self.env.err(format!("not a store: {opcode}"))),
        };
        Ok(())
    }
}
