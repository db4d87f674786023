//! Compiled modules: wasm bytes -> parse -> validate -> compile -> code
//! mapped executable. A `Module` is immutable and cheap to clone; any
//! number of stores may instantiate it.

use crate::compile::artifact::{CodeRange, CompiledCode};
use crate::compile::code_memory::{CodeMemory, CodeMeta};
use crate::compile::trap_table::TrapTable;
use crate::compile::AddressMap;
use crate::engine::Engine;
use crate::error::Error;
use crate::instantiate::instance::InstanceSlot;
use crate::instantiate::memory_image::{ImageLayout, MemoryImage};
use crate::parse::types::{Export, Import, ModuleInfo};
use crate::run::entry::EntryTrampoline;
use std::fs::File;
use std::ops::Range;
use std::sync::{Arc, Mutex};

struct ModuleInner {
    engine: Engine,
    info: ModuleInfo,
    code: CodeMemory,
    /// What the signal handler and backtraces know about `code`, including
    /// the module's function and trampoline ranges (`meta.compiled`, whose
    /// `code` and `traps` are empty: the bytes live in `code`, the trap
    /// sites in `meta.traps`).
    meta: Arc<CodeMeta>,
    /// Engine-wide signature id of each entry of the type section.
    type_ids: Vec<u32>,
    /// Entry address and signature id of each defined function: all of a
    /// `VMFuncRef` but the instance, worked out once instead of per
    /// instance (CPython has 11,448 functions).
    defined_funcs: Box<[(usize, u32)]>,
    /// Copy-on-write image of memory 0, if the module qualifies (see
    /// `memory_image`). With an image, `info.data` may be empty: the image
    /// stands for all `layout().segments` segments.
    memory_image: Option<MemoryImage>,
    /// Contexts and funcref arrays of ended instances, for the next ones
    /// (see `InstanceSlot`); at most [`MAX_INSTANCE_SLOTS`].
    instance_slots: Mutex<Vec<InstanceSlot>>,
    /// Position in `info.exports` of each export name, made on the first
    /// lookup by name: CPython exports ~4,000 names, which a scan per
    /// lookup (or a map per instance) would pay again and again.
    export_index: std::sync::OnceLock<std::collections::HashMap<Box<str>, u32, foldhash::fast::RandomState>>,
}

/// Ended instances' slots a module keeps at most.
const MAX_INSTANCE_SLOTS: usize = 16;

/// A module as the on-disk cache stores it: everything `Module::from_cached`
/// needs, with the bulky parts left in the mapped file.
pub struct CachedModule {
    /// Its data segments may be empty when `image` stands for them.
    pub info: ModuleInfo,
    /// Ranges only (`code` and `traps` are ignored).
    pub compiled: CompiledCode,
    /// Private copy-on-write mapping of the whole artifact file.
    pub mapping: Arc<memmap2::MmapMut>,
    /// Page-aligned range of `mapping` holding the machine code.
    pub code_range: Range<usize>,
    /// Range of `mapping` holding the trap table (`TrapTable` encoding).
    pub traps_range: Range<usize>,
    /// Range of `mapping` holding the address map (`AddressMap` encoding).
    pub addresses_range: Range<usize>,
    /// The memory image: the artifact file, the image's offset in it (page
    /// aligned; checked by the caller to lie in the file) and its layout.
    pub image: Option<(Arc<File>, u64, ImageLayout)>,
}

/// A compiled module.
#[derive(Clone)]
pub struct Module(Arc<ModuleInner>);

impl std::fmt::Debug for Module {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Module")
            .field("name", &self.0.info.name)
            .field("functions", &self.0.info.functions.len())
            .field("code_bytes", &self.0.code.len())
            .finish()
    }
}

/// Checks that every range of `compiled` lies in `code_len` bytes and that
/// there is one function per defined function and trampolines per type, so
/// that a corrupt cache entry is refused rather than jumped into.
fn check_compiled(info: &ModuleInfo, compiled: &CompiledCode, code_len: usize) -> Result<(), Error> {
    let bad = |m: String| Error::Compile { func: None, message: format!("inconsistent compiled code: {m}") };
    let in_code = |r: &CodeRange| r.offset as usize + r.len as usize <= code_len;
    if compiled.functions.len() != info.num_defined_funcs() as usize {
        return Err(bad(format!(
            "{} function bodies for {} defined functions",
            compiled.functions.len(),
            info.num_defined_funcs()
        )));
    }
    if compiled.entry_trampolines.len() != info.types.len() || compiled.host_trampolines.len() != info.types.len() {
        return Err(bad("trampoline count differs from the type count".into()));
    }
    // Defined functions' ranges, their order and their types are checked
    // by `Module::finish`, in the one pass that resolves them.
    let trampolines = compiled.entry_trampolines.iter().chain(&compiled.host_trampolines);
    if let Some(r) = trampolines.clone().find(|r| !in_code(r)) {
        return Err(bad(format!("range {r:?} outside {code_len} bytes of code")));
    }
    let imported = info.functions.get(..info.num_imported_funcs as usize).unwrap_or(&info.functions);
    if imported.iter().any(|&t| t as usize >= info.types.len()) {
        return Err(bad("function type index out of range".into()));
    }
    Ok(())
}

impl Module {
    /// Parses, validates and compiles `wasm`.
    pub fn new(engine: &Engine, wasm: &[u8]) -> Result<Module, Error> {
        Module::new_with_progress(engine, wasm, None)
    }

    /// [`Module::new`] reporting compilation progress (see
    /// [`crate::compile::module::Progress`]).
    pub fn new_with_progress(
        engine: &Engine,
        wasm: &[u8],
        progress: Option<crate::compile::module::Progress<'_>>,
    ) -> Result<Module, Error> {
        let info = crate::parse::parse(wasm)?;
        crate::validate::validate(&info, wasm)?;
        let compiled = crate::compile::compile_module_with_progress(
            engine.isa()?,
            &info,
            wasm,
            engine.config().parallel_compilation,
            crate::translate::Codegen { interrupt_checks: engine.config().interrupt_checks },
            progress,
        )?;
        Module::from_compiled(engine, info, compiled)
    }

    /// Parses and validates `wasm` without compiling it.
    pub fn validate(_engine: &Engine, wasm: &[u8]) -> Result<(), Error> {
        let info = crate::parse::parse(wasm)?;
        crate::validate::validate(&info, wasm)
    }

    /// A module from already compiled code (`compiled.code` is copied into
    /// executable memory).
    pub fn from_compiled(engine: &Engine, info: ModuleInfo, mut compiled: CompiledCode) -> Result<Module, Error> {
        check_compiled(&info, &compiled, compiled.code.len())?;
        let traps = std::mem::take(&mut compiled.traps);
        let addresses = AddressMap::from_entries(&std::mem::take(&mut compiled.addresses));
        let code_len = compiled.code.len();
        if !traps.is_sorted_by_key(|t| t.offset) || traps.last().is_some_and(|t| t.offset as usize >= code_len) {
            return Err(Error::Compile { func: None, message: "trap table unsorted or outside the code".into() });
        }
        let code = CodeMemory::new(&compiled.code)?;
        compiled.code = Vec::new();
        let image = MemoryImage::build(&info);
        Module::finish(engine, info, compiled, code, TrapTable::from_sites(&traps), addresses, image)
    }

    /// A module restored from the on-disk cache: the code is made
    /// executable in place in the file's private mapping (no copy), the
    /// trap table is read in place, and the memory image is mapped from the
    /// file at each instantiation. If the kernel refuses to make the mapping
    /// executable (a cache on a `noexec` file system), the code is copied
    /// into fresh executable memory instead: slower, but no recompilation.
    pub fn from_cached(engine: &Engine, cached: CachedModule) -> Result<Module, Error> {
        let CachedModule { info, mut compiled, mapping, code_range, traps_range, addresses_range, image } = cached;
        compiled.code = Vec::new();
        compiled.traps = Vec::new();
        compiled.addresses = Vec::new();
        check_compiled(&info, &compiled, code_range.len())?;
        let traps = TrapTable::from_mapping(mapping.clone(), traps_range, code_range.len())?;
        let addresses = AddressMap::from_mapping(mapping.clone(), addresses_range)?;
        let bad = |m: String| Error::Compile { func: None, message: format!("inconsistent memory image: {m}") };
        let image = match image {
            Some((file, offset, layout)) => {
                let memory = match (info.num_imported_memories, info.memories.first()) {
                    (0, Some(m)) => m,
                    _ => return Err(bad("the module defines no memory 0".into())),
                };
                if !info.data.is_empty() && info.data.len() != layout.segments as usize {
                    return Err(bad(format!("{} segments listed, {} in the image", info.data.len(), layout.segments)));
                }
                Some(MemoryImage::from_file(file, offset, layout, memory).map_err(bad)?)
            }
            None => MemoryImage::build(&info),
        };
        let code = match CodeMemory::from_mmap(mapping.clone(), code_range.clone()) {
            Ok(code) => code,
            Err(Error::Resource(_)) => {
                let bytes = mapping.get(code_range).ok_or_else(|| bad("code outside the file".into()))?;
                CodeMemory::new(bytes)?
            }
            Err(e) => return Err(e),
        };
        Module::finish(engine, info, compiled, code, traps, addresses, image)
    }

    fn finish(
        engine: &Engine,
        info: ModuleInfo,
        compiled: CompiledCode,
        mut code: CodeMemory,
        traps: TrapTable,
        addresses: AddressMap,
        memory_image: Option<MemoryImage>,
    ) -> Result<Module, Error> {
        let type_ids = signature_ids(engine, &info.types);
        let nimp = info.num_imported_funcs as usize;
        // A loop into a vector of the final size: collecting `Result`s
        // would grow it by doubling (reallocations and page faults for
        // CPython's 11,448 entries on every load).
        let mut defined_funcs = Vec::with_capacity(compiled.functions.len());
        let mut last_offset = 0;
        for (def, range) in compiled.functions.iter().enumerate() {
            let bad = || Error::Compile { func: Some((nimp + def) as u32), message: "no code or type for the function".into() };
            if range.offset < last_offset {
                // The signal handler's lookups need sorted ranges.
                return Err(Error::Compile {
                    func: None,
                    message: "inconsistent compiled code: function ranges are not sorted".into(),
                });
            }
            last_offset = range.offset;
            let entry = code.ptr_of(*range).ok_or_else(bad)? as usize;
            let ty = *info.functions.get(nimp + def).ok_or_else(bad)?;
            defined_funcs.push((entry, *type_ids.get(ty as usize).ok_or_else(bad)?));
        }
        let defined_funcs = defined_funcs.into_boxed_slice();
        let meta = Arc::new(CodeMeta {
            traps,
            addresses,
            compiled,
            num_imported_funcs: info.num_imported_funcs,
            func_names: info.func_names.clone(),
            module_name: info.name.clone(),
        });
        code.register(meta.clone());
        if engine.config().perf_map {
            crate::compile::perf_map::append(code.as_ptr() as usize, &meta);
        }
        Ok(Module(Arc::new(ModuleInner {
            engine: engine.clone(),
            info,
            code,
            meta,
            type_ids,
            defined_funcs,
            memory_image,
            instance_slots: Mutex::new(Vec::new()),
            export_index: std::sync::OnceLock::new(),
        })))
    }

    pub fn engine(&self) -> &Engine {
        &self.0.engine
    }

    pub fn info(&self) -> &ModuleInfo {
        &self.0.info
    }

    pub fn imports(&self) -> impl Iterator<Item = &Import> {
        self.0.info.imports.iter()
    }

    pub fn exports(&self) -> impl Iterator<Item = &Export> {
        self.0.info.exports.iter()
    }

    /// The export called `name`.
    pub fn export(&self, name: &str) -> Option<&Export> {
        let index = self.0.export_index.get_or_init(|| {
            self.0.info.exports.iter().enumerate().map(|(i, e)| (Box::from(e.name.as_str()), i as u32)).collect()
        });
        self.0.info.exports.get(*index.get(name)? as usize)
    }

    /// What the on-disk cache stores: the module description, the compiled
    /// code's ranges (its `code` and `traps` fields are empty: see
    /// [`Module::trap_table`]), and the machine code bytes.
    pub fn parts(&self) -> (&ModuleInfo, &CompiledCode, &[u8]) {
        (&self.0.info, &self.0.meta.compiled, self.0.code.bytes())
    }

    /// Every trap site of the code.
    pub fn trap_table(&self) -> &TrapTable {
        &self.0.meta.traps
    }

    /// The wasm offsets of the code's trap sites and calls.
    pub fn address_map(&self) -> &AddressMap {
        &self.0.meta.addresses
    }

    /// The copy-on-write image of memory 0, if this module's data segments
    /// allow one (shared by all instances).
    pub fn memory_image(&self) -> Option<&MemoryImage> {
        self.0.memory_image.as_ref()
    }

    /// Number of data segments (an image may stand for them all).
    pub(crate) fn num_data_segments(&self) -> usize {
        match &self.0.memory_image {
            Some(img) => img.layout().segments as usize,
            None => self.0.info.data.len(),
        }
    }

    pub(crate) fn type_ids(&self) -> &[u32] {
        &self.0.type_ids
    }

    /// `t` with every type index of this module replaced by its engine-wide
    /// signature id (`HeapType::Engine`): the form in which the types of
    /// tables and globals are kept at run time and compared when linking,
    /// since type indices mean something only inside their module.
    pub(crate) fn engine_type(&self, t: crate::parse::types::ValType) -> crate::parse::types::ValType {
        use crate::parse::types::{HeapType, TypedRef, ValType};
        match t {
            ValType::Ref(TypedRef { nullable, heap: HeapType::Concrete(i) }) => match self.type_ids().get(i as usize) {
                Some(&id) => ValType::reference(nullable, HeapType::Engine(id)),
                // Validation rules out an unknown index; keep it unmatched.
                None => t,
            },
            other => other,
        }
    }

    /// [`Module::engine_type`] of a table type.
    pub(crate) fn engine_table_type(&self, t: crate::parse::types::TableType) -> crate::parse::types::TableType {
        use crate::parse::types::{RefType, ValType};
        let elem = match self.engine_type(t.elem.into()) {
            ValType::Ref(r) => RefType::Typed(r),
            _ => t.elem,
        };
        crate::parse::types::TableType { elem, ..t }
    }

    /// Entry address and signature id of every defined function, in order.
    /// The slot of an ended instance of this module, if one is kept.
    pub(crate) fn take_instance_slot(&self) -> Option<InstanceSlot> {
        self.0.instance_slots.lock().unwrap_or_else(|p| p.into_inner()).pop()
    }

    /// Keeps an ended instance's slot for a later instance (dropped if
    /// enough are kept).
    pub(crate) fn give_instance_slot(&self, slot: InstanceSlot) {
        let mut slots = self.0.instance_slots.lock().unwrap_or_else(|p| p.into_inner());
        if slots.len() < MAX_INSTANCE_SLOTS && !slot.vmctx.is_empty() {
            slots.push(slot);
        }
    }

    pub(crate) fn defined_funcs(&self) -> &[(usize, u32)] {
        &self.0.defined_funcs
    }

    /// The host-to-wasm trampoline for type `type_index`.
    pub(crate) fn entry_trampoline(&self, type_index: u32) -> Option<EntryTrampoline> {
        let range = *self.0.meta.compiled.entry_trampolines.get(type_index as usize)?;
        let ptr = self.0.code.ptr_of(range)?;
        // SAFETY: the range is the compiler's entry trampoline for this
        // type (checked to lie inside the executable code), which has
        // exactly the `EntryTrampoline` signature.
        Some(unsafe { std::mem::transmute::<*const u8, EntryTrampoline>(ptr) })
    }

    /// The wasm-to-host trampoline for type `type_index`.
    pub(crate) fn host_trampoline(&self, type_index: u32) -> Option<*const u8> {
        self.0.code.ptr_of(*self.0.meta.compiled.host_trampolines.get(type_index as usize)?)
    }
}

/// The engine-wide signature id of each of a module's types. A type that
/// refers to other types (typed function references) is registered with
/// those replaced by their own engine ids, so equal ids mean equal
/// signatures whatever module they come from (type indices are
/// per-module). A valid module refers to earlier types only (see
/// `validate`); anything else gets a marker that matches no real id.
fn signature_ids(engine: &Engine, types: &[crate::parse::types::FuncType]) -> Vec<u32> {
    use crate::parse::types::HeapType;
    let mut ids: Vec<u32> = Vec::with_capacity(types.len());
    for (i, t) in types.iter().enumerate() {
        let id = if t.has_concrete() {
            let key = t.map_concrete(|j| match ids.get(j as usize) {
                Some(&id) => HeapType::Engine(id),
                None => HeapType::Engine(u32::MAX - (j as usize).saturating_sub(i) as u32),
            });
            engine.signature_id(&key)
        } else {
            engine.signature_id(t)
        };
        ids.push(id);
    }
    ids
}
