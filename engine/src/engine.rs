//! The engine: configuration, the compilation target, the engine-wide
//! registry of function signatures, and what its stores' linear memories
//! leave for later ones (the memory pool and the hot-page learning).
//!
//! Signature ids are engine-wide so that `call_indirect` can compare one
//! word even when the callee came from another module (imports, shared
//! tables). An `Engine` is cheap to clone (an `Arc`).
//!
//! The memory pool and the hot pages are per engine rather than per
//! process so that an embedder decides how much each keeps (`PoolConfig`)
//! and engines with different needs do not evict each other's.

use crate::compile::code_memory::{CodeMemory, CodeMeta};
use crate::error::Error;
use crate::instantiate::memory::MemoryReuse;
use crate::parse::types::{FuncType, ModuleInfo};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

pub use crate::compile::isa::OptLevel;
use cranelift_codegen::isa::OwnedTargetIsa;

/// Engine settings.
#[derive(Clone, Debug)]
pub struct Config {
    pub opt_level: OptLevel,
    /// Stack that wasm code may use per call from the host, in bytes.
    pub max_wasm_stack: usize,
    /// Compile a module's functions on several threads.
    pub parallel_compilation: bool,
    /// Write `/tmp/perf-<pid>.map` so that `perf report` names wasm
    /// functions (profiling only; does not change generated code).
    pub perf_map: bool,
    /// Compile the interrupt checks that let timeouts stop running guest
    /// code (the default). Off only to measure what they cost: then
    /// `InterruptHandle::interrupt` reaches blocking host calls alone.
    pub interrupt_checks: bool,
    /// How much of its dropped linear memories the engine keeps for later
    /// instances (see [`PoolConfig`]).
    pub memory_pool: PoolConfig,
}

/// How an engine reuses linear memories across its instances. The default
/// keeps [`PoolConfig::default`]'s numbers; [`PoolConfig::OFF`] keeps
/// nothing (every memory is freshly mapped and unmapped, as simple and as
/// slow as it gets).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct PoolConfig {
    /// Reservations of dropped memories kept, reset, for the next memory
    /// like them (default 16). Each holds 8 GiB of address space, the
    /// image file it maps and under 1 MiB of resident pages. 0: none,
    /// a dropped memory is unmapped.
    pub max_warm: usize,
    /// Memory images (with an initial size) whose written pages are learned
    /// from the first instances and faulted in ahead for later ones
    /// (default 16). 0: no learning.
    pub max_hot_sets: usize,
}

impl PoolConfig {
    /// No pooling and no learning.
    pub const OFF: PoolConfig = PoolConfig { max_warm: 0, max_hot_sets: 0 };
}

impl Default for PoolConfig {
    fn default() -> PoolConfig {
        PoolConfig {
            max_warm: crate::instantiate::memory_pool::MAX_POOLED,
            max_hot_sets: crate::instantiate::hot_pages::MAX_SETS,
        }
    }
}

impl Default for Config {
    fn default() -> Config {
        Config {
            opt_level: OptLevel::Speed,
            max_wasm_stack: 1 << 20,
            parallel_compilation: true,
            perf_map: false,
            interrupt_checks: true,
            memory_pool: PoolConfig::default(),
        }
    }
}

#[derive(Default)]
struct Signatures {
    ids: HashMap<FuncType, u32, foldhash::fast::RandomState>,
}

/// A wasm-to-host trampoline compiled by the engine for one signature (for
/// host functions used as funcref values outside any importing module).
struct HostTrampoline {
    /// Keeps the code mapped (and registered) for the engine's lifetime.
    _code: CodeMemory,
    entry: usize,
}

struct EngineInner {
    config: Config,
    /// Built on first use, so that `Engine::default()` cannot fail.
    isa: OnceLock<Result<OwnedTargetIsa, String>>,
    /// [`Engine::fingerprint`] and [`Engine::cpu_features`], worked out on
    /// first use: every cache lookup compares them.
    fingerprint: OnceLock<String>,
    cpu_features: OnceLock<String>,
    signatures: Mutex<Signatures>,
    host_trampolines: Mutex<HashMap<u32, HostTrampoline>>,
    /// The memory pool and hot pages of this engine's memories (which
    /// hold it too: see `MemoryReuse`).
    memory_reuse: Arc<MemoryReuse>,
}

/// Compilation settings, target and signature registry. Clone is cheap.
#[derive(Clone)]
pub struct Engine(Arc<EngineInner>);

impl Default for Engine {
    fn default() -> Engine {
        Engine::with_config(Config::default())
    }
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").field("config", &self.0.config).finish()
    }
}

impl Engine {
    /// An engine for the host CPU; fails if Cranelift cannot target it.
    pub fn new(config: Config) -> Result<Engine, Error> {
        let engine = Engine::with_config(config);
        engine.isa()?;
        Ok(engine)
    }

    fn with_config(config: Config) -> Engine {
        Engine(Arc::new(EngineInner {
            memory_reuse: Arc::new(MemoryReuse::new(&config.memory_pool)),
            config,
            isa: OnceLock::new(),
            fingerprint: OnceLock::new(),
            cpu_features: OnceLock::new(),
            signatures: Mutex::new(Signatures::default()),
            host_trampolines: Mutex::new(HashMap::new()),
        }))
    }

    pub fn config(&self) -> &Config {
        &self.0.config
    }

    /// The Cranelift target for this host.
    pub fn isa(&self) -> Result<&dyn cranelift_codegen::isa::TargetIsa, Error> {
        let r = self.0.isa.get_or_init(|| crate::compile::isa::host_isa(self.0.config.opt_level).map_err(|e| e.to_string()));
        match r {
            Ok(isa) => Ok(&**isa),
            Err(e) => Err(Error::Compile { func: None, message: e.clone() }),
        }
    }

    /// Everything about this engine that changes generated code (target,
    /// CPU features, Cranelift settings, engine version), for cache keys.
    pub fn fingerprint(&self) -> Result<&str, Error> {
        let isa = self.isa()?;
        Ok(self.0.fingerprint.get_or_init(|| {
            // Code without interrupt checks is other code: its own cache
            // entries (and the default's fingerprint stays as it was).
            let checks = if self.0.config.interrupt_checks { "" } else { "\ninterrupt_checks=off" };
            format!("faasm-engine {}\n{}{checks}", env!("CARGO_PKG_VERSION"), crate::compile::isa::settings_fingerprint(isa))
        }))
    }

    /// The target's ISA flags (the CPU features compiled code may use), as
    /// `name=value` joined by commas.
    pub fn cpu_features(&self) -> Result<&str, Error> {
        let isa = self.isa()?;
        Ok(self.0.cpu_features.get_or_init(|| isa.isa_flags().iter().map(|v| v.to_string()).collect::<Vec<_>>().join(",")))
    }

    /// Where this engine's linear memories come from and go to.
    pub(crate) fn memory_reuse(&self) -> &Arc<MemoryReuse> {
        &self.0.memory_reuse
    }

    /// How many dropped linear memories the engine keeps warm right now
    /// (at most `PoolConfig::max_warm`).
    pub fn pooled_memories(&self) -> usize {
        self.0.memory_reuse.pool.len()
    }

    /// Whether two handles are the same engine.
    pub fn same(a: &Engine, b: &Engine) -> bool {
        Arc::ptr_eq(&a.0, &b.0)
    }

    /// The engine-wide id of a signature (registered on first use).
    pub fn signature_id(&self, ty: &FuncType) -> u32 {
        let mut sigs = self.0.signatures.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(&id) = sigs.ids.get(ty) {
            return id;
        }
        let id = sigs.ids.len() as u32;
        sigs.ids.insert(ty.clone(), id);
        id
    }

    /// A wasm-to-host trampoline for `ty` that lives as long as the engine.
    pub(crate) fn host_trampoline(&self, ty: &FuncType) -> Result<*const u8, Error> {
        let id = self.signature_id(ty);
        let mut map = self.0.host_trampolines.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(t) = map.get(&id) {
            return Ok(t.entry as *const u8);
        }
        // A module with this one type and no functions: compiling it yields
        // exactly the trampolines for the type.
        let info = ModuleInfo { types: vec![ty.clone()], ..ModuleInfo::default() };
        let compiled = crate::compile::compile_module(self.isa()?, &info, &[], false)?;
        let range = *compiled
            .host_trampolines
            .first()
            .ok_or_else(|| Error::Compile { func: None, message: "the compiler produced no host trampoline".into() })?;
        let mut code = CodeMemory::new(&compiled.code)?;
        let entry =
            code.ptr_of(range).ok_or_else(|| Error::Compile { func: None, message: "host trampoline outside the code".into() })?
                as usize;
        code.register(Arc::new(CodeMeta {
            traps: crate::compile::TrapTable::from_sites(&compiled.traps),
            ..CodeMeta::default()
        }));
        map.insert(id, HostTrampoline { _code: code, entry });
        Ok(entry as *const u8)
    }
}
