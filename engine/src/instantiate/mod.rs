//! Stage 5: stores, instances, linear memories, tables, globals, imports.
//!
//! `store` owns every runtime object; `instance` builds VMContexts and runs
//! segment initialisation; `linker` resolves imports by name and checks
//! their types; `memory`, `table` and `global` are the objects themselves;
//! `instance_state` captures and restores the state of initialised instances;
//! `func` is host functions and calls from the host; `libcalls` are the
//! runtime functions compiled code calls.

pub mod func;
pub mod global;
pub(crate) mod hot_pages;
pub mod instance;
pub mod instance_state;
pub mod libcalls;
pub mod linker;
pub mod memory;
pub mod memory_image;
pub mod memory_pool;
pub mod store;
pub mod table;
pub mod values;
