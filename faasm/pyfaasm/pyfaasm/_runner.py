"""Runs one Faasm call of a Python file (faasm-engine's entry for Python).

The host sets FAASM_FUNCTION_FILE (the file, as the guest sees it) and
FAASM_ENTRY (the function; empty means faasm_main). A function taking a
parameter gets the input bytes; bytes or str it returns become the output
unless it called set_output; an int it returns is the return code. An
uncaught exception prints its traceback and ends the call with code 1.
"""
import os
import sys
import importlib.util

from pyfaasm import core


def _run():
    path = os.environ.get("FAASM_FUNCTION_FILE", "")
    entry = os.environ.get("FAASM_ENTRY") or "faasm_main"
    sys.path.insert(0, os.path.dirname(path))
    name = os.path.splitext(os.path.basename(path))[0] or "function"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        print("faasm: cannot load {}".format(path), file=sys.stderr)
        return 2
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    core._set_main_module(mod)
    spec.loader.exec_module(mod)
    func = getattr(mod, entry, None)
    if not callable(func):
        print("faasm: {} has no function {!r}".format(path, entry), file=sys.stderr)
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


sys.exit(_run())
