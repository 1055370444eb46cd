"""A plain numpy reading of docs/METHOD.md (sections 1.2 and 3), float64, by
brute force: the oracle the Python tests compare the package against.  It
shares nothing with python/memcom but the stored values it is given."""
import numpy as np

M64 = (1 << 64) - 1


def hash_bucket(i, seed, m):
    """splitmix64's finaliser of i + seed, mod m (docs/METHOD.md section 1.2)."""
    z = (i + seed) & M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    z ^= z >> 31
    return z % m


def buckets(kind, n, m, mode, seed=0, explicit=None):
    if mode == "mod":
        return np.arange(n) % m
    if mode == "hash":
        return np.array([hash_bucket(i, seed, m) for i in range(n)])
    return np.asarray(explicit, np.int64)


def embeddings(kind, n, m, rows, rows_b=None, scalars=None, b=None):
    """Every item's embedding (n x d), float64."""
    rows = np.asarray(rows, np.float64)
    if kind == "full":
        return rows
    if kind == "hash":
        return rows[b]
    if kind == "qr":
        i = np.arange(n)
        return rows[i // m] * np.asarray(rows_b, np.float64)[i % m]
    return np.asarray(scalars, np.float64)[:, None] * rows[b]


ACT = {"none": lambda x: x, "tanh": np.tanh, "relu": lambda x: np.maximum(x, 0)}


def user_vector(e_in, layers, history):
    """layers: (weight or None, bias or None, activation) from the input d to the output d."""
    h = sorted(set(int(i) for i in history))
    x = e_in[h].sum(0) / np.sqrt(len(h)) if h else np.zeros(e_in.shape[1])
    for w, b, act in layers:
        x = (np.asarray(w, np.float64) @ x if w is not None else x) + (np.asarray(b, np.float64) if b is not None else 0)
        x = ACT[act](x)
    return x


def scores(e_in, e_out, layers, bias, history):
    s = e_out @ user_vector(e_in, layers, history)
    return s + np.asarray(bias, np.float64) if bias is not None else s


def topk(s, k, exclude=()):
    """Best first, ties to the lower index."""
    s = np.array(s, np.float64)
    s[list(exclude)] = -np.inf
    order = sorted(range(len(s)), key=lambda i: (-s[i], i))
    return [i for i in order if i not in set(exclude)][:k]


def ranker_scores(e_in, e_out, layers, bias, head, history):
    """A ranker's s_i (docs/FORMAT.md, "Ranker head"): the scores above plus
    g([u; e_i; u * e_i]), head a list of (weight or None, bias or None, activation)."""
    u = user_vector(e_in, layers, history)
    x = np.hstack([np.broadcast_to(u, e_out.shape), e_out, e_out * u])
    for w, b, act in head:
        x = (x @ np.asarray(w, np.float64).T if w is not None else x) + (np.asarray(b, np.float64) if b is not None else 0)
        x = ACT[act](x)
    return scores(e_in, e_out, layers, bias, history) + x[:, 0]
