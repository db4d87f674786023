//! Resolving imports by name, and the spec's import type matching.

use crate::error::{Error, Trap};
use crate::instantiate::func::{Caller, Func, FuncKind, HostFn};
use crate::instantiate::instance::{self, Instance};
use crate::instantiate::store::{Store, StoreInner};
use crate::instantiate::values::{Extern, Val};
use crate::module::Module;
use crate::parse::types::{FuncType, GlobalType, Import, ImportKind, MemoryType, TableType, ValType};
use crate::vm::layout::ValRaw;
use foldhash::fast::RandomState;
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Clone)]
enum Definition {
    /// An item bound to one store.
    Extern(Extern),
    /// A host function materialised into each store at instantiation.
    Host(Arc<FuncType>, HostFn),
}

/// Name -> definition map used to satisfy imports: module name, then item
/// name (two levels so that lookups borrow the import's names instead of
/// building owned keys on every instantiation).
#[derive(Clone, Default)]
pub struct Linker {
    defs: HashMap<String, HashMap<String, Definition, RandomState>, RandomState>,
}

impl std::fmt::Debug for Linker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut names: Vec<_> = self.defs.iter().flat_map(|(m, items)| items.keys().map(move |n| format!("{m}.{n}"))).collect();
        names.sort();
        f.debug_struct("Linker").field("defs", &names).finish()
    }
}

impl Linker {
    pub fn new() -> Linker {
        Linker::default()
    }

    fn insert(&mut self, module: &str, name: &str, def: Definition) {
        self.defs.entry(module.to_owned()).or_default().insert(name.to_owned(), def);
    }

    fn lookup(&self, module: &str, name: &str) -> Option<&Definition> {
        self.defs.get(module)?.get(name)
    }

    /// Defines `module.name` as a store-bound item (a later definition of
    /// the same name replaces an earlier one).
    pub fn define(&mut self, module: &str, name: &str, item: Extern) -> &mut Self {
        self.insert(module, name, Definition::Extern(item));
        self
    }

    /// Defines a host function with typed values.
    pub fn func_new(
        &mut self,
        module: &str,
        name: &str,
        ty: FuncType,
        f: impl Fn(&mut Caller<'_>, &[Val], &mut [Val]) -> Result<(), Trap> + Send + Sync + 'static,
    ) -> &mut Self {
        self.insert(module, name, Definition::Host(Arc::new(ty), HostFn::Typed(Arc::new(f))));
        self
    }

    /// Defines a host function on the raw value array.
    pub fn func_raw(
        &mut self,
        module: &str,
        name: &str,
        ty: FuncType,
        f: impl Fn(&mut Caller<'_>, &mut [ValRaw]) -> Result<(), Trap> + Send + Sync + 'static,
    ) -> &mut Self {
        self.insert(module, name, Definition::Host(Arc::new(ty), HostFn::Raw(Arc::new(f))));
        self
    }

    /// Registers every export of `instance` under `module`.
    pub fn instance(&mut self, store: &Store, module: &str, instance: Instance) -> &mut Self {
        for (name, ext) in instance.exports(store) {
            self.define(module, &name, ext);
        }
        self
    }

    /// The item defined as `module.name` in `store` (host functions are
    /// materialised into the store).
    pub fn get(&self, store: &mut Store, module: &str, name: &str) -> Option<Extern> {
        match self.lookup(module, name)? {
            Definition::Extern(e) => Some(*e),
            Definition::Host(ty, f) => Some(Extern::Func(Func::from_host_fn(store, ty.clone(), f.clone()))),
        }
    }

    /// Whether anything is defined as `module.name`.
    pub fn defines(&self, module: &str, name: &str) -> bool {
        self.lookup(module, name).is_some()
    }

    /// Instantiates `module`, resolving every import by name. Link errors
    /// name `module.name` and the expected and found types; a trap in
    /// segment initialisation or the start function is `Error::Trap`.
    pub fn instantiate(&self, store: &mut Store, module: &Module) -> Result<Instance, Error> {
        let imports = self.resolve(store, module)?;
        instance::instantiate(store, module, &imports)
    }

    /// Instantiates `module` from a snapshot's state (see
    /// [`Instance::restore`]), resolving imports as `instantiate` does.
    pub fn restore(&self, store: &mut Store, module: &Module, restore: &crate::Restore<'_>) -> Result<Instance, Error> {
        let imports = self.resolve(store, module)?;
        Instance::restore(store, module, &imports, restore)
    }

    /// Every import of `module`, by name, type-checked.
    fn resolve(&self, store: &mut Store, module: &Module) -> Result<Vec<Extern>, Error> {
        let mut imports = Vec::with_capacity(module.info().imports.len());
        for imp in &module.info().imports {
            let ext = match self.lookup(&imp.module, &imp.name) {
                None => {
                    return Err(Error::Link(format!(
                        "unknown import: `{}.{}` ({}) has not been defined",
                        imp.module,
                        imp.name,
                        describe_import(module, imp)
                    )))
                }
                Some(Definition::Extern(e)) => *e,
                Some(Definition::Host(ty, f)) => {
                    // Check before materialising, so a mismatch adds nothing to the store.
                    if let ImportKind::Func(t) = imp.kind {
                        let want = module.info().types.get(t as usize);
                        if want != Some(&**ty) {
                            return Err(mismatch(imp, &describe_import(module, imp), &fmt_func(ty)));
                        }
                    }
                    Extern::Func(Func::from_host_fn(store, ty.clone(), f.clone()))
                }
            };
            imports.push(ext);
        }
        Ok(imports)
    }
}

fn fmt_val(t: ValType) -> String {
    // Display, not `name`: a typed reference shows in full.
    t.to_string()
}

pub(crate) fn fmt_func(t: &FuncType) -> String {
    t.to_string()
}

fn fmt_limits(min: u64, max: Option<u64>) -> String {
    match max {
        Some(m) => format!("{{min {min}, max {m}}}"),
        None => format!("{{min {min}}}"),
    }
}

fn fmt_table(t: &TableType) -> String {
    format!("table {} {}", fmt_limits(t.min.into(), t.max.map(u64::from)), fmt_val(t.elem.into()))
}

fn fmt_memory(m: &MemoryType) -> String {
    format!("memory {}", fmt_limits(m.min, m.max))
}

fn fmt_global(g: &GlobalType) -> String {
    format!("global {}{}", if g.mutable { "mut " } else { "" }, fmt_val(g.ty))
}

fn describe_import(module: &Module, imp: &Import) -> String {
    match &imp.kind {
        ImportKind::Func(t) => match module.info().types.get(*t as usize) {
            Some(ft) => fmt_func(ft),
            None => format!("func of type {t}"),
        },
        ImportKind::Table(t) => fmt_table(t),
        ImportKind::Memory(m) => fmt_memory(m),
        ImportKind::Global(g) => fmt_global(g),
    }
}

fn mismatch(imp: &Import, expected: &str, found: &str) -> Error {
    Error::Link(format!("incompatible import type for `{}.{}`: expected {expected}, found {found}", imp.module, imp.name))
}

/// Limits subtyping: `actual` satisfies `required`.
fn limits_match(actual_min: u64, actual_max: Option<u64>, required_min: u64, required_max: Option<u64>) -> bool {
    actual_min >= required_min
        && match required_max {
            None => true,
            Some(rmax) => actual_max.is_some_and(|amax| amax <= rmax),
        }
}

/// Checks that `ext` may satisfy import `imp` of `module` (spec 2.0 matching).
pub(crate) fn check_import(inner: &StoreInner, module: &Module, imp: &Import, ext: &Extern) -> Result<(), Error> {
    // Only formatted on a mismatch: this runs for every import of every instance.
    let expected = || describe_import(module, imp);
    let foreign = || Error::Link(format!("import `{}.{}`: the item belongs to another store", imp.module, imp.name));
    match (&imp.kind, ext) {
        (ImportKind::Func(t), Extern::Func(f)) => {
            if f.store != inner.id {
                return Err(foreign());
            }
            let want = module.type_ids().get(*t as usize).copied();
            let (have_id, have_ty): (u32, &FuncType) = match f.kind {
                FuncKind::Host(h) => {
                    let d = inner.host_funcs.get(h as usize).ok_or_else(foreign)?;
                    (d.type_id, &d.ty)
                }
                FuncKind::Wasm { instance, index } => {
                    let d = inner.instances.get(instance as usize).ok_or_else(foreign)?;
                    let r = d.funcs.get(index as usize).ok_or_else(foreign)?;
                    (r.type_id, d.module.info().func_type(index))
                }
            };
            if want != Some(have_id) {
                return Err(mismatch(imp, &expected(), &fmt_func(have_ty)));
            }
        }
        (ImportKind::Table(want), Extern::Table(t)) => {
            let have = t.get_data(inner).ok_or_else(foreign)?.ty;
            // Both in engine-wide form (type indices are per module; see
            // `Module::engine_type`); element types must be equal.
            let ok = have.elem == module.engine_table_type(*want).elem
                && limits_match(have.min.into(), have.max.map(u64::from), want.min.into(), want.max.map(u64::from));
            if !ok {
                return Err(mismatch(imp, &expected(), &fmt_table(&have)));
            }
        }
        (ImportKind::Memory(want), Extern::Memory(m)) => {
            let have = m.get(inner).ok_or_else(foreign)?.ty();
            if !limits_match(have.min, have.max, want.min, want.max) {
                return Err(mismatch(imp, &expected(), &fmt_memory(&have)));
            }
        }
        (ImportKind::Global(want), Extern::Global(g)) => {
            let have = g.data(inner).ok_or_else(foreign)?.ty;
            // A constant global may be of a subtype (3.0), a mutable one
            // must have the very type; both in engine-wide form.
            let want_ty = module.engine_type(want.ty);
            let ok = have.mutable == want.mutable
                && if want.mutable { have.ty == want_ty } else { have.ty.matches_across_modules(want_ty) };
            if !ok {
                return Err(mismatch(imp, &expected(), &fmt_global(&have)));
            }
        }
        (_, other) => {
            let found = match other {
                Extern::Func(_) => "a function",
                Extern::Table(_) => "a table",
                Extern::Memory(_) => "a memory",
                Extern::Global(_) => "a global",
            };
            return Err(mismatch(imp, &expected(), found));
        }
    }
    Ok(())
}
