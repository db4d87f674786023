//! Numeric instructions of 2.0: constants, tests, comparisons, unary and
//! binary arithmetic, conversions (including sign extension and the
//! saturating float-to-int conversions). Each has a fixed signature.

use crate::parse::ValType::{self, F32, F64, I32, I64};
use crate::validate::func::FuncValidator;
use crate::Error;
use wasmparser::Operator as O;

/// Parameters and (single) result of a numeric operator.
type Sig = (&'static [ValType], ValType);

fn signature(op: &O<'_>) -> Option<Sig> {
    Some(match op {
        O::I32Const { .. } => (&[], I32),
        O::I64Const { .. } => (&[], I64),
        O::F32Const { .. } => (&[], F32),
        O::F64Const { .. } => (&[], F64),

        O::I32Eqz => (&[I32], I32),
        O::I64Eqz => (&[I64], I32),

        O::I32Eq | O::I32Ne | O::I32LtS | O::I32LtU | O::I32GtS | O::I32GtU | O::I32LeS | O::I32LeU | O::I32GeS | O::I32GeU => {
            (&[I32, I32], I32)
        }
        O::I64Eq | O::I64Ne | O::I64LtS | O::I64LtU | O::I64GtS | O::I64GtU | O::I64LeS | O::I64LeU | O::I64GeS | O::I64GeU => {
            (&[I64, I64], I32)
        }
        O::F32Eq | O::F32Ne | O::F32Lt | O::F32Gt | O::F32Le | O::F32Ge => (&[F32, F32], I32),
        O::F64Eq | O::F64Ne | O::F64Lt | O::F64Gt | O::F64Le | O::F64Ge => (&[F64, F64], I32),

        O::I32Clz | O::I32Ctz | O::I32Popcnt | O::I32Extend8S | O::I32Extend16S => (&[I32], I32),
        O::I64Clz | O::I64Ctz | O::I64Popcnt | O::I64Extend8S | O::I64Extend16S | O::I64Extend32S => (&[I64], I64),
        O::F32Abs | O::F32Neg | O::F32Ceil | O::F32Floor | O::F32Trunc | O::F32Nearest | O::F32Sqrt => (&[F32], F32),
        O::F64Abs | O::F64Neg | O::F64Ceil | O::F64Floor | O::F64Trunc | O::F64Nearest | O::F64Sqrt => (&[F64], F64),

        O::I32Add
        | O::I32Sub
        | O::I32Mul
        | O::I32DivS
        | O::I32DivU
        | O::I32RemS
        | O::I32RemU
        | O::I32And
        | O::I32Or
        | O::I32Xor
        | O::I32Shl
        | O::I32ShrS
        | O::I32ShrU
        | O::I32Rotl
        | O::I32Rotr => (&[I32, I32], I32),
        O::I64Add
        | O::I64Sub
        | O::I64Mul
        | O::I64DivS
        | O::I64DivU
        | O::I64RemS
        | O::I64RemU
        | O::I64And
        | O::I64Or
        | O::I64Xor
        | O::I64Shl
        | O::I64ShrS
        | O::I64ShrU
        | O::I64Rotl
        | O::I64Rotr => (&[I64, I64], I64),
        O::F32Add | O::F32Sub | O::F32Mul | O::F32Div | O::F32Min | O::F32Max | O::F32Copysign => (&[F32, F32], F32),
        O::F64Add | O::F64Sub | O::F64Mul | O::F64Div | O::F64Min | O::F64Max | O::F64Copysign => (&[F64, F64], F64),

        O::I32WrapI64 => (&[I64], I32),
        O::I32TruncF32S | O::I32TruncF32U | O::I32TruncSatF32S | O::I32TruncSatF32U | O::I32ReinterpretF32 => (&[F32], I32),
        O::I32TruncF64S | O::I32TruncF64U | O::I32TruncSatF64S | O::I32TruncSatF64U => (&[F64], I32),
        O::I64ExtendI32S | O::I64ExtendI32U => (&[I32], I64),
        O::I64TruncF32S | O::I64TruncF32U | O::I64TruncSatF32S | O::I64TruncSatF32U => (&[F32], I64),
        O::I64TruncF64S | O::I64TruncF64U | O::I64TruncSatF64S | O::I64TruncSatF64U | O::I64ReinterpretF64 => (&[F64], I64),
        O::F32ConvertI32S | O::F32ConvertI32U | O::F32ReinterpretI32 => (&[I32], F32),
        O::F32ConvertI64S | O::F32ConvertI64U => (&[I64], F32),
        O::F32DemoteF64 => (&[F64], F32),
        O::F64ConvertI32S | O::F64ConvertI32U => (&[I32], F64),
        O::F64ConvertI64S | O::F64ConvertI64U | O::F64ReinterpretI64 => (&[I64], F64),
        O::F64PromoteF32 => (&[F32], F64),
        _ => return None,
    })
}

impl<'a> FuncValidator<'a> {
    pub(in crate::validate) fn numeric(&mut self, op: &O<'_>) -> Result<bool, Error> {
        let Some((params, result)) = signature(op) else {
            return Ok(false);
        };
        for p in params.iter().rev() {
            self.pop_expect(*p)?;
        }
        self.push(result);
        Ok(true)
    }
}
