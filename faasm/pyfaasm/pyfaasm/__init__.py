"""pyfaasm: Faasm's Python API on faasm-engine (see pyfaasm.core)."""
from . import core  # noqa: F401
