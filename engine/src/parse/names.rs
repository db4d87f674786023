//! The `name` custom section: module and function names for backtraces.
//!
//! The name section is advisory (spec appendix "Custom Sections"): a
//! broken one must not make the module fail, so any decoding error makes
//! us drop the whole section rather than report it.

use wasmparser as wp;

/// Names decoded from one `name` section.
pub(crate) struct Names {
    pub module: Option<String>,
    /// Sorted by index, one entry per index.
    pub funcs: Vec<(u32, String)>,
}

/// Decodes a `name` section; `None` if it is malformed in any way.
pub(crate) fn parse_names(section: &wp::CustomSectionReader<'_>) -> Option<Names> {
    let reader = wp::NameSectionReader::new(section.data_reader());
    let mut module = None;
    let mut funcs = Vec::new();
    for sub in reader {
        match sub.ok()? {
            wp::Name::Module { name, .. } => module = Some(name.to_string()),
            wp::Name::Function(map) => {
                for naming in map {
                    let naming = naming.ok()?;
                    funcs.push((naming.index, naming.name.to_string()));
                }
            }
            // Locals, labels, types, ... are not used by the engine.
            _ => {}
        }
    }
    // The spec requires increasing indices; tolerate disorder but keep a
    // single (the first) name per index so lookups stay unambiguous.
    funcs.sort_by_key(|(i, _)| *i);
    funcs.dedup_by_key(|(i, _)| *i);
    Some(Names { module, funcs })
}
