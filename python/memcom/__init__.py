"""memcom: read, write, inspect and rank MEmCom model files (.memcom) from
Python, through the C library the npm package and the CLI are built from
(build/libmemcom.so).  ``memcom.torch`` has the PyTorch modules.

    import memcom
    m = memcom.open("model.memcom")
    items, scores = m.recommend(["318", "296"], k=10)
"""
from ._lib import KERNEL, VERSION, MemcomError
from .compress import compress
from .model import Model, inspect
from .tables import Layer, Table
from .writer import to_bytes, write

__version__ = VERSION
__all__ = ["MemcomError", "Model", "Table", "Layer", "open", "inspect", "write", "to_bytes", "compress", "hash_bucket",
           "KERNEL", "VERSION"]


def open(source, max_bytes=0):
    """Open a model file (a path or its bytes): memcom.Model(source, max_bytes)."""
    return Model(source, max_bytes)


def hash_bucket(i, seed, m):
    """The bucket of item i in a ('hash', seed) table of m rows (memcom_hash_bucket)."""
    from ._lib import lib
    return lib.memcom_hash_bucket(int(i), int(seed), int(m))
