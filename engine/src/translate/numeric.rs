//! Scalar numeric instructions: constants, integer and float arithmetic,
//! comparisons, conversions (trapping and saturating), sign extension and
//! reinterpretation.
//!
//! Cranelift's instructions already have wasm's semantics where it matters:
//! shift and rotate counts are taken modulo the width; `sdiv`/`udiv`/
//! `srem`/`urem` trap on zero (and `sdiv` on `MIN / -1`, while `srem` of it
//! is 0); `fmin`/`fmax` propagate NaN and order -0 below +0; `nearest`
//! rounds to even; `fcvt_to_sint/uint` trap `BAD_CONVERSION_TO_INTEGER` on
//! NaN and `INTEGER_OVERFLOW` out of range; the `_sat` forms saturate.

use super::func::FuncTranslator;
use crate::Error;
use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::immediates::{Ieee32, Ieee64};
use cranelift_codegen::ir::{types, InstBuilder, Type, Value};
use wasmparser::Operator;

impl FuncTranslator<'_, '_> {
    pub(crate) fn translate_numeric(&mut self, op: &Operator) -> Result<bool, Error> {
        use types::*;
        match *op {
            Operator::I32Const { value } => {
                let v = self.b.ins().iconst(I32, value as i64);
                self.push(v);
            }
            Operator::I64Const { value } => {
                let v = self.b.ins().iconst(I64, value);
                self.push(v);
            }
            Operator::F32Const { value } => {
                let v = self.b.ins().f32const(Ieee32::with_bits(value.bits()));
                self.push(v);
            }
            Operator::F64Const { value } => {
                let v = self.b.ins().f64const(Ieee64::with_bits(value.bits()));
                self.push(v);
            }

            // ---- integer comparisons ----
            Operator::I32Eqz | Operator::I64Eqz => {
                let a = self.pop()?;
                let c = self.b.ins().icmp_imm_s(IntCC::Equal, a, 0);
                self.push_bool(c);
            }
            Operator::I32Eq | Operator::I64Eq => self.icmp(IntCC::Equal)?,
            Operator::I32Ne | Operator::I64Ne => self.icmp(IntCC::NotEqual)?,
            Operator::I32LtS | Operator::I64LtS => self.icmp(IntCC::SignedLessThan)?,
            Operator::I32LtU | Operator::I64LtU => self.icmp(IntCC::UnsignedLessThan)?,
            Operator::I32GtS | Operator::I64GtS => self.icmp(IntCC::SignedGreaterThan)?,
            Operator::I32GtU | Operator::I64GtU => self.icmp(IntCC::UnsignedGreaterThan)?,
            Operator::I32LeS | Operator::I64LeS => self.icmp(IntCC::SignedLessThanOrEqual)?,
            Operator::I32LeU | Operator::I64LeU => self.icmp(IntCC::UnsignedLessThanOrEqual)?,
            Operator::I32GeS | Operator::I64GeS => self.icmp(IntCC::SignedGreaterThanOrEqual)?,
            Operator::I32GeU | Operator::I64GeU => self.icmp(IntCC::UnsignedGreaterThanOrEqual)?,

            // ---- float comparisons ----
            Operator::F32Eq | Operator::F64Eq => self.fcmp(FloatCC::Equal)?,
            Operator::F32Ne | Operator::F64Ne => self.fcmp(FloatCC::NotEqual)?,
            Operator::F32Lt | Operator::F64Lt => self.fcmp(FloatCC::LessThan)?,
            Operator::F32Gt | Operator::F64Gt => self.fcmp(FloatCC::GreaterThan)?,
            Operator::F32Le | Operator::F64Le => self.fcmp(FloatCC::LessThanOrEqual)?,
            Operator::F32Ge | Operator::F64Ge => self.fcmp(FloatCC::GreaterThanOrEqual)?,

            // ---- integer arithmetic ----
            Operator::I32Clz | Operator::I64Clz => self.unary(|b, a| b.ins().clz(a))?,
            Operator::I32Ctz | Operator::I64Ctz => self.unary(|b, a| b.ins().ctz(a))?,
            Operator::I32Popcnt | Operator::I64Popcnt => self.unary(|b, a| b.ins().popcnt(a))?,
            Operator::I32Add | Operator::I64Add => self.binary(|b, x, y| b.ins().iadd(x, y))?,
            Operator::I32Sub | Operator::I64Sub => self.binary(|b, x, y| b.ins().isub(x, y))?,
            Operator::I32Mul | Operator::I64Mul => self.binary(|b, x, y| b.ins().imul(x, y))?,
            Operator::I32DivS | Operator::I64DivS => self.binary(|b, x, y| b.ins().sdiv(x, y))?,
            Operator::I32DivU | Operator::I64DivU => self.binary(|b, x, y| b.ins().udiv(x, y))?,
            Operator::I32RemS | Operator::I64RemS => self.binary(|b, x, y| b.ins().srem(x, y))?,
            Operator::I32RemU | Operator::I64RemU => self.binary(|b, x, y| b.ins().urem(x, y))?,
            Operator::I32And | Operator::I64And => self.binary(|b, x, y| b.ins().band(x, y))?,
            Operator::I32Or | Operator::I64Or => self.binary(|b, x, y| b.ins().bor(x, y))?,
            Operator::I32Xor | Operator::I64Xor => self.binary(|b, x, y| b.ins().bxor(x, y))?,
            Operator::I32Shl | Operator::I64Shl => self.binary(|b, x, y| b.ins().ishl(x, y))?,
            Operator::I32ShrS | Operator::I64ShrS => self.binary(|b, x, y| b.ins().sshr(x, y))?,
            Operator::I32ShrU | Operator::I64ShrU => self.binary(|b, x, y| b.ins().ushr(x, y))?,
            Operator::I32Rotl | Operator::I64Rotl => self.binary(|b, x, y| b.ins().rotl(x, y))?,
            Operator::I32Rotr | Operator::I64Rotr => self.binary(|b, x, y| b.ins().rotr(x, y))?,

            // ---- float arithmetic ----
            Operator::F32Abs | Operator::F64Abs => self.unary(|b, a| b.ins().fabs(a))?,
            Operator::F32Neg | Operator::F64Neg => self.unary(|b, a| b.ins().fneg(a))?,
            Operator::F32Ceil | Operator::F64Ceil => self.unary(|b, a| b.ins().ceil(a))?,
            Operator::F32Floor | Operator::F64Floor => self.unary(|b, a| b.ins().floor(a))?,
            Operator::F32Trunc | Operator::F64Trunc => self.unary(|b, a| b.ins().trunc(a))?,
            Operator::F32Nearest | Operator::F64Nearest => self.unary(|b, a| b.ins().nearest(a))?,
            Operator::F32Sqrt | Operator::F64Sqrt => self.unary(|b, a| b.ins().sqrt(a))?,
            Operator::F32Add | Operator::F64Add => self.binary(|b, x, y| b.ins().fadd(x, y))?,
            Operator::F32Sub | Operator::F64Sub => self.binary(|b, x, y| b.ins().fsub(x, y))?,
            Operator::F32Mul | Operator::F64Mul => self.binary(|b, x, y| b.ins().fmul(x, y))?,
            Operator::F32Div | Operator::F64Div => self.binary(|b, x, y| b.ins().fdiv(x, y))?,
            Operator::F32Min | Operator::F64Min => self.binary(|b, x, y| b.ins().fmin(x, y))?,
            Operator::F32Max | Operator::F64Max => self.binary(|b, x, y| b.ins().fmax(x, y))?,
            Operator::F32Copysign | Operator::F64Copysign => self.binary(|b, x, y| b.ins().fcopysign(x, y))?,

            // ---- conversions ----
            Operator::I32WrapI64 => self.unary(|b, a| b.ins().ireduce(I32, a))?,
            Operator::I64ExtendI32S => self.unary(|b, a| b.ins().sextend(I64, a))?,
            Operator::I64ExtendI32U => self.unary(|b, a| b.ins().uextend(I64, a))?,
            Operator::I32TruncF32S | Operator::I32TruncF64S => self.unary(|b, a| b.ins().fcvt_to_sint(I32, a))?,
            Operator::I32TruncF32U | Operator::I32TruncF64U => self.unary(|b, a| b.ins().fcvt_to_uint(I32, a))?,
            Operator::I64TruncF32S | Operator::I64TruncF64S => self.unary(|b, a| b.ins().fcvt_to_sint(I64, a))?,
            Operator::I64TruncF32U | Operator::I64TruncF64U => self.unary(|b, a| b.ins().fcvt_to_uint(I64, a))?,
            Operator::I32TruncSatF32S | Operator::I32TruncSatF64S => self.unary(|b, a| b.ins().fcvt_to_sint_sat(I32, a))?,
            Operator::I32TruncSatF32U | Operator::I32TruncSatF64U => self.unary(|b, a| b.ins().fcvt_to_uint_sat(I32, a))?,
            Operator::I64TruncSatF32S | Operator::I64TruncSatF64S => self.unary(|b, a| b.ins().fcvt_to_sint_sat(I64, a))?,
            Operator::I64TruncSatF32U | Operator::I64TruncSatF64U => self.unary(|b, a| b.ins().fcvt_to_uint_sat(I64, a))?,
            Operator::F32ConvertI32S | Operator::F32ConvertI64S => self.unary(|b, a| b.ins().fcvt_from_sint(F32, a))?,
            Operator::F32ConvertI32U | Operator::F32ConvertI64U => self.unary(|b, a| b.ins().fcvt_from_uint(F32, a))?,
            Operator::F64ConvertI32S | Operator::F64ConvertI64S => self.unary(|b, a| b.ins().fcvt_from_sint(F64, a))?,
            Operator::F64ConvertI32U | Operator::F64ConvertI64U => self.unary(|b, a| b.ins().fcvt_from_uint(F64, a))?,
            Operator::F32DemoteF64 => self.unary(|b, a| b.ins().fdemote(F32, a))?,
            Operator::F64PromoteF32 => self.unary(|b, a| b.ins().fpromote(F64, a))?,
            Operator::I32ReinterpretF32 => self.reinterpret(I32)?,
            Operator::I64ReinterpretF64 => self.reinterpret(I64)?,
            Operator::F32ReinterpretI32 => self.reinterpret(F32)?,
            Operator::F64ReinterpretI64 => self.reinterpret(F64)?,

            // ---- sign extension ----
            Operator::I32Extend8S => self.sign_extend(I8, I32)?,
            Operator::I32Extend16S => self.sign_extend(I16, I32)?,
            Operator::I64Extend8S => self.sign_extend(I8, I64)?,
            Operator::I64Extend16S => self.sign_extend(I16, I64)?,
            Operator::I64Extend32S => self.sign_extend(I32, I64)?,
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Pushes an `i8` truth value as wasm's `i32` 0/1.
    pub(crate) fn push_bool(&mut self, c: Value) {
        let v = self.b.ins().uextend(types::I32, c);
        self.push(v);
    }

    fn unary(&mut self, f: impl FnOnce(&mut cranelift_frontend::FunctionBuilder, Value) -> Value) -> Result<(), Error> {
        let a = self.pop()?;
        let v = f(&mut self.b, a);
        self.push(v);
        Ok(())
    }

    fn binary(&mut self, f: impl FnOnce(&mut cranelift_frontend::FunctionBuilder, Value, Value) -> Value) -> Result<(), Error> {
        let (x, y) = self.pop2()?;
        let v = f(&mut self.b, x, y);
        self.push(v);
        Ok(())
    }

    fn icmp(&mut self, cc: IntCC) -> Result<(), Error> {
        let (x, y) = self.pop2()?;
        let c = self.b.ins().icmp(cc, x, y);
        self.push_bool(c);
        Ok(())
    }

    fn fcmp(&mut self, cc: FloatCC) -> Result<(), Error> {
        let (x, y) = self.pop2()?;
        let c = self.b.ins().fcmp(cc, x, y);
        self.push_bool(c);
        Ok(())
    }

    fn reinterpret(&mut self, to: Type) -> Result<(), Error> {
        let a = self.pop()?;
        let v = self.b.ins().bitcast(to, cranelift_codegen::ir::MemFlagsData::new(), a);
        self.push(v);
        Ok(())
    }

    fn sign_extend(&mut self, from: Type, to: Type) -> Result<(), Error> {
        let a = self.pop()?;
        let narrow = self.b.ins().ireduce(from, a);
        let v = self.b.ins().sextend(to, narrow);
        self.push(v);
        Ok(())
    }
}
