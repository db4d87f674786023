import os
import sys

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")

# The fixtures (.wat modules and env.py) are importable by name.
if FIXTURES not in sys.path:
    sys.path.insert(0, FIXTURES)
