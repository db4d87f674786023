# A fan-out of 100 chained calls, each returning its own output.
from pyfaasm.core import chain, await_call_output


def square(data):
    n = int(data)
    return str(n * n)


def faasm_main():
    ids = [chain(square, str(i).encode()) for i in range(100)]
    total = sum(int(await_call_output(i)) for i in ids)
    return "sum=%d" % total
