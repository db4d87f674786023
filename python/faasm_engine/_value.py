"""Python values <-> wasm_val_t. Integers and floats for the numeric
types; any Python object (or None) for externref, kept alive by the store
and passed to wasm as a foreign object; Func (or None) for funcref."""

from . import _ffi
from ._ffi import lib


def to_c(store, value, ty, slot):
    """Writes `value` of type `ty` into the wasm_val_t `slot`. References
    written are new ones the slot owns."""
    k = ty.kind
    slot.kind = k
    if k == _ffi.I32:
        if not isinstance(value, int):
            raise TypeError("expected an int for i32, got %r" % (value,))
        slot.of.i32 = ((value + 2**31) % 2**32) - 2**31
    elif k == _ffi.I64:
        if not isinstance(value, int):
            raise TypeError("expected an int for i64, got %r" % (value,))
        slot.of.i64 = ((value + 2**63) % 2**64) - 2**63
    elif k == _ffi.F32:
        if not isinstance(value, (int, float)):
            raise TypeError("expected a float for f32, got %r" % (value,))
        slot.of.f32 = float(value)
    elif k == _ffi.F64:
        if not isinstance(value, (int, float)):
            raise TypeError("expected a float for f64, got %r" % (value,))
        slot.of.f64 = float(value)
    elif k == _ffi.EXTERNREF:
        if value is None:
            slot.of.ref = None
        else:
            ref = lib.wasm_foreign_new(store._ptr)
            lib.wasm_foreign_set_host_info(ref, store._extern_key(value))
            slot.of.ref = ref
    elif k == _ffi.FUNCREF:
        from ._func import Func
        if value is None:
            slot.of.ref = None
        elif isinstance(value, Func):
            slot.of.ref = lib.wasm_ref_copy(value._ptr)
        else:
            raise TypeError("expected a Func or None for funcref, got %r" % (value,))
    else:
        raise TypeError("values of type %s cannot be passed from Python" % (ty,))


def from_c(store, slot):
    """The Python value of `slot`; a reference in it is consumed (freed or
    adopted by the returned object)."""
    k = slot.kind
    if k == _ffi.I32:
        return slot.of.i32
    if k == _ffi.I64:
        return slot.of.i64
    if k == _ffi.F32:
        return slot.of.f32
    if k == _ffi.F64:
        return slot.of.f64
    ref = slot.of.ref
    slot.of.ref = None
    if not ref:
        return None
    if k == _ffi.FUNCREF:
        from ._func import Func
        f = lib.wasm_ref_as_func(ref)
        if f:
            return Func._wrap(store, f)
        lib.wasm_ref_delete(ref)
        return None
    key = lib.wasm_ref_get_host_info(ref)
    lib.wasm_ref_delete(ref)
    return store._externs.get(key)
