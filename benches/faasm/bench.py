# Faasm function benchmarks, timed inside the guest (WASI clock).
# Input: "chain N" (chain + await of a no-op, one at a time),
# "fanout N" (N chained no-ops, then await them all), or
# "state SIZE N" (N set_state + get_state of SIZE bytes).
import time
from pyfaasm.core import chain, await_call, get_input, set_state, get_state


def noop():
    return 0


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p))] * 1000


def faasm_main():
    words = get_input().decode().split()
    kind, args = words[0], [int(w) for w in words[1:]]
    if kind == "chain":
        lat = []
        for _ in range(args[0]):
            t = time.perf_counter()
            if await_call(chain(noop, b"")) != 0:
                raise RuntimeError("a chained call failed")
            lat.append(time.perf_counter() - t)
        return "chain+await no-op: n={} p50={:.2f} ms p99={:.2f} ms".format(len(lat), pct(lat, 0.5), pct(lat, 0.99)).encode()
    if kind == "fanout":
        t = time.perf_counter()
        ids = [chain(noop, b"") for _ in range(args[0])]
        bad = sum(1 for i in ids if await_call(i) != 0)
        if bad:
            raise RuntimeError("{} chained calls failed".format(bad))
        return "fan-out of {}: {:.1f} ms".format(args[0], (time.perf_counter() - t) * 1000).encode()
    if kind == "state":
        size, n = args
        value = b"x" * size
        t = time.perf_counter()
        for i in range(n):
            set_state("bench", value)
            if len(get_state("bench", size)) != size:
                raise RuntimeError("short read")
        dt = time.perf_counter() - t
        return "state {} B: {:.0f} write+read pairs/s ({:.1f} MB/s each way)".format(size, n / dt, size * n / dt / 1e6).encode()
    raise ValueError("unknown benchmark " + kind)
