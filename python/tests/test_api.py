"""The wasmtime-py-shaped API."""

import pytest

from faasm_engine import (Engine, Func, FuncType, Global, GlobalType, Instance, Limits, Linker, Memory,
                          MemoryType, Module, Store, Table, TableType, Trap, ExitTrap, ValType, WasiConfig,
                          WasmError)

ADD = '(module (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))'


def test_module_instance_call():
    store = Store()
    module = Module(store.engine, ADD)
    assert [e.name for e in module.exports] == ["add"]
    add = Instance(store, module, []).exports(store)["add"]
    assert add(store, 2, 3) == 5
    assert add(store, 2**31 - 1, 1) == -2**31
    with pytest.raises(TypeError):
        add(store, 1)


def test_bad_modules_raise():
    engine = Engine()
    with pytest.raises(WasmError, match="malformed"):
        Module(engine, b"\0asm\x02\0\0\0")
    with pytest.raises(WasmError):
        Module(engine, "(module (func (result i32)))")


def test_host_functions_and_multi_value():
    store = Store()
    swap = Func(store, FuncType([ValType.i32(), ValType.i64()], [ValType.i64(), ValType.i32()]),
                lambda a, b: (b, a))
    module = Module(store.engine, '(module (import "" "swap" (func $s (param i32 i64) (result i64 i32)))'
                                  ' (func (export "go") (param i32 i64) (result i64 i32) local.get 0 local.get 1 call $s))')
    go = Instance(store, module, [swap]).exports(store)["go"]
    assert go(store, 1, 2) == (2, 1)


def test_memory_global_table():
    store = Store()
    mem = Memory(store, MemoryType(Limits(1, 2)))
    assert mem.data_len() == 65536 and mem.size() == 1
    mem.write(store, b"abc", 5)
    assert mem.read(store, 5, 8) == bytearray(b"abc")
    assert bytes(mem.buffer()[5:8]) == b"abc"
    assert mem.grow(store, 1) == 1
    with pytest.raises(WasmError):
        mem.grow(store, 1)
    with pytest.raises(IndexError):
        mem.read(store, 0, 3 * 65536)
    g = Global(store, GlobalType(ValType.f64(), True), 1.5)
    assert g.value(store) == 1.5
    g.set_value(store, 2.5)
    assert g.value(store) == 2.5
    t = Table(store, TableType(ValType.externref(), Limits(2)), None)
    obj = object()
    t.set(store, 1, obj)
    assert t.get(store, 1) is obj and t.get(store, 0) is None
    assert t.grow(store, 3) == 2 and t.size() == 5


def test_linker_wasi_exit_code(tmp_path):
    engine = Engine()
    store = Store(engine)
    module = Module(engine, '(module (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))'
                            ' (memory (export "memory") 1) (func (export "_start") (call $exit (i32.const 7))))')
    linker = Linker(engine)
    linker.define_wasi()
    config = WasiConfig()
    config.stdout_file = tmp_path / "out.txt"
    store.set_wasi(config)
    start = linker.instantiate(store, module).exports(store)["_start"]
    with pytest.raises(ExitTrap) as info:
        start(store)
    assert info.value.code == 7


def test_linker_missing_import_named():
    engine = Engine()
    store = Store(engine)
    module = Module(engine, '(module (import "env" "f" (func)))')
    with pytest.raises(WasmError, match=r"env\.f"):
        Linker(engine).instantiate(store, module)
    linker = Linker(engine)
    linker.define_func("env", "f", FuncType([], []), lambda: None)
    linker.instantiate(store, module)


def test_serialize_roundtrip():
    engine = Engine()
    module = Module(engine, ADD)
    again = Module.deserialize(engine, module.serialize())
    store = Store(engine)
    assert Instance(store, again, []).exports(store)["add"](store, 40, 2) == 42


def test_trap_in_start_function():
    store = Store()
    module = Module(store.engine, "(module (func $s unreachable) (start $s))")
    with pytest.raises(Trap, match="unreachable"):
        Instance(store, module, [])
