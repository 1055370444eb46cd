"""memcom.compress (`memcom compress`): post-hoc compression of vectors and
models, checked on hand-made vectors whose compressed form is known."""
import numpy as np
import pytest

import memcom


def directions_table(n=400, d=16, k=5, seed=0):
    """Items 0..n-1 whose vectors are scalar multiples (either sign) of k directions."""
    rng = np.random.default_rng(seed)
    dirs = rng.normal(size=(k, d))
    which = rng.integers(0, k, n)
    scale = rng.uniform(0.5, 2.0, n) * rng.choice([-1, 1], n)
    return (scale[:, None] * dirs[which]).astype(np.float32), which


def test_vectors_on_few_directions_compress_exactly(tmp_path):
    v, which = directions_table()
    n, d = v.shape
    model = memcom.compress(v, 4, path=tmp_path / "c.memcom")
    t = model.output
    # METHOD.md section 1.4: memcom with 4 bytes per item: m = n (d/R - 1) / d; half the rows for popular items
    assert (t.kind, t.n, t.d, t.m) == ("memcom", n, d, n * (d // 4 - 1) // d)
    assert t.bucket_mode == "explicit" and t.scalar_dtype == "f16" and t.dtype == "f32"
    pop = round(0.5 * t.m)
    # the popular items own rows, exactly (w = 1)
    assert list(t.buckets[:pop]) == list(range(pop))
    assert np.array_equal(t.float_rows()[:pop], v[:pop]) and np.all(t.scalars[:pop] == 1)
    # every other item: w * U[b] reproduces it (w stored as f16: relative error < 2^-11)
    e = model.embeddings()
    err = np.linalg.norm(e - v, axis=1) / np.linalg.norm(v, axis=1)
    assert err.max() < 1e-3
    # items of one direction share rows only with their own direction
    for b in set(t.buckets[pop:]):
        assert len(set(which[pop:][t.buckets[pop:] == b])) == 1
    assert model.metadata["compressed_by"] == "memcom compress" and model.metadata["ratio"] == 4


def test_a_model_keeps_its_layers_bias_ids_and_ranks_close(tmp_path):
    v_in, _ = directions_table(seed=1)
    v_out, _ = directions_table(seed=2)
    rng = np.random.default_rng(3)
    n, d = v_in.shape
    ids = [f"item {i}" for i in range(n)]
    layers = [memcom.Layer(d, d, "tanh", None, rng.normal(size=d)), memcom.Layer(d, d, "tanh", rng.normal(size=(d, d)))]
    src = tmp_path / "full.memcom"
    memcom.write(src, memcom.Table("full", v_out), input=memcom.Table("full", v_in), layers=layers,
                 bias=rng.normal(size=n), bias_dtype="f16", ids=ids, metadata={"trained": "elsewhere"})
    full = memcom.open(src)
    small = memcom.compress(src, 8, dtype="f16")
    assert small.input.kind == small.output.kind == "memcom" and small.output.dtype == "f16"
    assert small.ids == ids and small.bias_dtype == "f16" and np.array_equal(small.bias, full.bias)
    assert small.metadata["source_metadata"] == {"trained": "elsewhere"}
    for a, b in zip(small.layers, full.layers):
        assert (a.weight is None) == (b.weight is None) and np.array_equal(a.bias, b.bias)
    # the compressed vectors are the originals up to f16 rounding, so the scores are close
    for h in ([1, 2, 3], [100, 200], list(range(50))):
        assert np.allclose(small.scores(h), full.scores(h), rtol=1e-2, atol=1e-2 * np.abs(full.scores(h)).max())


def test_errors(tmp_path):
    v, _ = directions_table()
    with pytest.raises(memcom.MemcomError) as e:
        memcom.compress(v, 16)  # R >= d: not possible with a scalar per item
    assert e.value.code == "compress" and "ratio" in e.value.detail
    with pytest.raises(memcom.MemcomError) as e:
        memcom.compress(np.ones(5), 2)
    assert e.value.code == "arg"
    keep = tmp_path / "mine.memcom"
    keep.write_bytes(b"mine")
    with pytest.raises(memcom.MemcomError) as e:
        memcom.compress(v, 4, path=keep)
    assert e.value.code == "io" and keep.read_bytes() == b"mine"
    bad = tmp_path / "bad.memcom"
    bad.write_bytes(b"not a model")
    with pytest.raises(memcom.MemcomError) as e:
        memcom.compress(bad, 4)
    assert "cannot open" in e.value.detail
