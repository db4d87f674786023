"""Memories, globals and tables, and wrapping an extern of the C API in
the right Python class."""

import ctypes
import sys

from . import _ffi, _value
from ._ffi import lib
from ._store import WasmError
from ._types import GlobalType, MemoryType, TableType, take_externtype

PAGE_SIZE = 0x10000


class _StoreObject:
    """A C API object of a store: the store (kept alive while the object
    is) and the C pointer."""

    @classmethod
    def _wrap(cls, store, ptr):
        obj = cls.__new__(cls)
        obj._init(store, ptr)
        return obj

    def _init(self, store, ptr):
        self._store = store
        self._ptr = ptr


class Memory(_StoreObject):
    """A linear memory. `memoryview(memory)` (Python 3.12+) and
    `memory.buffer()` give its bytes without a copy; the view covers the
    size at the time it is taken (growing keeps the address)."""

    def __init__(self, store, ty):
        if not isinstance(ty, MemoryType):
            raise TypeError("expected a MemoryType, got %r" % (ty,))
        cty = ty._new_c()
        try:
            ptr = lib.wasm_memory_new(store._ptr, cty)
        finally:
            lib.wasm_memorytype_delete(cty)
        if not ptr:
            raise WasmError(_ffi.last_error())
        self._init(store, ptr)

    def type(self, store=None):
        return take_externtype(lib.wasm_memory_type(self._ptr))

    def data_ptr(self, store=None):
        return lib.wasm_memory_data(self._ptr)

    def data_len(self, store=None):
        return lib.wasm_memory_data_size(self._ptr)

    def size(self, store=None):
        """Size in 64 KiB pages."""
        return lib.wasm_memory_size(self._ptr)

    def grow(self, store, delta):
        """Grows by `delta` pages; returns the old size in pages."""
        old = self.size()
        if delta < 0 or not lib.wasm_memory_grow(self._ptr, delta):
            raise WasmError("cannot grow the memory by %d pages: %s" % (delta, _ffi.last_error()))
        return old

    def buffer(self, store=None):
        """A writable memoryview of the memory's current bytes."""
        n = self.data_len()
        if n == 0:
            return memoryview(bytearray())
        arr = (ctypes.c_ubyte * n).from_address(self.data_ptr())
        return memoryview(arr).cast("B")

    def __buffer__(self, flags):
        return self.buffer()

    def _range(self, start, stop):
        n = self.data_len()
        if stop is None:
            stop = n
        if start < 0 or stop < start or stop > n:
            raise IndexError("memory range %d..%d outside the memory's %d bytes" % (start, stop, n))
        return start, stop

    def read(self, store, start=0, stop=None):
        """A copy of bytes start..stop."""
        start, stop = self._range(start, stop)
        return bytearray(ctypes.string_at(self.data_ptr() + start, stop - start)) if stop > start else bytearray()

    def write(self, store, value, start=0):
        """Writes `value` (bytes-like) at `start`; returns the count."""
        data = bytes(value)
        start, _ = self._range(start, start + len(data))
        if data:
            ctypes.memmove(self.data_ptr() + start, data, len(data))
        return len(data)

    def __del__(self):
        ptr, self._ptr = getattr(self, "_ptr", None), None
        if ptr:
            lib.wasm_extern_delete(ptr)


class Global(_StoreObject):
    def __init__(self, store, ty, value):
        if not isinstance(ty, GlobalType):
            raise TypeError("expected a GlobalType, got %r" % (ty,))
        v = _ffi.wasm_val_t()
        _value.to_c(store, value, ty.content, v)
        cty = ty._new_c()
        try:
            ptr = lib.wasm_global_new(store._ptr, cty, ctypes.byref(v))
        finally:
            lib.wasm_globaltype_delete(cty)
            if v.kind >= _ffi.EXTERNREF and v.of.ref:
                lib.wasm_ref_delete(v.of.ref)
        if not ptr:
            raise WasmError(_ffi.last_error())
        self._init(store, ptr)

    def type(self, store=None):
        return take_externtype(lib.wasm_global_type(self._ptr))

    def value(self, store=None):
        v = _ffi.wasm_val_t()
        lib.wasm_global_get(self._ptr, ctypes.byref(v))
        return _value.from_c(self._store, v)

    def set_value(self, store, value):
        ty = self.type()
        if not ty.mutable:
            raise WasmError("cannot set an immutable global")
        v = _ffi.wasm_val_t()
        _value.to_c(self._store, value, ty.content, v)
        lib.wasm_global_set(self._ptr, ctypes.byref(v))
        if v.kind >= _ffi.EXTERNREF and v.of.ref:
            lib.wasm_ref_delete(v.of.ref)

    def __del__(self):
        ptr, self._ptr = getattr(self, "_ptr", None), None
        if ptr:
            lib.wasm_extern_delete(ptr)


class Table(_StoreObject):
    def __init__(self, store, ty, init=None):
        if not isinstance(ty, TableType):
            raise TypeError("expected a TableType, got %r" % (ty,))
        v = _ffi.wasm_val_t()
        _value.to_c(store, init, ty.element, v)
        cty = ty._new_c()
        try:
            ptr = lib.wasm_table_new(store._ptr, cty, v.of.ref)
        finally:
            lib.wasm_tabletype_delete(cty)
            if v.of.ref:
                lib.wasm_ref_delete(v.of.ref)
        if not ptr:
            raise WasmError(_ffi.last_error())
        self._init(store, ptr)

    def type(self, store=None):
        return take_externtype(lib.wasm_table_type(self._ptr))

    def size(self, store=None):
        return lib.wasm_table_size(self._ptr)

    def get(self, store, index):
        if not 0 <= index < self.size():
            raise IndexError("table index %d out of bounds (size %d)" % (index, self.size()))
        ref = lib.wasm_table_get(self._ptr, index)
        v = _ffi.wasm_val_t()
        v.kind = self.type().element.kind
        v.of.ref = ref
        return _value.from_c(self._store, v)

    def set(self, store, index, value):
        v = _ffi.wasm_val_t()
        _value.to_c(self._store, value, self.type().element, v)
        ok = lib.wasm_table_set(self._ptr, index, v.of.ref)
        if v.of.ref:
            lib.wasm_ref_delete(v.of.ref)
        if not ok:
            raise WasmError("cannot set table element %d: %s" % (index, _ffi.last_error()))

    def grow(self, store, delta, init=None):
        old = self.size()
        v = _ffi.wasm_val_t()
        _value.to_c(self._store, init, self.type().element, v)
        ok = lib.wasm_table_grow(self._ptr, delta, v.of.ref)
        if v.of.ref:
            lib.wasm_ref_delete(v.of.ref)
        if not ok:
            raise WasmError("cannot grow the table by %d: %s" % (delta, _ffi.last_error()))
        return old

    def __del__(self):
        ptr, self._ptr = getattr(self, "_ptr", None), None
        if ptr:
            lib.wasm_extern_delete(ptr)


def wrap_extern(store, ptr):
    """The Python object for an owned wasm_extern_t*."""
    from ._func import Func
    kind = lib.wasm_extern_kind(ptr)
    cls = {_ffi.EXTERN_FUNC: Func, _ffi.EXTERN_GLOBAL: Global,
           _ffi.EXTERN_TABLE: Table, _ffi.EXTERN_MEMORY: Memory}[kind]
    return cls._wrap(store, ptr)
