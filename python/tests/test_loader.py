"""`import NAME` of .wat/.wasm files through faasm_engine.loader."""

import importlib
import os
import shutil
import sys

import pytest

import faasm_engine
import faasm_engine.loader  # noqa: F401  (installs the hook)
from conftest import FIXTURES


def test_gcd():
    import gcd
    assert gcd.gcd(27, 6) == 3
    assert gcd.gcd(7, 13) == 1


def test_gcd_from_binary(tmp_path, monkeypatch):
    # A .wasm file, compiled through the cache directory given in the environment.
    with open(os.path.join(FIXTURES, "gcd.wat")) as f:
        (tmp_path / "gcd_bin.wasm").write_bytes(faasm_engine.wat2wasm(f.read()))
    monkeypatch.setenv("FAASM_ENGINE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.syspath_prepend(str(tmp_path))
    import gcd_bin
    assert gcd_bin.gcd(1071, 462) == 21


def test_callbacks_read_the_module_memory():
    import callbacks
    import env
    callbacks.greet()
    assert env.LOG == ["hello from wasm"]
    assert callbacks.sum(2**40, 5) == 2**40 + 5
    assert callbacks.scaled(3.0) == 1.5
    assert callbacks.counter.value() == 7
    view = memoryview(callbacks.memory)
    assert len(view) == 65536
    assert bytes(view[16:21]) == b"hello"
    # The view's format is ctypes' "<B"; writing slices wants plain "B".
    memoryview(callbacks.memory).cast("B")[16:21] = b"HELLO"
    callbacks.greet()
    assert env.LOG[-1] == "HELLO from wasm"
    assert callbacks.memory.read(None, 16, 21) == bytearray(b"HELLO")


def test_host_exception_propagates():
    import callbacks
    with pytest.raises(RuntimeError, match="env.fail called with 3") as info:
        callbacks.boom()
    assert isinstance(info.value.__cause__, faasm_engine.Trap)


def test_traps_are_exceptions_with_a_backtrace():
    import traps
    with pytest.raises(faasm_engine.Trap) as info:
        traps.outer()
    t = info.value
    assert t.message == "unreachable"
    assert [f.func_name for f in t.frames] == ["inner", "outer"]
    assert "wasm backtrace" in str(t) and "inner" in str(t)
    with pytest.raises(faasm_engine.Trap, match="integer divide by zero"):
        traps.div(1, 0)
    with pytest.raises(faasm_engine.Trap, match="out of bounds memory access"):
        traps.oob()
    assert traps.div(7, 2) == 3


def test_missing_import_is_named():
    with pytest.raises(ImportError, match=r"env\.nope.*no attribute 'nope'"):
        import missing  # noqa: F401


def test_import_of_the_wrong_type_is_named():
    with pytest.raises(ImportError, match=r"env\.add64"):
        import wrongtype  # noqa: F401


def test_bad_file_is_named():
    with pytest.raises(ImportError, match=r"broken\.wat"):
        import broken  # noqa: F401


def test_missing_module_is_an_import_error():
    with pytest.raises(ImportError):
        import no_such_wasm_module  # noqa: F401


def test_wasi_stdout(capfd):
    sys.modules.pop("hello_wasi", None)
    import hello_wasi
    assert hello_wasi.hello() == 0
    assert capfd.readouterr().out == "hello from wasi\n"
