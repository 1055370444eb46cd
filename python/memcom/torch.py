"""PyTorch modules for memcom's item tables and its Mult-DAE recommender
(docs/METHOD.md sections 1 and 3), and ``export`` to a .memcom file through
the package's writer.

    from memcom.torch import MemcomTable, FullTable, MultiDAE, multi_hot, export
    model = MultiDAE(FullTable(n, 64), MemcomTable(n, m, 64))
    loss = model.loss(multi_hot(histories, n))       # one batch of users
    export(model, "model.memcom", ids=ids, dtype="f16")

A model's forward pass is the one the C core serves: the distinct items of a
history pooled through the input table and divided by sqrt(|H|), the dense
layers, then ``s_i = E_out[i] . u + bias[i]``.  In training mode each history
item is dropped with probability ``dropout`` (the kept ones scaled by
1/(1-p)), as the native trainer does.
"""
import math

import numpy as np
import torch
from torch import nn

from . import _lib
from .model import Model
from .tables import Layer, Table
from .writer import write

__all__ = ["ItemTable", "FullTable", "HashTable", "QRTable", "MemcomTable", "Dense", "MultiDAE", "multi_hot",
           "export", "load"]


def _rows_init(n, rows, d):
    """Rows drawn from N(0, 2/(n+d)) (docs/METHOD.md section 3, Initialisation)."""
    return torch.randn(rows, d) * math.sqrt(2.0 / (n + d))


def _bucket_indices(bucket, n, m):
    """(mode, seed, n bucket indices) for a bucket argument: 'mod', ('hash', seed) or n indices."""
    if isinstance(bucket, str) and bucket == "mod":
        return "mod", 0, torch.arange(n) % m
    if isinstance(bucket, tuple) and len(bucket) == 2 and bucket[0] == "hash":
        seed = int(bucket[1])
        if not 0 <= seed < 2 ** 64:
            raise _lib.arg_error(f"bucket: the hash seed must be in 0..2^64-1, got {seed}")
        f = _lib.lib.memcom_hash_bucket
        return "hash", seed, torch.tensor([f(i, seed, m) for i in range(n)], dtype=torch.long)
    b = torch.tensor(np.asarray(bucket).astype(np.int64))
    if b.shape != (n,):
        raise _lib.arg_error(f"bucket: must be 'mod', ('hash', seed) or n = {n} bucket indices, got {bucket!r}")
    if n and (b.min() < 0 or b.max() >= m):
        raise _lib.MemcomError("bucket_range", f"bucket: indices must be in 0..{m - 1}")
    return "explicit", 0, b


class ItemTable(nn.Module):
    """An item table: ``forward(items)`` gives the embeddings of item indices
    (any shape, plus a last dimension d); ``embeddings()`` all n of them;
    ``score(u)`` every item's dot product with each row of u (B x d -> B x n)."""

    kind = None

    def embeddings(self):
        return self(torch.arange(self.n, device=self._device()))

    def score(self, u):
        return u @ self.embeddings().t()

    def pool(self, x, dropout=0.0):
        """The bag of a multi-hot history matrix x (B x n, dense or sparse;
        nonzero = in the history, counted once): sum of the items' embeddings
        / sqrt(|H|), with input dropout p (kept items scaled by 1/(1-p))."""
        if x.is_sparse:
            x = x.coalesce()
            idx = x.indices()
            ones = torch.ones(idx.shape[1], device=idx.device)
            count = torch.zeros(x.shape[0], device=idx.device).index_add_(0, idx[0], ones)
            keep = nn.functional.dropout(ones, dropout, self.training) if dropout else ones
            xb = torch.sparse_coo_tensor(idx, keep, x.shape)
            s = torch.sparse.mm(xb, self.embeddings())
        else:
            xb = (x != 0).to(torch.float32)
            count = xb.sum(1)
            if dropout:
                xb = nn.functional.dropout(xb, dropout, self.training)
            s = xb @ self.embeddings()
        return s / count.clamp(min=1).sqrt().unsqueeze(1)

    def to_table(self, dtype="f32", scalar_dtype="f32"):
        """This table as a memcom.Table (rows stored as ``dtype``)."""
        raise NotImplementedError

    def _device(self):
        return next(self.parameters()).device

    def extra_repr(self):
        m = f", m={self.m}" if self.kind != "full" else ""
        return f"n={self.n}{m}, d={self.d}"


class FullTable(ItemTable):
    """A row per item: ``weight`` (n x d), as nn.Embedding."""

    kind = "full"

    def __init__(self, n, d, weight=None):
        super().__init__()
        self.n, self.m, self.d = n, n, d
        self.weight = _given(weight, (n, d), lambda: _rows_init(n, n, d))

    def forward(self, items):
        return self.weight[items]

    def embeddings(self):
        return self.weight

    def to_table(self, dtype="f32", scalar_dtype="f32"):
        return Table("full", _np(self.weight), dtype=dtype)


class _Bucketed(ItemTable):
    def _set_buckets(self, bucket):
        self.bucket_mode, self.hash_seed, b = _bucket_indices(bucket, self.n, self.m)
        self.register_buffer("buckets", b)

    def _bucket_arg(self):
        return {"mod": "mod", "hash": ("hash", self.hash_seed)}.get(self.bucket_mode, _np(self.buckets))

    def extra_repr(self):
        return super().extra_repr() + f", bucket={self.bucket_mode!r}"


class HashTable(_Bucketed):
    """The hashing trick: E[i] = U[b(i)], U (``weight``) m x d."""

    kind = "hash"

    def __init__(self, n, m, d, bucket="mod", weight=None):
        super().__init__()
        self.n, self.m, self.d = n, m, d
        self.weight = _given(weight, (m, d), lambda: _rows_init(n, m, d))
        self._set_buckets(bucket)

    def forward(self, items):
        return self.weight[self.buckets[items]]

    def score(self, u):  # factorised: T = u U^T (m per user), s_i = T[b_i]
        return (u @ self.weight.t())[:, self.buckets]

    def to_table(self, dtype="f32", scalar_dtype="f32"):
        return Table("hash", _np(self.weight), bucket=self._bucket_arg(), n=self.n, dtype=dtype)


class QRTable(ItemTable):
    """Quotient-remainder: E[i] = Q[i // m] * R[i mod m] (element-wise)."""

    kind = "qr"

    def __init__(self, n, m, d, q=None, r=None):
        super().__init__()
        self.n, self.m, self.d = n, m, d
        rows_q = -(-n // m)
        self.q = _given(q, (rows_q, d), lambda: 1.0 + 0.1 * torch.randn(rows_q, d))
        self.r = _given(r, (m, d), lambda: _rows_init(n, m, d))

    def forward(self, items):
        items = torch.as_tensor(items)
        return self.q[torch.div(items, self.m, rounding_mode="floor")] * self.r[items % self.m]

    def to_table(self, dtype="f32", scalar_dtype="f32"):
        return Table("qr", _np(self.q), rows_b=_np(self.r), n=self.n, dtype=dtype)


class MemcomTable(_Bucketed):
    """MEmCom: E[i] = w[i] * U[b(i)], U (``weight``) m x d and one scalar per
    item (``scalars``, starting at 1)."""

    kind = "memcom"

    def __init__(self, n, m, d, bucket="mod", weight=None, scalars=None):
        super().__init__()
        self.n, self.m, self.d = n, m, d
        self.weight = _given(weight, (m, d), lambda: _rows_init(n, m, d))
        self.scalars = _given(scalars, (n,), lambda: torch.ones(n))
        self._set_buckets(bucket)

    def forward(self, items):
        return self.scalars[items].unsqueeze(-1) * self.weight[self.buckets[items]]

    def score(self, u):  # factorised: T = u U^T (m per user), s_i = w_i T[b_i]
        return (u @ self.weight.t())[:, self.buckets] * self.scalars

    def to_table(self, dtype="f32", scalar_dtype="f32"):
        return Table("memcom", _np(self.weight), scalars=_np(self.scalars), bucket=self._bucket_arg(), n=self.n,
                     dtype=dtype, scalar_dtype=scalar_dtype)


_ACT = {"none": lambda x: x, "tanh": torch.tanh, "relu": torch.relu}


class Dense(nn.Module):
    """x -> act(W x + b); ``weight=False`` is the identity (in_dim == out_dim),
    ``bias=False`` adds nothing.  ``activation``: 'none', 'tanh' or 'relu'."""

    def __init__(self, in_dim, out_dim=None, activation="tanh", weight=True, bias=True):
        super().__init__()
        out_dim = in_dim if out_dim is None else out_dim
        if activation not in _ACT:
            raise _lib.arg_error(f"activation: must be one of {', '.join(map(repr, _ACT))}, got {activation!r}")
        if (weight is False or weight is None) and in_dim != out_dim:
            raise _lib.arg_error(f"Dense: the identity (weight=False) needs in_dim == out_dim, got {in_dim}, {out_dim}")
        self.in_dim, self.out_dim, self.activation = in_dim, out_dim, activation
        self.weight = _param(weight, (out_dim, in_dim), lambda: torch.randn(out_dim, in_dim)
                             * math.sqrt(2.0 / (in_dim + out_dim)))
        self.bias = _param(bias, (out_dim,), lambda: torch.zeros(out_dim))

    def forward(self, x):
        if self.weight is not None:
            x = x @ self.weight.t()
        if self.bias is not None:
            x = x + self.bias
        return _ACT[self.activation](x)

    def to_layer(self):
        return Layer(self.in_dim, self.out_dim, self.activation,
                     None if self.weight is None else _np(self.weight), None if self.bias is None else _np(self.bias))

    def extra_repr(self):
        return (f"{self.in_dim}, {self.out_dim}, activation={self.activation!r}, "
                f"weight={self.weight is not None}, bias={self.bias is not None}")


class MultiDAE(nn.Module):
    """The recommender memcom serves (docs/METHOD.md section 3): scores for
    every item from a multi-hot history (B x n, dense or sparse).

    ``layers`` defaults to the native trainer's: the identity with a bias and
    tanh, then ``hidden`` dense d x d tanh layers.  ``bias``: an output bias
    per item."""

    def __init__(self, input, output, layers=None, hidden=0, dropout=0.5, bias=True):
        super().__init__()
        if input.n != output.n:
            raise _lib.arg_error(f"MultiDAE: the input table has n = {input.n} items, the output table {output.n}")
        self.input, self.output = input, output
        if layers is None:
            if input.d != output.d:
                raise _lib.arg_error(f"MultiDAE: the default layers need input.d == output.d, got "
                                     f"{input.d}, {output.d} (pass layers=)")
            layers = [Dense(input.d, activation="tanh", weight=False)] + [Dense(input.d) for _ in range(hidden)]
        self.layers = nn.ModuleList(layers)
        dims = [input.d] + [L.out_dim for L in self.layers]
        for i, L in enumerate(self.layers):
            if L.in_dim != dims[i]:
                raise _lib.arg_error(f"MultiDAE: layers[{i}].in_dim is {L.in_dim}, expected {dims[i]}")
        if dims[-1] != output.d:
            raise _lib.arg_error(f"MultiDAE: the last layer gives {dims[-1]} values, the output table has d = {output.d}")
        self.bias = _param(bias, (output.n,), lambda: torch.zeros(output.n))
        self.dropout = dropout

    @property
    def n(self):
        return self.output.n

    def user_vector(self, x):
        """u for each history row of x (B x n): pooled input, then the layers."""
        u = self.input.pool(x, self.dropout if self.training else 0.0)
        for L in self.layers:
            u = L(u)
        return u

    def forward(self, x):
        """Scores of every item (B x n)."""
        s = self.output.score(self.user_vector(x))
        return s + self.bias if self.bias is not None else s

    def loss(self, x):
        """Multinomial log-likelihood of each history under the softmax of its
        scores, -sum_{i in H} log softmax(s)_i, averaged over the batch."""
        s = self(x)
        target = x.to_dense() if x.is_sparse else x
        return -(torch.log_softmax(s, 1) * (target != 0)).sum(1).mean()

    @torch.no_grad()
    def recommend(self, x, k=10, exclude_history=True):
        """The top k item indices per history row (B x k), best first, ties to
        the lower index, the history itself excluded unless told otherwise."""
        was = self.training
        self.eval()
        try:
            s = self(x)
        finally:
            self.train(was)
        if exclude_history:
            s = s.masked_fill((x.to_dense() if x.is_sparse else x) != 0, float("-inf"))
        return torch.sort(s, dim=1, descending=True, stable=True).indices[:, :k]


def multi_hot(histories, n, device=None):
    """A sparse B x n multi-hot matrix of histories (lists of item indices;
    duplicates count once)."""
    rows, cols = [], []
    for r, h in enumerate(histories):
        items = sorted({int(i) for i in h})
        if items and (items[0] < 0 or items[-1] >= n):
            raise _lib.MemcomError("index", f"histories[{r}]: item indices must be in 0..{n - 1}")
        rows.extend([r] * len(items))
        cols.extend(items)
    idx = torch.tensor([rows, cols], dtype=torch.long).reshape(2, -1)
    return torch.sparse_coo_tensor(idx, torch.ones(idx.shape[1]), (len(histories), n), device=device).coalesce()


def export(model, path, ids=None, dtype="f32", scalar_dtype="f32", bias_dtype="f32", metadata=None,
           overwrite=False, id_encoding="strings"):
    """Write a MultiDAE (a model file) or an ItemTable (a table file) to a
    .memcom file through memcom.write.  ``dtype``: storage of the rows ('f32',
    'f16', 'i8'); ``scalar_dtype``: memcom's per-item scalars ('f32', 'f16');
    ``bias_dtype``: the output bias ('f32', 'f16'); ``ids``: n item id
    strings (``id_encoding="compact"`` stores numeric ids compactly, as
    memcom.write).  An existing file is replaced only with ``overwrite=True``."""
    if isinstance(model, ItemTable):
        return write(path, model.to_table(dtype, scalar_dtype), ids=ids, metadata=metadata, overwrite=overwrite,
                     id_encoding=id_encoding)
    if not isinstance(model, MultiDAE):
        raise _lib.arg_error(f"export: model must be a memcom.torch.MultiDAE or ItemTable, got {type(model).__name__}")
    return write(path, model.output.to_table(dtype, scalar_dtype), input=model.input.to_table(dtype, scalar_dtype),
                 layers=[L.to_layer() for L in model.layers],
                 bias=None if model.bias is None else _np(model.bias), bias_dtype=bias_dtype, ids=ids,
                 metadata=metadata, overwrite=overwrite, id_encoding=id_encoding)


def table_module(t):
    """The module of a memcom.Table (its stored values as f32 parameters)."""
    if t.kind == "full":
        return FullTable(t.n, t.d, weight=t.float_rows())
    if t.kind == "qr":
        return QRTable(t.n, t.m, t.d, q=t.float_rows("a"), r=t.float_rows("b"))
    cls = HashTable if t.kind == "hash" else MemcomTable
    extra = {"scalars": np.asarray(t.scalars, np.float32)} if t.kind == "memcom" else {}
    return cls(t.n, t.m, t.d, bucket=t.bucket, weight=t.float_rows(), **extra)


def load(source, dropout=0.5):
    """A model file as a MultiDAE (or a table file as an ItemTable), e.g. to
    fine-tune it or to check it against the C library."""
    with Model(source) as m:
        out = table_module(m.output)
        if m.input is None:
            return out
        layers = [Dense(L.in_dim, L.out_dim, L.activation, _tensor(L.weight), _tensor(L.bias)) for L in m.layers]
        bias = m.bias
        return MultiDAE(table_module(m.input), out, layers=layers, dropout=dropout,
                        bias=False if bias is None else np.asarray(bias, np.float32))


def _param(v, shape, init):
    """An optional parameter: True (made by init), False/None (absent) or its values."""
    if v is False or v is None:
        return None
    return _given(None if v is True else v, shape, init)


def _given(v, shape, init):
    """A parameter of the given values (copied, f32; of this shape), or made by init when v is None."""
    if v is None:
        t = init()
    elif isinstance(v, torch.Tensor):
        t = v.detach().to(torch.float32).clone()
    else:
        t = torch.tensor(np.array(v, np.float32))
    if tuple(t.shape) != tuple(shape):
        raise _lib.arg_error(f"expected values of shape {tuple(shape)}, got {tuple(t.shape)}")
    return t if isinstance(t, nn.Parameter) else nn.Parameter(t)


def _tensor(a):
    return None if a is None else torch.tensor(np.asarray(a, np.float32))


def _np(t):
    return t.detach().cpu().numpy()
