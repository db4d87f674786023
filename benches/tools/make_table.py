"""Builds the Markdown table of benches/compare.sh from the run's results:

    make_table.py OUT_DIR QUICK NATIVE_PYTHON

OUT_DIR holds criterion's results (criterion/GROUP/RUNTIME/new/*.json,
the median of the per-iteration times is used), compile.tsv (timed by the
harness), native.tsv (native CPython) and rss.tsv (peak RSS of hello.py).
"""

import json
import math
import os
import platform
import sys

FAASM, WASMTIME = "faasm-engine", "wasmtime"


def read_tsv(path):
    rows = []
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                if line.strip():
                    rows.append(line.rstrip("\n").split("\t"))
    return rows


def criterion_results(base):
    """({(group, runtime): median seconds per iteration},
        {(group, runtime): fastest sample's seconds per iteration})"""
    res, fastest = {}, {}
    if not os.path.isdir(base):
        return res, fastest
    for root, dirs, files in os.walk(base):
        if os.path.basename(root) != "new" or "benchmark.json" not in files:
            continue
        with open(os.path.join(root, "benchmark.json")) as f:
            b = json.load(f)
        with open(os.path.join(root, "estimates.json")) as f:
            e = json.load(f)
        key = (b["group_id"], b["function_id"])
        res[key] = e["median"]["point_estimate"] / 1e9
        sample = os.path.join(root, "sample.json")
        if os.path.exists(sample):
            with open(sample) as f:
                smp = json.load(f)
            per_iter = [t / n for t, n in zip(smp["times"], smp["iters"]) if n]
            if per_iter:
                fastest[key] = min(per_iter) / 1e9
    return res, fastest


def fmt_time(s):
    if s is None:
        return "—"
    if s >= 1:
        return "%.2f s" % s
    if s >= 1e-3:
        return "%.1f ms" % (s * 1e3) if s < 0.1 else "%.0f ms" % (s * 1e3)
    return "%.0f µs" % (s * 1e6)


def fmt_ratio(a, b):
    if a is None or b is None or b == 0:
        return "—"
    return "%.2f" % (a / b)


def geomean(xs):
    xs = [x for x in xs if x and x > 0]
    if not xs:
        return None
    return math.exp(sum(math.log(x) for x in xs) / len(xs))


def main():
    out, quick, native_python = sys.argv[1], sys.argv[2], sys.argv[3]
    res, fastest = criterion_results(os.path.join(out, "criterion"))
    for g, rt, secs, runs in read_tsv(os.path.join(out, "compile.tsv")):
        res[(g, rt)] = float(secs)
    native = dict(read_tsv(os.path.join(out, "native.tsv")))
    native_version = native.pop("version", "?")
    native = {k: float(v) for k, v in native.items()}
    rss = {k: int(v) for k, v in read_tsv(os.path.join(out, "rss.tsv"))}
    warm_proc = {k: float(v) for k, v in read_tsv(os.path.join(out, "warm.tsv"))}

    def get(group):
        return res.get((group, FAASM)), res.get((group, WASMTIME))

    rows = []  # (label, faasm, wasmtime, native)

    def add(label, group, native_key=None):
        f, w = get(group)
        if f is None and w is None:
            return None
        rows.append((label, f, w, native.get(native_key) if native_key else None))
        return f, w

    add("a. compile python3.wasm from scratch", "compile")
    load_first = add("b. load compiled python3.wasm from the cache, ready to instantiate: a process's first load (file verified earlier in this boot, objcache's memo)", "load-first")
    load_verify = add("b'. the same, the file's first load in this boot (whole-file checksum read, memo written)", "load-verify")
    load = add("b''. the same, loaded again in the same process", "load")
    inst = add("c. instantiate python3.wasm (per instance)", "instantiate")

    def warm_row(label, load_pair):
        if load_pair and inst and None not in load_pair + inst:
            pair = (load_pair[0] + inst[0], load_pair[1] + inst[1])
            rows.append((label, pair[0], pair[1], None))
            return pair
        return None

    warm = warm_row("warm start in process, a process's first load = b + c", load_first)
    warm_verify = warm_row("warm start in process, the file's first load in a boot = b' + c", load_verify)
    warm_again = warm_row("warm start in process, module loaded before = b'' + c", load)
    warm_new = None
    if FAASM in warm_proc and WASMTIME in warm_proc:
        warm_new = (warm_proc[FAASM], warm_proc[WASMTIME])
        rows.append(("warm start, new process: `python3.wasm -c pass` (bench-runner, cache file)", warm_new[0], warm_new[1], None))
        if "faasm-engine-cli" in warm_proc:
            rows.append(("the same through `faasm-engine run python3.wasm -c pass` (module index, cache)",
                         warm_proc["faasm-engine-cli"], warm_new[1], None))
    hello = add("d. hello.py end to end, in process (native: a whole process)", "hello", "hello")

    py_groups = sorted(g for (g, rt) in res if g.startswith("py-"))
    py_groups = sorted(set(py_groups))
    py_ratios, py_native_ratios = [], []
    for g in py_groups:
        f, w = get(g)
        n = native.get(g)
        rows.append(("e. " + g[3:], f, w, n))
        if f and w:
            py_ratios.append(f / w)
        if f and n:
            py_native_ratios.append(f / n)
    py_geo = geomean(py_ratios)
    py_fast = geomean([fastest[(g, FAASM)] / fastest[(g, WASMTIME)] for g in py_groups
                       if (g, FAASM) in fastest and (g, WASMTIME) in fastest])
    py_native = geomean(py_native_ratios)

    k_groups = sorted(set(g for (g, rt) in res if g.startswith("kernel-")))
    k_ratios = []
    for g in k_groups:
        f, w = get(g)
        rows.append(("f. C kernel: " + g[7:], f, w, None))
        if f and w:
            k_ratios.append(f / w)
    k_geo = geomean(k_ratios)

    p = print
    p("| workload | faasm-engine | wasmtime | ratio | native CPython |")
    p("|---|---:|---:|---:|---:|")
    for label, f, w, n in rows:
        p("| %s | %s | %s | %s | %s |" % (label, fmt_time(f), fmt_time(w), fmt_ratio(f, w), fmt_time(n)))
    if py_geo is not None:
        p("| **geomean, Python programs (%d)** | | | **%.2f** | |" % (len(py_ratios), py_geo))
    if k_geo is not None:
        p("| **geomean, C kernels (%d)** | | | **%.2f** | |" % (len(k_ratios), k_geo))
    if rss:
        p("| peak RSS, hello.py (one process) | %s | %s | %s | %s |" % (
            "%.1f MiB" % (rss[FAASM] / 1024) if FAASM in rss else "—",
            "%.1f MiB" % (rss[WASMTIME] / 1024) if WASMTIME in rss else "—",
            fmt_ratio(rss.get(FAASM), rss.get(WASMTIME)),
            "%.1f MiB" % (rss["native"] / 1024) if "native" in rss else "—",
        ))
    p()
    p("ratio = faasm-engine / wasmtime (below 1.00: faasm-engine is faster or smaller). "
      "Times are criterion medians per iteration (compile: best of the harness's runs); "
      "Python programs are timed inside the guest by the pyperf shim (start-up excluded), "
      "native CPython %s with the same shim and loops (median of runs). "
      "Warm start in a new process: median of interleaved runs (`WARM_RUNS`, default 15) of "
      "`bench-runner RUNTIME run -c pass` (compiled module from the benchmark's cache file) and of the "
      "`faasm-engine` command line with its cache directory; wasmtime's command line would also read "
      "and hash the wasm to find its cache entry. "
      "Peak RSS: `/usr/bin/time -v` on one run of `bench-runner` per runtime "
      "(compiled module from the cache), and of native `python3 hello.py`." % native_version)
    p()
    if py_fast is not None:
        p("Python programs, geomean of the ratio of each runtime's fastest sample (less sensitive "
          "to other load on the machine): %.2f." % py_fast, end=" ")
    if py_native is not None:
        p("faasm-engine / native CPython, geomean: %.2f." % py_native, end="")
    p()
    p()
    p("Targets (ratio <= 1.00): ", end="")
    targets = []
    if py_geo is not None:
        targets.append("Python geomean %.2f %s" % (py_geo, "met" if py_geo <= 1.0 else "NOT met"))
    for name, pair in [("warm start, new process (-c pass)", warm_new),
                       ("warm start in process, a process's first load (b + c)", warm),
                       ("warm start in process, the file's first load in a boot (b' + c)", warm_verify),
                       ("warm start in process, loaded before (b'' + c)", warm_again)]:
        if pair:
            r = pair[0] / pair[1]
            targets.append("%s %.2f %s" % (name, r, "met" if r <= 1.0 else "NOT met"))
    if hello and None not in hello:
        r = hello[0] / hello[1]
        targets.append("hello.py %.2f %s" % (r, "met" if r <= 1.0 else "NOT met"))
    p("; ".join(targets) + ".")
    p()
    p("Machine: %s, %d CPUs, %s; BENCH_QUICK=%s." % (platform.machine(), os.cpu_count() or 0, platform.platform(), quick))


main()
