//! The engine every guest of a process runs on, and loading modules for it
//! through the on-disk compiled-code cache (`objcache`) — one place for
//! every command, the server and the Faasm workers, so that all of them
//! share cached machine code and compile with the same settings (an
//! artifact written by `faasm-engine compile` is accepted by `run`).

use crate::error::SessionError;
use crate::thread::WASM_STACK_LIMIT;
use engine::{Config, Engine, Module};
use std::path::{Path, PathBuf};

/// How a [`Host`] is set up.
#[derive(Clone, Debug)]
pub struct HostOptions {
    /// The compiled-code cache's directory; `None` compiles every time.
    pub cache_dir: Option<PathBuf>,
    /// Write `/tmp/perf-PID.map` so that `perf report` names guest functions.
    pub perf_map: bool,
    /// Compile the checks that deadlines rely on (off only to measure what
    /// they cost: `benches/timeout/run.sh`).
    pub interrupt_checks: bool,
    /// Print every `dlopen` and `dlsym` of side modules.
    pub dynload_verbose: bool,
}

impl HostOptions {
    /// The settings every command uses: the cache in its default directory
    /// (`$FAASM_ENGINE_CACHE_DIR`, `$XDG_CACHE_HOME/faasm-engine`, ...);
    /// `FAASM_PERF_MAP=1`, `FAASM_INTERRUPT_CHECKS=0` and
    /// `FAASM_DYNLOAD_VERBOSE` from the environment.
    pub fn from_env() -> HostOptions {
        HostOptions {
            cache_dir: objcache::default_dir(),
            perf_map: std::env::var_os("FAASM_PERF_MAP").is_some_and(|v| v == "1"),
            interrupt_checks: std::env::var_os("FAASM_INTERRUPT_CHECKS").is_none_or(|v| v != "0"),
            dynload_verbose: std::env::var_os("FAASM_DYNLOAD_VERBOSE").is_some(),
        }
    }

    /// The engine configuration these options give.
    pub fn engine_config(&self) -> Config {
        Config {
            max_wasm_stack: WASM_STACK_LIMIT,
            perf_map: self.perf_map,
            interrupt_checks: self.interrupt_checks,
            ..Config::default()
        }
    }
}

/// The engine and its compiled-code cache (opened once). Clones share both.
#[derive(Clone)]
pub struct Host {
    engine: Engine,
    cache: Option<objcache::Cache>,
    dynload_verbose: bool,
}

impl Host {
    /// Sets the compiler up for this CPU and opens the cache; a cache that
    /// cannot be opened is left out with a warning (guests still run).
    pub fn new(opts: HostOptions) -> Result<Host, SessionError> {
        let engine = Engine::new(opts.engine_config()).map_err(SessionError::Engine)?;
        let cache = opts.cache_dir.as_ref().and_then(|dir| match objcache::Cache::new(dir) {
            Ok(c) => Some(c),
            Err(e) => {
                tracing::warn!("compiled-code cache disabled: {e}");
                None
            }
        });
        Ok(Host { engine, cache, dynload_verbose: opts.dynload_verbose })
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The compiled-code cache, if one is in use.
    pub fn cache(&self) -> Option<&objcache::Cache> {
        self.cache.as_ref()
    }

    /// Whether the dynamic loader reports every `dlopen` and `dlsym`.
    pub fn dynload_verbose(&self) -> bool {
        self.dynload_verbose
    }

    /// Whether compiled code checks for interrupts (deadlines need them).
    pub fn interrupt_checks(&self) -> bool {
        self.engine.config().interrupt_checks
    }

    /// The module in the file at `path`: an artifact of `faasm-engine
    /// compile` is mapped; wasm goes through the cache, where on a warm
    /// start the file is not even read (see `objcache::index`) and the
    /// artifact's checksum is not read again if it was verified earlier in
    /// this boot (see `objcache::verified`). A first compile shows its
    /// progress on a terminal.
    pub fn load(&self, path: &Path) -> Result<Module, SessionError> {
        let read_err = |cause| SessionError::Read { path: path.to_path_buf(), cause };
        let mut prefix = Vec::with_capacity(8);
        std::fs::File::open(path)
            .and_then(|f| std::io::Read::read_to_end(&mut std::io::Read::take(f, 8), &mut prefix))
            .map_err(read_err)?;
        if objcache::is_artifact(&prefix) {
            let module = match &self.cache {
                Some(c) => c.read_artifact(&self.engine, path),
                None => objcache::read_artifact(&self.engine, path),
            };
            return module.map_err(|cause| SessionError::Artifact { path: path.to_path_buf(), cause });
        }
        let shown = path.display().to_string();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| shown.clone());
        let bar = objcache::CompileProgress::new(&name);
        let progress = |done: usize, total: usize| bar.update(done, total);
        let compile_err = |cause| SessionError::Compile { name: shown.clone(), cause };
        let module = match &self.cache {
            Some(c) => match c.load_or_compile_file(&self.engine, path, Some(&progress)) {
                Ok((m, _)) => Ok(m),
                Err(objcache::Error::Io { source, .. }) => Err(read_err(source)),
                Err(objcache::Error::Engine(e)) => Err(compile_err(e)),
                Err(e) => Err(SessionError::Artifact { path: path.to_path_buf(), cause: e }),
            },
            None => {
                let bytes = std::fs::read(path).map_err(read_err)?;
                Module::new_with_progress(&self.engine, &bytes, Some(&progress)).map_err(compile_err)
            }
        };
        drop(bar);
        module
    }

    /// The module `wasm` (named `name` in errors), through the cache: a
    /// worker handed a program by another host compiles it once per machine.
    pub fn load_bytes(&self, name: &str, wasm: &[u8]) -> Result<Module, SessionError> {
        let compiled = match &self.cache {
            Some(c) => c.load_or_compile(&self.engine, wasm).map(|(m, _)| m),
            None => Module::new(&self.engine, wasm),
        };
        compiled.map_err(|cause| SessionError::Compile { name: name.to_owned(), cause })
    }
}
