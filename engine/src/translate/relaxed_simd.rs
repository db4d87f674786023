//! Relaxed SIMD (WebAssembly 3.0): the instructions whose result the spec
//! lets an engine pick from a small set per input (NaN and out-of-range
//! handling, fused or unfused multiply-add, ...).
//!
//! The engine always picks the same answer, the one wasmtime gives on
//! x86-64 (its default, non-"deterministic" mode, on a CPU with AVX and
//! FMA): the x86 instruction's own behaviour. So a guest sees the same
//! results here as under wasmtime on the same machine, and on every x86-64
//! machine the engine runs on (it already requires SSSE3 and SSE4.1, which
//! every lowering below except the fused multiply-add needs; see
//! `compile::isa`). Per instruction:
//! - `relaxed_swizzle`: `pshufb` (an index with the top bit set gives 0,
//!   others use their low four bits).
//! - `relaxed_trunc` (signed): `cvttps2dq`/`cvttpd2dq` (NaN and
//!   out-of-range lanes give `i32::MIN`); unsigned: the saturating
//!   conversion, as wasmtime does.
//! - `relaxed_madd`/`nmadd`: fused (`vfmadd`), one rounding. A CPU
//!   without FMA cannot give that result without a helper call, which the
//!   engine's self-contained code cannot make: such modules fail to
//!   compile with a message rather than compute differently.
//! - `relaxed_laneselect`: `blendv` (the mask lane's top bit decides),
//!   except for 16-bit lanes, which have no `blendv`: bitwise select, as
//!   wasmtime.
//! - `relaxed_min`/`max`: `minps`/`maxps` operand order
//!   (`min(a, b) = b < a ? b : a`, `max(a, b) = a < b ? b : a`), which is
//!   the `pmin`/`pmax` of 2.0 SIMD.
//! - `relaxed_q15mulr_s`: `pmulhrsw` (`-32768 * -32768` gives `-32768`).
//! - `relaxed_dot_i8x16_i7x16_s` and its `add` form: `pmaddubsw`, which
//!   treats the second operand's bytes (the "i7" ones) as unsigned and
//!   saturates the pairwise 16-bit sums.
//!
//! On other architectures (none is supported today) the deterministic
//! forms of the spec are used: each instruction as its non-relaxed
//! counterpart.

use super::environ::vector_bitcast_flags;
use super::func::FuncTranslator;
use crate::Error;
use cranelift_codegen::ir::{types, InstBuilder, Type};
use wasmparser::Operator;

impl FuncTranslator<'_, '_> {
    pub(crate) fn translate_relaxed_simd(&mut self, op: &Operator) -> Result<bool, Error> {
        use types::*;
        let x86 = self.env.isa.triple().architecture == target_lexicon::Architecture::X86_64;
        match *op {
            Operator::I8x16RelaxedSwizzle => {
                let (a, s) = self.pop2_vec(I8X16)?;
                let v = if x86 { self.b.ins().x86_pshufb(a, s) } else { self.b.ins().swizzle(a, s) };
                self.push(v);
            }
            Operator::I32x4RelaxedTruncF32x4S => {
                let a = self.pop_vec(F32X4)?;
                let v = if x86 { self.b.ins().x86_cvtt2dq(I32X4, a) } else { self.b.ins().fcvt_to_sint_sat(I32X4, a) };
                self.push(v);
            }
            Operator::I32x4RelaxedTruncF32x4U => {
                let a = self.pop_vec(F32X4)?;
                let v = self.b.ins().fcvt_to_uint_sat(I32X4, a);
                self.push(v);
            }
            Operator::I32x4RelaxedTruncF64x2SZero => {
                let a = self.pop_vec(F64X2)?;
                let wide = if x86 { self.b.ins().x86_cvtt2dq(I64X2, a) } else { self.b.ins().fcvt_to_sint_sat(I64X2, a) };
                let zero = self.vconst(I64X2, [0; 16]);
                let v = self.b.ins().snarrow(wide, zero);
                self.push(v);
            }
            Operator::I32x4RelaxedTruncF64x2UZero => {
                let a = self.pop_vec(F64X2)?;
                let wide = self.b.ins().fcvt_to_uint_sat(I64X2, a);
                let zero = self.vconst(I64X2, [0; 16]);
                let v = self.b.ins().uunarrow(wide, zero);
                self.push(v);
            }
            Operator::F32x4RelaxedMadd => self.madd(F32X4, false)?,
            Operator::F32x4RelaxedNmadd => self.madd(F32X4, true)?,
            Operator::F64x2RelaxedMadd => self.madd(F64X2, false)?,
            Operator::F64x2RelaxedNmadd => self.madd(F64X2, true)?,
            Operator::I8x16RelaxedLaneselect => self.laneselect(I8X16, x86)?,
            Operator::I16x8RelaxedLaneselect => self.laneselect(I16X8, false)?,
            Operator::I32x4RelaxedLaneselect => self.laneselect(I32X4, x86)?,
            Operator::I64x2RelaxedLaneselect => self.laneselect(I64X2, x86)?,
            Operator::F32x4RelaxedMin => self.relaxed_minmax(F32X4, true, x86)?,
            Operator::F64x2RelaxedMin => self.relaxed_minmax(F64X2, true, x86)?,
            Operator::F32x4RelaxedMax => self.relaxed_minmax(F32X4, false, x86)?,
            Operator::F64x2RelaxedMax => self.relaxed_minmax(F64X2, false, x86)?,
            Operator::I16x8RelaxedQ15mulrS => {
                let (a, b) = self.pop2_vec(I16X8)?;
                let v = if x86 { self.b.ins().x86_pmulhrsw(a, b) } else { self.b.ins().sqmul_round_sat(a, b) };
                self.push(v);
            }
            Operator::I16x8RelaxedDotI8x16I7x16S => {
                let (a, b) = self.pop2_vec(I8X16)?;
                let v = self.dot_i16x8(a, b, x86);
                self.push(v);
            }
            Operator::I32x4RelaxedDotI8x16I7x16AddS => {
                let c = self.pop_vec(I32X4)?;
                let (a, b) = self.pop2_vec(I8X16)?;
                let dot = self.dot_i16x8(a, b, x86);
                let lo = self.b.ins().swiden_low(dot);
                let hi = self.b.ins().swiden_high(dot);
                let sum = self.b.ins().iadd_pairwise(lo, hi);
                let v = self.b.ins().iadd(sum, c);
                self.push(v);
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// `a * b + c` (or `-(a * b) + c`), fused.
    fn madd(&mut self, ty: Type, negate: bool) -> Result<(), Error> {
        if !self.env.isa.has_native_fma() {
            return Err(self.env.err(
                "relaxed_madd/relaxed_nmadd need a CPU with FMA (the engine computes them fused, \
                 like wasmtime on x86-64, and cannot call out to a software fma)",
            ));
        }
        let c = self.pop_vec(ty)?;
        let (a, b) = self.pop2_vec(ty)?;
        let a = if negate { self.b.ins().fneg(a) } else { a };
        let v = self.b.ins().fma(a, b, c);
        self.push(v);
        Ok(())
    }

    /// `relaxed_laneselect(a, b, m)`: lanes of `a` where `m` selects, else
    /// of `b`; `blendv` looks only at each mask lane's top bit.
    fn laneselect(&mut self, ty: Type, blendv: bool) -> Result<(), Error> {
        let m = self.pop_vec(ty)?;
        let (a, b) = self.pop2_vec(ty)?;
        let v = if blendv { self.b.ins().blendv(m, a, b) } else { self.b.ins().bitselect(m, a, b) };
        self.push(v);
        Ok(())
    }

    /// x86 `minps`/`maxps` order: `min(a, b) = b < a ? b : a`,
    /// `max(a, b) = a < b ? b : a`.
    fn relaxed_minmax(&mut self, ty: Type, min: bool, x86: bool) -> Result<(), Error> {
        use cranelift_codegen::ir::condcodes::FloatCC;
        let (a, b) = self.pop2_vec(ty)?;
        let v = if x86 {
            let mask = if min { self.b.ins().fcmp(FloatCC::LessThan, b, a) } else { self.b.ins().fcmp(FloatCC::LessThan, a, b) };
            let mask = self.b.ins().bitcast(ty, vector_bitcast_flags(), mask);
            self.b.ins().bitselect(mask, b, a)
        } else if min {
            self.b.ins().fmin(a, b)
        } else {
            self.b.ins().fmax(a, b)
        };
        self.push(v);
        Ok(())
    }

    /// The 16-bit lanes of `relaxed_dot_i8x16_i7x16_s`.
    fn dot_i16x8(
        &mut self,
        a: cranelift_codegen::ir::Value,
        b: cranelift_codegen::ir::Value,
        x86: bool,
    ) -> cranelift_codegen::ir::Value {
        if x86 {
            return self.b.ins().x86_pmaddubsw(a, b);
        }
        let alo = self.b.ins().swiden_low(a);
        let blo = self.b.ins().swiden_low(b);
        let lo = self.b.ins().imul(alo, blo);
        let ahi = self.b.ins().swiden_high(a);
        let bhi = self.b.ins().swiden_high(b);
        let hi = self.b.ins().imul(ahi, bhi);
        self.b.ins().iadd_pairwise(lo, hi)
    }
}
