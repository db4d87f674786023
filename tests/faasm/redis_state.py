# State that outlives the invocation (run with --redis): input "set V"
# writes V, "get" reads it back; a child writes too.
from pyfaasm.core import get_input, set_state, get_state, chain, await_call


def child(data):
    set_state("from-child", data)


def faasm_main():
    cmd = get_input()
    if cmd.startswith(b"set "):
        set_state("shared", cmd[4:])
        if await_call(chain(child, cmd[4:] + b"!")) != 0:
            exit(1)
        return b"stored"
    return get_state("shared") + b"/" + get_state("from-child")
