//! Typing of constant expressions (global initialisers, segment offsets,
//! element items).
//!
//! `parse` already refused every non-constant operator. What is left to
//! check: the operators leave exactly one value of the expected type (the
//! extended-const arithmetic consuming two of its own type),
//! `global.get` names an *imported immutable* global (2.0 lets constant
//! expressions read nothing else; 3.0 widens that only with GC), and
//! `ref.func` names a function. The value's type must match the expected
//! one by subtyping (`ref.func` is a typed reference).

use super::subtype::{check_indices, Subtyping};
use crate::parse::{ConstExpr, ConstOp, HeapType, ModuleInfo, ValType};

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
pub fn check(info: &ModuleInfo, sub: &Subtyping, expr: &ConstExpr, expected: ValType, site: Site) -> Result<(), ConstError> {
    let mut stack: Vec<ValType> = Vec::new();
    for op in &expr.ops {
        let ty = match *op {
            ConstOp::I32Const(_) => ValType::I32,
            ConstOp::I64Const(_) => ValType::I64,
            ConstOp::F32Const(_) => ValType::F32,
            ConstOp::F64Const(_) => ValType::F64,
            ConstOp::V128Const(_) => ValType::V128,
            ConstOp::RefNull(r) => {
                check_indices(r.into(), info.types.len())?;
                r.into()
            }
            // 3.0: `ref.func f` has type `(ref $t)`, `$t` the type of `f`.
            ConstOp::RefFunc(f) => match info.functions.get(f as usize) {
                Some(&t) => ValType::reference(false, HeapType::Concrete(t)),
                None => return Err(format!("unknown function {f}")),
            },
            ConstOp::GlobalGet(g) => {
                let Some(global) = info.globals.get(g as usize) else {
                    return Err(format!("unknown global {g}"));
                };
                if g >= info.num_imported_globals && site == Site::GlobalInit {
                    return Err(format!("unknown global {g}: a global initialiser can only read imported globals"));
                }
                if g >= info.num_imported_globals {
                    return Err("constant expression required: global.get of a global defined in this module".into());
                }
                if global.mutable {
                    return Err("constant expression required: global.get of a mutable global".into());
                }
                global.ty
            }
            ConstOp::Arith(a) => {
                let want = a.ty();
                for _ in 0..2 {
                    match stack.pop() {
                        Some(t) if t == want => {}
                        Some(t) => return Err(format!("type mismatch: expected {want}, found {t}")),
                        None => return Err(format!("type mismatch: expected {want} but nothing on stack")),
                    }
                }
                want
            }
        };
        stack.push(ty);
    }
    match stack.as_slice() {
        [t] if sub.matches(*t, expected) => Ok(()),
        [t] => Err(format!("type mismatch: expected {}, found {}", expected, t)),
        [] => Err(format!("type mismatch: expected {}, found nothing", expected)),
        _ => Err(format!("type mismatch: constant expression leaves {} values", stack.len())),
    }
}
