# Calls restored from the file's snapshot: each starts from the state the
# import left (module globals as imported), never from another call's.
import json
from pyfaasm.core import chain, await_call_output

counter = [0]


def bump(data):
    counter[0] += 1
    return json.dumps([counter[0], data.decode()]).encode()


def faasm_main():
    ids = [chain(bump, str(i).encode()) for i in range(3)]
    outs = [json.loads(await_call_output(i)) for i in ids]
    counter[0] += 10
    return json.dumps({"children": outs, "main": counter[0]}).encode()
