//! Snapshots of module (CGI) routes: the state a module reached in its
//! initialisation, restored for every request instead of instantiating
//! the module afresh.
//!
//! Where it comes from: `snapshot = "FILE"` names a file written by
//! `faasm-engine snapshot` (checked against the route's module by SHA-256);
//! otherwise, when the module exports `wizer.initialize` (Wizer's
//! convention), the server runs it once at start, with the route's
//! volumes and memory limit, and keeps the result (`snapshot = true`
//! requires that export, `false` never snapshots). A request then restores
//! it — memory mapped copy-on-write from the snapshot's image, descriptors
//! the initialisation left open reopened through the request's own
//! volumes — and calls the entrypoint with the request's argv,
//! environment and stdin. Only statically linked modules: a snapshot that
//! holds side modules is refused at start.

use crate::config::{ModuleConfig, SnapshotChoice};
use engine::Module;
use session::{Host, Session, Start};
use snapshot::take::{Source, WIZER_INIT};
use snapshot::Snapshot;
use std::path::Path;

/// The snapshot `cfg` asks for, of the module at `path` (compiled as
/// `module`); `None` when it asks for none or none applies.
pub fn for_route(host: &Host, module: &Module, path: &Path, cfg: &ModuleConfig) -> Result<Option<Snapshot>, String> {
    let exports_init = || module.export(WIZER_INIT).is_some_and(|e| e.kind == engine::ExternKind::Func);
    let snap = match &cfg.snapshot {
        SnapshotChoice::Off => return Ok(None),
        SnapshotChoice::Auto if !exports_init() => return Ok(None),
        SnapshotChoice::On if !exports_init() => {
            return Err(format!("snapshot = true, but the module exports no `{WIZER_INIT}` to initialise it with"))
        }
        SnapshotChoice::File(file) => {
            let s = Snapshot::load(file).map_err(|e| format!("snapshot {}: {e}", file.display()))?;
            let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            s.check_module(&objcache::wasm_sha256(&bytes)).map_err(|e| format!("snapshot {}: {e}", file.display()))?;
            s
        }
        SnapshotChoice::Auto | SnapshotChoice::On => initialise(host, module, path, cfg)?,
    };
    if snap.meta.loader.as_ref().is_some_and(|l| !l.libraries.is_empty()) {
        return Err("the snapshot holds side modules (dynamic linking), which module routes cannot restore".into());
    }
    Ok(Some(snap))
}

/// Runs the module's `wizer.initialize` (under the route's limits) and
/// captures what it left.
fn initialise(host: &Host, module: &Module, path: &Path, cfg: &ModuleConfig) -> Result<Snapshot, String> {
    let shown = path.display().to_string();
    let spec = crate::runner::route_guest(cfg, shown.clone());
    let mut s = Session::new(host, module, spec).map_err(|e| e.to_string())?;
    if let Err(o) = s.start(Start::Fresh) {
        return Err(format!("cannot start it: {o}"));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {shown}: {e}"))?;
    let source = Source { module_sha256: Some(objcache::wasm_sha256(&bytes)), module_path: &shown, init: WIZER_INIT };
    s.take_snapshot(WIZER_INIT, source).map_err(|e| e.to_string())
}
