//! snapshot: Faasm's Proto-Faaslets for faasm-engine — a program run up to
//! the end of its initialisation, kept, and restored many times without
//! running that initialisation again.
//!
//! The pipeline reads from the files:
//! * [`take`]: running the initialisation and capturing what it left —
//!   memory, globals, tables and dropped segments of every instance of the
//!   program (`engine::instantiate::instance_state`), the WASI descriptors it
//!   opened (`hostabi::wasi::WasiState`) and, for a dynamically linked
//!   program, the side modules it loaded (`loader::saved_libraries`);
//! * [`file`]: the on-disk format, written atomically and checked on load;
//! * [`restore`]: a new instance in that state, its memory mapped
//!   copy-on-write (`MAP_PRIVATE`) from the snapshot's pages — never copied
//!   — so that a restore costs page-table work and every restored instance
//!   has its own memory.
//!
//! A restored instance behaves as the one the snapshot was taken from
//! would have at that point; arguments, environment variables and standard
//! streams are those of the restoring program (what a program read from
//! them during initialisation is of course what it read then).

pub mod file;
pub mod restore;
pub mod take;

use engine::instantiate::memory_image::MemoryImage;
use engine::InstanceState;
use hostabi::wasi::WasiState;
use loader::saved_libraries::LoaderState;
use serde::{Deserialize, Serialize};

/// Why a snapshot could not be taken, written, read or restored.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error(transparent)]
    Engine(#[from] engine::Error),
    #[error(transparent)]
    Wasi(#[from] hostabi::wasi::SnapshotError),
    /// Boxed: `DlError` is large and would make every `Result` carrying
    /// this error as large.
    #[error(transparent)]
    Loader(Box<loader::DlError>),
    #[error("{path}: {reason}")]
    File { path: String, reason: String },
    #[error("initialisation failed: {0}")]
    Init(String),
    #[error("the snapshot was taken of another module ({0})")]
    WrongModule(String),
    #[error("{0}")]
    Invalid(String),
}

impl From<loader::DlError> for SnapshotError {
    fn from(e: loader::DlError) -> Self {
        SnapshotError::Loader(Box::new(e))
    }
}

/// Everything about a snapshot but its memory bytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta {
    /// SHA-256 of the main module's wasm (`None`: not known, the snapshot
    /// was never meant to leave its process; it is then never written).
    pub module_sha256: Option<[u8; 32]>,
    /// Where the module was (the CLI finds it there again); may be empty.
    pub module_path: String,
    /// What ran as initialisation (shown by tools, e.g. `wizer.initialize`).
    pub init: String,
    /// The group's instances: the main module, then side modules.
    pub instances: Vec<InstanceState>,
    /// Where memory 0's non-zero pages lie: the image's offset and length.
    pub image_offset: u64,
    pub image_len: u64,
    pub wasi: WasiState,
    pub loader: Option<LoaderState>,
}

/// A snapshot ready to be restored: its metadata and memory image.
pub struct Snapshot {
    pub meta: Meta,
    image: MemoryImage,
}

impl Snapshot {
    /// Pages of memory 0 at snapshot time.
    pub fn memory_pages(&self) -> u64 {
        self.meta.instances.first().and_then(|s| s.memory_pages.first()).copied().unwrap_or(0)
    }

    /// The image mapped into every restored memory.
    pub fn image(&self) -> &MemoryImage {
        &self.image
    }
}
