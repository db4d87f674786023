//! Decoding of constant expressions (global initialisers, segment offsets,
//! element items) into [`ConstExpr`].
//!
//! Only the operators 2.0 and extended constant expressions (3.0: `i32`
//! and `i64` `add`, `sub`, `mul`) allow in a constant expression can be
//! represented; any other operator is rejected here with the spec's
//! "constant expression required". Typing (a single value of the right
//! type, which globals may be read) is checked by `validate`.

use super::malformed;
use super::types::{ConstArith, ConstExpr, ConstOp, RefType, ValType};
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
            wp::Operator::V128Const { value } => ConstOp::V128Const(u128::from_le_bytes(*value.bytes())),
            wp::Operator::RefNull { hty } => ConstOp::RefNull(heap_type(hty, offset)?),
            wp::Operator::RefFunc { function_index } => ConstOp::RefFunc(function_index),
            wp::Operator::GlobalGet { global_index } => ConstOp::GlobalGet(global_index),
            wp::Operator::I32Add => ConstOp::Arith(ConstArith::I32Add),
            wp::Operator::I32Sub => ConstOp::Arith(ConstArith::I32Sub),
            wp::Operator::I32Mul => ConstOp::Arith(ConstArith::I32Mul),
            wp::Operator::I64Add => ConstOp::Arith(ConstArith::I64Add),
            wp::Operator::I64Sub => ConstOp::Arith(ConstArith::I64Sub),
            wp::Operator::I64Mul => ConstOp::Arith(ConstArith::I64Mul),
            _ => return Err(Error::Invalid { func: None, offset, message: "constant expression required".into() }),
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

/// The type of `ref.null hty`: `(ref null hty)`.
pub(crate) fn heap_type(hty: wp::HeapType, offset: usize) -> Result<RefType, Error> {
    let heap = super::convert::heap(hty, offset)?;
    match ValType::reference(true, heap) {
        ValType::FuncRef => Ok(RefType::FuncRef),
        ValType::ExternRef => Ok(RefType::ExternRef),
        ValType::Ref(r) => Ok(RefType::Typed(r)),
        other => Err(super::unsupported(offset, &format!("heap type {other} is"))),
    }
}
