# Bad input, picked by the call's input.
from pyfaasm.core import chain_function, await_call, set_state, get_input, chain


def faasm_main():
    what = get_input()
    if what == b"unknown-function":
        chain_function("no_such_function", b"")
    elif what == b"oversize":
        set_state("big", b"x" * 2000)
    elif what == b"bad-await":
        await_call(424242)
    elif what == b"no-entry":
        return 0
    return b"not reached"
