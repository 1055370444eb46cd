/* file_eval.c - the LightGCN++ protocol over a .memcom file through the public
 * API (memcom_recommend), so that what is measured is what is served. */
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "train.h"

typedef struct fe_job {
    memcom_model *model;
    const mt_dataset *ds;
    const mt_csr *truth;
    const uint32_t *map;      /* data set item -> model index or UINT32_MAX */
    uint32_t *top10;          /* per user: the top 10 (UINT32_MAX past the end), or NULL */
    int part, n_parts;
    float popularity;         /* memcom_recommend_popularity's p */
    mt_metrics sum;
    int rc;
} fe_job;

static int u32_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : (x > y);
}

static int u64_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : (x > y);
}

static void *fe_thread(void *arg)
{
    fe_job *j = arg;
    const mt_dataset *ds = j->ds;
    uint32_t kmax = mt_eval_ks[MT_N_KS - 1];
    uint32_t top[64];
    float sc[64];
    size_t cap = 1024;
    uint32_t *hist = mt_xmalloc(cap * sizeof *hist), *truth = mt_xmalloc(cap * sizeof *truth);
    /* graded data: the known held-out items with their grades (sorted
     * together), and every held-out item's grade for the ideal DCG */
    const float *tval = j->truth->val;
    uint64_t *kg = tval ? mt_xmalloc(cap * sizeof *kg) : NULL;
    float *kgrade = tval ? mt_xmalloc(cap * sizeof *kgrade) : NULL;
    memset(&j->sum, 0, sizeof j->sum);
    for (uint32_t u = (uint32_t)j->part; u < ds->n_users; u += (uint32_t)j->n_parts) {
        uint64_t ts = j->truth->off[u], te = j->truth->off[u + 1];
        if (te == ts) continue;
        uint64_t hs = ds->train.off[u], he = ds->train.off[u + 1];
        size_t need = (size_t)((he - hs) > (te - ts) ? (he - hs) : (te - ts));
        if (need > cap) {
            cap = need * 2;
            hist = mt_xrealloc(hist, cap * sizeof *hist);
            truth = mt_xrealloc(truth, cap * sizeof *truth);
            if (tval) {
                kg = mt_xrealloc(kg, cap * sizeof *kg);
                kgrade = mt_xrealloc(kgrade, cap * sizeof *kgrade);
            }
        }
        size_t nh = 0, nt = 0;
        for (uint64_t k = hs; k < he; k++)
            if (j->map[ds->train.idx[k]] != UINT32_MAX) hist[nh++] = j->map[ds->train.idx[k]];
        qsort(hist, nh, sizeof *hist, u32_cmp);
        uint32_t missing = 0;
        for (uint64_t k = ts; k < te; k++) {
            uint32_t mi = j->map[j->truth->idx[k]];
            if (mi == UINT32_MAX)
                missing++;
            else if (tval)
                kg[nt++] = (uint64_t)mi << 32 | (uint64_t)(k - ts);   /* sorts by model index */
            else
                truth[nt++] = mi;
        }
        if (tval) {
            qsort(kg, nt, sizeof *kg, u64_cmp);
            for (size_t q = 0; q < nt; q++) {
                truth[q] = (uint32_t)(kg[q] >> 32);
                kgrade[q] = tval[ts + (kg[q] & 0xffffffffu)];
            }
        } else {
            qsort(truth, nt, sizeof *truth, u32_cmp);
        }
        memcom_topk_opts to;
        memset(&to, 0, sizeof to);
        to.k = kmax;
        to.exclude = hist;
        to.n_exclude = nh;
        size_t got = 0;
        int rc = memcom_recommend_popularity(j->model, hist, nh, j->popularity, &to, top, sc, &got);
        if (rc != MEMCOM_OK) {
            j->rc = rc;
            break;
        }
        if (j->top10)
            for (size_t q = 0; q < 10; q++) j->top10[(size_t)u * 10 + q] = q < got ? top[q] : UINT32_MAX;
        for (int k = 0; k < MT_N_KS; k++) {
            double r, g;
            /* unknown held-out items are misses: compute over the known ones
             * with the full count as denominator */
            mt_user_metrics(top, (uint32_t)got, truth, (uint32_t)nt, mt_eval_ks[k], &r, &g);
            if (missing) {
                double full = (double)(nt + missing);
                r = r * (double)nt / full;
                /* IDCG uses min(K, all held-out items) */
                double id_known = 0, id_all = 0;
                for (uint32_t q = 0; q < mt_eval_ks[k]; q++) {
                    double v = 1.0 / __builtin_log2((double)q + 2.0);
                    if (q < nt) id_known += v;
                    if (q < nt + missing) id_all += v;
                }
                g = id_all > 0 ? g * id_known / id_all : 0;
            }
            j->sum.recall[k] += r;
            j->sum.ndcg[k] += g;
            if (tval)
                j->sum.gndcg[k] += mt_graded_ndcg(top, (uint32_t)got, truth, kgrade, (uint32_t)nt, tval + ts,
                                                  (uint32_t)(te - ts), mt_eval_ks[k]);
        }
        j->sum.users++;
        j->sum.graded |= tval != NULL;
    }
    free(hist);
    free(truth);
    free(kg);
    free(kgrade);
    return NULL;
}

int mt_evaluate_file(memcom_model **handles, int n_threads, const mt_dataset *ds, const mt_csr *truth,
                     float popularity, mt_metrics *out, uint32_t *unknown_items, uint32_t *top10, mt_err *err)
{
    memset(out, 0, sizeof *out);
    uint32_t *map = mt_xmalloc((size_t)(ds->n_items ? ds->n_items : 1) * sizeof *map);
    uint32_t unknown = 0;
    for (uint32_t i = 0; i < ds->n_items; i++) {
        uint32_t idx;
        const char *id = ds->item_ids[i];
        if (memcom_find_id(handles[0], id, strlen(id), &idx) == MEMCOM_OK) {
            map[i] = idx;
        } else {
            map[i] = UINT32_MAX;
            unknown++;
        }
    }
    if (unknown_items) *unknown_items = unknown;
    if (n_threads < 1) n_threads = 1;
    if (n_threads > 16) n_threads = 16;
    fe_job jobs[16];
    pthread_t th[16];
    int started[16] = {0};
    for (int t = 0; t < n_threads; t++) {
        memset(&jobs[t], 0, sizeof jobs[t]);
        jobs[t].model = handles[t];
        jobs[t].ds = ds;
        jobs[t].truth = truth;
        jobs[t].map = map;
        jobs[t].top10 = top10;
        jobs[t].part = t;
        jobs[t].n_parts = n_threads;
        jobs[t].popularity = popularity;
    }
    for (int t = 1; t < n_threads; t++) started[t] = pthread_create(&th[t], NULL, fe_thread, &jobs[t]) == 0;
    fe_thread(&jobs[0]);
    for (int t = 1; t < n_threads; t++) {
        if (started[t])
            pthread_join(th[t], NULL);
        else
            fe_thread(&jobs[t]);
    }
    free(map);
    for (int t = 0; t < n_threads; t++) {
        if (jobs[t].rc) return mt_fail(err, MT_E_EVAL, "ranking failed: %s", memcom_error_message(jobs[t].rc));
        mt_metrics_add(out, &jobs[t].sum);
    }
    mt_metrics_average(out);
    return 0;
}

static int open_model(const char *path, memcom_model **out, mt_err *err)
{
    char detail[512] = "";
    int rc = memcom_open_file(out, path, 0, detail, sizeof detail);
    if (rc == MEMCOM_OK) return 0;
    *out = NULL;
    return mt_fail(err, MT_E_MODEL, "%s: %s (%s)%s%s", path, memcom_error_message(rc), memcom_error_name(rc),
                   detail[0] ? ": " : "", detail);
}

int mt_eval_open(const mt_eval_opts *eo, mt_eval_session *s, mt_eval_result *r, mt_err *err)
{
    memset(r, 0, sizeof *r);
    memset(s, 0, sizeof *s);
    s->threads = eo->threads < 1 ? 1 : (eo->threads > 16 ? 16 : eo->threads);
    int rc = 0;
    for (int t = 0; t < s->threads && !rc; t++) rc = open_model(eo->model_path, &s->h[t], err);
    if (!rc) {
        memcom_get_info(s->h[0], &r->info);
        if (!r->info.has_ids)
            rc = mt_fail(err, MT_E_MODEL, "%s: the model stores no item ids, so data items cannot be matched",
                         eo->model_path);
    }
    if (!rc) {
        rc = mt_dataset_load(&s->ds, &eo->data, err);
        s->have_ds = rc == 0;
    }
    if (s->have_ds) {
        const mt_dataset *ds = &s->ds;
        snprintf(r->dataset, sizeof r->dataset, "%s", ds->name);
        snprintf(r->note, sizeof r->note, "%s", ds->note);
        r->n_users = ds->n_users;
        r->n_items = ds->n_items;
        /* the model's recorded data and split against these */
        size_t mlen = 0;
        const char *meta = memcom_metadata(s->h[0], &mlen);
        char diff[768];
        int unchecked = 0;
        if (mt_split_compare(meta, mlen, ds, &eo->data, diff, sizeof diff, &unchecked)) {
            if (!eo->allow_split_mismatch)
                rc = mt_fail(err, MT_E_SPLIT,
                             "%s was not trained on this data and split: %s. Its metrics here would count training "
                             "items as held-out ones (or miss held-out ones). Give the data and the --split and "
                             "--split-seed the model was trained with, or --allow-split-mismatch to evaluate anyway",
                             eo->model_path, diff);
            else
                snprintf(r->warning, sizeof r->warning,
                         "the model was not trained on this data and split (%s): the metrics are not a held-out "
                         "evaluation (--allow-split-mismatch)", diff);
        } else if (unchecked) {
            snprintf(r->warning, sizeof r->warning,
                     "the model records no data provenance (written by an older trainer): the data and split "
                     "could not be checked");
        }
    }
    if (rc) mt_eval_close(s);
    return rc;
}

float mt_eval_popularity(const mt_eval_opts *eo, const memcom_model *model)
{
    float p = 1.0f;
    if (eo->popularity >= 0.0f) return eo->popularity;
    mt_model_popularity(model, &p);
    return p;
}

void mt_eval_close(mt_eval_session *s)
{
    if (s->have_ds) mt_dataset_free(&s->ds);
    for (int t = 0; t < s->threads; t++) memcom_close(s->h[t]);
    memset(s, 0, sizeof *s);
}

const mt_csr *mt_eval_truth(const mt_dataset *ds, int part, mt_err *err)
{
    static const char *const label[2] = {"valid", "test"};
    const mt_csr *truth = part ? &ds->test : &ds->valid;
    if (truth->nnz == 0) {
        mt_fail(err, MT_E_DATA, "the data has no %s interactions", label[part]);
        return NULL;
    }
    return truth;
}

/* --top: per evaluated user, its id, its history (the training items the
 * model knows) and the model's top 10, both as model indices, tab-separated */
static int write_top(const char *path, memcom_model *m, const mt_dataset *ds, const mt_csr *truth,
                     const uint32_t *top10, mt_err *err)
{
    mt_outfile f;
    if (mt_outfile_open(&f, path, err)) return -1;
    mt_buf b = {0};
    for (uint32_t u = 0; u < ds->n_users; u++) {
        if (truth->off[u + 1] == truth->off[u]) continue;
        b.len = 0;
        mt_buf_printf(&b, "%s\t", ds->user_ids[u]);
        int first = 1;
        for (uint64_t k = ds->train.off[u]; k < ds->train.off[u + 1]; k++) {
            uint32_t idx;
            const char *id = ds->item_ids[ds->train.idx[k]];
            if (memcom_find_id(m, id, strlen(id), &idx) != MEMCOM_OK) continue;
            mt_buf_printf(&b, first ? "%u" : " %u", idx);
            first = 0;
        }
        mt_buf_printf(&b, "\t");
        for (size_t q = 0; q < 10 && top10[(size_t)u * 10 + q] != UINT32_MAX; q++)
            mt_buf_printf(&b, q ? " %u" : "%u", top10[(size_t)u * 10 + q]);
        mt_buf_printf(&b, "\n");
        mt_outfile_write(&f, b.p, b.len);
    }
    mt_buf_free(&b);
    return mt_outfile_commit(&f, err);
}

int mt_eval_run(const mt_eval_opts *eo, mt_eval_result *r, mt_err *err)
{
    if (eo->top_path) {   /* --top must not replace an input */
        const mt_data_opts *d = &eo->data;
        mt_path outs[1] = {{eo->top_path, "--top", 0}};
        mt_path ins[4] = {{eo->model_path, "the model", 0},
                          {d->format == MT_FMT_SPLIT ? d->train_path : d->path, "data file", 0},
                          {d->format == MT_FMT_SPLIT ? d->valid_path : NULL, "validation data file", 0},
                          {d->format == MT_FMT_SPLIT ? d->test_path : NULL, "test data file", 0}};
        memset(r, 0, sizeof *r);
        if (mt_check_outputs(outs, 1, ins, 4, err)) return -1;
    }
    mt_eval_session s;
    int rc = mt_eval_open(eo, &s, r, err);
    if (rc) return rc;
    r->popularity = mt_eval_popularity(eo, s.h[0]);
    uint32_t *top10 = NULL;
    int top_part = -1;
    for (int p = 0; p < 2 && !rc; p++) {
        if (!eo->on[p]) continue;
        const mt_csr *truth = mt_eval_truth(&s.ds, p, err);
        uint32_t *t10 = NULL;
        if (truth && eo->top_path) {   /* the lists of the last part evaluated */
            free(top10);
            top10 = t10 = mt_xmalloc(((size_t)s.ds.n_users * 10 + 1) * sizeof *top10);
            top_part = p;
        }
        rc = truth ? mt_evaluate_file(s.h, s.threads, &s.ds, truth, r->popularity, &r->m[p], &r->unknown_items, t10, err)
                   : -1;
    }
    if (!rc && top10) rc = write_top(eo->top_path, s.h[0], &s.ds, top_part == 0 ? &s.ds.valid : &s.ds.test, top10, err);
    free(top10);
    mt_eval_close(&s);
    return rc;
}

/* ---- the split check of `memcom eval` ---- */

/* the value after "key": in JSON text we wrote ("key": cannot occur inside a
 * JSON string, whose quotes are escaped) */
static const char *json_after(const char *text, const char *key)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(text, pat);
    return p ? p + strlen(pat) : NULL;
}

static int json_u64(const char *text, const char *key, uint64_t *out)
{
    const char *p = json_after(text, key);
    if (!p || *p < '0' || *p > '9') return -1;
    *out = strtoull(p, NULL, 10);
    return 0;
}

static int json_hex(const char *text, const char *key, uint64_t *out)
{
    const char *p = json_after(text, key);
    if (!p || *p != '"') return -1;
    char *end;
    *out = strtoull(p + 1, &end, 16);
    return *end == '"' && end - p == 17 ? 0 : -1;
}

static void json_str(const char *text, const char *key, char *out, size_t cap)
{
    const char *p = json_after(text, key);
    size_t n = 0;
    out[0] = 0;
    if (!p || *p != '"') return;
    for (p++; *p && *p != '"' && n + 1 < cap; p++) {
        if (*p == '\\' && p[1]) out[n++] = *++p;   /* enough for a file name shown in a message */
        else out[n++] = *p;
    }
    out[n] = 0;
}

static void appendf(char *buf, size_t cap, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static void appendf(char *buf, size_t cap, const char *fmt, ...)
{
    size_t l = strlen(buf);
    if (l + 1 >= cap) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + l, cap - l, fmt, ap);
    va_end(ap);
}

int mt_split_compare(const char *meta, size_t meta_len, const mt_dataset *ds, const mt_data_opts *o, char *diff,
                     size_t cap, int *unchecked)
{
    diff[0] = 0;
    *unchecked = 0;
    char *text = mt_xstrdup(meta ? meta : "", meta ? meta_len : 0);
    const char *data = json_after(text, "data");
    uint64_t hash, split_hash, pairs = 0, bytes = 0;
    if (!data || json_hex(data, "hash", &hash) || json_hex(data, "split_hash", &split_hash)) {
        *unchecked = 1;
        free(text);
        return 0;
    }
    json_u64(data, "pairs", &pairs);
    json_u64(data, "file_bytes", &bytes);
    char file[256], format[32];
    json_str(data, "file", file, sizeof file);
    json_str(data, "format", format, sizeof format);
    static const char *const fmt_names[3] = {"split-files", "csv", "seq"};
    const char *now_format = fmt_names[ds->format >= 0 && ds->format < 3 ? ds->format : 0];
    int n = 0;
    if (hash != ds->data_hash) {
        appendf(diff, cap, "%sthe data differs: the model was trained on %s (%llu bytes, %llu distinct user-item "
                           "pairs), this is %s (%llu bytes, %llu distinct pairs)",
                n++ ? "; " : "", file, (unsigned long long)bytes, (unsigned long long)pairs, ds->file,
                (unsigned long long)ds->file_bytes, (unsigned long long)ds->pairs);
    }
    int model_split = strcmp(format, "split-files") != 0, now_split = ds->format != MT_FMT_SPLIT;
    if (model_split != now_split) {
        appendf(diff, cap, "%sthe model's train/valid/test parts came from %s, these from %s", n++ ? "; " : "",
                model_split ? "a seeded per-user split of a log" : "split files",
                now_split ? "a seeded per-user split of a log" : "split files");
    } else if (model_split) {
        /* the split options, as json_options writes them */
        const char *opts = json_after(text, "options");
        uint64_t seed;
        if (opts && json_u64(opts, "split_seed", &seed) == 0 && seed != o->seed)
            appendf(diff, cap, "%s--split-seed: the model's is %llu, now %llu", n++ ? "; " : "",
                    (unsigned long long)seed, (unsigned long long)o->seed);
        const char *sp = opts ? json_after(opts, "split") : NULL;
        double a, b, c;
        if (sp && sscanf(sp, "[%lf,%lf,%lf]", &a, &b, &c) == 3) {
            double nb = 100 * o->valid_frac, nc = 100 * o->test_frac, na = 100 - nb - nc;
            if (fabs(a - na) > 1e-6 || fabs(b - nb) > 1e-6 || fabs(c - nc) > 1e-6)
                appendf(diff, cap, "%s--split: the model's is %g/%g/%g, now %g/%g/%g", n++ ? "; " : "", a, b, c, na,
                        nb, nc);
        }
    }
    if (!n && split_hash != ds->split_hash)
        appendf(diff, cap, "the train/valid/test assignment differs although the data and split options agree "
                           "(a different line order within users, or a model from an older trainer)");
    (void)now_format;
    free(text);
    return diff[0] != 0;
}
