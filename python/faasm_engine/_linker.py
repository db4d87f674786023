"""WASI configuration and a linker by name (wasmtime-py's shape: the linker
belongs to an engine and remembers definitions; each instantiate() links
them in that store, with the store's WASI configuration)."""

import ctypes
import os

from . import _ffi
from ._ffi import lib
from ._func import raise_trap
from ._instance import Instance
from ._store import WasmError


class WasiConfig:
    """Arguments, environment, preopened directories and stdio of a WASI
    guest. Streams not configured are /dev/null."""

    def __init__(self):
        self.argv = []
        self.env = []
        self.preopens = []
        self._stdio = [None, None, None]

    def inherit_argv(self):
        import sys
        self.argv = list(sys.argv)

    def inherit_env(self):
        self.env = list(os.environ.items())

    def preopen_dir(self, path, guest_path, read_only=False):
        self.preopens.append((os.fspath(path), guest_path, read_only))

    def inherit_stdin(self):
        self._stdio[0] = "inherit"

    def inherit_stdout(self):
        self._stdio[1] = "inherit"

    def inherit_stderr(self):
        self._stdio[2] = "inherit"

    @property
    def stdin_file(self):
        return self._stdio[0]

    @stdin_file.setter
    def stdin_file(self, path):
        self._stdio[0] = ("file", os.fspath(path))

    @property
    def stdout_file(self):
        return self._stdio[1]

    @stdout_file.setter
    def stdout_file(self, path):
        self._stdio[1] = ("file", os.fspath(path))

    @property
    def stderr_file(self):
        return self._stdio[2]

    @stderr_file.setter
    def stderr_file(self, path):
        self._stdio[2] = ("file", os.fspath(path))

    def _new_c(self):
        c = lib.faasm_wasi_config_new()
        for a in self.argv:
            lib.faasm_wasi_config_push_arg(c, str(a).encode())
        for k, v in self.env:
            if not lib.faasm_wasi_config_push_env(c, str(k).encode(), str(v).encode()):
                lib.faasm_wasi_config_delete(c)
                raise WasmError("bad WASI environment variable %r" % (k,))
        for host, guest, ro in self.preopens:
            lib.faasm_wasi_config_preopen_dir(c, host.encode(), guest.encode(), ro)
        for i, s in enumerate(self._stdio):
            if s == "inherit":
                lib.faasm_wasi_config_inherit(c, i)
            elif s is not None:
                err = lib.faasm_wasi_config_file(c, i, s[1].encode())
                if err:
                    lib.faasm_wasi_config_delete(c)
                    raise WasmError(_ffi.error_text(err))
        return c


class Linker:
    def __init__(self, engine):
        self.engine = engine
        self._defs = []
        self._wasi = False

    def define(self, store, module, name, item):
        self._defs.append(("item", store, module, name, item))

    def define_instance(self, store, name, instance):
        self._defs.append(("instance", store, name, None, instance))

    def define_func(self, module, name, ty, fn):
        """A Python function, made in each store the linker instantiates in."""
        self._defs.append(("func", None, module, name, (ty, fn)))

    def define_wasi(self):
        """WASI preview1 with the instantiating store's configuration
        (Store.set_wasi)."""
        self._wasi = True

    def instantiate(self, store, module):
        from ._func import Func
        c = lib.faasm_linker_new(store._ptr)
        keep = []
        try:
            for kind, st, m, n, item in self._defs:
                if kind == "func":
                    f = Func(store, item[0], item[1])
                    keep.append(f)
                    err = lib.faasm_linker_define(c, m.encode(), n.encode(), f._ptr)
                elif st is not store:
                    continue
                elif kind == "item":
                    err = lib.faasm_linker_define(c, m.encode(), n.encode(), item._ptr)
                else:
                    err = lib.faasm_linker_define_instance(c, m.encode(), item._ptr)
                if err:
                    raise WasmError(_ffi.error_text(err))
            if self._wasi:
                cfg = (store._wasi or WasiConfig())._new_c()
                err = lib.faasm_linker_define_wasi(c, cfg)
                if err:
                    raise WasmError(_ffi.error_text(err))
            out = ctypes.c_void_p()
            trap = ctypes.c_void_p()
            err = lib.faasm_linker_instantiate(c, module._ptr, ctypes.byref(out), ctypes.byref(trap))
            if err:
                raise WasmError(_ffi.error_text(err))
            if trap.value:
                raise_trap(trap.value)
            return Instance._wrap(store, module, out.value)
        finally:
            lib.faasm_linker_delete(c)
