/* fixture.c - exact test data: values k/16 (f32, f16) or q/128 with one +-127
 * per row (i8, so the writer's scale is exactly 1/128), making every score an
 * exactly representable float whatever the summation order. */
#include "fixture.h"

static uint32_t f_rows_a(const memcom_table_desc *d)
{
    switch (d->kind) {
    case MEMCOM_KIND_FULL: return d->n;
    case MEMCOM_KIND_QR: return (d->n + d->m - 1) / d->m;
    default: return d->m;
    }
}

memcom_table_desc f_desc(uint32_t kind, uint32_t n, uint32_t m, uint32_t d, uint32_t row, uint32_t scalar,
                         uint32_t bucket, uint32_t bucket_dtype, uint64_t seed)
{
    memcom_table_desc t = {kind, n, m, d, row, scalar, bucket, bucket_dtype, seed};
    return t;
}

uint32_t f_ref_bucket(const memcom_table_desc *d, const uint32_t *explicit_b, uint32_t i)
{
    switch (d->bucket_mode) {
    case MEMCOM_BUCKET_MOD: return i % d->m;
    case MEMCOM_BUCKET_HASH: {
        uint64_t z = (uint64_t)i + d->hash_seed;
        z ^= z >> 30; z *= 0xBF58476D1CE4E5B9ull;
        z ^= z >> 27; z *= 0x94D049BB133111EBull;
        z ^= z >> 31;
        return (uint32_t)(z % d->m);
    }
    default: return explicit_b[i];
    }
}

static void f_fill_rows(float *x, uint32_t rows, uint32_t d, uint32_t dtype, t_rng *r)
{
    for (uint32_t k = 0; k < rows; k++) {
        float *row = x + (size_t)k * d;
        if (dtype == MEMCOM_DTYPE_I8) {
            for (uint32_t j = 0; j < d; j++) row[j] = (float)((int)t_below(r, 255) - 127) / 128.0f;
            row[t_below(r, d)] = (t_next(r) & 1) ? 127.0f / 128.0f : -127.0f / 128.0f;
        } else {
            for (uint32_t j = 0; j < d; j++) row[j] = t_dyadic(r);
        }
    }
}

void f_table_make(f_table *t, memcom_table_desc desc, uint64_t seed)
{
    memset(t, 0, sizeof *t);
    t_rng r = {seed};
    uint32_t n = desc.n, d = desc.d, ra = f_rows_a(&desc);
    t->data.desc = desc;
    if (desc.kind == MEMCOM_KIND_NONE) return;
    t->a = malloc(sizeof(float) * ra * d);
    f_fill_rows(t->a, ra, d, desc.row_dtype, &r);
    t->data.rows_a = t->a;
    if (desc.kind == MEMCOM_KIND_QR) {
        t->b = malloc(sizeof(float) * desc.m * d);
        f_fill_rows(t->b, desc.m, d, desc.row_dtype, &r);
        t->data.rows_b = t->b;
    }
    if (desc.kind == MEMCOM_KIND_MEMCOM) {
        t->w = malloc(sizeof(float) * n);
        for (uint32_t i = 0; i < n; i++) t->w[i] = t_dyadic(&r);
        t->data.scalars = t->w;
    }
    if (desc.bucket_mode == MEMCOM_BUCKET_EXPLICIT) {
        t->buckets = malloc(sizeof(uint32_t) * n);
        for (uint32_t i = 0; i < n; i++) t->buckets[i] = t_below(&r, desc.m);
        t->data.buckets = t->buckets;
    }
    t->E = malloc(sizeof(float) * n * d);
    for (uint32_t i = 0; i < n; i++) {
        float *e = t->E + (size_t)i * d;
        for (uint32_t j = 0; j < d; j++) {
            switch (desc.kind) {
            case MEMCOM_KIND_FULL: e[j] = t->a[(size_t)i * d + j]; break;
            case MEMCOM_KIND_HASH: e[j] = t->a[(size_t)f_ref_bucket(&desc, t->buckets, i) * d + j]; break;
            case MEMCOM_KIND_QR: e[j] = t->a[(size_t)(i / desc.m) * d + j] * t->b[(size_t)(i % desc.m) * d + j]; break;
            default: e[j] = t->w[i] * t->a[(size_t)f_ref_bucket(&desc, t->buckets, i) * d + j]; break;
            }
        }
    }
}

void f_table_free(f_table *t)
{
    free(t->a); free(t->b); free(t->w); free(t->buckets); free(t->E);
    memset(t, 0, sizeof *t);
}

memcom_model *f_open_output(const memcom_table_data *out, const float *bias, uint32_t bias_dtype, void **bytes)
{
    memcom_model_data md;
    memset(&md, 0, sizeof md);
    md.output = *out;
    md.output_bias = bias;
    md.bias_dtype = bias_dtype;
    size_t size = 0;
    char detail[256];
    memcom_model *m = NULL;
    int rc = memcom_write_memory(&md, bytes, &size, detail, sizeof detail);
    if (!rc) rc = memcom_open(&m, *bytes, size, 0, 0, detail, sizeof detail);
    CHECK_MSG(rc == MEMCOM_OK, "%s", detail);
    return m;
}

void f_head_make(f_model *fm, uint32_t d, const uint32_t *widths, uint32_t n_head, uint64_t seed)
{
    t_rng r = {seed};
    uint32_t in = 3 * d;
    for (uint32_t l = 0; l < n_head; l++) {
        uint32_t out = widths[l];
        fm->hw[l] = malloc(sizeof(float) * in * out);
        fm->hb[l] = malloc(sizeof(float) * out);
        for (uint32_t k = 0; k < in * out; k++) fm->hw[l][k] = (float)((int)t_below(&r, 33) - 16) / 64.0f;
        for (uint32_t k = 0; k < out; k++) fm->hb[l][k] = (float)((int)t_below(&r, 33) - 16) / 64.0f;
        fm->head[l] = (memcom_layer_data){in, out, l + 1 < n_head ? MEMCOM_ACT_RELU : MEMCOM_ACT_NONE, fm->hw[l], fm->hb[l]};
        in = out;
    }
    fm->data.n_head_layers = n_head;
}

int f_model_build(f_model *fm)
{
    fm->data.input = fm->in.data;
    fm->data.output = fm->out.data;
    fm->data.output_bias = fm->bias;
    fm->data.layers = fm->layers;
    fm->data.head_layers = fm->head;
    fm->data.ids = (const char *const *)fm->ids;
    char detail[256];
    int rc = memcom_write_memory(&fm->data, &fm->bytes, &fm->size, detail, sizeof detail);
    if (rc) {
        fprintf(stderr, "  (write: %s: %s)\n", memcom_error_name(rc), detail);
        return rc;
    }
    rc = memcom_open(&fm->m, fm->bytes, fm->size, 0, 0, detail, sizeof detail);
    if (rc) fprintf(stderr, "  (open: %s: %s)\n", memcom_error_name(rc), detail);
    return rc;
}

void f_model_free(f_model *fm)
{
    memcom_close(fm->m);
    memcom_free(fm->bytes);
    if (fm->ids) {
        for (uint32_t i = 0; i < fm->out.data.desc.n; i++) free(fm->ids[i]);
        free(fm->ids);
    }
    f_table_free(&fm->in);
    f_table_free(&fm->out);
    free(fm->bias);
    for (int l = 0; l < 4; l++) { free(fm->lw[l]); free(fm->lb[l]); free(fm->hw[l]); free(fm->hb[l]); }
    memset(fm, 0, sizeof *fm);
}

void f_ref_scores(const f_table *t, const float *bias, const float *v, float *scores)
{
    uint32_t n = t->data.desc.n, d = t->data.desc.d;
    for (uint32_t i = 0; i < n; i++) {
        double s = 0;
        for (uint32_t j = 0; j < d; j++) s += (double)t->E[(size_t)i * d + j] * v[j];
        if (bias) s += bias[i];
        scores[i] = (float)s;
    }
}

static const float *g_scores; /* qsort context (test code only) */
static int f_cmp(const void *pa, const void *pb)
{
    uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
    if (g_scores[a] > g_scores[b]) return -1;
    if (g_scores[a] < g_scores[b]) return 1;
    return a < b ? -1 : a > b;
}

size_t f_ref_topk(const float *scores, uint32_t n, size_t k, const uint32_t *excl, size_t n_excl,
                  const uint32_t *cand, size_t n_cand, uint32_t *out_idx, float *out_score)
{
    uint8_t *ok = calloc(n, 1);
    uint32_t *list = malloc(sizeof(uint32_t) * n);
    size_t cnt = 0;
    if (cand) for (size_t c = 0; c < n_cand; c++) ok[cand[c]] = 1;
    else memset(ok, 1, n);
    for (size_t e = 0; e < n_excl; e++) ok[excl[e]] = 0;
    for (uint32_t i = 0; i < n; i++) if (ok[i]) list[cnt++] = i;
    g_scores = scores;
    qsort(list, cnt, sizeof(uint32_t), f_cmp);
    if (k > cnt) k = cnt;
    for (size_t r = 0; r < k; r++) { out_idx[r] = list[r]; out_score[r] = scores[list[r]]; }
    free(ok);
    free(list);
    return k;
}

int f_open_streamed(const void *bytes, size_t size, uint64_t max_bytes, size_t chunk, uint64_t seed, char *detail,
                    size_t cap)
{
    t_rng r = {seed};
    uint8_t *p = memcom_malloc(size ? size : 1);
    memcom_crc_blocks *blocks = NULL;
    if (!p || memcom_crc_blocks_new(&blocks, size)) {
        memcom_free(p);
        return -1;
    }
    memset(p, 0xA5, size ? size : 1);
    for (size_t have = 0; have < size;) {
        size_t len = chunk ? chunk : 1 + t_below(&r, 3000);
        if (len > size - have) len = size - have;
        memcpy(p + have, (const uint8_t *)bytes + have, len);
        have += len;
        memcom_crc_blocks_update(blocks, p, have);
    }
    memcom_model *m = NULL;
    int rc = memcom_open_ex(&m, p, size, 0, max_bytes, blocks, detail, cap);
    memcom_close(m);
    memcom_crc_blocks_free(blocks);
    memcom_free(p);
    return rc;
}

int f_stream_differs(const void *bytes, size_t size, uint64_t max_bytes, int whole_rc, const char *whole_detail)
{
    static const size_t chunks[] = {1, 100, 4096, 0, 0};
    for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
        char detail[256] = "";
        int rc = f_open_streamed(bytes, size, max_bytes, chunks[c], 77 + c, detail, sizeof detail);
        if (rc != whole_rc || strcmp(detail, whole_detail) != 0) {
            fprintf(stderr, "  streamed in chunks of %zu: %s \"%s\"; whole: %s \"%s\"\n", chunks[c], memcom_error_name(rc), detail,
                    memcom_error_name(whole_rc), whole_detail);
            return 1;
        }
    }
    return 0;
}
