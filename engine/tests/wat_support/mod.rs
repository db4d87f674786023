//! Helpers the WebAssembly 3.0 tests share (`tail_calls.rs`,
//! `wasm3_features.rs`): a module from text instantiated in a store, and a
//! call of one of its exports.

use engine::{Error, Instance, Linker, Module, Store, Val};

pub fn instantiate(store: &mut Store, linker: &Linker, wat: &str) -> Result<Instance, Error> {
    let wasm = wat::parse_str(wat).expect("wat");
    let module = Module::new(store.engine(), &wasm)?;
    linker.instantiate(store, &module)
}

pub fn call(store: &mut Store, inst: Instance, name: &str, args: &[Val]) -> Result<Vec<Val>, Error> {
    let f = inst.get_func(store, name).unwrap_or_else(|| panic!("no export {name}"));
    f.call(store, args)
}
