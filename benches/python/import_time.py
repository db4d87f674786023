"""Times one `import NAME` inside the guest, for benches/dynlink.sh.

    import_time.py NAME

Prints one line the host parses:

    IMPORT_TIME <name> find_ns=<int> import_ns=<int> origin=<path|built-in> extra=<modules|->

import_ns: time.perf_counter_ns() around `import NAME` alone — for a side
module the path finder's search, dlopen (read or compile, link, relocate,
constructors) and PyInit; for a built-in module the BuiltinImporter and
PyInit. find_ns: importlib.util.find_spec(NAME) timed just before, the
finder's share of such an import (context, not subtracted). extra: modules
that the import pulled in besides NAME (their time is inside import_ns; the
benchmark picks modules whose init imports nothing, and this proves it).

Before anything is timed, one other extension module is imported (a side
module in both builds: _opcode), so that importlib's machinery, the
lib-dynload directory listing of the path finder and the host's loader have
all been used once: only NAME's own load is timed.
"""

import sys
import time


def main():
    if len(sys.argv) != 2:
        sys.stderr.write("usage: import_time.py NAME\n")
        sys.exit(2)
    name = sys.argv[1]
    if name == "_opcode" or name in sys.modules:
        sys.exit("import_time.py: %s is already imported before the timing starts" % name)
    import importlib.util

    import _opcode  # noqa: F401  (warm-up, untimed)

    t0 = time.perf_counter_ns()
    spec = importlib.util.find_spec(name)
    t1 = time.perf_counter_ns()
    if spec is None:
        sys.exit("import_time.py: no module named %s" % name)
    before = set(sys.modules)
    t2 = time.perf_counter_ns()
    module = __import__(name)
    t3 = time.perf_counter_ns()
    extra = sorted(set(sys.modules) - before - {name})
    origin = getattr(module, "__file__", None) or "built-in"
    sys.stdout.write(
        "IMPORT_TIME %s find_ns=%d import_ns=%d origin=%s extra=%s\n"
        % (name, t1 - t0, t3 - t2, origin, ",".join(extra) or "-")
    )


main()
