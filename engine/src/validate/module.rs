//! Module-level rules of WebAssembly 2.0 and of the parts of 3.0 the
//! engine implements (typed references in types, table initialisers):
//! index spaces, limits, constant expressions, exports, the start function
//! and segments. Function bodies are `func`'s job.

use super::const_expr::{self, Site};
use super::limits::*;
use super::locate::{locate, Item};
use super::subtype::{check_indices, Subtyping};
use crate::parse::*;
use crate::Error;
use std::collections::HashSet;

/// A module-level failure: where (found lazily) and why.
struct Fail {
    item: Item,
    message: String,
}

fn fail(item: Item, message: impl Into<String>) -> Fail {
    Fail { item, message: message.into() }
}

pub fn validate_module(info: &ModuleInfo, wasm: &[u8]) -> Result<(), Error> {
    check(info, wasm).map_err(|f| Error::Invalid { func: None, offset: locate(wasm, f.item), message: f.message })
}

fn check(info: &ModuleInfo, wasm: &[u8]) -> Result<(), Fail> {
    counts(info)?;
    types(info)?;
    let sub = Subtyping::new(&info.types);
    imports(info)?;
    functions(info)?;
    tables(info, &sub)?;
    memories(info)?;
    globals(info, &sub)?;
    exports(info)?;
    start(info)?;
    elements(info, &sub)?;
    data(info, &sub)?;
    bodies(info, wasm)
}

/// Our implementation limits, and the consistency of the counts that
/// `parse` derived (guarding against a `ModuleInfo` from elsewhere).
fn counts(info: &ModuleInfo) -> Result<(), Fail> {
    let over = |what: &str, n: usize, max: usize, item: Item| {
        if n > max {
            Err(fail(item, format!("{what} count of {n} exceeds the limit of {max}")))
        } else {
            Ok(())
        }
    };
    over("type", info.types.len(), MAX_TYPES, Item::Type(0))?;
    over("import", info.imports.len(), MAX_IMPORTS, Item::Import(0))?;
    over("function", info.functions.len(), MAX_FUNCTIONS, Item::Func(0))?;
    over("global", info.globals.len(), MAX_GLOBALS, Item::Global(0))?;
    over("export", info.exports.len(), MAX_EXPORTS, Item::Export(0))?;
    over("element segment", info.elements.len(), MAX_ELEMENT_SEGMENTS, Item::Element(0))?;
    over("data segment", info.data.len(), MAX_DATA_SEGMENTS, Item::Data(0))?;
    over("table", info.tables.len(), MAX_TABLES, Item::Table(0))?;
    let imported = |pred: fn(&ImportKind) -> bool| info.imports.iter().filter(|i| pred(&i.kind)).count();
    let consistent = imported(|k| matches!(k, ImportKind::Func(_))) == info.num_imported_funcs as usize
        && imported(|k| matches!(k, ImportKind::Table(_))) == info.num_imported_tables as usize
        && imported(|k| matches!(k, ImportKind::Memory(_))) == info.num_imported_memories as usize
        && imported(|k| matches!(k, ImportKind::Global(_))) == info.num_imported_globals as usize
        && info.functions.len() >= info.num_imported_funcs as usize
        && info.tables.len() >= info.num_imported_tables as usize
        && info.memories.len() >= info.num_imported_memories as usize
        && info.globals.len() == info.num_imported_globals as usize + info.global_inits.len()
        && info.tables.len() == info.num_imported_tables as usize + info.table_inits.len();
    if !consistent {
        return Err(fail(Item::Import(0), "inconsistent module description (import counts)"));
    }
    Ok(())
}

/// A type may refer to earlier types only: a reference to itself or to a
/// later type needs GC's recursion groups (wasmparser's rule without GC).
fn types(info: &ModuleInfo) -> Result<(), Fail> {
    for (i, ty) in info.types.iter().enumerate() {
        for t in ty.params.iter().chain(&ty.results) {
            check_indices(*t, i).map_err(|m| fail(Item::Type(i as u32), m))?;
        }
    }
    Ok(())
}

fn type_exists(info: &ModuleInfo, t: u32, item: Item) -> Result<(), Fail> {
    if (t as usize) < info.types.len() {
        Ok(())
    } else {
        Err(fail(item, format!("unknown type {t}")))
    }
}

fn table_type(info: &ModuleInfo, t: &TableType, item: Item) -> Result<(), Fail> {
    check_indices(t.elem.into(), info.types.len()).map_err(|m| fail(item, m))?;
    match t.max {
        Some(max) if t.min > max => Err(fail(item, "size minimum must not be greater than maximum")),
        _ => Ok(()),
    }
}

fn memory_type(m: &MemoryType, item: Item) -> Result<(), Fail> {
    if let Some(max) = m.max {
        if m.min > max {
            return Err(fail(item, "size minimum must not be greater than maximum"));
        }
    }
    if m.min > MAX_MEMORY_PAGES || m.max.is_some_and(|max| max > MAX_MEMORY_PAGES) {
        return Err(fail(item, "memory size must be at most 65536 pages (4GiB)"));
    }
    Ok(())
}

fn imports(info: &ModuleInfo) -> Result<(), Fail> {
    for (i, import) in info.imports.iter().enumerate() {
        let item = Item::Import(i as u32);
        match &import.kind {
            ImportKind::Func(t) => type_exists(info, *t, item)?,
            ImportKind::Table(t) => table_type(info, t, item)?,
            ImportKind::Memory(m) => memory_type(m, item)?,
            ImportKind::Global(g) => check_indices(g.ty, info.types.len()).map_err(|m| fail(item, m))?,
        }
    }
    Ok(())
}

fn functions(info: &ModuleInfo) -> Result<(), Fail> {
    let defined = info.functions.get(info.num_imported_funcs as usize..).unwrap_or(&[]);
    for (j, t) in defined.iter().enumerate() {
        type_exists(info, *t, Item::Func(j as u32))?;
    }
    Ok(())
}

fn tables(info: &ModuleInfo, sub: &Subtyping) -> Result<(), Fail> {
    let defined = info.tables.get(info.num_imported_tables as usize..).unwrap_or(&[]);
    for (j, (t, init)) in defined.iter().zip(&info.table_inits).enumerate() {
        let item = Item::Table(j as u32);
        table_type(info, t, item)?;
        let elem = ValType::from(t.elem);
        match init {
            // Table initialisers read globals as global initialisers do.
            Some(e) => const_expr::check(info, sub, e, elem, Site::GlobalInit).map_err(|m| fail(item, m))?,
            None if !elem.is_defaultable() => {
                return Err(fail(item, format!("type mismatch: a table of {elem} needs an initialiser")))
            }
            None => {}
        }
    }
    Ok(())
}

fn memories(info: &ModuleInfo) -> Result<(), Fail> {
    let imported = info.num_imported_memories as usize;
    if info.memories.len() > 1 {
        // Point at the second memory, imported or defined.
        let item = if imported > 1 {
            let second = info
                .imports
                .iter()
                .enumerate()
                .filter(|(_, i)| matches!(i.kind, ImportKind::Memory(_)))
                .nth(1)
                .map_or(0, |(k, _)| k);
            Item::Import(second as u32)
        } else {
            Item::Memory((1 - imported) as u32)
        };
        return Err(fail(item, "multiple memories are not allowed (multi-memory is not supported)"));
    }
    for (j, m) in info.memories.iter().enumerate().skip(imported) {
        memory_type(m, Item::Memory((j - imported) as u32))?;
    }
    Ok(())
}

fn globals(info: &ModuleInfo, sub: &Subtyping) -> Result<(), Fail> {
    let defined = info.globals.get(info.num_imported_globals as usize..).unwrap_or(&[]);
    for (j, (g, init)) in defined.iter().zip(&info.global_inits).enumerate() {
        check_indices(g.ty, info.types.len()).map_err(|m| fail(Item::Global(j as u32), m))?;
        const_expr::check(info, sub, init, g.ty, Site::GlobalInit).map_err(|m| fail(Item::Global(j as u32), m))?;
    }
    Ok(())
}

fn exports(info: &ModuleInfo) -> Result<(), Fail> {
    let mut names = HashSet::new();
    for (i, e) in info.exports.iter().enumerate() {
        let item = Item::Export(i as u32);
        if !names.insert(e.name.as_str()) {
            return Err(fail(item, format!("duplicate export name \"{}\"", e.name)));
        }
        let (what, len) = match e.kind {
            ExternKind::Func => ("function", info.functions.len()),
            ExternKind::Table => ("table", info.tables.len()),
            ExternKind::Memory => ("memory", info.memories.len()),
            ExternKind::Global => ("global", info.globals.len()),
        };
        if e.index as usize >= len {
            return Err(fail(item, format!("unknown {what} {}", e.index)));
        }
    }
    Ok(())
}

fn start(info: &ModuleInfo) -> Result<(), Fail> {
    let Some(f) = info.start else { return Ok(()) };
    let ty = info.functions.get(f as usize).and_then(|t| info.types.get(*t as usize));
    match ty {
        None => Err(fail(Item::Start, format!("unknown function {f}"))),
        Some(ty) if !ty.params.is_empty() || !ty.results.is_empty() => {
            Err(fail(Item::Start, "start function must have type [] -> []"))
        }
        Some(_) => Ok(()),
    }
}

fn elements(info: &ModuleInfo, sub: &Subtyping) -> Result<(), Fail> {
    for (i, seg) in info.elements.iter().enumerate() {
        let item = Item::Element(i as u32);
        if seg.items.len() > MAX_SEGMENT_ELEMENTS {
            return Err(fail(item, "number of elements is out of bounds"));
        }
        check_indices(seg.ty.into(), info.types.len()).map_err(|m| fail(item, m))?;
        if let ElementMode::Active { table, offset } = &seg.mode {
            let Some(t) = info.tables.get(*table as usize) else {
                return Err(fail(item, format!("unknown table {table}")));
            };
            // (A list of function indices has type `(ref func)`, see
            // `parse`: it cannot fill a table of a concrete type.)
            if !sub.matches(seg.ty.into(), t.elem.into()) {
                return Err(fail(item, "type mismatch: element segment does not match the table's element type"));
            }
            const_expr::check(info, sub, offset, ValType::I32, Site::Segment).map_err(|m| fail(item, m))?;
        }
        for expr in seg.items.exprs() {
            const_expr::check(info, sub, &expr, seg.ty.into(), Site::Segment).map_err(|m| fail(item, m))?;
        }
    }
    Ok(())
}

fn data(info: &ModuleInfo, sub: &Subtyping) -> Result<(), Fail> {
    if let Some(n) = info.data_count {
        if n as usize != info.data.len() {
            return Err(fail(Item::DataCount, "data count and data section have inconsistent lengths"));
        }
    }
    for (i, seg) in info.data.iter().enumerate() {
        if let DataMode::Active { memory, offset } = &seg.mode {
            let item = Item::Data(i as u32);
            if *memory as usize >= info.memories.len() {
                return Err(fail(item, format!("unknown memory {memory}")));
            }
            const_expr::check(info, sub, offset, ValType::I32, Site::Segment).map_err(|m| fail(item, m))?;
        }
    }
    Ok(())
}

fn bodies(info: &ModuleInfo, wasm: &[u8]) -> Result<(), Fail> {
    let defined = info.functions.len() - info.num_imported_funcs as usize;
    if info.bodies.len() != defined {
        return Err(fail(Item::CodeSection, "function and code section have inconsistent lengths"));
    }
    for (j, body) in info.bodies.iter().enumerate() {
        let item = Item::Body(j as u32);
        if body.range.start > body.range.end || body.range.end > wasm.len() {
            return Err(fail(item, "function body lies outside the module bytes"));
        }
        if body.range.len() > MAX_FUNCTION_SIZE {
            return Err(fail(item, "function body is too large"));
        }
    }
    Ok(())
}
