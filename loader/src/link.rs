//! Linking one side module into the main module, and symbol lookup.
//!
//! `dlopen` is done in two phases so that a failure leaves nothing half
//! linked:
//!
//! 1. *plan*: with the module compiled (through the cache), every import is
//!    resolved by name and type-checked — the main module's exports first,
//!    then `RTLD_GLOBAL` libraries in load order, then the library's own
//!    `needed` libraries, then the embedder's host functions — without
//!    changing the guest;
//! 2. *commit*: reserve `__memory_base` (guest heap) and `__table_base`
//!    (table growth), make the `GOT.mem` / `GOT.func` globals, instantiate,
//!    fill GOT entries that point into the library itself, then run
//!    `__wasm_apply_data_relocs` and `__wasm_call_ctors`.
//!
//! `needed` libraries are opened first (each is a complete library of its
//! own, so a failure of the dependent only drops their references again).

use crate::dylink::{self, DylinkInfo, SYMBOL_BINDING_WEAK};
use crate::error::DlError;
use crate::flags::{RTLD_GLOBAL, RTLD_NOLOAD};
use crate::main_module::MainModule;
use crate::{Library, Loader, State, DEFAULT_HANDLE, MAIN_HANDLE};
use engine::{Extern, Func, FuncType, Global, GlobalType, ImportKind, Instance, Module, Store, Trap, Val, ValType};
use std::io::Read;
use std::os::unix::fs::MetadataExt;

/// Largest side module file read (a bound on what a guest makes us read).
const MAX_LIBRARY_BYTES: u64 = 1 << 30;

/// A symbol as the scope resolves it.
enum Symbol {
    Func(Func),
    /// An absolute address in linear memory.
    Data(u32),
}

/// Who defines a symbol, for error messages.
fn definer_name(st: &State, lib: Option<usize>) -> String {
    match lib.and_then(|i| st.libs.get(i)) {
        Some(l) => l.path.clone(),
        None => "the main module".to_owned(),
    }
}

fn as_symbol(store: &Store, ext: Extern, memory_base: u32) -> Option<Symbol> {
    match ext {
        Extern::Func(f) => Some(Symbol::Func(f)),
        // Exported data symbols are globals holding an address: absolute in
        // the main module, relative to `__memory_base` in a side module.
        Extern::Global(g) => match g.get(store) {
            Val::I32(v) => Some(Symbol::Data((v as u32).wrapping_add(memory_base))),
            _ => None,
        },
        Extern::Memory(_) | Extern::Table(_) => None,
    }
}

/// Looks `name` up — in the global scope (the main module, then the
/// `RTLD_GLOBAL` libraries) when `global` — then in `extra` and their
/// needed libraries, breadth first. Returns the symbol and its definer.
fn lookup(st: &State, store: &Store, name: &str, global: bool, extra: &[usize]) -> Option<(Symbol, Option<usize>)> {
    let mut queue: Vec<usize> = Vec::new();
    if global {
        if let Some(main) = &st.main {
            if let Some(s) = main.instance.get_export(store, name).and_then(|e| as_symbol(store, e, 0)) {
                return Some((s, None));
            }
        }
        queue.extend(&st.global_order);
    }
    queue.extend(extra);
    let mut seen: Vec<usize> = Vec::new();
    let mut i = 0;
    while let Some(&lib) = queue.get(i) {
        i += 1;
        if seen.contains(&lib) {
            continue;
        }
        seen.push(lib);
        let Some(l) = st.libs.get(lib) else { continue };
        if let Some(s) = l.instance.get_export(store, name).and_then(|e| as_symbol(store, e, l.memory_base)) {
            return Some((s, Some(lib)));
        }
        queue.extend(&l.deps);
    }
    None
}

/// How one import of the library being linked will be satisfied.
enum Plan {
    Ready(Extern),
    MemoryBase,
    TableBase,
    /// A `GOT.mem` / `GOT.func` entry, known now.
    GotAddr(u32),
    GotFunc(Func),
    /// A GOT entry for a symbol the library defines itself (filled after
    /// instantiation).
    GotOwn(String),
    /// An undefined weak function: calling it traps.
    WeakFunc(FuncType, String),
}

/// `dlopen`: the library index of `path`, loading it if needed.
pub(crate) fn open(st: &mut State, store: &mut Store, path: &str, flags: i32) -> Result<usize, DlError> {
    let file = (st.config.open)(path).map_err(|reason| DlError::Open { path: path.to_owned(), reason })?;
    let meta = file.metadata().map_err(|e| DlError::Open { path: path.to_owned(), reason: e.to_string() })?;
    if !meta.is_file() {
        return Err(DlError::Open { path: path.to_owned(), reason: "not a regular file".into() });
    }
    let file_id = (meta.dev(), meta.ino());
    if let Some(&i) = st.by_file.get(&file_id) {
        let lib = &mut st.libs[i];
        lib.refcount += 1;
        if flags & RTLD_GLOBAL != 0 && !lib.global {
            lib.global = true;
            st.global_order.push(i);
        }
        return Ok(i);
    }
    if flags & RTLD_NOLOAD != 0 {
        return Err(DlError::Open { path: path.to_owned(), reason: "not loaded (RTLD_NOLOAD)".into() });
    }
    if st.in_progress.contains(&file_id) {
        return Err(DlError::Unsupported { path: path.to_owned(), what: "circular `needed` libraries".into() });
    }
    if meta.len() > MAX_LIBRARY_BYTES {
        return Err(DlError::Open { path: path.to_owned(), reason: format!("larger than {MAX_LIBRARY_BYTES} bytes") });
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    (&file)
        .take(MAX_LIBRARY_BYTES)
        .read_to_end(&mut bytes)
        .map_err(|e| DlError::Open { path: path.to_owned(), reason: e.to_string() })?;
    let info = dylink::parse(path, &bytes)?;

    st.in_progress.push(file_id);
    let mut deps = Vec::with_capacity(info.needed.len());
    let mut result = Ok(());
    for name in &info.needed {
        match open(st, store, &sibling(path, name), flags & RTLD_GLOBAL) {
            Ok(i) => deps.push(i),
            Err(e) => {
                result = Err(e);
                break;
            }
        }
    }
    let linked = result.and_then(|()| link(st, store, path, file_id, &bytes, &info, flags, &deps));
    st.in_progress.retain(|&id| id != file_id);
    if linked.is_err() {
        for &d in &deps {
            release(st, d);
        }
    }
    linked
}

/// A needed library's path: as given if it has a `/`, else beside `from`.
fn sibling(from: &str, name: &str) -> String {
    if name.contains('/') {
        return name.to_owned();
    }
    match from.rfind('/') {
        Some(i) => format!("{}/{name}", &from[..i]),
        None => name.to_owned(),
    }
}

pub(crate) fn compile(st: &State, path: &str, bytes: &[u8]) -> Result<Module, DlError> {
    let engine = &st.config.engine;
    let compiled = match &st.config.cache {
        Some(cache) => cache.load_or_compile(engine, bytes).map(|(m, _)| m),
        None => Module::new(engine, bytes),
    };
    compiled.map_err(|e| DlError::Compile { path: path.to_owned(), reason: e.to_string() })
}

fn main_of(st: &State) -> Result<&MainModule, DlError> {
    st.main.as_ref().ok_or_else(|| DlError::Guest("no main module is attached to the loader".into()))
}

#[allow(clippy::too_many_arguments)]
fn link(
    st: &mut State,
    store: &mut Store,
    path: &str,
    file_id: (u64, u64),
    bytes: &[u8],
    info: &DylinkInfo,
    flags: i32,
    deps: &[usize],
) -> Result<usize, DlError> {
    let t0 = std::time::Instant::now();
    let module = compile(st, path, bytes)?;
    let t1 = std::time::Instant::now();
    let plan = plan(st, store, path, &module, info, deps)?;
    let t2 = std::time::Instant::now();
    let (instance, memory_base) = commit(st, store, path, &module, info, plan)?;
    let t3 = std::time::Instant::now();
    let index = st.libs.len();
    st.libs.push(Library {
        path: path.to_owned(),
        instance,
        memory_base,
        deps: deps.to_vec(),
        refcount: 1,
        global: flags & RTLD_GLOBAL != 0,
    });
    st.by_file.insert(file_id, index);
    if flags & RTLD_GLOBAL != 0 {
        st.global_order.push(index);
    }
    if st.config.verbose {
        tracing::info!(
            "dlopen {path}: memory base {memory_base:#x} ({} bytes), table size {}, {} imports; \
             compile or cache {:?}, resolve {:?}, link and construct {:?}",
            info.mem_size,
            info.table_size,
            module.info().imports.len(),
            t1 - t0,
            t2 - t1,
            t3 - t2,
        );
    }
    Ok(index)
}

/// Phase 1: resolve every import without changing anything the guest sees.
fn plan(
    st: &mut State,
    store: &mut Store,
    path: &str,
    module: &Module,
    info: &DylinkInfo,
    deps: &[usize],
) -> Result<Vec<Plan>, DlError> {
    let main = main_of(st)?;
    let own_export = |name: &str| module.exports().any(|e| e.name == name);
    let mut plan = Vec::with_capacity(module.info().imports.len());
    for imp in module.imports() {
        let symbol = format!("{}.{}", imp.module, imp.name);
        let weak = info.import_flags(&imp.module, &imp.name) & SYMBOL_BINDING_WEAK != 0;
        let undefined = || DlError::Undefined { path: path.to_owned(), symbol: imp.name.clone() };
        let item = match (imp.module.as_str(), imp.name.as_str(), &imp.kind) {
            ("env", "memory", ImportKind::Memory(_)) => Plan::Ready(main.memory.into()),
            ("env", "__indirect_function_table", ImportKind::Table(_)) => Plan::Ready(main.table.into()),
            ("env", "__stack_pointer", ImportKind::Global(_)) => Plan::Ready(main.stack_pointer.into()),
            ("env", "__memory_base", ImportKind::Global(_)) => Plan::MemoryBase,
            ("env", "__table_base", ImportKind::Global(_)) => Plan::TableBase,
            ("GOT.mem" | "GOT.func", name, ImportKind::Global(_)) => {
                let want_func = imp.module == "GOT.func";
                match lookup(st, store, name, true, deps) {
                    Some((Symbol::Data(addr), _)) if !want_func => Plan::GotAddr(addr),
                    Some((Symbol::Func(f), _)) if want_func => Plan::GotFunc(f),
                    Some((_, by)) => return Err(kind_error(st, path, name, want_func, by)),
                    None if own_export(name) => Plan::GotOwn(name.to_owned()),
                    None if weak => Plan::GotAddr(0),
                    None => return Err(undefined()),
                }
            }
            (m, name, ImportKind::Func(t)) => {
                let wanted = module.info().types.get(*t as usize).cloned().unwrap_or_default();
                let found = if m == "env" { lookup(st, store, name, true, deps) } else { None };
                let (func, definer) = match found {
                    Some((Symbol::Func(f), by)) => (f, definer_name(st, by)),
                    Some((Symbol::Data(_), by)) => return Err(kind_error(st, path, name, true, by)),
                    None => match st.host.as_ref().and_then(|h| h.get(store, m, name)).and_then(Extern::into_func) {
                        Some(f) => (f, "the host".to_owned()),
                        None if weak => {
                            plan.push(Plan::WeakFunc(wanted, symbol));
                            continue;
                        }
                        None => return Err(undefined()),
                    },
                };
                let found_ty = func.ty(store);
                if found_ty != wanted {
                    return Err(DlError::Signature {
                        path: path.to_owned(),
                        symbol: name.to_owned(),
                        wanted: wanted.to_string(),
                        found: found_ty.to_string(),
                        definer,
                    });
                }
                Plan::Ready(func.into())
            }
            _ => return Err(DlError::Unsupported { path: path.to_owned(), what: format!("import {symbol} of this kind") }),
        };
        plan.push(item);
    }
    Ok(plan)
}

/// An import that names a symbol of the other kind (data for a function).
fn kind_error(st: &State, path: &str, name: &str, want_func: bool, by: Option<usize>) -> DlError {
    let (wanted, found) = if want_func { ("a function", "a data symbol") } else { ("a data symbol", "a function") };
    DlError::Kind {
        path: path.to_owned(),
        symbol: name.to_owned(),
        wanted: wanted.into(),
        found: found.into(),
        definer: definer_name(st, by),
    }
}

fn i32_global(store: &mut Store, mutable: bool, value: u32) -> Result<Global, DlError> {
    Global::new(store, GlobalType { ty: ValType::I32, mutable }, Val::I32(value as i32))
        .map_err(|e| DlError::Guest(format!("cannot make a global: {e}")))
}

/// Phase 2: reserve, instantiate, relocate, construct. Returns the
/// instance and its `__memory_base`.
fn commit(
    st: &mut State,
    store: &mut Store,
    path: &str,
    module: &Module,
    info: &DylinkInfo,
    plan: Vec<Plan>,
) -> Result<(Instance, u32), DlError> {
    let main = main_of(st)?;
    let table = main.table;
    let memory_base = if info.mem_size > 0 {
        main.alloc_zeroed(store, info.mem_size, 1u32 << info.mem_align)?
            .ok_or(DlError::OutOfMemory { path: path.to_owned(), bytes: info.mem_size.into() })?
    } else {
        0
    };
    let fail = |st: &State, store: &mut Store, e: DlError| -> DlError {
        if memory_base != 0 {
            if let Some(m) = &st.main {
                m.free(store, memory_base);
            }
        }
        e
    };

    let old = table.size(store);
    let align = 1u32 << info.table_align;
    let out_of_table = |slots: u64| DlError::OutOfTable { path: path.to_owned(), slots };
    let table_base = match old.checked_next_multiple_of(align) {
        Some(b) => b,
        None => return Err(fail(st, store, out_of_table(info.table_size.into()))),
    };
    let grow = u64::from(table_base - old) + u64::from(info.table_size);
    if grow > 0 {
        let ok = u32::try_from(grow).ok().and_then(|g| table.grow(store, g, Val::FuncRef(None)).ok());
        if ok.is_none() {
            return Err(fail(st, store, out_of_table(grow)));
        }
    }

    let mut imports = Vec::with_capacity(plan.len());
    let mut own: Vec<(Global, String)> = Vec::new();
    for item in plan {
        let ext: Extern = match item {
            Plan::Ready(e) => e,
            Plan::MemoryBase => i32_global(store, false, memory_base)?.into(),
            Plan::TableBase => i32_global(store, false, table_base)?.into(),
            Plan::GotAddr(a) => i32_global(store, true, a)?.into(),
            Plan::GotFunc(f) => match st.slots.index_of(store, table, f) {
                Some(i) => i32_global(store, true, i)?.into(),
                None => return Err(fail(st, store, out_of_table(1))),
            },
            Plan::GotOwn(name) => {
                let g = i32_global(store, true, 0)?;
                own.push((g, name));
                g.into()
            }
            Plan::WeakFunc(ty, name) => {
                Func::new(store, ty, move |_, _, _| Err(Trap::host(format!("call to the undefined weak function {name}")))).into()
            }
        };
        imports.push(ext);
    }

    let init_failed =
        |stage: &str, e: engine::Error| DlError::Init { path: path.to_owned(), stage: stage.to_owned(), reason: e.to_string() };
    let instance = match Instance::new(store, module, &imports) {
        Ok(i) => i,
        Err(e) => return Err(fail(st, store, init_failed("instantiation", e))),
    };
    st.slots.note_range(store, table, table_base, table_base + info.table_size);

    for (global, name) in own {
        let value = match instance.get_export(store, &name) {
            Some(Extern::Func(f)) => match st.slots.index_of(store, table, f) {
                Some(i) => i,
                None => return Err(fail(st, store, out_of_table(1))),
            },
            Some(Extern::Global(g)) => match g.get(store) {
                Val::I32(v) => (v as u32).wrapping_add(memory_base),
                _ => 0,
            },
            _ => 0,
        };
        if let Err(e) = global.set(store, Val::I32(value as i32)) {
            return Err(fail(st, store, init_failed("GOT", e)));
        }
    }

    for stage in ["__wasm_apply_data_relocs", "__wasm_call_ctors"] {
        if let Some(f) = instance.get_func(store, stage) {
            if let Err(e) = f.call(store, &[]) {
                return Err(fail(st, store, init_failed(stage, e)));
            }
        }
    }
    Ok((instance, memory_base))
}

/// Drops one reference to library `i` (and, at zero, to its needed ones).
fn release(st: &mut State, i: usize) {
    let Some(lib) = st.libs.get_mut(i) else { return };
    if lib.refcount == 0 {
        return;
    }
    lib.refcount -= 1;
    if lib.refcount == 0 {
        if lib.global {
            lib.global = false;
            st.global_order.retain(|&g| g != i);
        }
        let deps = st.libs[i].deps.clone();
        for d in deps {
            release(st, d);
        }
    }
}

/// `dlclose`.
pub(crate) fn close(st: &mut State, handle: u32) -> Result<(), DlError> {
    if handle == MAIN_HANDLE {
        return Ok(());
    }
    let i = Loader::library_of(st, handle).ok_or(DlError::BadHandle(handle))?;
    release(st, i);
    Ok(())
}

/// `dlsym`: a function's table index or a data symbol's address.
pub(crate) fn symbol(st: &mut State, store: &mut Store, handle: u32, name: &str) -> Result<u32, DlError> {
    let found = match handle {
        DEFAULT_HANDLE | MAIN_HANDLE => lookup(st, store, name, true, &[]),
        // A library handle searches the library and its needed ones.
        h => lookup(st, store, name, false, &[Loader::library_of(st, h).ok_or(DlError::BadHandle(h))?]),
    };
    match found {
        Some((Symbol::Data(addr), _)) => Ok(addr),
        Some((Symbol::Func(f), _)) => {
            let table = main_of(st)?.table;
            st.slots.index_of(store, table, f).ok_or(DlError::OutOfTable { path: name.to_owned(), slots: 1 })
        }
        None => Err(match Loader::library_of(st, handle) {
            Some(i) => DlError::Undefined { path: st.libs[i].path.clone(), symbol: name.to_owned() },
            None => DlError::NoSymbol { symbol: name.to_owned() },
        }),
    }
}
