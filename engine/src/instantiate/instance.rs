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
//!
//! `instantiate` and `restore` (from a snapshot) read as the same steps
//! of a `NewInstance`: check the imports, allocate the context, link the
//! imports, define memories, tables and globals (from the module or from
//! the snapshot), keep passive element segments, publish in the store;
//! then a fresh instance applies its segments and runs its start function,
//! while a restored one only takes the snapshot's dropped segments.

use crate::engine::Engine;
use crate::error::{Error, Trap};
use crate::instantiate::func::{Func, FuncKind};
use crate::instantiate::global::{Global, GlobalData};
use crate::instantiate::instance_state::{GlobalValue, Restore};
use crate::instantiate::libcalls;
use crate::instantiate::linker::check_import;
use crate::instantiate::memory::{LinearMemory, Memory};
use crate::instantiate::memory_image::MemoryImage;
use crate::instantiate::store::{FuncRefOwner, Store, StoreInner};
use crate::instantiate::table::{Table, TableData};
use crate::instantiate::values::Extern;
use crate::module::Module;
use crate::parse::types::{
    ConstExpr, ConstOp, DataMode, ElementItems, ElementMode, ExternKind, ImportKind, MemoryType, TableType,
};
use crate::vm::layout::{module_offsets, GlobalSlot, VMContext, VMFuncRef, VMGlobal, VMMemory, VMOffsets, VMTable, ValRaw};
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
        ((index as usize) < self.funcs.len()).then_some(Func { store: store_id, kind: FuncKind::Wasm { instance: me, index } })
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

/// Instantiates `module` in `store` with `imports` in the module's import
/// order: from its definitions, segments and start function.
pub(crate) fn instantiate(store: &mut Store, module: &Module, imports: &[Extern]) -> Result<Instance, Error> {
    let inner: &mut StoreInner = &mut store.inner;
    let info = module.info();
    check_imports(inner, module, imports)?;
    let mut new = NewInstance::allocate(inner, module)?;
    new.link_imports(inner, imports)?;
    // A memory image stands for memory 0's data segments (it exists only if
    // that memory is defined here) and comes with the memory: no segment
    // can trap or be observed before instantiation ends, so when it is
    // applied changes nothing.
    let memories = info.memories.iter().enumerate().skip(info.num_imported_memories as usize);
    new.define_memories(inner, memories.map(|(i, ty)| (*ty, if i == 0 { module.memory_image() } else { None })))?;
    new.define_tables(inner, info.tables.iter().skip(info.num_imported_tables as usize).copied(), true)?;
    new.define_globals(inner, |_, init, globals, funcs| eval_const(init, globals, funcs))?;
    new.keep_passive_elements(|_| false)?;
    let instance = new.publish(inner)?;
    // From here on the instance exists, whatever happens next.
    initialise_segments(inner, instance.index)?;
    run_start(store, instance)?;
    Ok(instance)
}

/// Instantiates `module` in the state `r` (captured from an instance of
/// it, see `snapshot`) describes: memories, tables and globals from the
/// snapshot, no segment applied, no start function run.
pub(crate) fn restore(store: &mut Store, module: &Module, imports: &[Extern], r: &Restore<'_>) -> Result<Instance, Error> {
    let inner: &mut StoreInner = &mut store.inner;
    let info = module.info();
    let st = r.state;
    check_imports(inner, module, imports)?;
    // From here on the snapshot has one entry per definition of the module
    // (memory, table, global, segment), which the zips below rely on.
    check_restore(module, r)?;
    let mut new = NewInstance::allocate(inner, module)?;
    new.link_imports(inner, imports)?;
    // Memories get their captured size; memory 0 its captured bytes.
    let memories = info.memories.iter().enumerate().skip(info.num_imported_memories as usize).zip(&st.memory_pages);
    let memories = memories.map(|((i, ty), &pages)| (MemoryType { min: pages, ..*ty }, if i == 0 { r.memory0 } else { None }));
    new.define_memories(inner, memories)?;
    // Tables get their captured size; `fill_refs` writes their elements.
    let tables = info.tables.iter().skip(info.num_imported_tables as usize).zip(&st.tables);
    let too_long = |n: usize| Error::SnapshotMismatch(format!("a table of {n} elements, more than a table can have"));
    let tables = tables
        .map(|(ty, entries)| Ok(TableType { min: u32::try_from(entries.len()).map_err(|_| too_long(entries.len()))?, ..*ty }))
        .collect::<Result<Vec<TableType>, Error>>()?;
    new.define_tables(inner, tables, false)?;
    new.define_globals(inner, |d, _, _, _| match st.globals.get(d) {
        Some(GlobalValue::Bits(b)) => Ok(ValRaw(*b)),
        // References are written by `fill_refs`.
        Some(GlobalValue::Ref(_)) => Ok(ValRaw::reference(0)),
        None => Err(Error::SnapshotMismatch(format!("no value for defined global {d}"))),
    })?;
    new.keep_passive_elements(|e| st.elements_dropped.get(e).copied().unwrap_or(true))?;
    let instance = new.publish(inner)?;
    // The snapshot's memory and tables already are what segments and the
    // start function made of them.
    let data = inner.instances.get_mut(instance.index as usize).ok_or_else(not_published)?;
    data.data_dropped.copy_from_slice(&st.data_dropped);
    Ok(instance)
}

/// Refuses a module of another engine and imports that do not satisfy the
/// module's, before anything is allocated (a failure changes nothing).
fn check_imports(inner: &StoreInner, module: &Module, imports: &[Extern]) -> Result<(), Error> {
    if !Engine::same(module.engine(), &inner.engine) {
        return Err(Error::Instantiation("the module was compiled by a different engine than the store's".into()));
    }
    let info = module.info();
    if imports.len() != info.imports.len() {
        return Err(Error::Link(format!("module needs {} imports, {} were given", info.imports.len(), imports.len())));
    }
    for (imp, ext) in info.imports.iter().zip(imports) {
        check_import(inner, module, imp, ext)?;
    }
    Ok(())
}

/// An instance being built, not yet in its store: its data, the context
/// layout, and the memories, tables and globals of its index spaces so
/// far (imported, then defined).
struct NewInstance<'m> {
    module: &'m Module,
    data: Box<InstanceData>,
    offsets: VMOffsets,
    vmctx: *mut VMContext,
    memories: Vec<*mut LinearMemory>,
    tables: Vec<*mut TableData>,
    globals: Vec<*mut VMGlobal>,
}

impl<'m> NewInstance<'m> {
    /// The instance's context (its module's last one if it kept it, see
    /// `InstanceSlot`) and funcref array, the defined functions' funcrefs
    /// complete, the imported ones null until `link_imports`.
    fn allocate(inner: &mut StoreInner, module: &'m Module) -> Result<NewInstance<'m>, Error> {
        let info = module.info();
        let null_ref = VMFuncRef { code: std::ptr::null(), vmctx: std::ptr::null_mut(), type_id: u32::MAX };
        let offsets = module_offsets(info).ok_or_else(|| Error::Instantiation("too many memories, tables or globals".into()))?;
        let cell = std::mem::size_of::<VMGlobal>();
        let cells = offsets.size().div_ceil(cell);
        let nimp = info.num_imported_funcs as usize;
        let num_funcs = nimp + module.defined_funcs().len();
        let (mut vmctx, funcs) = match module.take_instance_slot() {
            Some(InstanceSlot { mut vmctx, mut funcs }) if vmctx.len() == cells && funcs.len() == num_funcs => {
                // A context as fresh as a new one; defined funcrefs already
                // point to it (same address), imported ones are written by
                // `link_imports`.
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
            index: inner.instances.len() as u32,
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
        Ok(NewInstance {
            module,
            data,
            offsets,
            vmctx: vmctx_ptr,
            memories: Vec::with_capacity(info.memories.len()),
            tables: Vec::with_capacity(info.tables.len()),
            globals: Vec::with_capacity(info.globals.len()),
        })
    }

    /// Writes `v` at byte `off` of the context.
    fn put(&self, off: i32, v: usize) {
        // SAFETY: every offset comes from `offsets` for an index the module
        // has, so it lies inside the buffer, pointer-aligned.
        unsafe { (self.vmctx as *mut u8).add(off as usize).cast::<usize>().write(v) }
    }

    /// Takes `imports` (already checked by `check_imports`) into the
    /// instance: funcrefs of imported functions, and the first entries of
    /// its memory, table and global index spaces.
    fn link_imports(&mut self, inner: &mut StoreInner, imports: &[Extern]) -> Result<(), Error> {
        let module = self.module;
        // `check_imports` found every import in this store.
        let unchecked = || Error::internal("an import that passed its check is not in the store");
        for (imp, ext) in module.info().imports.iter().zip(imports) {
            match (&imp.kind, *ext) {
                (ImportKind::Func(t), Extern::Func(f)) => {
                    let i = self.data.func_imports.len();
                    let fr = match f.kind {
                        FuncKind::Wasm { instance, index } => {
                            let exporter = inner.instances.get(instance as usize).ok_or_else(unchecked)?;
                            let r = exporter.funcs.get(index as usize).ok_or_else(unchecked)?;
                            VMFuncRef { code: r.code, vmctx: r.vmctx, type_id: r.type_id }
                        }
                        FuncKind::Host(h) => {
                            let host = inner.host_funcs.get(h as usize).ok_or_else(unchecked)?;
                            let code = module
                                .host_trampoline(*t)
                                .ok_or_else(|| Error::Instantiation(format!("no host trampoline for type {t}")))?;
                            VMFuncRef { code, vmctx: host.ctx_ptr(), type_id: host.type_id }
                        }
                    };
                    if let Some(slot) = self.data.funcs.get_mut(i) {
                        *slot = fr;
                    }
                    self.data.func_imports.push(f);
                }
                (ImportKind::Memory(_), Extern::Memory(m)) => {
                    let obj = m.get_mut(inner).ok_or_else(unchecked)?;
                    self.memories.push(obj);
                    self.data.memory_handles.push(m);
                }
                (ImportKind::Table(_), Extern::Table(t)) => {
                    let obj = t.get_data_mut(inner).ok_or_else(unchecked)?;
                    self.tables.push(obj);
                    self.data.table_handles.push(t);
                }
                (ImportKind::Global(_), Extern::Global(g)) => {
                    let obj = inner.globals.get(g.index as usize).ok_or_else(unchecked)?;
                    let Some(GlobalSlot::Imported(off)) = self.offsets.global(self.globals.len() as u32) else {
                        return Err(no_slot("imported global", self.globals.len()));
                    };
                    self.put(off, obj.cell() as usize);
                    self.globals.push(obj.cell());
                    self.data.global_handles.push(g);
                }
                _ => return Err(Error::Link(format!("import {}.{} has the wrong kind", imp.module, imp.name))),
            }
        }
        Ok(())
    }

    /// Creates the module's own memories in the store, each of a type and
    /// with the image (initial contents) given, in order.
    fn define_memories<'i>(
        &mut self,
        inner: &mut StoreInner,
        memories: impl Iterator<Item = (MemoryType, Option<&'i MemoryImage>)>,
    ) -> Result<(), Error> {
        for (ty, image) in memories {
            crate::instantiate::memory::check_initial(&ty, inner.memory_limit)?;
            let mut mem = LinearMemory::with_image(&ty, image, Some(inner.engine.memory_reuse()))?;
            mem.set_cap(inner.memory_limit);
            let m = inner.push_memory(mem);
            self.memories.push(m.get_mut(inner).ok_or_else(|| Error::internal("a memory just created is not in the store"))?);
            self.data.memory_handles.push(m);
        }
        Ok(())
    }

    /// Creates the module's own tables in the store, of the types given, in
    /// order: each element its table's initialiser (a 3.0 table type's init
    /// expression, which can only read imported globals, all in `globals`
    /// by now) when `initialise`, else null (a restored table's elements
    /// are written by `fill_refs`).
    fn define_tables(
        &mut self,
        inner: &mut StoreInner,
        tables: impl IntoIterator<Item = TableType>,
        initialise: bool,
    ) -> Result<(), Error> {
        let module = self.module;
        let info = module.info();
        for (d, ty) in tables.into_iter().enumerate() {
            let init = match info.table_inits.get(d) {
                Some(Some(expr)) if initialise => eval_const(expr, &self.globals, &self.data.funcs)?.get_ref() as usize,
                _ => 0,
            };
            let t = inner.push_table(TableData::new(module.engine_table_type(ty), init)?);
            self.tables.push(t.get_data_mut(inner).ok_or_else(|| Error::internal("a table just created is not in the store"))?);
            self.data.table_handles.push(t);
        }
        Ok(())
    }

    /// Creates the module's own globals in the context, in order, each with
    /// the value `value(d, init, globals so far, funcrefs)` gives for
    /// defined global `d` (an initialiser may read earlier globals).
    fn define_globals(
        &mut self,
        inner: &mut StoreInner,
        mut value: impl FnMut(usize, &ConstExpr, &[*mut VMGlobal], &[VMFuncRef]) -> Result<ValRaw, Error>,
    ) -> Result<(), Error> {
        let info = self.module.info();
        let defined_globals = info.globals.iter().skip(info.num_imported_globals as usize);
        for (d, (ty, init)) in defined_globals.zip(&info.global_inits).enumerate() {
            let value = value(d, init, &self.globals, &self.data.funcs)?;
            let Some(GlobalSlot::Defined(off)) = self.offsets.global(self.globals.len() as u32) else {
                return Err(no_slot("defined global", self.globals.len()));
            };
            // SAFETY: `off` lies inside the context buffer, 16-byte aligned (see
            // `VMOffsets`); the buffer lives as long as the store.
            let g = unsafe {
                let cell = (self.vmctx as *mut u8).add(off as usize).cast::<VMGlobal>();
                cell.write(VMGlobal { value });
                self.globals.push(cell);
                inner.push_global(GlobalData::in_context(
                    crate::parse::types::GlobalType { ty: self.module.engine_type(ty.ty), ..*ty },
                    cell,
                ))
            };
            self.data.global_handles.push(g);
        }
        Ok(())
    }

    /// Evaluates the passive element segments not `dropped(segment)`, and
    /// keeps them for `table.init`.
    ///
    /// Element segments are evaluated once, at instantiation (spec 2.0).
    /// Only passive ones are kept: active and declared segments are dropped
    /// once instantiation ends, and active ones are evaluated straight into
    /// their table by `initialise_segments` (evaluation has no effects, so
    /// doing it there changes nothing observable).
    fn keep_passive_elements(&mut self, dropped: impl Fn(usize) -> bool) -> Result<(), Error> {
        let info = self.module.info();
        let mut elements = Vec::with_capacity(info.elements.len());
        for (e, seg) in info.elements.iter().enumerate() {
            let items = match seg.mode {
                ElementMode::Passive if !dropped(e) => {
                    let mut items = vec![0usize; seg.items.len()].into_boxed_slice();
                    eval_elements(&seg.items, &mut items, &self.globals, &self.data.funcs)?;
                    Some(items)
                }
                ElementMode::Passive | ElementMode::Active { .. } | ElementMode::Declared => None,
            };
            elements.push(items);
        }
        self.data.elements = elements;
        Ok(())
    }

    /// Points the context at every memory and table, and puts the instance
    /// in the store: from here on it exists, whatever happens next.
    fn publish(self, inner: &mut StoreInner) -> Result<Instance, Error> {
        let mut new = self;
        // Compiled code reads every entry of the context: none may be left
        // unwritten (a snapshot's counts, say, are checked by `check_restore`).
        let info = new.module.info();
        if new.memories.len() != info.memories.len()
            || new.tables.len() != info.tables.len()
            || new.globals.len() != info.globals.len()
        {
            return Err(Error::internal("an instance is missing memories, tables or globals of its module"));
        }
        // SAFETY: every pointer in `memories` points into a Box owned by the
        // store, alive as long as the store.
        new.data.memories = new.memories.iter().map(|&m| unsafe { &mut (*m).vm as *mut VMMemory }).collect();
        // SAFETY: likewise for `tables`: Boxes owned by the store.
        new.data.tables = new.tables.iter().map(|&t| unsafe { &mut (*t).vm as *mut VMTable }).collect();
        for (i, &m) in new.data.memories.iter().enumerate() {
            let (Some(b), Some(p)) = (new.offsets.memory_base(i as u32), new.offsets.memory_ptr(i as u32)) else {
                return Err(no_slot("memory", i));
            };
            // SAFETY: as above; a memory's base never moves.
            new.put(b, unsafe { (*m).base } as usize);
            new.put(p, m as usize);
        }
        for (i, &t) in new.data.tables.iter().enumerate() {
            let off = new.offsets.table_ptr(i as u32).ok_or_else(|| no_slot("table", i))?;
            new.put(off, t as usize);
        }
        let NewInstance { mut data, memories, tables, globals, .. } = new;
        data.memory_objs = memories.into_boxed_slice();
        data.table_objs = tables.into_boxed_slice();
        data.globals = globals.into_boxed_slice();

        let (store_id, index) = (inner.id, data.index);
        data.caller_memory = match data.export(store_id, index, "memory") {
            Some(Extern::Memory(m)) => Some(m),
            _ => data.memory_handles.first().copied(),
        };
        let funcs_start = data.funcs.as_ptr() as usize;
        let funcs_end = funcs_start + data.funcs.len() * std::mem::size_of::<VMFuncRef>();
        if funcs_end > funcs_start {
            inner.funcref_owners.insert(funcs_start, (funcs_end, FuncRefOwner::Instance(index)));
        }
        inner.instances.push(data);
        Ok(Instance { store: store_id, index })
    }
}

/// Runs the module's start function, if it has one.
fn run_start(store: &mut Store, instance: Instance) -> Result<(), Error> {
    let data = store.inner.instances.get(instance.index as usize).ok_or_else(not_published)?;
    let Some(start) = data.module.info().start else { return Ok(()) };
    // Validation made the start function one of the module's.
    let f = data
        .func_handle(instance.store, instance.index, start)
        .ok_or_else(|| Error::internal(format!("start function {start} is not in the instance")))?;
    f.call(store, &[])?;
    Ok(())
}

/// The instance `publish` put in the store is not there.
fn not_published() -> Error {
    Error::internal("an instance just published is not in the store")
}

/// The context layout (`VMOffsets`, from the module's counts) has no
/// place for entry `index` of an index space.
fn no_slot(what: &str, index: usize) -> Error {
    Error::internal(format!("the context has no slot for {what} {index}"))
}

/// Refuses a snapshot state that does not fit `module`'s definitions.
fn check_restore(module: &Module, r: &Restore<'_>) -> Result<(), Error> {
    let info = module.info();
    let st = r.state;
    let bad = |what: &str| Err(Error::SnapshotMismatch(what.into()));
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
fn eval_elements(items: &ElementItems, out: &mut [usize], globals: &[*mut VMGlobal], funcs: &[VMFuncRef]) -> Result<(), Error> {
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
    let data = inner.instances.get_mut(index as usize).ok_or_else(not_published)?;
    let module = data.module.clone();
    let info = module.info();
    for seg in &info.elements {
        let ElementMode::Active { table, offset } = &seg.mode else { continue };
        let dst = eval_const(offset, &data.globals, &data.funcs)?.get_u32();
        // Validation made every segment's table and memory one of the module's.
        let t = *data
            .table_objs
            .get(*table as usize)
            .ok_or_else(|| Error::internal(format!("element segment table {table} missing")))?;
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
        let m = *data
            .memory_objs
            .get(*memory as usize)
            .ok_or_else(|| Error::internal(format!("data segment memory {memory} missing")))?;
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
