"""A model trained and exported in PyTorch loads in the npm package (the SIMD
and the fallback WebAssembly builds) and gives the same top-10 as the C
library and as PyTorch's own scoring."""
import json
import os
import shutil
import subprocess

import numpy as np
import pytest
import torch

import memcom
import memcom.torch as mt

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
NODE = shutil.which("node")


@pytest.mark.skipif(NODE is None, reason="node is not installed")
@pytest.mark.parametrize("kinds,dtype", [(("full", "full"), "f32"), (("memcom", "memcom"), "f16"),
                                         (("hash", "qr"), "i8")])
def test_python_file_in_the_npm_package(tmp_path, kinds, dtype):
    n, d = 500, 16
    torch.manual_seed(3)
    make = {"full": lambda: mt.FullTable(n, d), "memcom": lambda: mt.MemcomTable(n, 40, d, bucket=("hash", 11)),
            "hash": lambda: mt.HashTable(n, 60, d), "qr": lambda: mt.QRTable(n, 25, d)}
    model = mt.MultiDAE(make[kinds[0]](), make[kinds[1]](), hidden=1)
    # a few steps of training on clustered histories, so the scores mean something
    rng = np.random.default_rng(0)
    train = [list(rng.choice(50, 6, replace=False) + 50 * (u % 10)) for u in range(200)]
    opt = torch.optim.Adam(model.parameters(), lr=0.02)
    x = mt.multi_hot(train, n)
    for _ in range(20):
        opt.zero_grad()
        model.loss(x).backward()
        opt.step()
    ids = [f"item:{i}" for i in range(n)]
    path = tmp_path / "py.memcom"
    mt.export(model, path, ids=ids, dtype=dtype, scalar_dtype="f16" if dtype != "f32" else "f32")

    users = [list(rng.choice(n, int(rng.integers(1, 12)), replace=False)) for _ in range(60)] + [[7]]
    c = memcom.open(path)
    want = [[ids[i] for i in c.recommend(u, k=10)[0]] for u in users]
    if dtype == "f32":  # the file holds PyTorch's values: PyTorch's own top-10 too
        torch_top = mt.MultiDAE.recommend(model, mt.multi_hot(users, n), k=10).numpy()
        assert want == [[ids[i] for i in row] for row in torch_top]
    hist_file = tmp_path / "users.json"
    hist_file.write_text(json.dumps([[ids[i] for i in u] for u in users]))
    out = subprocess.run([NODE, os.path.join(ROOT, "tests", "python", "recommend.mjs"), str(path), str(hist_file),
                          "10"], capture_output=True, text=True, timeout=120, check=True)
    got = json.loads(out.stdout)
    assert got["kernels"] == ["wasm_simd128", "scalar"]
    assert got["simd"] == want
    assert got["scalar"] == want


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_compressed_16x_file_in_the_npm_package(tmp_path):
    """`memcom compress` of a full model to 16x: the npm package loads it and ranks as the C library."""
    n, d = 640, 32
    torch.manual_seed(5)
    full = tmp_path / "full.memcom"
    ids = [f"film {i}" for i in range(n)]
    mt.export(mt.MultiDAE(mt.FullTable(n, d), mt.FullTable(n, d)), full, ids=ids)
    small = memcom.compress(full, 16, path=tmp_path / "small.memcom")
    info = small.info()
    assert info["output.kind"] == "memcom" and 15.5 < info["full_f32_bytes"] / (info["input_bytes"] + info["output_bytes"]) <= 16
    rng = np.random.default_rng(1)
    users = [list(rng.choice(n, 5, replace=False)) for _ in range(40)]
    want = [[ids[i] for i in small.recommend(u, k=10)[0]] for u in users]
    hist_file = tmp_path / "users.json"
    hist_file.write_text(json.dumps([[ids[i] for i in u] for u in users]))
    out = subprocess.run([NODE, os.path.join(ROOT, "tests", "python", "recommend.mjs"), str(tmp_path / "small.memcom"),
                          str(hist_file), "10"], capture_output=True, text=True, timeout=120, check=True)
    got = json.loads(out.stdout)
    assert got["simd"] == want and got["scalar"] == want
