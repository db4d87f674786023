//! faasm-engine as a C library: the standard WebAssembly C API (`wasm.h` of
//! the WebAssembly/wasm-c-api project, shipped as `include/wasm.h`) and our
//! extensions (`include/faasm_engine.h`: WASI, the compiled-code cache, the
//! text format, error objects, a linker by name).
//!
//! Everything here is a thin layer over the engine's Rust API: the C objects
//! hold engine handles (`engine::Func`, `engine::Memory`, ...) plus what C
//! needs to see (vectors, names, host info). One file per area:
//!
//! | file | what it owns |
//! |---|---|
//! | `ffi.rs` | the C-ABI edge helpers: panic guard, NULL-safe pointer access |
//! | `vec.rs` | `wasm_*_vec_t` and their five functions per element type |
//! | `types.rs` | valtypes and the type kinds (func/global/table/memory/extern/import/export) |
//! | `store.rs` | config, engine, store, and the store's side tables (host info, externrefs) |
//! | `refs.rs` | `wasm_ref_t`, the object every runtime reference is; host info; foreign objects |
//! | `val.rs` | `wasm_val_t` and conversion to and from engine values |
//! | `trap.rs` | traps and frames |
//! | `module.rs` | modules: validate, compile, reflect, serialize, share |
//! | `func.rs` | host functions (with and without env) and calls |
//! | `global.rs`, `table.rs`, `memory.rs` | those objects |
//! | `extern.rs` | externals and conversions between them and the four kinds |
//! | `instance.rs` | instantiation and exports |
//! | `error.rs`, `wat.rs`, `wasi.rs`, `linker.rs`, `cache.rs` | the `faasm_*` extensions |
//!
//! Rules of the edge: every exported function runs under [`ffi::guard`], so
//! no Rust panic unwinds into C; every pointer from C is checked for NULL
//! and every object for its kind; bad arguments give NULL, `false`, an error
//! object or a trap with a message, never a crash.

#![allow(non_camel_case_types, clippy::missing_safety_doc)]

pub mod cache;
pub mod error;
#[path = "extern.rs"]
pub mod externs;
pub mod ffi;
pub mod func;
pub mod global;
pub mod instance;
pub mod limits;
pub mod linker;
pub mod memory;
pub mod module;
pub mod refs;
pub mod store;
pub mod table;
pub mod trap;
pub mod types;
pub mod val;
pub mod vec;
pub mod wasi;
pub mod wat;
