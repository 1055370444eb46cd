/* data_build.c - per-user split, popularity renumbering, CSR building, and
 * the loader that dispatches on the input format. */
#include <stdlib.h>
#include <string.h>

#include "train.h"

void mt_data_opts_default(mt_data_opts *o)
{
    memset(o, 0, sizeof *o);
    o->valid_frac = 0.1;
    o->test_frac = 0.2;
    o->seed = 1;
}

void mt_csr_free(mt_csr *c)
{
    free(c->off);
    free(c->idx);
    memset(c, 0, sizeof *c);
}

/* Group pairs by user (stable), then drop duplicate (user, item). */
static uint64_t *group_by_user(const mt_pairs *p, uint32_t n_users, uint32_t **order_out)
{
    uint64_t *off = mt_xcalloc((size_t)n_users + 1, sizeof *off);
    for (size_t k = 0; k < p->count; k++) off[p->user[k] + 1]++;
    for (uint32_t u = 0; u < n_users; u++) off[u + 1] += off[u];
    uint64_t *fill = mt_xmalloc(((size_t)n_users + 1) * sizeof *fill);
    memcpy(fill, off, ((size_t)n_users + 1) * sizeof *fill);
    uint32_t *order = mt_xmalloc((p->count ? p->count : 1) * sizeof *order);
    for (size_t k = 0; k < p->count; k++) order[fill[p->user[k]]++] = (uint32_t)k;
    free(fill);
    *order_out = order;
    return off;
}

void mt_split_per_user(mt_pairs *p, uint32_t n_users, double valid_frac, double test_frac,
                       uint64_t seed)
{
    uint32_t *order;
    uint64_t *off = group_by_user(p, n_users, &order);
    mt_rng rng;
    mt_rng_seed(&rng, seed ^ 0x5EEDull);
    uint32_t *buf = NULL;
    size_t buf_cap = 0;
    for (uint32_t u = 0; u < n_users; u++) {
        size_t cnt = (size_t)(off[u + 1] - off[u]);
        if (cnt > buf_cap) {
            buf_cap = cnt * 2;
            buf = mt_xrealloc(buf, buf_cap * sizeof *buf);
        }
        if (cnt) memcpy(buf, order + off[u], cnt * sizeof *buf); /* buf is NULL while cnt == 0 (memcpy(NULL, ..., 0) is UB) */
        mt_shuffle_u32(&rng, buf, cnt);
        size_t n_test = (size_t)(test_frac * (double)cnt + 0.5);
        size_t n_valid = (size_t)(valid_frac * (double)cnt + 0.5);
        if (cnt >= 1 && n_test + n_valid >= cnt) {   /* keep one training item */
            size_t excess = n_test + n_valid - (cnt - 1);
            size_t dv = excess < n_valid ? excess : n_valid;
            n_valid -= dv;
            excess -= dv;
            n_test -= excess < n_test ? excess : n_test;
        }
        for (size_t k = 0; k < cnt; k++)
            p->part[buf[k]] = k < n_test ? 2 : (k < n_test + n_valid ? 1 : 0);
    }
    free(buf);
    free(order);
    free(off);
}

typedef struct { uint32_t count, first, item; } pop_rec;
static int pop_cmp(const void *a, const void *b)
{
    const pop_rec *x = a, *y = b;
    if (x->count != y->count) return x->count > y->count ? -1 : 1;
    return x->first < y->first ? -1 : (x->first > y->first);
}

static int u32_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : (x > y);
}

static void build_csr(mt_csr *c, const mt_pairs *p, uint8_t part, uint32_t n_users,
                      const uint32_t *remap)
{
    c->n_rows = n_users;
    c->off = mt_xcalloc((size_t)n_users + 1, sizeof *c->off);
    for (size_t k = 0; k < p->count; k++)
        if (p->part[k] == part) c->off[p->user[k] + 1]++;
    for (uint32_t u = 0; u < n_users; u++) c->off[u + 1] += c->off[u];
    c->idx = mt_xmalloc((size_t)(c->off[n_users] ? c->off[n_users] : 1) * sizeof *c->idx);
    uint64_t *fill = mt_xmalloc(((size_t)n_users + 1) * sizeof *fill);
    memcpy(fill, c->off, ((size_t)n_users + 1) * sizeof *fill);
    for (size_t k = 0; k < p->count; k++)
        if (p->part[k] == part) c->idx[fill[p->user[k]]++] = remap[p->item[k]];
    free(fill);
    /* sort each row and drop duplicates */
    uint64_t w = 0;
    for (uint32_t u = 0; u < n_users; u++) {
        uint64_t a = c->off[u], b = c->off[u + 1];
        qsort(c->idx + a, (size_t)(b - a), sizeof *c->idx, u32_cmp);
        c->off[u] = w;
        for (uint64_t k = a; k < b; k++)
            if (k == a || c->idx[k] != c->idx[k - 1]) c->idx[w++] = c->idx[k];
    }
    c->off[n_users] = w;
    c->nnz = w;
}

/* Remove from valid/test what is in train, and from test what is in valid. */
static void make_disjoint(mt_csr *a, const mt_csr *b)
{
    uint64_t w = 0;
    for (uint32_t u = 0; u < a->n_rows; u++) {
        uint64_t s = a->off[u], e = a->off[u + 1], j = b->off[u], je = b->off[u + 1];
        a->off[u] = w;
        for (uint64_t k = s; k < e; k++) {
            while (j < je && b->idx[j] < a->idx[k]) j++;
            if (j < je && b->idx[j] == a->idx[k]) continue;
            a->idx[w++] = a->idx[k];
        }
    }
    a->off[a->n_rows] = w;
    a->nnz = w;
}

void mt_dataset_build(mt_dataset *ds, mt_pairs *p, mt_strmap *users, mt_strmap *items)
{
    uint32_t n_users = (uint32_t)users->count, n_items = (uint32_t)items->count;
    pop_rec *rec = mt_xcalloc(n_items, sizeof *rec);
    for (uint32_t i = 0; i < n_items; i++) {
        rec[i].item = i;
        rec[i].first = i;   /* interning order = order of first appearance */
    }
    /* count distinct (user, item) training pairs */
    {
        mt_csr tmp;
        uint32_t *ident = mt_xmalloc((n_items ? n_items : 1) * sizeof *ident);
        for (uint32_t i = 0; i < n_items; i++) ident[i] = i;
        build_csr(&tmp, p, 0, n_users, ident);
        for (uint64_t k = 0; k < tmp.nnz; k++) rec[tmp.idx[k]].count++;
        mt_csr_free(&tmp);
        free(ident);
    }
    qsort(rec, n_items, sizeof *rec, pop_cmp);
    uint32_t *remap = mt_xmalloc((n_items ? n_items : 1) * sizeof *remap);
    char **by_index = mt_xcalloc(n_items ? n_items : 1, sizeof *by_index);
    for (size_t s = 0; s < items->cap; s++)
        if (items->keys[s]) by_index[items->vals[s]] = items->keys[s];
    ds->n_users = n_users;
    ds->n_items = n_items;
    ds->item_ids = mt_xcalloc(n_items ? n_items : 1, sizeof *ds->item_ids);
    ds->item_count = mt_xcalloc(n_items ? n_items : 1, sizeof *ds->item_count);
    for (uint32_t r = 0; r < n_items; r++) {
        remap[rec[r].item] = r;
        ds->item_ids[r] = mt_xstrdup(by_index[rec[r].item], strlen(by_index[rec[r].item]));
        ds->item_count[r] = rec[r].count;
    }
    build_csr(&ds->train, p, 0, n_users, remap);
    build_csr(&ds->valid, p, 1, n_users, remap);
    build_csr(&ds->test, p, 2, n_users, remap);
    make_disjoint(&ds->valid, &ds->train);
    make_disjoint(&ds->test, &ds->train);
    make_disjoint(&ds->test, &ds->valid);
    free(by_index);
    free(remap);
    free(rec);
}

static void derive_name(char *out, size_t cap, const char *path, int is_dir_file)
{
    /* "a/b/ml-1m/implicit/train.txt" -> "ml-1m/implicit"; "x/ratings.csv" -> "x/ratings.csv" */
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s", path);
    char *parts[64];
    int n = 0;
    for (char *t = strtok(tmp, "/"); t && n < 64; t = strtok(NULL, "/"))
        if (strcmp(t, ".") && strcmp(t, "..")) parts[n++] = t;
    if (is_dir_file && n >= 1) n--;   /* drop train.txt */
    if (n >= 2)
        snprintf(out, cap, "%s/%s", parts[n - 2], parts[n - 1]);
    else if (n == 1)
        snprintf(out, cap, "%s", parts[0]);
    else
        snprintf(out, cap, "data");
}

int mt_dataset_load(mt_dataset *ds, const mt_data_opts *o, mt_err *err)
{
    memset(ds, 0, sizeof *ds);
    mt_strmap users, items;
    mt_strmap_init(&users);
    mt_strmap_init(&items);
    mt_pairs p = {0};
    int rc = 0;
    if (o->format == MT_FMT_SPLIT) {
        rc = mt_read_split_file(o->train_path, 0, &users, &items, &p, err);
        if (!rc && o->valid_path) rc = mt_read_split_file(o->valid_path, 1, &users, &items, &p, err);
        if (!rc && o->test_path) rc = mt_read_split_file(o->test_path, 2, &users, &items, &p, err);
        derive_name(ds->name, sizeof ds->name, o->train_path, 1);
    } else if (o->format == MT_FMT_CSV || o->format == MT_FMT_SEQ) {
        if (o->format == MT_FMT_CSV)
            rc = mt_read_csv_file(o, &users, &items, &p, err);
        else
            rc = mt_read_split_file(o->path, 0, &users, &items, &p, err);
        if (!rc) mt_split_per_user(&p, (uint32_t)users.count, o->valid_frac, o->test_frac, o->seed);
        derive_name(ds->name, sizeof ds->name, o->path, 0);
    } else {
        rc = mt_fail(err, MT_E_DATA, "unknown input format");
    }
    if (!rc && items.count == 0) {
        const char *f = o->format == MT_FMT_SPLIT ? o->train_path : o->path;
        rc = mt_fail(err, MT_E_DATA, "%s: no items found", f);
    }
    if (!rc) {
        if (o->name) snprintf(ds->name, sizeof ds->name, "%s", o->name);
        mt_dataset_build(ds, &p, &users, &items);
    }
    mt_pairs_free(&p);
    mt_strmap_free(&users);
    mt_strmap_free(&items);
    return rc;
}

void mt_dataset_free(mt_dataset *ds)
{
    if (ds->item_ids)
        for (uint32_t i = 0; i < ds->n_items; i++) free(ds->item_ids[i]);
    free(ds->item_ids);
    free(ds->item_count);
    mt_csr_free(&ds->train);
    mt_csr_free(&ds->valid);
    mt_csr_free(&ds->test);
    memset(ds, 0, sizeof *ds);
}
