"""The C library: finding and loading libfaasm_engine.so, the C structs of
wasm.h, and the prototype of every function the package calls.

The library is looked for, in order: $FAASM_ENGINE_LIB (a path to the .so);
the copy bundled into this package at install time; the repository's
target/release (found by walking up from this file and the current
directory, and $CARGO_TARGET_DIR/release).
"""

import ctypes
import os
from ctypes import (
    CFUNCTYPE,
    POINTER,
    Structure,
    Union,
    c_bool,
    c_char,
    c_char_p,
    c_double,
    c_float,
    c_int32,
    c_int64,
    c_size_t,
    c_uint8,
    c_uint32,
    c_void_p,
)

LIB_NAME = "libfaasm_engine.so"


def _candidates():
    env = os.environ.get("FAASM_ENGINE_LIB")
    if env:
        yield env
        return
    here = os.path.dirname(os.path.abspath(__file__))
    yield os.path.join(here, LIB_NAME)
    target = os.environ.get("CARGO_TARGET_DIR")
    if target:
        yield os.path.join(target, "release", LIB_NAME)
    for start in (here, os.getcwd()):
        d = start
        while True:
            yield os.path.join(d, "target", "release", LIB_NAME)
            parent = os.path.dirname(d)
            if parent == d:
                break
            d = parent


def _load():
    tried = []
    for path in _candidates():
        if os.path.isfile(path):
            return ctypes.CDLL(path), path
        tried.append(path)
    raise ImportError(
        "faasm_engine: cannot find %s (set FAASM_ENGINE_LIB, or run `cargo build --release` "
        "in the repository and reinstall); looked at: %s" % (LIB_NAME, ", ".join(tried[:6]))
    )


lib, LIB_PATH = _load()


class wasm_byte_vec_t(Structure):
    _fields_ = [("size", c_size_t), ("data", POINTER(c_char))]

    def bytes(self):
        return ctypes.string_at(self.data, self.size) if self.size else b""


class wasm_ptr_vec_t(Structure):
    """Every vector of pointers (valtypes, externs, frames, ...)."""

    _fields_ = [("size", c_size_t), ("data", POINTER(c_void_p))]


class wasm_val_union(Union):
    _fields_ = [("i32", c_int32), ("i64", c_int64), ("f32", c_float), ("f64", c_double), ("ref", c_void_p)]


class wasm_val_t(Structure):
    _fields_ = [("kind", c_uint8), ("of", wasm_val_union)]


class wasm_val_vec_t(Structure):
    _fields_ = [("size", c_size_t), ("data", POINTER(wasm_val_t))]


class wasm_limits_t(Structure):
    _fields_ = [("min", c_uint32), ("max", c_uint32)]


CALLBACK_WITH_ENV = CFUNCTYPE(c_void_p, c_void_p, POINTER(wasm_val_vec_t), POINTER(wasm_val_vec_t))
FINALIZER = CFUNCTYPE(None, c_void_p)

P = c_void_p
BV = POINTER(wasm_byte_vec_t)
PV = POINTER(wasm_ptr_vec_t)
VV = POINTER(wasm_val_vec_t)
VAL = POINTER(wasm_val_t)
PP = POINTER(c_void_p)

_PROTOTYPES = {
    # name: (result, [arguments])
    "wasm_byte_vec_new": (None, [BV, c_size_t, c_char_p]),
    "wasm_byte_vec_delete": (None, [BV]),
    "wasm_valtype_vec_new": (None, [PV, c_size_t, PP]),
    "wasm_valtype_vec_delete": (None, [PV]),
    "wasm_importtype_vec_delete": (None, [PV]),
    "wasm_exporttype_vec_delete": (None, [PV]),
    "wasm_extern_vec_delete": (None, [PV]),
    "wasm_frame_vec_delete": (None, [PV]),
    "wasm_config_new": (P, []),
    "faasm_config_max_wasm_stack": (None, [P, c_size_t]),
    "faasm_config_parallel_compilation": (None, [P, c_bool]),
    "wasm_engine_new_with_config": (P, [P]),
    "wasm_engine_delete": (None, [P]),
    "wasm_store_new": (P, [P]),
    "wasm_store_delete": (None, [P]),
    "wasm_valtype_new": (P, [c_uint8]),
    "wasm_valtype_kind": (c_uint8, [P]),
    "wasm_valtype_delete": (None, [P]),
    "wasm_functype_new": (P, [PV, PV]),
    "wasm_functype_params": (PV, [P]),
    "wasm_functype_results": (PV, [P]),
    "wasm_functype_delete": (None, [P]),
    "wasm_globaltype_new": (P, [P, c_uint8]),
    "wasm_globaltype_content": (P, [P]),
    "wasm_globaltype_mutability": (c_uint8, [P]),
    "wasm_globaltype_delete": (None, [P]),
    "wasm_tabletype_new": (P, [P, POINTER(wasm_limits_t)]),
    "wasm_tabletype_element": (P, [P]),
    "wasm_tabletype_limits": (POINTER(wasm_limits_t), [P]),
    "wasm_tabletype_delete": (None, [P]),
    "wasm_memorytype_new": (P, [POINTER(wasm_limits_t)]),
    "wasm_memorytype_limits": (POINTER(wasm_limits_t), [P]),
    "wasm_memorytype_delete": (None, [P]),
    "wasm_externtype_kind": (c_uint8, [P]),
    "wasm_externtype_copy": (P, [P]),
    "wasm_externtype_delete": (None, [P]),
    "wasm_importtype_module": (BV, [P]),
    "wasm_importtype_name": (BV, [P]),
    "wasm_importtype_type": (P, [P]),
    "wasm_exporttype_name": (BV, [P]),
    "wasm_exporttype_type": (P, [P]),
    "wasm_module_delete": (None, [P]),
    "wasm_module_imports": (None, [P, PV]),
    "wasm_module_exports": (None, [P, PV]),
    "wasm_module_serialize": (None, [P, BV]),
    "wasm_module_deserialize": (P, [P, BV]),
    "faasm_module_new": (P, [P, BV, PP]),
    "faasm_module_from_file": (P, [P, c_char_p, c_char_p, PP]),
    "faasm_wat2wasm": (P, [c_char_p, c_size_t, BV]),
    "faasm_error_message": (None, [P, BV]),
    "faasm_error_delete": (None, [P]),
    "faasm_last_error_message": (c_bool, [BV]),
    "wasm_func_new_with_env": (P, [P, P, CALLBACK_WITH_ENV, c_void_p, FINALIZER]),
    "wasm_func_type": (P, [P]),
    "wasm_func_call": (P, [P, VV, VV]),
    "wasm_func_delete": (None, [P]),
    "wasm_global_new": (P, [P, P, VAL]),
    "wasm_global_type": (P, [P]),
    "wasm_global_get": (None, [P, VAL]),
    "wasm_global_set": (None, [P, VAL]),
    "wasm_table_new": (P, [P, P, P]),
    "wasm_table_type": (P, [P]),
    "wasm_table_get": (P, [P, c_uint32]),
    "wasm_table_set": (c_bool, [P, c_uint32, P]),
    "wasm_table_size": (c_uint32, [P]),
    "wasm_table_grow": (c_bool, [P, c_uint32, P]),
    "wasm_memory_new": (P, [P, P]),
    "wasm_memory_type": (P, [P]),
    "wasm_memory_data": (P, [P]),
    "wasm_memory_data_size": (c_size_t, [P]),
    "wasm_memory_size": (c_uint32, [P]),
    "wasm_memory_grow": (c_bool, [P, c_uint32]),
    "wasm_extern_kind": (c_uint8, [P]),
    "wasm_extern_type": (P, [P]),
    "wasm_extern_delete": (None, [P]),
    "wasm_extern_copy": (P, [P]),
    "wasm_ref_delete": (None, [P]),
    "wasm_ref_copy": (P, [P]),
    "wasm_ref_same": (c_bool, [P, P]),
    "wasm_ref_as_func": (P, [P]),
    "wasm_ref_get_host_info": (c_void_p, [P]),
    "wasm_foreign_new": (P, [P]),
    "wasm_foreign_set_host_info": (None, [P, c_void_p]),
    "wasm_instance_new": (P, [P, P, PV, PP]),
    "wasm_instance_exports": (None, [P, PV]),
    "wasm_instance_delete": (None, [P]),
    "faasm_instance_export": (P, [P, c_char_p, c_size_t]),
    "wasm_trap_new": (P, [P, BV]),
    "wasm_trap_message": (None, [P, BV]),
    "wasm_trap_trace": (None, [P, PV]),
    "wasm_trap_delete": (None, [P]),
    "faasm_trap_display": (None, [P, BV]),
    "faasm_trap_exit_code": (c_bool, [P, POINTER(c_int32)]),
    "wasm_frame_func_index": (c_uint32, [P]),
    "faasm_frame_func_name": (c_bool, [P, BV]),
    "faasm_frame_module_name": (c_bool, [P, BV]),
    "faasm_wasi_config_new": (P, []),
    "faasm_wasi_config_delete": (None, [P]),
    "faasm_wasi_config_push_arg": (c_bool, [P, c_char_p]),
    "faasm_wasi_config_push_env": (c_bool, [P, c_char_p, c_char_p]),
    "faasm_wasi_config_preopen_dir": (c_bool, [P, c_char_p, c_char_p, c_bool]),
    "faasm_wasi_config_inherit": (c_bool, [P, c_uint32]),
    "faasm_wasi_config_file": (P, [P, c_uint32, c_char_p]),
    "faasm_linker_new": (P, [P]),
    "faasm_linker_delete": (None, [P]),
    "faasm_linker_define": (P, [P, c_char_p, c_char_p, P]),
    "faasm_linker_define_instance": (P, [P, c_char_p, P]),
    "faasm_linker_define_wasi": (P, [P, P]),
    "faasm_linker_instantiate": (P, [P, P, PP, PP]),
}

for _name, (_res, _args) in _PROTOTYPES.items():
    _f = getattr(lib, _name)
    _f.restype = _res
    _f.argtypes = _args

# Value kinds and extern kinds of wasm.h.
I32, I64, F32, F64, V128, EXTERNREF, FUNCREF = 0, 1, 2, 3, 4, 128, 129
EXTERN_FUNC, EXTERN_GLOBAL, EXTERN_TABLE, EXTERN_MEMORY = 0, 1, 2, 3
LIMITS_MAX_DEFAULT = 0xFFFFFFFF


def take_message(vec):
    """The text of a NUL-terminated message vector, which is then freed."""
    b = vec.bytes()
    lib.wasm_byte_vec_delete(ctypes.byref(vec))
    return b.rstrip(b"\0").decode("utf-8", "replace")


def error_text(err):
    """The message of an owned faasm_error_t*, which is then freed."""
    v = wasm_byte_vec_t()
    lib.faasm_error_message(err, ctypes.byref(v))
    lib.faasm_error_delete(err)
    return take_message(v)


def last_error():
    v = wasm_byte_vec_t()
    if lib.faasm_last_error_message(ctypes.byref(v)):
        return take_message(v)
    return "unknown error"


def byte_vec(data):
    """A library-owned byte vector holding `data` (caller deletes it)."""
    v = wasm_byte_vec_t()
    lib.wasm_byte_vec_new(ctypes.byref(v), len(data), data)
    return v


def name(ptr):
    """A wasm_name_t* as str."""
    return ptr.contents.bytes().decode("utf-8", "replace")


def ptr_list(vec):
    return [vec.data[i] for i in range(vec.size)]
