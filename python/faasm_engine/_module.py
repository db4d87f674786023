"""Modules: from binary or text, from a file (through the compiled-code
cache), reflection, serialization."""

import ctypes
import os

from . import _ffi
from ._ffi import lib
from ._store import WasmError
from ._types import ExportType, ImportType, from_externtype


def wat2wasm(text):
    """WebAssembly text (str or bytes) to a binary module."""
    if isinstance(text, str):
        text = text.encode("utf-8")
    out = _ffi.wasm_byte_vec_t()
    err = lib.faasm_wat2wasm(text, len(text), ctypes.byref(out))
    data = out.bytes()
    lib.wasm_byte_vec_delete(ctypes.byref(out))
    if err:
        raise WasmError(_ffi.error_text(err))
    return data


class Module:
    """A compiled module: `Module(engine, wasm)` with wasm bytes, or text
    (str, or bytes not starting with the binary magic)."""

    def __init__(self, engine, wasm):
        if isinstance(wasm, str) or (isinstance(wasm, (bytes, bytearray)) and not bytes(wasm[:4]) == b"\0asm"):
            wasm = wat2wasm(wasm)
        wasm = bytes(wasm)
        v = _ffi.byte_vec(wasm)
        out = ctypes.c_void_p()
        err = lib.faasm_module_new(engine._store_ptr(), ctypes.byref(v), ctypes.byref(out))
        lib.wasm_byte_vec_delete(ctypes.byref(v))
        if err:
            raise WasmError(_ffi.error_text(err))
        self._init(engine, out.value)

    @classmethod
    def from_file(cls, engine, path, cache_dir=None, cache=True):
        """The module in a .wasm or .wat file. A .wasm goes through the
        compiled-code cache (`cache_dir`, default the engine's default
        directory) unless `cache` is false."""
        path = os.fspath(path)
        if path.endswith(".wat") or not cache:
            with open(path, "rb") as f:
                return cls(engine, f.read())
        out = ctypes.c_void_p()
        err = lib.faasm_module_from_file(engine._store_ptr(), path.encode(),
                                         cache_dir.encode() if cache_dir else None, ctypes.byref(out))
        if err:
            raise WasmError(_ffi.error_text(err))
        m = cls.__new__(cls)
        m._init(engine, out.value)
        return m

    @classmethod
    def deserialize(cls, engine, data):
        v = _ffi.byte_vec(bytes(data))
        ptr = lib.wasm_module_deserialize(engine._store_ptr(), ctypes.byref(v))
        lib.wasm_byte_vec_delete(ctypes.byref(v))
        if not ptr:
            raise WasmError(_ffi.last_error())
        m = cls.__new__(cls)
        m._init(engine, ptr)
        return m

    def _init(self, engine, ptr):
        self.engine = engine
        self._ptr = ptr

    def serialize(self):
        v = _ffi.wasm_byte_vec_t()
        lib.wasm_module_serialize(self._ptr, ctypes.byref(v))
        data = v.bytes()
        lib.wasm_byte_vec_delete(ctypes.byref(v))
        if not data:
            raise WasmError(_ffi.last_error())
        return data

    @property
    def imports(self):
        vec = _ffi.wasm_ptr_vec_t()
        lib.wasm_module_imports(self._ptr, ctypes.byref(vec))
        out = [ImportType(_ffi.name(lib.wasm_importtype_module(p)), _ffi.name(lib.wasm_importtype_name(p)),
                          from_externtype(lib.wasm_importtype_type(p))) for p in _ffi.ptr_list(vec)]
        lib.wasm_importtype_vec_delete(ctypes.byref(vec))
        return out

    @property
    def exports(self):
        vec = _ffi.wasm_ptr_vec_t()
        lib.wasm_module_exports(self._ptr, ctypes.byref(vec))
        out = [ExportType(_ffi.name(lib.wasm_exporttype_name(p)), from_externtype(lib.wasm_exporttype_type(p)))
               for p in _ffi.ptr_list(vec)]
        lib.wasm_exporttype_vec_delete(ctypes.byref(vec))
        return out

    def __del__(self):
        ptr, self._ptr = getattr(self, "_ptr", None), None
        if ptr:
            lib.wasm_module_delete(ptr)
