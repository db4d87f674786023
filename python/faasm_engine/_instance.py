"""Instances: `Instance(store, module, imports)` with imports in the
module's order; exports by name or position."""

import ctypes

from . import _ffi
from ._ffi import lib
from ._extern import wrap_extern
from ._store import WasmError


class Exports:
    """An instance's exports: `exports["name"]`, `exports[0]`, iteration
    over names, `.get(name)`."""

    def __init__(self, names, items):
        self._names = names
        self._items = items
        self._by_name = dict(zip(names, items))

    def __getitem__(self, key):
        if isinstance(key, int):
            return self._items[key]
        return self._by_name[key]

    def get(self, name, default=None):
        return self._by_name.get(name, default)

    def __contains__(self, name):
        return name in self._by_name

    def __iter__(self):
        return iter(self._names)

    def __len__(self):
        return len(self._items)

    def items(self):
        return zip(self._names, self._items)


class Instance:
    def __init__(self, store, module, imports=()):
        items = list(imports)
        arr = (ctypes.c_void_p * max(1, len(items)))()
        for i, it in enumerate(items):
            if not hasattr(it, "_ptr"):
                raise TypeError("import %d is %r, not a Func, Memory, Global or Table" % (i, it))
            arr[i] = it._ptr
        vec = _ffi.wasm_ptr_vec_t(len(items), arr)
        trap = ctypes.c_void_p()
        ptr = lib.wasm_instance_new(store._ptr, module._ptr, ctypes.byref(vec), ctypes.byref(trap))
        if not ptr:
            if trap.value:
                from ._trap import from_c
                t = from_c(trap.value)
                # The C API reports every failure as a trap; only a real one
                # (start function, segments) is a Trap here.
                if t.message.startswith(("link error", "wasm_instance_new:", "instantiation failed")):
                    raise WasmError(t.message)
                raise t
            raise WasmError(_ffi.last_error())
        self._init(store, module, ptr)

    @classmethod
    def _wrap(cls, store, module, ptr):
        i = cls.__new__(cls)
        i._init(store, module, ptr)
        return i

    def _init(self, store, module, ptr):
        self._store = store
        self._module = module
        self._ptr = ptr
        self._exports = None

    def exports(self, store=None):
        if self._exports is None:
            vec = _ffi.wasm_ptr_vec_t()
            lib.wasm_instance_exports(self._ptr, ctypes.byref(vec))
            items = [wrap_extern(self._store, lib.wasm_extern_copy(p)) for p in _ffi.ptr_list(vec)]
            lib.wasm_extern_vec_delete(ctypes.byref(vec))
            names = [e.name for e in self._module.exports]
            self._exports = Exports(names, items)
        return self._exports

    def __del__(self):
        ptr, self._ptr = getattr(self, "_ptr", None), None
        if ptr:
            lib.wasm_instance_delete(ptr)
