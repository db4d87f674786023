//! The cache wired to the engine: fingerprints of an `engine::Engine`,
//! `load_or_compile` for `engine::Module`, and stand-alone artifact files
//! (`faasm-engine compile -o FILE`, `faasm-engine run FILE`).

use crate::cache::{Artifact, Cache, Outcome};
use crate::file::{self, Mapped};
use crate::format::{ArtifactRef, Rejection};
use crate::key::{wasm_sha256, Fingerprint, ENGINE_VERSION};
use cranelift_codegen::isa::TargetIsa;
use engine::compile::module::Progress;
use engine::compile::CompiledCode;
use engine::{Engine, Module, ModuleInfo};
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
}

/// The fingerprint of the code `engine` generates: this engine build, the
/// host target and its CPU features, and the hash of the engine's own
/// settings fingerprint (Cranelift flags, optimisation level, ISA flags).
pub fn fingerprint(engine: &Engine) -> Result<Fingerprint, engine::Error> {
    let isa: &dyn TargetIsa = engine.isa()?;
    let cpu_features = isa
        .isa_flags()
        .iter()
        .map(|v| v.to_string())
        .collect::<Vec<_>>()
        .join(",");
    Ok(Fingerprint {
        engine_version: ENGINE_VERSION.to_string(),
        target: isa.triple().to_string(),
        cpu_features,
        settings_hash: Fingerprint::hash_settings(&engine.fingerprint()?),
    })
}

/// Makes a module of a verified mapping, executing the code in place. If
/// the kernel refuses to make the mapping executable (a cache on a `noexec`
/// file system), the code is copied into fresh executable memory instead:
/// slower to start, but still no recompilation.
fn module_from_mapping(
    engine: &Engine,
    m: Mapped,
    wasm: Option<&[u8; 32]>,
) -> Result<Module, Rejection> {
    let Mapped {
        mmap,
        decoded,
        path,
    } = m;
    match Module::from_cached(
        engine,
        decoded.info,
        decoded.compiled,
        mmap,
        decoded.code_range,
    ) {
        Ok(module) => Ok(module),
        Err(engine::Error::Resource(_)) => {
            // `from_cached` consumed the mapping; map and verify afresh.
            let fp = fingerprint(engine).map_err(|e| Rejection::Io(e.to_string()))?;
            let m = file::open_verified(&path, &fp, wasm)?
                .ok_or_else(|| Rejection::Io("file vanished".into()))?;
            let mut compiled = m.decoded.compiled;
            // `decode` checked the code section lies in the file; `get`
            // keeps a mistake there a rejection instead of a panic.
            compiled.code = m
                .mmap
                .get(m.decoded.code_range)
                .ok_or(Rejection::Layout("code section beyond the file"))?
                .to_vec();
            Module::from_compiled(engine, m.decoded.info, compiled)
                .map_err(|e| Rejection::Inconsistent(e.to_string()))
        }
        Err(e) => Err(Rejection::Inconsistent(e.to_string())),
    }
}

impl Cache {
    /// The module for `wasm`: mapped from its entry if there is a valid one,
    /// else compiled and stored (see [`Cache::load_or_build`]). Only errors
    /// of the module itself (malformed, invalid, ...) are returned.
    pub fn load_or_compile(
        &self,
        engine: &Engine,
        wasm: &[u8],
    ) -> Result<(Module, Outcome), engine::Error> {
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
        self.load_or_build(
            &fp,
            &sha,
            |m| module_from_mapping(engine, m, Some(&sha)),
            || Module::new_with_progress(engine, wasm, progress),
        )
    }
}

/// Writes `module`, compiled by `engine` from the wasm whose SHA-256 is
/// `wasm_sha256`, as an artifact file at `path` (atomically).
pub fn write_artifact(
    engine: &Engine,
    module: &Module,
    wasm_sha256: [u8; 32],
    path: &Path,
) -> Result<u64, Error> {
    let fp = fingerprint(engine)?;
    let (info, compiled, code) = module.parts();
    let artifact = ArtifactRef {
        fingerprint: &fp,
        wasm_sha256,
        info,
        compiled,
        code,
    };
    file::write_atomic(path, &artifact).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })
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
pub fn read_artifact(engine: &Engine, path: &Path) -> Result<Module, Error> {
    let fp = fingerprint(engine)?;
    let err = |reason| Error::Artifact {
        path: path.to_path_buf(),
        reason,
    };
    let mapped = file::open_verified(path, &fp, None)
        .map_err(err)?
        .ok_or_else(|| Error::Io {
            path: path.to_path_buf(),
            source: io::Error::from(io::ErrorKind::NotFound),
        })?;
    module_from_mapping(engine, mapped, None).map_err(err)
}
