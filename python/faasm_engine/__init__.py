"""faasm_engine: WebAssembly from Python on faasm-engine.

A thin layer (ctypes) over the engine's standard WebAssembly C API
(libfaasm_engine.so), in the shape of wasmtime-py:

    from faasm_engine import Engine, Store, Module, Instance
    store = Store()
    module = Module(store.engine, '(module (func (export "add") (param i32 i32) (result i32) '
                                  'local.get 0 local.get 1 i32.add))')
    add = Instance(store, module, []).exports(store)["add"]
    assert add(store, 2, 3) == 5

`import faasm_engine.loader` makes `import NAME` load NAME.wasm / NAME.wat.
"""

from ._extern import Global, Memory, Table
from ._func import Func
from ._instance import Exports, Instance
from ._linker import Linker, WasiConfig
from ._module import Module, wat2wasm
from ._store import Engine, Store, WasmError
from ._trap import ExitTrap, Frame, Trap
from ._types import ExportType, FuncType, GlobalType, ImportType, Limits, MemoryType, TableType, ValType

__all__ = [
    "Engine", "Store", "Module", "Instance", "Exports", "Linker", "WasiConfig", "Func", "FuncType",
    "ValType", "Memory", "MemoryType", "Global", "GlobalType", "Table", "TableType", "Limits",
    "ImportType", "ExportType", "Trap", "ExitTrap", "Frame", "WasmError", "wat2wasm",
]
