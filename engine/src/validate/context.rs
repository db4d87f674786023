//! Module-level facts every function body is checked against, computed
//! once before the bodies are validated in parallel.

use super::subtype::Subtyping;
use crate::parse::{ConstOp, ElementItems, ExternKind, ModuleInfo};

/// What function bodies need to know about their module.
pub struct Context<'a> {
    pub info: &'a ModuleInfo,
    /// `declared[f]`: function `f` may be named by `ref.func` in a body
    /// because it occurs in an element segment, an export or a global
    /// initialiser (the spec's C.refs).
    declared: Vec<bool>,
    /// Type equivalence and subtyping of the module's types.
    pub sub: Subtyping,
}

impl<'a> Context<'a> {
    pub fn new(info: &'a ModuleInfo) -> Context<'a> {
        let mut declared = vec![false; info.functions.len()];
        let mut mark = |f: u32| {
            if let Some(d) = declared.get_mut(f as usize) {
                *d = true;
            }
        };
        for seg in &info.elements {
            if let ElementItems::Funcs(funcs) = &seg.items {
                funcs.iter().for_each(|&f| mark(f));
            }
        }
        let exprs = info.global_inits.iter().chain(info.table_inits.iter().flatten()).chain(info.elements.iter().flat_map(|e| {
            match &e.items {
                ElementItems::Exprs(exprs) => exprs.as_slice(),
                ElementItems::Funcs(_) => &[],
            }
        }));
        for expr in exprs {
            for op in &expr.ops {
                if let ConstOp::RefFunc(f) = op {
                    mark(*f);
                }
            }
        }
        for e in &info.exports {
            if e.kind == ExternKind::Func {
                mark(e.index);
            }
        }
        Context { info, declared, sub: Subtyping::new(&info.types) }
    }

    /// Whether `ref.func f` is allowed in a function body.
    pub fn is_declared(&self, f: u32) -> bool {
        self.declared.get(f as usize).copied().unwrap_or(false)
    }
}
