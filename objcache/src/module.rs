//! The cache wired to the engine: fingerprints of an `engine::Engine`,
//! `load_or_compile` for `engine::Module`, and stand-alone artifact files
//! (`faasm-engine compile -o FILE`, `faasm-engine run FILE`).

use crate::cache::{Artifact, Cache, Outcome};
use crate::file::{self, Mapped};
use crate::format::{ArtifactRef, Rejection};
use crate::index;
use crate::key::{wasm_sha256, CacheKey, Fingerprint, ENGINE_VERSION};
use cranelift_codegen::isa::TargetIsa;
use engine::compile::module::Progress;
use engine::compile::{AddressMap, CompiledCode, TrapTable};
use engine::instantiate::memory_image::ImageLayout;
use engine::{CachedModule, Engine, Module, ModuleInfo};
use std::io;
use std::path::{Path, PathBuf};

/// Why an artifact file could not be written or used.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Engine(#[from] engine::Error),
    #[error("{}: {reason}", path.display())]
    Artifact { path: PathBuf, reason: Rejection },
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
}

impl Artifact for Module {
    fn info(&self) -> &ModuleInfo {
        self.parts().0
    }
    fn compiled(&self) -> &CompiledCode {
        self.parts().1
    }
    fn code(&self) -> &[u8] {
        self.parts().2
    }
    fn trap_table(&self) -> &TrapTable {
        Module::trap_table(self)
    }
    fn address_map(&self) -> &AddressMap {
        Module::address_map(self)
    }
    fn memory_image(&self) -> io::Result<Option<(ImageLayout, Vec<u8>)>> {
        Module::memory_image(self).map(|img| Ok((img.layout(), img.read_contents()?))).transpose()
    }
}

/// The fingerprint of the code `engine` generates: this engine build, the
/// host target and its CPU features, and the hash of the engine's own
/// settings fingerprint (Cranelift flags, optimisation level, ISA flags).
pub fn fingerprint(engine: &Engine) -> Result<Fingerprint, engine::Error> {
    let isa: &dyn TargetIsa = engine.isa()?;
    Ok(Fingerprint {
        engine_version: ENGINE_VERSION.to_string(),
        target: isa.triple().to_string(),
        cpu_features: engine.cpu_features()?.to_string(),
        settings_hash: Fingerprint::hash_settings(engine.fingerprint()?),
    })
}

/// Makes a module of a verified mapping: code executed in place, trap
/// table and memory image used in place (see `Module::from_cached`).
fn module_from_mapping(engine: &Engine, m: Mapped) -> Result<Module, Rejection> {
    let Mapped { mmap, file, decoded, path: _ } = m;
    let image = decoded.image.map(|(layout, range)| (file, range.start as u64, layout));
    Module::from_cached(
        engine,
        CachedModule {
            info: decoded.info,
            compiled: decoded.compiled,
            mapping: mmap,
            code_range: decoded.code_range,
            traps_range: decoded.traps_range,
            addresses_range: decoded.addresses_range,
            image,
        },
    )
    .map_err(|e| Rejection::Inconsistent(e.to_string()))
}

impl Cache {
    /// The module for `wasm`: mapped from its entry if there is a valid one,
    /// else compiled and stored (see [`Cache::load_or_build`]). Only errors
    /// of the module itself (malformed, invalid, ...) are returned.
    pub fn load_or_compile(&self, engine: &Engine, wasm: &[u8]) -> Result<(Module, Outcome), engine::Error> {
        self.load_or_compile_with_progress(engine, wasm, None)
    }

    /// [`Cache::load_or_compile`] reporting compilation progress on a miss.
    pub fn load_or_compile_with_progress(
        &self,
        engine: &Engine,
        wasm: &[u8],
        progress: Option<Progress<'_>>,
    ) -> Result<(Module, Outcome), engine::Error> {
        let fp = fingerprint(engine)?;
        let sha = wasm_sha256(wasm);
        self.load_or_build(&fp, &sha, |m| module_from_mapping(engine, m), || Module::new_with_progress(engine, wasm, progress))
    }
}

impl Cache {
    /// The module in the wasm file at `path`: like [`Cache::load_or_compile`],
    /// but on a warm start the file is not even read. Its identity (see
    /// [`crate::index`]) names the wasm hash, hence the entry, which is
    /// mapped and verified as usual; on any miss the file is read, hashed,
    /// recorded in the index and handled by `load_or_compile`.
    pub fn load_or_compile_file(
        &self,
        engine: &Engine,
        path: &Path,
        progress: Option<Progress<'_>>,
    ) -> Result<(Module, Outcome), Error> {
        let io_err = |source| Error::Io { path: path.to_path_buf(), source };
        let mut file = std::fs::File::open(path).map_err(io_err)?;
        let meta = file.metadata().map_err(io_err)?;
        let id = index::FileIdentity::of(&meta);
        let fp = fingerprint(engine)?;
        if let Some(sha) = index::lookup(self.dir(), &id) {
            let entry = self.entry_path(&CacheKey::new(&fp, &sha));
            if let Ok(Some(m)) = file::open_verified(&entry, &fp, Some(&sha), Some(&self.memo(&entry))) {
                if let Ok(module) = module_from_mapping(engine, m) {
                    return Ok((module, Outcome::Hit));
                }
            }
        }
        let mut wasm = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
        std::io::Read::read_to_end(&mut file, &mut wasm).map_err(io_err)?;
        let sha = wasm_sha256(&wasm);
        // Only a hint for next time: failing to record it costs a hash.
        let _ = index::record(self.dir(), &id, &sha);
        let result = self.load_or_build(
            &fp,
            &sha,
            |m| module_from_mapping(engine, m),
            || Module::new_with_progress(engine, &wasm, progress),
        )?;
        Ok(result)
    }
}

/// Writes `module`, compiled by `engine` from the wasm whose SHA-256 is
/// `wasm_sha256`, as an artifact file at `path` (atomically).
pub fn write_artifact(engine: &Engine, module: &Module, wasm_sha256: [u8; 32], path: &Path) -> Result<u64, Error> {
    let fp = fingerprint(engine)?;
    let (info, compiled, code) = module.parts();
    let io_err = |source| Error::Io { path: path.to_path_buf(), source };
    let image = Artifact::memory_image(module).map_err(io_err)?;
    let artifact = ArtifactRef {
        fingerprint: &fp,
        wasm_sha256,
        info,
        compiled,
        code,
        traps: module.trap_table(),
        addresses: module.address_map(),
        image: image.as_ref().map(|(layout, bytes)| (*layout, bytes.as_slice())),
    };
    file::write_atomic(path, &artifact).map_err(io_err)
}

/// Compiles `wasm` and writes its artifact to `path`.
pub fn compile_artifact(
    engine: &Engine,
    wasm: &[u8],
    path: &Path,
    progress: Option<Progress<'_>>,
) -> Result<(Module, u64), Error> {
    let module = Module::new_with_progress(engine, wasm, progress)?;
    let len = write_artifact(engine, &module, wasm_sha256(wasm), path)?;
    Ok((module, len))
}

/// Loads the artifact file at `path` for `engine`: verified, then mapped
/// and executed in place. A file made by another engine build, for another
/// CPU or with other settings is refused: it has to be compiled again.
/// Its verification is remembered only in this process; see
/// [`Cache::read_artifact`] to remember it for later processes too.
pub fn read_artifact(engine: &Engine, path: &Path) -> Result<Module, Error> {
    read_artifact_with(engine, path, None)
}

impl Cache {
    /// [`read_artifact`], remembering the file's verification in this cache
    /// directory, so that later processes of the same boot skip its
    /// checksum while the file is unchanged (see [`crate::verified`]).
    pub fn read_artifact(&self, engine: &Engine, path: &Path) -> Result<Module, Error> {
        read_artifact_with(engine, path, Some(&self.memo(path)))
    }
}

fn read_artifact_with(engine: &Engine, path: &Path, memo: Option<&crate::verified::Memo>) -> Result<Module, Error> {
    let fp = fingerprint(engine)?;
    let err = |reason| Error::Artifact { path: path.to_path_buf(), reason };
    let mapped = file::open_verified(path, &fp, None, memo)
        .map_err(err)?
        .ok_or_else(|| Error::Io { path: path.to_path_buf(), source: io::Error::from(io::ErrorKind::NotFound) })?;
    module_from_mapping(engine, mapped).map_err(err)
}
