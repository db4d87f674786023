"""Functions: wasm exports called from Python, and Python callables made
into host functions (through wasm_func_new_with_env and one ctypes
trampoline for all of them)."""

import ctypes
import itertools
import threading

from . import _ffi, _trap, _value
from ._ffi import lib
from ._types import FuncType, take_externtype

# Host functions by env key: (store, callable, FuncType). Removed by the
# finalizer the library calls when the store goes.
_HOST = {}
_KEYS = itertools.count(1)
# An exception a host function raised, re-raised by the Python caller of
# the wasm function that called it (per thread).
_PENDING = threading.local()


@_ffi.CALLBACK_WITH_ENV
def _trampoline(env, args, results):
    try:
        store, fn, ty = _HOST[env]
        a = args.contents
        params = [_value.from_c(store, a.data[i]) for i in range(a.size)]
        out = fn(*params)
        n = len(ty.results)
        if n == 0:
            if out is not None:
                raise TypeError("host function %r returned %r, its type has no results" % (fn, out))
            return None
        vals = (out,) if n == 1 else tuple(out)
        if len(vals) != n:
            raise TypeError("host function %r returned %d values, its type has %d" % (fn, len(vals), n))
        r = results.contents
        for i, (v, t) in enumerate(zip(vals, ty.results)):
            _value.to_c(store, v, t, r.data[i])
        return None
    except BaseException as e:  # noqa: B902 - everything must become a trap, nothing may unwind into C
        if isinstance(e, _trap.Trap) and not isinstance(e, _trap.ExitTrap):
            return _trap.new_c(e.message)
        _PENDING.exc = e
        return _trap.new_c("Python exception in host function: %s: %s" % (type(e).__name__, e))


@_ffi.FINALIZER
def _finalize(env):
    _HOST.pop(env, None)


def raise_trap(trap):
    """Raises the exception for an owned wasm_trap_t*: a Python exception a
    host function raised during the call if there was one, else a Trap."""
    exc = getattr(_PENDING, "exc", None)
    _PENDING.exc = None
    t = _trap.from_c(trap)
    if exc is not None:
        raise exc from t
    raise t


class Func:
    """A function: `Func(store, FuncType, callable)` makes a host function;
    `func(store, *args)` calls any function (one result is returned as is,
    several as a tuple, none as None)."""

    def __init__(self, store, ty, fn):
        if not isinstance(ty, FuncType):
            raise TypeError("expected a FuncType, got %r" % (ty,))
        key = next(_KEYS)
        _HOST[key] = (store, fn, ty)
        cty = ty._new_c()
        try:
            ptr = lib.wasm_func_new_with_env(store._ptr, cty, _trampoline, key, _finalize)
        finally:
            lib.wasm_functype_delete(cty)
        if not ptr:
            _HOST.pop(key, None)
            raise _store_error()
        self._init(store, ptr, ty)

    @classmethod
    def _wrap(cls, store, ptr):
        f = cls.__new__(cls)
        f._init(store, ptr, None)
        return f

    def _init(self, store, ptr, ty):
        self._store = store
        self._ptr = ptr
        self._ty = ty
        self._prepared = None

    def type(self, store=None):
        if self._ty is None:
            self._ty = take_externtype(lib.wasm_func_type(self._ptr))
        return self._ty

    def _prepare(self):
        ty = self.type()
        np, nr = len(ty.params), len(ty.results)
        args = (_ffi.wasm_val_t * max(1, np))()
        res = (_ffi.wasm_val_t * max(1, nr))()
        av = _ffi.wasm_val_vec_t(np, args)
        rv = _ffi.wasm_val_vec_t(nr, res)
        self._prepared = (ty, args, res, ctypes.byref(av), ctypes.byref(rv), av, rv)
        return self._prepared

    def __call__(self, store, *params):
        ty, args, res, avp, rvp, _, _ = self._prepared or self._prepare()
        if len(params) != len(ty.params):
            raise TypeError("function takes %d arguments, %d given" % (len(ty.params), len(params)))
        for i, (v, t) in enumerate(zip(params, ty.params)):
            _value.to_c(self._store, v, t, args[i])
        trap = lib.wasm_func_call(self._ptr, avp, rvp)
        if trap:
            raise_trap(trap)
        n = len(ty.results)
        if n == 0:
            return None
        if n == 1:
            return _value.from_c(self._store, res[0])
        return tuple(_value.from_c(self._store, res[i]) for i in range(n))

    def __del__(self):
        ptr, self._ptr = getattr(self, "_ptr", None), None
        if ptr:
            lib.wasm_func_delete(ptr)


def _store_error():
    from ._store import WasmError
    return WasmError(_ffi.last_error())
