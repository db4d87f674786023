# A Faasm function served over HTTP (tests/serve.rs): the request body is
# the input, and says what to do.
from pyfaasm.core import (get_input, set_output, chain_this_with_input,
                          await_call_output, read_state, write_state)

# Module state: every request starts from the snapshot taken after this
# import, so each sees 0 here whatever earlier requests did.
requests_seen = 0


def upper(data):
    return data.upper()


def faasm_main():
    global requests_seen
    requests_seen += 1
    data = get_input()
    if data == b"raise":
        raise ValueError("asked to raise")
    if data == b"spin":
        while True:
            pass
    if data.startswith(b"late-fail:"):
        # Fails by itself shortly before the route's timeout: a failure
        # (500), not a timeout, whatever the clock says afterwards.
        import time
        until = time.monotonic() + float(data[10:])
        while time.monotonic() < until:
            pass
        raise RuntimeError("failed by itself")
    if data.startswith(b"chain:"):
        return b"child said " + await_call_output(chain_this_with_input(upper, data[6:]))
    if data.startswith(b"put:"):
        write_state("served", data[4:])
        return b"stored"
    if data == b"get":
        return b"state is " + read_state("served")
    set_output(b"Hello, %s! (request %d of this instance)" % (data or b"world", requests_seen))
