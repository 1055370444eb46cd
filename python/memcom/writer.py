"""Writing a model file through the C writer (memcom_write_memory /
memcom_write_file, reached through the builder of src/wasm/writer.c): this
module only checks what the C side cannot (array lengths, types) and hands
over f32 arrays; the writer validates, quantises and serialises."""
import ctypes
import json
import os

import numpy as np

from ._lib import MemcomError, arg_error, check, detail_buffer, enum_value, lib
from .tables import Layer, Table


def _f32(a):
    return np.ascontiguousarray(a, dtype=np.float32)


def _ptr(a):
    return None if a is None else a.ctypes.data


class _Builder:
    """One mcw_ builder; keeps every array it was given alive until it is freed."""

    def __init__(self, n_layers):
        self.h = lib.mcw_new(n_layers)
        if not self.h:
            raise MemcomError("nomem", "cannot allocate the writer's builder")
        self.keep = []

    def hold(self, a):
        if a is not None:
            self.keep.append(a)
        return _ptr(a)

    def table(self, role, t, field):
        if not isinstance(t, Table):
            raise arg_error(f"{field}: must be a memcom.Table, got {type(t).__name__}")
        kind = enum_value("kind", t.kind, f"{field}.kind")
        dtype = enum_value("dtype", t.dtype, f"{field}.dtype")
        scalar_dtype = enum_value("dtype", t.scalar_dtype, f"{field}.scalar_dtype") if t.kind == "memcom" else 0
        mode = enum_value("bucket_mode", t.bucket_mode, f"{field}.bucket") if t.bucket_mode != "none" else 0
        buckets, bucket_dtype = None, 0
        if t.bucket_mode == "explicit":
            b = t.buckets
            if b.size and (b.min() < 0 or b.max() >= 2 ** 32):
                raise arg_error(f"{field}.bucket: bucket indices must be in 0..2^32-1")
            wide = b.dtype == np.uint32 or (b.dtype != np.uint16 and t.m > 65536)
            bucket_dtype = enum_value("dtype", "u32" if wide else "u16", f"{field}.bucket")
            buckets = np.ascontiguousarray(b, dtype=np.uint32)  # the writer takes u32 and stores bucket_dtype
        rows_a = _f32(t.float_rows("a"))
        rows_b = _f32(t.float_rows("b")) if t.kind == "qr" else None
        scalars = _f32(t.scalars) if t.kind == "memcom" else None
        seed = t.hash_seed
        rc = lib.mcw_table(self.h, role, kind, t.n, t.m, t.d, dtype, scalar_dtype, mode, bucket_dtype,
                           seed & 0xFFFFFFFF, seed >> 32, self.hold(rows_a), self.hold(rows_b),
                           self.hold(scalars), self.hold(buckets))
        check(rc)

    def free(self):
        lib.mcw_free(self.h)
        self.h = None


def _build(output, input, layers, bias, bias_dtype, ids, metadata, id_encoding="strings", head=()):
    layers, head = list(layers or []), list(head or [])
    if layers and input is None:
        raise arg_error("layers: a model without an input table (a table file) has no layers")
    if head and input is None:
        raise arg_error("head: a model without an input table (a table file) has no head")
    b = _Builder(len(layers))
    try:
        if input is not None:
            b.table(0, input, "input")
        b.table(1, output, "output")
        if head:
            check(lib.mcw_head(b.h, len(head)))
        for field, stack, setter in (("layers", layers, lib.mcw_layer), ("head", head, lib.mcw_head_layer)):
            for i, L in enumerate(stack):
                if not isinstance(L, Layer):
                    raise arg_error(f"{field}[{i}]: must be a memcom.Layer, got {type(L).__name__}")
                act = enum_value("activation", L.activation, f"{field}[{i}].activation", allow_none=True)
                w = None if L.weight is None else _f32(L.weight)
                bb = None if L.bias is None else _f32(L.bias)
                check(setter(b.h, i, L.in_dim, L.out_dim, act, b.hold(w), b.hold(bb)))
        if bias is not None:
            bias = _f32(bias)
            if bias.ndim != 1 or len(bias) != output.n:
                raise arg_error(f"bias: must have n = {output.n} values, got shape {bias.shape}")
            lib.mcw_bias(b.h, b.hold(bias), enum_value("dtype", bias_dtype, "bias_dtype"))
        if ids is not None:
            ids = list(ids)
            if len(ids) != output.n:
                raise arg_error(f"ids: must have n = {output.n} strings, got {len(ids)}")
            parts = []
            for i, s in enumerate(ids):
                if not isinstance(s, str) or not s:
                    raise arg_error(f"ids[{i}]: must be a non-empty string, got {s!r}")
                try:
                    parts.append(s.encode("utf-8") + b"\0")
                except UnicodeEncodeError as e:
                    raise arg_error(f"ids[{i}]: {s!r} is not encodable as UTF-8 ({e.reason})") from None
            offsets = np.zeros(len(parts) + 1, np.uint32)
            lengths = np.fromiter((len(p) for p in parts), np.uint64, len(parts))
            if lengths.sum() >= 2 ** 32:
                raise arg_error("ids: the ids take more than 4 GiB of UTF-8")
            offsets[1:] = np.cumsum(lengths)
            text = np.frombuffer(b"".join(parts), np.uint8) if parts else np.zeros(1, np.uint8)
            encoding = enum_value("id_encoding", id_encoding, "id_encoding")
            check(lib.mcw_ids(b.h, b.hold(text), b.hold(offsets), encoding))
        if metadata is not None:
            if not isinstance(metadata, (str, dict)):
                raise arg_error(f"metadata: must be a dict or JSON text of an object, got {type(metadata).__name__}")
            text = metadata if isinstance(metadata, str) else json.dumps(metadata)
            data = ctypes.create_string_buffer(text.encode("utf-8"))
            b.keep.append(data)
            lib.mcw_metadata(b.h, ctypes.addressof(data))
        return b
    except BaseException:
        b.free()
        raise


def to_bytes(output, input=None, layers=(), bias=None, bias_dtype="f32", ids=None, metadata=None,
             id_encoding="strings", head=()):
    """The bytes of a .memcom file (see ``write`` for the arguments)."""
    b = _build(output, input, layers, bias, bias_dtype, ids, metadata, id_encoding, head)
    try:
        out, size, detail = ctypes.c_void_p(), ctypes.c_size_t(), detail_buffer()
        check(lib.mcw_write(b.h, ctypes.byref(out), ctypes.byref(size), detail, len(detail)), detail)
        try:
            return ctypes.string_at(out, size.value)
        finally:
            lib.memcom_free(out)
    finally:
        b.free()


def write(path, output, input=None, layers=(), bias=None, bias_dtype="f32", ids=None, metadata=None,
          overwrite=False, id_encoding="strings", head=()):
    """Write a .memcom file atomically (a temporary file renamed over ``path``).

    ``output`` (required) and ``input`` are memcom.Table; without ``input`` the
    file is a table file.  ``layers`` is a list of memcom.Layer from the input
    table's d to the output table's d; ``bias`` the output bias (n values,
    stored as ``bias_dtype``); ``ids`` n distinct non-empty strings, stored
    as strings or, with ``id_encoding="compact"`` and every id a canonical
    decimal number, as compact numeric ids (format 1.1, docs/FORMAT.md);
    ``metadata`` a dict (or JSON text of an object); ``head`` a ranker's head
    (format 1.2): memcom.Layer from 3 x the output table's d to 1, the last
    with activation "none".  An existing file is replaced only with
    ``overwrite=True``."""
    path = os.fspath(path)
    if os.path.exists(path) and not overwrite:
        raise MemcomError("io", f"{path} exists (pass overwrite=True to replace it)")
    b = _build(output, input, layers, bias, bias_dtype, ids, metadata, id_encoding, head)
    try:
        detail = detail_buffer()
        check(lib.mcw_write_file(b.h, path.encode(), detail, len(detail)), detail)
    finally:
        b.free()
