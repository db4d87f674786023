"""`import faasm_engine.loader` installs an import hook: afterwards
`import NAME` finds NAME.wasm or NAME.wat on sys.path (after Python's own
finders had nothing) and returns a module whose attributes are the wasm
module's exports:

- functions, callable with Python ints and floats (`gcd.gcd(27, 6)`);
- memories as Memory objects (`memoryview(mod.memory)` works: each access
  of the attribute gives a view of the memory's current size);
- globals and tables as Global and Table objects.

The wasm module's imports are resolved by importing the Python (or wasm)
module each import names and taking the attribute of the import's name:
a Python function becomes a host function of the import's type (its
annotations, if it has any, must match: 'i32', 'i64', 'f32', 'f64',
'externref', 'funcref'); an export of another wasm module is linked
directly. `wasi_snapshot_preview1` is provided, with the process's stdin,
stdout and stderr and the module's path as argv[0].

Problems are ImportErrors that name the file and the import.

All wasm modules loaded this way share one engine and one store, so that
their exports can be linked to each other (`STORE` below).
"""

import ctypes
import importlib
import importlib.abc
import importlib.util
import inspect
import os
import sys

from ._extern import Global, Memory, Table
from ._func import Func
from ._linker import Linker, WasiConfig
from ._module import Module
from ._store import Engine, Store, WasmError
from ._trap import Trap
from ._types import FuncType, GlobalType, ValType

ENGINE = Engine()
STORE = Store(ENGINE)
WASI_MODULES = ("wasi_snapshot_preview1",)
SUFFIXES = (".wasm", ".wat")

_VIEW_TYPES = {}


def memory_view(memory):
    """`memory` as an object of the buffer protocol on any Python version:
    a Memory that is also a ctypes array over the memory's current bytes."""
    n = memory.data_len()
    cls = _VIEW_TYPES.get(n)
    if cls is None:
        cls = type("MemoryBuffer", (Memory, ctypes.c_ubyte * n), {"__module__": __name__})
        _VIEW_TYPES[n] = cls
    view = cls.from_address(memory.data_ptr()) if n else cls()
    view._init(memory._store, memory._store and _copy_extern(memory))
    return view


def _copy_extern(memory):
    from ._ffi import lib
    return lib.wasm_extern_copy(memory._ptr)


def _annotation_type(ann, where):
    if ann is inspect.Parameter.empty or ann is None:
        return None
    if isinstance(ann, ValType):
        return ann
    if isinstance(ann, str):
        try:
            return ValType.from_name(ann)
        except ValueError as e:
            raise ImportError("%s: %s" % (where, e)) from None
    raise ImportError("%s: annotation %r is not a wasm type name" % (where, ann))


def _check_annotations(fn, ty, where):
    """Raises ImportError if `fn`'s annotations disagree with `ty`."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return
    params = [p for p in sig.parameters.values()
              if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if not any(p.kind == p.VAR_POSITIONAL for p in sig.parameters.values()) and len(params) != len(ty.params):
        raise ImportError("%s: the wasm import takes %d parameters, %s takes %d"
                          % (where, len(ty.params), fn.__name__, len(params)))
    for p, want in zip(params, ty.params):
        got = _annotation_type(p.annotation, where)
        if got is not None and got != want:
            raise ImportError("%s: parameter %s is annotated %s, the wasm import wants %s" % (where, p.name, got, want))
    ret = sig.return_annotation
    if ret is inspect.Signature.empty:
        return
    if isinstance(ret, (tuple, list)):
        got = [_annotation_type(r, where) for r in ret]
    elif ret is None:
        got = []
    else:
        got = [_annotation_type(ret, where)]
    if got != ty.results:
        raise ImportError("%s: returns %s, the wasm import wants %s" % (where, got, ty.results))


def _wrap_func(func, name):
    def call(*args):
        return func(STORE, *args)
    call.__name__ = call.__qualname__ = name
    call.__doc__ = "wasm export %s: %r" % (name, func.type())
    call.wasm_func = func
    return call


class WasmLoader(importlib.abc.Loader):
    def __init__(self, path):
        self.path = path

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        path = self.path
        try:
            wasm = Module.from_file(ENGINE, path)
        except (WasmError, OSError) as e:
            raise ImportError("cannot load %s: %s" % (path, e), name=module.__name__, path=path) from None
        linker = Linker(ENGINE)
        wasi = False
        for imp in wasm.imports:
            where = "%s: import `%s.%s`" % (path, imp.module, imp.name)
            if imp.module in WASI_MODULES:
                wasi = True
                continue
            try:
                provider = importlib.import_module(imp.module)
            except ImportError as e:
                raise ImportError("%s: cannot import module %r: %s" % (where, imp.module, e),
                                  name=module.__name__, path=path) from e
            if not hasattr(provider, imp.name):
                raise ImportError("%s: module %r has no attribute %r" % (where, imp.module, imp.name),
                                  name=module.__name__, path=path)
            item = getattr(provider, imp.name)
            linker.define(STORE, imp.module, imp.name, self._import_item(item, imp.type, where))
        if wasi:
            config = WasiConfig()
            config.argv = [path]
            config.inherit_stdin()
            config.inherit_stdout()
            config.inherit_stderr()
            STORE.set_wasi(config)
            linker.define_wasi()
        try:
            instance = linker.instantiate(STORE, wasm)
        except (WasmError, Trap) as e:
            raise ImportError("cannot instantiate %s: %s" % (path, e), name=module.__name__, path=path) from e
        memories = {}
        for name, ext in instance.exports(STORE).items():
            if isinstance(ext, Func):
                setattr(module, name, _wrap_func(ext, name))
            elif isinstance(ext, Memory):
                memories[name] = ext
            else:
                setattr(module, name, ext)
        module.__wasm_instance__ = instance
        module.__wasm_module__ = wasm

        def __getattr__(name):
            if name in memories:
                return memory_view(memories[name])
            raise AttributeError("wasm module %r has no export %r" % (module.__name__, name))

        module.__getattr__ = __getattr__
        module.__dir__ = lambda: sorted(set(vars(module)) | set(memories))

    @staticmethod
    def _import_item(item, ty, where):
        wrapped = getattr(item, "wasm_func", None)
        if wrapped is not None:
            item = wrapped
        if isinstance(item, (Func, Memory, Global, Table)):
            return item
        if isinstance(ty, FuncType):
            if not callable(item):
                raise ImportError("%s: %r is not callable" % (where, item))
            _check_annotations(item, ty, where)
            return Func(STORE, ty, item)
        if isinstance(ty, GlobalType) and isinstance(item, (int, float)):
            return Global(STORE, ty, item)
        raise ImportError("%s: cannot use %r for an import of type %r" % (where, item, ty))


class WasmFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path, target=None):
        base = fullname.rpartition(".")[2]
        for entry in (path if path is not None else sys.path):
            if not isinstance(entry, str):
                continue
            for suffix in SUFFIXES:
                candidate = os.path.join(entry or ".", base + suffix)
                if os.path.isfile(candidate):
                    return importlib.util.spec_from_file_location(fullname, candidate, loader=WasmLoader(candidate))
        return None


def install():
    """Adds the finder (after Python's own, so .py files win); idempotent."""
    if not any(isinstance(f, WasmFinder) for f in sys.meta_path):
        sys.meta_path.append(WasmFinder())


install()
