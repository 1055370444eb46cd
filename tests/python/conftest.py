"""The Python package's tests: they import python/memcom (the package in the
repository) and its library build/libmemcom.so (bash build.sh native)."""
import os
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "python"))
