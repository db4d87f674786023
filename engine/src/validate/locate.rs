//! Byte offsets of module-level items, for error messages.
//!
//! `ModuleInfo` deliberately carries no offsets (it is cached on disk and
//! compared for equality). A module-level error is rare, so we find its
//! offset only then, by walking the section headers of the original bytes
//! again with the reader. Any failure to find it falls back to the start
//! of the section, or 0.

use crate::parse::reader_features;
use wasmparser as wp;

/// A module-level item, by its position within its own section.
#[derive(Copy, Clone, Debug)]
pub enum Item {
    Type(u32),
    Import(u32),
    /// Entry of the function section (defined functions only).
    Func(u32),
    /// Entry of the table section (defined tables only).
    Table(u32),
    Memory(u32),
    Global(u32),
    Export(u32),
    Start,
    Element(u32),
    Data(u32),
    DataCount,
    /// The code section entry (body) of a defined function.
    Body(u32),
    /// Where the code section starts (or would).
    CodeSection,
}

/// Offset of `item` in `wasm`, best effort.
pub fn locate(wasm: &[u8], item: Item) -> usize {
    find(wasm, item).unwrap_or(0)
}

fn nth<'a, T: wp::FromReader<'a>>(reader: wp::SectionLimited<'a, T>, n: u32) -> Option<usize> {
    let start = reader.range().start;
    let found = reader.into_iter_with_offsets().nth(n as usize).and_then(|r| r.ok()).map(|(o, _)| o);
    Some(found.unwrap_or(start))
}

fn find(wasm: &[u8], item: Item) -> Option<usize> {
    let mut parser = wp::Parser::new(0);
    parser.set_features(reader_features());
    let mut body_index = 0u32;
    let mut last = 0usize;
    for payload in parser.parse_all(wasm) {
        let payload = payload.ok()?;
        use wp::Payload::*;
        match (payload, item) {
            (TypeSection(r), Item::Type(n)) => return nth(r, n),
            (ImportSection(r), Item::Import(n)) => {
                let start = r.range().start;
                let found = r.into_imports_with_offsets().nth(n as usize).and_then(|r| r.ok());
                return Some(found.map(|(o, _)| o).unwrap_or(start));
            }
            (FunctionSection(r), Item::Func(n)) => return nth(r, n),
            (TableSection(r), Item::Table(n)) => return nth(r, n),
            (MemorySection(r), Item::Memory(n)) => return nth(r, n),
            (GlobalSection(r), Item::Global(n)) => return nth(r, n),
            (ExportSection(r), Item::Export(n)) => return nth(r, n),
            (StartSection { range, .. }, Item::Start) => return Some(range.start),
            (ElementSection(r), Item::Element(n)) => return nth(r, n),
            (DataSection(r), Item::Data(n)) => return nth(r, n),
            (DataCountSection { range, .. }, Item::DataCount) => return Some(range.start),
            (CodeSectionStart { range, .. }, Item::CodeSection) => return Some(range.start),
            (CodeSectionEntry(body), Item::Body(n)) => {
                if body_index == n {
                    return Some(body.range().start);
                }
                body_index += 1;
            }
            (End(offset), _) => return Some(offset),
            (p, _) => {
                if let Some((_, range)) = p.as_section() {
                    last = range.end;
                }
            }
        }
    }
    Some(last)
}
