"""Markdown tables of benches/dynlink.sh's measurements, and the section
of benches/RESULTS.md they go into.

    dynlink_table.py OUT_DIR                       print the section
    dynlink_table.py --replace-section FILE SECTION_MD
        put SECTION_MD into FILE in place of its section (from the heading
        below to the end of the file), or append it

OUT_DIR holds what dynlink.sh wrote: meta.txt, imports.tsv (case, runtime,
module, run, IMPORT_TIME line), pyperf.tsv (program, runtime, run, seconds)
and sizes.tsv (side module file, bytes).
"""

import math
import os
import statistics
import sys

HEADING = "## Our CPython build (dynamic linking)"
RUNTIMES = ("faasm-engine", "wasmtime")
GOAL_NS = 1_000_000  # the goal: a cached side module imports in under 1 ms


def fail(msg):
    sys.exit("dynlink_table.py: " + msg)


def read_meta(out):
    meta = {}
    with open(os.path.join(out, "meta.txt")) as f:
        for line in f:
            key, _, value = line.rstrip("\n").partition(" ")
            meta[key] = value
    return meta


def parse_import_line(line):
    fields = line.split()
    if len(fields) < 2 or fields[0] != "IMPORT_TIME":
        fail("not an IMPORT_TIME line: %r" % line)
    values = dict(f.split("=", 1) for f in fields[2:] if "=" in f)
    return values


def read_imports(out):
    """{(case, runtime, module): [values...]} in run order."""
    data = {}
    with open(os.path.join(out, "imports.tsv")) as f:
        for line in f:
            case, rt, module, _run, rest = line.rstrip("\n").split("\t", 4)
            v = parse_import_line(rest)
            origin = v.get("origin", "")
            if case == "builtin" and origin != "built-in":
                fail("%s: %s should be built in but came from %s" % (rt, module, origin))
            if case != "builtin" and "/lib-dynload/" not in origin:
                fail("%s (%s): %s should be a side module but came from %s" % (rt, case, module, origin))
            data.setdefault((case, rt, module), []).append(v)
    return data


def read_pyperf(out):
    data = {}
    path = os.path.join(out, "pyperf.tsv")
    if not os.path.exists(path):
        return data
    with open(path) as f:
        for line in f:
            name, rt, _run, seconds = line.rstrip("\n").split("\t")
            data.setdefault(name, {}).setdefault(rt, []).append(float(seconds))
    return data


def read_sizes(out):
    sizes = {}
    with open(os.path.join(out, "sizes.tsv")) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) == 2 and parts[1].isdigit():
                sizes[parts[0].split(".")[0]] = int(parts[1])
    return sizes


def fmt_ns(ns):
    if ns >= 10_000_000:
        return "%.0f ms" % (ns / 1e6)
    if ns >= 1_000_000:
        return "%.2f ms" % (ns / 1e6)
    return "%.0f µs" % (ns / 1e3)


def fmt_s(s):
    return "%.0f ms" % (s * 1e3) if s >= 0.1 else "%.1f ms" % (s * 1e3)


def geomean(xs):
    return math.exp(sum(math.log(x) for x in xs) / len(xs))


def import_table(imports, sizes, modules):
    lines = []
    head = ["module", ".so size"]
    for rt in RUNTIMES:
        head += ["%s cold" % rt, "%s warm" % rt, "%s built in" % rt]
    head += ["warm ratio", "cold ratio", "finder share (faasm-engine warm)"]
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|---|" + "---:|" * (len(head) - 1))
    warm_medians = {}
    extras = set()
    for m in modules:
        row = [m, "%.0f KiB" % (sizes[m] / 1024) if m in sizes else "?"]
        med = {}
        for rt in RUNTIMES:
            for case in ("cold", "warm", "builtin"):
                vals = imports.get((case, rt, m))
                if not vals and case == "builtin":
                    row.append("—")
                    continue
                if not vals:
                    fail("no %s runs of %s under %s" % (case, m, rt))
                ns = [int(v["import_ns"]) for v in vals]
                med[(case, rt)] = statistics.median(ns)
                for v in vals:
                    if v.get("extra", "-") != "-":
                        extras.add("%s: %s" % (m, v["extra"]))
                row.append("%s (%s)" % (fmt_ns(statistics.median(ns)), fmt_ns(min(ns))))
        warm_medians[m] = med[("warm", "faasm-engine")]
        row.append("%.2f" % (med[("warm", "faasm-engine")] / med[("warm", "wasmtime")]))
        row.append("%.2f" % (med[("cold", "faasm-engine")] / med[("cold", "wasmtime")]))
        finds = [int(v["find_ns"]) for v in imports[("warm", "faasm-engine", m)]]
        row.append(fmt_ns(statistics.median(finds)))
        lines.append("| " + " | ".join(row) + " |")
    return lines, warm_medians, extras


def pyperf_table(pyperf):
    lines = ["| workload | faasm-engine | wasmtime | ratio | ratio of fastest runs |",
             "|---|---:|---:|---:|---:|"]
    ratios, min_ratios = [], []
    for name, per_rt in pyperf.items():
        if any(rt not in per_rt for rt in RUNTIMES):
            fail("%s was not measured under both runtimes" % name)
        fe, wt = per_rt["faasm-engine"], per_rt["wasmtime"]
        r = statistics.median(fe) / statistics.median(wt)
        rmin = min(fe) / min(wt)
        ratios.append(r)
        min_ratios.append(rmin)
        lines.append("| %s | %s | %s | %.2f | %.2f |"
                     % (name, fmt_s(statistics.median(fe)), fmt_s(statistics.median(wt)), r, rmin))
    if ratios:
        lines.append("| **geomean (%d)** | | | **%.2f** | **%.2f** |"
                     % (len(ratios), geomean(ratios), geomean(min_ratios)))
    return lines


def section(out):
    meta = read_meta(out)
    modules = meta["modules"].split()
    imports = read_imports(out)
    runs = max(len(v) for v in imports.values())
    pyperf = read_pyperf(out)
    py_runs = max((len(v) for p in pyperf.values() for v in p.values()), default=0)
    lines = [HEADING, ""]
    lines.append(
        "`bash benches/dynlink.sh`, %s. Machine: %s; shared with other builds while this ran "
        "(load average %s at the start, %s at the end), so single numbers are noisy: the ratios, "
        "from runs of both runtimes interleaved, are what count. Both runtimes run the same "
        "python.wasm (`scripts/build-python.sh`, CPython 3.11.2, -O2) and the same side modules; "
        "wasmtime 48 runs them through `benches/tools/wasmtime_python.rs`, a loader of its own "
        "with its own cache of compiled modules."
        % (meta.get("date", "?"), meta.get("machine", "?"), meta.get("load_start", "?"),
           meta.get("load_end", "?")))
    lines.append("")
    lines.append("### Importing a C extension")
    lines.append("")
    lines.append(
        "Time of `import NAME` measured inside the guest (`benches/python/import_time.py`, "
        "`time.perf_counter_ns()`, after an untimed import of another extension so that "
        "importlib's machinery and the loader have run once), median (min) of %d processes each. "
        "*cold*: the cache holds python.wasm only, so the side module is compiled in the import; "
        "*warm*: it is cached (objcache / wasmtime's serialized module); *built in*: the same module "
        "linked into python.wasm (`BUILTIN=... OUT=workload/cpython-static bash "
        "scripts/build-python.sh`). Ratios: faasm-engine / wasmtime of the medians. Finder share: "
        "`importlib.util.find_spec` alone, the path search part of a side module's import."
        % runs)
    lines.append("")
    table, warm, extras = import_table(imports, read_sizes(out), modules)
    lines += table
    lines.append("")
    met = [m for m in modules if warm[m] < GOAL_NS]
    missed = [m for m in modules if warm[m] >= GOAL_NS]
    goal = "Goal, a cached side module imports in under 1 ms (faasm-engine warm, median): met for %d of %d" % (
        len(met), len(modules))
    if missed:
        goal += "; NOT met for %s" % ", ".join("%s (%s)" % (m, fmt_ns(warm[m])) for m in missed)
    lines.append(goal + ".")
    if extras:
        lines.append("")
        lines.append("These imports pulled in other modules too (their time is included): %s."
                     % "; ".join(sorted(extras)))
    if pyperf:
        lines.append("")
        lines.append("### pyperformance on this build")
        lines.append("")
        lines.append(
            "The programs of `benches/python/workloads.txt` with the pyperf shim, as in "
            "`benches/compare.sh`'s table, but on our dynamic-linking build (extensions such as _json, math, _random, "
            "_struct are side modules, loaded before the timed region); median of %d interleaved "
            "runs per runtime, time inside the guest. ratio = faasm-engine / wasmtime (below 1.00: "
            "faasm-engine is faster)." % py_runs)
        lines.append("")
        lines += pyperf_table(pyperf)
    return "\n".join(lines) + "\n"


def replace_section(path, section_path):
    with open(section_path) as f:
        new = f.read()
    old = ""
    if os.path.exists(path):
        with open(path) as f:
            old = f.read()
    at = old.find("\n" + HEADING + "\n")
    if old.startswith(HEADING + "\n"):
        at = -1
        kept = ""
    elif at >= 0:
        kept = old[: at + 1]
    else:
        kept = old
    if kept and not kept.endswith("\n\n"):
        kept = kept.rstrip("\n") + "\n\n"
    with open(path, "w") as f:
        f.write(kept + new)


def main():
    args = sys.argv[1:]
    if len(args) == 3 and args[0] == "--replace-section":
        replace_section(args[1], args[2])
    elif len(args) == 1:
        sys.stdout.write(section(args[0]))
    else:
        fail("usage: dynlink_table.py OUT_DIR | --replace-section FILE SECTION_MD")


main()
