#!/usr/bin/env python3
"""Checks the linking interface of the CPython wasm build (scripts/build-python.sh).

It reads only the sections that matter for dynamic linking: the first custom
section (dylink.0 for side modules), imports and exports. A small reader of
its own so the build needs nothing beyond the host python3 (no wabt, no
wasm-tools).

usage:
  wasm_sections.py main python.wasm          python.wasm imports only WASI
                                             preview1 and env.dl*; exports
                                             memory, the table, _start,
                                             __stack_pointer
  wasm_sections.py side [--main python.wasm] LIB.so [LIB.so...]
                                             each is a dylink.0 side module
                                             importing env.memory and
                                             env.__indirect_function_table,
                                             exporting PyInit_<name>; with
                                             --main, every symbol it imports
                                             must be defined by python.wasm
                                             or by the module itself
  wasm_sections.py dump FILE.wasm            print dylink.0 info, imports, exports
Exit status 1 with a message on the first violation.
"""
import os
import sys

KINDS = {0: "func", 1: "table", 2: "memory", 3: "global", 4: "tag"}
DL_FUNCS = {"dlopen", "dlsym", "dlerror", "dlclose"}


class WasmError(Exception):
    pass


class Reader:
    def __init__(self, data, pos=0, end=None):
        self.data = data
        self.pos = pos
        self.end = len(data) if end is None else end

    def byte(self):
        if self.pos >= self.end:
            raise WasmError("unexpected end of section")
        b = self.data[self.pos]
        self.pos += 1
        return b

    def uleb(self):
        result = shift = 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                return result

    def name(self):
        n = self.uleb()
        if self.pos + n > self.end:
            raise WasmError("name runs past the end of its section")
        s = self.data[self.pos:self.pos + n].decode("utf-8")
        self.pos += n
        return s

    def limits(self):
        flags = self.byte()
        self.uleb()
        if flags & 1:
            self.uleb()

    def const_expr(self):
        # Skip an init expression up to its `end` (0x0b).
        while self.byte() != 0x0B:
            pass


def parse(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\0asm\x01\0\0\0":
        raise WasmError(f"{path}: not a wasm 1.0 binary")
    r = Reader(data, 8)
    info = {"first_custom": None, "dylink": None, "imports": [], "exports": []}
    first = True
    while r.pos < len(data):
        sid = r.byte()
        size = r.uleb()
        start, end = r.pos, r.pos + size
        if end > len(data):
            raise WasmError(f"{path}: section {sid} runs past the end of the file")
        s = Reader(data, start, end)
        if sid == 0:
            name = s.name()
            if first:
                info["first_custom"] = name
            if name == "dylink.0":
                info["dylink"] = parse_dylink(s)
        elif sid == 2:
            for _ in range(s.uleb()):
                module, field, kind = s.name(), s.name(), s.byte()
                mutable = None
                if kind == 0:
                    s.uleb()
                elif kind == 1:
                    s.byte()
                    s.limits()
                elif kind == 2:
                    s.limits()
                elif kind == 3:
                    s.byte()
                    mutable = bool(s.byte())
                else:
                    raise WasmError(f"{path}: unknown import kind {kind}")
                info["imports"].append((module, field, KINDS[kind], mutable))
        elif sid == 7:
            for _ in range(s.uleb()):
                field, kind = s.name(), s.byte()
                s.uleb()
                info["exports"].append((field, KINDS.get(kind, str(kind))))
        first = False
        r.pos = end
    return info


def parse_dylink(s):
    out = {"mem_size": 0, "mem_align": 0, "table_size": 0, "table_align": 0, "needed": []}
    while s.pos < s.end:
        kind = s.byte()
        size = s.uleb()
        sub_end = s.pos + size
        if kind == 1:  # WASM_DYLINK_MEM_INFO
            out["mem_size"], out["mem_align"] = s.uleb(), s.uleb()
            out["table_size"], out["table_align"] = s.uleb(), s.uleb()
        elif kind == 2:  # WASM_DYLINK_NEEDED
            out["needed"] = [s.name() for _ in range(s.uleb())]
        s.pos = sub_end
    return out


def check_main(path):
    info = parse(path)
    bad = [f"{m}.{n}" for m, n, _, _ in info["imports"]
           if not (m == "wasi_snapshot_preview1" or (m == "env" and n in DL_FUNCS))]
    if bad:
        raise WasmError(f"{path}: imports outside wasi_snapshot_preview1 and env.dl*: {', '.join(bad)}")
    dl = sorted(n for m, n, _, _ in info["imports"] if m == "env")
    if set(dl) != DL_FUNCS:
        raise WasmError(f"{path}: env imports are {dl}, want all of {sorted(DL_FUNCS)}")
    exports = dict(info["exports"])
    for name, kind in (("memory", "memory"), ("__indirect_function_table", "table"),
                       ("_start", "func"), ("__stack_pointer", "global"),
                       ("malloc", "func"), ("calloc", "func"), ("PyModule_Create2", "func")):
        if exports.get(name) != kind:
            raise WasmError(f"{path}: does not export {kind} {name}")
    wasi = sum(1 for m, *_ in info["imports"] if m == "wasi_snapshot_preview1")
    print(f"{path}: {len(info['imports'])} imports ({wasi} wasi_snapshot_preview1, env.{', env.'.join(dl)}), "
          f"{len(info['exports'])} exports")


# env imports that the dynamic linker itself provides, not python.wasm's exports
LINKER_PROVIDED = {"memory", "__indirect_function_table", "__stack_pointer",
                   "__memory_base", "__table_base"}


def check_side(path, main_exports=None):
    info = parse(path)
    if info["first_custom"] != "dylink.0" or info["dylink"] is None:
        raise WasmError(f"{path}: first section is not a dylink.0 custom section")
    imports = {(m, n): k for m, n, k, _ in info["imports"]}
    for key, kind in ((("env", "memory"), "memory"), (("env", "__indirect_function_table"), "table")):
        if imports.get(key) != kind:
            raise WasmError(f"{path}: does not import {kind} {key[0]}.{key[1]}")
    modules = sorted({m for m, *_ in info["imports"]})
    odd = [m for m in modules if m not in ("env", "GOT.mem", "GOT.func")]
    if odd:
        raise WasmError(f"{path}: imports from modules other than env/GOT.mem/GOT.func: {odd}")
    base = os.path.basename(path).split(".", 1)[0]
    exports = dict(info["exports"])
    if exports.get(f"PyInit_{base}") != "func":
        raise WasmError(f"{path}: does not export function PyInit_{base}")
    if main_exports is not None:
        missing = []
        for m, n, k, _ in info["imports"]:
            if m == "env" and n in LINKER_PROVIDED:
                continue
            want = {"env": k, "GOT.mem": "global", "GOT.func": "func"}[m]
            if main_exports.get(n) != want and exports.get(n) != want:
                missing.append(f"{m}.{n}")
        if missing:
            raise WasmError(f"{path}: imports that neither python.wasm nor the module defines: "
                            f"{', '.join(missing)}")
    d = info["dylink"]
    got_mem = sum(1 for m, *_ in info["imports"] if m == "GOT.mem")
    got_func = sum(1 for m, *_ in info["imports"] if m == "GOT.func")
    env_funcs = sum(1 for m, _, k, _ in info["imports"] if m == "env" and k == "func")
    print(f"{os.path.basename(path)}: dylink.0 mem_size={d['mem_size']} table_size={d['table_size']} "
          f"needed={d['needed'] or '-'}; imports {env_funcs} env funcs, {got_mem} GOT.mem, "
          f"{got_func} GOT.func; exports {', '.join(sorted(exports))}")


def dump(path):
    info = parse(path)
    print(f"first custom section: {info['first_custom']}")
    if info["dylink"]:
        print(f"dylink.0: {info['dylink']}")
    for m, n, k, mut in info["imports"]:
        print(f"import {k:6} {m}.{n}{' (mut)' if mut else ''}")
    for n, k in info["exports"]:
        print(f"export {k:6} {n}")


def main(argv):
    if len(argv) < 3 or argv[1] not in ("main", "side", "dump"):
        print(__doc__, file=sys.stderr)
        return 2
    try:
        paths = argv[2:]
        if argv[1] == "side" and paths[:1] == ["--main"]:
            if len(paths) < 3:
                print(__doc__, file=sys.stderr)
                return 2
            main_exports = dict(parse(paths[1])["exports"])
            for path in paths[2:]:
                check_side(path, main_exports)
            return 0
        for path in paths:
            {"main": check_main, "side": check_side, "dump": dump}[argv[1]](path)
    except (WasmError, OSError, UnicodeDecodeError) as e:
        print(f"wasm_sections: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
