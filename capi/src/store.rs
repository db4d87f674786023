//! Config, engine and store, and what the C API adds to a store: host info
//! of its objects, the table that gives C references an externref handle,
//! foreign object ids, and host-function environments with finalizers.
//!
//! Lifetime: every object of a store (`wasm_func_t`, `wasm_memory_t`, ...)
//! holds an `Rc` of its [`StoreData`], so the store lives until
//! `wasm_store_delete` *and* the last such object are gone; an object used
//! after `wasm_store_delete` is therefore still sound. Objects are
//! deleted with the store (the engine never frees an instance, memory or
//! function before its store drops: compiled code may point to them), and
//! so finalizers (host info, function environments) run when the store
//! goes, after the engine's store, so that no callback can run any more.

use crate::ffi::{from_c, guard, ptr_ref, to_c};
use engine::{Config, Engine, Func, Global, Instance, Memory, Store, Table};
use std::cell::{Cell, RefCell, UnsafeCell};
use std::collections::HashMap;
use std::ffi::c_void;
use std::mem::ManuallyDrop;
use std::rc::Rc;

pub struct wasm_config_t {
    pub config: Config,
}

pub struct wasm_engine_t {
    pub engine: Engine,
}

pub struct wasm_store_t {
    pub data: Rc<StoreData>,
}

/// Which runtime object a reference designates (engine handles are already
/// identities: two handles of one object compare equal).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Identity {
    Func(Func),
    Global(Global),
    Table(Table),
    Memory(Memory),
    Instance(Instance),
    /// A `wasm_foreign_t`, numbered per store.
    Foreign(u64),
}

/// A host pointer and the finalizer to call on it when its owner dies.
pub struct HostInfo {
    pub data: *mut c_void,
    pub finalizer: Option<unsafe extern "C" fn(*mut c_void)>,
}

impl Drop for HostInfo {
    fn drop(&mut self) {
        if let Some(f) = self.finalizer {
            // SAFETY: the embedder registered `f` for `data`; this is the one
            // call it was promised (the info is dropped once).
            unsafe { f(self.data) }
        }
    }
}

/// Externref handles: the engine stores a non-zero u64 per externref; C's
/// references become `index + 1` in this table (interned, so the same
/// object always gets the same handle).
#[derive(Default)]
pub struct ExternRefs {
    ids: Vec<Identity>,
    handles: HashMap<Identity, u64>,
}

pub struct StoreData {
    store: ManuallyDrop<UnsafeCell<Store>>,
    pub engine: Engine,
    /// Host info of each object, with the order it was set in (finalizers
    /// run in that order, so that what a program prints is deterministic).
    host_info: RefCell<HashMap<Identity, (u64, HostInfo)>>,
    host_info_seq: Cell<u64>,
    externrefs: RefCell<ExternRefs>,
    next_foreign: Cell<u64>,
    /// Environments of host functions (finalized with the store).
    envs: RefCell<Vec<HostInfo>>,
    /// The pending `faasm_store_set_timeout`, if any.
    pub deadline: RefCell<Option<engine::Deadline>>,
}

impl StoreData {
    pub fn new(engine: &Engine) -> StoreData {
        StoreData {
            store: ManuallyDrop::new(UnsafeCell::new(Store::new(engine))),
            engine: engine.clone(),
            host_info: RefCell::new(HashMap::new()),
            host_info_seq: Cell::new(0),
            externrefs: RefCell::new(ExternRefs::default()),
            next_foreign: Cell::new(1),
            envs: RefCell::new(Vec::new()),
            deadline: RefCell::new(None),
        }
    }

    /// Runs `f` on the engine store.
    ///
    /// Reentrant: a host function called from wasm inside `f` may call back
    /// into the API on objects of this store, which comes here again. That
    /// is the engine's own model (it hands host functions `&mut Store`
    /// through its `Caller` while a call is running, from the same pointer);
    /// the API never keeps a borrow of store contents across a call into
    /// wasm or C.
    pub fn with<R>(&self, f: impl FnOnce(&mut Store) -> R) -> R {
        // SAFETY: a store is used by one thread at a time (the C API's
        // contract: stores are not thread-safe), and see above for
        // reentrancy from host functions.
        f(unsafe { &mut *self.store.get() })
    }

    /// The externref handle for `id` (allocated on first use).
    pub fn externref_handle(&self, id: Identity) -> u64 {
        let mut t = self.externrefs.borrow_mut();
        if let Some(&h) = t.handles.get(&id) {
            return h;
        }
        t.ids.push(id);
        let h = t.ids.len() as u64;
        t.handles.insert(id, h);
        h
    }

    /// The object an externref handle designates.
    pub fn externref_identity(&self, handle: u64) -> Option<Identity> {
        let i = usize::try_from(handle.checked_sub(1)?).ok()?;
        self.externrefs.borrow().ids.get(i).copied()
    }

    pub fn new_foreign(&self) -> Identity {
        let n = self.next_foreign.get();
        self.next_foreign.set(n + 1);
        Identity::Foreign(n)
    }

    pub fn host_info(&self, id: &Identity) -> *mut c_void {
        self.host_info.borrow().get(id).map(|(_, h)| h.data).unwrap_or(std::ptr::null_mut())
    }

    /// Sets the host info of `id`; the one it replaces is finalized.
    pub fn set_host_info(&self, id: Identity, info: HostInfo) {
        let seq = self.host_info_seq.get();
        self.host_info_seq.set(seq + 1);
        let old = self.host_info.borrow_mut().insert(id, (seq, info));
        // Finalized outside the borrow: the finalizer may call the API.
        drop(old);
    }

    pub fn add_env(&self, env: HostInfo) {
        self.envs.borrow_mut().push(env);
    }
}

impl Drop for StoreData {
    fn drop(&mut self) {
        // SAFETY: dropped exactly once, here; nothing uses the store after.
        unsafe { ManuallyDrop::drop(&mut self.store) };
        // Finalizers last: no host function can be called any more.
        let mut infos: Vec<(u64, HostInfo)> = std::mem::take(self.host_info.get_mut()).into_values().collect();
        infos.sort_unstable_by_key(|(seq, _)| *seq);
        drop(infos);
        let envs = std::mem::take(self.envs.get_mut());
        drop(envs);
    }
}

// ---- config -------------------------------------------------------------------

#[no_mangle]
pub extern "C" fn wasm_config_new() -> *mut wasm_config_t {
    guard(std::ptr::null_mut(), || to_c(wasm_config_t { config: Config::default() }))
}

#[no_mangle]
pub unsafe extern "C" fn wasm_config_delete(c: *mut wasm_config_t) {
    // SAFETY: NULL or a config of ours, given up.
    guard((), || drop(unsafe { from_c(c) }))
}

/// Stack that wasm code may use per call from the host, in bytes.
#[no_mangle]
pub unsafe extern "C" fn faasm_config_max_wasm_stack(c: *mut wasm_config_t, bytes: usize) {
    guard((), || {
        // SAFETY: NULL or a config of ours.
        if let Some(c) = unsafe { c.as_mut() } {
            c.config.max_wasm_stack = bytes;
        }
    })
}

/// Whether a module's functions are compiled on several threads.
#[no_mangle]
pub unsafe extern "C" fn faasm_config_parallel_compilation(c: *mut wasm_config_t, on: bool) {
    guard((), || {
        // SAFETY: NULL or a config of ours.
        if let Some(c) = unsafe { c.as_mut() } {
            c.config.parallel_compilation = on;
        }
    })
}

/// Reservations of dropped linear memories the engine keeps for its next
/// stores (`PoolConfig::max_warm`; 0 turns the pool off).
#[no_mangle]
pub unsafe extern "C" fn faasm_config_memory_pool(c: *mut wasm_config_t, max_warm: usize) {
    guard((), || {
        // SAFETY: NULL or a config of ours.
        if let Some(c) = unsafe { c.as_mut() } {
            c.config.memory_pool.max_warm = max_warm;
        }
    })
}

/// Memory images whose written pages the engine learns and faults in ahead
/// (`PoolConfig::max_hot_sets`; 0 turns the learning off).
#[no_mangle]
pub unsafe extern "C" fn faasm_config_hot_pages(c: *mut wasm_config_t, max_images: usize) {
    guard((), || {
        // SAFETY: NULL or a config of ours.
        if let Some(c) = unsafe { c.as_mut() } {
            c.config.memory_pool.max_hot_sets = max_images;
        }
    })
}

// ---- engine -------------------------------------------------------------------

#[no_mangle]
pub extern "C" fn wasm_engine_new() -> *mut wasm_engine_t {
    guard(std::ptr::null_mut(), || match Engine::new(Config::default()) {
        Ok(engine) => to_c(wasm_engine_t { engine }),
        Err(e) => {
            crate::error::set_last_error(format!("cannot create an engine: {e}"));
            std::ptr::null_mut()
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn wasm_engine_new_with_config(c: *mut wasm_config_t) -> *mut wasm_engine_t {
    guard(std::ptr::null_mut(), || {
        // SAFETY: NULL or a config of ours, passed to us.
        let config = unsafe { from_c(c) }.map(|c| c.config).unwrap_or_default();
        match Engine::new(config) {
            Ok(engine) => to_c(wasm_engine_t { engine }),
            Err(e) => {
                crate::error::set_last_error(format!("cannot create an engine: {e}"));
                std::ptr::null_mut()
            }
        }
    })
}

/// How many dropped linear memories the engine keeps right now (0 for NULL).
#[no_mangle]
pub unsafe extern "C" fn faasm_engine_pooled_memories(e: *const wasm_engine_t) -> usize {
    // SAFETY: NULL or an engine of ours.
    guard(0, || unsafe { e.as_ref() }.map_or(0, |e| e.engine.pooled_memories()))
}

#[no_mangle]
pub unsafe extern "C" fn wasm_engine_delete(e: *mut wasm_engine_t) {
    // SAFETY: NULL or an engine of ours, given up (stores and modules keep
    // their own handle on the engine).
    guard((), || drop(unsafe { from_c(e) }))
}

// ---- store --------------------------------------------------------------------

#[no_mangle]
pub unsafe extern "C" fn wasm_store_new(e: *mut wasm_engine_t) -> *mut wasm_store_t {
    guard(std::ptr::null_mut(), || {
        // SAFETY: NULL or an engine of ours.
        match unsafe { ptr_ref(e) } {
            Some(e) => to_c(wasm_store_t { data: Rc::new(StoreData::new(&e.engine)) }),
            None => {
                crate::ffi::misuse("wasm_store_new", "NULL engine");
                std::ptr::null_mut()
            }
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn wasm_store_delete(s: *mut wasm_store_t) {
    // SAFETY: NULL or a store of ours, given up.
    guard((), || drop(unsafe { from_c(s) }))
}
