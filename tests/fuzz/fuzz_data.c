/*
 * fuzz_data.c - libFuzzer target for the trainer's data-file readers
 * (src/train/data_read.c, data_build.c), compiled three times:
 *
 *   -DFUZZ_FORMAT=0  split files (train.txt [valid.txt [test.txt]], `user item item ...`)
 *   -DFUZZ_FORMAT=1  CSV/TSV/space-separated logs (user,item[,rating[,timestamp]], or
 *                    columns picked by --columns; delimiter and header detected or given)
 *   -DFUZZ_FORMAT=2  sequence files (one user per line, split per user)
 *
 * Input layout: byte 0 selects options (split: how many files; CSV:
 * delimiter (bits 0-1, 7), header (2), rating threshold (3-6) or without one a --columns
 * spec (4-6); seq: split fractions), the rest is
 * the file content; for split, the content is cut into files at form-feed
 * bytes (0x0C).  The readers take paths, so each input is written to a
 * per-process temporary file.
 *
 * Oracles: an error has a message; a loaded data set is well formed (CSR
 * offsets, sorted unique rows, indices < n_items, train/valid/test disjoint,
 * items renumbered by descending popularity with counts that add up, ids
 * unique and valid), for split/seq files it agrees with an independent
 * tokenizer (users, items, distinct training pairs), and its item ids are
 * accepted by the model writer and loader (so a data set that loads can
 * always be exported).
 */
#define _POSIX_C_SOURCE 200809L
#include "fuzz_common.h"
#include "memcom.h"
#include "train/train.h"

#include <math.h>
#include <unistd.h>

#ifndef FUZZ_FORMAT
#define FUZZ_FORMAT 0
#endif

static char g_path[3][256];
static int g_init;

static void cleanup(void) {
    for (int i = 0; i < 3; i++)
        if (g_path[i][0]) unlink(g_path[i]);
}

static void init_paths(void) {
    if (g_init) return;
    g_init = 1;
    const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : (getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    for (int i = 0; i < 3; i++)
        snprintf(g_path[i], sizeof g_path[i], "%s/memcom-fuzz-%d-%d.txt", dir, (int)getpid(), i);
    atexit(cleanup);
}

static void write_file(const char *path, const uint8_t *p, size_t n) {
    FILE *f = fopen(path, "wb");
    FZ_CHECK(f != NULL, "cannot create %s", path);
    if (n) FZ_CHECK(fwrite(p, 1, n, f) == n, "short write");
    fclose(f);
}

/* ---- an independent tokenizer for `user item item ...` files ---- */
typedef struct {
    const uint8_t *p;
    size_t len;
} tok;
typedef struct {
    tok user, item;
} pair;

static int tokcmp(const tok *a, const tok *b) {
    size_t l = a->len < b->len ? a->len : b->len;
    int c = l ? memcmp(a->p, b->p, l) : 0;
    if (c) return c;
    return a->len < b->len ? -1 : (a->len > b->len);
}
static int tokcmp_q(const void *a, const void *b) { return tokcmp(a, b); }
static __attribute__((unused)) int paircmp_q(const void *a, const void *b) {
    const pair *x = a, *y = b;
    int c = tokcmp(&x->user, &y->user);
    return c ? c : tokcmp(&x->item, &y->item);
}
static __attribute__((unused)) size_t distinct_toks(tok *t, size_t n) {
    if (!n) return 0;
    qsort(t, n, sizeof *t, tokcmp_q);
    size_t d = 1;
    for (size_t i = 1; i < n; i++)
        if (tokcmp(&t[i], &t[i - 1])) d++;
    return d;
}

typedef struct {
    tok *users, *items;
    pair *pairs; /* training file only */
    size_t nu, ni, np;
} ref_set;

static __attribute__((unused)) void ref_scan(ref_set *r, const uint8_t *p, size_t n, int is_train) {
    size_t i = 0;
    /* a UTF-8 byte order mark at the start of a file is not part of an id */
    if (n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF) i = 3;
    while (i < n) {
        size_t e = i;
        while (e < n && p[e] != '\n') e++;
        size_t le = e;
        if (le > i && p[le - 1] == '\r') le--;
        size_t j = i;
        while (j < le && (p[j] == ' ' || p[j] == '\t')) j++;
        if (j < le && p[j] != '#') {
            int first = 1;
            tok user = {0};
            while (j < le) {
                size_t s = j;
                while (j < le && p[j] != ' ' && p[j] != '\t') j++;
                tok t = {p + s, j - s};
                if (first) {
                    user = t;
                    r->users[r->nu++] = t;
                    first = 0;
                } else {
                    r->items[r->ni++] = t;
                    if (is_train) r->pairs[r->np++] = (pair){user, t};
                }
                while (j < le && (p[j] == ' ' || p[j] == '\t')) j++;
            }
        }
        i = e + 1;
    }
}

static void check_csr(const char *name, const mt_csr *c, uint32_t n_rows, uint32_t n_items) {
    FZ_CHECK(c->n_rows == n_rows, "%s: n_rows %u != n_users %u", name, c->n_rows, n_rows);
    FZ_CHECK(c->off != NULL && c->off[0] == 0, "%s: off[0] != 0", name);
    FZ_CHECK(c->off[n_rows] == c->nnz, "%s: off[n] %llu != nnz %llu", name,
             (unsigned long long)c->off[n_rows], (unsigned long long)c->nnz);
    for (uint32_t u = 0; u < n_rows; u++) {
        FZ_CHECK(c->off[u] <= c->off[u + 1], "%s: offsets decrease at user %u", name, u);
        for (uint64_t k = c->off[u]; k < c->off[u + 1]; k++) {
            FZ_CHECK(c->idx[k] < n_items, "%s: item %u >= n_items %u", name, c->idx[k], n_items);
            if (k > c->off[u])
                FZ_CHECK(c->idx[k] > c->idx[k - 1], "%s: row %u not strictly increasing", name, u);
        }
    }
}

static int row_has(const mt_csr *c, uint32_t u, uint32_t item) {
    for (uint64_t k = c->off[u]; k < c->off[u + 1]; k++)
        if (c->idx[k] == item) return 1;
    return 0;
}

static int strcmp_q(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void check_dataset(const mt_dataset *ds) {
    const uint32_t n = ds->n_items;
    FZ_CHECK(n >= 1, "loaded a data set without items");
    check_csr("train", &ds->train, ds->n_users, n);
    check_csr("valid", &ds->valid, ds->n_users, n);
    check_csr("test", &ds->test, ds->n_users, n);
    /* graded data: every part carries a finite grade per interaction */
    const mt_csr *parts[3] = {&ds->train, &ds->valid, &ds->test};
    for (int q = 0; q < 3; q++) {
        FZ_CHECK(!ds->graded == !parts[q]->val, "graded %d but part %d has %s grades", ds->graded, q,
                 parts[q]->val ? "" : "no");
        for (uint64_t k = 0; parts[q]->val && k < parts[q]->nnz; k++)
            FZ_CHECK(isfinite(parts[q]->val[k]), "grade %llu of part %d is not finite", (unsigned long long)k, q);
    }
    for (uint32_t u = 0; u < ds->n_users; u++) {
        for (uint64_t k = ds->valid.off[u]; k < ds->valid.off[u + 1]; k++)
            FZ_CHECK(!row_has(&ds->train, u, ds->valid.idx[k]), "valid item also in train (user %u)", u);
        for (uint64_t k = ds->test.off[u]; k < ds->test.off[u + 1]; k++) {
            FZ_CHECK(!row_has(&ds->train, u, ds->test.idx[k]), "test item also in train (user %u)", u);
            FZ_CHECK(!row_has(&ds->valid, u, ds->test.idx[k]), "test item also in valid (user %u)", u);
        }
    }
    /* popularity renumbering: counts are the training pairs per item, descending */
    uint64_t sum = 0;
    uint32_t *cnt = calloc(n, sizeof *cnt);
    FZ_CHECK(cnt, "oom");
    for (uint64_t k = 0; k < ds->train.nnz; k++) cnt[ds->train.idx[k]]++;
    for (uint32_t i = 0; i < n; i++) {
        FZ_CHECK(ds->item_count[i] == cnt[i], "item %u: count %u, train has %u", i, ds->item_count[i], cnt[i]);
        if (i) FZ_CHECK(ds->item_count[i] <= ds->item_count[i - 1], "items not by descending popularity at %u", i);
        sum += cnt[i];
    }
    FZ_CHECK(sum == ds->train.nnz, "counts do not add up");
    free(cnt);
    /* ids unique */
    char **ids = malloc(n * sizeof *ids);
    FZ_CHECK(ids, "oom");
    for (uint32_t i = 0; i < n; i++) {
        FZ_CHECK(ds->item_ids[i] && ds->item_ids[i][0], "item %u has an empty id", i);
        ids[i] = ds->item_ids[i];
    }
    qsort(ids, n, sizeof *ids, strcmp_q);
    for (uint32_t i = 1; i < n; i++) FZ_CHECK(strcmp(ids[i], ids[i - 1]) != 0, "duplicate item id \"%s\"", ids[i]);
    free(ids);

    /* the ids must be exportable: write a tiny full f32 model with them and load it */
    if (n <= 4096) {
        float *rows = calloc(n, sizeof(float));
        FZ_CHECK(rows, "oom");
        for (uint32_t i = 0; i < n; i++) rows[i] = (float)(i % 7) - 3.0f;
        memcom_model_data md;
        memset(&md, 0, sizeof md);
        md.output.desc.kind = MEMCOM_KIND_FULL;
        md.output.desc.n = n;
        md.output.desc.m = n;
        md.output.desc.d = 1;
        md.output.desc.row_dtype = MEMCOM_DTYPE_F32;
        md.output.rows_a = rows;
        md.ids = (const char *const *)ds->item_ids;
        void *buf = NULL;
        size_t sz = 0;
        char detail[256] = "";
        int rc = memcom_write_memory(&md, &buf, &sz, detail, sizeof detail);
        FZ_CHECK(rc == MEMCOM_OK, "the writer refused ids the reader accepted: %s (%s)", memcom_error_name(rc), detail);
        memcom_model *m = NULL;
        rc = memcom_open(&m, buf, sz, MEMCOM_OPEN_COPY, 0, detail, sizeof detail);
        FZ_CHECK(rc == MEMCOM_OK, "the loader refused ids the reader accepted: %s (%s)", memcom_error_name(rc), detail);
        for (uint32_t i = 0; i < n && i < 64; i++) {
            uint32_t idx = UINT32_MAX;
            rc = memcom_find_id(m, ds->item_ids[i], strlen(ds->item_ids[i]), &idx);
            FZ_CHECK(rc == MEMCOM_OK && idx == i, "find_id(\"%s\") = %d, %u (expected %u)", ds->item_ids[i], rc, idx, i);
        }
        memcom_close(m);
        memcom_free(buf);
        free(rows);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    init_paths();
    uint8_t sel = data[0];
    const uint8_t *body = data + 1;
    size_t blen = size - 1;

    mt_data_opts o;
    mt_data_opts_default(&o);
    o.name = "fuzz";
    int nfiles = 1;
    const uint8_t *part[3] = {body, NULL, NULL};
    size_t plen[3] = {blen, 0, 0};
    (void)nfiles; (void)part; (void)plen;

#if FUZZ_FORMAT == 0
    o.format = MT_FMT_SPLIT;
    nfiles = 1 + sel % 3;
    /* cut at form feeds */
    {
        int f = 0;
        size_t start = 0;
        for (size_t i = 0; i <= blen && f < nfiles; i++) {
            if (i == blen || (body[i] == 0x0C && f < nfiles - 1)) {
                part[f] = body + start;
                plen[f] = i - start;
                f++;
                start = i + 1;
            }
        }
        for (; f < nfiles; f++) {
            part[f] = body + blen;
            plen[f] = 0;
        }
    }
    for (int f = 0; f < nfiles; f++) write_file(g_path[f], part[f], plen[f]);
    o.train_path = g_path[0];
    o.valid_path = nfiles > 1 ? g_path[1] : NULL;
    o.test_path = nfiles > 2 ? g_path[2] : NULL;
#elif FUZZ_FORMAT == 1
    o.format = MT_FMT_CSV;
    /* delimiter 0 = detect; header bit set: --header, else detect (or
     * --no-header, columns row 7); without a threshold, bits 4-6 pick a
     * --columns spec (by index, out of range, by header name) */
    static const char delims[8] = {0, ',', '\t', ';', ' ', ',', '\t', '|'};
    static const char *const columns[8] = {NULL, "user=1,item=0", "user=0,item=2,grade=1", "user=2,item=0,time=1",
                                           "user=user,item=item", "user=0,item=1,grade=3,time=2", "user=0,item=9",
                                           NULL};
    o.delimiter = delims[(sel & 3) | ((sel >> 5) & 4)];
    o.header = (sel >> 2) & 1;
    o.has_threshold = (sel >> 3) & 1;
    o.threshold = (double)((sel >> 4) & 7) - 1.0;
    if (!o.has_threshold) {
        o.columns = columns[(sel >> 4) & 7];
        if (((sel >> 4) & 7) == 7 && !o.header) o.header = -1;
    }
    o.seed = sel;
    write_file(g_path[0], body, blen);
    o.path = g_path[0];
#else
    o.format = MT_FMT_SEQ;
    static const double fr[4] = {0.0, 0.1, 0.5, 1.0};
    o.valid_frac = fr[sel & 3];
    o.test_frac = fr[(sel >> 2) & 3];
    o.seed = sel >> 4;
    write_file(g_path[0], body, blen);
    o.path = g_path[0];
#endif

    mt_dataset ds;
    mt_err err;
    memset(&err, 'Z', sizeof err);
    int rc = mt_dataset_load(&ds, &o, &err);
    FZ_CHECK(rc == 0 || rc == -1, "mt_dataset_load returned %d", rc);
    if (rc != 0) {
        FZ_CHECK(memchr(err.msg, 0, sizeof err.msg) != NULL, "error message not NUL-terminated");
        FZ_CHECK(err.msg[0] != 0, "error without a message");
        return 0;
    }
    check_dataset(&ds);

#if FUZZ_FORMAT != 1
    /* compare with the independent tokenizer */
    {
        ref_set r;
        memset(&r, 0, sizeof r);
        r.users = malloc((blen + 1) * sizeof(tok));
        r.items = malloc((blen + 1) * sizeof(tok));
        r.pairs = malloc((blen + 1) * sizeof(pair));
        FZ_CHECK(r.users && r.items && r.pairs, "oom");
        for (int f = 0; f < nfiles; f++) ref_scan(&r, part[f], plen[f], f == 0);
        size_t nu = distinct_toks(r.users, r.nu);
        size_t ni = distinct_toks(r.items, r.ni);
        size_t np = 0;
        if (r.np) {
            qsort(r.pairs, r.np, sizeof *r.pairs, paircmp_q);
            np = 1;
            for (size_t i = 1; i < r.np; i++)
                if (paircmp_q(&r.pairs[i], &r.pairs[i - 1])) np++;
        }
        FZ_CHECK(ds.n_users == nu, "n_users %u, tokenizer finds %zu", ds.n_users, nu);
        FZ_CHECK(ds.n_items == ni, "n_items %u, tokenizer finds %zu", ds.n_items, ni);
        uint64_t total = ds.train.nnz + ds.valid.nnz + ds.test.nnz;
#if FUZZ_FORMAT == 0
        FZ_CHECK(ds.train.nnz == np, "train pairs %llu, tokenizer finds %zu", (unsigned long long)ds.train.nnz, np);
#else
        /* seq: every distinct pair lands in exactly one part */
        FZ_CHECK(total == np, "pairs %llu, tokenizer finds %zu", (unsigned long long)total, np);
#endif
        (void)total;
        free(r.users);
        free(r.items);
        free(r.pairs);
    }
#endif
    mt_dataset_free(&ds);
    return 0;
}
