/* state.c - the training-state sidecar of a checkpoint (CHECKPOINT.state),
 * written after every epoch so that `memcom train --resume` continues an
 * interrupted run exactly where it stopped.
 *
 * Layout (host byte order, refused on a host of the other order):
 *   "MCTSTATE" u32 version u32 0x01020304 (order tag)
 *   u32 len, options text ("--name=value\n" lines of everything that changes
 *       the result, plus a hash of the data)
 *   u32 epoch, best_epoch, since, tuned; f64 best_metric, train_time;
 *   u64 adam_step; u64 rng[4]; u32 n_works, n_works x u64[4] worker rngs;
 *   u32 nu, nu x u32 user order; u32 n_items, u8 has_in, [n x u32 buckets],
 *   u8 has_out, [n x u32]; u32 n_params, per parameter u64 len and
 *   len f32 each of value, Adam m1, Adam m2, best-epoch value;
 *   u32 CRC32 of all bytes before it.
 * Written like the model files, atomically (outfile.c). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../base/base.h"
#include "train.h"

#define STATE_MAGIC "MCTSTATE"
#define STATE_VERSION 1u
#define STATE_ORDER 0x01020304u

/* ---- options text ---- */

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++) h = (h ^ c[i]) * 0x100000001B3ull;
    return h;
}

static uint64_t csr_hash(uint64_t h, const mt_csr *c)
{
    h = fnv(h, &c->n_rows, sizeof c->n_rows);
    h = fnv(h, &c->nnz, sizeof c->nnz);
    if (c->off) h = fnv(h, c->off, ((size_t)c->n_rows + 1) * sizeof *c->off);
    if (c->idx && c->nnz) h = fnv(h, c->idx, (size_t)c->nnz * sizeof *c->idx);
    return h;
}

char *mt_state_options(const mt_train_opts *o, const mt_dataset *ds)
{
    mt_buf b = {0};
    int in_kind = o->in_kind < 0 ? o->out_kind : o->in_kind;
    mt_buf_printf(&b, "--in-kind=%s\n--out-kind=%s\n", mt_tkind_name(in_kind), mt_tkind_name(o->out_kind));
    mt_buf_printf(&b, "--ratio=%.17g\n--in-ratio=%.17g\n--rows=%u\n--in-rows=%u\n--pop-frac=%.17g\n", o->ratio,
                  o->in_ratio, o->rows, o->in_rows, o->pop_frac);
    mt_buf_printf(&b, "--scalar-dtype=%d\n--dtype=%d\n--scalar-decay=%.9g\n--dim=%u\n--layers=%u\n", o->scalar_dtype,
                  o->row_dtype, (double)o->scalar_decay, o->d, o->n_dense);
    mt_buf_printf(&b, "--batch=%u\n--patience=%u\n--warmup-epochs=%u\n--tune-lr=%.9g\n--lr=%.9g\n", o->batch,
                  o->patience, o->warmup_epochs, (double)o->tune_lr, (double)o->lr);
    mt_buf_printf(&b, "--dropout=%.9g\n--weight-decay=%.9g\n--seed=%llu\n--threads=%d\n", (double)o->dropout,
                  (double)o->weight_decay, (unsigned long long)o->seed, o->threads);
    mt_buf_printf(&b, "--init-from=%s\n", o->init_from ? o->init_from : "");
    if (o->short_h)   /* only with short histories: a state without them is as before */
        mt_buf_printf(&b, "--short-histories=%u\n--short-share=%.9g\n", o->short_h, (double)o->short_share);
    if (o->logit_adjust > 0)   /* likewise */
        mt_buf_printf(&b, "--logit-adjust=%.9g\n", (double)o->logit_adjust);
    if (o->bias_prior > 0)
        mt_buf_printf(&b, "--bias-prior=%.9g\n", (double)o->bias_prior);
    if (o->ranker)   /* only a ranker's state has these lines: a Mult-DAE's is as before */
        mt_buf_printf(&b, "--model=ranknet\n--head-layers=%u\n--head-width=%u\n--pairs=%u\n--negatives=%u\n"
                          "--negative-sampling=%s\n--rank-weight=%.9g\n--softmax-weight=%.9g\n--head-lr=%.9g\n",
                      o->head_layers, o->head_width, o->rank.pairs, o->rank.negatives,
                      mt_neg_sampling_name(o->rank.sampling), (double)o->rank.weight, (double)o->rank.softmax_weight,
                      (double)o->rank.head_lr);
    uint64_t h = 0xCBF29CE484222325ull;
    h = fnv(h, &ds->n_users, sizeof ds->n_users);
    h = fnv(h, &ds->n_items, sizeof ds->n_items);
    for (uint32_t i = 0; i < ds->n_items; i++)
        if (ds->item_ids && ds->item_ids[i]) h = fnv(h, ds->item_ids[i], strlen(ds->item_ids[i]) + 1);
    h = csr_hash(h, &ds->train);
    h = csr_hash(h, &ds->valid);
    h = csr_hash(h, &ds->test);
    mt_buf_printf(&b, "data=%u users, %u items, hash %016llx\n", ds->n_users, ds->n_items, (unsigned long long)h);
    if (o->ranker && ds->train.val) {   /* a ranker's graded pairs come from the grades */
        uint64_t g = 0xCBF29CE484222325ull;
        g = fnv(g, ds->train.val, (size_t)ds->train.nnz * sizeof *ds->train.val);
        mt_buf_printf(&b, "grades=%016llx\n", (unsigned long long)g);
    }
    return b.p;
}

/* the line of `text` starting with `name=` (without the newline) */
static const char *find_line(const char *text, const char *name, size_t name_len, size_t *len)
{
    for (const char *p = text; *p;) {
        const char *e = strchr(p, '\n');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (l > name_len && strncmp(p, name, name_len) == 0 && p[name_len] == '=') {
            *len = l;
            return p;
        }
        p += l + (e ? 1 : 0);
    }
    return NULL;
}

int mt_state_check_options(const mt_fit_state *s, const char *now, const char *path, mt_err *err)
{
    for (const char *p = now; *p;) {
        const char *e = strchr(p, '\n');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        const char *eq = memchr(p, '=', l);
        if (eq) {
            size_t nl = (size_t)(eq - p), ol = 0;
            const char *q = find_line(s->options, p, nl, &ol);
            if (!q || ol != l || memcmp(q, p, l) != 0) {
                if (nl == 4 && strncmp(p, "data", 4) == 0)
                    return mt_fail(err, MT_E_STATE, "%s: the training data differs from the interrupted run's (was: %.*s; now: %.*s)",
                                   path, q ? (int)(ol > 5 ? ol - 5 : 0) : 1, q ? q + 5 : "?", (int)(l - 5), p + 5);
                return mt_fail(err, MT_E_STATE, "%s: option %.*s differs from the interrupted run's: it was '%.*s', now '%.*s' "
                                    "(every option but --epochs must be the same to resume)",
                               path, (int)nl, p, q ? (int)(ol - nl - 1) : 1, q ? q + nl + 1 : "?",
                               (int)(l - nl - 1), eq + 1);
            }
        }
        p += l + (e ? 1 : 0);
    }
    /* options written only when used (a ranker's, short histories): the
     * state's lines that this run lacks */
    for (const char *p = s->options; *p;) {
        const char *e = strchr(p, '\n');
        size_t l = e ? (size_t)(e - p) : strlen(p), nl = 0;
        const char *eq = memchr(p, '=', l);
        if (eq && !find_line(now, p, (size_t)(eq - p), &nl))
            return mt_fail(err, MT_E_STATE, "%s: option %.*s differs from the interrupted run's: it was '%.*s', now "
                                            "not given (every option but --epochs must be the same to resume)",
                           path, (int)(eq - p), p, (int)(l - (size_t)(eq - p) - 1), eq + 1);
        p += l + (e ? 1 : 0);
    }
    return 0;
}

/* ---- writing ---- */

typedef struct wctx {
    mt_outfile o;
    uint32_t crc;
} wctx;

static void put(wctx *w, const void *p, size_t n)
{
    if (n == 0) return;
    w->crc = mcc_crc32_update(w->crc, p, n);
    mt_outfile_write(&w->o, p, n);
}
static void put32(wctx *w, uint32_t v) { put(w, &v, 4); }
static void put64(wctx *w, uint64_t v) { put(w, &v, 8); }
static void putf64(wctx *w, double v) { put(w, &v, 8); }

int mt_state_write(const char *path, const mt_fit_state *s, mt_err *err)
{
    wctx w;
    w.crc = 0;
    if (mt_outfile_open(&w.o, path, err)) return -1;
    put(&w, STATE_MAGIC, 8);
    put32(&w, STATE_VERSION);
    put32(&w, STATE_ORDER);
    uint32_t ol = (uint32_t)strlen(s->options);
    put32(&w, ol);
    put(&w, s->options, ol);
    put32(&w, s->epoch);
    put32(&w, s->best_epoch);
    put32(&w, s->since);
    put32(&w, s->tuned);
    putf64(&w, s->best_metric);
    putf64(&w, s->train_time);
    put64(&w, s->adam_step);
    put(&w, s->rng.s, sizeof s->rng.s);
    put32(&w, (uint32_t)s->n_works);
    for (int t = 0; t < s->n_works; t++) put(&w, s->work_rng[t].s, sizeof s->work_rng[t].s);
    put32(&w, s->nu);
    put(&w, s->users, (size_t)s->nu * sizeof *s->users);
    put32(&w, s->n_items);
    uint8_t has = s->in_bucket != NULL;
    put(&w, &has, 1);
    if (has) put(&w, s->in_bucket, (size_t)s->n_items * 4);
    has = s->out_bucket != NULL;
    put(&w, &has, 1);
    if (has) put(&w, s->out_bucket, (size_t)s->n_items * 4);
    put32(&w, (uint32_t)s->n_params);
    for (int k = 0; k < s->n_params; k++) {
        put64(&w, (uint64_t)s->len[k]);
        put(&w, s->v[k], s->len[k] * sizeof(float));
        put(&w, s->m1[k], s->len[k] * sizeof(float));
        put(&w, s->m2[k], s->len[k] * sizeof(float));
        put(&w, s->best[k], s->len[k] * sizeof(float));
    }
    uint32_t crc = w.crc;
    mt_outfile_write(&w.o, &crc, 4);
    return mt_outfile_commit(&w.o, err);
}

/* ---- reading ---- */

typedef struct rctx {
    const unsigned char *p;
    size_t left;
} rctx;

static int get(rctx *r, void *out, size_t n)
{
    if (n > r->left) return -1;
    memcpy(out, r->p, n);
    r->p += n;
    r->left -= n;
    return 0;
}
static int get32(rctx *r, uint32_t *v) { return get(r, v, 4); }

/* a copy of the next count elements of size sz, NULL if too few bytes */
static void *get_array(rctx *r, uint64_t count, size_t sz, int *bad)
{
    if (count > r->left / sz) {
        *bad = 1;
        return NULL;
    }
    size_t n = (size_t)count * sz;
    void *p = mt_xmalloc(n ? n : 1);
    memcpy(p, r->p, n);
    r->p += n;
    r->left -= n;
    return p;
}

void mt_state_free(mt_fit_state *s)
{
    free(s->options);
    free(s->users);
    free(s->in_bucket);
    free(s->out_bucket);
    for (int k = 0; k < MT_MAX_PARAMS; k++) {
        free(s->v[k]);
        free(s->m1[k]);
        free(s->m2[k]);
        free(s->best[k]);
    }
    memset(s, 0, sizeof *s);
}

int mt_state_read(const char *path, mt_fit_state *s, mt_err *err)
{
    memset(s, 0, sizeof *s);
    FILE *f = fopen(path, "rb");
    if (!f) return mt_fail(err, MT_E_STATE, "cannot open the training state %s: %s (it is written next to --checkpoint F as F.state)",
                           path, strerror(errno));
    unsigned char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            cap = cap ? cap * 2 : 1 << 16;
            buf = mt_xrealloc(buf, cap);
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) break;
    }
    int rerr = ferror(f);
    fclose(f);
    if (rerr) {
        free(buf);
        return mt_fail(err, MT_E_STATE, "cannot read the training state %s", path);
    }
    if (len < 20 || memcmp(buf, STATE_MAGIC, 8) != 0) {
        free(buf);
        return mt_fail(err, MT_E_STATE, "%s is not a memcom training state file", path);
    }
    uint32_t ver, order, crc;
    memcpy(&ver, buf + 8, 4);
    memcpy(&order, buf + 12, 4);
    memcpy(&crc, buf + len - 4, 4);
    if (order != STATE_ORDER) {
        free(buf);
        return mt_fail(err, MT_E_STATE, "%s: training state written on a machine of the other byte order", path);
    }
    if (ver != STATE_VERSION) {
        free(buf);
        return mt_fail(err, MT_E_STATE, "%s: training state version %u is not supported (this build reads version %u)", path, ver,
                       STATE_VERSION);
    }
    if (mcc_crc32(buf, len - 4) != crc) {
        free(buf);
        return mt_fail(err, MT_E_STATE, "%s: training state is corrupt (CRC32 mismatch)", path);
    }
    rctx r = {buf + 16, len - 20};
    int bad = 0;
    uint32_t ol = 0, nw = 0, np = 0;
    uint8_t has = 0;
    if (get32(&r, &ol)) goto trunc;
    if (ol > r.left) goto trunc;
    s->options = mt_xmalloc((size_t)ol + 1);
    if (get(&r, s->options, ol)) goto trunc;
    s->options[ol] = 0;
    for (uint32_t i = 0; i < ol; i++)
        if (((unsigned char)s->options[i] < 0x20 && s->options[i] != '\n') || s->options[i] == 0x7f) goto corrupt;
    if (get32(&r, &s->epoch) || get32(&r, &s->best_epoch) || get32(&r, &s->since) || get32(&r, &s->tuned) ||
        get(&r, &s->best_metric, 8) || get(&r, &s->train_time, 8) || get(&r, &s->adam_step, 8) ||
        get(&r, s->rng.s, sizeof s->rng.s) || get32(&r, &nw))
        goto trunc;
    if (nw < 1 || nw > MT_STATE_MAX_WORKS) goto corrupt;
    s->n_works = (int)nw;
    for (uint32_t t = 0; t < nw; t++)
        if (get(&r, s->work_rng[t].s, sizeof s->work_rng[t].s)) goto trunc;
    if (get32(&r, &s->nu)) goto trunc;
    s->users = get_array(&r, s->nu, 4, &bad);
    if (bad || get32(&r, &s->n_items) || get(&r, &has, 1)) goto trunc;
    if (has > 1) goto corrupt;
    if (has && !(s->in_bucket = get_array(&r, s->n_items, 4, &bad))) goto trunc;
    if (get(&r, &has, 1)) goto trunc;
    if (has > 1) goto corrupt;
    if (has && !(s->out_bucket = get_array(&r, s->n_items, 4, &bad))) goto trunc;
    if (get32(&r, &np)) goto trunc;
    if (np > MT_MAX_PARAMS) goto corrupt;
    s->n_params = (int)np;
    for (uint32_t k = 0; k < np; k++) {
        uint64_t l;
        if (get(&r, &l, 8)) goto trunc;
        if (l > r.left / 16) goto trunc;
        s->len[k] = (size_t)l;
        s->v[k] = get_array(&r, l, sizeof(float), &bad);
        s->m1[k] = get_array(&r, l, sizeof(float), &bad);
        s->m2[k] = get_array(&r, l, sizeof(float), &bad);
        s->best[k] = get_array(&r, l, sizeof(float), &bad);
        if (bad) goto trunc;
    }
    if (r.left != 0) goto corrupt;
    free(buf);
    s->loaded = 1;
    return 0;
trunc:
    free(buf);
    mt_state_free(s);
    return mt_fail(err, MT_E_STATE, "%s: training state is truncated", path);
corrupt:
    free(buf);
    mt_state_free(s);
    return mt_fail(err, MT_E_STATE, "%s: training state is corrupt (bad field)", path);
}

/* Sizes of a loaded state against the model built for the resumed run. */
int mt_state_check_model(const mt_fit_state *s, const mt_model *mdl, const char *path, mt_err *err)
{
    if (s->n_items != mdl->n || s->n_params != mdl->n_params)
        return mt_fail(err, MT_E_STATE, "%s: training state does not fit the model (%u items, %d parameter blocks; model has %u, %d)",
                       path, s->n_items, s->n_params, mdl->n, mdl->n_params);
    for (int k = 0; k < s->n_params; k++)
        if (s->len[k] != mdl->params[k].len)
            return mt_fail(err, MT_E_STATE, "%s: training state does not fit the model (parameter %s has %zu values, state %zu)",
                           path, mdl->params[k].name, mdl->params[k].len, s->len[k]);
    const mt_table *tabs[2] = {&mdl->in, &mdl->out};
    const uint32_t *sb[2] = {s->in_bucket, s->out_bucket};
    for (int r = 0; r < 2; r++) {
        if ((tabs[r]->bucket != NULL) != (sb[r] != NULL))
            return mt_fail(err, MT_E_STATE, "%s: training state does not fit the model (bucket table)", path);
        if (sb[r])
            for (uint32_t i = 0; i < s->n_items; i++)
                if (sb[r][i] >= tabs[r]->rows_a) return mt_fail(err, MT_E_STATE, "%s: training state has a bad bucket", path);
    }
    return 0;
}
