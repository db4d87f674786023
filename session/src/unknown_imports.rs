//! Function imports that nothing defines, given a body by policy
//! ([`UnknownImports`]): a trap naming the import, or zeros. Lets a module
//! built for another embedder's ABI run as far as it does not call what we
//! lack (wasmtime's `-W unknown-imports-trap=y` / `unknown-imports-default=y`).
//! Tables, memories and globals are never made up: linking still fails on
//! those, naming them.

use crate::spec::UnknownImports;
use engine::{ImportKind, Linker, Module, Trap, Val};

/// Defines in `linker` every function import of `module` it lacks, as
/// `policy` says (nothing for [`UnknownImports::Reject`]).
pub fn define(linker: &mut Linker, module: &Module, policy: UnknownImports) {
    if policy == UnknownImports::Reject {
        return;
    }
    for import in module.imports() {
        let ImportKind::Func(type_index) = import.kind else { continue };
        if linker.defines(&import.module, &import.name) {
            continue;
        }
        // A type index the validator accepted; a module without it has no
        // such import to make up.
        let Some(ty) = module.info().types.get(type_index as usize).cloned() else { continue };
        let shown = format!("{}.{}", import.module, import.name);
        match policy {
            UnknownImports::Trap => {
                let message = format!("unknown import `{shown}` was called (it was defined to trap by --unknown-imports trap)");
                linker.func_new(&import.module, &import.name, ty, move |_, _, _| Err(Trap::host(message.clone())));
            }
            UnknownImports::Default => {
                let results = ty.results.clone();
                linker.func_new(&import.module, &import.name, ty, move |_, _, out| {
                    for (slot, t) in out.iter_mut().zip(&results) {
                        *slot = Val::default_for(*t);
                    }
                    Ok(())
                });
            }
            UnknownImports::Reject => {}
        }
    }
}
