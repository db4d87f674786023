//! Instances: building a module's `VMContext` from its imports and its own
//! definitions, initialising tables and memories from segments, running the
//! start function, and looking up exports.
//!
//! Instantiation follows the spec (2.0): imports are type-checked first (a
//! failure changes nothing visible); then the instance is allocated and
//! stays in the store even if initialisation traps, because active segments
//! applied before the trap may already have put its functions into shared
//! tables. Element segments are applied in order, then data segments, each
//! one bounds-checked as a whole before any of it is written.

use crate::engine::Engine;
use crate::error::{Error, Trap};
use crate::instantiate::func::{Func, FuncKind};
use crate::instantiate::global::{Global, GlobalData};
use crate::instantiate::libcalls;
use crate::instantiate::linker::check_import;
use crate::instantiate::memory::{foreign, LinearMemory, Memory};
use crate::instantiate::snapshot::{GlobalValue, Restore};
use crate::instantiate::store::{FuncRefOwner, Store, StoreInner};
use crate::instantiate::table::{Table, TableData};
use crate::instantiate::values::Extern;
use crate::module::Module;
use crate::parse::types::{ConstExpr, ConstOp, DataMode, ElementItems, ElementMode, ExternKind, ImportKind};
use crate::vm::layout::{module_offsets, GlobalSlot, VMContext, VMFuncRef, VMGlobal, VMMemory, VMTable, ValRaw};
use crate::vm::trap::TrapKind;

/// A handle to an instance in a [`Store`].
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Instance {
    pub(crate) store: u64,
    pub(crate) index: u32,
}

/// An instance's runtime state. Boxed in the store: `vmctx` and `funcs`
/// must not move, compiled code holds pointers to them.
pub(crate) struct InstanceData {
    /// The `VMContext` header and the module's inline area (`VMOffsets`),
    /// in 16-byte cells so that inline globals are aligned.
    pub vmctx: Box<[VMGlobal]>,
    pub index: u32,
    /// The store this instance lives in (for libcalls and host calls).
    pub store: *mut StoreInner,
    pub module: Module,
    pub funcs: Box<[VMFuncRef]>,
    pub memories: Box<[*mut VMMemory]>,
    pub tables: Box<[*mut VMTable]>,
    pub globals: Box<[*mut VMGlobal]>,
    /// The same memories and tables as owned objects (for grow etc.).
    pub memory_objs: Box<[*mut LinearMemory]>,
    pub table_objs: Box<[*mut TableData]>,
    /// Handles for exports; imported functions keep the exporter's handle.
    pub func_imports: Vec<Func>,
    pub memory_handles: Vec<Memory>,
    pub table_handles: Vec<Table>,
    pub global_handles: Vec<Global>,
    /// Evaluated element segments; None once dropped.
    pub elements: Vec<Option<Box<[usize]>>>,
    pub data_dropped: Vec<bool>,
    /// What `Caller::memory` returns: the export "memory", else memory 0
    /// (computed once; host functions ask on every call).
    pub caller_memory: Option<Memory>,
}

/// An instance's context and funcref array, kept by its module when the
/// instance ends (see `Module::take_instance_slot`). The next instance of
/// the module that takes them reuses the context at the same address, so
/// the funcrefs of its defined functions — entry, signature id and that
/// address, 11,448 of them for CPython — are already right and only the
/// imported ones are written again.
pub(crate) struct InstanceSlot {
    pub vmctx: Box<[VMGlobal]>,
    pub funcs: Box<[VMFuncRef]>,
}

// SAFETY: a slot is owned by its module's pool alone: no instance, table or
// compiled code refers to it until an instantiation takes it (exclusively,
// out of the pool's mutex) and rewrites everything but the defined
// functions' funcrefs, which hold only code addresses of the module and
// the slot's own context.
unsafe impl Send for InstanceSlot {}

impl Drop for InstanceData {
    fn drop(&mut self) {
        // The store is dropping this instance (or its instantiation failed
        // before it was published): nothing can reach its context or
        // funcrefs any more (funcref values never leave their store).
        let slot = InstanceSlot { vmctx: std::mem::take(&mut self.vmctx), funcs: std::mem::take(&mut self.funcs) };
        self.module.give_instance_slot(slot);
    }
}

impl InstanceData {
    /// The handle of function `index` of this instance.
    pub fn func_handle(&self, store_id: u64, me: u32, index: u32) -> Option<Func> {
        if index < self.module.info().num_imported_funcs {
            return self.func_imports.get(index as usize).copied();
        }
        ((index as usize) < self.funcs.len())
            .then_some(Func { store: store_id, kind: FuncKind::Wasm { instance: me, index } })
    }

    pub fn export(&self, store_id: u64, me: u32, name: &str) -> Option<Extern> {
        let e = self.module.export(name)?;
        self.export_of(store_id, me, e)
    }

    /// The item export `e` (one of this module's) designates.
    fn export_of(&self, store_id: u64, me: u32, e: &crate::parse::types::Export) -> Option<Extern> {
        Some(match e.kind {
            ExternKind::Func => Extern::Func(self.func_handle(store_id, me, e.index)?),
            ExternKind::Memory => Extern::Memory(*self.memory_handles.get(e.index as usize)?),
            ExternKind::Table => Extern::Table(*self.table_handles.get(e.index as usize)?),
            ExternKind::Global => Extern::Global(*self.global_handles.get(e.index as usize)?),
        })
    }

    /// Data segment bytes, empty once dropped.
    pub fn data_bytes(&self, index: u32) -> Option<&[u8]> {
        if *self.data_dropped.get(index as usize)? {
            Some(&[])
        } else {
            Some(&self.module.info().data.get(index as usize)?.bytes)
        }
    }
}

impl Instance {
    pub(crate) fn data<'a>(&self, store: &'a Store) -> Option<&'a InstanceData> {
        if self.store != store.inner.id {
            return None;
        }
        store.inner.instances.get(self.index as usize).map(|d| &**d)
    }

    pub fn get_export(&self, store: &Store, name: &str) -> Option<Extern> {
        self.data(store)?.export(self.store, self.index, name)
    }

    pub fn get_func(&self, store: &Store, name: &str) -> Option<Func> {
        self.get_export(store, name)?.into_func()
    }

    pub fn get_memory(&self, store: &Store, name: &str) -> Option<Memory> {
        self.get_export(store, name)?.into_memory()
    }

    pub fn get_global(&self, store: &Store, name: &str) -> Option<Global> {
        self.get_export(store, name)?.into_global()
    }

    pub fn get_table(&self, store: &Store, name: &str) -> Option<Table> {
        self.get_export(store, name)?.into_table()
    }

    /// Every export, in the module's order (one pass: a dynamic loader
    /// indexes CPython's ~4,000 exports this way).
    pub fn exports(&self, store: &Store) -> Vec<(String, Extern)> {
        let Some(data) = self.data(store) else { return Vec::new() };
        data.module
            .info()
            .exports
            .iter()
            .filter_map(|e| Some((e.name.clone(), data.export_of(self.store, self.index, e)?)))
            .collect()
    }

    /// Instantiates `module` with `imports` given in the module's import
    /// order (the positional form of the C API's `wasm_instance_new` and of
    /// dynamic loaders: no names involved).
    /// Imports are type-checked as by [`crate::Linker::instantiate`].
    pub fn new(store: &mut Store, module: &Module, imports: &[Extern]) -> Result<Instance, Error> {
        instantiate(store, module, imports)
    }

    /// The module this instance was made from.
    pub fn module(&self, store: &Store) -> Option<Module> {
        self.data(store).map(|d| d.module.clone())
    }
}

/// Evaluates a constant expression.
fn eval_const(expr: &ConstExpr, globals: &[*mut VMGlobal], funcs: &[VMFuncRef]) -> Result<ValRaw, Error> {
    // Every constant expression of wasm 2.0 is one instruction: no stack.
    if let [op] = expr.ops.as_slice() {
        return eval_op(*op, globals, funcs);
    }
    let mut stack: Vec<ValRaw> = Vec::with_capacity(2);
    for op in &expr.ops {
        let v = match *op {
            // Extended constant expressions (3.0): the validator checked
            // both operands are there and of the operator's type.
            ConstOp::Arith(a) => match (stack.pop(), stack.pop()) {
                (Some(y), Some(x)) => ValRaw::i64(a.apply(x.get_u64(), y.get_u64()) as i64),
                _ => return Err(Error::Instantiation("bad constant expression: missing operand".into())),
            },
            other => eval_op(other, globals, funcs)?,
        };
        stack.push(v);
    }
    match stack.as_slice() {
        [v] => Ok(*v),
        _ => Err(Error::Instantiation("bad constant expression: must leave exactly one value".into())),
    }
}

fn eval_op(op: ConstOp, globals: &[*mut VMGlobal], funcs: &[VMFuncRef]) -> Result<ValRaw, Error> {
    let bad = |m: &str| Error::Instantiation(format!("bad constant expression: {m}"));
    {
        let v = match op {
            ConstOp::I32Const(v) => ValRaw::i32(v),
            ConstOp::I64Const(v) => ValRaw::i64(v),
            ConstOp::F32Const(v) => ValRaw::f32_bits(v),
            ConstOp::F64Const(v) => ValRaw::f64_bits(v),
            ConstOp::V128Const(v) => ValRaw::v128(v),
            ConstOp::RefNull(_) => ValRaw::reference(0),
            ConstOp::RefFunc(i) => {
                let f = funcs.get(i as usize).ok_or_else(|| bad("function index out of range"))?;
                ValRaw::reference(f as *const VMFuncRef as u64)
            }
            ConstOp::Arith(_) => return Err(bad("arithmetic without operands")),
            ConstOp::GlobalGet(i) => {
                let g = *globals.get(i as usize).ok_or_else(|| bad("global index out of range"))?;
                // SAFETY: every entry of `globals` points to a live global of
                // the store (imported or defined earlier).
                unsafe { (*g).value }
            }
        };
        Ok(v)
    }
}

fn oob(kind: TrapKind) -> Error {
    Error::Trap(Trap::new(kind))
}

/// Instantiates `module` in `store` with `imports` in the module's import order.
pub(crate) fn instantiate(store: &mut Store, module: &Module, imports: &[Extern]) -> Result<Instance, Error> {
    instantiate_with(store, module, imports, None)
}

/// Instantiates `module`, from its segments and start function, or with
/// `restore` from a snapshot's state (see `snapshot`).
pub(crate) fn instantiate_with(
    store: &mut Store,
    module: &Module,
    imports: &[Extern],
    restore: Option<&Restore<'_>>,
) -> Result<Instance, Error> {
    let inner: &mut StoreInner = &mut store.inner;
    if !Engine::same(module.engine(), &inner.engine) {
        return Err(Error::Instantiation("the module was compiled by a different engine than the store's".into()));
    }
    let info = module.info();
    if imports.len() != info.imports.len() {
        return Err(Error::Link(format!(
            "module needs {} imports, {} were given",
            info.imports.len(),
            imports.len()
        )));
    }
    for (imp, ext) in info.imports.iter().zip(imports) {
        check_import(inner, module, imp, ext)?;
    }
    if let Some(r) = restore {
        check_restore(module, r)?;
    }

    let index = inner.instances.len() as u32;
    let store_id = inner.id;
    let null_ref = VMFuncRef { code: std::ptr::null(), vmctx: std::ptr::null_mut(), type_id: u32::MAX };
    let offsets = module_offsets(info)
        .ok_or_else(|| Error::Instantiation("too many memories, tables or globals".into()))?;
    let cell = std::mem::size_of::<VMGlobal>();
    let cells = offsets.size().div_ceil(cell);
    let nimp = info.num_imported_funcs as usize;
    let num_funcs = nimp + module.defined_funcs().len();
    let (mut vmctx, funcs) = match module.take_instance_slot() {
        Some(InstanceSlot { mut vmctx, mut funcs }) if vmctx.len() == cells && funcs.len() == num_funcs => {
            // A context as fresh as a new one; defined funcrefs already
            // point to it (same address), imported ones are written below.
            vmctx.iter_mut().for_each(|c| *c = VMGlobal::default());
            funcs[..nimp].iter_mut().for_each(|f| *f = VMFuncRef { ..null_ref });
            (vmctx, funcs)
        }
        _ => {
            let mut vmctx: Box<[VMGlobal]> = (0..cells).map(|_| VMGlobal::default()).collect();
            let vmctx_ptr = vmctx.as_mut_ptr() as *mut VMContext;
            // Imported functions are filled in while linking; defined ones
            // are complete here (entry and signature id are per module).
            let funcs: Box<[VMFuncRef]> = (0..nimp)
                .map(|_| VMFuncRef { ..null_ref })
                .chain(module.defined_funcs().iter().map(|&(code, type_id)| VMFuncRef {
                    code: code as *const u8,
                    vmctx: vmctx_ptr,
                    type_id,
                }))
                .collect();
            (vmctx, funcs)
        }
    };
    // The context's address is final: moving the Box below moves no cells.
    let vmctx_ptr = vmctx.as_mut_ptr() as *mut VMContext;
    debug_assert!(funcs.get(nimp).is_none_or(|f| f.vmctx == vmctx_ptr), "defined funcrefs point to this context");
    let mut data = Box::new(InstanceData {
        vmctx,
        index,
        store: inner as *mut StoreInner,
        module: module.clone(),
        funcs,
        memories: Box::new([]),
        tables: Box::new([]),
        globals: Box::new([]),
        memory_objs: Box::new([]),
        table_objs: Box::new([]),
        func_imports: Vec::new(),
        memory_handles: Vec::new(),
        table_handles: Vec::new(),
        global_handles: Vec::new(),
        elements: Vec::new(),
        data_dropped: vec![false; module.num_data_segments()],
        caller_memory: None,
    });
    debug_assert_eq!(data.vmctx.as_mut_ptr() as *mut VMContext, vmctx_ptr, "the context moved");
    let header = VMContext {
        limits: &inner.limits,
        funcs: data.funcs.as_ptr(),
        type_ids: module.type_ids().as_ptr(),
        libcalls: libcalls::libcall_table(),
        runtime: &mut *data as *mut InstanceData as *mut u8,
    };
    // SAFETY: the buffer is at least `offsets.size()` bytes (which starts
    // with the header) and 16-byte aligned; `funcs` is never resized, so
    // the pointer to it stays valid.
    unsafe { vmctx_ptr.write(header) };
    // Writes `v` at byte `off` of the context.
    let put = |off: i32, v: usize| {
        // SAFETY: every offset comes from `offsets` for an index the module
        // has, so it lies inside the buffer, pointer-aligned.
        unsafe { (vmctx_ptr as *mut u8).add(off as usize).cast::<usize>().write(v) }
    };

    // Imports.
    let mut globals: Vec<*mut VMGlobal> = Vec::with_capacity(info.globals.len());
    let mut memories: Vec<*mut LinearMemory> = Vec::with_capacity(info.memories.len());
    let mut tables: Vec<*mut TableData> = Vec::with_capacity(info.tables.len());
    for (imp, ext) in info.imports.iter().zip(imports) {
        match (&imp.kind, *ext) {
            (ImportKind::Func(t), Extern::Func(f)) => {
                let i = data.func_imports.len();
                let fr = match f.kind {
                    FuncKind::Wasm { instance, index } => {
                        let exporter = inner.instances.get(instance as usize).ok_or_else(foreign)?;
                        let r = exporter.funcs.get(index as usize).ok_or_else(foreign)?;
                        VMFuncRef { code: r.code, vmctx: r.vmctx, type_id: r.type_id }
                    }
                    FuncKind::Host(h) => {
                        let host = inner.host_funcs.get(h as usize).ok_or_else(foreign)?;
                        let code = module.host_trampoline(*t).ok_or_else(|| {
                            Error::Instantiation(format!("no host trampoline for type {t}"))
                        })?;
                        VMFuncRef { code, vmctx: host.ctx_ptr(), type_id: host.type_id }
                    }
                };
                if let Some(slot) = data.funcs.get_mut(i) {
                    *slot = fr;
                }
                data.func_imports.push(f);
            }
            (ImportKind::Memory(_), Extern::Memory(m)) => {
                let obj = m.get_mut(inner).ok_or_else(foreign)?;
                memories.push(obj);
                data.memory_handles.push(m);
            }
            (ImportKind::Table(_), Extern::Table(t)) => {
                let obj = t.get_data_mut(inner).ok_or_else(foreign)?;
                tables.push(obj);
                data.table_handles.push(t);
            }
            (ImportKind::Global(_), Extern::Global(g)) => {
                let obj = inner.globals.get(g.index as usize).ok_or_else(foreign)?;
                let Some(GlobalSlot::Imported(off)) = offsets.global(globals.len() as u32) else {
                    return Err(foreign());
                };
                put(off, obj.cell() as usize);
                globals.push(obj.cell());
                data.global_handles.push(g);
            }
            _ => return Err(Error::Link(format!("import {}.{} has the wrong kind", imp.module, imp.name))),
        }
    }


    // Defined memories and tables. A memory image stands for memory 0's
    // data segments (it exists only if that memory is defined here) and
    // comes with the memory: no segment can trap or be observed before
    // instantiation ends, so when it is applied changes nothing.
    for (i, ty) in info.memories.iter().enumerate().skip(info.num_imported_memories as usize) {
        let (image, ty) = match restore {
            None => (if i == 0 { module.memory_image() } else { None }, *ty),
            Some(r) => {
                let d = i - info.num_imported_memories as usize;
                let pages = r.state.memory_pages.get(d).copied().ok_or_else(foreign)?;
                (if i == 0 { r.memory0 } else { None }, crate::parse::types::MemoryType { min: pages, ..*ty })
            }
        };
        let ty = &ty;
        crate::instantiate::memory::check_initial(ty, inner.memory_limit)?;
        let mut mem = LinearMemory::with_image(ty, image)?;
        mem.set_cap(inner.memory_limit);
        let m = inner.push_memory(mem);
        memories.push(m.get_mut(inner).ok_or_else(foreign)?);
        data.memory_handles.push(m);
    }
    for (d, ty) in info.tables.iter().skip(info.num_imported_tables as usize).enumerate() {
        // A restored table gets its captured size; `fill_refs` writes it.
        let ty = match restore.and_then(|r| r.state.tables.get(d)) {
            Some(entries) => crate::parse::types::TableType {
                min: u32::try_from(entries.len()).map_err(|_| foreign())?,
                ..*ty
            },
            None => *ty,
        };
        // A 3.0 table initialiser (it can only read imported globals,
        // which are all in `globals` by now); a restored table's elements
        // are written by `fill_refs`.
        let init = match (restore, info.table_inits.get(d)) {
            (None, Some(Some(expr))) => eval_const(expr, &globals, &data.funcs)?.get_ref() as usize,
            _ => 0,
        };
        let t = inner.push_table(TableData::new(module.engine_table_type(ty), init)?);
        tables.push(t.get_data_mut(inner).ok_or_else(foreign)?);
        data.table_handles.push(t);
    }

    // Defined globals, in order (an initialiser may read earlier globals).
    let defined_globals = info.globals.iter().skip(info.num_imported_globals as usize);
    for (d, (ty, init)) in defined_globals.zip(&info.global_inits).enumerate() {
        let value = match restore.map(|r| r.state.globals.get(d)) {
            None => eval_const(init, &globals, &data.funcs)?,
            Some(Some(GlobalValue::Bits(b))) => ValRaw(*b),
            // References are written by `fill_refs`.
            Some(Some(GlobalValue::Ref(_))) => ValRaw::reference(0),
            Some(None) => return Err(foreign()),
        };
        let Some(GlobalSlot::Defined(off)) = offsets.global(globals.len() as u32) else {
            return Err(foreign());
        };
        // SAFETY: `off` lies inside the context buffer, 16-byte aligned (see
        // `VMOffsets`); the buffer lives as long as the store.
        let g = unsafe {
            let cell = (vmctx_ptr as *mut u8).add(off as usize).cast::<VMGlobal>();
            cell.write(VMGlobal { value });
            globals.push(cell);
            inner.push_global(GlobalData::in_context(
                crate::parse::types::GlobalType { ty: module.engine_type(ty.ty), ..*ty },
                cell,
            ))
        };
        data.global_handles.push(g);
    }

    // SAFETY (for the derefs below): every pointer in `memories`/`tables`
    // points into a Box owned by the store, alive as long as the store.
    data.memories = memories.iter().map(|&m| unsafe { &mut (*m).vm as *mut VMMemory }).collect();
    data.tables = tables.iter().map(|&t| unsafe { &mut (*t).vm as *mut VMTable }).collect();
    data.memory_objs = memories.into_boxed_slice();
    data.table_objs = tables.into_boxed_slice();
    data.globals = globals.into_boxed_slice();
    for (i, &m) in data.memories.iter().enumerate() {
        let (Some(b), Some(p)) = (offsets.memory_base(i as u32), offsets.memory_ptr(i as u32)) else {
            return Err(foreign());
        };
        // SAFETY: as above; a memory's base never moves.
        put(b, unsafe { (*m).base } as usize);
        put(p, m as usize);
    }
    for (i, &t) in data.tables.iter().enumerate() {
        let off = offsets.table_ptr(i as u32).ok_or_else(foreign)?;
        put(off, t as usize);
    }

    // Element segments are evaluated once, at instantiation (spec 2.0).
    // Only passive ones are kept: active and declared segments are dropped
    // once instantiation ends, and active ones are evaluated straight into
    // their table by `initialise_segments` (evaluation has no effects, so
    // doing it there changes nothing observable).
    let mut elements = Vec::with_capacity(info.elements.len());
    for (e, seg) in info.elements.iter().enumerate() {
        let dropped = restore.is_some_and(|r| r.state.elements_dropped.get(e).copied().unwrap_or(true));
        let items = match seg.mode {
            ElementMode::Passive if !dropped => {
                let mut items = vec![0usize; seg.items.len()].into_boxed_slice();
                eval_elements(&seg.items, &mut items, &data.globals, &data.funcs)?;
                Some(items)
            }
            ElementMode::Passive | ElementMode::Active { .. } | ElementMode::Declared => None,
        };
        elements.push(items);
    }
    data.elements = elements;

    data.caller_memory = match data.export(store_id, index, "memory") {
        Some(Extern::Memory(m)) => Some(m),
        _ => data.memory_handles.first().copied(),
    };

    // From here on the instance exists, whatever happens next.
    let funcs_start = data.funcs.as_ptr() as usize;
    let funcs_end = funcs_start + data.funcs.len() * std::mem::size_of::<VMFuncRef>();
    if funcs_end > funcs_start {
        inner.funcref_owners.insert(funcs_start, (funcs_end, FuncRefOwner::Instance(index)));
    }
    inner.instances.push(data);
    let instance = Instance { store: store_id, index };

    if let Some(r) = restore {
        // The snapshot's memory and tables already are what segments and
        // the start function made of them.
        let data = inner.instances.get_mut(index as usize).ok_or_else(foreign)?;
        data.data_dropped.copy_from_slice(&r.state.data_dropped);
        return Ok(instance);
    }
    initialise_segments(inner, index)?;

    if let Some(start) = info.start {
        let data = inner.instances.get(index as usize).ok_or_else(foreign)?;
        let f = data.func_handle(store_id, index, start).ok_or_else(foreign)?;
        f.call(store, &[])?;
    }
    Ok(instance)
}

/// Refuses a snapshot state that does not fit `module`'s definitions.
fn check_restore(module: &Module, r: &Restore<'_>) -> Result<(), Error> {
    let info = module.info();
    let st = r.state;
    let bad = |what: &str| Err(Error::Instantiation(format!("the snapshot does not fit the module: {what}")));
    let defined_mems = info.memories.len() - info.num_imported_memories as usize;
    let defined_tables = info.tables.len() - info.num_imported_tables as usize;
    let defined_globals = info.globals.len() - info.num_imported_globals as usize;
    if st.memory_pages.len() != defined_mems {
        return bad("number of memories");
    }
    for (pages, ty) in st.memory_pages.iter().zip(info.memories.iter().skip(info.num_imported_memories as usize)) {
        if *pages < ty.min || ty.max.is_some_and(|m| *pages > m) {
            return bad("memory size outside the memory's limits");
        }
    }
    if r.memory0.is_some() && (defined_mems == 0 || info.num_imported_memories != 0) {
        return bad("memory contents for a memory the module does not define");
    }
    if st.tables.len() != defined_tables {
        return bad("number of tables");
    }
    for (entries, ty) in st.tables.iter().zip(info.tables.iter().skip(info.num_imported_tables as usize)) {
        let n = entries.len() as u64;
        if n < u64::from(ty.min) || ty.max.is_some_and(|m| n > u64::from(m)) {
            return bad("table size outside the table's limits");
        }
    }
    if st.globals.len() != defined_globals {
        return bad("number of globals");
    }
    for (v, ty) in st.globals.iter().zip(info.globals.iter().skip(info.num_imported_globals as usize)) {
        let is_ref = matches!(ty.ty, crate::parse::types::ValType::FuncRef | crate::parse::types::ValType::ExternRef);
        if is_ref != matches!(v, GlobalValue::Ref(_)) {
            return bad("a global's kind of value");
        }
    }
    if st.data_dropped.len() != module.num_data_segments() || st.elements_dropped.len() != info.elements.len() {
        return bad("number of segments");
    }
    Ok(())
}

/// Evaluates an element segment's items into `out` (as long as the
/// segment). A function list (CPython's table: 5,902 functions) becomes the
/// addresses of this instance's funcrefs without evaluating an expression
/// per item.
fn eval_elements(
    items: &ElementItems,
    out: &mut [usize],
    globals: &[*mut VMGlobal],
    funcs: &[VMFuncRef],
) -> Result<(), Error> {
    match items {
        ElementItems::Funcs(indices) => {
            for (slot, &f) in out.iter_mut().zip(indices) {
                *slot = eval_op(ConstOp::RefFunc(f), globals, funcs)?.get_ref() as usize;
            }
        }
        ElementItems::Exprs(exprs) => {
            for (slot, e) in out.iter_mut().zip(exprs) {
                *slot = eval_const(e, globals, funcs)?.get_ref() as usize;
            }
        }
    }
    Ok(())
}

/// Applies active element then data segments in order; drops active and
/// declarative segments. Stops at the first segment that does not fit,
/// leaving earlier segments' writes in place.
fn initialise_segments(inner: &mut StoreInner, index: u32) -> Result<(), Error> {
    let data = inner.instances.get_mut(index as usize).ok_or_else(foreign)?;
    let module = data.module.clone();
    let info = module.info();
    for seg in &info.elements {
        let ElementMode::Active { table, offset } = &seg.mode else { continue };
        let dst = eval_const(offset, &data.globals, &data.funcs)?.get_u32();
        let t = *data.table_objs.get(*table as usize).ok_or_else(foreign)?;
        // SAFETY: table objects are boxed in the store and alive; no
        // other reference to this table exists during instantiation.
        let t = unsafe { &mut *t };
        let end = dst as usize + seg.items.len();
        let dst_slice = t.elements.get_mut(dst as usize..end).ok_or_else(|| oob(TrapKind::TableOutOfBounds))?;
        eval_elements(&seg.items, dst_slice, &data.globals, &data.funcs)?;
    }
    if module.memory_image().is_some() {
        // The image holds every data segment (all active on memory 0, none
        // able to trap) and memory 0 was created with it.
        data.data_dropped.fill(true);
        return Ok(());
    }
    for (i, seg) in info.data.iter().enumerate() {
        let DataMode::Active { memory, offset } = &seg.mode else { continue };
        let dst = eval_const(offset, &data.globals, &data.funcs)?.get_u32();
        let m = *data.memory_objs.get(*memory as usize).ok_or_else(foreign)?;
        // SAFETY: as for tables above.
        let m = unsafe { &mut *m };
        let end = dst as usize + seg.bytes.len();
        let dst_slice = m.data_mut().get_mut(dst as usize..end).ok_or_else(|| oob(TrapKind::MemoryOutOfBounds))?;
        dst_slice.copy_from_slice(&seg.bytes);
        if let Some(d) = data.data_dropped.get_mut(i) {
            *d = true;
        }
    }
    Ok(())
}
