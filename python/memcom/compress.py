"""Compressing a table or model trained elsewhere: ``memcom compress`` (the
CLI, src/train/compress.c) run on a model file, or on an (n, d) array
written first as a full table file.  The k-means, the scalars and the
writing are the C trainer's; this module only hands over files."""
import os
import subprocess
import tempfile

import numpy as np

from ._lib import MemcomError, arg_error, cli_path
from .model import Model
from .tables import Table
from .writer import write


def compress(source, ratio, path=None, dtype=None, pop_frac=0.5, seed=1, threads=2, fine_tune=None,
             overwrite=False, quiet=True):
    """Compress to memcom tables of the default variant (docs/METHOD.md
    section 1.3): the most popular items (the first indices: order them by
    decreasing popularity) own ``pop_frac`` of the rows, the others share
    rows assigned by k-means of their vectors, each with its least-squares
    scalar.

    ``source``: a model file's path (a full model or table file; layers, bias
    and ids are kept), a memcom.Table, or an (n, d) array of item vectors.
    ``ratio``: 1/ratio of the bytes of a full f32 table (ratio < d), the
    rows counted in their storage type.  ``dtype``: row storage ('f32',
    'f16', 'i8'; default the source's, or with ``fine_tune`` `memcom
    train`'s: i8).  ``fine_tune``: a list
    of `memcom train` arguments with interaction data (e.g. ['--data', dir,
    '--epochs', '20']) to train the compressed model further.  Writes
    ``path`` (replacing a file only with ``overwrite=True``) and returns the
    compressed model as a memcom.Model.  Failures of the command raise
    MemcomError with its message (code 'arg' for a usage error, else
    'compress')."""
    with tempfile.TemporaryDirectory(prefix="memcom-compress-") as tmp:
        if isinstance(source, (str, os.PathLike)):
            src = os.fspath(source)
        else:
            src = os.path.join(tmp, "source.memcom")
            table = source if isinstance(source, Table) else _full_table(source)
            write(src, table)
        out = os.fspath(path) if path is not None else os.path.join(tmp, "compressed.memcom")
        if path is not None and os.path.exists(out) and not overwrite:
            raise MemcomError("io", f"{out} exists (pass overwrite=True to replace it)")
        args = [cli_path(), "compress", src, "--ratio", repr(float(ratio)), "-o", out, "--pop-frac",
                repr(float(pop_frac)), "--seed", str(int(seed)), "--threads", str(int(threads))]
        if dtype is not None:
            args += ["--dtype", str(dtype)]
        if quiet:
            args.append("--quiet")
        args += [str(a) for a in (fine_tune or [])]
        r = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE if quiet else None, text=True)
        if r.returncode:
            msg = (r.stderr or "").strip().splitlines()
            raise MemcomError("arg" if r.returncode == 2 else "compress",
                              msg[-1] if msg else f"memcom compress exited with {r.returncode}")
        return Model(out)


def _full_table(a):
    a = np.asarray(a)
    if a.ndim != 2 or a.dtype.kind not in "fiu":
        raise arg_error(f"compress: source must be a model file, a memcom.Table or an (n, d) array, got "
                        f"{type(a).__name__} of shape {getattr(a, 'shape', None)}")
    return Table("full", a)
