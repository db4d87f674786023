# Faasm's documentation example: two chained calls, awaited.
from pyfaasm.core import chain, await_call


def chain_one(input_bytes):
    if input_bytes != b"1234":
        exit(1)
    return 0


def chain_two(input_bytes):
    if input_bytes != b"5678":
        exit(1)
    return 0


def faasm_main():
    call_a = chain(chain_one, b"1234")
    call_b = chain(chain_two, b"5678")
    res_a = await_call(call_a)
    res_b = await_call(call_b)
    if res_a != 0 or res_b != 0:
        print("Chained functions failed: {} {}".format(res_a, res_b))
        exit(1)
    return b"both chained calls succeeded"
