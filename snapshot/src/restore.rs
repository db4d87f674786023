//! Restoring a snapshot: a new instance of the program in the captured
//! state, memory mapped copy-on-write from the snapshot's image.
//!
//! The memory reservation, the instance context and the image mapping are
//! reused from an earlier restored instance of the same snapshot once it
//! is dropped (the engine's memory pool resets a dropped memory with
//! `madvise(MADV_DONTNEED)`: its private pages revert to the image), so a
//! steady stream of restores makes few system calls.

use crate::{Snapshot, SnapshotError};
use engine::{Instance, Linker, Module, Restore, Store};
use hostabi::wasi::WasiCtx;

/// A loader to restore a dynamically linked program's side modules with,
/// and those modules, compiled once (`Loader::prepare`).
pub struct Libraries<'a> {
    pub loader: &'a loader::Loader,
    pub prepared: &'a loader::saved_libraries::PreparedLibraries,
}

impl Snapshot {
    /// Fails unless the snapshot was taken of the module whose wasm has
    /// SHA-256 `sha256`.
    pub fn check_module(&self, sha256: &[u8; 32]) -> Result<(), SnapshotError> {
        match &self.meta.module_sha256 {
            Some(own) if own == sha256 => {}
            Some(own) => {
                let hex: String = own.iter().take(8).map(|b| format!("{b:02x}")).collect();
                return Err(SnapshotError::WrongModule(format!("its module's SHA-256 begins {hex}")));
            }
            None => return Err(SnapshotError::WrongModule("it does not say which module it was taken of".into())),
        }
        Ok(())
    }

    /// Opens again, in the restoring program's fresh WASI context, the
    /// descriptors the program had open at snapshot time.
    pub fn restore_wasi(&self, wasi: &mut WasiCtx) -> Result<(), SnapshotError> {
        Ok(wasi.restore_state(&self.meta.wasi)?)
    }

    /// Restores the program into `store`: its main module `module` with
    /// imports from `linker` (which must provide what the program was taken
    /// with: WASI and, for a dynamically linked program, the loader's
    /// `env.dl*`), then the side modules through `libraries`. Call
    /// [`Snapshot::restore_wasi`] on the linker's WASI context first.
    pub fn restore(
        &self,
        store: &mut Store,
        linker: &Linker,
        module: &Module,
        libraries: Option<Libraries<'_>>,
    ) -> Result<Instance, SnapshotError> {
        let states = &self.meta.instances;
        let main_state = states.first().ok_or_else(|| SnapshotError::Invalid("the snapshot holds no instance".into()))?;
        let main = linker.restore(store, module, &Restore { state: main_state, memory0: Some(self.image()) })?;
        let group = match (&self.meta.loader, libraries) {
            (Some(state), Some(l)) => l.loader.restore(store, main, state, l.prepared, states)?,
            (Some(state), None) if !state.libraries.is_empty() => {
                return Err(SnapshotError::Invalid("the snapshot holds side modules but no loader was given".into()))
            }
            (_, Some(l)) => {
                l.loader.attach(store, main)?;
                vec![main]
            }
            _ => vec![main],
        };
        if group.len() != states.len() {
            return Err(SnapshotError::Invalid(format!("{} instances restored, the snapshot has {}", group.len(), states.len())));
        }
        engine::instantiate::instance_state::fill_refs(store, &group, states)?;
        Ok(main)
    }
}
