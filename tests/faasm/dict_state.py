# Faasm's dict_state example: a pickled dict shared by parent and child.
import pickle
from pyfaasm.core import read_state, read_state_size, write_state, chain, await_call

KEY_A = "dict_a"
KEY_B = "dict_b"


def get_dict_from_state(key):
    return pickle.loads(read_state(key, read_state_size(key)))


def write_dict_to_state(key, d):
    write_state(key, pickle.dumps(d))


def check_pickle(input_bytes):
    d = get_dict_from_state(KEY_A)
    d["epsilon"] = "zeta"
    write_dict_to_state(KEY_B, d)


def faasm_main():
    write_dict_to_state(KEY_A, {"alpha": "beta", "gamma": "delta"})
    if await_call(chain(check_pickle, b"")) != 0:
        exit(1)
    d = get_dict_from_state(KEY_B)
    expected = {"alpha": "beta", "gamma": "delta", "epsilon": "zeta"}
    if d != expected:
        print("Expected {} but got {}".format(expected, d))
        exit(1)
    return repr(sorted(d.items()))
