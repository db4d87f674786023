//! Capturing an initialised group of instances, and restoring it.
//!
//! A snapshot (Faasm's Proto-Faaslet, Wizer's pre-initialisation) is the
//! state a program reached by running its initialisation: the contents and
//! size of its memory, the values of its globals, its tables, which
//! segments it dropped. Restoring it gives a new instance in that state
//! without running anything; its memory is mapped copy-on-write from the
//! snapshot's bytes (a [`MemoryImage`]), so a restore costs page-table
//! work, not a copy.
//!
//! A *group* is the instances that share state and are captured together:
//! one module, or a dynamically linked program's main module and the side
//! modules linked into it (they import the main module's memory and
//! table, and its table holds their functions). A function reference is
//! stored as ([`FuncSlot`]) the ordinal of its instance in the group and
//! its index there, because the addresses of funcrefs are per process.
//! Everything else a group imports (host functions, a loader's GOT
//! globals) is the embedder's to record and provide again.
//!
//! Restoring is two steps: [`Instance::restore`] builds each instance in
//! group order (memories, globals, table sizes, dropped segments; no data
//! or element segment is applied and no start function runs), then
//! [`fill_refs`] writes the references (table entries, reference globals)
//! once every instance they may point into exists.

use crate::error::Error;
use crate::instantiate::instance::Instance;
use crate::instantiate::memory_image::MemoryImage;
use crate::instantiate::store::{FuncRefOwner, Store, StoreInner};
use crate::parse::types::{RefType, ValType};
use crate::vm::layout::{VMFuncRef, ValRaw};
use serde::{Deserialize, Serialize};

/// A function reference, by position: function `func` (its index in the
/// module's function index space) of the group's instance `instance`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FuncSlot {
    pub instance: u32,
    pub func: u32,
}

/// A reference value in a snapshot.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RefSlot {
    Null,
    Func(FuncSlot),
}

/// A defined global's value: plain bits, or a reference.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum GlobalValue {
    Bits(u128),
    Ref(RefSlot),
}

/// The state of one instance, apart from its memory's bytes (which the
/// embedder stores as an image, see [`Instance::defined_memory_data`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceState {
    /// Each defined memory's size in wasm pages.
    pub memory_pages: Vec<u64>,
    /// Each defined global's value, in order.
    pub globals: Vec<GlobalValue>,
    /// Each defined table's elements (its size is their number).
    pub tables: Vec<Vec<RefSlot>>,
    /// Per data segment: dropped (`data.drop`, or active and applied).
    pub data_dropped: Vec<bool>,
    /// Per element segment: dropped.
    pub elements_dropped: Vec<bool>,
}

/// What [`Instance::restore`] starts an instance from.
pub struct Restore<'a> {
    pub state: &'a InstanceState,
    /// Memory 0's bytes (when the instance defines it): an image covering
    /// what is not zero, inside `state.memory_pages[0]` pages.
    pub memory0: Option<&'a MemoryImage>,
}

/// Captures `group` (instances of `store`, in the order they must be
/// restored). Fails on state a snapshot cannot hold: a reference to a
/// function outside the group or to a host function, a non-null
/// externref, or a second defined memory with contents.
pub fn capture(store: &Store, group: &[Instance]) -> Result<Vec<InstanceState>, Error> {
    let inner = &*store.inner;
    let ordinal = |store_index: u32| group.iter().position(|g| g.index == store_index && g.store == inner.id);
    let to_slot = |raw: usize, ty: RefType, what: &dyn Fn() -> String| -> Result<RefSlot, Error> {
        if raw == 0 {
            return Ok(RefSlot::Null);
        }
        if ty.erased() == RefType::ExternRef {
            return Err(Error::Instantiation(format!("{} holds an externref, which a snapshot cannot keep", what())));
        }
        match funcref_position(inner, raw) {
            Some((owner, func)) => match ordinal(owner) {
                Some(k) => Ok(RefSlot::Func(FuncSlot { instance: k as u32, func })),
                None => Err(Error::Instantiation(format!("{} refers to a function of an instance outside the snapshot", what()))),
            },
            None => Err(Error::Instantiation(format!("{} refers to a host function, which a snapshot cannot keep", what()))),
        }
    };
    let mut out = Vec::with_capacity(group.len());
    for (k, inst) in group.iter().enumerate() {
        let data = inst.data(store).ok_or_else(|| Error::Instantiation(format!("instance {k} is not in this store")))?;
        let info = data.module.info();
        let num_imported_mems = info.num_imported_memories as usize;
        let mut memory_pages = Vec::new();
        for (i, &m) in data.memory_objs.iter().enumerate().skip(num_imported_mems) {
            // SAFETY: memory objects are boxed in the store, alive with it.
            let m = unsafe { &*m };
            if i > 0 && m.data().iter().any(|&b| b != 0) {
                return Err(Error::Instantiation(format!("instance {k}: a snapshot keeps only memory 0's contents")));
            }
            memory_pages.push(m.size_pages());
        }
        let mut globals = Vec::new();
        let defined = info.globals.iter().enumerate().skip(info.num_imported_globals as usize);
        for (gi, ty) in defined {
            let cell = *data.globals.get(gi).ok_or_else(|| Error::Instantiation("global missing".into()))?;
            // SAFETY: every entry of `globals` points to a live global cell.
            let raw = unsafe { (*cell).value };
            globals.push(match ty.ty.erased() {
                ValType::FuncRef | ValType::ExternRef | ValType::Ref(_) => {
                    let rt = if ty.ty.erased() == ValType::ExternRef { RefType::ExternRef } else { RefType::FuncRef };
                    GlobalValue::Ref(to_slot(raw.get_ref() as usize, rt, &|| format!("instance {k} global {gi}"))?)
                }
                _ => GlobalValue::Bits(raw.0),
            });
        }
        let mut tables = Vec::new();
        for (ti, &t) in data.table_objs.iter().enumerate().skip(info.num_imported_tables as usize) {
            // SAFETY: table objects are boxed in the store, alive with it.
            let t = unsafe { &*t };
            let rt = t.ty.elem;
            let mut entries = Vec::with_capacity(t.elements.len());
            for (ei, &raw) in t.elements.iter().enumerate() {
                entries.push(to_slot(raw, rt, &|| format!("instance {k} table {ti} element {ei}"))?);
            }
            tables.push(entries);
        }
        out.push(InstanceState {
            memory_pages,
            globals,
            tables,
            data_dropped: data.data_dropped.clone(),
            elements_dropped: data.elements.iter().map(|e| e.is_none()).collect(),
        });
    }
    Ok(out)
}

/// Which instance's `funcs` array (store index) and which function index a
/// funcref pointer designates; None for host functions' funcrefs.
fn funcref_position(inner: &StoreInner, ptr: usize) -> Option<(u32, u32)> {
    let (&start, &(end, owner)) = inner.funcref_owners.range(..=ptr).next_back()?;
    if ptr >= end {
        return None;
    }
    match owner {
        FuncRefOwner::Instance(i) => Some((i, ((ptr - start) / std::mem::size_of::<VMFuncRef>()) as u32)),
        FuncRefOwner::Host(_) => None,
    }
}

/// Writes the references of `states` (captured from a group) into the
/// restored `group`: defined tables' elements and reference globals.
pub fn fill_refs(store: &mut Store, group: &[Instance], states: &[InstanceState]) -> Result<(), Error> {
    if group.len() != states.len() {
        return Err(Error::SnapshotMismatch(format!("{} instances restored for {} captured", group.len(), states.len())));
    }
    let inner = &mut *store.inner;
    // The funcref address of every FuncSlot, checked against the group.
    let mut funcs: Vec<(usize, usize)> = Vec::with_capacity(group.len());
    for inst in group {
        let data = inner
            .instances
            .get(inst.index as usize)
            .filter(|_| inst.store == inner.id)
            .ok_or_else(|| Error::Instantiation("a restored instance is not in this store".into()))?;
        funcs.push((data.funcs.as_ptr() as usize, data.funcs.len()));
    }
    let resolve = |slot: &RefSlot| -> Result<usize, Error> {
        match *slot {
            RefSlot::Null => Ok(0),
            RefSlot::Func(FuncSlot { instance, func }) => {
                let &(base, n) = funcs
                    .get(instance as usize)
                    .ok_or_else(|| Error::SnapshotMismatch(format!("it refers to instance {instance}, not restored")))?;
                if func as usize >= n {
                    return Err(Error::SnapshotMismatch(format!(
                        "it refers to function {func} of instance {instance}, which has {n}"
                    )));
                }
                Ok(base + func as usize * std::mem::size_of::<VMFuncRef>())
            }
        }
    };
    for (inst, state) in group.iter().zip(states) {
        // Every instance of the group was found in the store above.
        let data =
            inner.instances.get(inst.index as usize).ok_or_else(|| Error::internal("a restored instance left the store"))?;
        let info = data.module.info();
        let defined_tables = data.table_objs.iter().skip(info.num_imported_tables as usize);
        for (&t, entries) in defined_tables.zip(&state.tables) {
            // SAFETY: table objects are boxed in the store, alive with it;
            // nothing else holds a reference to this one while we write.
            let t = unsafe { &mut *t };
            if t.elements.len() != entries.len() {
                return Err(Error::SnapshotMismatch("a restored table has the wrong size".into()));
            }
            for (e, slot) in t.elements.iter_mut().zip(entries) {
                *e = resolve(slot)?;
            }
        }
        let defined_globals = data.globals.iter().skip(info.num_imported_globals as usize);
        for (&cell, value) in defined_globals.zip(&state.globals) {
            if let GlobalValue::Ref(slot) = value {
                let v = resolve(slot)?;
                // SAFETY: a live global cell of this instance; no compiled
                // code runs while we write.
                unsafe { (*cell).value = ValRaw::reference(v as u64) };
            }
        }
    }
    Ok(())
}

impl Instance {
    /// Instantiates `module` in the state `restore` describes instead of
    /// from its segments, initialisers and start function (see the module
    /// comment; call [`fill_refs`] once the whole group is restored).
    /// Imports are given and checked as by [`Instance::new`].
    pub fn restore(
        store: &mut Store,
        module: &crate::Module,
        imports: &[crate::Extern],
        restore: &Restore<'_>,
    ) -> Result<Instance, Error> {
        crate::instantiate::instance::restore(store, module, imports, restore)
    }

    /// The bytes of defined memory `index` of this instance (0 is the
    /// first memory the module itself defines), for writing a snapshot.
    pub fn defined_memory_data<'a>(&self, store: &'a Store, index: u32) -> Option<&'a [u8]> {
        let data = self.data(store)?;
        let i = data.module.info().num_imported_memories as usize + index as usize;
        let &m = data.memory_objs.get(i)?;
        // SAFETY: memory objects are boxed in the store, alive with it, and
        // `&Store` keeps compiled code of this store from running.
        Some(unsafe { &*m }.data())
    }
}

impl Instance {
    /// What this instance was given for each import, in the module's
    /// import order (a dynamic loader records these to restore a side
    /// module the same way).
    pub fn imports(&self, store: &Store) -> Vec<crate::Extern> {
        use crate::parse::types::ImportKind;
        use crate::Extern;
        let Some(data) = self.data(store) else { return Vec::new() };
        let (mut f, mut m, mut t, mut g) = (0usize, 0usize, 0usize, 0usize);
        let mut out = Vec::with_capacity(data.module.info().imports.len());
        for imp in &data.module.info().imports {
            let ext = match imp.kind {
                ImportKind::Func(_) => data.func_imports.get(f).map(|&x| Extern::Func(x)).inspect(|_| f += 1),
                ImportKind::Memory(_) => data.memory_handles.get(m).map(|&x| Extern::Memory(x)).inspect(|_| m += 1),
                ImportKind::Table(_) => data.table_handles.get(t).map(|&x| Extern::Table(x)).inspect(|_| t += 1),
                ImportKind::Global(_) => data.global_handles.get(g).map(|&x| Extern::Global(x)).inspect(|_| g += 1),
            };
            match ext {
                Some(e) => out.push(e),
                None => return Vec::new(),
            }
        }
        out
    }

    /// Function `index` of this instance's function index space.
    pub fn func_at(&self, store: &Store, index: u32) -> Option<crate::Func> {
        self.data(store)?.func_handle(self.store, self.index, index)
    }
}

impl crate::Func {
    /// The instance defining this function and its index there; None for a
    /// host function.
    pub fn position(&self) -> Option<(Instance, u32)> {
        match self.kind {
            crate::instantiate::func::FuncKind::Wasm { instance, index } => {
                Some((Instance { store: self.store, index: instance }, index))
            }
            crate::instantiate::func::FuncKind::Host(_) => None,
        }
    }
}
