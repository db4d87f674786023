//! Fixed-width SIMD (the `simd` proposal, the vector instructions of
//! WebAssembly 2.0) and 3.0's relaxed SIMD: v128 loads and stores, lane
//! accesses with their lane-index bounds, shuffles, splats, and the
//! unary/binary/shift/test operators.

use crate::parse::ValType::{self, F32, F64, I32, I64, V128};
use crate::validate::func::FuncValidator;
use crate::Error;
use wasmparser::{MemArg, Operator as O};

/// What a SIMD operator needs checked beyond its stack signature.
enum Shape {
    /// Loads/stores: memarg with natural alignment (log2 bytes), and for
    /// lane loads/stores the number of lanes.
    Mem {
        memarg: MemArg,
        natural: u8,
        lane: Option<(u8, u8)>,
    },
    /// Lane accesses: (lane index, number of lanes).
    Lane(u8, u8),
    /// Shuffle: 16 lane indices into the 32 lanes of two vectors.
    Shuffle([u8; 16]),
    Plain,
}

/// Shape, parameters and result (`None` for stores) of a SIMD operator.
fn classify(op: &O<'_>) -> Option<(Shape, &'static [ValType], Option<ValType>)> {
    let mem = |memarg: MemArg, natural: u8| Shape::Mem { memarg, natural, lane: None };
    let lane_mem = |memarg: MemArg, natural: u8, lane: u8, lanes: u8| Shape::Mem { memarg, natural, lane: Some((lane, lanes)) };
    const LOAD: &[ValType] = &[I32];
    const STORE: &[ValType] = &[I32, V128];
    const UNARY: &[ValType] = &[V128];
    const BINARY: &[ValType] = &[V128, V128];
    const TERNARY: &[ValType] = &[V128, V128, V128];
    Some(match *op {
        O::V128Load { memarg } => (mem(memarg, 4), LOAD, Some(V128)),
        O::V128Load8x8S { memarg }
        | O::V128Load8x8U { memarg }
        | O::V128Load16x4S { memarg }
        | O::V128Load16x4U { memarg }
        | O::V128Load32x2S { memarg }
        | O::V128Load32x2U { memarg } => (mem(memarg, 3), LOAD, Some(V128)),
        O::V128Load8Splat { memarg } => (mem(memarg, 0), LOAD, Some(V128)),
        O::V128Load16Splat { memarg } => (mem(memarg, 1), LOAD, Some(V128)),
        O::V128Load32Splat { memarg } | O::V128Load32Zero { memarg } => (mem(memarg, 2), LOAD, Some(V128)),
        O::V128Load64Splat { memarg } | O::V128Load64Zero { memarg } => (mem(memarg, 3), LOAD, Some(V128)),
        O::V128Store { memarg } => (mem(memarg, 4), STORE, None),
        O::V128Load8Lane { memarg, lane } => (lane_mem(memarg, 0, lane, 16), STORE, Some(V128)),
        O::V128Load16Lane { memarg, lane } => (lane_mem(memarg, 1, lane, 8), STORE, Some(V128)),
        O::V128Load32Lane { memarg, lane } => (lane_mem(memarg, 2, lane, 4), STORE, Some(V128)),
        O::V128Load64Lane { memarg, lane } => (lane_mem(memarg, 3, lane, 2), STORE, Some(V128)),
        O::V128Store8Lane { memarg, lane } => (lane_mem(memarg, 0, lane, 16), STORE, None),
        O::V128Store16Lane { memarg, lane } => (lane_mem(memarg, 1, lane, 8), STORE, None),
        O::V128Store32Lane { memarg, lane } => (lane_mem(memarg, 2, lane, 4), STORE, None),
        O::V128Store64Lane { memarg, lane } => (lane_mem(memarg, 3, lane, 2), STORE, None),

        O::V128Const { .. } => (Shape::Plain, &[], Some(V128)),
        O::I8x16Shuffle { lanes } => (Shape::Shuffle(lanes), BINARY, Some(V128)),

        O::I8x16ExtractLaneS { lane } | O::I8x16ExtractLaneU { lane } => (Shape::Lane(lane, 16), UNARY, Some(I32)),
        O::I16x8ExtractLaneS { lane } | O::I16x8ExtractLaneU { lane } => (Shape::Lane(lane, 8), UNARY, Some(I32)),
        O::I32x4ExtractLane { lane } => (Shape::Lane(lane, 4), UNARY, Some(I32)),
        O::I64x2ExtractLane { lane } => (Shape::Lane(lane, 2), UNARY, Some(I64)),
        O::F32x4ExtractLane { lane } => (Shape::Lane(lane, 4), UNARY, Some(F32)),
        O::F64x2ExtractLane { lane } => (Shape::Lane(lane, 2), UNARY, Some(F64)),
        O::I8x16ReplaceLane { lane } => (Shape::Lane(lane, 16), &[V128, I32], Some(V128)),
        O::I16x8ReplaceLane { lane } => (Shape::Lane(lane, 8), &[V128, I32], Some(V128)),
        O::I32x4ReplaceLane { lane } => (Shape::Lane(lane, 4), &[V128, I32], Some(V128)),
        O::I64x2ReplaceLane { lane } => (Shape::Lane(lane, 2), &[V128, I64], Some(V128)),
        O::F32x4ReplaceLane { lane } => (Shape::Lane(lane, 4), &[V128, F32], Some(V128)),
        O::F64x2ReplaceLane { lane } => (Shape::Lane(lane, 2), &[V128, F64], Some(V128)),

        O::I8x16Splat | O::I16x8Splat | O::I32x4Splat => (Shape::Plain, &[I32], Some(V128)),
        O::I64x2Splat => (Shape::Plain, &[I64], Some(V128)),
        O::F32x4Splat => (Shape::Plain, &[F32], Some(V128)),
        O::F64x2Splat => (Shape::Plain, &[F64], Some(V128)),

        O::I8x16Shl
        | O::I8x16ShrS
        | O::I8x16ShrU
        | O::I16x8Shl
        | O::I16x8ShrS
        | O::I16x8ShrU
        | O::I32x4Shl
        | O::I32x4ShrS
        | O::I32x4ShrU
        | O::I64x2Shl
        | O::I64x2ShrS
        | O::I64x2ShrU => (Shape::Plain, &[V128, I32], Some(V128)),

        O::V128Bitselect => (Shape::Plain, &[V128, V128, V128], Some(V128)),

        O::V128AnyTrue
        | O::I8x16AllTrue
        | O::I8x16Bitmask
        | O::I16x8AllTrue
        | O::I16x8Bitmask
        | O::I32x4AllTrue
        | O::I32x4Bitmask
        | O::I64x2AllTrue
        | O::I64x2Bitmask => (Shape::Plain, UNARY, Some(I32)),

        O::V128Not
        | O::I8x16Abs
        | O::I8x16Neg
        | O::I8x16Popcnt
        | O::I16x8ExtAddPairwiseI8x16S
        | O::I16x8ExtAddPairwiseI8x16U
        | O::I16x8Abs
        | O::I16x8Neg
        | O::I16x8ExtendLowI8x16S
        | O::I16x8ExtendHighI8x16S
        | O::I16x8ExtendLowI8x16U
        | O::I16x8ExtendHighI8x16U
        | O::I32x4ExtAddPairwiseI16x8S
        | O::I32x4ExtAddPairwiseI16x8U
        | O::I32x4Abs
        | O::I32x4Neg
        | O::I32x4ExtendLowI16x8S
        | O::I32x4ExtendHighI16x8S
        | O::I32x4ExtendLowI16x8U
        | O::I32x4ExtendHighI16x8U
        | O::I64x2Abs
        | O::I64x2Neg
        | O::I64x2ExtendLowI32x4S
        | O::I64x2ExtendHighI32x4S
        | O::I64x2ExtendLowI32x4U
        | O::I64x2ExtendHighI32x4U
        | O::F32x4Ceil
        | O::F32x4Floor
        | O::F32x4Trunc
        | O::F32x4Nearest
        | O::F32x4Abs
        | O::F32x4Neg
        | O::F32x4Sqrt
        | O::F64x2Ceil
        | O::F64x2Floor
        | O::F64x2Trunc
        | O::F64x2Nearest
        | O::F64x2Abs
        | O::F64x2Neg
        | O::F64x2Sqrt
        | O::I32x4TruncSatF32x4S
        | O::I32x4TruncSatF32x4U
        | O::F32x4ConvertI32x4S
        | O::F32x4ConvertI32x4U
        | O::I32x4TruncSatF64x2SZero
        | O::I32x4TruncSatF64x2UZero
        | O::F64x2ConvertLowI32x4S
        | O::F64x2ConvertLowI32x4U
        | O::F32x4DemoteF64x2Zero
        | O::F64x2PromoteLowF32x4 => (Shape::Plain, UNARY, Some(V128)),

        O::I8x16Swizzle
        | O::I8x16Eq
        | O::I8x16Ne
        | O::I8x16LtS
        | O::I8x16LtU
        | O::I8x16GtS
        | O::I8x16GtU
        | O::I8x16LeS
        | O::I8x16LeU
        | O::I8x16GeS
        | O::I8x16GeU
        | O::I16x8Eq
        | O::I16x8Ne
        | O::I16x8LtS
        | O::I16x8LtU
        | O::I16x8GtS
        | O::I16x8GtU
        | O::I16x8LeS
        | O::I16x8LeU
        | O::I16x8GeS
        | O::I16x8GeU
        | O::I32x4Eq
        | O::I32x4Ne
        | O::I32x4LtS
        | O::I32x4LtU
        | O::I32x4GtS
        | O::I32x4GtU
        | O::I32x4LeS
        | O::I32x4LeU
        | O::I32x4GeS
        | O::I32x4GeU
        | O::I64x2Eq
        | O::I64x2Ne
        | O::I64x2LtS
        | O::I64x2GtS
        | O::I64x2LeS
        | O::I64x2GeS
        | O::F32x4Eq
        | O::F32x4Ne
        | O::F32x4Lt
        | O::F32x4Gt
        | O::F32x4Le
        | O::F32x4Ge
        | O::F64x2Eq
        | O::F64x2Ne
        | O::F64x2Lt
        | O::F64x2Gt
        | O::F64x2Le
        | O::F64x2Ge
        | O::V128And
        | O::V128AndNot
        | O::V128Or
        | O::V128Xor
        | O::I8x16NarrowI16x8S
        | O::I8x16NarrowI16x8U
        | O::I8x16Add
        | O::I8x16AddSatS
        | O::I8x16AddSatU
        | O::I8x16Sub
        | O::I8x16SubSatS
        | O::I8x16SubSatU
        | O::I8x16MinS
        | O::I8x16MinU
        | O::I8x16MaxS
        | O::I8x16MaxU
        | O::I8x16AvgrU
        | O::I16x8Q15MulrSatS
        | O::I16x8NarrowI32x4S
        | O::I16x8NarrowI32x4U
        | O::I16x8Add
        | O::I16x8AddSatS
        | O::I16x8AddSatU
        | O::I16x8Sub
        | O::I16x8SubSatS
        | O::I16x8SubSatU
        | O::I16x8Mul
        | O::I16x8MinS
        | O::I16x8MinU
        | O::I16x8MaxS
        | O::I16x8MaxU
        | O::I16x8AvgrU
        | O::I16x8ExtMulLowI8x16S
        | O::I16x8ExtMulHighI8x16S
        | O::I16x8ExtMulLowI8x16U
        | O::I16x8ExtMulHighI8x16U
        | O::I32x4Add
        | O::I32x4Sub
        | O::I32x4Mul
        | O::I32x4MinS
        | O::I32x4MinU
        | O::I32x4MaxS
        | O::I32x4MaxU
        | O::I32x4DotI16x8S
        | O::I32x4ExtMulLowI16x8S
        | O::I32x4ExtMulHighI16x8S
        | O::I32x4ExtMulLowI16x8U
        | O::I32x4ExtMulHighI16x8U
        | O::I64x2Add
        | O::I64x2Sub
        | O::I64x2Mul
        | O::I64x2ExtMulLowI32x4S
        | O::I64x2ExtMulHighI32x4S
        | O::I64x2ExtMulLowI32x4U
        | O::I64x2ExtMulHighI32x4U
        | O::F32x4Add
        | O::F32x4Sub
        | O::F32x4Mul
        | O::F32x4Div
        | O::F32x4Min
        | O::F32x4Max
        | O::F32x4PMin
        | O::F32x4PMax
        | O::F64x2Add
        | O::F64x2Sub
        | O::F64x2Mul
        | O::F64x2Div
        | O::F64x2Min
        | O::F64x2Max
        | O::F64x2PMin
        | O::F64x2PMax => (Shape::Plain, BINARY, Some(V128)),
        // Relaxed SIMD (3.0).
        O::I32x4RelaxedTruncF32x4S
        | O::I32x4RelaxedTruncF32x4U
        | O::I32x4RelaxedTruncF64x2SZero
        | O::I32x4RelaxedTruncF64x2UZero => (Shape::Plain, UNARY, Some(V128)),
        O::I8x16RelaxedSwizzle
        | O::F32x4RelaxedMin
        | O::F32x4RelaxedMax
        | O::F64x2RelaxedMin
        | O::F64x2RelaxedMax
        | O::I16x8RelaxedQ15mulrS
        | O::I16x8RelaxedDotI8x16I7x16S => (Shape::Plain, BINARY, Some(V128)),
        O::F32x4RelaxedMadd
        | O::F32x4RelaxedNmadd
        | O::F64x2RelaxedMadd
        | O::F64x2RelaxedNmadd
        | O::I8x16RelaxedLaneselect
        | O::I16x8RelaxedLaneselect
        | O::I32x4RelaxedLaneselect
        | O::I64x2RelaxedLaneselect
        | O::I32x4RelaxedDotI8x16I7x16AddS => (Shape::Plain, TERNARY, Some(V128)),
        _ => return None,
    })
}

impl<'a> FuncValidator<'a> {
    pub(in crate::validate) fn simd(&mut self, op: &O<'_>) -> Result<bool, Error> {
        let Some((shape, params, result)) = classify(op) else {
            return Ok(false);
        };
        match shape {
            Shape::Mem { memarg, natural, lane } => {
                self.memarg(&memarg, natural)?;
                if let Some((lane, lanes)) = lane {
                    self.lane(lane, lanes)?;
                }
            }
            Shape::Lane(lane, lanes) => self.lane(lane, lanes)?,
            Shape::Shuffle(lanes) => {
                for l in lanes {
                    self.lane(l, 32)?;
                }
            }
            Shape::Plain => {}
        }
        for p in params.iter().rev() {
            self.pop_expect(*p)?;
        }
        if let Some(r) = result {
            self.push(r);
        }
        Ok(true)
    }

    fn lane(&self, lane: u8, lanes: u8) -> Result<(), Error> {
        if lane < lanes {
            Ok(())
        } else {
            Err(self.err(format!("invalid lane index {lane} (must be below {lanes})")))
        }
    }
}
