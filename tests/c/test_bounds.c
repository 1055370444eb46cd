/* test_bounds.c - per-bucket score bounds (src/engine/bounds.c).
 * 1. The bound: for every item, its score as the scan computes it is at most
 *    its bucket's bound, exactly (adversarial magnitudes, signs, subnormals,
 *    ties, empty buckets); 1b. what they are built from (per-bucket maxima,
 *    item lists) against a plain item-by-item computation.
 * 2. Black box: top-k of hash and memcom tables (every row, scalar and bias
 *    storage type, mod / hash / explicit buckets, exclusions, every k, ties)
 *    equals the brute-force top-k of memcom_score_vector, bit for bit, with
 *    the bounds on and off, with and without pre-ranking.
 * 3. The bounds prune where they should, and give way to a scan of every item
 *    where they cannot (loose bounds, overflow); a hand-computed case. */
#include "fixture.h"
#include "../../src/model.h"
#include "../../src/kernels/kernels.h"

/* ---- 1. the bound ---- */

static int g_split_bound; /* bound_case tables that were split by the sign of w */

static void bound_case(uint32_t n, uint32_t m, uint32_t d, const float *rows, const float *w, const float *bias,
                       const uint32_t *buckets, const float *v, int *checked)
{
    mcc_table t;
    memset(&t, 0, sizeof t);
    t.desc.kind = w ? MEMCOM_KIND_MEMCOM : MEMCOM_KIND_HASH;
    t.desc.n = n;
    t.desc.m = m;
    t.desc.d = d;
    t.desc.row_dtype = MEMCOM_DTYPE_F32;
    t.desc.scalar_dtype = MEMCOM_DTYPE_F32;
    t.desc.bucket_mode = buckets ? MEMCOM_BUCKET_EXPLICIT : MEMCOM_BUCKET_MOD;
    t.desc.bucket_dtype = MEMCOM_DTYPE_U32;
    t.buckets = buckets;
    t.rows_a = m;
    t.a = rows;
    t.w = w;
    mcc_bounds g;
    memset(&g, 0, sizeof g);
    CHECK_CODE(mcc_bounds_init(&g, &t, NULL, bias, MEMCOM_DTYPE_F32, n), MEMCOM_OK);
    CHECK(g.state == 1);
    g_split_bound += g.split;
    float *tv = malloc(sizeof(float) * m), *tt = malloc(sizeof(float) * n), *s = malloc(sizeof(float) * n);
    uint32_t *hits = malloc(sizeof(uint32_t) * n);
    mk_rows_dot_f32(rows, m, d, v, tv);
    for (int use_bias = 0; use_bias < 2; use_bias++) {
        const float *b = use_bias ? bias : NULL;
        /* on the buckets, or on their sign parts when the table was split */
        float tmax = mk_bucket_bounds(mcc_bounds_tvals(&g, tv), g.wmax, g.wmin, b ? g.bmax : NULL, g.nb, g.ub);
        if (!mcc_bounds_usable(&g, tmax, b != NULL)) continue; /* refused: top-k scans every item */
        (*checked)++;
        for (uint32_t i = 0; i < n; i++) tt[i] = tv[buckets ? buckets[i] : i % m];
        mk_scan(w, tt, b, n, INFINITY, s, hits); /* the scores exactly as the scan computes them */
        int ok = 1;
        for (uint32_t i = 0; i < n && ok; i++) {
            uint32_t r = buckets ? buckets[i] : i % m;
            if (g.split) r += w[i] < 0.0f ? 0 : m;
            if (!(s[i] <= g.ub[r])) {
                ok = 0;
                fprintf(stderr, "  item %u bucket %u: score %.9g > bound %.9g\n", i, r, s[i], g.ub[r]);
            }
        }
        CHECK(ok);
    }
    free(tv); free(tt); free(s); free(hits);
    mcc_bounds_free(&g);
}

static void test_bound(void)
{
    t_rng r = {2024};
    int checked = 0;
    const double mags[] = {1.0, 1e-20, 1e-38, 1e15, 3e18};
    for (int trial = 0; trial < 200; trial++) {
        uint32_t m = 1 + t_below(&r, 40), n = 2 * m + t_below(&r, 400), d = 1 + t_below(&r, 20);
        double rm = mags[t_below(&r, 5)], wm = mags[t_below(&r, 5)], bm = mags[t_below(&r, 5)];
        float *rows = malloc(sizeof(float) * m * d), *w = malloc(sizeof(float) * n), *bias = malloc(sizeof(float) * n);
        float *v = malloc(sizeof(float) * d);
        uint32_t *bk = malloc(sizeof(uint32_t) * n);
        int style = trial % 4;
        for (uint32_t j = 0; j < m * d; j++) rows[j] = (float)(t_uniform(&r) * rm);
        for (uint32_t j = 0; j < d; j++) v[j] = (float)t_uniform(&r);
        for (uint32_t i = 0; i < n; i++) {
            /* 0: symmetric w; 1: positive w; 2: equal w; 3: w one ulp apart */
            w[i] = style == 0 ? (float)(t_uniform(&r) * wm) : style == 1 ? (float)((t_uniform(&r) + 1.5) * wm)
                 : style == 2 ? (float)wm : nextafterf((float)wm, (i & 1) ? INFINITY : 0.0f);
            bias[i] = (float)(t_uniform(&r) * bm);
            bk[i] = t_below(&r, m) / (1 + (trial & 1)); /* odd trials leave buckets empty */
        }
        bound_case(n, m, d, rows, w, bias, NULL, v, &checked);
        bound_case(n, m, d, rows, w, bias, bk, v, &checked);
        bound_case(n, m, d, rows, NULL, bias, bk, v, &checked);
        free(rows); free(w); free(bias); free(v); free(bk);
    }
    CHECK(checked > 600); /* most are accepted (the rest would overflow) */
    CHECK(g_split_bound > 50); /* symmetric w: bounded on sign parts */
}

/* ---- 1b. what the bounds are built from ----
 * Per bucket, the largest and smallest w and the largest bias over its
 * items, max |w| and max |b|, and the items of each bucket with their w and
 * bias in ascending order of w, against a plain item-by-item computation:
 * f32 and f16 scalars and bias, i mod m / u16 / u32 / hash buckets, n over
 * several blocks, m dividing n or not, empty buckets; and the same per sign
 * part when the table's buckets mix signs of w (split), not when a few items
 * per bucket have the other sign. */
static void test_stats(void)
{
    t_rng r = {99};
    int split_seen = 0, whole_seen = 0;
    const uint32_t modes[] = {MEMCOM_BUCKET_MOD, MEMCOM_BUCKET_EXPLICIT, MEMCOM_BUCKET_EXPLICIT, MEMCOM_BUCKET_HASH};
    for (int trial = 0; trial < 48; trial++) {
        uint32_t mode = modes[trial % 4], n = 1 + t_below(&r, 5000), m = 1 + t_below(&r, n / 2 > 1 ? n / 2 : 1);
        uint32_t u16 = trial % 4 == 1, wdt = (trial / 4) % 2 ? MEMCOM_DTYPE_F16 : MEMCOM_DTYPE_F32;
        uint32_t bdt = (trial / 8) % 3 == 0 ? 0 : (trial / 8) % 3 == 1 ? MEMCOM_DTYPE_F32 : MEMCOM_DTYPE_F16;
        int wkind = (trial / 2) % 3;
        if (wkind == 2) m = 1 + m % (n / 40 + 1); /* 40 items per bucket or more: 1 in 16 negative stays a few */
        if (2 * m > n) continue; /* no bounds for this table */
        float *wf = malloc(sizeof(float) * n), *bf = malloc(sizeof(float) * n);
        uint16_t *wh = malloc(sizeof(uint16_t) * n), *bh = malloc(sizeof(uint16_t) * n);
        uint32_t *b32 = malloc(sizeof(uint32_t) * n), *bk = malloc(sizeof(uint32_t) * n);
        uint16_t *b16 = malloc(sizeof(uint16_t) * n);
        for (uint32_t i = 0; i < n; i++) {
            /* w positive, of both signs (split), or positive but for about 1
             * in 16 items (buckets with a few negative w, as trained models
             * have: not split) */
            wf[i] = wkind == 1 ? (float)(t_uniform(&r) * 2.0) : (float)((t_uniform(&r) + 1.0) * 2.0 + 0.25);
            if (wkind == 2 && t_below(&r, 16) == 0) wf[i] = -wf[i];
            bf[i] = (float)(t_uniform(&r) * 2.0 - 1.5);
            wh[i] = mcc_f32_to_f16(wf[i]);
            bh[i] = mcc_f32_to_f16(bf[i]);
            b32[i] = t_below(&r, 3) == 0 ? 0 : t_below(&r, m / 2 + 1) * 2 % m; /* skewed, some empty */
            b16[i] = (uint16_t)(b32[i] % 65536);
        }
        mcc_table t;
        memset(&t, 0, sizeof t);
        t.desc.kind = MEMCOM_KIND_MEMCOM;
        t.desc.n = n;
        t.desc.m = m;
        t.desc.d = 4;
        t.desc.row_dtype = MEMCOM_DTYPE_F32;
        t.desc.scalar_dtype = wdt;
        t.desc.bucket_mode = mode;
        t.desc.bucket_dtype = u16 ? MEMCOM_DTYPE_U16 : MEMCOM_DTYPE_U32;
        t.desc.hash_seed = 0x5eedull + (uint64_t)trial;
        t.buckets = u16 ? (const void *)b16 : (const void *)b32;
        t.rows_a = m;
        t.w = wdt == MEMCOM_DTYPE_F16 ? (const void *)wh : (const void *)wf;
        const void *bias = bdt == MEMCOM_DTYPE_F16 ? (const void *)bh : bdt ? (const void *)bf : NULL;
        uint32_t *hash_b = NULL;
        if (mode == MEMCOM_BUCKET_HASH) {
            hash_b = malloc(sizeof(uint32_t) * n);
            for (uint32_t i = 0; i < n; i++) hash_b[i] = memcom_hash_bucket(i, t.desc.hash_seed, m);
        }
        for (uint32_t i = 0; i < n; i++)
            bk[i] = mode == MEMCOM_BUCKET_MOD ? i % m : mode == MEMCOM_BUCKET_HASH ? hash_b[i] : u16 ? b16[i] : b32[i];
        mcc_bounds g;
        memset(&g, 0, sizeof g);
        CHECK_CODE(mcc_bounds_init(&g, &t, hash_b, bias, bdt, n), MEMCOM_OK);
        CHECK(g.state == 1);
        /* the plain reference: first per bucket; buckets mixing both signs
         * of w in at least 1 in MC_BOUNDS_SPLIT_SHARE of them split each
         * bucket r into its items with w < 0 (part r) and the others (m + r) */
        float *wmax = malloc(sizeof(float) * 2 * m), *wmin = malloc(sizeof(float) * 2 * m), *bmax = malloc(sizeof(float) * 2 * m);
        uint32_t *cnt = calloc(2 * (size_t)m, sizeof(uint32_t)), *key = malloc(sizeof(uint32_t) * n);
        uint32_t *negs = calloc(m, sizeof(uint32_t));
        double wabs = 0.0, babs = 0.0;
        uint32_t mixed = 0;
        for (int pass = 0; pass < 2; pass++) {
            uint32_t nk = pass ? 2 * m : m;
            for (uint32_t q = 0; q < nk; q++) wmax[q] = -INFINITY, wmin[q] = INFINITY, bmax[q] = -INFINITY, cnt[q] = 0;
            for (uint32_t i = 0; i < n; i++) {
                float w = wdt == MEMCOM_DTYPE_F16 ? mcc_f16_to_f32(wh[i]) : wf[i];
                float b = bdt == MEMCOM_DTYPE_F16 ? mcc_f16_to_f32(bh[i]) : bf[i];
                uint32_t q = key[i] = pass ? bk[i] + (w < 0.0f ? 0 : m) : bk[i];
                if (w > wmax[q]) wmax[q] = w;
                if (w < wmin[q]) wmin[q] = w;
                if (b > bmax[q]) bmax[q] = b;
                if (fabs(w) > wabs) wabs = fabs(w);
                if (bias && fabs(b) > babs) babs = fabs(b);
                cnt[q]++;
                if (!pass) negs[q] += w < 0.0f;
            }
            if (pass) break;
            /* mixed: at least 1 in MC_BOUNDS_SPLIT_SHARE of its items of each sign */
            for (uint32_t q = 0; q < m; q++) {
                uint32_t few = negs[q] < cnt[q] - negs[q] ? negs[q] : cnt[q] - negs[q];
                mixed += cnt[q] && few * MC_BOUNDS_SPLIT_SHARE >= cnt[q];
            }
            if (mixed * MC_BOUNDS_SPLIT_SHARE < m) break;
        }
        if (wkind == 2) CHECK_MSG(!g.split, "trial %d: a few negative w per bucket split the buckets", trial);
        uint32_t nk = mixed * MC_BOUNDS_SPLIT_SHARE < m ? m : 2 * m;
        int ok = g.wabs == wabs && g.babs == babs && g.nb == nk && g.split == (nk == 2 * m);
        for (uint32_t q = 0; q < nk && ok; q++) {
            float e_hi = cnt[q] ? wmax[q] : 0.0f, e_lo = cnt[q] ? wmin[q] : 0.0f, e_b = cnt[q] ? bmax[q] : 0.0f;
            ok = g.wmax[q] == e_hi && g.wmin[q] == e_lo && (!bias || g.bmax[q] == e_b);
            if (!ok) fprintf(stderr, "  trial %d bucket %u: %g %g %g, want %g %g %g\n", trial, q, g.wmax[q], g.wmin[q],
                             bias ? g.bmax[q] : 0.0f, e_hi, e_lo, e_b);
        }
        CHECK_MSG(ok, "trial %d (mode %u, n %u, m %u, %s): the per-bucket maxima", trial, mode, n, m, nk > m ? "split" : "not split");
        split_seen += nk > m;
        whole_seen += nk == m;
        {
            /* bucket (or part) q holds exactly its items, each with its w and
             * bias (0 without one), in ascending order of w, equal w in
             * ascending order of index: i mod m lists from the start, the
             * others once sorted, as their first scoring does (and only lists
             * of two or more items are left to sort) */
            int lists = g.items == NULL && g.start[0] == 0 && g.start[nk] == n;
            if (mode == MEMCOM_BUCKET_MOD) lists = lists && g.unsorted == NULL;
            for (uint32_t q = 0; q < nk && lists && g.unsorted; q++) {
                int marked = g.unsorted[q >> 5] >> (q & 31) & 1u;
                lists = marked == (g.start[q + 1] - g.start[q] > 1);
                mcc_bounds_sorted(&g, q);
                lists = lists && !(g.unsorted[q >> 5] >> (q & 31) & 1u);
            }
            uint32_t *seen = calloc(n, sizeof(uint32_t));
            for (uint32_t q = 0; q < nk && lists; q++) {
                lists = g.start[q + 1] - g.start[q] == cnt[q];
                for (uint32_t p = g.start[q]; p < g.start[q + 1] && lists; p++) {
                    const mcc_item *x = &g.wb[p], *prev = p > g.start[q] ? x - 1 : NULL;
                    uint32_t i = x->i;
                    if (i >= n) {
                        lists = 0;
                        break;
                    }
                    float w = wdt == MEMCOM_DTYPE_F16 ? mcc_f16_to_f32(wh[i]) : wf[i];
                    float b = !bias ? 0.0f : bdt == MEMCOM_DTYPE_F16 ? mcc_f16_to_f32(bh[i]) : bf[i];
                    lists = key[i] == q && !seen[i] && x->w == w && x->b == b &&
                            (!prev || prev->w < w || (prev->w == w && prev->i < i));
                    if (lists) seen[i] = 1;
                }
            }
            CHECK_MSG(lists, "trial %d (mode %u): the item lists", trial, mode);
            free(seen);
        }
        mcc_bounds_free(&g);
        free(wmax); free(wmin); free(bmax); free(cnt); free(key); free(negs); free(hash_b);
        free(wf); free(bf); free(wh); free(bh); free(b32); free(b16); free(bk);
    }
    CHECK(split_seen > 5 && whole_seen > 5);
}

/* ---- 2. black box ---- */

/* what the bounds did in check_topk's rankings with them on (toggling them
 * off frees them, counters included) */
static struct { uint64_t ranked, linear, scored; } g_seen;

/* top-k of m (bounds on and off, pre-ranking on and off, prepared by
 * memcom_prepare or on first use) against a brute
 * force over memcom_score_vector of ref: the same model, or (use_bias 0 on a
 * model with a bias) its twin without the bias */
static void check_topk(memcom_model *m, memcom_model *ref, uint32_t n, uint32_t d, const float *v, size_t k,
                       const uint32_t *excl, size_t n_excl, int use_bias, const char *what)
{
    float *scores = malloc(sizeof(float) * n);
    size_t cap = (k < n ? k : n) + 1;
    uint32_t *ri = malloc(sizeof(uint32_t) * cap), *gi = malloc(sizeof(uint32_t) * cap);
    float *rs = malloc(sizeof(float) * cap), *gs = malloc(sizeof(float) * cap);
    CHECK_CODE(memcom_score_vector(ref, v, d, scores), MEMCOM_OK);
    size_t want = f_ref_topk(scores, n, k, excl, n_excl, NULL, 0, ri, rs);
    for (int bounds = 1; bounds >= 0; bounds--) {
        for (int index = 1; index >= 0; index--) {
            CHECK_CODE(memcom_set_bucket_bounds(m, bounds), MEMCOM_OK);
            CHECK_CODE(memcom_set_int8_index(m, index), MEMCOM_OK);
            if (index) CHECK_CODE(memcom_prepare(m), MEMCOM_OK); /* built now, or (index 0) by this top-k */
            memcom_topk_opts o = {k, excl, n_excl, NULL, 0, use_bias, 0};
            size_t got = 0;
            CHECK_CODE(memcom_topk_vector(m, v, d, &o, gi, gs, &got), MEMCOM_OK);
            int same = got == want;
            for (size_t q = 0; same && q < got; q++) same = gi[q] == ri[q] && memcmp(&gs[q], &rs[q], 4) == 0;
            CHECK_MSG(same, "%s: bounds %d index %d k=%zu got %zu want %zu; first %u/%.9g vs %u/%.9g", what, bounds,
                      index, k, got, want, got ? gi[0] : 0, got ? gs[0] : 0, want ? ri[0] : 0, want ? rs[0] : 0);
        }
        if (bounds) {
            const mcc_bounds *g = mcc_model_bounds(m);
            g_seen.ranked += g->n_ranked;
            g_seen.linear += g->n_linear;
            g_seen.scored += g->n_scored;
        }
    }
    CHECK_CODE(memcom_set_bucket_bounds(m, 1), MEMCOM_OK);
    CHECK_CODE(memcom_set_int8_index(m, 1), MEMCOM_OK);
    free(scores); free(ri); free(gi); free(rs); free(gs);
}

static void fill_table(memcom_table_data *t, uint32_t kind, uint32_t n, uint32_t m, uint32_t d, uint32_t row_dtype,
                       uint32_t scalar_dtype, uint32_t bucket_mode)
{
    memset(t, 0, sizeof *t);
    t->desc = f_desc(kind, n, m, d, row_dtype, kind == MEMCOM_KIND_MEMCOM ? scalar_dtype : 0, bucket_mode,
                     bucket_mode == MEMCOM_BUCKET_EXPLICIT ? MEMCOM_DTYPE_U32 : 0,
                     bucket_mode == MEMCOM_BUCKET_HASH ? 0x9e3779b97f4a7c15ull : 0);
}

static void test_topk_grid(void)
{
    t_rng r = {77};
    const uint32_t dtypes[] = {MEMCOM_DTYPE_F32, MEMCOM_DTYPE_F16, MEMCOM_DTYPE_I8};
    const uint32_t modes[] = {MEMCOM_BUCKET_MOD, MEMCOM_BUCKET_HASH, MEMCOM_BUCKET_EXPLICIT};
    int cases = 0;
    memset(&g_seen, 0, sizeof g_seen);
    for (int kind = 0; kind < 2; kind++) {
        for (int di = 0; di < 3; di++) {
            for (int mi = 0; mi < 3; mi++) {
                for (int wstyle = 0; wstyle < 4; wstyle++) {
                    uint32_t per = (const uint32_t[]){2, 9, 40, 3}[(di + mi + wstyle) % 4];
                    uint32_t n = (wstyle & 1) ? 5000 : 777, m = n / per, d = (const uint32_t[]){3, 16, 24}[(mi + wstyle) % 3];
                    uint32_t sdt = (wstyle & 2) ? MEMCOM_DTYPE_F16 : MEMCOM_DTYPE_F32;
                    uint32_t bdt = (di + wstyle) % 3 == 0 ? 0 : (di + wstyle) % 3 == 1 ? MEMCOM_DTYPE_F32 : MEMCOM_DTYPE_F16;
                    memcom_table_data t;
                    fill_table(&t, kind ? MEMCOM_KIND_MEMCOM : MEMCOM_KIND_HASH, n, m, d, dtypes[di], sdt, modes[mi]);
                    float *rows = malloc(sizeof(float) * m * d), *w = malloc(sizeof(float) * n);
                    float *bias = malloc(sizeof(float) * n), *v = malloc(sizeof(float) * d);
                    uint32_t *bk = malloc(sizeof(uint32_t) * n);
                    for (uint32_t j = 0; j < m * d; j++) rows[j] = (float)t_uniform(&r);
                    for (uint32_t i = 0; i < n; i++) {
                        /* 0: positive; 1: symmetric; 2: all equal (ties across buckets); 3: a few large */
                        w[i] = wstyle == 0 ? 0.5f + (float)t_uniform(&r) * 0.5f + 0.5f : wstyle == 1 ? (float)t_uniform(&r)
                             : wstyle == 2 ? 1.0f : (t_below(&r, 50) == 0 ? 8.0f : 0.25f);
                        bias[i] = wstyle == 2 ? (i % 3 == 0 ? 0.5f : 0.0f) : (float)t_uniform(&r) * 0.3f;
                        /* explicit: skewed sizes, one big bucket, some empty */
                        bk[i] = t_below(&r, 4) == 0 ? 0 : t_below(&r, m / 2 + 1) * 2 % m;
                    }
                    if (wstyle == 2) /* identical rows: equal scores everywhere */
                        for (uint32_t j = 0; j < m * d; j++) rows[j] = rows[j % d];
                    t.rows_a = rows;
                    t.scalars = kind ? w : NULL;
                    t.buckets = modes[mi] == MEMCOM_BUCKET_EXPLICIT ? bk : NULL;
                    void *b1 = NULL, *b2 = NULL;
                    memcom_model *mm = f_open_output(&t, bdt ? bias : NULL, bdt, &b1);
                    memcom_model *plain = bdt ? f_open_output(&t, NULL, 0, &b2) : mm;
                    for (int q = 0; q < 3 && mm && plain; q++) {
                        for (uint32_t j = 0; j < d; j++) v[j] = (float)t_uniform(&r);
                        uint32_t excl[4] = {0, t_below(&r, n), t_below(&r, n), n - 1};
                        const size_t ks[] = {1, 10, 100, (size_t)n + 3};
                        for (size_t kk = 0; kk < 4; kk++) {
                            check_topk(mm, mm, n, d, v, ks[kk], q ? excl : NULL, q ? 4 : 0, 1, "grid");
                            if (bdt) check_topk(mm, plain, n, d, v, ks[kk], q == 2 ? excl : NULL, q == 2 ? 4 : 0, 0, "grid, no bias");
                            cases++;
                        }
                    }
                    if (plain != mm) memcom_close(plain);
                    memcom_close(mm);
                    memcom_free(b1);
                    memcom_free(b2);
                    free(rows); free(w); free(bias); free(v); free(bk);
                }
            }
        }
    }
    CHECK(cases == 2 * 3 * 3 * 4 * 3 * 4);
    CHECK(g_seen.ranked > (uint64_t)cases && g_seen.linear < g_seen.ranked); /* the bucket path ran, and mostly finished */
}

/* ---- 3. when the bounds apply, and when they give way ---- */

static memcom_model *memcom_mod(uint32_t n, uint32_t m, uint32_t d, const float *rows, const float *w,
                                const float *bias, void **bytes)
{
    memcom_table_data t;
    fill_table(&t, MEMCOM_KIND_MEMCOM, n, m, d, MEMCOM_DTYPE_F32, MEMCOM_DTYPE_F32, MEMCOM_BUCKET_MOD);
    t.rows_a = rows;
    t.scalars = w;
    return f_open_output(&t, bias, bias ? MEMCOM_DTYPE_F32 : 0, bytes);
}

static void test_pruning(void)
{
    t_rng r = {5};
    const uint32_t n = 40000, m = 2000, d = 16;
    float *rows = malloc(sizeof(float) * m * d), *w = malloc(sizeof(float) * n), *bias = malloc(sizeof(float) * n);
    float v[16];
    for (uint32_t j = 0; j < m * d; j++) rows[j] = (float)t_uniform(&r);
    for (uint32_t i = 0; i < n; i++) {
        w[i] = 0.5f + (float)t_uniform(&r) * 0.5f + 0.5f;
        bias[i] = (float)t_uniform(&r) * 0.1f;
    }
    void *bytes = NULL;
    memset(&g_seen, 0, sizeof g_seen);
    memcom_model *mm = memcom_mod(n, m, d, rows, w, bias, &bytes);
    for (int q = 0; q < 5 && mm; q++) {
        for (uint32_t j = 0; j < d; j++) v[j] = (float)t_uniform(&r);
        check_topk(mm, mm, n, d, v, 10, NULL, 0, 1, "pruning");
    }
    /* w and b vary little within a bucket: a few buckets are scored, never all items */
    CHECK(g_seen.ranked == 10 && g_seen.linear == 0); /* 5 queries x (pre-ranked, exact) */
    CHECK_MSG(g_seen.scored < (uint64_t)10 * n / 50, "scored %llu items in 10 rankings of %u", (unsigned long long)g_seen.scored, n);
    memcom_close(mm);
    memcom_free(bytes);

    /* popular items own a bucket each and score highest (as the trainer's
     * default variant lays them out): the best-bounded buckets hold one item
     * each, so the seeds must keep going until they have about 2k items */
    {
        const uint32_t own = 200, shared = 100, ne = 20000;
        uint32_t *bk = malloc(sizeof(uint32_t) * ne);
        float *rw = malloc(sizeof(float) * (own + shared) * d);
        for (uint32_t j = 0; j < (own + shared) * d; j++) rw[j] = (float)t_uniform(&r);
        for (uint32_t i = 0; i < ne; i++) {
            bk[i] = i < own ? i : own + i % shared;
            w[i] = i < own ? 3.0f + (float)t_uniform(&r) : 0.5f + (float)t_uniform(&r) * 0.25f;
            bias[i] = i < own ? 1.0f : (float)t_uniform(&r) * 0.1f;
        }
        memcom_table_data t;
        fill_table(&t, MEMCOM_KIND_MEMCOM, ne, own + shared, d, MEMCOM_DTYPE_F32, MEMCOM_DTYPE_F32, MEMCOM_BUCKET_EXPLICIT);
        t.rows_a = rw;
        t.scalars = w;
        t.buckets = bk;
        memset(&g_seen, 0, sizeof g_seen);
        mm = f_open_output(&t, bias, MEMCOM_DTYPE_F32, &bytes);
        for (int q = 0; q < 5 && mm; q++) {
            for (uint32_t j = 0; j < d; j++) v[j] = (float)t_uniform(&r);
            check_topk(mm, mm, ne, d, v, 10, NULL, 0, 1, "own buckets");
        }
        CHECK(g_seen.ranked == 10 && g_seen.linear == 0);
        CHECK_MSG(g_seen.scored < (uint64_t)10 * 600, "scored %llu items in 10 rankings", (unsigned long long)g_seen.scored);
        memcom_close(mm);
        memcom_free(bytes);
        free(bk); free(rw);
    }

    /* the paper's layout: items by popularity, bucket i mod m, so every bucket
     * holds one item of each popularity tier and its bound carries the bias
     * of its most popular item: the first round's threshold is weak, later
     * rounds (the best-bounded buckets next) raise it until few are left */
    {
        memset(&g_seen, 0, sizeof g_seen);
        for (uint32_t i = 0; i < n; i++) {
            w[i] = 0.5f + (float)t_uniform(&r) * 0.25f;
            bias[i] = 3.0f * powf(0.8f, (float)(i / m)) + (float)t_uniform(&r) * 0.1f;
        }
        mm = memcom_mod(n, m, d, rows, w, bias, &bytes);
        for (int q = 0; q < 5 && mm; q++) {
            for (uint32_t j = 0; j < d; j++) v[j] = (float)t_uniform(&r);
            check_topk(mm, mm, n, d, v, 10, NULL, 0, 1, "popularity tiers");
        }
        CHECK_MSG(g_seen.ranked == 10 && g_seen.linear == 0, "ranked %llu, linear %llu", (unsigned long long)g_seen.ranked,
                  (unsigned long long)g_seen.linear);
        CHECK_MSG(g_seen.scored < (uint64_t)10 * n / 32, "scored %llu items in 10 rankings", (unsigned long long)g_seen.scored);
        memcom_close(mm);
        memcom_free(bytes);
    }

    /* w of both signs in every bucket (ranked on sign parts) and a deep top
     * k, as the first stage of a two-stage ranking: each part scored is read
     * in order of w from the end where w * T is largest and left at its first
     * item that cannot reach the k-th score, so a ranking reads a few items
     * of each part it scores, not the part (about 32 items here) */
    {
        const uint32_t nm = 64000, mm0 = 1000;
        float *wm = malloc(sizeof(float) * nm), *bm = malloc(sizeof(float) * nm);
        for (uint32_t i = 0; i < nm; i++) {
            wm[i] = (float)(t_uniform(&r) + t_uniform(&r) + t_uniform(&r));
            bm[i] = (float)t_uniform(&r) * 0.1f;
        }
        memset(&g_seen, 0, sizeof g_seen);
        mm = memcom_mod(nm, mm0, d, rows, wm, bm, &bytes);
        uint32_t excl[3] = {5, 1005, 63999};
        for (int q = 0; q < 4 && mm; q++) {
            for (uint32_t j = 0; j < d; j++) v[j] = (float)t_uniform(&r);
            check_topk(mm, mm, nm, d, v, q == 3 ? 300 : 500, q & 1 ? excl : NULL, q & 1 ? 3 : 0, 1, "mixed signs, deep k");
        }
        CHECK_MSG(g_seen.ranked == 8 && g_seen.linear == 0, "ranked %llu, linear %llu", (unsigned long long)g_seen.ranked,
                  (unsigned long long)g_seen.linear);
        /* about 1,400 items read per ranking here */
        CHECK_MSG(g_seen.scored < 8 * 4 * 500, "read %llu items in 8 rankings", (unsigned long long)g_seen.scored);
        memcom_close(mm);
        memcom_free(bytes);
        free(wm); free(bm);
    }

    /* loose bounds: in every bucket one item has a large w but a bias that
     * sinks it, so every bound is far above the real scores: every item is
     * scanned, and the answers stay exact */
    for (uint32_t i = 0; i < n; i++) {
        int decoy = i / m == 3;
        w[i] = decoy ? 50.0f : 0.5f + (float)t_uniform(&r) * 0.25f;
        bias[i] = decoy ? -1000.0f : 0.0f;
    }
    memset(&g_seen, 0, sizeof g_seen);
    mm = memcom_mod(n, m, d, rows, w, bias, &bytes);
    for (int q = 0; q < 3 && mm; q++) {
        for (uint32_t j = 0; j < d; j++) v[j] = (float)t_uniform(&r);
        check_topk(mm, mm, n, d, v, 10, NULL, 0, 1, "loose");
    }
    CHECK(g_seen.ranked > 0 && g_seen.linear == g_seen.ranked);
    /* rankings in a row that cannot prune stop trying after MC_BACKOFF_MISSES,
     * then retry every MC_BACKOFF_RETRY-th: 4 + 36 / 16 = 6 tries in 40 */
    {
        uint32_t top[10], want[10];
        float ts[10], ws[10];
        size_t got = 0, wn = 0;
        memcom_topk_opts o = {10, NULL, 0, NULL, 0, 1, 0};
        CHECK_CODE(memcom_set_int8_index(mm, 0), MEMCOM_OK); /* one scan per ranking */
        CHECK_CODE(memcom_set_bucket_bounds(mm, 0), MEMCOM_OK);
        CHECK_CODE(memcom_topk_vector(mm, v, d, &o, want, ws, &wn), MEMCOM_OK);
        CHECK_CODE(memcom_set_bucket_bounds(mm, 1), MEMCOM_OK);
        int same = 1;
        for (int q = 0; q < 40; q++) {
            CHECK_CODE(memcom_topk_vector(mm, v, d, &o, top, ts, &got), MEMCOM_OK);
            same = same && got == wn && memcmp(top, want, sizeof(uint32_t) * wn) == 0 && memcmp(ts, ws, sizeof(float) * wn) == 0;
        }
        CHECK(same);
        const mcc_bounds *g = mcc_model_bounds(mm);
        CHECK_MSG(g->n_ranked == 6 && g->n_linear == 6, "tried %llu, linear %llu", (unsigned long long)g->n_ranked,
                  (unsigned long long)g->n_linear);
    }
    memcom_close(mm);
    memcom_free(bytes);

    /* scores that could overflow float: the bounds are not used */
    for (uint32_t i = 0; i < n; i++) {
        w[i] = 1e30f;
        bias[i] = 0.0f;
    }
    for (uint32_t j = 0; j < m * d; j++) rows[j] = rows[j] * 1e7f;
    memset(&g_seen, 0, sizeof g_seen);
    mm = memcom_mod(n, m, d, rows, w, bias, &bytes);
    for (uint32_t j = 0; j < d; j++) v[j] = (float)t_uniform(&r);
    check_topk(mm, mm, n, d, v, 10, NULL, 0, 1, "overflow");
    CHECK(g_seen.ranked == 0);
    memcom_close(mm);
    memcom_free(bytes);
    free(rows); free(w); free(bias);
}

/* n = 8 items, m = 2 buckets (i mod 2), d = 2, by hand:
 * U0 = (1, 0), U1 = (0, 1), v = (2, -1): T0 = 2, T1 = -1.
 * w = 1 3 2 -4 0.5 1 -1 2, b = 0 0 0 0 0.25 1 0 0
 * scores: 2 -3 4 4 1.25 0 -2 -2 -> top-3: 2 (4), 3 (4, the tie to the
 * lower index), 0 (2); excluding 2: 3, 0, 4 (1.25) */
static void test_by_hand(void)
{
    const float rows[4] = {1, 0, 0, 1}, w[8] = {1, 3, 2, -4, 0.5f, 1, -1, 2}, bias[8] = {0, 0, 0, 0, 0.25f, 1, 0, 0};
    const float v[2] = {2, -1};
    void *bytes = NULL;
    memcom_model *mm = memcom_mod(8, 2, 2, rows, w, bias, &bytes);
    if (!mm) return;
    uint32_t idx[3];
    float sc[3];
    size_t got = 0;
    memcom_topk_opts o = {3, NULL, 0, NULL, 0, 1, 0};
    CHECK_CODE(memcom_topk_vector(mm, v, 2, &o, idx, sc, &got), MEMCOM_OK);
    CHECK(got == 3 && idx[0] == 2 && idx[1] == 3 && idx[2] == 0 && sc[0] == 4.0f && sc[1] == 4.0f && sc[2] == 2.0f);
    uint32_t ex = 2;
    o.exclude = &ex;
    o.n_exclude = 1;
    CHECK_CODE(memcom_topk_vector(mm, v, 2, &o, idx, sc, &got), MEMCOM_OK);
    CHECK(got == 3 && idx[0] == 3 && idx[1] == 0 && idx[2] == 4 && sc[1] == 2.0f && sc[2] == 1.25f);
    const mcc_bounds *g = mcc_model_bounds(mm);
    CHECK(g->state == 1 && g->n_ranked > 0);
    /* both buckets mix signs of w: ranked on parts, by hand (part r: the
     * items of bucket r with w < 0; m + r: the others), each listed in
     * ascending order of w:
     *   part 0 {6}: w -1; part 1 {3}: w -4;
     *   part 2 {4, 0, 2}: w 0.5 .. 2, b <= 0.25; part 3 {5, 7, 1}: w 1 .. 3, b <= 1 */
    CHECK(g->split == 1 && g->nb == 4 && g->start != NULL);
    {
        const uint32_t want_start[5] = {0, 1, 2, 5, 8}, want_items[8] = {6, 3, 4, 0, 2, 5, 7, 1};
        int same = 1;
        for (int q = 0; q < 5; q++) same = same && g->start[q] == want_start[q];
        for (int p = 0; p < 8 && same; p++)
            same = g->wb[p].i == want_items[p] && g->wb[p].w == w[want_items[p]] && g->wb[p].b == bias[want_items[p]];
        CHECK(same);
    }
    CHECK(g->wmax[0] == -1.0f && g->wmin[0] == -1.0f && g->wmax[1] == -4.0f && g->wmin[1] == -4.0f);
    CHECK(g->wmax[2] == 2.0f && g->wmin[2] == 0.5f && g->wmax[3] == 3.0f && g->wmin[3] == 1.0f);
    CHECK(g->bmax[0] == 0.0f && g->bmax[1] == 0.0f && g->bmax[2] == 0.25f && g->bmax[3] == 1.0f);
    /* turning them off frees them; on again rebuilds on the next ranking */
    CHECK_CODE(memcom_set_bucket_bounds(mm, 0), MEMCOM_OK);
    CHECK(g->state == 0 && g->wmax == NULL);
    CHECK_CODE(memcom_topk_vector(mm, v, 2, &o, idx, sc, &got), MEMCOM_OK);
    CHECK(g->state == -1 && got == 3 && idx[0] == 3);
    CHECK_CODE(memcom_set_bucket_bounds(mm, 1), MEMCOM_OK);
    CHECK_CODE(memcom_topk_vector(mm, v, 2, &o, idx, sc, &got), MEMCOM_OK);
    CHECK(g->state == 1 && got == 3 && idx[0] == 3);
    CHECK_CODE(memcom_set_bucket_bounds(NULL, 1), MEMCOM_E_ARG);
    memcom_close(mm);
    memcom_free(bytes);
}

/* the retry rule by itself */
static void test_retry(void)
{
    mcc_bounds g;
    memset(&g, 0, sizeof g);
    int tries = 0;
    for (int q = 0; q < 100; q++) {
        int t = mcc_bounds_try(&g);
        tries += t;
        if (t) mcc_bounds_outcome(&g, q >= 60); /* misses until ranking 60, then prunes */
    }
    /* 4 misses, then every 16th: rankings 0-3, 19, 35, 51, 67 (prunes: misses reset), 68 .. 99 */
    CHECK_MSG(tries == 4 + 4 + 32, "tries %d", tries);
    CHECK(g.backoff.misses == 0);
}

void test_bounds(void)
{
    test_retry();
    test_bound();
    test_stats();
    test_topk_grid();
    test_pruning();
    test_by_hand();
}
