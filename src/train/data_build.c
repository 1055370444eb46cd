/* data_build.c - per-user split, popularity renumbering, CSR building, and
 * the loader that dispatches on the input format. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
    free(c->val);
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

size_t mt_pairs_dedup(mt_pairs *p, uint32_t n_users, uint32_t n_items)
{
    (void)n_users;
    /* seen[item] = 1 + the last user that had it, over the pairs grouped by
     * user (stable), so the first occurrence of each pair is kept */
    uint32_t *order;
    uint64_t *off = group_by_user(p, n_users, &order);
    uint32_t *seen = mt_xcalloc(n_items ? n_items : 1, sizeof *seen);
    uint8_t *drop = mt_xcalloc(p->count ? p->count : 1, 1);
    size_t dropped = 0;
    for (uint32_t u = 0; u < n_users; u++)
        for (uint64_t k = off[u]; k < off[u + 1]; k++) {
            uint32_t it = p->item[order[k]];
            if (seen[it] == u + 1) {
                drop[order[k]] = 1;
                dropped++;
            } else {
                seen[it] = u + 1;
            }
        }
    if (dropped) {
        size_t w = 0;
        for (size_t k = 0; k < p->count; k++)
            if (!drop[k]) {
                p->user[w] = p->user[k];
                p->item[w] = p->item[k];
                p->part[w] = p->part[k];
                p->grade[w] = p->grade[k];
                w++;
            }
        p->count = w;
    }
    free(drop);
    free(seen);
    free(order);
    free(off);
    return dropped;
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

static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++) h = (h ^ c[i]) * 0x100000001B3ull;
    return h;
}

static uint64_t mix64(uint64_t x)   /* splitmix64's finaliser */
{
    x ^= x >> 30;
    x *= 0xBF58476D1CE4E5B9ull;
    x ^= x >> 27;
    x *= 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

typedef struct { uint32_t count, first, item; } pop_rec;
static int pop_cmp(const void *a, const void *b)
{
    const pop_rec *x = a, *y = b;
    if (x->count != y->count) return x->count > y->count ? -1 : 1;
    return x->first < y->first ? -1 : (x->first > y->first);
}

typedef struct item_grade { uint32_t item; float grade; uint64_t order; } item_grade;
static int ig_cmp(const void *a, const void *b)
{
    const item_grade *x = a, *y = b;
    if (x->item != y->item) return x->item < y->item ? -1 : 1;
    return x->order < y->order ? -1 : (x->order > y->order);
}

/* Rows sorted by item, duplicates dropped (the first kept, with its grade);
 * grades kept (c->val) when the pairs are graded. */
static void build_csr(mt_csr *c, const mt_pairs *p, uint8_t part, uint32_t n_users,
                      const uint32_t *remap)
{
    c->n_rows = n_users;
    c->off = mt_xcalloc((size_t)n_users + 1, sizeof *c->off);
    for (size_t k = 0; k < p->count; k++)
        if (p->part[k] == part) c->off[p->user[k] + 1]++;
    for (uint32_t u = 0; u < n_users; u++) c->off[u + 1] += c->off[u];
    size_t total = (size_t)(c->off[n_users] ? c->off[n_users] : 1);
    item_grade *ig = mt_xmalloc(total * sizeof *ig);
    uint64_t *fill = mt_xmalloc(((size_t)n_users + 1) * sizeof *fill);
    memcpy(fill, c->off, ((size_t)n_users + 1) * sizeof *fill);
    for (size_t k = 0; k < p->count; k++)
        if (p->part[k] == part) {
            uint64_t at = fill[p->user[k]]++;
            ig[at] = (item_grade){remap[p->item[k]], p->graded ? p->grade[k] : 1.0f, k};
        }
    free(fill);
    c->idx = mt_xmalloc(total * sizeof *c->idx);
    c->val = p->graded ? mt_xmalloc(total * sizeof *c->val) : NULL;
    /* sort each row and drop duplicates */
    uint64_t w = 0;
    for (uint32_t u = 0; u < n_users; u++) {
        uint64_t a = c->off[u], b = c->off[u + 1];
        qsort(ig + a, (size_t)(b - a), sizeof *ig, ig_cmp);
        c->off[u] = w;
        for (uint64_t k = a; k < b; k++)
            if (k == a || ig[k].item != ig[k - 1].item) {
                if (c->val) c->val[w] = ig[k].grade;
                c->idx[w++] = ig[k].item;
            }
    }
    c->off[n_users] = w;
    c->nnz = w;
    free(ig);
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
            if (a->val) a->val[w] = a->val[k];
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
    ds->graded = p->graded;
    make_disjoint(&ds->valid, &ds->train);
    make_disjoint(&ds->test, &ds->train);
    make_disjoint(&ds->test, &ds->valid);
    /* provenance: order-free hashes over the id strings (train, valid and
     * test are disjoint, so their union is the distinct pairs) */
    char **user_ids = mt_xcalloc(n_users ? n_users : 1, sizeof *user_ids);
    for (size_t s = 0; s < users->cap; s++)
        if (users->keys[s]) user_ids[users->vals[s]] = mt_xstrdup(users->keys[s], strlen(users->keys[s]));
    ds->user_ids = user_ids;
    const mt_csr *parts[3] = {&ds->train, &ds->valid, &ds->test};
    ds->pairs = 0;
    ds->data_hash = ds->split_hash = 0;
    for (uint32_t u = 0; u < n_users; u++) {
        uint64_t hu = fnv1a(0xCBF29CE484222325ull, user_ids[u], strlen(user_ids[u]) + 1);
        for (int q = 0; q < 3; q++)
            for (uint64_t k = parts[q]->off[u]; k < parts[q]->off[u + 1]; k++) {
                const char *id = ds->item_ids[parts[q]->idx[k]];
                uint64_t h = fnv1a(hu, id, strlen(id) + 1);
                ds->data_hash += mix64(h);
                ds->split_hash += mix64(h ^ (0x9E3779B97F4A7C15ull * (uint64_t)(q + 1)));
                ds->pairs++;
            }
    }
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
        mt_csv_info ci;
        memset(&ci, 0, sizeof ci);
        if (o->format == MT_FMT_CSV)
            rc = mt_read_csv_file(o, &users, &items, &p, &ci, err);
        else
            rc = mt_read_split_file(o->path, 0, &users, &items, &p, err);
        if (!rc) {
            /* repeated (user, item) lines count once: dropped before the split */
            ds->duplicates = mt_pairs_dedup(&p, (uint32_t)users.count, (uint32_t)items.count);
            mt_split_per_user(&p, (uint32_t)users.count, o->valid_frac, o->test_frac, o->seed);
        }
        derive_name(ds->name, sizeof ds->name, o->path, 0);
        size_t nl = 0;
        if (!rc && ci.header_detected)
            nl += (size_t)snprintf(ds->note + nl, sizeof ds->note - nl,
                                   "line %lu \"%.80s\" looks like a header (its fields are not numbers where the next "
                                   "line's are): skipped; give --header to say so, or --no-header to read it as data. ",
                                   ci.header_line, ci.header_text);
        if (!rc && ci.delimiter_detected && nl < sizeof ds->note) {
            const char *dn = mt_delimiter_name(ci.delimiter);
            char one[4] = {'\'', ci.delimiter, '\'', 0};
            if (ci.delimiter != ',')
                snprintf(ds->note + nl, sizeof ds->note - nl,
                         "fields are separated by %s (detected; --delimiter sets it). ", dn ? dn : one);
        }
        nl = strlen(ds->note);
        if (nl && ds->note[nl - 1] == ' ') ds->note[nl - 1] = 0;
    } else {
        rc = mt_fail(err, MT_E_DATA, "unknown input format");
    }
    if (!rc && items.count == 0) {
        const char *f = o->format == MT_FMT_SPLIT ? o->train_path : o->path;
        rc = mt_fail(err, MT_E_DATA, "%s: no items found", f);
    }
    if (!rc) {
        if (o->name) snprintf(ds->name, sizeof ds->name, "%s", o->name);
        const char *f = o->format == MT_FMT_SPLIT ? o->train_path : o->path;
        snprintf(ds->file, sizeof ds->file, "%s", mt_base_name(f));
        struct stat st;
        if (stat(f, &st) == 0) ds->file_bytes = (uint64_t)st.st_size;
        ds->format = o->format;
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
    if (ds->user_ids)
        for (uint32_t u = 0; u < ds->n_users; u++) free(ds->user_ids[u]);
    free(ds->user_ids);
    free(ds->item_count);
    mt_csr_free(&ds->train);
    mt_csr_free(&ds->valid);
    mt_csr_free(&ds->test);
    memset(ds, 0, sizeof *ds);
}
