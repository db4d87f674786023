//! Taking a snapshot: run a program's initialisation, then capture the
//! state it left (see the crate comment for what is kept).

use crate::{Meta, Snapshot, SnapshotError};
use engine::instantiate::memory_image::MemoryImage;
use engine::{Error, Instance, Store};
use hostabi::wasi::WasiState;

/// The export Wizer's convention names for pre-initialisation.
pub const WIZER_INIT: &str = "wizer.initialize";

/// The init export of the project's CPython build (scripts/cpython/start.c):
/// initialise the interpreter and run `$FAASM_INIT_PYTHON`.
pub const PYTHON_INIT: &str = "faasm_python_init";

/// One wasm page.
const PAGE: usize = 65536;

/// Calls export `name` of `instance` as the program's initialisation.
/// A trap, or an exit (even with status 0: a program that exits has no
/// state left to keep), is an initialisation failure.
pub fn run_init(store: &mut Store, instance: Instance, name: &str) -> Result<(), SnapshotError> {
    let f =
        instance.get_func(store, name).ok_or_else(|| SnapshotError::Init(format!("the module exports no function `{name}`")))?;
    if !f.ty(store).params.is_empty() {
        return Err(SnapshotError::Init(format!("`{name}` must take no parameters")));
    }
    match f.call(store, &[]) {
        Ok(results) => match results.first() {
            Some(engine::Val::I32(c)) if *c != 0 => Err(SnapshotError::Init(format!("`{name}` returned {c}"))),
            _ => Ok(()),
        },
        Err(Error::Trap(t)) => match t.exit_code() {
            Some(c) => Err(SnapshotError::Init(format!("`{name}` exited with status {c}"))),
            None => Err(SnapshotError::Init(format!("`{name}` trapped: {t}"))),
        },
        Err(e) => Err(SnapshotError::Init(e.to_string())),
    }
}

/// What the captured program is.
pub struct Source<'a> {
    /// SHA-256 of the module's wasm; `None` for a snapshot kept in the
    /// process that took it, restored into the same compiled module.
    pub module_sha256: Option<[u8; 32]>,
    pub module_path: &'a str,
    pub init: &'a str,
}

/// Captures the program whose main instance is `main` (and, when given,
/// the side modules `loader` linked into it) with its WASI state `wasi`
/// (`WasiCtx::capture_state`; taken by the caller, who must not hold the
/// WASI context's lock here: the loader opens files through it).
pub fn capture(
    store: &Store,
    main: Instance,
    wasi: WasiState,
    loader: Option<&loader::Loader>,
    source: Source<'_>,
) -> Result<Snapshot, SnapshotError> {
    let group = match loader {
        Some(l) => {
            let g = l.group()?;
            if g.first() != Some(&main) {
                return Err(SnapshotError::Invalid("the loader is attached to another main instance".into()));
            }
            g
        }
        None => vec![main],
    };
    let instances = engine::instantiate::instance_state::capture(store, &group)?;
    let memory = main
        .defined_memory_data(store, 0)
        .ok_or_else(|| SnapshotError::Invalid("the module defines no memory of its own to snapshot".into()))?;
    let (offset, len) = nonzero_pages(memory);
    let image = MemoryImage::from_contents(offset as u64, &memory[offset..offset + len]).map_err(SnapshotError::Invalid)?;
    let loader_state = loader.map(|l| l.capture(store).map_err(SnapshotError::from)).transpose()?;
    let meta = Meta {
        module_sha256: source.module_sha256,
        module_path: source.module_path.to_owned(),
        init: source.init.to_owned(),
        instances,
        image_offset: offset as u64,
        image_len: len as u64,
        wasi,
        loader: loader_state,
    };
    Ok(Snapshot { meta, image })
}

/// Runs `export` of `main` as the program's initialisation ([`run_init`])
/// and captures what it left ([`capture`]), the WASI state read from
/// `wasi`, the context the program's WASI functions use (locked only while
/// it is read).
pub fn take(
    store: &mut Store,
    main: Instance,
    export: &str,
    wasi: &std::sync::Mutex<hostabi::wasi::WasiCtx>,
    loader: Option<&loader::Loader>,
    source: Source<'_>,
) -> Result<Snapshot, SnapshotError> {
    run_init(store, main, export)?;
    let state = wasi.lock().map_err(|_| SnapshotError::Invalid("the WASI state is poisoned".into()))?.capture_state()?;
    capture(store, main, state, loader, source)
}

/// The whole pages spanning every non-zero byte of `memory`: (offset, len).
pub(crate) fn nonzero_pages(memory: &[u8]) -> (usize, usize) {
    let nonzero = |p: &[u8]| p.iter().any(|&b| b != 0);
    let pages: Vec<&[u8]> = memory.chunks(PAGE).collect();
    let Some(first) = pages.iter().position(|p| nonzero(p)) else { return (0, 0) };
    let last = pages.iter().rposition(|p| nonzero(p)).unwrap_or(first);
    (first * PAGE, ((last + 1) * PAGE).min(memory.len()) - first * PAGE)
}

#[cfg(test)]
mod tests {
    use super::nonzero_pages;

    #[test]
    fn image_spans_the_nonzero_pages() {
        let mut m = vec![0u8; 5 * 65536];
        assert_eq!(nonzero_pages(&m), (0, 0));
        m[65536 + 3] = 1;
        assert_eq!(nonzero_pages(&m), (65536, 65536));
        m[3 * 65536 + 65535] = 2;
        assert_eq!(nonzero_pages(&m), (65536, 3 * 65536));
    }
}
