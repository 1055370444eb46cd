"""Table and Layer: the parts of a model, as the writer takes them and as a
model file gives them back (docs/METHOD.md section 1 for the kinds)."""
import math

import numpy as np

from ._lib import arg_error


class Table:
    """An item table of one kind (docs/METHOD.md section 1.2).

    ``kind`` is 'full', 'hash', 'qr' or 'memcom'.  ``rows`` is A (n x d) for
    full, U (m x d) for hash and memcom, Q (ceil(n/m) x d) for qr; ``rows_b``
    is qr's R (m x d); ``scalars`` memcom's w (n).  ``bucket`` (hash and
    memcom) is 'mod' (i mod m), ('hash', seed) (memcom_hash_bucket), or an
    array of n bucket indices (explicit: uint16 or uint32 storage as the array's
    dtype says, else u16 while m <= 65536).  ``n`` is needed only when the
    arrays do not say it (hash without explicit buckets, qr).  ``dtype`` is
    the storage type of the rows ('f32', 'f16', 'i8'), ``scalar_dtype`` that
    of memcom's scalars ('f32', 'f16').

    A table read from a file holds views of the file's stored values (rows in
    their storage type, and ``row_scales``/``rows_b_scales`` for i8 rows);
    ``float_rows()`` gives them as f32.
    """

    def __init__(self, kind, rows, *, rows_b=None, scalars=None, bucket="mod", n=None, dtype="f32",
                 scalar_dtype="f32", row_scales=None, rows_b_scales=None):
        if kind not in ("full", "hash", "qr", "memcom"):
            raise arg_error(f"table kind must be 'full', 'hash', 'qr' or 'memcom', got {kind!r}")
        self.kind = kind
        self.rows = _matrix(rows, "rows")
        self.d = self.rows.shape[1]
        self.rows_b = _matrix(rows_b, "rows_b") if kind == "qr" else _absent(rows_b, "rows_b", kind, "qr")
        self.scalars = _vector(scalars, "scalars") if kind == "memcom" else _absent(scalars, "scalars", kind, "memcom")
        self.dtype, self.scalar_dtype = dtype, (scalar_dtype if kind == "memcom" else None)
        self.row_scales, self.rows_b_scales = row_scales, rows_b_scales
        self.hash_seed = 0
        self.buckets = None
        if kind in ("hash", "memcom"):
            if isinstance(bucket, str) and bucket == "mod":
                self.bucket_mode = "mod"
            elif isinstance(bucket, tuple) and len(bucket) == 2 and bucket[0] == "hash":
                self.bucket_mode = "hash"
                self.hash_seed = _seed(bucket[1])
            else:
                b = np.asarray(bucket)
                if b.ndim != 1 or b.dtype.kind not in "iu":
                    raise arg_error("bucket: must be 'mod', ('hash', seed) or a 1-D integer array of n bucket "
                                    f"indices, got {_describe(bucket)}")
                self.bucket_mode = "explicit"
                self.buckets = b
        elif not (isinstance(bucket, str) and bucket == "mod"):
            raise arg_error(f"bucket: only hash and memcom tables have buckets (kind is {kind!r})")
        else:
            self.bucket_mode = "none"
        # n and m, from the arrays where they say it
        if kind == "full":
            self.m = self.rows.shape[0]
            known = self.m
        elif kind == "qr":
            self.m = self.rows_b.shape[0]
            known = None
        else:
            self.m = self.rows.shape[0]
            known = len(self.scalars) if kind == "memcom" else (len(self.buckets) if self.buckets is not None else None)
        if n is None and known is None:
            raise arg_error(f"n: a {kind} table {'with bucket ' + repr(self.bucket_mode) + ' ' if kind == 'hash' else ''}"
                            "needs n (the number of items)")
        if n is not None and known is not None and n != known:
            raise arg_error(f"n: is {n}, but the arrays give {known} items")
        self.n = int(n if n is not None else known)
        self._check_shapes()

    def _check_shapes(self):
        n, m, d = self.n, self.m, self.d
        if self.kind == "qr":
            if self.rows.shape[0] != math.ceil(n / m):
                raise arg_error(f"rows: a qr table of n = {n} items and m = {m} has ceil(n/m) = "
                                f"{math.ceil(n / m)} quotient rows, got {self.rows.shape[0]}")
            if self.rows_b.shape[1] != d:
                raise arg_error(f"rows_b: must have d = {d} columns, got {self.rows_b.shape[1]}")
        if self.kind == "memcom" and len(self.scalars) != n:
            raise arg_error(f"scalars: must have n = {n} values, got {len(self.scalars)}")
        if self.buckets is not None and len(self.buckets) != n:
            raise arg_error(f"bucket: must have n = {n} bucket indices, got {len(self.buckets)}")

    def float_rows(self, which="a"):
        """The rows (which='a') or qr's R rows (which='b') as f32, whatever their storage."""
        rows, scales = (self.rows, self.row_scales) if which == "a" else (self.rows_b, self.rows_b_scales)
        if scales is not None:  # i8: x = scale[r] * q (docs/FORMAT.md)
            return rows.astype(np.float32) * np.asarray(scales, np.float32)[:, None]
        return np.asarray(rows, np.float32)

    @property
    def bucket(self):
        """The bucket argument that builds this table again: 'mod', ('hash', seed) or the indices."""
        return {"mod": "mod", "hash": ("hash", self.hash_seed), "explicit": self.buckets}.get(self.bucket_mode, "mod")

    def __repr__(self):
        extra = f", bucket={self.bucket_mode!r}" if self.bucket_mode != "none" else ""
        return f"Table(kind={self.kind!r}, n={self.n}, m={self.m}, d={self.d}, dtype={self.dtype!r}{extra})"


class Layer:
    """A dense layer x -> act(W x + b) (docs/METHOD.md section 3): ``weight``
    (out_dim x in_dim) or None for the identity, ``bias`` (out_dim) or None
    for zeros, ``activation`` 'none', 'tanh' or 'relu'."""

    def __init__(self, in_dim, out_dim=None, activation="none", weight=None, bias=None):
        self.in_dim = int(in_dim)
        self.out_dim = int(out_dim if out_dim is not None else in_dim)
        self.activation = activation
        self.weight = None if weight is None else _matrix(weight, "weight")
        self.bias = None if bias is None else _vector(bias, "bias")
        if self.weight is not None and self.weight.shape != (self.out_dim, self.in_dim):
            raise arg_error(f"layer weight: must be out_dim x in_dim = {self.out_dim} x {self.in_dim}, "
                            f"got {self.weight.shape[0]} x {self.weight.shape[1]}")
        if self.weight is None and self.in_dim != self.out_dim:
            raise arg_error(f"layer weight: is required when in_dim ({self.in_dim}) != out_dim ({self.out_dim})")
        if self.bias is not None and len(self.bias) != self.out_dim:
            raise arg_error(f"layer bias: must have out_dim = {self.out_dim} values, got {len(self.bias)}")

    def __repr__(self):
        return f"Layer({self.in_dim}, {self.out_dim}, activation={self.activation!r})"


def _describe(v):
    if isinstance(v, np.ndarray):
        return f"an array of shape {v.shape} and dtype {v.dtype}"
    return repr(v) if len(repr(v)) < 60 else type(v).__name__


def _matrix(v, field):
    if v is None:
        raise arg_error(f"{field}: is required")
    a = np.asarray(v)
    if a.ndim != 2 or a.shape[0] < 1 or a.shape[1] < 1 or a.dtype.kind not in "fiu":
        raise arg_error(f"{field}: must be a non-empty 2-D numeric array, got {_describe(v)}")
    return a


def _vector(v, field):
    if v is None:
        raise arg_error(f"{field}: is required")
    a = np.asarray(v)
    if a.ndim != 1 or a.dtype.kind not in "fiu":
        raise arg_error(f"{field}: must be a 1-D numeric array, got {_describe(v)}")
    return a


def _absent(v, field, kind, owner):
    if v is not None:
        raise arg_error(f"{field}: only a {owner} table has it (kind is {kind!r})")
    return None


def _seed(s):
    if isinstance(s, (bool, float)) or not isinstance(s, (int, np.integer)) or not 0 <= int(s) < 2 ** 64:
        raise arg_error(f"bucket: the hash seed must be an integer in 0..2^64-1, got {s!r}")
    return int(s)
