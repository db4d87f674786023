"""Engine, Store and the package's error type."""

from . import _ffi
from ._ffi import lib


class WasmError(Exception):
    """A module that does not compile or link, a bad argument, ..."""


class Engine:
    """Compilation settings and target; shared by stores and modules."""

    def __init__(self, max_wasm_stack=None, parallel_compilation=True):
        config = lib.wasm_config_new()
        if max_wasm_stack is not None:
            lib.faasm_config_max_wasm_stack(config, max_wasm_stack)
        lib.faasm_config_parallel_compilation(config, bool(parallel_compilation))
        self._ptr = lib.wasm_engine_new_with_config(config)
        if not self._ptr:
            raise WasmError(_ffi.last_error())
        self._compile_store = None

    def _store_ptr(self):
        """A store of this engine for compiling modules (the C API compiles
        through a store, which only names the engine)."""
        if self._compile_store is None:
            self._compile_store = Store(self)
        return self._compile_store._ptr

    def __del__(self):
        ptr, self._ptr = getattr(self, "_ptr", None), None
        if ptr:
            lib.wasm_engine_delete(ptr)


class Store:
    """Owner of instances, functions, memories, globals and tables. One
    thread at a time."""

    def __init__(self, engine=None):
        self.engine = engine if engine is not None else Engine()
        self._ptr = lib.wasm_store_new(self.engine._ptr)
        if not self._ptr:
            raise WasmError(_ffi.last_error())
        self._wasi = None
        # Python objects passed to wasm as externref, by key.
        self._externs = {}
        self._next_extern = 1

    def set_wasi(self, config):
        """The WASI configuration Linker.define_wasi() gives this store's instances."""
        self._wasi = config

    def _extern_key(self, obj):
        key = self._next_extern
        self._next_extern += 1
        self._externs[key] = obj
        return key

    def __del__(self):
        ptr, self._ptr = getattr(self, "_ptr", None), None
        if ptr:
            lib.wasm_store_delete(ptr)
