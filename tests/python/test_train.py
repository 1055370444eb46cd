"""python3 -m memcom.train under torchrun with 2 processes (gloo, one
machine): it trains, evaluates with the LightGCN++ protocol as `memcom eval`
does, writes a file the C library serves, checkpoints and resumes, and
starts the memcom variant from a full model by `memcom compress`."""
import json
import os
import subprocess

import numpy as np
import pytest

import memcom

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ENV = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python"), OMP_NUM_THREADS="1")


def make_split(root, users=90, items=60, seed=0):
    """Users who like one of 3 groups of items: train / valid / test lines per user."""
    rng = np.random.default_rng(seed)
    files = {s: [] for s in ("train", "valid", "test")}
    for u in range(users):
        g = u % 3
        liked = rng.choice(np.arange(g * 20, g * 20 + 20), 12, replace=False)
        parts = {"train": liked[:8], "valid": liked[8:10], "test": liked[10:]}
        for s, its in parts.items():
            files[s].append(f"u{u} " + " ".join(f"i{i}" for i in its))
    os.makedirs(root, exist_ok=True)
    for s, lines in files.items():
        with open(os.path.join(root, f"{s}.txt"), "w") as f:
            f.write("\n".join(lines) + "\n")


def torchrun(*args, procs=2):
    cmd = ["/usr/bin/python3", "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(procs),
           # Debian 12's torch 1.13 on Python 3.11 mis-parses the default (0) of these two
           "--redirects", "1", "--tee", "1", "-m", "memcom.train", *map(str, args)]
    r = subprocess.run(cmd, env=ENV, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    return r.stderr


def c_eval(model, data):
    out = subprocess.run([os.path.join(ROOT, "build", "memcom"), "eval", str(model), "--data", str(data), "--on",
                          "test", "--json"], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)["test"]


def test_two_process_training_checkpoint_resume_and_memcom(tmp_path):
    data = tmp_path / "data"
    make_split(data)
    common = ["--data", data, "--dim", 16, "--batch", 30, "--lr", 0.02, "--patience", 0, "--seed", 3]
    # 6 epochs straight
    out = tmp_path / "full.memcom"
    log = torchrun(*common, "--epochs", 6, "-o", out, "--json", tmp_path / "full.json")
    assert "epoch 6:" in log and "2 process(es), backend gloo" in log and "left:" in log
    res = json.loads((tmp_path / "full.json").read_text())
    assert res["world_size"] == 2 and res["best_epoch"] == 6
    # the file: the ids and the data's items, LightGCN++ test metrics as the C evaluator finds them
    m = memcom.open(out)
    assert m.n_items == 60 and sorted(m.ids) == sorted(f"i{i}" for i in range(60))
    c = c_eval(out, data)
    for k in ("ndcg@10", "ndcg@20", "recall@20"):
        assert abs(c[k] - res["test"][k]) < 1e-5, (k, c[k], res["test"][k])
    assert res["test"]["ndcg@20"] > 0.3  # well above chance (3 groups of 20 items, 2 held out each)
    assert m.metadata["trainer"] == "memcom.train (PyTorch)" and m.metadata["world_size"] == 2
    # 3 epochs with a checkpoint, then resumed to 6: the same model as 6 straight
    ck = tmp_path / "run.ck"
    torchrun(*common, "--epochs", 3, "-o", tmp_path / "part.memcom", "--checkpoint", ck)
    log = torchrun(*common, "--epochs", 6, "-o", tmp_path / "resumed.memcom", "--resume", ck)
    assert "resumed after epoch 3" in log
    a, b = memcom.open(out), memcom.open(tmp_path / "resumed.memcom")
    assert np.allclose(a.output.rows, b.output.rows, rtol=1e-5, atol=1e-6)
    assert np.allclose(a.bias, b.bias, rtol=1e-5, atol=1e-6)
    # the memcom variant: the full model compressed (k-means start), fine-tuned on the data
    small = tmp_path / "memcom.memcom"
    log = torchrun(*common, "--epochs", 2, "--kind", "memcom", "--ratio", 4, "--init-from", out, "-o", small,
                   "--json", tmp_path / "memcom.json")
    s = memcom.open(small)
    assert s.output.kind == s.input.kind == "memcom" and s.output.bucket_mode == "explicit"
    # --ratio 4 counts the rows as stored, int8 by default (d bytes + an f32 scale each): 60 x 16 x 4 / 4
    # bytes, less an f16 scalar and a u16 bucket index per item, in rows of 20 bytes
    assert s.output.dtype == s.input.dtype == "i8" and s.info()["output.m"] == (60 * 16 - 60 * 4) // 20
    r = json.loads((tmp_path / "memcom.json").read_text())
    assert abs(c_eval(small, data)["ndcg@20"] - r["test"]["ndcg@20"]) < 1e-5


def test_bad_options(tmp_path):
    r = subprocess.run(["/usr/bin/python3", "-m", "memcom.train", "--data", tmp_path, "-o", tmp_path / "x.memcom",
                        "--kind", "memcom"], env=ENV, capture_output=True, text=True)
    assert r.returncode == 2 and "--kind memcom needs --ratio and --init-from" in r.stderr
    r = subprocess.run(["/usr/bin/python3", "-m", "memcom.train", "--data", tmp_path, "-o", tmp_path / "x.memcom"],
                       env=ENV, capture_output=True, text=True)
    assert r.returncode != 0 and "train.txt not found" in r.stderr
    assert not (tmp_path / "x.memcom").exists()
