# Children return outputs (bytes, str, set_output), one reads get_input(),
# one chains again; a child that raises makes await_call non-zero.
from pyfaasm.core import (chain_this_with_input, chain_function, await_call,
                          await_call_output, get_call_output, get_input,
                          set_output, write_output, get_idx)


def upper(data):
    return data.upper()


def as_text(data):
    return "text:" + data.decode()


def explicit():
    set_output(b"set:" + get_input())
    return b"ignored"


def nested(data):
    return b"nested(" + await_call_output(chain_this_with_input("upper", data)) + b")"


def raiser(data):
    raise ValueError("child raised on purpose")


def faasm_main():
    ids = [chain_this_with_input(upper, b"abc"), chain_function("as_text", b"xyz"),
           chain_this_with_input(explicit, b"in"), chain_this_with_input(nested, b"deep")]
    outs = [await_call_output(i) for i in ids]
    bad = chain_this_with_input(raiser, b"")
    rc_bad = await_call(bad)
    rc_ok = await_call(ids[0])
    again = get_call_output(ids[0])
    write_output(b"|".join(outs) + b"|ok=%d|bad=%d|again=%s|idx=%d|in=%s" % (
        rc_ok, rc_bad != 0, again, get_idx(), get_input()))
