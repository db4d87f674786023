//! Decoding of constant expressions (global initialisers, segment offsets,
//! element items) into [`ConstExpr`].
//!
//! Only the operators 2.0 allows in a constant expression can be
//! represented; any other operator (including the extended-const
//! arithmetic) is rejected here with the spec's "constant expression
//! required". Typing (a single value of the right type, which globals may
//! be read) is checked by `validate`.

use super::types::{ConstExpr, ConstOp, RefType};
use super::{malformed, unsupported};
use crate::Error;
use wasmparser as wp;

pub(crate) fn const_expr(expr: &wp::ConstExpr<'_>) -> Result<ConstExpr, Error> {
    let mut reader = expr.get_operators_reader();
    let mut ops = crate::parse::types::ConstOps::new();
    loop {
        let offset = reader.original_position();
        let op = reader.read().map_err(malformed)?;
        let c = match op {
            wp::Operator::End => break,
            wp::Operator::I32Const { value } => ConstOp::I32Const(value),
            wp::Operator::I64Const { value } => ConstOp::I64Const(value),
            wp::Operator::F32Const { value } => ConstOp::F32Const(value.bits()),
            wp::Operator::F64Const { value } => ConstOp::F64Const(value.bits()),
            wp::Operator::V128Const { value } => {
                ConstOp::V128Const(u128::from_le_bytes(*value.bytes()))
            }
            wp::Operator::RefNull { hty } => ConstOp::RefNull(heap_type(hty, offset)?),
            wp::Operator::RefFunc { function_index } => ConstOp::RefFunc(function_index),
            wp::Operator::GlobalGet { global_index } => ConstOp::GlobalGet(global_index),
            wp::Operator::I32Add
            | wp::Operator::I32Sub
            | wp::Operator::I32Mul
            | wp::Operator::I64Add
            | wp::Operator::I64Sub
            | wp::Operator::I64Mul => {
                return Err(Error::Invalid {
                    func: None,
                    offset,
                    message: "constant expression required: arithmetic in constant expressions \
                              (extended-const proposal) is not supported"
                        .into(),
                })
            }
            _ => {
                return Err(Error::Invalid {
                    func: None,
                    offset,
                    message: "constant expression required".into(),
                })
            }
        };
        ops.push(c);
    }
    if !reader.eof() {
        return Err(Error::Malformed {
            offset: reader.original_position(),
            message: "unexpected data after the end of a constant expression".into(),
        });
    }
    Ok(ConstExpr { ops })
}

/// The heap type of `ref.null`: only the two abstract 2.0 types.
pub(crate) fn heap_type(hty: wp::HeapType, offset: usize) -> Result<RefType, Error> {
    match hty {
        wp::HeapType::Abstract {
            shared: false,
            ty: wp::AbstractHeapType::Func,
        } => Ok(RefType::FuncRef),
        wp::HeapType::Abstract {
            shared: false,
            ty: wp::AbstractHeapType::Extern,
        } => Ok(RefType::ExternRef),
        other => Err(unsupported(offset, &format!("heap type {other:?} is"))),
    }
}
