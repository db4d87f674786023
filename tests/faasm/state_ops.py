# Offsets, push/pull, appends, locks, missing keys (old and new names).
from pyfaasm.core import (read_state, read_state_offset, write_state_offset, push_state,
                          pull_state, push_state_partial, write_state, get_state, set_state,
                          get_state_offset, set_state_offset, append_state,
                          read_appended_state, clear_appended_state, lock_state_write,
                          unlock_state_write, lock_state_read, unlock_state_read,
                          read_state_size, chain, await_call)


def adder(data):
    append_state("fan", data)
    lock_state_write("counter")
    n = int(read_state("counter") or b"0")
    write_state("counter", str(n + 1).encode())
    unlock_state_write("counter")


def faasm_main():
    key = "pyStateTest"
    write_state(key, b"0123456789")
    push_state(key)
    pull_state(key, 10)
    assert read_state(key, 10) == b"0123456789"
    write_state_offset(key, 10, 2, b"999")
    push_state_partial(key)
    assert read_state(key, 10) == b"0199956789", read_state(key, 10)
    assert read_state_offset(key, 10, 4, 4) == b"9567"
    set_state_offset("grown", 8, 6, b"xy")
    assert get_state("grown", 8) == b"\0" * 6 + b"xy"
    assert get_state_offset(key, 10, 0, 3) == b"019"
    set_state("s", "text")
    assert get_state("s", 100) == b"text"
    assert read_state_size("never-written") == 0
    assert get_state("never-written", 5) == b""
    clear_appended_state("fan")
    write_state("counter", b"0")
    ids = [chain(adder, b"%d" % i) for i in range(20)]
    assert all(await_call(i) == 0 for i in ids)
    lock_state_read("counter")
    count = read_state("counter")
    unlock_state_read("counter")
    fan = read_appended_state("fan")
    assert sorted(fan, key=int) == [b"%d" % i for i in range(20)], fan
    assert read_appended_state("fan", 2) == fan[:2]
    clear_appended_state("fan")
    assert read_appended_state("fan") == []
    return b"count=" + count
