# A child that takes a while, so a test can kill its worker mid-call.
import time
from pyfaasm.core import chain, await_call_output, append_state


def slow(data):
    append_state("slow-runs", data)
    time.sleep(2)
    return b"slept:" + data


def faasm_main():
    return await_call_output(chain(slow, b"zz"))
