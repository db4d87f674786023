# The serving benchmark's Python hello (benches/serve/run.sh): a Faasm
# function answering each request with a greeting.
from pyfaasm.core import get_input, set_output


def faasm_main():
    name = get_input().decode() or "world"
    set_output(f"Hello, {name}!\n".encode())
