"""Runs one pyperformance program under the pyperf shim.

    run.py LOOPS PROGRAM [ARGS...]

LOOPS: how many times the program's benchmark function runs in the timed
region; PROGRAM: the program's run_benchmark.py; ARGS: its own options.
The shim (pyperf.py, next to this file) takes the place of `pyperf`.
Used identically inside python3.wasm and by the host's native CPython.
"""

import os
import runpy
import sys


def main():
    if len(sys.argv) < 3:
        sys.stderr.write("usage: run.py LOOPS PROGRAM [ARGS...]\n")
        sys.exit(2)
    loops = int(sys.argv[1])
    program = sys.argv[2]
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, here)
    import pyperf

    pyperf.LOOPS = loops
    sys.path.insert(0, os.path.dirname(os.path.abspath(program)))
    sys.argv = [program] + sys.argv[3:]
    runpy.run_path(program, run_name="__main__")


main()
