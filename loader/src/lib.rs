//! loader: dynamic linking of WebAssembly side modules (`dylink.0`) into a
//! running main module, the way `dlopen` loads shared objects — so that a
//! CPython built as a wasm main module can import C extensions built as
//! wasm side modules.
//!
//! It implements the WebAssembly tool-conventions dynamic-linking ABI
//! against our own engine:
//!
//! * [`dylink`]: reading a side module's `dylink.0` section;
//! * [`main_module`]: what a side module links against in the main module
//!   (memory, table, stack pointer, exports) and the guest allocator that
//!   reserves each library's `__memory_base`;
//! * `slots`: one function-table index per function, so function pointers
//!   compare equal across modules;
//! * `link`: linking one library — resolve every import first, then
//!   reserve memory and table slots, instantiate, fill the GOT, apply data
//!   relocations and run constructors;
//! * `guest`: the `env.dlopen/dlsym/dlerror/dlclose` imports the guest
//!   calls;
//! * [`saved_libraries`]: capturing the linked libraries and restoring them.
//!
//! Files are opened through an embedder-given function (the CLI passes the
//! WASI sandbox's: a side module outside the granted directories cannot be
//! loaded) and compiled through `objcache`, so a second process start maps
//! cached code instead of compiling again.
//!
//! `dlclose` drops a reference; a library whose count reaches zero keeps
//! its code and data (as with `RTLD_NODELETE`), because function pointers
//! and addresses into it may survive in the guest; opening it again gives
//! the same library back.

pub mod dylink;
mod error;
mod guest;
mod link;
pub mod main_module;
pub mod saved_libraries;
mod slots;

pub use error::DlError;

use engine::{Engine, Func, Instance, Linker, Store};
use foldhash::fast::RandomState;
use main_module::MainModule;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// `dlopen` flags, as the build's `<dlfcn.h>` defines them.
pub mod flags {
    pub const RTLD_LAZY: i32 = 1;
    pub const RTLD_NOW: i32 = 2;
    pub const RTLD_NOLOAD: i32 = 4;
    pub const RTLD_GLOBAL: i32 = 256;
    pub const RTLD_LOCAL: i32 = 0;
    pub const RTLD_NODELETE: i32 = 4096;
}

/// `dlsym`'s "search the global scope" handle (`RTLD_DEFAULT`, NULL).
pub const DEFAULT_HANDLE: u32 = 0;
/// The handle `dlopen(NULL)` returns: the main program and global libraries.
pub const MAIN_HANDLE: u32 = 1;
/// Library `i` has handle `FIRST_LIBRARY_HANDLE + i`.
const FIRST_LIBRARY_HANDLE: u32 = 2;

/// Opens a guest path for reading, or says why not.
pub type OpenFn = dyn Fn(&str) -> Result<std::fs::File, String> + Send + Sync;

/// How the loader finds and compiles side modules.
pub struct Config {
    pub engine: Engine,
    /// Where compiled side modules are kept (None: compile every time).
    pub cache: Option<objcache::Cache>,
    /// Opens a guest path: the embedder decides what the guest may load.
    pub open: Box<OpenFn>,
    /// Print every dlopen and dlsym to stderr (`FAASM_DYNLOAD_VERBOSE`).
    pub verbose: bool,
}

/// One loaded side module.
pub(crate) struct Library {
    pub path: String,
    pub instance: Instance,
    pub memory_base: u32,
    /// Libraries from its `needed` list.
    pub deps: Vec<usize>,
    pub refcount: u32,
    pub global: bool,
}

pub(crate) struct State {
    pub config: Config,
    pub main: Option<MainModule>,
    /// Index = handle - FIRST_LIBRARY_HANDLE; entries are never removed
    /// (see the module docs on dlclose).
    pub libs: Vec<Library>,
    pub by_file: HashMap<(u64, u64), usize, RandomState>,
    /// RTLD_GLOBAL libraries in load order: searched after the main module.
    pub global_order: Vec<usize>,
    /// Files being linked right now (to refuse circular `needed` lists).
    pub in_progress: Vec<(u64, u64)>,
    pub slots: slots::Slots,
    /// Host functions side modules may import (e.g. `env.__faasm_*`).
    pub host: Option<Linker>,
    /// What the next `dlerror()` returns.
    pub last_error: Option<String>,
    /// The guest buffer of the previous `dlerror()` text, freed on the next.
    pub error_buf: Option<u32>,
}

/// A dynamic loader for one store's main module. Clones share the state.
#[derive(Clone)]
pub struct Loader {
    state: Arc<Mutex<State>>,
}

impl Loader {
    pub fn new(config: Config) -> Loader {
        Loader {
            state: Arc::new(Mutex::new(State {
                config,
                main: None,
                libs: Vec::new(),
                by_file: HashMap::default(),
                global_order: Vec::new(),
                in_progress: Vec::new(),
                slots: slots::Slots::default(),
                host: None,
                last_error: None,
                error_buf: None,
            })),
        }
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, State>, DlError> {
        self.state
            .try_lock()
            .map_err(|_| DlError::Guest("dlopen/dlsym called again while a library is being linked (from a constructor?)".into()))
    }

    /// Defines `env.dlopen`, `env.dlsym`, `env.dlerror` and `env.dlclose` in
    /// `linker`, for the main module to import.
    pub fn define(&self, linker: &mut Linker) {
        guest::define(self, linker);
    }

    /// Host functions that side modules may import besides the main
    /// module's exports (looked up by module and name in `linker`).
    pub fn set_host_imports(&self, linker: Linker) -> Result<(), DlError> {
        self.lock()?.host = Some(linker);
        Ok(())
    }

    /// Names the main module instance (call after instantiating it). Without
    /// it, the first instance to call `dlopen` is taken as the main module.
    pub fn attach(&self, store: &Store, main: Instance) -> Result<(), DlError> {
        let m = MainModule::new(store, main)?;
        self.lock()?.main = Some(m);
        Ok(())
    }

    /// `dlopen(path, flags)` from the host: the library's handle.
    pub fn dlopen(&self, store: &mut Store, path: &str, flags: i32) -> Result<u32, DlError> {
        let mut st = self.lock()?;
        link::open(&mut st, store, path, flags).map(|i| i as u32 + FIRST_LIBRARY_HANDLE)
    }

    /// `dlsym(handle, name)` from the host: a function's table index or a
    /// data symbol's address.
    pub fn dlsym(&self, store: &mut Store, handle: u32, name: &str) -> Result<u32, DlError> {
        let mut st = self.lock()?;
        link::symbol(&mut st, store, handle, name)
    }

    /// `dlclose(handle)` from the host.
    pub fn dlclose(&self, handle: u32) -> Result<(), DlError> {
        let mut st = self.lock()?;
        link::close(&mut st, handle)
    }

    /// The function a `dlsym` result (a table index) designates.
    pub fn function_at(&self, store: &Store, index: u32) -> Option<Func> {
        let st = self.state.lock().ok()?;
        match st.main.as_ref()?.table.get(store, index)? {
            engine::Val::FuncRef(f) => f,
            _ => None,
        }
    }

    /// The instance of the library behind an open handle.
    pub fn instance(&self, handle: u32) -> Option<Instance> {
        let st = self.state.lock().ok()?;
        Loader::library_of(&st, handle).map(|i| st.libs[i].instance)
    }

    /// Handle -> library index, for a library still open.
    pub(crate) fn library_of(st: &State, handle: u32) -> Option<usize> {
        let i = handle.checked_sub(FIRST_LIBRARY_HANDLE)? as usize;
        st.libs.get(i).filter(|l| l.refcount > 0).map(|_| i)
    }
}
