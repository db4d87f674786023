//! The loader's part of a snapshot: which side modules were linked, where,
//! and what each import was given — so that a restored program gets the
//! same libraries back without linking them again.
//!
//! Linking a library changes the guest (heap reserved through its malloc,
//! table slots, GOT values, relocated data, constructors run); all of that
//! is in the captured memory, table and globals already. Restoring must
//! only re-create the instances *as they were wired*: each import is
//! recorded by what it was (the main module's memory, table or stack
//! pointer; a constant global such as `__memory_base` or a GOT entry, with
//! its current value; a function of the main module or of an earlier
//! library, by position; a host function, by its import name), never by
//! name lookup, so a restored library cannot end up linked differently.
//!
//! Instance `0` of the group is the main module, instance `k + 1` library
//! `k` (load order, which is also an order where every library comes after
//! what it imports from).

use crate::error::DlError;
use crate::main_module::MainModule;
use crate::{Library, Loader};
use engine::{Extern, Func, Global, GlobalType, ImportKind, Instance, InstanceState, Module, Store, Trap, Val, ValType};
use serde::{Deserialize, Serialize};
use std::io::Read;
use std::os::unix::fs::MetadataExt;

/// What one import of a library was given.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ImportState {
    MainMemory,
    MainTable,
    StackPointer,
    /// A global of the loader's own (`__memory_base`, `__table_base`, GOT).
    Const {
        value: u32,
        mutable: bool,
    },
    /// Function `func` of group instance `instance`.
    Func {
        instance: u32,
        func: u32,
    },
    /// A host function (or an undefined weak one), found again by the
    /// import's own module and name.
    Host,
}

/// One library as captured.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LibraryState {
    pub path: String,
    /// SHA-256 of the file: a restore refuses a library that changed.
    pub sha256: [u8; 32],
    pub memory_base: u32,
    pub deps: Vec<usize>,
    pub refcount: u32,
    pub global: bool,
    pub imports: Vec<ImportState>,
}

/// The loader's state in a snapshot.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoaderState {
    pub libraries: Vec<LibraryState>,
    pub global_order: Vec<usize>,
}

/// Libraries of a [`LoaderState`] opened and compiled once, ready to be
/// restored into any number of stores.
pub struct PreparedLibraries {
    modules: Vec<(Module, (u64, u64))>,
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).into()
}

impl Loader {
    /// The group to capture: the main module, then every library in load
    /// order.
    pub fn group(&self) -> Result<Vec<Instance>, DlError> {
        let st = self.lock()?;
        let main = st.main.as_ref().map(|m| m.instance).ok_or_else(|| DlError::Guest("no main module attached".into()))?;
        Ok(std::iter::once(main).chain(st.libs.iter().map(|l| l.instance)).collect())
    }

    /// Records every library and how its imports were satisfied.
    pub fn capture(&self, store: &Store) -> Result<LoaderState, DlError> {
        let group = self.group()?;
        let st = self.lock()?;
        let main = st.main.as_ref().ok_or_else(|| DlError::Guest("no main module attached".into()))?;
        let mut libraries = Vec::with_capacity(st.libs.len());
        for lib in &st.libs {
            let file = (st.config.open)(&lib.path).map_err(|reason| DlError::Open { path: lib.path.clone(), reason })?;
            let mut bytes = Vec::new();
            (&file).read_to_end(&mut bytes).map_err(|e| DlError::Open { path: lib.path.clone(), reason: e.to_string() })?;
            let module = lib.instance.module(store).ok_or_else(|| DlError::Guest("a library's instance is gone".into()))?;
            let given = lib.instance.imports(store);
            let mut imports = Vec::with_capacity(given.len());
            for (imp, ext) in module.imports().zip(given) {
                let unkeepable = |what: &str| DlError::Unsupported {
                    path: lib.path.clone(),
                    what: format!("import {}.{} ({what}) in a snapshot", imp.module, imp.name),
                };
                imports.push(match ext {
                    Extern::Memory(m) if m == main.memory => ImportState::MainMemory,
                    Extern::Table(t) if t == main.table => ImportState::MainTable,
                    Extern::Global(g) if g == main.stack_pointer => ImportState::StackPointer,
                    Extern::Global(g) => match (g.get(store), g.ty(store)) {
                        (Val::I32(v), ty) => ImportState::Const { value: v as u32, mutable: ty.mutable },
                        _ => return Err(unkeepable("a global that is not i32")),
                    },
                    Extern::Func(f) => match f.position() {
                        None => ImportState::Host,
                        Some((inst, func)) => match group.iter().position(|g| *g == inst) {
                            Some(k) => ImportState::Func { instance: k as u32, func },
                            None => return Err(unkeepable("a function of an instance outside the program")),
                        },
                    },
                    Extern::Memory(_) | Extern::Table(_) => return Err(unkeepable("another memory or table")),
                });
            }
            libraries.push(LibraryState {
                path: lib.path.clone(),
                sha256: sha256(&bytes),
                memory_base: lib.memory_base,
                deps: lib.deps.clone(),
                refcount: lib.refcount,
                global: lib.global,
                imports,
            });
        }
        Ok(LoaderState { libraries, global_order: st.global_order.clone() })
    }

    /// Opens and compiles the libraries of `state` (through the cache),
    /// refusing any whose file changed since the snapshot.
    pub fn prepare(&self, state: &LoaderState) -> Result<PreparedLibraries, DlError> {
        let st = self.lock()?;
        let mut modules = Vec::with_capacity(state.libraries.len());
        for lib in &state.libraries {
            let open = |reason: String| DlError::Open { path: lib.path.clone(), reason };
            let file = (st.config.open)(&lib.path).map_err(open)?;
            let meta = file.metadata().map_err(|e| open(e.to_string()))?;
            let mut bytes = Vec::new();
            (&file).read_to_end(&mut bytes).map_err(|e| open(e.to_string()))?;
            if sha256(&bytes) != lib.sha256 {
                return Err(open("the file changed since the snapshot was taken".into()));
            }
            let module = crate::link::compile(&st, &lib.path, &bytes)?;
            modules.push((module, (meta.dev(), meta.ino())));
        }
        Ok(PreparedLibraries { modules })
    }

    /// Restores the libraries of `state` into `store`, whose main module
    /// `main` was restored already: attaches `main`, instantiates each
    /// library as captured (`states[k + 1]` is library `k`'s instance
    /// state) and records them. Returns the whole group; the caller then
    /// writes its references with `engine::instantiate::instance_state::fill_refs`.
    pub fn restore(
        &self,
        store: &mut Store,
        main: Instance,
        state: &LoaderState,
        prepared: &PreparedLibraries,
        states: &[InstanceState],
    ) -> Result<Vec<Instance>, DlError> {
        let m = MainModule::new(store, main)?;
        let mut st = self.lock()?;
        if prepared.modules.len() != state.libraries.len() || states.len() != state.libraries.len() + 1 {
            return Err(DlError::Guest("the snapshot's libraries do not match its instances".into()));
        }
        let mut group = vec![main];
        let mut libs = Vec::with_capacity(state.libraries.len());
        for (k, (lib, (module, _))) in state.libraries.iter().zip(&prepared.modules).enumerate() {
            if lib.imports.len() != module.info().imports.len() {
                return Err(DlError::Guest(format!("{}: the snapshot's imports do not match the module", lib.path)));
            }
            let mut imports = Vec::with_capacity(lib.imports.len());
            for (imp, how) in module.imports().zip(&lib.imports) {
                let bad = || DlError::Guest(format!("{}: bad snapshot entry for import {}.{}", lib.path, imp.module, imp.name));
                let ext: Extern = match how {
                    ImportState::MainMemory => m.memory.into(),
                    ImportState::MainTable => m.table.into(),
                    ImportState::StackPointer => m.stack_pointer.into(),
                    ImportState::Const { value, mutable } => {
                        let ty = GlobalType { ty: ValType::I32, mutable: *mutable };
                        Global::new(store, ty, Val::I32(*value as i32))
                            .map_err(|e| DlError::Guest(format!("cannot make a global: {e}")))?
                            .into()
                    }
                    ImportState::Func { instance, func } => {
                        let inst = group.get(*instance as usize).ok_or_else(bad)?;
                        inst.func_at(store, *func).ok_or_else(bad)?.into()
                    }
                    ImportState::Host => {
                        let ImportKind::Func(t) = imp.kind else { return Err(bad()) };
                        let found =
                            st.host.as_ref().and_then(|h| h.get(store, &imp.module, &imp.name)).and_then(Extern::into_func);
                        match found {
                            Some(f) => f.into(),
                            None => {
                                // Was an undefined weak function: it still traps.
                                let ty = module.info().types.get(t as usize).cloned().unwrap_or_default();
                                let name = format!("{}.{}", imp.module, imp.name);
                                Func::new(store, ty, move |_, _, _| {
                                    Err(Trap::host(format!("call to the undefined weak function {name}")))
                                })
                                .into()
                            }
                        }
                    }
                };
                imports.push(ext);
            }
            let restore = engine::Restore { state: &states[k + 1], memory0: None };
            let instance = Instance::restore(store, module, &imports, &restore).map_err(|e| DlError::Init {
                path: lib.path.clone(),
                stage: "restore".into(),
                reason: e.to_string(),
            })?;
            group.push(instance);
            libs.push(Library {
                path: lib.path.clone(),
                instance,
                memory_base: lib.memory_base,
                deps: lib.deps.clone(),
                refcount: lib.refcount,
                global: lib.global,
            });
        }
        st.main = Some(m);
        st.by_file = prepared.modules.iter().enumerate().map(|(i, (_, id))| (*id, i)).collect();
        st.libs = libs;
        st.global_order = state.global_order.clone();
        st.slots = crate::slots::Slots::default();
        Ok(group)
    }
}
