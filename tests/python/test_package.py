"""memcom (the Python package): writing every table kind, storage type and
bucket mode, reading it back as numpy views, inspecting, ranking, and the
errors, against reference.py (a plain numpy reading of docs/METHOD.md) and
hand-computed cases."""
import json
import os

import numpy as np
import pytest

import memcom
import reference as ref

ROWS = {"full": lambda n, m: n, "hash": lambda n, m: m, "qr": lambda n, m: -(-n // m), "memcom": lambda n, m: m}


def make_table(rng, kind, n, m, d, dtype="f32", bucket="mod", scalar_dtype="f32"):
    """A random memcom.Table and the arrays it was made of."""
    rows = rng.normal(size=(ROWS[kind](n, m), d)).astype(np.float32)
    arrays = {"rows": rows, "rows_b": None, "scalars": None, "b": None}
    kw = {}
    if kind == "qr":
        arrays["rows_b"] = kw["rows_b"] = rng.normal(size=(m, d)).astype(np.float32)
    if kind == "memcom":
        arrays["scalars"] = kw["scalars"] = rng.normal(size=n).astype(np.float32)
    if kind in ("hash", "memcom"):
        kw["bucket"] = bucket
        if isinstance(bucket, str):
            arrays["b"] = ref.buckets(kind, n, m, "mod")
        elif isinstance(bucket, tuple):
            arrays["b"] = ref.buckets(kind, n, m, "hash", bucket[1])
        else:
            arrays["b"] = np.asarray(bucket, np.int64)
    if kind == "memcom":
        kw["scalar_dtype"] = scalar_dtype
    n_arg = n if kind in ("hash", "qr") else None
    return memcom.Table(kind, rows, n=n_arg, dtype=dtype, **kw), arrays


def stored(x, dtype):
    """What a value becomes in storage type dtype (f32 exact, f16 rounded to nearest)."""
    return np.asarray(x, np.float32).astype(np.float16).astype(np.float64) if dtype == "f16" else \
        np.asarray(x, np.float64)


CASES = [(kind, dtype, bucket)
         for kind in ("full", "hash", "qr", "memcom")
         for dtype in ("f32", "f16", "i8")
         for bucket in (("mod", "hash", "u16", "u32") if kind in ("hash", "memcom") else ("none",))]


@pytest.mark.parametrize("kind,dtype,bucket", CASES)
def test_round_trip_every_kind_dtype_bucket(tmp_path, kind, dtype, bucket):
    rng = np.random.default_rng(hash((kind, dtype, bucket)) % 2 ** 32)
    n, m, d = 97, 12, 8
    barg = {"none": "mod", "mod": "mod", "hash": ("hash", 2 ** 40 + 123),
            "u16": rng.integers(0, m, n).astype(np.uint16), "u32": rng.integers(0, m, n).astype(np.uint32)}[bucket]
    scalar_dtype = "f16" if dtype == "f16" else "f32"
    t, a = make_table(rng, kind, n, m, d, dtype, barg, scalar_dtype)
    path = tmp_path / "t.memcom"
    memcom.write(path, t)
    model = memcom.open(path)
    r = model.output
    assert (r.kind, r.n, r.m, r.d, r.dtype) == (kind, n, m if kind != "full" else n, d, dtype)
    assert model.input is None and model.layers == []
    # the rows are views of the file's bytes, read-only, in their storage type
    assert r.rows.dtype == {"f32": np.float32, "f16": np.float16, "i8": np.int8}[dtype]
    assert np.shares_memory(r.rows, model._buf) and not r.rows.flags.writeable
    if dtype == "i8":  # x = scale[r] * q with |q| <= 127: each value within half a step of the original
        scale = np.abs(a["rows"]).max(1) / 127
        assert np.allclose(r.row_scales, scale, rtol=1e-6)
        assert np.all(np.abs(r.float_rows() - a["rows"]) <= scale[:, None] / 2 * (1 + 1e-5))
    else:
        assert np.array_equal(r.float_rows().astype(np.float64), stored(a["rows"], dtype))
    if kind == "qr" and dtype != "i8":
        assert np.array_equal(r.float_rows("b").astype(np.float64), stored(a["rows_b"], dtype))
    if kind == "memcom":
        assert r.scalar_dtype == scalar_dtype and np.shares_memory(r.scalars, model._buf)
        assert np.array_equal(r.scalars.astype(np.float64), stored(a["scalars"], scalar_dtype))
    if bucket in ("u16", "u32"):
        assert r.bucket_mode == "explicit" and r.buckets.dtype == {"u16": np.uint16, "u32": np.uint32}[bucket]
        assert np.array_equal(r.buckets, barg) and np.shares_memory(r.buckets, model._buf)
    elif bucket == "hash":
        assert r.bucket_mode == "hash" and r.hash_seed == 2 ** 40 + 123
    elif bucket == "mod":
        assert r.bucket_mode == "mod"
    # the reconstructed embeddings (memcom_lookup) against the formula, on the stored values
    b = a["b"]
    want = ref.embeddings(kind, n, m, r.float_rows(), r.float_rows("b") if kind == "qr" else None,
                          r.scalars if kind == "memcom" else None, b)
    assert np.allclose(model.embeddings(), want, rtol=1e-6, atol=1e-6)
    # a table read back writes the same file again
    assert memcom.to_bytes(r) == path.read_bytes()


def test_hash_bucket_matches_the_reference():
    for i, seed, m in [(0, 0, 7), (5, 1, 100), (123456, 2 ** 63 + 5, 65537), (2 ** 32 - 1, 2 ** 64 - 1, 3)]:
        assert memcom.hash_bucket(i, seed, m) == ref.hash_bucket(i, seed, m)


def random_model(rng, n=60, d=6, kinds=("full", "memcom"), dtype="f32", bias=True):
    t_in, a_in = make_table(rng, kinds[0], n, 9, d, dtype)
    t_out, a_out = make_table(rng, kinds[1], n, 9, 5, dtype)
    layers = [memcom.Layer(d, d, "tanh", None, rng.normal(size=d)),
              memcom.Layer(d, 7, "relu", rng.normal(size=(7, d)), None),
              memcom.Layer(7, 5, "none", rng.normal(size=(5, 7)), rng.normal(size=5))]
    b = rng.normal(size=n).astype(np.float32) if bias else None
    return dict(output=t_out, input=t_in, layers=layers, bias=b), a_in, a_out


def test_recommend_and_scores_match_the_reference():
    rng = np.random.default_rng(1)
    spec, a_in, a_out = random_model(rng)
    ids = [f"item-{i}" for i in range(60)]
    model = memcom.Model(memcom.to_bytes(**spec, ids=ids))
    e_in = ref.embeddings("full", 60, 9, a_in["rows"])
    e_out = ref.embeddings("memcom", 60, 9, a_out["rows"], None, a_out["scalars"], a_out["b"])
    layers = [(L.weight, L.bias, L.activation) for L in spec["layers"]]
    for hist in ([3, 17, 17, 40], [], [59], list(range(0, 60, 3))):
        want = ref.scores(e_in, e_out, layers, spec["bias"], hist)
        assert np.allclose(model.scores(hist), want, rtol=1e-5, atol=1e-5)
        assert np.allclose(model.user_vector(hist), ref.user_vector(e_in, layers, hist), rtol=1e-5, atol=1e-6)
        idx, sc = model.recommend(hist, k=7)
        assert list(idx) == ref.topk(want, 7, hist)
        assert np.allclose(sc, want[idx], rtol=1e-5, atol=1e-5)
        # by id, the same; and exclude=[] keeps the history
        assert list(model.recommend([ids[i] for i in hist], k=7)[0]) == list(idx)
        assert list(model.recommend(hist, k=7, exclude=[])[0]) == ref.topk(want, 7)
    # candidates only
    idx, _ = model.recommend([1], k=3, candidates=[5, 6, 7, 8])
    want = ref.scores(e_in, e_out, layers, spec["bias"], [1])
    assert list(idx) == ref.topk(np.where(np.isin(np.arange(60), [5, 6, 7, 8]), want, -np.inf), 3)
    # topk of a vector without the bias, and similar by cosine
    v = rng.normal(size=5)
    assert list(model.topk(v, k=4, use_bias=False)[0]) == ref.topk(e_out @ v, 4)
    # (memcom's items of one bucket share a direction: cosines of exactly 1 tie, so compare scores)
    cos = e_out @ e_out[10] / (np.linalg.norm(e_out, axis=1) * np.linalg.norm(e_out[10]))
    idx, sc = model.similar(ids[10], k=4)
    assert 10 not in idx and np.allclose(sc, cos[idx], atol=1e-5)
    assert np.allclose(sc, cos[ref.topk(cos, 4, [10])], atol=1e-5)


def test_recommend_with_popularity_matches_the_reference():
    """recommend(popularity=p) ranks by E_out . (u - l u0) + (1 - l) bias with
    l = (1 - p) min(1, 5 / |H|) (u0: the empty history's user vector; |H| distinct
    history items); the default is the metadata's serving.popularity."""
    rng = np.random.default_rng(4)
    spec, a_in, a_out = random_model(rng)
    model = memcom.Model(memcom.to_bytes(**spec, metadata={"serving": {"popularity": 0.3}}))
    plain = memcom.Model(memcom.to_bytes(**spec))
    e_in = ref.embeddings("full", 60, 9, a_in["rows"])
    e_out = ref.embeddings("memcom", 60, 9, a_out["rows"], None, a_out["scalars"], a_out["b"])
    layers = [(L.weight, L.bias, L.activation) for L in spec["layers"]]
    u0 = ref.user_vector(e_in, layers, [])
    assert model.default_popularity == 0.3 and plain.default_popularity == 1.0
    for hist in ([3, 17, 40], [59], list(range(0, 60, 5))):
        u = ref.user_vector(e_in, layers, hist)
        for p in (0.0, 0.3, 0.7, 1.0):
            lam = (1 - p) * min(1.0, 5 / len(set(hist)))
            want = e_out @ (u - lam * u0) + (1 - lam) * np.asarray(spec["bias"], np.float64)
            idx, sc = model.recommend(hist, k=6, popularity=p)
            assert list(idx) == ref.topk(want, 6, hist)
            assert np.allclose(sc, want[idx], rtol=1e-5, atol=1e-5)
        assert list(model.recommend(hist, k=6)[0]) == list(model.recommend(hist, k=6, popularity=0.3)[0])
        assert list(plain.recommend(hist, k=6)[0]) == ref.topk(ref.scores(e_in, e_out, layers, spec["bias"], hist), 6, hist)
    for bad in (-0.5, 1.2, float("nan"), "0.5", True):
        with pytest.raises(memcom.MemcomError, match="popularity must be a number"):
            model.recommend([1], popularity=bad)


def test_hand_computed_model():
    # E_in = E_out = [[1,0],[0,1],[1,1]], no layers, bias [0, 0.5, 0]:
    # history {0, 1}: u = (1,1)/sqrt(2); scores 0.7071, 1.2071, 1.4142
    rows = np.array([[1, 0], [0, 1], [1, 1]], np.float32)
    model = memcom.Model(memcom.to_bytes(memcom.Table("full", rows), input=memcom.Table("full", rows),
                                         bias=np.array([0, 0.5, 0], np.float32)))
    s = model.scores([0, 1, 1])
    assert np.allclose(s, [2 ** -0.5, 2 ** -0.5 + 0.5, 2 ** 0.5], rtol=1e-6)
    assert list(model.recommend([0, 1], k=5)[0]) == [2]
    assert list(model.recommend([0, 1], k=5, exclude=[])[0]) == [2, 1, 0]
    assert np.array_equal(model.scores([]), [0, 0.5, 0])


def test_layers_bias_ids_metadata_and_inspect(tmp_path):
    rng = np.random.default_rng(2)
    spec, _, _ = random_model(rng, dtype="f16")
    ids = [f"film {i} — é" for i in range(60)]
    path = tmp_path / "m.memcom"
    memcom.write(path, **spec, bias_dtype="f16", ids=ids, metadata={"dataset": "x", "epochs": 3})
    model = memcom.open(path)
    assert model.ids == ids and model.metadata == {"dataset": "x", "epochs": 3}
    assert model.bias_dtype == "f16" and np.array_equal(model.bias, spec["bias"].astype(np.float16))
    for got, want in zip(model.layers, spec["layers"]):
        assert (got.in_dim, got.out_dim, got.activation) == (want.in_dim, want.out_dim, want.activation)
        assert (got.weight is None) == (want.weight is None) and (got.bias is None) == (want.bias is None)
        if want.weight is not None:
            assert np.array_equal(got.weight, want.weight.astype(np.float32))
    info = memcom.inspect(path)
    assert info["n_items"] == 60 and info["input.kind"] == "full" and info["output.kind"] == "memcom"
    assert info["output.row_dtype"] == "f16" and info["has_ids"] == 1 and info["file_bytes"] == path.stat().st_size
    names = [s["name"] for s in info["sections"]]
    assert "ROWS_A" in names and "OUTPUT_BIAS" in names and "LAYER_WEIGHT" in names
    assert [L["activation"] for L in info["layers"]] == ["tanh", "relu", "none"]
    assert model.index("film 3 — é") == 3


def expect(code, fn, *args, **kw):
    with pytest.raises(memcom.MemcomError) as e:
        fn(*args, **kw)
    assert e.value.code == code, (e.value.code, e.value.detail)
    return e.value


def test_errors_carry_the_c_name_and_detail(tmp_path):
    rng = np.random.default_rng(3)
    t, _ = make_table(rng, "full", 10, 10, 4)
    data = memcom.to_bytes(t, ids=[str(i) for i in range(10)])
    e = expect("io", memcom.Model, tmp_path / "missing.memcom")
    assert "missing.memcom" in e.detail
    e = expect("truncated", memcom.Model, data[:300])
    assert "300" in e.detail
    bad = bytearray(data)
    bad[-5] ^= 0xFF
    expect("section_crc", memcom.Model, bytes(bad))
    expect("magic", memcom.Model, b"x" * len(data))
    model = memcom.Model(data)
    expect("unknown_id", model.index, "nope")
    expect("index", model.index, 10)
    expect("no_table", model.recommend, [1])  # a table file has no input table
    expect("k", model.topk, np.zeros(4), k=0)
    expect("dim", model.topk, np.zeros(3))
    expect("nonfinite_input", model.topk, np.array([0, np.nan, 0, 0]))
    # writer errors: from the C writer, with its detail
    e = expect("nonfinite_input", memcom.to_bytes, memcom.Table("full", np.array([[1.0, np.inf]])))
    assert "NaN or infinite" in e.detail
    expect("nonfinite_input", memcom.to_bytes, memcom.Table("full", np.array([[1e6, 0.0]]), dtype="f16"))
    expect("bucket_range", memcom.to_bytes, memcom.Table("hash", np.ones((3, 2)), bucket=np.array([0, 1, 3])))
    expect("ids_dup", memcom.to_bytes, t, ids=["a"] * 10)
    expect("layers", memcom.to_bytes, t, input=t, layers=[memcom.Layer(3, 4, weight=np.ones((4, 3)))])
    # argument errors the package checks before calling C
    expect("arg", memcom.Table, "dense", np.ones((2, 2)))
    expect("arg", memcom.Table, "hash", np.ones((2, 2)))  # n unknown
    expect("arg", memcom.Table, "memcom", np.ones((2, 2)), scalars=np.ones(5), bucket=np.zeros(4, np.int64))
    expect("arg", memcom.Table, "qr", np.ones((2, 2)), rows_b=np.ones((3, 2)), n=10)  # ceil(10/3) = 4 != 2
    expect("arg", memcom.to_bytes, memcom.Table("full", np.ones((2, 2)), dtype="f64"))
    expect("arg", memcom.to_bytes, t, bias=np.ones(3))
    expect("arg", memcom.to_bytes, t, ids=["a", "b"])
    # nothing is overwritten without being asked
    path = tmp_path / "keep.memcom"
    path.write_bytes(b"mine")
    e = expect("io", memcom.write, path, t)
    assert "exists" in e.detail and path.read_bytes() == b"mine"
    memcom.write(path, t, overwrite=True)
    assert memcom.open(path).n_items == 10
    assert not [p for p in os.listdir(tmp_path) if ".tmp-" in p]


def test_max_bytes_and_closed_model():
    t, _ = make_table(np.random.default_rng(4), "full", 10, 10, 4)
    data = memcom.to_bytes(t)
    expect("too_large", memcom.Model, data, max_bytes=len(data) - 1)
    model = memcom.Model(data)
    rows = model.output.rows
    model.close()
    expect("arg", model.topk, np.zeros(4))
    assert rows.shape == (10, 4)  # views stay valid: they hold the bytes


def test_metadata_must_be_an_object():
    t, _ = make_table(np.random.default_rng(5), "full", 4, 4, 2)
    expect("metadata", memcom.to_bytes, t, metadata="[1, 2]")
    expect("arg", memcom.to_bytes, t, metadata=[1, 2])
    assert memcom.Model(memcom.to_bytes(t, metadata=json.dumps({"a": [1]}))).metadata == {"a": [1]}


def test_numeric_ids_stored_compactly_on_request(tmp_path):
    # The same table with numeric ids, as strings (format 1.0) and compact (1.1):
    # same ids and lookups, a smaller file; ids that are not canonical numbers stay strings.
    rng = np.random.default_rng(7)
    t, _ = make_table(rng, "full", 500, 500, 8)
    ids = [str(1000 + 3 * i) for i in range(500)]
    a, b, c = tmp_path / "s.memcom", tmp_path / "c.memcom", tmp_path / "z.memcom"
    memcom.write(a, t, ids=ids)
    memcom.write(b, t, ids=ids, id_encoding="compact")
    memcom.write(c, t, ids=["0" + s for s in ids], id_encoding="compact")
    sa, sb, sc = memcom.inspect(a), memcom.inspect(b), memcom.inspect(c)
    assert (sa["format_minor"], sb["format_minor"], sc["format_minor"]) == (0, 1, 0)
    assert "ID_RUNS" in [s["name"] for s in sb["sections"]] and "ID_RUNS" not in [s["name"] for s in sc["sections"]]
    assert b.stat().st_size < a.stat().st_size - 4000
    mb = memcom.open(b)
    assert mb.ids == ids and mb.index("1300") == 100
    expect("arg", memcom.write, tmp_path / "x.memcom", t, ids=ids, id_encoding="numbers")
