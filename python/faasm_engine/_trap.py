"""Traps as Python exceptions, with the wasm backtrace."""

import ctypes

from . import _ffi
from ._ffi import lib


class Frame:
    """One wasm frame of a trap's backtrace, innermost first."""

    def __init__(self, func_index, func_name, module_name):
        self.func_index = func_index
        self.func_name = func_name
        self.module_name = module_name

    def __repr__(self):
        return "Frame(%d, %r, %r)" % (self.func_index, self.func_name, self.module_name)


class Trap(Exception):
    """Wasm execution trapped. `message` is the reason, `frames` the wasm
    backtrace; str() gives both, as the engine prints them."""

    def __init__(self, message, frames=(), text=None):
        self.message = message
        self.frames = list(frames)
        self.text = text or message
        super().__init__(self.text)

    @property
    def trace(self):
        return self.frames


class ExitTrap(Trap):
    """The guest called WASI proc_exit; `code` is its exit status."""

    def __init__(self, code, message, frames=(), text=None):
        self.code = code
        super().__init__(message, frames, text)


def _opt_name(fn, frame):
    v = _ffi.wasm_byte_vec_t()
    if fn(frame, ctypes.byref(v)):
        return _ffi.take_message(v)
    return None


def from_c(trap):
    """The exception for an owned wasm_trap_t*, which is then freed."""
    try:
        msg = _ffi.wasm_byte_vec_t()
        lib.wasm_trap_message(trap, ctypes.byref(msg))
        message = _ffi.take_message(msg)
        text = _ffi.wasm_byte_vec_t()
        lib.faasm_trap_display(trap, ctypes.byref(text))
        text = _ffi.take_message(text)
        vec = _ffi.wasm_ptr_vec_t()
        lib.wasm_trap_trace(trap, ctypes.byref(vec))
        frames = []
        for f in _ffi.ptr_list(vec):
            frames.append(Frame(lib.wasm_frame_func_index(f), _opt_name(lib.faasm_frame_func_name, f),
                                _opt_name(lib.faasm_frame_module_name, f)))
        lib.wasm_frame_vec_delete(ctypes.byref(vec))
        code = ctypes.c_int32()
        if lib.faasm_trap_exit_code(trap, ctypes.byref(code)):
            return ExitTrap(code.value, message, frames, text)
        return Trap(message, frames, text)
    finally:
        lib.wasm_trap_delete(trap)


def new_c(message):
    """An owned wasm_trap_t* with `message`."""
    v = _ffi.byte_vec(message.encode("utf-8", "replace") + b"\0")
    t = lib.wasm_trap_new(None, ctypes.byref(v))
    lib.wasm_byte_vec_delete(ctypes.byref(v))
    return t
