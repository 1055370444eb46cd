"""memcom.torch: the item table modules and MultiDAE against the C library
(forward within 1e-5 relative, identical top-k from memcom_recommend) and
against hand-computed cases; export and load."""
import numpy as np
import pytest
import torch

import memcom
import memcom.torch as mt
import reference as ref

N, D = 211, 12


def table(kind, n=N, d=D, bucket="mod", seed=0):
    g = torch.Generator().manual_seed(seed)
    if kind == "full":
        t = mt.FullTable(n, d)
    elif kind == "hash":
        t = mt.HashTable(n, 23, d, bucket=bucket)
    elif kind == "qr":
        t = mt.QRTable(n, 17, d)
    else:
        t = mt.MemcomTable(n, 23, d, bucket=bucket)
    with torch.no_grad():  # random values of some size, not the small initial ones
        for p in t.parameters():
            p.copy_(torch.randn(p.shape, generator=g))
    return t


BUCKETS = {"mod": "mod", "hash": ("hash", 99), "explicit": np.random.default_rng(0).integers(0, 23, N)}
PAIRS = [(a, b, bk) for a in ("full", "hash", "qr", "memcom") for b in ("full", "hash", "qr", "memcom")
         for bk in (("mod", "hash", "explicit") if "hash" in (a, b) or "memcom" in (a, b) else ("mod",))]

HISTORIES = [[0], [5, 9, 9, 100], [], list(range(0, N, 7)), [N - 1, 3, 50, 51, 52], list(range(40))]


def random_dae(kind_in, kind_out, bucket, hidden=2, seed=1):
    model = mt.MultiDAE(table(kind_in, bucket=BUCKETS[bucket], seed=seed),
                        table(kind_out, bucket=BUCKETS[bucket], seed=seed + 1), hidden=hidden)
    g = torch.Generator().manual_seed(seed + 2)
    with torch.no_grad():
        model.bias.copy_(torch.randn(N, generator=g))
        for L in model.layers:
            L.bias.copy_(torch.randn(L.bias.shape, generator=g) * 0.5)
            if L.weight is not None:
                L.weight.copy_(torch.randn(L.weight.shape, generator=g) * 0.5)
    return model.eval()


def close(torch_scores, c_scores):
    """Within 1e-5 relative (with an absolute floor of 1e-5 of the scores' scale for values near 0)."""
    c = np.asarray(c_scores, np.float64)
    return np.allclose(np.asarray(torch_scores, np.float64), c, rtol=1e-5, atol=1e-5 * np.abs(c).max())


@pytest.mark.parametrize("kind_in,kind_out,bucket", PAIRS)
def test_forward_and_topk_match_the_c_library(tmp_path, kind_in, kind_out, bucket):
    model = random_dae(kind_in, kind_out, bucket)
    path = tmp_path / "m.memcom"
    mt.export(model, path)
    c = memcom.open(path)
    assert (c.input.kind, c.output.kind) == (kind_in, kind_out)
    x = mt.multi_hot(HISTORIES, N)
    s = model(x).detach().numpy()
    top = model.recommend(x, k=10).numpy()
    for r, h in enumerate(HISTORIES):
        assert close(s[r], c.scores(h))
        idx, _ = c.recommend(h, k=10)
        assert list(top[r]) == list(idx), (r, h)


@pytest.mark.parametrize("dtype", ["f16", "i8"])
@pytest.mark.parametrize("kind", ["full", "hash", "qr", "memcom"])
def test_loaded_quantised_model_matches_the_c_library(tmp_path, kind, dtype):
    """A model stored in f16 or i8, loaded back into PyTorch (load): the same forward as the C core."""
    path = tmp_path / "q.memcom"
    mt.export(random_dae(kind, kind, "explicit"), path, dtype=dtype, scalar_dtype="f16", bias_dtype="f16")
    model = mt.load(path).eval()
    c = memcom.open(path)
    x = mt.multi_hot(HISTORIES, N)
    s = model(x).detach().numpy()
    top = model.recommend(x, k=10).numpy()
    for r, h in enumerate(HISTORIES):
        assert close(s[r], c.scores(h))
        assert list(top[r]) == list(c.recommend(h, k=10)[0])


def test_tables_compute_the_kinds_by_hand():
    # hash, m = 2, mod: items 0, 2 -> U[0], item 1 -> U[1]
    h = mt.HashTable(3, 2, 2, weight=[[1.0, 2.0], [3.0, 4.0]])
    assert h(torch.tensor([0, 1, 2])).tolist() == [[1, 2], [3, 4], [1, 2]]
    # memcom: w[i] * U[b(i)], explicit buckets [1, 1, 0]
    m = mt.MemcomTable(3, 2, 2, bucket=[1, 1, 0], weight=[[1.0, 2.0], [3.0, 4.0]], scalars=[2.0, -1.0, 0.5])
    assert m(torch.tensor([0, 1, 2])).tolist() == [[6, 8], [-3, -4], [0.5, 1]]
    # qr, m = 2: Q[i // 2] * R[i % 2]
    q = mt.QRTable(3, 2, 2, q=[[1.0, 2.0], [3.0, 4.0]], r=[[10.0, 20.0], [30.0, 40.0]])
    assert q(torch.tensor([0, 1, 2])).tolist() == [[10, 40], [30, 80], [30, 80]]
    # the hash bucket mode, as memcom_hash_bucket and the reference
    t = mt.HashTable(50, 7, 2, bucket=("hash", 5))
    assert t.buckets.tolist() == [ref.hash_bucket(i, 5, 7) for i in range(50)]
    # bag pooling: distinct items, divided by sqrt(|H|); dense and sparse alike; empty -> 0
    f = mt.FullTable(3, 2, weight=[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    dense = torch.tensor([[1.0, 1.0, 0.0], [0, 0, 0], [0, 0, 3.0]])
    want = [[2 ** -0.5, 2 ** -0.5], [0, 0], [1, 1]]
    assert np.allclose(f.pool(dense).tolist(), want)
    assert np.allclose(f.pool(mt.multi_hot([[0, 1, 1], [], [2]], 3)).tolist(), want)


def test_factorised_scoring_equals_the_materialised_table():
    for kind in ("hash", "memcom"):
        t = table(kind, bucket=BUCKETS["explicit"])
        u = torch.randn(4, D, dtype=torch.float32)
        assert torch.allclose(t.score(u), u @ t.embeddings().t(), rtol=1e-5, atol=1e-5)


def test_training_lowers_the_loss_and_dropout_is_training_only():
    torch.manual_seed(0)
    model = mt.MultiDAE(mt.FullTable(N, D), mt.MemcomTable(N, 23, D), hidden=1, dropout=0.5)
    rng = np.random.default_rng(0)
    x = mt.multi_hot([rng.choice(50, 8, replace=False) for _ in range(64)], N)  # users like items 0..49
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    first = model.loss(x).item()
    for _ in range(30):
        opt.zero_grad()
        model.loss(x).backward()
        opt.step()
    model.eval()
    assert model.loss(x).item() < first * 0.8
    assert torch.equal(model(x), model(x))  # no dropout in eval mode
    model.train()
    torch.manual_seed(1)
    assert not torch.equal(model(x), model(x))


def test_export_ids_dtype_table_file_and_no_overwrite(tmp_path):
    model = random_dae("full", "memcom", "mod")
    ids = [f"m{i}" for i in range(N)]
    path = tmp_path / "m.memcom"
    mt.export(model, path, ids=ids, dtype="f16", scalar_dtype="f16", metadata={"trained": "pytorch"})
    c = memcom.open(path)
    assert c.ids == ids and c.metadata == {"trained": "pytorch"}
    assert c.output.dtype == "f16" and c.output.scalar_dtype == "f16" and c.input.dtype == "f16"
    with pytest.raises(memcom.MemcomError) as e:
        mt.export(model, path)
    assert e.value.code == "io" and memcom.open(path).ids == ids
    # a table alone is a table file
    tp = tmp_path / "t.memcom"
    mt.export(model.output, tp)
    t = memcom.open(tp)
    assert t.input is None and t.output.kind == "memcom"
    assert np.allclose(t.embeddings(), model.output.embeddings().detach().numpy(), rtol=1e-6, atol=1e-6)
    assert isinstance(mt.load(tp), mt.MemcomTable)
    with pytest.raises(memcom.MemcomError) as e:
        mt.export(torch.nn.Linear(2, 2), tmp_path / "x.memcom")
    assert e.value.code == "arg"


def test_bad_arguments():
    with pytest.raises(memcom.MemcomError) as e:
        mt.MultiDAE(mt.FullTable(5, 4), mt.FullTable(6, 4))
    assert e.value.code == "arg"
    with pytest.raises(memcom.MemcomError) as e:
        mt.MemcomTable(3, 2, 2, bucket=[0, 1, 2])
    assert e.value.code == "bucket_range"
    with pytest.raises(memcom.MemcomError) as e:
        mt.multi_hot([[0, 5]], 5)
    assert e.value.code == "index"
    with pytest.raises(memcom.MemcomError) as e:
        mt.Dense(3, 4, weight=False)
    assert e.value.code == "arg"
