"""Distributed training of memcom's Mult-DAE in PyTorch (torch.distributed):

    torchrun --nproc_per_node 2 -m memcom.train --data DIR -o model.memcom
    torchrun --nnodes 4 --nproc_per_node 8 --rdzv_backend c10d --rdzv_endpoint HOST:29400 \\
        -m memcom.train --data DIR -o model.memcom

DistributedDataParallel over gloo (CPU) or nccl (GPUs); each rank trains on
its own users (user u on rank u mod world size); rank 0 evaluates with the
LightGCN++ protocol (docs/METHOD.md section 4: rank all items but the user's
training items; Recall and NDCG at 10, 20, 40), keeps the epoch of the best
validation NDCG@20, stops after --patience epochs without improvement,
checkpoints, and writes the .memcom file through memcom.torch.export.  The
optimisation is the native trainer's (docs/METHOD.md section 3): AdamW with
decoupled weight decay on tables and dense weights, input dropout, the
multinomial likelihood averaged over a batch of users, items numbered by
decreasing training popularity.

--kind memcom is the default variant: the item vectors of a full model
(--init-from, trained by this module or by `memcom train`) compressed by
`memcom compress` (popular rows, k-means), then fine-tuned at --tune-lr.
"""
import argparse
import json
import math
import os
import sys
import tempfile
import time

import numpy as np
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from . import torch as mt
from .compress import compress
from .model import Model

KS = (10, 20, 40)


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python3 -m memcom.train", description=__doc__.split("\n\n")[0])
    p.add_argument("--data", required=True, help="DIR with train.txt, valid.txt, test.txt (`user item item ...`)")
    p.add_argument("-o", "--out", required=True, help="the .memcom file to write")
    p.add_argument("--kind", default="full", choices=["full", "memcom"], help="table kind of both tables [full]")
    p.add_argument("--ratio", type=float, help="memcom: 1/R of the bytes of a full f32 table, in the bytes of "
                                               "--dtype rows (int8 by default: about 4x the rows of f32)")
    p.add_argument("--init-from", help="memcom: the full model whose item vectors are compressed")
    p.add_argument("--dim", type=int, default=64)
    p.add_argument("--layers", type=int, default=0, help="extra dense tanh layers [0]")
    p.add_argument("--epochs", type=int, default=100)
    p.add_argument("--patience", type=int, default=10)
    p.add_argument("--batch", type=int, default=500, help="users per step, over all ranks [500]")
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--tune-lr", type=float, help="memcom: learning rate after the k-means start [0.3 * lr]")
    p.add_argument("--dropout", type=float, default=0.5)
    p.add_argument("--weight-decay", type=float, default=1.0)
    p.add_argument("--dtype", choices=["f32", "f16", "i8"],
                   help="row storage of the file; --ratio counts it [i8 with --kind memcom, f32 for full]")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--checkpoint", help="write the training state here after every epoch")
    p.add_argument("--resume", help="continue from this checkpoint")
    p.add_argument("--json", help="write a JSON summary here")
    p.add_argument("--backend", help="gloo or nccl [nccl with CUDA, else gloo]")
    p.add_argument("--quiet", action="store_true")
    a = p.parse_args(argv)
    if a.kind == "memcom" and (a.ratio is None or a.init_from is None):
        p.error("--kind memcom needs --ratio and --init-from (a full model of the same items)")
    if a.kind == "full" and (a.ratio is not None or a.init_from is not None):
        p.error("--ratio and --init-from go with --kind memcom")
    if a.dtype is None:  # compressed tables sized by a ratio: int8 rows, as `memcom train`
        a.dtype = "i8" if a.kind == "memcom" else "f32"
    return a


# ---------------------------------------------------------------- data
def read_split(path):
    """{user: [item strings]} of a `user item item ...` file, in file order."""
    out = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            parts = line.split()
            if not parts:
                continue
            out.setdefault(parts[0], []).extend(parts[1:])
    return out


class Data:
    """The split, items numbered by decreasing training popularity (ties: first
    seen), users in order of first appearance.  ``users`` limits the held data
    to a shard of the user numbers (the others' histories are not kept)."""

    def __init__(self, root, keep_user=None):
        files = {s: read_split(os.path.join(root, f"{s}.txt")) for s in ("train", "valid", "test")
                 if os.path.exists(os.path.join(root, f"{s}.txt"))}
        if "train" not in files:
            raise SystemExit(f"memcom.train: {root}/train.txt not found")
        count, first = {}, {}
        for s in ("train", "valid", "test"):
            for items in files.get(s, {}).values():
                for it in items:
                    first.setdefault(it, len(first))
                    if s == "train":
                        count[it] = count.get(it, 0) + 1
        self.ids = sorted(first, key=lambda it: (-count.get(it, 0), first[it]))
        index = {it: i for i, it in enumerate(self.ids)}
        self.n = len(self.ids)
        users = []
        for s in ("train", "valid", "test"):
            for u in files.get(s, {}):
                users.append(u)
        self.user_names = list(dict.fromkeys(users))
        keep = range(len(self.user_names)) if keep_user is None else [u for u in range(len(self.user_names))
                                                                         if keep_user(u)]
        self.split = {}
        for s, rows in files.items():
            self.split[s] = {u: sorted({index[it] for it in rows.get(self.user_names[u], [])}) for u in keep}
        self.train_users = [u for u in keep if self.split["train"][u]]


def evaluate(model, data, split, batch=1000):
    """LightGCN++ protocol on one split: mean Recall@K and NDCG@K over users with held-out items."""
    model.eval()
    users = [u for u, items in data.split.get(split, {}).items() if items]
    tot = {f"{m}@{k}": 0.0 for m in ("recall", "ndcg") for k in KS}
    kmax = max(KS)
    disc = 1.0 / np.log2(np.arange(kmax) + 2.0)
    device = next(model.parameters()).device
    with torch.no_grad():
        for s in range(0, len(users), batch):
            us = users[s:s + batch]
            x = mt.multi_hot([data.split["train"][u] for u in us], data.n, device=device)
            top = model.recommend(x, k=kmax).cpu().numpy()
            for r, u in enumerate(us):
                truth = set(data.split[split][u])
                hit = np.array([i in truth for i in top[r]])
                for k in KS:
                    h = hit[:k]
                    tot[f"recall@{k}"] += h.sum() / len(truth)
                    tot[f"ndcg@{k}"] += (h * disc[:k]).sum() / disc[:min(k, len(truth))].sum()
    return {"users": len(users), **{key: v / max(len(users), 1) for key, v in tot.items()}}


# ---------------------------------------------------------------- model
def full_model(n, d, layers, dropout, seed):
    torch.manual_seed(seed)
    return mt.MultiDAE(mt.FullTable(n, d), mt.FullTable(n, d), hidden=layers, dropout=dropout)


def memcom_model(args, data, tmp):
    """The default variant: the --init-from model's vectors, in this data's item
    order (matched by id), compressed by `memcom compress`, loaded as modules."""
    src = Model(args.init_from)
    if src.ids is None:
        raise SystemExit(f"memcom.train: {args.init_from} stores no item ids to match")
    pos = {it: i for i, it in enumerate(src.ids)}
    missing = [it for it in data.ids if it not in pos]
    if missing:
        raise SystemExit(f"memcom.train: {len(missing)} items of the data are not in {args.init_from} "
                         f"(e.g. {missing[0]!r})")
    order = np.array([pos[it] for it in data.ids])
    init = mt.load(args.init_from, dropout=args.dropout)
    if not isinstance(init, mt.MultiDAE):
        raise SystemExit(f"memcom.train: {args.init_from} is a table file, not a model")
    with torch.no_grad():  # this data's item order: the popular items first, as compress expects
        for t in (init.input, init.output):
            t.weight.copy_(t.embeddings()[order])
        if init.bias is not None:
            init.bias.copy_(init.bias[order])
    full = os.path.join(tmp, "init.memcom")
    mt.export(init, full, ids=data.ids)
    small = os.path.join(tmp, "compressed.memcom")
    # sized for the rows' storage in the written file (its start quantised as the file will be)
    compress(full, args.ratio, path=small, dtype=args.dtype, seed=args.seed, quiet=args.quiet)
    return mt.load(small, dropout=args.dropout)


def optimiser(model, lr, weight_decay):
    """AdamW: tables (rows) and dense weights decay; biases and memcom's scalars do not."""
    decay, rest = [], []
    for name, p in model.named_parameters():
        leaf = name.rsplit(".", 1)[-1]
        (decay if leaf in ("weight", "q", "r") else rest).append(p)
    return torch.optim.AdamW([{"params": decay, "weight_decay": weight_decay}, {"params": rest, "weight_decay": 0.0}],
                             lr=lr, betas=(0.9, 0.999), eps=1e-8)


# ---------------------------------------------------------------- run
def log(args, rank, msg):
    if rank == 0 and not args.quiet:
        print(msg, file=sys.stderr, flush=True)


def save_atomic(obj, path):
    tmp = f"{path}.tmp-{os.getpid()}"
    torch.save(obj, tmp)
    os.replace(tmp, path)


def main(argv=None):
    args = parse_args(argv)
    backend = args.backend or ("nccl" if torch.cuda.is_available() else "gloo")
    distributed = "WORLD_SIZE" in os.environ
    if distributed:
        dist.init_process_group(backend)
    rank, world = (dist.get_rank(), dist.get_world_size()) if distributed else (0, 1)
    device = torch.device(f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}") if backend == "nccl" else torch.device("cpu")
    t_start = time.time()
    # rank 0 holds every user (it evaluates); the others only their own
    data = Data(args.data, None if rank == 0 else (lambda u: u % world == rank))
    mine = [u for u in data.train_users if u % world == rank]
    n_train_users = len(data.train_users) if rank == 0 else None
    log(args, rank, f"data: {len(data.user_names)} users, {data.n} items; {world} process(es), backend {backend}")
    if args.kind == "memcom":  # rank 0 compresses; the others take its modules' state
        state = None
        if rank == 0:
            with tempfile.TemporaryDirectory(prefix="memcom-train-") as tmp:
                model = memcom_model(args, data, tmp)
            state = model.state_dict()
        if distributed:
            obj = [state]
            dist.broadcast_object_list(obj, src=0)
            if rank != 0:
                model = memcom_model_shape(args, data, obj[0])
        lr = args.tune_lr if args.tune_lr else 0.3 * args.lr
    else:
        model = full_model(data.n, args.dim, args.layers, args.dropout, args.seed)
        lr = args.lr
    model.to(device)
    opt = optimiser(model, lr, args.weight_decay)
    first, best_ndcg, best_epoch, since, best_state, train_time = 1, -1.0, 0, 0, None, 0.0
    if args.resume:
        st = torch.load(args.resume, map_location="cpu")
        if st["args"]["data"] != args.data or st["args"]["kind"] != args.kind or st["world"] != world:
            raise SystemExit(f"memcom.train: {args.resume} is a run of other data, kind or world size")
        model.load_state_dict(st["model"])
        opt.load_state_dict(st["opt"])
        first, best_ndcg, best_epoch, since = st["epoch"] + 1, st["best_ndcg"], st["best_epoch"], st["since"]
        best_state, train_time = st["best_state"], st["train_time"]
        log(args, rank, f"resumed after epoch {st['epoch']} (best epoch {best_epoch})")
    net = DistributedDataParallel(model) if distributed else model
    # every rank takes the same number of steps: local batches of ceil(batch / world) users
    local_b = max(1, math.ceil(args.batch / world))
    counts = torch.tensor([len(mine)])
    if distributed:
        dist.all_reduce(counts, op=dist.ReduceOp.MAX)
    steps = max(1, math.ceil(int(counts.item()) / local_b))
    stop = torch.tensor([0])
    epoch = first - 1
    t_loop = time.time()
    for epoch in range(first, args.epochs + 1):
        if since >= args.patience > 0:
            break
        te = time.time()
        net.train()
        # this epoch's order and dropout masks, per rank: the same after a resume
        rng = np.random.default_rng([args.seed, epoch, rank])
        torch.manual_seed(int(rng.integers(2 ** 62)))
        order = np.array(mine)[rng.permutation(len(mine))] if mine else np.array([], int)
        total = 0.0
        for s in range(steps):
            us = order[s * local_b:(s + 1) * local_b]
            if len(us) == 0:  # this rank ran out of users: a step on some again keeps the ranks in step
                us = order[rng.integers(0, len(order), min(local_b, len(order)))] if len(order) else []
            x = mt.multi_hot([data.split["train"][u] for u in us], data.n, device=device)
            opt.zero_grad()
            s_ = net(x)
            loss = -(torch.log_softmax(s_, 1) * (x.to_dense() != 0)).sum(1).mean()
            loss.backward()
            opt.step()
            total += loss.item() * len(us)
        if distributed:
            t = torch.tensor([total])
            dist.all_reduce(t)
            total = t.item()
        train_time += time.time() - te
        if rank == 0:
            vm = evaluate(model, data, "valid")
            nd = vm["ndcg@20"]
            if nd > best_ndcg:
                best_ndcg, best_epoch, since = nd, epoch, 0
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            else:
                since += 1
            el = time.time() - t_loop
            per = el / (epoch - first + 1)  # an epoch: training and validation
            left_max = (args.epochs - epoch) * per
            # early stopping `patience` epochs after the best one, if no better one comes
            left = min(left_max, max(0, args.patience - since) * per) if args.patience else left_max
            log(args, rank, f"epoch {epoch}: loss {total / max(n_train_users, 1):.4f}  valid NDCG@20 {nd:.4f}"
                            f" (best {best_ndcg:.4f}, epoch {best_epoch})  {time.time() - t_start:.0f}s; left: {left:.0f}s"
                            f" if no better epoch comes, at most {left_max:.0f}s")
            if args.checkpoint:
                save_atomic({"model": model.state_dict(), "opt": opt.state_dict(), "epoch": epoch,
                             "best_ndcg": best_ndcg, "best_epoch": best_epoch, "since": since,
                             "best_state": best_state, "train_time": train_time, "args": vars(args),
                             "world": world}, args.checkpoint)
            stop[0] = 1 if args.patience and since >= args.patience else 0
        if distributed:
            dist.broadcast(stop, src=0)
        if stop.item():
            break
    if rank == 0:
        if best_state is not None:
            model.load_state_dict(best_state)
        with torch.no_grad():  # scalars as the file stores them (f16), so the metrics are the file's
            for t in (model.input, model.output):
                if isinstance(t, mt.MemcomTable):
                    t.scalars.copy_(t.scalars.half().float())
        model = model.cpu()
        res = {"valid": evaluate(model, data, "valid"), "test": evaluate(model, data, "test"),
               "best_epoch": best_epoch, "epochs_run": epoch, "seconds": time.time() - t_start,
               "world_size": world, "backend": backend, "items": data.n}
        if args.dtype != "f32":  # the test metrics of the rows as the file stores them
            with tempfile.TemporaryDirectory(prefix="memcom-train-") as tmp:
                stored = os.path.join(tmp, "stored.memcom")
                mt.export(model, stored, ids=data.ids, dtype=args.dtype, scalar_dtype="f16")
                res["test_f32"], res["test"] = res["test"], evaluate(mt.load(stored), data, "test")
        meta = {"trainer": "memcom.train (PyTorch)", "options": vars(args), **res}
        mt.export(model, args.out, ids=data.ids, dtype=args.dtype, scalar_dtype="f16",
                  metadata=meta, overwrite=True)
        log(args, rank, f"best epoch {best_epoch}: test NDCG@20 {res['test']['ndcg@20']:.4f}, "
                        f"Recall@20 {res['test']['recall@20']:.4f}; wrote {args.out}")
        if args.json:
            with open(args.json, "w") as f:
                json.dump(res, f)
    if distributed:
        dist.barrier()
        dist.destroy_process_group()


def memcom_model_shape(args, data, state):
    """A module shaped like rank 0's compressed model, to load its state into."""
    def table(prefix):
        m = state[f"{prefix}.weight"].shape[0]
        return mt.MemcomTable(data.n, m, state[f"{prefix}.weight"].shape[1], bucket=state[f"{prefix}.buckets"].numpy())
    model = mt.MultiDAE(table("input"), table("output"), hidden=args.layers, dropout=args.dropout)
    model.load_state_dict(state)
    return model


if __name__ == "__main__":
    main()
