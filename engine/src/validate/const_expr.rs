//! Typing of constant expressions (global initialisers, segment offsets,
//! element items).
//!
//! `parse` already refused every non-constant operator. What is left to
//! check: the operators leave exactly one value of the expected type,
//! `global.get` names an *imported immutable* global (2.0 lets constant
//! expressions read nothing else), and `ref.func` names a function.

use crate::parse::{ConstExpr, ConstOp, ModuleInfo, ValType};

/// Why a constant expression is invalid (the caller adds the offset).
pub type ConstError = String;

/// Where a constant expression occurs: a global initialiser sees only
/// the imported globals (the spec validates globals under a context
/// holding just those), segment offsets and items see all globals but
/// may still only read imported ones (wasmparser's and 2.0's rule).
#[derive(Copy, Clone, PartialEq, Eq)]
pub enum Site {
    GlobalInit,
    Segment,
}

/// Checks that `expr` is a constant expression of type `expected`.
pub fn check(
    info: &ModuleInfo,
    expr: &ConstExpr,
    expected: ValType,
    site: Site,
) -> Result<(), ConstError> {
    let mut stack: Vec<ValType> = Vec::new();
    for op in &expr.ops {
        let ty = match *op {
            ConstOp::I32Const(_) => ValType::I32,
            ConstOp::I64Const(_) => ValType::I64,
            ConstOp::F32Const(_) => ValType::F32,
            ConstOp::F64Const(_) => ValType::F64,
            ConstOp::V128Const(_) => ValType::V128,
            ConstOp::RefNull(r) => r.into(),
            ConstOp::RefFunc(f) => {
                if f as usize >= info.functions.len() {
                    return Err(format!("unknown function {f}"));
                }
                ValType::FuncRef
            }
            ConstOp::GlobalGet(g) => {
                let Some(global) = info.globals.get(g as usize) else {
                    return Err(format!("unknown global {g}"));
                };
                if g >= info.num_imported_globals && site == Site::GlobalInit {
                    return Err(format!(
                        "unknown global {g}: a global initialiser can only read imported globals"
                    ));
                }
                if g >= info.num_imported_globals {
                    return Err(
                        "constant expression required: global.get of a global defined in this module"
                            .into(),
                    );
                }
                if global.mutable {
                    return Err(
                        "constant expression required: global.get of a mutable global".into(),
                    );
                }
                global.ty
            }
        };
        stack.push(ty);
    }
    match stack.as_slice() {
        [t] if *t == expected => Ok(()),
        [t] => Err(format!(
            "type mismatch: expected {}, found {}",
            expected,
            t
        )),
        [] => Err(format!(
            "type mismatch: expected {}, found nothing",
            expected
        )),
        _ => Err(format!(
            "type mismatch: constant expression leaves {} values",
            stack.len()
        )),
    }
}
