"""Runs one Faasm call of a Python file (faasm-engine's entry for Python).

The host sets FAASM_FUNCTION_FILE (the file, as the guest sees it) and
names the function through the host interface (empty means faasm_main).
A function taking a parameter gets the input bytes; bytes or str it
returns become the output unless it called set_output; an int it returns
is the return code. An uncaught exception prints its traceback and ends
the call with code 1.

Two ways in: main() loads the file and runs the call in one go; with a
snapshot, prepare() loads the file during initialisation (the host then
captures the interpreter) and each restored instance runs call().
"""
import os
import sys
import importlib.util

from pyfaasm import core

_module = None
_path = None


def prepare():
    """Imports the function file (and so everything it imports)."""
    global _module, _path
    _path = os.environ.get("FAASM_FUNCTION_FILE", "")
    sys.path.insert(0, os.path.dirname(_path))
    name = os.path.splitext(os.path.basename(_path))[0] or "function"
    spec = importlib.util.spec_from_file_location(name, _path)
    if spec is None or spec.loader is None:
        print("faasm: cannot load {}".format(_path), file=sys.stderr)
        return 2
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    core._set_main_module(mod)
    spec.loader.exec_module(mod)
    _module = mod
    return 0


def _call():
    entry = core._h.get_py_entry() or "faasm_main"
    func = getattr(_module, entry, None)
    if not callable(func):
        print("faasm: {} has no function {!r}".format(_path, entry), file=sys.stderr)
        return 2
    code = getattr(func, "__code__", None)
    takes_input = code is not None and code.co_argcount >= 1
    result = func(core.get_input()) if takes_input else func()
    if isinstance(result, (bytes, bytearray, str)):
        if not core._was_output_set():
            core.write_output(result)
        return 0
    if isinstance(result, int) and not isinstance(result, bool):
        return result
    return 0


def call():
    """Runs this call's function of the prepared file; exits with its code.

    The instance is thrown away after the call, so the interpreter is not
    finalised (that alone took a few milliseconds per call): the standard
    streams are flushed and the process ends at once. An uncaught
    exception still prints its traceback and ends the call with code 1.
    """
    if _module is None:
        print("faasm: the function file was not prepared", file=sys.stderr)
        sys.exit(2)
    try:
        code = _call()
    except SystemExit as e:
        if e.code is None or isinstance(e.code, int):
            code = e.code or 0
        else:
            print(e.code, file=sys.stderr)
            code = 1
    except BaseException:
        import traceback
        traceback.print_exc()
        code = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    os._exit(code)


def main():
    code = prepare()
    if code:
        sys.exit(code)
    sys.exit(_call())
