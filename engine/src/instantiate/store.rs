//! The store: owner of every runtime object (instances, memories, tables,
//! globals, host functions). Handles are indices into it, tagged with the
//! store's id so a handle of another store is refused rather than misused.
//!
//! The contents live in a `Box<StoreInner>`, so the addresses compiled code
//! holds (VMContexts, VMMemory/VMTable/VMGlobal records, VMFuncRefs) never
//! move while the `Store` value itself is moved around. Nothing is freed
//! before the store drops: compiled code may hold pointers to anything.

use crate::engine::Engine;
use crate::error::Error;
use crate::instantiate::func::{Func, FuncKind, HostFuncData};
use crate::instantiate::global::{Global, GlobalData};
use crate::instantiate::instance::InstanceData;
use crate::instantiate::memory::{LinearMemory, Memory};
use crate::instantiate::table::{Table, TableData};
use crate::instantiate::values::Val;
use crate::parse::types::{RefType, ValType};
use crate::run::interrupt::InterruptHandle;
use crate::vm::layout::{VMFuncRef, VMLimits, ValRaw};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

static NEXT_STORE_ID: AtomicU64 = AtomicU64::new(1);

/// Owns instances and everything they use; see the module docs.
pub struct Store {
    pub(crate) inner: Box<StoreInner>,
}

/// Who owns a block of `VMFuncRef`s (to turn a funcref back into a `Func`).
#[derive(Copy, Clone, Debug)]
pub(crate) enum FuncRefOwner {
    /// An instance's `funcs` array.
    Instance(u32),
    /// A host function's own funcref.
    Host(u32),
}

// Every object is boxed on its own: compiled code and other instances hold
// pointers to them, which must survive the Vec growing.
#[allow(clippy::vec_box)]
pub(crate) struct StoreInner {
    pub id: u64,
    pub engine: Engine,
    /// Shared by every instance of this store.
    pub limits: VMLimits,
    /// Owns the flag `limits.interrupt` points to.
    pub interrupt: InterruptHandle,
    /// Most bytes any one linear memory of this store may have (`None`: only
    /// the wasm limits); see [`Store::set_memory_limit`].
    pub memory_limit: Option<u64>,
    pub instances: Vec<Box<InstanceData>>,
    pub memories: Vec<Box<LinearMemory>>,
    pub tables: Vec<Box<TableData>>,
    pub globals: Vec<Box<GlobalData>>,
    pub host_funcs: Vec<Box<HostFuncData>>,
    /// Start address of each block of VMFuncRefs -> (end address, owner).
    pub funcref_owners: BTreeMap<usize, (usize, FuncRefOwner)>,
    /// The `Store` that contains this inner, as of the latest entry from the
    /// host (set by every `&mut Store` entry point before running code, so
    /// host functions called from wasm can be given `&mut Store`).
    pub outer: *mut Store,
}

// SAFETY: a Store is used by one thread at a time (it is not Sync); the raw
// pointers inside point to memory the store owns (or to modules/engines it
// keeps alive), and host closures are required to be Send + Sync.
unsafe impl Send for Store {}

impl Store {
    pub fn new(engine: &Engine) -> Store {
        let interrupt = InterruptHandle::new();
        Store {
            inner: Box::new(StoreInner {
                id: NEXT_STORE_ID.fetch_add(1, Ordering::Relaxed),
                engine: engine.clone(),
                limits: VMLimits { stack_limit: 0, interrupt: interrupt.flag_ptr() },
                interrupt,
                memory_limit: None,
                instances: Vec::new(),
                memories: Vec::new(),
                tables: Vec::new(),
                globals: Vec::new(),
                host_funcs: Vec::new(),
                funcref_owners: BTreeMap::new(),
                outer: std::ptr::null_mut(),
            }),
        }
    }

    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// A handle that stops this store's guest code from any thread: it
    /// traps with `TrapKind::Interrupt` at its next function entry or loop
    /// header, and host functions blocked on the handle's `wait_fd` wake.
    pub fn interrupt_handle(&self) -> InterruptHandle {
        self.inner.interrupt.clone()
    }

    /// Caps every linear memory created in this store from now on at
    /// `bytes` (rounded down to whole pages): `memory.grow` past it fails
    /// (returns -1), and instantiating a module whose memory starts above
    /// it is an error. `None` leaves only the wasm limits.
    pub fn set_memory_limit(&mut self, bytes: Option<u64>) {
        self.inner.memory_limit = bytes;
    }

    pub fn memory_limit(&self) -> Option<u64> {
        self.inner.memory_limit
    }

    /// Records where this `Store` is, for host functions called from the
    /// code about to run.
    pub(crate) fn enter(&mut self) {
        let me: *mut Store = self;
        self.inner.outer = me;
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("id", &self.inner.id).field("instances", &self.inner.instances.len()).finish()
    }
}

impl StoreInner {
    pub fn push_memory(&mut self, m: LinearMemory) -> Memory {
        self.memories.push(Box::new(m));
        Memory { store: self.id, index: (self.memories.len() - 1) as u32 }
    }

    pub fn push_table(&mut self, t: TableData) -> Table {
        self.tables.push(Box::new(t));
        Table { store: self.id, index: (self.tables.len() - 1) as u32 }
    }

    pub fn push_global(&mut self, g: GlobalData) -> Global {
        self.globals.push(Box::new(g));
        Global { store: self.id, index: (self.globals.len() - 1) as u32 }
    }

    pub fn push_host_func(&mut self, h: HostFuncData) -> Func {
        self.host_funcs.push(Box::new(h));
        Func { store: self.id, kind: FuncKind::Host((self.host_funcs.len() - 1) as u32) }
    }

    /// The `*const VMFuncRef` to use for `func` as a funcref value. A host
    /// function gets its own VMFuncRef on first use, with the engine's
    /// wasm-to-host trampoline for its type.
    pub fn funcref_of(&mut self, func: Func) -> Result<*const VMFuncRef, Error> {
        if func.store != self.id {
            return Err(Error::ForeignHandle);
        }
        // A handle of this store names a function it has: stores only add.
        let missing = || Error::internal("a function handle of this store names no function of it");
        match func.kind {
            FuncKind::Wasm { instance, index } => {
                let inst = self.instances.get(instance as usize).ok_or_else(missing)?;
                inst.funcs.get(index as usize).map(|f| f as *const VMFuncRef).ok_or_else(missing)
            }
            FuncKind::Host(h) => {
                let engine = self.engine.clone();
                let data = self.host_funcs.get_mut(h as usize).ok_or_else(missing)?;
                if data.funcref.code.is_null() {
                    data.funcref.code = engine.host_trampoline(&data.ty)?;
                    let addr = &data.funcref as *const VMFuncRef as usize;
                    self.funcref_owners.insert(addr, (addr + std::mem::size_of::<VMFuncRef>(), FuncRefOwner::Host(h)));
                }
                let data = self.host_funcs.get(h as usize).ok_or_else(missing)?;
                Ok(&data.funcref as *const VMFuncRef)
            }
        }
    }

    /// The `Func` a non-null funcref value designates (None if the pointer
    /// is not one of this store's funcrefs).
    pub fn func_of_funcref(&self, ptr: usize) -> Option<Func> {
        let (&start, &(end, owner)) = self.funcref_owners.range(..=ptr).next_back()?;
        if ptr >= end {
            return None;
        }
        match owner {
            FuncRefOwner::Host(h) => Some(Func { store: self.id, kind: FuncKind::Host(h) }),
            FuncRefOwner::Instance(i) => {
                let index = ((ptr - start) / std::mem::size_of::<VMFuncRef>()) as u32;
                self.instances.get(i as usize)?.func_handle(self.id, i, index)
            }
        }
    }

    /// A value as a ValRaw (funcrefs as VMFuncRef pointers).
    pub fn val_to_raw(&mut self, v: &Val) -> Result<ValRaw, Error> {
        Ok(match *v {
            Val::I32(x) => ValRaw::i32(x),
            Val::I64(x) => ValRaw::i64(x),
            Val::F32(x) => ValRaw::f32_bits(x),
            Val::F64(x) => ValRaw::f64_bits(x),
            Val::V128(x) => ValRaw::v128(x),
            Val::FuncRef(None) | Val::ExternRef(None) => ValRaw::reference(0),
            Val::FuncRef(Some(f)) => ValRaw::reference(self.funcref_of(f)? as u64),
            Val::ExternRef(Some(0)) => return Err(Error::Instantiation("externref handle 0 is reserved for null".into())),
            Val::ExternRef(Some(h)) => ValRaw::reference(h),
        })
    }

    /// A ValRaw of type `ty` as a value.
    pub fn raw_to_val(&self, raw: ValRaw, ty: ValType) -> Val {
        match ty.erased() {
            ValType::I32 => Val::I32(raw.get_i32()),
            ValType::I64 => Val::I64(raw.get_i64()),
            ValType::F32 => Val::F32(raw.get_f32_bits()),
            ValType::F64 => Val::F64(raw.get_f64_bits()),
            ValType::V128 => Val::V128(raw.get_v128()),
            ValType::FuncRef | ValType::Ref(_) => self.raw_to_ref(raw.get_ref() as usize, RefType::FuncRef),
            ValType::ExternRef => self.raw_to_ref(raw.get_ref() as usize, RefType::ExternRef),
        }
    }

    /// A table element or reference value as a `Val`.
    pub fn raw_to_ref(&self, raw: usize, ty: RefType) -> Val {
        match ty.erased() {
            RefType::ExternRef => Val::ExternRef((raw != 0).then_some(raw as u64)),
            RefType::FuncRef | RefType::Typed(_) => Val::FuncRef(if raw == 0 { None } else { self.func_of_funcref(raw) }),
        }
    }

    /// A reference value as a table element, checking its type.
    pub fn ref_to_raw(&mut self, v: &Val, ty: RefType) -> Result<usize, Error> {
        if !v.fits(ValType::from(ty)) {
            return Err(Error::Instantiation(format!("a {:?} value cannot be stored in a {ty:?} table", v.ty())));
        }
        Ok(self.val_to_raw(v)?.get_ref() as usize)
    }
}
