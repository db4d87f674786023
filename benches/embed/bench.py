"""Embedding benchmark: faasm-engine against wasmtime in the same run.

C (the same wasm.h program, call_overhead.c, linked against
libfaasm_engine.so and against the libwasmtime.so that wasmtime-py ships)
and Python (faasm_engine against wasmtime-py): a call of a trivial export,
a call from wasm into a host function, instantiation. Prints a table with
ratio = faasm-engine / wasmtime (below 1.00: faasm-engine is faster).

usage: python bench.py LIBFAASM_ENGINE_SO   (run by benches/embed/run.sh)
"""

import os
import subprocess
import sys
import tempfile
import time

import faasm_engine as fe
import wasmtime as wt

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

WAT = """
(module
  (import "" "host" (func $host (param i32) (result i32)))
  (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
  (func (export "loop") (param $n i32) (result i32)
    (local $acc i32)
    (block $done
      (loop $again
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $acc (call $host (local.get $acc)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $again)))
    local.get $acc))
"""

CALLS = int(os.environ.get("EMBED_CALLS", "200000"))
INSTANCES = int(os.environ.get("EMBED_INSTANCES", "2000"))


def best(fn, reps=5):
    return min(fn() for _ in range(reps))


def c_bench(lib_dir, lib_name, wasm):
    exe = os.path.join(tempfile.mkdtemp(), "call_overhead")
    subprocess.run(["cc", "-O2", "-I", os.path.join(ROOT, "capi", "include"), os.path.join(HERE, "call_overhead.c"),
                    "-o", exe, "-L", lib_dir, "-l:" + lib_name, "-Wl,-rpath," + lib_dir], check=True)
    runs = []
    for _ in range(3):
        out = subprocess.run([exe, wasm], check=True, capture_output=True, text=True).stdout
        runs.append({k: float(v) for k, v in (line.split() for line in out.splitlines())})
    return {k: min(r[k] for r in runs) for k in runs[0]}


def py_faasm():
    store = fe.Store()
    module = fe.Module(store.engine, WAT)
    host = fe.Func(store, fe.FuncType([fe.ValType.i32()], [fe.ValType.i32()]), lambda x: x + 1)
    ex = fe.Instance(store, module, [host]).exports(store)
    add, loop = ex["add"], ex["loop"]

    def calls():
        t = time.perf_counter()
        for i in range(CALLS):
            add(store, i, 2)
        return (time.perf_counter() - t) / CALLS

    def host_calls():
        t = time.perf_counter()
        loop(store, CALLS)
        return (time.perf_counter() - t) / CALLS

    def inst():
        t = time.perf_counter()
        for _ in range(INSTANCES):
            fe.Instance(store, module, [host])
        return (time.perf_counter() - t) / INSTANCES

    return {"py_call_export": best(calls) * 1e9, "py_host_call": best(host_calls) * 1e9,
            "py_instantiate": best(inst, reps=3) * 1e9}


def py_wasmtime():
    store = wt.Store()
    module = wt.Module(store.engine, WAT)
    host = wt.Func(store, wt.FuncType([wt.ValType.i32()], [wt.ValType.i32()]), lambda x: x + 1)
    ex = wt.Instance(store, module, [host]).exports(store)
    add, loop = ex["add"], ex["loop"]

    def calls():
        t = time.perf_counter()
        for i in range(CALLS):
            add(store, i, 2)
        return (time.perf_counter() - t) / CALLS

    def host_calls():
        t = time.perf_counter()
        loop(store, CALLS)
        return (time.perf_counter() - t) / CALLS

    def inst():
        t = time.perf_counter()
        for _ in range(INSTANCES):
            wt.Instance(store, module, [host])
        return (time.perf_counter() - t) / INSTANCES

    return {"py_call_export": best(calls) * 1e9, "py_host_call": best(host_calls) * 1e9,
            "py_instantiate": best(inst, reps=3) * 1e9}


def main():
    ours = sys.argv[1]
    wasm = os.path.join(tempfile.mkdtemp(), "bench.wasm")
    with open(wasm, "wb") as f:
        f.write(fe.wat2wasm(WAT))
    wt_dir = os.path.join(os.path.dirname(wt.__file__), "linux-x86_64")
    a = c_bench(os.path.dirname(ours), os.path.basename(ours), wasm)
    b = c_bench(wt_dir, "_libwasmtime.so", wasm)
    a.update(py_faasm())
    b.update(py_wasmtime())
    print("| operation | faasm-engine | wasmtime | ratio |")
    print("|---|---:|---:|---:|")
    for k in a:
        print("| %s | %.0f ns | %.0f ns | %.2f |" % (k, a[k], b[k], a[k] / b[k]))
    print("\nwasmtime %s (wasmtime-py and its bundled C library); C: best of 3 runs, Python: best of 5." % wt.__version__
          if hasattr(wt, "__version__") else "")


if __name__ == "__main__":
    main()
