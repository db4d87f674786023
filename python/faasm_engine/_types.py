"""Types: ValType, FuncType, GlobalType, Limits, MemoryType, TableType,
ImportType, ExportType, as plain Python values (made into C objects only
when the library needs one)."""

import ctypes

from . import _ffi
from ._ffi import lib

_KIND_NAMES = {_ffi.I32: "i32", _ffi.I64: "i64", _ffi.F32: "f32", _ffi.F64: "f64",
               _ffi.V128: "v128", _ffi.EXTERNREF: "externref", _ffi.FUNCREF: "funcref"}
_NAME_KINDS = {v: k for k, v in _KIND_NAMES.items()}


class ValType:
    """A value type: ValType.i32(), .i64(), .f32(), .f64(), .externref(), .funcref()."""

    __slots__ = ("kind",)

    def __init__(self, kind):
        if kind not in _KIND_NAMES:
            raise ValueError("unknown value kind %r" % (kind,))
        self.kind = kind

    @classmethod
    def i32(cls):
        return cls(_ffi.I32)

    @classmethod
    def i64(cls):
        return cls(_ffi.I64)

    @classmethod
    def f32(cls):
        return cls(_ffi.F32)

    @classmethod
    def f64(cls):
        return cls(_ffi.F64)

    @classmethod
    def externref(cls):
        return cls(_ffi.EXTERNREF)

    @classmethod
    def funcref(cls):
        return cls(_ffi.FUNCREF)

    @classmethod
    def from_name(cls, name):
        """'i32', 'i64', 'f32', 'f64', 'externref' or 'funcref'."""
        if name not in _NAME_KINDS:
            raise ValueError("unknown value type %r (expected one of %s)" % (name, ", ".join(sorted(_NAME_KINDS))))
        return cls(_NAME_KINDS[name])

    def __eq__(self, other):
        return isinstance(other, ValType) and other.kind == self.kind

    def __hash__(self):
        return hash(self.kind)

    def __str__(self):
        return _KIND_NAMES[self.kind]

    __repr__ = __str__


class FuncType:
    def __init__(self, params, results):
        self.params = list(params)
        self.results = list(results)

    def __eq__(self, other):
        return isinstance(other, FuncType) and (self.params, self.results) == (other.params, other.results)

    def __repr__(self):
        return "FuncType(%s -> %s)" % (self.params, self.results)

    def _new_c(self):
        """An owned wasm_functype_t*."""
        def vec(types):
            v = _ffi.wasm_ptr_vec_t()
            arr = (ctypes.c_void_p * max(1, len(types)))(*[lib.wasm_valtype_new(t.kind) for t in types])
            lib.wasm_valtype_vec_new(ctypes.byref(v), len(types), arr)
            return v
        p, r = vec(self.params), vec(self.results)
        return lib.wasm_functype_new(ctypes.byref(p), ctypes.byref(r))


class Limits:
    def __init__(self, min, max=None):
        self.min = min
        self.max = max

    def _c(self):
        return _ffi.wasm_limits_t(self.min, _ffi.LIMITS_MAX_DEFAULT if self.max is None else self.max)

    def __repr__(self):
        return "Limits(%d, %r)" % (self.min, self.max)


def _limits_of(p):
    c = p.contents
    return Limits(c.min, None if c.max == _ffi.LIMITS_MAX_DEFAULT else c.max)


class GlobalType:
    def __init__(self, content, mutable):
        self.content = content
        self.mutable = bool(mutable)

    def __repr__(self):
        return "GlobalType(%s, mutable=%s)" % (self.content, self.mutable)

    def _new_c(self):
        return lib.wasm_globaltype_new(lib.wasm_valtype_new(self.content.kind), 1 if self.mutable else 0)


class MemoryType:
    def __init__(self, limits):
        self.limits = limits

    def __repr__(self):
        return "MemoryType(%r)" % (self.limits,)

    def _new_c(self):
        lim = self.limits._c()
        return lib.wasm_memorytype_new(ctypes.byref(lim))


class TableType:
    def __init__(self, element, limits):
        self.element = element
        self.limits = limits

    def __repr__(self):
        return "TableType(%s, %r)" % (self.element, self.limits)

    def _new_c(self):
        lim = self.limits._c()
        return lib.wasm_tabletype_new(lib.wasm_valtype_new(self.element.kind), ctypes.byref(lim))


def _valtypes(vec_ptr):
    vec = vec_ptr.contents
    return [ValType(lib.wasm_valtype_kind(vec.data[i])) for i in range(vec.size)]


def from_externtype(p):
    """The Python type of a (borrowed) wasm_externtype_t*."""
    kind = lib.wasm_externtype_kind(p)
    if kind == _ffi.EXTERN_FUNC:
        return FuncType(_valtypes(lib.wasm_functype_params(p)), _valtypes(lib.wasm_functype_results(p)))
    if kind == _ffi.EXTERN_GLOBAL:
        return GlobalType(ValType(lib.wasm_valtype_kind(lib.wasm_globaltype_content(p))),
                          lib.wasm_globaltype_mutability(p) == 1)
    if kind == _ffi.EXTERN_TABLE:
        return TableType(ValType(lib.wasm_valtype_kind(lib.wasm_tabletype_element(p))),
                         _limits_of(lib.wasm_tabletype_limits(p)))
    return MemoryType(_limits_of(lib.wasm_memorytype_limits(p)))


def take_externtype(p):
    """from_externtype of an owned pointer, which is then freed."""
    try:
        return from_externtype(p)
    finally:
        lib.wasm_externtype_delete(p)


class ImportType:
    def __init__(self, module, name, type):
        self.module = module
        self.name = name
        self.type = type

    def __repr__(self):
        return "ImportType(%r, %r, %r)" % (self.module, self.name, self.type)


class ExportType:
    def __init__(self, name, type):
        self.name = name
        self.type = type

    def __repr__(self):
        return "ExportType(%r, %r)" % (self.name, self.type)
