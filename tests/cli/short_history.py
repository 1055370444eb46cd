#!/usr/bin/env python3
"""tests/cli/short_history.py - an independent check of `memcom eval --history`
(plain Python, written from the definitions in `memcom eval --help`, not from
the C code).

  short_history.py gen DIR
      writes DIR/train.txt, valid.txt, test.txt: 150 users over 80 items whose
      training counts are all distinct (so "the 50 most popular" and the
      popularity ranking have no ties).
  short_history.py check DIR LISTS JSON H1,H2,...
      re-derives from the split files and the --lists file: which users are
      evaluated, that each history is h of the user's training items (the
      shorter histories a prefix of the longer), that no list holds a history
      item or a repeat, the targets; the popularity, item-kNN (co-occurrence
      cosine with the user's own training interactions removed) and EASE
      (a Gauss-Jordan inverse here) rankings; and NDCG@10, Recall@20, the
      top-50 share, the mean Jaccard of two users' top-10s over all pairs and
      the coverage, against the JSON.  Prints one line per failed check and
      "N passed, N failed".
"""
import json
import math
import random
import sys

failed = 0
passed = 0


def check(cond, msg):
    global failed, passed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL:", msg)


def gen(d):
    rnd = random.Random(11)
    n_users, n_items = 150, 80
    # item i is in the training rows of (n_items - i) + 20 distinct users:
    # distinct counts, item "i<k>" k-th most popular
    train = {u: set() for u in range(n_users)}
    for i in range(n_items):
        for u in rnd.sample(range(n_users), n_items - i + 20):
            train[u].add(i)
    held = {}
    for u in range(n_users):
        rest = [i for i in range(n_items) if i not in train[u]]
        rnd.shuffle(rest)
        held[u] = (rest[:1], rest[1:1 + rnd.randint(0, 4)])   # valid, test (some users none)
    with open(d + "/train.txt", "w") as f:
        for u in range(n_users):
            f.write("u%d %s\n" % (u, " ".join("i%d" % i for i in sorted(train[u]))))
    for name, part in (("valid", 0), ("test", 1)):
        with open(d + "/%s.txt" % name, "w") as f:
            for u in range(n_users):
                if held[u][part]:
                    f.write("u%d %s\n" % (u, " ".join("i%d" % i for i in held[u][part])))


def read_split(path):
    rows = {}
    with open(path) as f:
        for line in f:
            p = line.split()
            if p:
                rows[p[0]] = p[1:]
    return rows


def ndcg_recall(top, targets, k):
    hits = [r for r, it in enumerate(top[:k]) if it in targets]
    dcg = sum(1 / math.log2(r + 2) for r in hits)
    idcg = sum(1 / math.log2(r + 2) for r in range(min(k, len(targets))))
    return dcg / idcg, len(hits) / len(targets)


def inverse(a):
    n = len(a)
    m = [row[:] + [1.0 if i == j else 0.0 for j in range(n)] for i, row in enumerate(a)]
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(m[r][c]))
        m[c], m[p] = m[p], m[c]
        pv = m[c][c]
        m[c] = [x / pv for x in m[c]]
        for r in range(n):
            if r != c and m[r][c] != 0:
                f = m[r][c]
                m[r] = [x - f * y for x, y in zip(m[r], m[c])]
    return [row[n:] for row in m]


def is_top(top, scores, excluded, k, tol, what):
    """top is a valid top-k under scores: descending (within tol), and no item
    left out scores more than the last one (within tol)."""
    rest = [s for it, s in scores.items() if it not in excluded and it not in top]
    want = min(k, len(scores) - len(excluded))
    ok = len(top) == want
    ok = ok and all(scores[top[q]] >= scores[top[q + 1]] - tol for q in range(len(top) - 1))
    ok = ok and (not rest or not top or scores[top[-1]] >= max(rest) - tol)
    check(ok, "%s: %s is not a top-%d (scores %s)" % (what, top, k, [round(scores[t], 5) for t in top]))


def check_run(d, lists_path, json_path, hs):
    train = read_split(d + "/train.txt")
    test = read_split(d + "/test.txt")
    result = json.load(open(json_path))
    hs = [int(x) for x in hs.split(",")]
    items = sorted({i for r in train.values() for i in r})
    count = {i: 0 for i in items}
    for r in train.values():
        for i in r:
            count[i] += 1
    by_pop = sorted(items, key=lambda i: -count[i])
    popular = set(by_pop[:50])
    # evaluated users: test items and at least max(h) training items
    users = sorted(u for u in train if test.get(u) and len(train[u]) >= max(hs))
    check(result["users"] == len(users), "users %d, want %d" % (result["users"], len(users)))
    rows = {}
    with open(lists_path) as f:
        head = f.readline().rstrip("\n").split("\t")
        check(head == ["method", "h", "user", "history", "top20", "targets"], "lists header %s" % head)
        for line in f:
            m, h, u, hist, top, targets = line.rstrip("\n").split("\t")
            rows.setdefault((m, int(h)), {})[u] = (hist.split(), top.split(), targets.split())
    # co-occurrence counts and EASE's B from the training rows
    idx = {it: q for q, it in enumerate(items)}
    n = len(items)
    G = [[0.0] * n for _ in range(n)]
    for r in train.values():
        for a in r:
            for b in r:
                G[idx[a]][idx[b]] += 1
    lam = result["ease_lambda"]
    P = inverse([[G[i][j] + (lam if i == j else 0) for j in range(n)] for i in range(n)])
    B = [[0.0 if i == j else -P[i][j] / P[j][j] for j in range(n)] for i in range(n)]
    histories = {}
    for (m, h), per_user in sorted(rows.items()):
        check(sorted(per_user) == users, "%s h=%d: users %s" % (m, h, sorted(per_user)[:5]))
        tops10 = []
        nd = rc = 0
        for u in users:
            hist, top, targets = per_user[u]
            check(sorted(targets) == sorted(test[u]), "%s h=%d %s: targets %s" % (m, h, u, targets))
            check(len(hist) == h and len(set(hist)) == h and set(hist) <= set(train[u]),
                  "%s h=%d %s: history %s not h of the training items" % (m, h, u, hist))
            prev = histories.setdefault(u, hist)
            short, long_ = (hist, prev) if len(hist) <= len(prev) else (prev, hist)
            check(long_[:len(short)] == short, "%s %s: history %s is not a prefix of %s" % (m, u, short, long_))
            if len(hist) > len(prev):
                histories[u] = hist
            check(len(set(top)) == len(top) and not set(top) & set(hist), "%s h=%d %s: list %s" % (m, h, u, top))
            excluded = set(hist)
            if m == "popularity":
                check(top == [i for i in by_pop if i not in excluded][:20], "popularity %s: %s" % (u, top))
            elif m == "item-knn":
                own = set(train[u])   # the user left out
                c = {j: count[j] - (j in own) for j in items}
                s = {j: 0.0 for j in items}
                for i in hist:
                    for j in items:
                        cij = G[idx[i]][idx[j]] - (i in own and j in own)
                        if c[i] and c[j] and cij:
                            s[j] += cij / math.sqrt(c[i] * c[j])
                is_top(top, s, excluded, 20, 1e-6, "item-knn %s h=%d" % (u, h))
            elif m == "ease":
                s = {j: sum(B[idx[i]][idx[j]] for i in hist) for j in items}
                is_top(top, s, excluded, 20, 1e-4, "ease %s h=%d" % (u, h))
            g, r = ndcg_recall(top, set(targets), 10)
            nd += g
            rc += ndcg_recall(top, set(targets), 20)[1]
            tops10.append(top[:10])
        row = [x for x in result["rows"] if x["method"] == m and x["h"] == h]
        check(len(row) == 1, "%s h=%d: one JSON row" % (m, h))
        if len(row) != 1:
            continue
        row = row[0]
        slots = sum(len(t) for t in tops10)
        pop_share = sum(1 for t in tops10 for i in t if i in popular) / slots
        jac, pairs = 0.0, 0
        for a in range(len(tops10)):
            for b in range(a + 1, len(tops10)):
                x, y = set(tops10[a]), set(tops10[b])
                jac += len(x & y) / len(x | y) if x | y else 0
                pairs += 1
        cov = len({i for t in tops10 for i in t}) / len(items)
        want = {"ndcg@10": nd / len(users), "recall@20": rc / len(users)}
        for key, v in want.items():
            check(abs(row["metrics"][key] - v) < 2e-6, "%s h=%d %s %g, lists give %g" % (m, h, key, row["metrics"][key], v))
        for key, v in (("popular_share", pop_share), ("jaccard", jac / pairs), ("coverage", cov)):
            check(abs(row[key] - v) < 2e-6, "%s h=%d %s %g, lists give %g" % (m, h, key, row[key], v))
        check(row["pairs"] == pairs and row["pairs_sampled"] is False,
              "%s h=%d pairs %d (sampled %s), want all %d" % (m, h, row["pairs"], row["pairs_sampled"], pairs))


if __name__ == "__main__":
    if sys.argv[1] == "gen":
        gen(sys.argv[2])
    else:
        check_run(*sys.argv[2:6])
        print("%d passed, %d failed" % (passed, failed))
        sys.exit(1 if failed else 0)
