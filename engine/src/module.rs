//! Compiled modules: wasm bytes -> parse -> validate -> compile -> code
//! mapped executable. A `Module` is immutable and cheap to clone; any
//! number of stores may instantiate it.

use crate::compile::artifact::{CodeRange, CompiledCode};
use crate::compile::code_memory::{CodeMemory, CodeMeta};
use crate::engine::Engine;
use crate::error::Error;
use crate::parse::types::{Export, Import, ModuleInfo};
use crate::run::entry::EntryTrampoline;
use std::ops::Range;
use crate::instantiate::memory_image::MemoryImage;
use std::sync::{Arc, OnceLock};

struct ModuleInner {
    engine: Engine,
    info: ModuleInfo,
    /// Ranges and trap sites; `compiled.code` is empty (the bytes live in `code`).
    compiled: CompiledCode,
    code: CodeMemory,
    /// Engine-wide signature id of each entry of the type section.
    type_ids: Vec<u32>,
    /// Copy-on-write image of memory 0, built at the first instantiation
    /// (None inside: the module does not qualify, see `memory_image`).
    memory_image: OnceLock<Option<MemoryImage>>,
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
    let all = compiled.functions.iter().chain(&compiled.entry_trampolines).chain(&compiled.host_trampolines);
    if let Some(r) = all.clone().find(|r| !in_code(r)) {
        return Err(bad(format!("range {r:?} outside {code_len} bytes of code")));
    }
    if !compiled.functions.windows(2).all(|w| w[0].offset <= w[1].offset) {
        return Err(bad("function ranges are not sorted".into()));
    }
    if !compiled.traps.windows(2).all(|w| w[0].offset <= w[1].offset)
        || compiled.traps.iter().any(|t| t.offset as usize >= code_len)
    {
        return Err(bad("trap table unsorted or outside the code".into()));
    }
    if info.functions.iter().any(|&t| t as usize >= info.types.len()) {
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
        let code = CodeMemory::new(&compiled.code)?;
        compiled.code = Vec::new();
        Module::finish(engine, info, compiled, code)
    }

    /// A module restored from the on-disk cache: `mmap` is a private
    /// copy-on-write mapping of the cache file and `code_range` the
    /// page-aligned range holding the machine code, which is made
    /// executable in place (no copy). `compiled.code` is ignored.
    pub fn from_cached(
        engine: &Engine,
        info: ModuleInfo,
        mut compiled: CompiledCode,
        mmap: memmap2::MmapMut,
        code_range: Range<usize>,
    ) -> Result<Module, Error> {
        compiled.code = Vec::new();
        check_compiled(&info, &compiled, code_range.len())?;
        let code = CodeMemory::from_mmap(mmap, code_range)?;
        Module::finish(engine, info, compiled, code)
    }

    fn finish(engine: &Engine, info: ModuleInfo, compiled: CompiledCode, mut code: CodeMemory) -> Result<Module, Error> {
        code.register(Arc::new(CodeMeta {
            traps: compiled.traps.clone(),
            functions: compiled.functions.clone(),
            num_imported_funcs: info.num_imported_funcs,
            func_names: info.func_names.clone(),
            module_name: info.name.clone(),
        }));
        let type_ids = info.types.iter().map(|t| engine.signature_id(t)).collect();
        Ok(Module(Arc::new(ModuleInner {
            engine: engine.clone(),
            info,
            compiled,
            code,
            type_ids,
            memory_image: OnceLock::new(),
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

    /// What the on-disk cache stores: the module description, the compiled
    /// code's ranges and trap table (its `code` field is empty), and the
    /// machine code bytes.
    pub fn parts(&self) -> (&ModuleInfo, &CompiledCode, &[u8]) {
        (&self.0.info, &self.0.compiled, self.0.code.bytes())
    }

    /// The copy-on-write image of memory 0 if this module's data segments
    /// allow one (built once, on first use, shared by all instances).
    pub(crate) fn memory_image(&self) -> Option<&MemoryImage> {
        self.0.memory_image.get_or_init(|| MemoryImage::build(&self.0.info)).as_ref()
    }

    pub(crate) fn type_ids(&self) -> &[u32] {
        &self.0.type_ids
    }

    /// Entry of defined function `def_index`.
    pub(crate) fn func_code(&self, def_index: u32) -> Option<*const u8> {
        self.0.code.ptr_of(*self.0.compiled.functions.get(def_index as usize)?)
    }

    /// The host-to-wasm trampoline for type `type_index`.
    pub(crate) fn entry_trampoline(&self, type_index: u32) -> Option<EntryTrampoline> {
        let range = *self.0.compiled.entry_trampolines.get(type_index as usize)?;
        let ptr = self.0.code.ptr_of(range)?;
        // SAFETY: the range is the compiler's entry trampoline for this
        // type (checked to lie inside the executable code), which has
        // exactly the `EntryTrampoline` signature.
        Some(unsafe { std::mem::transmute::<*const u8, EntryTrampoline>(ptr) })
    }

    /// The wasm-to-host trampoline for type `type_index`.
    pub(crate) fn host_trampoline(&self, type_index: u32) -> Option<*const u8> {
        self.0.code.ptr_of(*self.0.compiled.host_trampolines.get(type_index as usize)?)
    }
}
