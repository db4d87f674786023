"""Names faasm-engine's JIT code in a perf profile.

faasm-engine executes python3.wasm's code in place from the objcache
artifact (a file mapping), so perf attributes samples to the file with raw
offsets. Run the benchmark runner with BENCH_PERF_MAP=1 (it writes
/tmp/faasm-code-PID.syms: code offset, length, function index, name), then:

    perf report -i perf.data -n --no-children --sort dso,sym --stdio > report.txt
    python3 perf_symbolize.py report.txt ARTIFACT /tmp/faasm-code-PID.syms

prints the samples per wasm function (top 40): share and count. With
ARTIFACT and SYMS left out it just sums a report by symbol (wasmtime's
perf map already names functions `wasm[0]::function[N]`, N the same
function index).
"""

import bisect
import re
import struct
import sys


def main():
    report = sys.argv[1]
    code_offset = 0
    starts, entries = [], []
    if len(sys.argv) > 3:
        artifact, syms = sys.argv[2:4]
        with open(artifact, "rb") as f:
            header = f.read(184)
        # objcache format v3: offset and length of the metadata, data,
        # trap, image and code sections from byte 104; the code section's
        # offset.
        code_offset = struct.unpack_from("<Q", header, 168)[0]
        with open(syms) as f:
            for line in f:
                off, length, index, name = line.rstrip("\n").split(" ", 3)
                starts.append(int(off, 16))
                entries.append((int(off, 16), int(length, 16), int(index), name))
    total = 0.0
    per = {}
    line_re = re.compile(r"^\s*([\d.]+)%\s+(\d+)\s+(\S+)\s+\[[.k]\]\s+(0x[0-9a-f]+|.+)$")
    for line in open(report):
        m = line_re.match(line)
        if not m:
            continue
        pct, n, dso, sym = float(m.group(1)), int(m.group(2)), m.group(3), m.group(4).strip()
        total += n
        key = "%s %s" % (dso, sym)
        if sym.startswith("0x") and dso.endswith(".faasmobj"):
            off = int(sym, 16) - code_offset
            i = bisect.bisect_right(starts, off) - 1
            if i >= 0 and off < entries[i][0] + entries[i][1]:
                key = "wasm[0]::function[%d] %s" % (entries[i][2], entries[i][3])
        per[key] = per.get(key, 0) + n
    print("%d samples" % total)
    for key, n in sorted(per.items(), key=lambda kv: -kv[1])[:40]:
        print("%6.2f%% %7d  %s" % (100.0 * n / max(total, 1), n, key))


main()
