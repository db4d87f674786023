//! The section loop: walks the payloads of a binary module and fills a
//! [`ModuleInfo`], imports first in every index space.
//!
//! Section order, section sizes, the function/code and data-count/data
//! count agreement and UTF-8 of names are decoding rules the wasmparser
//! `Parser` already enforces; they come back as `Error::Malformed`.
//! Nothing here preallocates from a declared count: vectors grow only as
//! items are actually decoded, so a hostile count cannot exhaust memory.

use super::const_expr::const_expr;
use super::convert::{global_type, memory_type, ref_type, table_type, val_type};
use super::names::parse_names;
use super::types::*;
use super::{malformed, reader_features, unsupported};
use crate::Error;
use wasmparser as wp;

/// Decodes `wasm` into a [`ModuleInfo`] without validating it.
///
/// Malformed binaries give `Error::Malformed` with the byte offset;
/// constructs of proposals the engine does not implement, which
/// `ModuleInfo` cannot represent, give `Error::Invalid` with `func: None`.
pub fn parse(wasm: &[u8]) -> Result<ModuleInfo, Error> {
    let mut info = ModuleInfo::default();
    let mut parser = wp::Parser::new(0);
    parser.set_features(reader_features());
    let mut saw_end = false;
    for payload in parser.parse_all(wasm) {
        let payload = payload.map_err(malformed)?;
        section(&mut info, payload, &mut saw_end)?;
    }
    if !saw_end {
        // `parse_all` only stops early on an error, which is returned
        // above; this guards against a silent truncation regardless.
        return Err(Error::Malformed { offset: wasm.len(), message: "unexpected end".into() });
    }
    Ok(info)
}

fn section(info: &mut ModuleInfo, payload: wp::Payload<'_>, saw_end: &mut bool) -> Result<(), Error> {
    use wp::Payload::*;
    match payload {
        Version { encoding, range, .. } => {
            if encoding != wp::Encoding::Module {
                return Err(Error::Malformed {
                    offset: range.start,
                    message: "unknown binary version (components are not supported)".into(),
                });
            }
        }
        TypeSection(reader) => {
            for item in reader.into_iter_with_offsets() {
                let (offset, group) = item.map_err(malformed)?;
                info.types.push(func_type(group, offset)?);
            }
        }
        ImportSection(reader) => {
            for item in reader.into_imports_with_offsets() {
                let (offset, import) = item.map_err(malformed)?;
                let kind = match import.ty {
                    wp::TypeRef::Func(t) => {
                        info.functions.push(t);
                        info.num_imported_funcs += 1;
                        ImportKind::Func(t)
                    }
                    wp::TypeRef::Table(t) => {
                        let t = table_type(&t, offset)?;
                        info.tables.push(t);
                        info.num_imported_tables += 1;
                        ImportKind::Table(t)
                    }
                    wp::TypeRef::Memory(m) => {
                        let m = memory_type(&m, offset)?;
                        info.memories.push(m);
                        info.num_imported_memories += 1;
                        ImportKind::Memory(m)
                    }
                    wp::TypeRef::Global(g) => {
                        let g = global_type(&g, offset)?;
                        info.globals.push(g);
                        info.num_imported_globals += 1;
                        ImportKind::Global(g)
                    }
                    wp::TypeRef::Tag(_) => return Err(unsupported(offset, "tag imports (exception handling) are")),
                    wp::TypeRef::FuncExact(_) => return Err(unsupported(offset, "exact function imports are")),
                };
                info.imports.push(Import { module: import.module.to_string(), name: import.name.to_string(), kind });
            }
        }
        FunctionSection(reader) => {
            for item in reader {
                info.functions.push(item.map_err(malformed)?);
            }
        }
        TableSection(reader) => {
            for item in reader.into_iter_with_offsets() {
                let (offset, table) = item.map_err(malformed)?;
                info.tables.push(table_type(&table.ty, offset)?);
                // 3.0: a table may give the value of its initial elements
                // (required for a non-nullable element type).
                info.table_inits.push(match table.init {
                    wp::TableInit::RefNull => None,
                    wp::TableInit::Expr(e) => Some(const_expr(&e)?),
                });
            }
        }
        MemorySection(reader) => {
            for item in reader.into_iter_with_offsets() {
                let (offset, mem) = item.map_err(malformed)?;
                info.memories.push(memory_type(&mem, offset)?);
            }
        }
        TagSection(reader) => return Err(unsupported(reader.range().start, "the tag section (exception handling) is")),
        GlobalSection(reader) => {
            for item in reader.into_iter_with_offsets() {
                let (offset, global) = item.map_err(malformed)?;
                info.globals.push(global_type(&global.ty, offset)?);
                info.global_inits.push(const_expr(&global.init_expr)?);
            }
        }
        ExportSection(reader) => {
            for item in reader.into_iter_with_offsets() {
                let (offset, export) = item.map_err(malformed)?;
                let kind = match export.kind {
                    wp::ExternalKind::Func => ExternKind::Func,
                    wp::ExternalKind::Table => ExternKind::Table,
                    wp::ExternalKind::Memory => ExternKind::Memory,
                    wp::ExternalKind::Global => ExternKind::Global,
                    wp::ExternalKind::Tag => return Err(unsupported(offset, "tag exports (exception handling) are")),
                    wp::ExternalKind::FuncExact => return Err(unsupported(offset, "exact function exports are")),
                };
                info.exports.push(Export { name: export.name.to_string(), kind, index: export.index });
            }
        }
        StartSection { func, .. } => info.start = Some(func),
        ElementSection(reader) => {
            for item in reader.into_iter_with_offsets() {
                let (offset, elem) = item.map_err(malformed)?;
                info.elements.push(element(elem, offset)?);
            }
        }
        DataCountSection { count, .. } => info.data_count = Some(count),
        DataSection(reader) => {
            for item in reader {
                let data = item.map_err(malformed)?;
                let mode = match data.kind {
                    wp::DataKind::Passive => DataMode::Passive,
                    wp::DataKind::Active { memory_index, offset_expr } => {
                        DataMode::Active { memory: memory_index, offset: const_expr(&offset_expr)? }
                    }
                };
                info.data.push(DataSegment { mode, bytes: data.data.to_vec() });
            }
        }
        CodeSectionStart { .. } => {}
        CodeSectionEntry(body) => info.bodies.push(FunctionBody { range: body.range() }),
        CustomSection(reader) => {
            if reader.name() == "name" {
                if let Some(names) = parse_names(&reader) {
                    info.name = names.module;
                    info.func_names = names.funcs;
                }
            }
        }
        UnknownSection { range, .. } => {
            return Err(Error::Malformed { offset: range.start, message: "malformed section id".into() })
        }
        End(_) => *saw_end = true,
        // Component-model payloads only occur inside components, which the
        // `Version` arm above already refused. (Whether these variants exist
        // depends on wasmparser's `component-model` feature.)
        #[allow(unreachable_patterns)]
        other => {
            let offset = other.as_section().map(|(_, r)| r.start).unwrap_or(0);
            return Err(Error::Malformed { offset, message: "unexpected component section".into() });
        }
    }
    Ok(())
}

/// One entry of the type section: plain function types only (their
/// parameters may be typed references); GC's recursion groups, subtyping
/// and struct/array types are refused.
fn func_type(group: wp::RecGroup, offset: usize) -> Result<FuncType, Error> {
    if group.is_explicit_rec_group() {
        return Err(unsupported(offset, "recursion groups (gc proposal) are"));
    }
    let mut types = group.into_types();
    let sub = match (types.next(), types.next()) {
        (Some(t), None) => t,
        _ => return Err(unsupported(offset, "recursion groups (gc proposal) are")),
    };
    if !sub.is_final || sub.supertype_idx.is_some() {
        return Err(unsupported(offset, "subtyping (gc proposal) is"));
    }
    let ct = &sub.composite_type;
    if ct.shared || ct.descriptor_idx.is_some() || ct.describes_idx.is_some() {
        return Err(unsupported(offset, "shared or descriptor types are"));
    }
    match &ct.inner {
        wp::CompositeInnerType::Func(f) => {
            let params = f.params().iter().map(|t| val_type(*t, offset)).collect::<Result<_, _>>()?;
            let results = f.results().iter().map(|t| val_type(*t, offset)).collect::<Result<_, _>>()?;
            Ok(FuncType { params, results })
        }
        _ => Err(unsupported(offset, "struct, array and continuation types are")),
    }
}

fn element(elem: wp::Element<'_>, offset: usize) -> Result<ElementSegment, Error> {
    let mode = match elem.kind {
        wp::ElementKind::Passive => ElementMode::Passive,
        wp::ElementKind::Declared => ElementMode::Declared,
        wp::ElementKind::Active { table_index, offset_expr } => {
            ElementMode::Active { table: table_index.unwrap_or(0), offset: const_expr(&offset_expr)? }
        }
    };
    let (ty, items) = match elem.items {
        wp::ElementItems::Functions(reader) => {
            let funcs = reader.into_iter().collect::<Result<Vec<u32>, _>>().map_err(malformed)?;
            // 3.0: a segment of function indices has type `(ref func)`
            // (a subtype of 2.0's funcref, so nothing changes for 2.0
            // modules); the expression form below says its own type.
            let ty = RefType::Typed(TypedRef { nullable: false, heap: HeapType::Func });
            (ty, ElementItems::Funcs(funcs))
        }
        wp::ElementItems::Expressions(ty, reader) => {
            let ty = ref_type(ty, offset)?;
            let mut exprs = Vec::new();
            for e in reader {
                exprs.push(const_expr(&e.map_err(malformed)?)?);
            }
            // A list of `ref.func` expressions (what LLVM emits for
            // funcref tables) is a function list in another encoding.
            let funcs = match ty {
                RefType::FuncRef => exprs
                    .iter()
                    .map(|e| match e.ops.as_slice() {
                        [ConstOp::RefFunc(f)] => Some(*f),
                        _ => None,
                    })
                    .collect::<Option<Vec<u32>>>(),
                _ => None,
            };
            (ty, funcs.map_or(ElementItems::Exprs(exprs), ElementItems::Funcs))
        }
    };
    Ok(ElementSegment { mode, ty, items })
}
