"""A ranker (format 1.2) written by memcom.write/to_bytes with a head and
served by memcom.Model: its head read back, recommend over all items and
candidates against reference.py's float64 ranker scores for every table kind,
two-stage against the factorised top R re-ranked, rerank, and the errors."""
import numpy as np
import pytest

import memcom
import reference as ref
from test_package import make_table


def head_layers(rng, d, widths):
    out, in_dim = [], 3 * d
    for l, w in enumerate(widths):
        act = "relu" if l + 1 < len(widths) else "none"
        out.append(memcom.Layer(in_dim, w, act, (rng.normal(size=(w, in_dim)) / np.sqrt(in_dim)).astype(np.float32),
                                (rng.normal(size=w) * 0.1).astype(np.float32)))
        in_dim = w
    return out


@pytest.mark.parametrize("kind,dtype", [("full", "f32"), ("hash", "f16"), ("qr", "f32"), ("memcom", "i8"), ("memcom", "f32")])
def test_ranker_against_reference(kind, dtype):
    rng = np.random.default_rng(11)
    n, m, d = 120, 13, 8
    t_in, a_in = make_table(rng, "full", n, n, d)
    t_out, a_out = make_table(rng, kind, n, m, d, dtype=dtype)
    bias = (rng.normal(size=n) * 0.1).astype(np.float32)
    head = head_layers(rng, d, [10, 1])
    model = memcom.Model(memcom.to_bytes(t_out, input=t_in, bias=bias, head=head))
    assert model.info()["n_head_layers"] == 2 and model.info()["format_minor"] == 2
    assert [(L.in_dim, L.out_dim, L.activation) for L in model.head] == [(24, 10, "relu"), (10, 1, "none")]
    assert np.array_equal(model.head[0].weight, head[0].weight)
    e_in = ref.embeddings("full", n, n, a_in["rows"])
    # the stored output table as the file holds it (f16 / i8 rounding): read back
    e_out = np.vstack([model.embeddings("output")]).astype(np.float64)
    spec_head = [(L.weight, L.bias, L.activation) for L in head]
    for history in ([3], [5, 9, 40, 77], [1, 2, 3, 4, 5, 6]):
        s = ref.ranker_scores(e_in, e_out, [], bias, spec_head, history)
        idx, sc = model.recommend(history, k=8)
        assert list(idx) == ref.topk(s, 8, history)
        assert np.allclose(sc, s[idx], rtol=1e-4, atol=1e-5)
        cand = [int(i) for i in rng.integers(0, n, 30)]
        idx, sc = model.recommend(history, k=5, candidates=cand)
        order = [i for i in ref.topk(s, n, history) if i in set(cand)][:5]
        assert list(idx) == order
        # rerank: nothing excluded, every distinct candidate by default
        idx, sc = model.rerank(history, cand)
        assert list(idx) == [i for i in ref.topk(s, n) if i in set(cand)]
        # two-stage: the library's factorised top R, re-ranked
        f = model.scores(history)
        first = ref.topk(f, 20, history)
        two, _ = model.recommend(history, k=5, rerank_depth=20)
        assert list(two) == list(model.rerank(history, first, k=5)[0])


def test_ranker_errors():
    rng = np.random.default_rng(3)
    t, _ = make_table(rng, "full", 10, 10, 4)
    head = head_layers(rng, 4, [6, 1])
    model = memcom.Model(memcom.to_bytes(t, input=t, head=head))
    with pytest.raises(memcom.MemcomError) as e:
        model.recommend([1], rerank_depth=0)
    assert e.value.code == "arg"
    with pytest.raises(memcom.MemcomError) as e:
        model.rerank([1], [3, 10])
    assert e.value.code == "index"
    with pytest.raises(memcom.MemcomError) as e:
        memcom.to_bytes(t, input=t, head=head[:1])
    assert e.value.code == "layers"
    with pytest.raises(memcom.MemcomError) as e:
        memcom.to_bytes(t, head=head)
    assert e.value.code == "arg"
    assert len(model.rerank([1], [])[0]) == 0
