"""Model: a .memcom file opened by the C reader (memcom_open), with its
stored values as numpy views of the file's bytes (located through the
validated section directory, memcom_get_section) and ranking through the C
engine (memcom_recommend, memcom_score_vector, ...)."""
import ctypes
import json
import os

import numpy as np

from ._lib import MemcomError, Struct, arg_error, check, detail_buffer, enum_name, lib
from .tables import Layer, Table

_ALIGN = 64  # memcom_open borrows a 64-byte aligned buffer (and copies any other)
_NP = {"f32": np.float32, "f16": np.float16, "i8": np.int8, "u16": np.uint16, "u32": np.uint32}
_ROLES = ("input", "output")  # memcom_which: MEMCOM_INPUT = 0, MEMCOM_OUTPUT = 1


def _aligned_bytes(data):
    raw = np.empty(len(data) + _ALIGN, np.uint8)
    start = (-raw.ctypes.data) % _ALIGN
    buf = raw[start:start + len(data)]
    buf[:] = np.frombuffer(data, np.uint8)
    return buf


def _u32(a, field, n_items=None):
    a = np.asarray(a)
    if a.ndim != 1 or (a.size and a.dtype.kind not in "iu"):
        raise arg_error(f"{field}: must be a 1-D array of item indices, got shape {a.shape} and dtype {a.dtype}")
    if a.size and (a.min() < 0 or a.max() >= 2 ** 32):
        raise arg_error(f"{field}: item indices must be in 0..2^32-1")
    return np.ascontiguousarray(a, dtype=np.uint32)


class Model:
    """A model file, validated by the C reader.

    ``source`` is a path or the file's bytes.  ``max_bytes`` refuses larger
    files (0: no limit beyond 4 GiB).  Histories and items are item indices
    (ints) or id strings of a model that stores ids.
    """

    def __init__(self, source, max_bytes=0):
        if isinstance(source, (bytes, bytearray, memoryview)):
            data = bytes(source)
        else:
            path = os.fspath(source)
            try:
                with open(path, "rb") as f:
                    data = f.read()
            except OSError as e:
                raise MemcomError("io", f"cannot read {path}: {e.strerror}") from None
        self._buf = _aligned_bytes(data)
        self._buf.flags.writeable = False
        self._h = ctypes.c_void_p()
        detail = detail_buffer()
        rc = lib.memcom_open(ctypes.byref(self._h), self._buf.ctypes.data, len(data), 0, max_bytes, detail,
                             len(detail))
        check(rc, detail)
        info = Struct("info")
        check(lib.memcom_get_info(self._h, info.ptr))
        self._info = info.to_dict()
        self.n_items = self._info["n_items"]
        self.d = self._info["user_dim"]
        self._sections = self._read_sections()
        self.input = self._table(0) if self._info["input.kind"] else None
        self.output = self._table(1)
        self.layers = [self._layer(i) for i in range(self._info["n_layers"])]
        self.head = [self._layer(i, head=True) for i in range(self._info["n_head_layers"])]  # a ranker's (format 1.2)

    # ---- lifetime ----
    def close(self):
        h = getattr(self, "_h", None)
        if h and lib is not None:  # (lib is None at interpreter exit)
            lib.memcom_close(h)
            self._h = ctypes.c_void_p()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        self.close()

    def _handle(self):
        if not self._h:
            raise MemcomError("arg", "the model is closed")
        return self._h

    # ---- what the file holds ----
    def _read_sections(self):
        out = []
        s = Struct("section_info")
        for i in range(lib.memcom_section_count(self._h)):
            check(lib.memcom_get_section(self._h, i, s.ptr))
            rec = s.to_dict()
            rec["name"] = ctypes.string_at(rec["name"]).decode()
            rec["dtype"] = enum_name("dtype", rec["dtype"])
            out.append(rec)
        return out

    @property
    def sections(self):
        """The section directory: dicts of type, name, index, offset, size, dtype, crc32."""
        return [dict(s) for s in self._sections]

    def _view(self, name, index, shape=None):
        """A read-only view of a stored section (None when the file has none)."""
        for s in self._sections:
            if s["name"] == name and s["index"] == index:
                dt = _NP[s["dtype"]]
                a = self._buf[s["offset"]:s["offset"] + s["size"]].view(dt)
                return a.reshape(shape) if shape else a
        return None

    def _table(self, role):
        r = _ROLES[role]
        I = self._info
        kind, n, m, d = (enum_name("kind", I[f"{r}.kind"]), I[f"{r}.n"], I[f"{r}.m"], I[f"{r}.d"])
        rows_a = -(-n // m) if kind == "qr" else (m if kind != "full" else n)
        mode = enum_name("bucket_mode", I[f"{r}.bucket_mode"])
        bucket = {"mod": "mod", "hash": ("hash", I[f"{r}.hash_seed"])}.get(mode)
        if mode == "explicit":
            bucket = self._view("BUCKETS", role)
        return Table(kind, self._view("ROWS_A", role, (rows_a, d)), rows_b=self._view("ROWS_B", role, (m, d)),
                     scalars=self._view("ITEM_SCALARS", role), bucket=bucket if bucket is not None else "mod",
                     n=n, dtype=enum_name("dtype", I[f"{r}.row_dtype"]),
                     scalar_dtype=enum_name("dtype", I[f"{r}.scalar_dtype"]) if kind == "memcom" else "f32",
                     row_scales=self._view("SCALES_A", role), rows_b_scales=self._view("SCALES_B", role))

    def _layer(self, i, head=False):
        s = Struct("layer_info")
        check((lib.memcom_get_head_layer if head else lib.memcom_get_layer)(self._h, i, s.ptr))
        L = s.to_dict()
        sec = "HEAD" if head else "LAYER"
        w = self._view(f"{sec}_WEIGHT", i, (L["out_dim"], L["in_dim"])) if L["has_weight"] else None
        b = self._view(f"{sec}_BIAS", i) if L["has_bias"] else None
        return Layer(L["in_dim"], L["out_dim"], enum_name("activation", L["activation"]), w, b)

    @property
    def bias(self):
        """The output bias as stored (a view; f32 or f16), or None."""
        return self._view("OUTPUT_BIAS", 0)

    @property
    def bias_dtype(self):
        return enum_name("dtype", self._info["bias_dtype"])

    @property
    def metadata(self):
        """The metadata JSON object as a dict (None when the file has none)."""
        n = ctypes.c_size_t()
        p = lib.memcom_metadata(self._handle(), ctypes.byref(n))
        return json.loads(ctypes.string_at(p, n.value).decode()) if p and n.value else None

    @property
    def ids(self):
        """The item id strings (None when the file stores none)."""
        if not self._info["has_ids"]:
            return None
        p, n = ctypes.c_void_p(), ctypes.c_size_t()
        out = []
        for i in range(self.n_items):
            check(lib.memcom_get_id(self._h, i, ctypes.byref(p), ctypes.byref(n)))
            out.append(ctypes.string_at(p, n.value).decode())
        return out

    def info(self):
        """The summary memcom_get_info reports (docs/FORMAT.md), with names for kinds and storage types."""
        out = {}
        for key, v in self._info.items():
            field = key.rsplit(".", 1)[-1]
            if field == "kind":
                v = enum_name("kind", v)
            elif field.endswith("dtype"):
                v = enum_name("dtype", v)
            elif field == "bucket_mode":
                v = enum_name("bucket_mode", v)
            out[key] = v
        out["kernel"] = lib.memcom_kernel_name().decode()
        return out

    # ---- items ----
    def index(self, item):
        """The index of an item given by index or id string."""
        if isinstance(item, str):
            b = item.encode("utf-8")
            out = ctypes.c_uint32()
            detail = f"id {item!r}"
            rc = lib.memcom_find_id(self._handle(), b, len(b), ctypes.byref(out))
            check(rc, what=detail)
            return out.value
        if isinstance(item, (bool, float)) or not isinstance(item, (int, np.integer)):
            raise arg_error(f"an item is an index (int) or an id (str), got {item!r}")
        if not 0 <= int(item) < self.n_items:
            raise MemcomError("index", f"item index {int(item)} is not in 0..{self.n_items - 1}")
        return int(item)

    def _items(self, items, field):
        if items is None:
            return None
        if isinstance(items, np.ndarray):
            return _u32(items, field)
        return np.array([self.index(i) for i in items], np.uint32)

    def embeddings(self, which="output"):
        """The reconstructed item embeddings of a table, (n, d) f32 (memcom_lookup per item)."""
        if which not in _ROLES:
            raise arg_error(f"which: must be 'input' or 'output', got {which!r}")
        t = self.output if which == "output" else self.input
        if t is None:
            raise MemcomError("no_table", "the model has no input table")
        out = np.empty((self.n_items, t.d), np.float32)
        role, h, base, stride = _ROLES.index(which), self._handle(), out.ctypes.data, t.d * 4
        for i in range(self.n_items):
            check(lib.memcom_lookup(h, role, i, base + i * stride))
        return out

    # ---- serving (docs/METHOD.md section 3) ----
    def user_vector(self, history):
        """The user vector of a history (distinct items count once; may be empty)."""
        hist = self._items(history, "history")
        out = np.empty(self.d, np.float32)
        check(lib.memcom_user_vector(self._handle(), _ptr(hist), len(hist), out.ctypes.data))
        return out

    def scores(self, history=None, vector=None):
        """Every item's score, E_out[i] . u + bias[i], for a history or a user vector."""
        if (history is None) == (vector is None):
            raise arg_error("scores: pass either a history or a vector")
        vec = self.user_vector(history) if history is not None else np.ascontiguousarray(vector, np.float32)
        out = np.empty(self.n_items, np.float32)
        check(lib.memcom_score_vector(self._handle(), vec.ctypes.data, len(vec), out.ctypes.data))
        return out

    def _ranked(self, call, k, exclude, candidates, **flags):
        """Fill a memcom_topk_opts (by the layout the library reports) and rank through `call`."""
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise MemcomError("k", f"k must be a positive integer, got {k!r}")
        o = Struct("topk_opts")
        excl, cand = self._items(exclude, "exclude"), self._items(candidates, "candidates")
        o["k"] = int(k)
        for name, a in (("exclude", excl), ("candidates", cand)):
            o[name] = _ptr(a) or 0
            o[f"n_{name}"] = 0 if a is None else len(a)
        for name, v in flags.items():
            o[name] = v
        cap = min(int(k), self.n_items)
        idx, score, n = np.empty(cap, np.uint32), np.empty(cap, np.float32), ctypes.c_size_t()
        check(call(o.ptr, idx.ctypes.data, score.ctypes.data, ctypes.byref(n)))
        return idx[:n.value].astype(np.int64), score[:n.value]

    @property
    def default_popularity(self):
        """The popularity recommend uses by default: the value the trainer chose on
        validation data (metadata serving.popularity), else 1 (as trained)."""
        s = (self.metadata or {}).get("serving")
        p = s.get("popularity") if isinstance(s, dict) else None
        return float(p) if isinstance(p, (int, float)) and not isinstance(p, bool) and 0 <= p <= 1 else 1.0

    def recommend(self, history, k=10, exclude=None, candidates=None, popularity=None, rerank_depth=None):
        """The top k items for a history: (indices, scores), best first, ties to
        the lower index.  ``exclude`` defaults to the history itself.
        ``popularity`` in [0, 1] ranks by E_out . (u - l u0) + (1 - l) bias with
        l = (1 - p) min(1, 5 / |H|) (u0: the empty history's user vector, |H| the
        distinct history items; 1: as trained); default ``default_popularity``
        (1 with ``rerank_depth``).  A ranker (``self.head``) ranks by its own score
        s_i (head included), with popularity by s_i(u) - l s_i(u0); with
        ``rerank_depth`` R it ranks two-stage (the exact top max(R, k) by the
        factorised score, re-ranked by the head), popularity 1 only."""
        if popularity is None:
            popularity = 1.0 if rerank_depth is not None else self.default_popularity
        if isinstance(popularity, bool) or not isinstance(popularity, (int, float)) or not 0 <= popularity <= 1:
            raise MemcomError("arg", f"popularity must be a number in [0, 1], got {popularity!r}")
        if popularity != 1 and rerank_depth is not None:
            raise arg_error(f"popularity ({popularity}) applies to one-stage ranking, not with rerank_depth")
        hist = self._items(history, "history")
        if exclude is None:
            exclude = hist
        p = float(popularity)
        if rerank_depth is not None:
            if isinstance(rerank_depth, bool) or not isinstance(rerank_depth, (int, np.integer)) or rerank_depth < 1:
                raise arg_error(f"rerank_depth must be a positive integer, got {rerank_depth!r}")
            call = lambda o, i, s, n: lib.memcom_recommend_two_stage(self._handle(), _ptr(hist), len(hist), o,
                                                                      int(rerank_depth), i, s, n)
        elif p == 1:
            call = lambda o, i, s, n: lib.memcom_recommend(self._handle(), _ptr(hist), len(hist), o, i, s, n)
        else:
            call = lambda o, i, s, n: lib.memcom_recommend_popularity(self._handle(), _ptr(hist), len(hist), p,
                                                                      o, i, s, n)
        return self._ranked(call, k, exclude, candidates)

    def rerank(self, history, candidates, k=None):
        """The candidates ordered for a history by a ranker's score (by the
        factorised score without a head): (indices, scores), the top k (default
        all of them; duplicates count once), nothing excluded."""
        hist = self._items(history, "history")
        cand = self._items(candidates, "candidates")
        if cand is None or len(cand) == 0:
            return np.empty(0, np.int64), np.empty(0, np.float32)
        k = len(cand) if k is None else k
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise MemcomError("k", f"k must be a positive integer, got {k!r}")
        cap = min(int(k), len(cand))
        idx, score, n = np.empty(cap, np.uint32), np.empty(cap, np.float32), ctypes.c_size_t()
        check(lib.memcom_rerank(self._handle(), _ptr(hist), len(hist), _ptr(cand), len(cand), cap, idx.ctypes.data,
                                score.ctypes.data, ctypes.byref(n)))
        return idx[:n.value].astype(np.int64), score[:n.value]

    def topk(self, vector, k=10, exclude=None, candidates=None, use_bias=True):
        """The top k items for a user vector: (indices, scores)."""
        vec = np.ascontiguousarray(vector, np.float32)
        return self._ranked(lambda o, i, s, n: lib.memcom_topk_vector(self._handle(), vec.ctypes.data, len(vec),
                                                                      o, i, s, n),
                            k, exclude, candidates, use_bias=1 if use_bias else 0)

    def similar(self, item, k=10, exclude=None, candidates=None):
        """The k items nearest to an item by cosine of output embeddings: (indices, scores)."""
        i = self.index(item)
        return self._ranked(lambda o, ix, s, n: lib.memcom_similar(self._handle(), i, o, ix, s, n),
                            k, exclude, candidates)

    def __repr__(self):
        inp = f"input={self.input!r}, " if self.input is not None else ""
        return f"Model({inp}output={self.output!r}, layers={len(self.layers)})"


def _ptr(a):
    return a.ctypes.data if a is not None and len(a) else None


def inspect(source):
    """The summary of a model file, with its sections (what `memcom inspect` shows)."""
    with Model(source) as m:
        out = m.info()
        out["sections"] = m.sections
        out["layers"] = [vars(L) | {"weight": L.weight is not None, "bias": L.bias is not None} for L in m.layers]
        return out
