# Reads shared state while it is imported: no snapshot can be taken of that
# (state is per invocation), so its calls run from scratch and still work.
from pyfaasm.core import set_state, get_state, chain, await_call_output

set_state("k", b"set at import")


def child():
    return get_state("k", 13)


def faasm_main():
    return await_call_output(chain(child, b""))
