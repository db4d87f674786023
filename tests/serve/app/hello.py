# Served by tests/serve.rs through python3.wasm (argv "python3.wasm /app/hello.py").
import os
import sys

print("Content-Type: text/plain")
print()
print("Hello from Python at", os.environ.get("PATH_INFO", ""), "with", sys.stdin.read())
