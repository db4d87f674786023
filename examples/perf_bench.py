# CPU-bound mix for comparing runtimes (see examples/wasmtime_run.rs):
# function calls, dict and str ops, a small class. Prints the result and
# the in-guest time of the work loop.
import sys
N = int(sys.argv[1]) if len(sys.argv) > 1 else 20000

def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)

class P:
    def __init__(self, x, y):
        self.x = x; self.y = y
    def norm(self):
        return self.x * self.x + self.y * self.y

def work(n):
    d = {}
    s = 0
    for i in range(n):
        k = "k" + str(i % 500)
        d[k] = d.get(k, 0) + i
        s += P(i, i + 1).norm() % 7
        s += len(k.upper().replace("K", "xy"))
    return s + len(d) + fib(18)

import time
t=time.perf_counter()
r=work(N)
print(r, 'work %.3f s' % (time.perf_counter()-t))
