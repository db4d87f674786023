# The README's first command runs this with CPython 3.12 compiled to WebAssembly:
#   faasm-engine run python3.wasm hello.py
import platform
import sys

print(f"Hello from Python {platform.python_version()} on {sys.platform}!")
print("2 ** 100 =", 2 ** 100)
