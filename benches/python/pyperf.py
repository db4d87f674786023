"""A stand-in for `pyperf` inside the guest.

pyperformance's programs are written against pyperf's Runner, which spawns
worker processes, calibrates loop counts and stores JSON results; none of
that exists (or is wanted) inside a WebAssembly guest. This module keeps the
small part of the API the programs use (Runner.bench_func / bench_time_func,
argparser, parse_args, metadata, perf_counter) and measures exactly one
thing: the time of `loops` calls of the benchmark function, as pyperf's
workers do, with the guest's monotonic clock. The driver (run.py) sets the
loop count; the result is one line on stdout that the host parses:

    PYPERF_SHIM <name> loops=<n> seconds=<float>
"""

import argparse
import sys
import time

perf_counter = time.perf_counter

# Set by run.py before the benchmark program starts.
LOOPS = 1


def python_implementation():
    return sys.implementation.name


def _report(name, loops, seconds):
    sys.stdout.write("PYPERF_SHIM %s loops=%d seconds=%.9f\n" % (name, loops, seconds))
    sys.stdout.flush()


class Runner:
    def __init__(self, *args, add_cmdline_args=None, **kwargs):
        self.metadata = {}
        self.argparser = argparse.ArgumentParser()
        self.args = None

    def parse_args(self, args=None):
        if self.args is None:
            self.args = self.argparser.parse_args(sys.argv[1:] if args is None else args)
        return self.args

    def bench_time_func(self, name, time_func, *args, inner_loops=None, **kwargs):
        self.parse_args()
        seconds = time_func(LOOPS, *args)
        _report(name, LOOPS, seconds)
        return seconds

    def bench_func(self, name, func, *args, inner_loops=None, **kwargs):
        self.parse_args()
        loops = range(LOOPS)
        t0 = perf_counter()
        for _ in loops:
            func(*args)
        seconds = perf_counter() - t0
        _report(name, LOOPS, seconds)
        return seconds

    def bench_async_func(self, name, func, *args, inner_loops=None, **kwargs):
        import asyncio

        self.parse_args()

        async def main():
            t0 = perf_counter()
            for _ in range(LOOPS):
                await func(*args)
            return perf_counter() - t0

        seconds = asyncio.run(main())
        _report(name, LOOPS, seconds)
        return seconds

    def bench_command(self, name, command):
        raise RuntimeError("pyperf shim: bench_command (subprocesses) is not available in the guest")
