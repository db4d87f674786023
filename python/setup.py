"""Bundles the C library into the package when it has been built.

`python3 -m pip install ./python` after `cargo build --release` copies
`libfaasm_engine.so` from the repository's target directory
($CARGO_TARGET_DIR, else ../target) into the wheel; without a build there
is nothing to copy and the package finds the library at run time instead
(see faasm_engine/_ffi.py).
"""

import os
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))


def built_library():
    target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(HERE, "..", "target")
    # FAASM_ENGINE_PROFILE=debug bundles the unoptimised build (the tests' choice).
    profile = os.environ.get("FAASM_ENGINE_PROFILE", "release")
    path = os.path.join(target, profile, "libfaasm_engine.so")
    return path if os.path.isfile(path) else None


class BuildPyWithLibrary(build_py):
    def run(self):
        super().run()
        lib = built_library()
        if lib:
            dest = os.path.join(self.build_lib, "faasm_engine", "libfaasm_engine.so")
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            shutil.copyfile(lib, dest)


setup(cmdclass={"build_py": BuildPyWithLibrary})
