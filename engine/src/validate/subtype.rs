//! Matching of value types (WebAssembly 3.0 subtyping, without GC):
//! `(ref $t) <: (ref null $t) <: funcref`, `(ref $t) <: (ref func)`, and
//! `(ref extern) <: externref`. Two type indices denote the same type
//! when their function types are structurally equal once the types they
//! refer to are replaced by their own canonical representatives (3.0's
//! type equivalence for types outside explicit recursion groups, which
//! the engine does not support; without them a type refers to earlier
//! types only).

use crate::parse::{FuncType, HeapType, ValType};
use std::collections::HashMap;

/// The canonical representative of every type index of a module.
pub struct Subtyping {
    /// `canon[i]`: the lowest type index equivalent to type `i`.
    canon: Vec<u32>,
}

/// Stands for "this very type" in a canonical key. `module::types` refuses
/// a type referring to itself or to a later one (that needs GC's recursion
/// groups), so valid modules never produce it; it keeps the keys of
/// invalid ones well defined.
const SELF: u32 = u32::MAX;

impl Subtyping {
    pub fn new(types: &[FuncType]) -> Subtyping {
        let mut canon: Vec<u32> = Vec::with_capacity(types.len());
        let mut first: HashMap<FuncType, u32> = HashMap::new();
        for (i, ty) in types.iter().enumerate() {
            let key = ty.map_concrete(|j| {
                HeapType::Concrete(match (j as usize).cmp(&i) {
                    std::cmp::Ordering::Less => canon.get(j as usize).copied().unwrap_or(j),
                    std::cmp::Ordering::Equal => SELF,
                    // A forward reference makes the module invalid (see
                    // `module::types`); keep it distinct from everything.
                    std::cmp::Ordering::Greater => SELF - 1 - j.min(SELF - 2),
                })
            });
            let id = *first.entry(key).or_insert(i as u32);
            canon.push(id);
        }
        Subtyping { canon }
    }

    fn canon(&self, i: u32) -> u32 {
        self.canon.get(i as usize).copied().unwrap_or(i)
    }

    /// Whether type indices `a` and `b` denote the same function type.
    pub fn same_type(&self, a: u32, b: u32) -> bool {
        self.canon(a) == self.canon(b)
    }

    /// Whether a value of type `a` can be used where `b` is expected.
    pub fn matches(&self, a: ValType, b: ValType) -> bool {
        if a == b {
            return true;
        }
        match (a.as_reference(), b.as_reference()) {
            (Some((a_null, a_heap)), Some((b_null, b_heap))) => (!a_null || b_null) && self.heap_matches(a_heap, b_heap),
            _ => false,
        }
    }

    /// Whether heap type `a` is a subtype of `b`.
    pub fn heap_matches(&self, a: HeapType, b: HeapType) -> bool {
        match (a, b) {
            (HeapType::Func, HeapType::Func) | (HeapType::Extern, HeapType::Extern) => true,
            (HeapType::Concrete(_), HeapType::Func) => true,
            (HeapType::Concrete(i), HeapType::Concrete(j)) => self.same_type(i, j),
            _ => false,
        }
    }

    /// Whether every type of `a` matches the one at the same place in `b`.
    pub fn all_match(&self, a: &[ValType], b: &[ValType]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| self.matches(*x, *y))
    }
}

/// Checks that a type refers only to type indices below `limit`.
pub fn check_indices(t: ValType, limit: usize) -> Result<(), String> {
    match t {
        ValType::Ref(r) => match r.heap {
            HeapType::Concrete(i) if i as usize >= limit => Err(format!("unknown type {i}")),
            HeapType::Engine(_) => Err("type mismatch: engine signature id in a module type".into()),
            _ => Ok(()),
        },
        _ => Ok(()),
    }
}
