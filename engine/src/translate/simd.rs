//! Fixed-width SIMD (the 2.0 `v128` instructions).
//!
//! A `v128` lives on the operand stack as `i8x16`; each instruction views
//! its operands as the lane type it works on (a free `bitcast`). Most map
//! one-to-one onto Cranelift instructions whose semantics match the spec
//! lane by lane (`swizzle` yields 0 for out-of-range indices, vector shifts
//! take the count modulo the lane width, `fmin`/`fmax` propagate NaN,
//! `sqmul_round_sat` is `q15mulr_sat_s`, `snarrow`/`unarrow` saturate);
//! the rest are short compositions noted where they appear.

use super::environ::vector_bitcast_flags;
use super::func::FuncTranslator;
use crate::Error;
use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{types, ConstantData, InstBuilder, Opcode, Type, Value};
use wasmparser::{MemArg, Operator};

impl FuncTranslator<'_, '_> {
    pub(crate) fn translate_simd(&mut self, op: &Operator) -> Result<bool, Error> {
        use types::*;
        match *op {
            // ---- memory ----
            Operator::V128Load { memarg } => self.vload(memarg, Opcode::Load, I8X16)?,
            Operator::V128Load8x8S { memarg } => self.vload(memarg, Opcode::Sload8x8, I16X8)?,
            Operator::V128Load8x8U { memarg } => self.vload(memarg, Opcode::Uload8x8, I16X8)?,
            Operator::V128Load16x4S { memarg } => self.vload(memarg, Opcode::Sload16x4, I32X4)?,
            Operator::V128Load16x4U { memarg } => self.vload(memarg, Opcode::Uload16x4, I32X4)?,
            Operator::V128Load32x2S { memarg } => self.vload(memarg, Opcode::Sload32x2, I64X2)?,
            Operator::V128Load32x2U { memarg } => self.vload(memarg, Opcode::Uload32x2, I64X2)?,
            Operator::V128Load8Splat { memarg } => self.load_splat(memarg, I8X16)?,
            Operator::V128Load16Splat { memarg } => self.load_splat(memarg, I16X8)?,
            Operator::V128Load32Splat { memarg } => self.load_splat(memarg, I32X4)?,
            Operator::V128Load64Splat { memarg } => self.load_splat(memarg, I64X2)?,
            Operator::V128Load32Zero { memarg } => self.load_zero(memarg, I32X4)?,
            Operator::V128Load64Zero { memarg } => self.load_zero(memarg, I64X2)?,
            Operator::V128Store { memarg } => {
                let v = self.pop_vec(I8X16)?;
                let (addr, off) = self.heap_addr(&memarg)?;
                let flags = self.env.heap_flags();
                self.b.ins().store(flags, v, addr, off);
            }
            Operator::V128Load8Lane { memarg, lane } => self.load_lane(memarg, I8X16, lane)?,
            Operator::V128Load16Lane { memarg, lane } => self.load_lane(memarg, I16X8, lane)?,
            Operator::V128Load32Lane { memarg, lane } => self.load_lane(memarg, I32X4, lane)?,
            Operator::V128Load64Lane { memarg, lane } => self.load_lane(memarg, I64X2, lane)?,
            Operator::V128Store8Lane { memarg, lane } => self.store_lane(memarg, I8X16, lane)?,
            Operator::V128Store16Lane { memarg, lane } => self.store_lane(memarg, I16X8, lane)?,
            Operator::V128Store32Lane { memarg, lane } => self.store_lane(memarg, I32X4, lane)?,
            Operator::V128Store64Lane { memarg, lane } => self.store_lane(memarg, I64X2, lane)?,

            // ---- constants, shuffles, lanes ----
            Operator::V128Const { value } => {
                let v = self.vconst(I8X16, *value.bytes());
                self.push(v);
            }
            Operator::I8x16Shuffle { lanes } => {
                if lanes.iter().any(|l| *l >= 32) {
                    return Err(self.env.err("shuffle lane index out of range"));
                }
                let (a, b) = self.pop2_vec(I8X16)?;
                let mask = self.b.func.dfg.immediates.push(ConstantData::from(lanes.to_vec()));
                let v = self.b.ins().shuffle(a, b, mask);
                self.push(v);
            }
            Operator::I8x16Swizzle => self.vbinary(I8X16, |b, x, y| b.ins().swizzle(x, y))?,
            Operator::I8x16ExtractLaneS { lane } => self.extract_lane(I8X16, lane, Some(true))?,
            Operator::I8x16ExtractLaneU { lane } => self.extract_lane(I8X16, lane, Some(false))?,
            Operator::I16x8ExtractLaneS { lane } => self.extract_lane(I16X8, lane, Some(true))?,
            Operator::I16x8ExtractLaneU { lane } => self.extract_lane(I16X8, lane, Some(false))?,
            Operator::I32x4ExtractLane { lane } => self.extract_lane(I32X4, lane, None)?,
            Operator::I64x2ExtractLane { lane } => self.extract_lane(I64X2, lane, None)?,
            Operator::F32x4ExtractLane { lane } => self.extract_lane(F32X4, lane, None)?,
            Operator::F64x2ExtractLane { lane } => self.extract_lane(F64X2, lane, None)?,
            Operator::I8x16ReplaceLane { lane } => self.replace_lane(I8X16, lane)?,
            Operator::I16x8ReplaceLane { lane } => self.replace_lane(I16X8, lane)?,
            Operator::I32x4ReplaceLane { lane } => self.replace_lane(I32X4, lane)?,
            Operator::I64x2ReplaceLane { lane } => self.replace_lane(I64X2, lane)?,
            Operator::F32x4ReplaceLane { lane } => self.replace_lane(F32X4, lane)?,
            Operator::F64x2ReplaceLane { lane } => self.replace_lane(F64X2, lane)?,
            Operator::I8x16Splat => self.splat(I8X16)?,
            Operator::I16x8Splat => self.splat(I16X8)?,
            Operator::I32x4Splat => self.splat(I32X4)?,
            Operator::I64x2Splat => self.splat(I64X2)?,
            Operator::F32x4Splat => self.splat(F32X4)?,
            Operator::F64x2Splat => self.splat(F64X2)?,

            // ---- comparisons (lane masks) ----
            Operator::I8x16Eq => self.vicmp(I8X16, IntCC::Equal)?,
            Operator::I8x16Ne => self.vicmp(I8X16, IntCC::NotEqual)?,
            Operator::I8x16LtS => self.vicmp(I8X16, IntCC::SignedLessThan)?,
            Operator::I8x16LtU => self.vicmp(I8X16, IntCC::UnsignedLessThan)?,
            Operator::I8x16GtS => self.vicmp(I8X16, IntCC::SignedGreaterThan)?,
            Operator::I8x16GtU => self.vicmp(I8X16, IntCC::UnsignedGreaterThan)?,
            Operator::I8x16LeS => self.vicmp(I8X16, IntCC::SignedLessThanOrEqual)?,
            Operator::I8x16LeU => self.vicmp(I8X16, IntCC::UnsignedLessThanOrEqual)?,
            Operator::I8x16GeS => self.vicmp(I8X16, IntCC::SignedGreaterThanOrEqual)?,
            Operator::I8x16GeU => self.vicmp(I8X16, IntCC::UnsignedGreaterThanOrEqual)?,
            Operator::I16x8Eq => self.vicmp(I16X8, IntCC::Equal)?,
            Operator::I16x8Ne => self.vicmp(I16X8, IntCC::NotEqual)?,
            Operator::I16x8LtS => self.vicmp(I16X8, IntCC::SignedLessThan)?,
            Operator::I16x8LtU => self.vicmp(I16X8, IntCC::UnsignedLessThan)?,
            Operator::I16x8GtS => self.vicmp(I16X8, IntCC::SignedGreaterThan)?,
            Operator::I16x8GtU => self.vicmp(I16X8, IntCC::UnsignedGreaterThan)?,
            Operator::I16x8LeS => self.vicmp(I16X8, IntCC::SignedLessThanOrEqual)?,
            Operator::I16x8LeU => self.vicmp(I16X8, IntCC::UnsignedLessThanOrEqual)?,
            Operator::I16x8GeS => self.vicmp(I16X8, IntCC::SignedGreaterThanOrEqual)?,
            Operator::I16x8GeU => self.vicmp(I16X8, IntCC::UnsignedGreaterThanOrEqual)?,
            Operator::I32x4Eq => self.vicmp(I32X4, IntCC::Equal)?,
            Operator::I32x4Ne => self.vicmp(I32X4, IntCC::NotEqual)?,
            Operator::I32x4LtS => self.vicmp(I32X4, IntCC::SignedLessThan)?,
            Operator::I32x4LtU => self.vicmp(I32X4, IntCC::UnsignedLessThan)?,
            Operator::I32x4GtS => self.vicmp(I32X4, IntCC::SignedGreaterThan)?,
            Operator::I32x4GtU => self.vicmp(I32X4, IntCC::UnsignedGreaterThan)?,
            Operator::I32x4LeS => self.vicmp(I32X4, IntCC::SignedLessThanOrEqual)?,
            Operator::I32x4LeU => self.vicmp(I32X4, IntCC::UnsignedLessThanOrEqual)?,
            Operator::I32x4GeS => self.vicmp(I32X4, IntCC::SignedGreaterThanOrEqual)?,
            Operator::I32x4GeU => self.vicmp(I32X4, IntCC::UnsignedGreaterThanOrEqual)?,
            Operator::I64x2Eq => self.vicmp(I64X2, IntCC::Equal)?,
            Operator::I64x2Ne => self.vicmp(I64X2, IntCC::NotEqual)?,
            Operator::I64x2LtS => self.vicmp(I64X2, IntCC::SignedLessThan)?,
            Operator::I64x2GtS => self.vicmp(I64X2, IntCC::SignedGreaterThan)?,
            Operator::I64x2LeS => self.vicmp(I64X2, IntCC::SignedLessThanOrEqual)?,
            Operator::I64x2GeS => self.vicmp(I64X2, IntCC::SignedGreaterThanOrEqual)?,
            Operator::F32x4Eq => self.vfcmp(F32X4, FloatCC::Equal)?,
            Operator::F32x4Ne => self.vfcmp(F32X4, FloatCC::NotEqual)?,
            Operator::F32x4Lt => self.vfcmp(F32X4, FloatCC::LessThan)?,
            Operator::F32x4Gt => self.vfcmp(F32X4, FloatCC::GreaterThan)?,
            Operator::F32x4Le => self.vfcmp(F32X4, FloatCC::LessThanOrEqual)?,
            Operator::F32x4Ge => self.vfcmp(F32X4, FloatCC::GreaterThanOrEqual)?,
            Operator::F64x2Eq => self.vfcmp(F64X2, FloatCC::Equal)?,
            Operator::F64x2Ne => self.vfcmp(F64X2, FloatCC::NotEqual)?,
            Operator::F64x2Lt => self.vfcmp(F64X2, FloatCC::LessThan)?,
            Operator::F64x2Gt => self.vfcmp(F64X2, FloatCC::GreaterThan)?,
            Operator::F64x2Le => self.vfcmp(F64X2, FloatCC::LessThanOrEqual)?,
            Operator::F64x2Ge => self.vfcmp(F64X2, FloatCC::GreaterThanOrEqual)?,

            // ---- bitwise ----
            Operator::V128Not => self.vunary(I8X16, |b, a| b.ins().bnot(a))?,
            Operator::V128And => self.vbinary(I8X16, |b, x, y| b.ins().band(x, y))?,
            Operator::V128AndNot => self.vbinary(I8X16, |b, x, y| b.ins().band_not(x, y))?,
            Operator::V128Or => self.vbinary(I8X16, |b, x, y| b.ins().bor(x, y))?,
            Operator::V128Xor => self.vbinary(I8X16, |b, x, y| b.ins().bxor(x, y))?,
            Operator::V128Bitselect => {
                let c = self.pop_vec(I8X16)?;
                let (x, y) = self.pop2_vec(I8X16)?;
                let v = self.b.ins().bitselect(c, x, y);
                self.push(v);
            }
            Operator::V128AnyTrue => {
                let a = self.pop_vec(I8X16)?;
                let c = self.b.ins().vany_true(a);
                self.push_bool(c);
            }

            // ---- per-shape integer operations ----
            Operator::I8x16AllTrue => self.all_true(I8X16)?,
            Operator::I16x8AllTrue => self.all_true(I16X8)?,
            Operator::I32x4AllTrue => self.all_true(I32X4)?,
            Operator::I64x2AllTrue => self.all_true(I64X2)?,
            Operator::I8x16Bitmask => self.bitmask(I8X16)?,
            Operator::I16x8Bitmask => self.bitmask(I16X8)?,
            Operator::I32x4Bitmask => self.bitmask(I32X4)?,
            Operator::I64x2Bitmask => self.bitmask(I64X2)?,
            Operator::I8x16Abs => self.vunary(I8X16, |b, a| b.ins().iabs(a))?,
            Operator::I16x8Abs => self.vunary(I16X8, |b, a| b.ins().iabs(a))?,
            Operator::I32x4Abs => self.vunary(I32X4, |b, a| b.ins().iabs(a))?,
            Operator::I64x2Abs => self.vunary(I64X2, |b, a| b.ins().iabs(a))?,
            Operator::I8x16Neg => self.vunary(I8X16, |b, a| b.ins().ineg(a))?,
            Operator::I16x8Neg => self.vunary(I16X8, |b, a| b.ins().ineg(a))?,
            Operator::I32x4Neg => self.vunary(I32X4, |b, a| b.ins().ineg(a))?,
            Operator::I64x2Neg => self.vunary(I64X2, |b, a| b.ins().ineg(a))?,
            Operator::I8x16Popcnt => self.vunary(I8X16, |b, a| b.ins().popcnt(a))?,
            Operator::I8x16Shl => self.vshift(I8X16, Opcode::Ishl)?,
            Operator::I16x8Shl => self.vshift(I16X8, Opcode::Ishl)?,
            Operator::I32x4Shl => self.vshift(I32X4, Opcode::Ishl)?,
            Operator::I64x2Shl => self.vshift(I64X2, Opcode::Ishl)?,
            Operator::I8x16ShrS => self.vshift(I8X16, Opcode::Sshr)?,
            Operator::I16x8ShrS => self.vshift(I16X8, Opcode::Sshr)?,
            Operator::I32x4ShrS => self.vshift(I32X4, Opcode::Sshr)?,
            Operator::I64x2ShrS => self.vshift(I64X2, Opcode::Sshr)?,
            Operator::I8x16ShrU => self.vshift(I8X16, Opcode::Ushr)?,
            Operator::I16x8ShrU => self.vshift(I16X8, Opcode::Ushr)?,
            Operator::I32x4ShrU => self.vshift(I32X4, Opcode::Ushr)?,
            Operator::I64x2ShrU => self.vshift(I64X2, Opcode::Ushr)?,
            Operator::I8x16Add => self.vbinary(I8X16, |b, x, y| b.ins().iadd(x, y))?,
            Operator::I16x8Add => self.vbinary(I16X8, |b, x, y| b.ins().iadd(x, y))?,
            Operator::I32x4Add => self.vbinary(I32X4, |b, x, y| b.ins().iadd(x, y))?,
            Operator::I64x2Add => self.vbinary(I64X2, |b, x, y| b.ins().iadd(x, y))?,
            Operator::I8x16Sub => self.vbinary(I8X16, |b, x, y| b.ins().isub(x, y))?,
            Operator::I16x8Sub => self.vbinary(I16X8, |b, x, y| b.ins().isub(x, y))?,
            Operator::I32x4Sub => self.vbinary(I32X4, |b, x, y| b.ins().isub(x, y))?,
            Operator::I64x2Sub => self.vbinary(I64X2, |b, x, y| b.ins().isub(x, y))?,
            Operator::I16x8Mul => self.vbinary(I16X8, |b, x, y| b.ins().imul(x, y))?,
            Operator::I32x4Mul => self.vbinary(I32X4, |b, x, y| b.ins().imul(x, y))?,
            Operator::I64x2Mul => self.vbinary(I64X2, |b, x, y| b.ins().imul(x, y))?,
            Operator::I8x16AddSatS => self.vbinary(I8X16, |b, x, y| b.ins().sadd_sat(x, y))?,
            Operator::I16x8AddSatS => self.vbinary(I16X8, |b, x, y| b.ins().sadd_sat(x, y))?,
            Operator::I8x16AddSatU => self.vbinary(I8X16, |b, x, y| b.ins().uadd_sat(x, y))?,
            Operator::I16x8AddSatU => self.vbinary(I16X8, |b, x, y| b.ins().uadd_sat(x, y))?,
            Operator::I8x16SubSatS => self.vbinary(I8X16, |b, x, y| b.ins().ssub_sat(x, y))?,
            Operator::I16x8SubSatS => self.vbinary(I16X8, |b, x, y| b.ins().ssub_sat(x, y))?,
            Operator::I8x16SubSatU => self.vbinary(I8X16, |b, x, y| b.ins().usub_sat(x, y))?,
            Operator::I16x8SubSatU => self.vbinary(I16X8, |b, x, y| b.ins().usub_sat(x, y))?,
            Operator::I8x16MinS => self.vbinary(I8X16, |b, x, y| b.ins().smin(x, y))?,
            Operator::I16x8MinS => self.vbinary(I16X8, |b, x, y| b.ins().smin(x, y))?,
            Operator::I32x4MinS => self.vbinary(I32X4, |b, x, y| b.ins().smin(x, y))?,
            Operator::I8x16MinU => self.vbinary(I8X16, |b, x, y| b.ins().umin(x, y))?,
            Operator::I16x8MinU => self.vbinary(I16X8, |b, x, y| b.ins().umin(x, y))?,
            Operator::I32x4MinU => self.vbinary(I32X4, |b, x, y| b.ins().umin(x, y))?,
            Operator::I8x16MaxS => self.vbinary(I8X16, |b, x, y| b.ins().smax(x, y))?,
            Operator::I16x8MaxS => self.vbinary(I16X8, |b, x, y| b.ins().smax(x, y))?,
            Operator::I32x4MaxS => self.vbinary(I32X4, |b, x, y| b.ins().smax(x, y))?,
            Operator::I8x16MaxU => self.vbinary(I8X16, |b, x, y| b.ins().umax(x, y))?,
            Operator::I16x8MaxU => self.vbinary(I16X8, |b, x, y| b.ins().umax(x, y))?,
            Operator::I32x4MaxU => self.vbinary(I32X4, |b, x, y| b.ins().umax(x, y))?,
            Operator::I8x16AvgrU => self.vbinary(I8X16, |b, x, y| b.ins().avg_round(x, y))?,
            Operator::I16x8AvgrU => self.vbinary(I16X8, |b, x, y| b.ins().avg_round(x, y))?,
            Operator::I16x8Q15MulrSatS => self.vbinary(I16X8, |b, x, y| b.ins().sqmul_round_sat(x, y))?,

            // ---- narrowing, widening ----
            Operator::I8x16NarrowI16x8S => self.vbinary(I16X8, |b, x, y| b.ins().snarrow(x, y))?,
            Operator::I8x16NarrowI16x8U => self.vbinary(I16X8, |b, x, y| b.ins().unarrow(x, y))?,
            Operator::I16x8NarrowI32x4S => self.vbinary(I32X4, |b, x, y| b.ins().snarrow(x, y))?,
            Operator::I16x8NarrowI32x4U => self.vbinary(I32X4, |b, x, y| b.ins().unarrow(x, y))?,
            Operator::I16x8ExtendLowI8x16S => self.vunary(I8X16, |b, a| b.ins().swiden_low(a))?,
            Operator::I16x8ExtendHighI8x16S => self.vunary(I8X16, |b, a| b.ins().swiden_high(a))?,
            Operator::I16x8ExtendLowI8x16U => self.vunary(I8X16, |b, a| b.ins().uwiden_low(a))?,
            Operator::I16x8ExtendHighI8x16U => self.vunary(I8X16, |b, a| b.ins().uwiden_high(a))?,
            Operator::I32x4ExtendLowI16x8S => self.vunary(I16X8, |b, a| b.ins().swiden_low(a))?,
            Operator::I32x4ExtendHighI16x8S => self.vunary(I16X8, |b, a| b.ins().swiden_high(a))?,
            Operator::I32x4ExtendLowI16x8U => self.vunary(I16X8, |b, a| b.ins().uwiden_low(a))?,
            Operator::I32x4ExtendHighI16x8U => self.vunary(I16X8, |b, a| b.ins().uwiden_high(a))?,
            Operator::I64x2ExtendLowI32x4S => self.vunary(I32X4, |b, a| b.ins().swiden_low(a))?,
            Operator::I64x2ExtendHighI32x4S => self.vunary(I32X4, |b, a| b.ins().swiden_high(a))?,
            Operator::I64x2ExtendLowI32x4U => self.vunary(I32X4, |b, a| b.ins().uwiden_low(a))?,
            Operator::I64x2ExtendHighI32x4U => self.vunary(I32X4, |b, a| b.ins().uwiden_high(a))?,

            // extmul: widen both halves, then multiply in the wide lanes
            // (the product of two n-bit values always fits in 2n bits).
            Operator::I16x8ExtMulLowI8x16S => self.extmul(I8X16, true, false)?,
            Operator::I16x8ExtMulHighI8x16S => self.extmul(I8X16, true, true)?,
            Operator::I16x8ExtMulLowI8x16U => self.extmul(I8X16, false, false)?,
            Operator::I16x8ExtMulHighI8x16U => self.extmul(I8X16, false, true)?,
            Operator::I32x4ExtMulLowI16x8S => self.extmul(I16X8, true, false)?,
            Operator::I32x4ExtMulHighI16x8S => self.extmul(I16X8, true, true)?,
            Operator::I32x4ExtMulLowI16x8U => self.extmul(I16X8, false, false)?,
            Operator::I32x4ExtMulHighI16x8U => self.extmul(I16X8, false, true)?,
            Operator::I64x2ExtMulLowI32x4S => self.extmul(I32X4, true, false)?,
            Operator::I64x2ExtMulHighI32x4S => self.extmul(I32X4, true, true)?,
            Operator::I64x2ExtMulLowI32x4U => self.extmul(I32X4, false, false)?,
            Operator::I64x2ExtMulHighI32x4U => self.extmul(I32X4, false, true)?,

            // extadd_pairwise: widen the low and high halves, then
            // `iadd_pairwise` sums adjacent lanes of the concatenation,
            // which is exactly lanes (2i, 2i+1) of the input.
            Operator::I16x8ExtAddPairwiseI8x16S => self.extadd_pairwise(I8X16, true)?,
            Operator::I16x8ExtAddPairwiseI8x16U => self.extadd_pairwise(I8X16, false)?,
            Operator::I32x4ExtAddPairwiseI16x8S => self.extadd_pairwise(I16X8, true)?,
            Operator::I32x4ExtAddPairwiseI16x8U => self.extadd_pairwise(I16X8, false)?,

            // dot: products of the widened halves (i32 lanes), then pairwise
            // sums; the one overflow case wraps, as the spec says.
            Operator::I32x4DotI16x8S => {
                let (x, y) = self.pop2_vec(I16X8)?;
                let xl = self.b.ins().swiden_low(x);
                let yl = self.b.ins().swiden_low(y);
                let xh = self.b.ins().swiden_high(x);
                let yh = self.b.ins().swiden_high(y);
                let lo = self.b.ins().imul(xl, yl);
                let hi = self.b.ins().imul(xh, yh);
                let v = self.b.ins().iadd_pairwise(lo, hi);
                self.push(v);
            }

            // ---- floating point ----
            Operator::F32x4Ceil => self.vunary(F32X4, |b, a| b.ins().ceil(a))?,
            Operator::F64x2Ceil => self.vunary(F64X2, |b, a| b.ins().ceil(a))?,
            Operator::F32x4Floor => self.vunary(F32X4, |b, a| b.ins().floor(a))?,
            Operator::F64x2Floor => self.vunary(F64X2, |b, a| b.ins().floor(a))?,
            Operator::F32x4Trunc => self.vunary(F32X4, |b, a| b.ins().trunc(a))?,
            Operator::F64x2Trunc => self.vunary(F64X2, |b, a| b.ins().trunc(a))?,
            Operator::F32x4Nearest => self.vunary(F32X4, |b, a| b.ins().nearest(a))?,
            Operator::F64x2Nearest => self.vunary(F64X2, |b, a| b.ins().nearest(a))?,
            Operator::F32x4Abs => self.vunary(F32X4, |b, a| b.ins().fabs(a))?,
            Operator::F64x2Abs => self.vunary(F64X2, |b, a| b.ins().fabs(a))?,
            Operator::F32x4Neg => self.vunary(F32X4, |b, a| b.ins().fneg(a))?,
            Operator::F64x2Neg => self.vunary(F64X2, |b, a| b.ins().fneg(a))?,
            Operator::F32x4Sqrt => self.vunary(F32X4, |b, a| b.ins().sqrt(a))?,
            Operator::F64x2Sqrt => self.vunary(F64X2, |b, a| b.ins().sqrt(a))?,
            Operator::F32x4Add => self.vbinary(F32X4, |b, x, y| b.ins().fadd(x, y))?,
            Operator::F64x2Add => self.vbinary(F64X2, |b, x, y| b.ins().fadd(x, y))?,
            Operator::F32x4Sub => self.vbinary(F32X4, |b, x, y| b.ins().fsub(x, y))?,
            Operator::F64x2Sub => self.vbinary(F64X2, |b, x, y| b.ins().fsub(x, y))?,
            Operator::F32x4Mul => self.vbinary(F32X4, |b, x, y| b.ins().fmul(x, y))?,
            Operator::F64x2Mul => self.vbinary(F64X2, |b, x, y| b.ins().fmul(x, y))?,
            Operator::F32x4Div => self.vbinary(F32X4, |b, x, y| b.ins().fdiv(x, y))?,
            Operator::F64x2Div => self.vbinary(F64X2, |b, x, y| b.ins().fdiv(x, y))?,
            Operator::F32x4Min => self.vbinary(F32X4, |b, x, y| b.ins().fmin(x, y))?,
            Operator::F64x2Min => self.vbinary(F64X2, |b, x, y| b.ins().fmin(x, y))?,
            Operator::F32x4Max => self.vbinary(F32X4, |b, x, y| b.ins().fmax(x, y))?,
            Operator::F64x2Max => self.vbinary(F64X2, |b, x, y| b.ins().fmax(x, y))?,
            Operator::F32x4PMin => self.pminmax(F32X4, true)?,
            Operator::F64x2PMin => self.pminmax(F64X2, true)?,
            Operator::F32x4PMax => self.pminmax(F32X4, false)?,
            Operator::F64x2PMax => self.pminmax(F64X2, false)?,

            // ---- conversions ----
            Operator::I32x4TruncSatF32x4S => self.vunary(F32X4, |b, a| b.ins().fcvt_to_sint_sat(I32X4, a))?,
            Operator::I32x4TruncSatF32x4U => self.vunary(F32X4, |b, a| b.ins().fcvt_to_uint_sat(I32X4, a))?,
            // f64x2 -> i32x4 with zeroed upper lanes: saturate to i64 lanes
            // (exact for every in-range value), then narrow against zero with
            // saturation to 32 bits.
            Operator::I32x4TruncSatF64x2SZero => {
                let a = self.pop_vec(F64X2)?;
                let wide = self.b.ins().fcvt_to_sint_sat(I64X2, a);
                let zero = self.vconst(I64X2, [0; 16]);
                let v = self.b.ins().snarrow(wide, zero);
                self.push(v);
            }
            Operator::I32x4TruncSatF64x2UZero => {
                let a = self.pop_vec(F64X2)?;
                let wide = self.b.ins().fcvt_to_uint_sat(I64X2, a);
                let zero = self.vconst(I64X2, [0; 16]);
                let v = self.b.ins().uunarrow(wide, zero);
                self.push(v);
            }
            Operator::F32x4ConvertI32x4S => self.vunary(I32X4, |b, a| b.ins().fcvt_from_sint(F32X4, a))?,
            Operator::F32x4ConvertI32x4U => self.vunary(I32X4, |b, a| b.ins().fcvt_from_uint(F32X4, a))?,
            Operator::F64x2ConvertLowI32x4S => self.vunary(I32X4, |b, a| {
                let w = b.ins().swiden_low(a);
                b.ins().fcvt_from_sint(F64X2, w)
            })?,
            Operator::F64x2ConvertLowI32x4U => self.vunary(I32X4, |b, a| {
                let w = b.ins().uwiden_low(a);
                b.ins().fcvt_from_uint(F64X2, w)
            })?,
            Operator::F32x4DemoteF64x2Zero => self.vunary(F64X2, |b, a| b.ins().fvdemote(a))?,
            Operator::F64x2PromoteLowF32x4 => self.vunary(F32X4, |b, a| b.ins().fvpromote_low(a))?,
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Lane immediates are validated; re-checked so a bad one is an error,
    /// not a Cranelift panic.
    fn check_lane(&self, ty: Type, lane: u8) -> Result<(), Error> {
        if u32::from(lane) < ty.lane_count() {
            Ok(())
        } else {
            Err(self.env.err(format!("lane {lane} out of range for {ty}")))
        }
    }

    fn vunary(
        &mut self,
        ty: Type,
        f: impl FnOnce(&mut cranelift_frontend::FunctionBuilder, Value) -> Value,
    ) -> Result<(), Error> {
        let a = self.pop_vec(ty)?;
        let v = f(&mut self.b, a);
        self.push(v);
        Ok(())
    }

    fn vbinary(
        &mut self,
        ty: Type,
        f: impl FnOnce(&mut cranelift_frontend::FunctionBuilder, Value, Value) -> Value,
    ) -> Result<(), Error> {
        let (x, y) = self.pop2_vec(ty)?;
        let v = f(&mut self.b, x, y);
        self.push(v);
        Ok(())
    }

    fn vicmp(&mut self, ty: Type, cc: IntCC) -> Result<(), Error> {
        self.vbinary(ty, |b, x, y| b.ins().icmp(cc, x, y))
    }

    fn vfcmp(&mut self, ty: Type, cc: FloatCC) -> Result<(), Error> {
        self.vbinary(ty, |b, x, y| b.ins().fcmp(cc, x, y))
    }

    fn vshift(&mut self, ty: Type, opcode: Opcode) -> Result<(), Error> {
        let amount = self.pop()?;
        let a = self.pop_vec(ty)?;
        let v = match opcode {
            Opcode::Ishl => self.b.ins().ishl(a, amount),
            Opcode::Sshr => self.b.ins().sshr(a, amount),
            _ => self.b.ins().ushr(a, amount),
        };
        self.push(v);
        Ok(())
    }

    fn all_true(&mut self, ty: Type) -> Result<(), Error> {
        let a = self.pop_vec(ty)?;
        let c = self.b.ins().vall_true(a);
        self.push_bool(c);
        Ok(())
    }

    fn bitmask(&mut self, ty: Type) -> Result<(), Error> {
        let a = self.pop_vec(ty)?;
        let v = self.b.ins().vhigh_bits(types::I32, a);
        self.push(v);
        Ok(())
    }

    /// Scalar lane `lane` of a `ty` vector; narrow integer lanes are
    /// extended to i32 (`signed` says how).
    fn extract_lane(&mut self, ty: Type, lane: u8, signed: Option<bool>) -> Result<(), Error> {
        self.check_lane(ty, lane)?;
        let a = self.pop_vec(ty)?;
        let x = self.b.ins().extractlane(a, lane);
        let v = match signed {
            Some(true) => self.b.ins().sextend(types::I32, x),
            Some(false) => self.b.ins().uextend(types::I32, x),
            None => x,
        };
        self.push(v);
        Ok(())
    }

    /// The scalar operand as the lane type of `ty` (i32 -> i8/i16 wrap).
    fn lane_scalar(&mut self, ty: Type, x: Value) -> Value {
        let lane = ty.lane_type();
        if lane.is_int() && lane.bits() < 32 {
            self.b.ins().ireduce(lane, x)
        } else {
            x
        }
    }

    fn replace_lane(&mut self, ty: Type, lane: u8) -> Result<(), Error> {
        self.check_lane(ty, lane)?;
        let x = self.pop()?;
        let a = self.pop_vec(ty)?;
        let x = self.lane_scalar(ty, x);
        let v = self.b.ins().insertlane(a, x, lane);
        self.push(v);
        Ok(())
    }

    fn splat(&mut self, ty: Type) -> Result<(), Error> {
        let x = self.pop()?;
        let x = self.lane_scalar(ty, x);
        let v = self.b.ins().splat(ty, x);
        self.push(v);
        Ok(())
    }

    /// `pmin(a, b) = b < a ? b : a`, `pmax(a, b) = a < b ? b : a`, lane-wise,
    /// with the comparison's lane mask selecting bits.
    fn pminmax(&mut self, ty: Type, min: bool) -> Result<(), Error> {
        let (a, b) = self.pop2_vec(ty)?;
        let mask = if min { self.b.ins().fcmp(FloatCC::LessThan, b, a) } else { self.b.ins().fcmp(FloatCC::LessThan, a, b) };
        let mask = self.b.ins().bitcast(ty, vector_bitcast_flags(), mask);
        let v = self.b.ins().bitselect(mask, b, a);
        self.push(v);
        Ok(())
    }

    fn extmul(&mut self, ty: Type, signed: bool, high: bool) -> Result<(), Error> {
        let (x, y) = self.pop2_vec(ty)?;
        let widen = |b: &mut cranelift_frontend::FunctionBuilder, v| match (signed, high) {
            (true, false) => b.ins().swiden_low(v),
            (true, true) => b.ins().swiden_high(v),
            (false, false) => b.ins().uwiden_low(v),
            (false, true) => b.ins().uwiden_high(v),
        };
        let xw = widen(&mut self.b, x);
        let yw = widen(&mut self.b, y);
        let v = self.b.ins().imul(xw, yw);
        self.push(v);
        Ok(())
    }

    fn extadd_pairwise(&mut self, ty: Type, signed: bool) -> Result<(), Error> {
        let a = self.pop_vec(ty)?;
        let (lo, hi) = if signed {
            (self.b.ins().swiden_low(a), self.b.ins().swiden_high(a))
        } else {
            (self.b.ins().uwiden_low(a), self.b.ins().uwiden_high(a))
        };
        let v = self.b.ins().iadd_pairwise(lo, hi);
        self.push(v);
        Ok(())
    }

    fn vload(&mut self, memarg: MemArg, opcode: Opcode, ty: Type) -> Result<(), Error> {
        let (addr, off) = self.heap_addr(&memarg)?;
        let flags = self.env.heap_flags();
        let ins = self.b.ins();
        let v = match opcode {
            Opcode::Load => ins.load(ty, flags, addr, off),
            Opcode::Sload8x8 => ins.sload8x8(flags, addr, off),
            Opcode::Uload8x8 => ins.uload8x8(flags, addr, off),
            Opcode::Sload16x4 => ins.sload16x4(flags, addr, off),
            Opcode::Uload16x4 => ins.uload16x4(flags, addr, off),
            Opcode::Sload32x2 => ins.sload32x2(flags, addr, off),
            Opcode::Uload32x2 => ins.uload32x2(flags, addr, off),
            _ => return Err(self.env.err(format!("not a vector load: {opcode}"))),
        };
        self.push(v);
        Ok(())
    }

    fn load_splat(&mut self, memarg: MemArg, ty: Type) -> Result<(), Error> {
        let (addr, off) = self.heap_addr(&memarg)?;
        let flags = self.env.heap_flags();
        let x = self.b.ins().load(ty.lane_type(), flags, addr, off);
        let v = self.b.ins().splat(ty, x);
        self.push(v);
        Ok(())
    }

    /// Loads one scalar into lane 0; `scalar_to_vector` zeroes the others.
    fn load_zero(&mut self, memarg: MemArg, ty: Type) -> Result<(), Error> {
        let (addr, off) = self.heap_addr(&memarg)?;
        let flags = self.env.heap_flags();
        let x = self.b.ins().load(ty.lane_type(), flags, addr, off);
        let v = self.b.ins().scalar_to_vector(ty, x);
        self.push(v);
        Ok(())
    }

    fn load_lane(&mut self, memarg: MemArg, ty: Type, lane: u8) -> Result<(), Error> {
        self.check_lane(ty, lane)?;
        let a = self.pop_vec(ty)?;
        let (addr, off) = self.heap_addr(&memarg)?;
        let flags = self.env.heap_flags();
        let x = self.b.ins().load(ty.lane_type(), flags, addr, off);
        let v = self.b.ins().insertlane(a, x, lane);
        self.push(v);
        Ok(())
    }

    fn store_lane(&mut self, memarg: MemArg, ty: Type, lane: u8) -> Result<(), Error> {
        self.check_lane(ty, lane)?;
        let a = self.pop_vec(ty)?;
        let (addr, off) = self.heap_addr(&memarg)?;
        let flags = self.env.heap_flags();
        let x = self.b.ins().extractlane(a, lane);
        self.b.ins().store(flags, x, addr, off);
        Ok(())
    }
}
