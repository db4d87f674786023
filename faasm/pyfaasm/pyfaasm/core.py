"""Faasm's Python API: input and output, chained calls, shared state.

Both Faasm's current names and the older ones of its docs are here. The
host calls go through the C extension ``pyfaasm._pyfaasm`` (a wasm side
module importing ``env.__faasm_*``).

* A missing state key reads as empty bytes (size 0), as Faasm's
  ``read_state_size`` answers 0 for it.
* ``chain(func, data)`` takes a function of the same file, or its name;
  an unknown name is a ValueError here, before any call is made.
* ``await_call`` returns 0 when the chained function returned normally,
  non-zero when it raised, exited non-zero or trapped.
* Bad arguments the host refuses (an oversize state value, a range past a
  value's total size) end the call with the host's message.
"""

from . import _pyfaasm as _h

_main_module = None
_output_set = False


def _set_main_module(mod):
    global _main_module
    _main_module = mod


def _was_output_set():
    return _output_set


def _as_bytes(data, what="data"):
    if isinstance(data, str):
        return data.encode("utf-8")
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    raise TypeError("{} must be bytes or str, not {}".format(what, type(data).__name__))


# --- input and output --------------------------------------------------------

def get_input():
    """The call's whole input, as bytes."""
    return _h.read_input()


def read_input(input_len):
    """The first ``input_len`` bytes of the input."""
    return _h.read_input(int(input_len))


def get_input_len():
    return _h.get_input_len()


def write_output(output):
    """Replaces the call's output."""
    global _output_set
    _h.write_output(_as_bytes(output, "output"))
    _output_set = True


set_output = write_output


# --- chaining ----------------------------------------------------------------

def _function_name(func):
    name = func if isinstance(func, str) else getattr(func, "__name__", None)
    if not isinstance(name, str) or not name:
        raise TypeError("chain needs a function or a function name, not {!r}".format(func))
    if _main_module is not None and not callable(getattr(_main_module, name, None)):
        raise ValueError("no function {!r} in {} to chain to".format(
            name, getattr(_main_module, "__file__", "this file")))
    return name


def chain_this_with_input(func, input_data):
    """Runs ``func`` (a function of this file, or its name) as a new call
    with ``input_data``; returns the call id to await."""
    return _h.chain_py(_function_name(func), _as_bytes(input_data, "input"))


chain = chain_this_with_input


def chain_function(name, input_data):
    return chain_this_with_input(name, input_data)


def await_call(call_id):
    """Waits for a chained call; 0 if it succeeded."""
    return _h.await_call(int(call_id))


def await_call_output(call_id):
    """Waits for a chained call and returns its output (bytes)."""
    return _h.await_call_output(int(call_id))[1]


get_call_output = await_call_output


# --- state ---------------------------------------------------------------------

def read_state_size(key):
    return _h.read_state_size(key)


def read_state(key, state_len=None):
    """The value of ``key`` (its first ``state_len`` bytes); b"" if missing."""
    if state_len is None:
        return _h.read_state(key)
    return _h.read_state(key, int(state_len))


get_state = read_state


def read_state_offset(key, total_len, offset, offset_len):
    return _h.read_state_offset(key, int(total_len), int(offset), int(offset_len))


get_state_offset = read_state_offset


def write_state(key, value):
    _h.write_state(key, _as_bytes(value, "value"))


set_state = write_state


def write_state_offset(key, total_len, offset, value):
    _h.write_state_offset(key, int(total_len), int(offset), _as_bytes(value, "value"))


set_state_offset = write_state_offset


def push_state(key):
    _h.push_state(key)


def push_state_partial(key):
    _h.push_state_partial(key)


def pull_state(key, state_len):
    _h.pull_state(key, int(state_len))


def append_state(key, value):
    _h.append_state(key, _as_bytes(value, "value"))


def read_appended_state(key, n_elems=None):
    """The first ``n_elems`` values appended to ``key`` (all if None), a list."""
    if n_elems is None:
        return _h.read_appended_state(key)
    return _h.read_appended_state(key, int(n_elems))


def clear_appended_state(key):
    _h.clear_appended_state(key)


def lock_state_read(key):
    _h.lock_state_read(key)


def unlock_state_read(key):
    _h.unlock_state_read(key)


def lock_state_write(key):
    _h.lock_state_write(key)


def unlock_state_write(key):
    _h.unlock_state_write(key)


# --- call facts --------------------------------------------------------------

def get_idx():
    return _h.get_idx()


def conf_flag(name):
    return _h.conf_flag(name)
