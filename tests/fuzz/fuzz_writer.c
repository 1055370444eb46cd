/*
 * fuzz_writer.c - libFuzzer target for the model writer (memcom_write_memory).
 *
 * The input bytes are decoded into a model description - table kinds, sizes
 * (sometimes invalid: m > n, d = 0, unknown dtypes and modes), values (with
 * NaN, infinities, f16-overflowing and subnormal numbers), explicit buckets
 * (sometimes >= m), dense layers (sometimes not chaining), a bias, id strings
 * (sometimes empty, duplicated or invalid UTF-8), metadata (sometimes not
 * JSON) and missing arrays - with every array as large as its description
 * implies, so the writer may read all of it.
 *
 * Oracles: the writer returns OK or a named error with a NUL-terminated
 * detail; a file it writes always loads with memcom_open; the loaded model
 * reports the description it was written from; f32 tables and f32 scalars
 * round-trip exactly through memcom_lookup, f16 and int8 within their
 * quantisation error; every id is found at its index.
 */
#include "fuzz_common.h"
#include "memcom.h"

#include <math.h>

typedef struct {
    const uint8_t *p;
    size_t n, at;
} stream;

static uint32_t u8(stream *s) { return s->at < s->n ? s->p[s->at++] : 0u; }
static uint32_t u16(stream *s) { return u8(s) | u8(s) << 8; }
static uint64_t u64(stream *s) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v |= (uint64_t)u8(s) << (8 * i);
    return v;
}

static float value(stream *s) {
    uint32_t c = u8(s);
    switch (c % 16) {
    case 0: return 0.0f;
    case 1: return -0.0f;
    case 2: return NAN;
    case 3: return (c & 16) ? INFINITY : -INFINITY;
    case 4: return (c & 16) ? 65520.0f : -65504.0f; /* f16: overflows / largest finite */
    case 5: return (c & 16) ? 3.0e38f : 1e-40f;    /* near FLT_MAX / subnormal */
    case 6: return 6.0e-8f;                          /* f16 subnormal range */
    default: return ((float)(int)u16(s) - 32768.0f) / 4096.0f;
    }
}

static float *floats(stream *s, size_t count, int clean) {
    float *v = malloc((count ? count : 1) * sizeof *v);
    FZ_CHECK(v, "oom");
    for (size_t i = 0; i < count; i++) v[i] = clean ? ((float)(int)(u8(s)) - 128.0f) / 32.0f : value(s);
    return v;
}

typedef struct {
    float *a, *b, *w;
    uint32_t *bk;
} bufs;

/* a table description (valid most of the time) and arrays sized for it */
static void table(stream *s, memcom_table_data *t, bufs *b, uint32_t n, int allow_none) {
    memset(t, 0, sizeof *t);
    memset(b, 0, sizeof *b);
    uint32_t sel = u8(s);
    int wild = (sel & 0xC0) == 0xC0; /* one in four: fields anywhere */
    uint32_t kind = 1 + sel % 4;
    if (allow_none && (sel & 0x30) == 0x30) kind = 0;
    if (wild && (sel & 8)) kind = sel % 6;
    t->desc.kind = kind;
    t->desc.n = wild && (u8(s) & 1) ? n + 1 : n;
    uint32_t d = 1 + u8(s) % 8;
    if (wild && (sel & 4)) d = (sel & 2) ? 0 : 4097;
    t->desc.d = d;
    uint32_t m = kind == MEMCOM_KIND_FULL ? n : 1 + u8(s) % n;
    if (wild && (sel & 2)) m = u8(s) % (n + 3);
    t->desc.m = m;
    uint32_t rd = 1 + u8(s) % 3;
    if (wild && (sel & 1)) rd = u8(s) % 7;
    t->desc.row_dtype = rd;
    int bucketed = kind == MEMCOM_KIND_HASH || kind == MEMCOM_KIND_MEMCOM;
    t->desc.scalar_dtype = kind == MEMCOM_KIND_MEMCOM ? 1 + u8(s) % 2 : 0;
    t->desc.bucket_mode = bucketed ? 1 + u8(s) % 3 : 0;
    if (wild) {
        t->desc.scalar_dtype = u8(s) % 4;
        t->desc.bucket_mode = u8(s) % 5;
    }
    if (t->desc.bucket_mode == MEMCOM_BUCKET_HASH) t->desc.hash_seed = u64(s);
    else if (wild && (u8(s) & 1)) t->desc.hash_seed = 1;
    if (t->desc.bucket_mode == MEMCOM_BUCKET_EXPLICIT) t->desc.bucket_dtype = 4 + u8(s) % 2;
    if (wild && (u8(s) & 1)) t->desc.bucket_dtype = u8(s) % 7;

    /* arrays: as large as any reading of the description needs */
    size_t dd = d > 4097 ? 4097 : d;
    size_t mm = m ? m : 1, nn = t->desc.n;
    size_t rows = nn > mm ? nn : mm;
    int clean = (u8(s) & 3) != 0; /* most tables: ordinary values only */
    if ((u8(s) & 15) != 0) { b->a = floats(s, rows * dd, clean); t->rows_a = b->a; }
    if ((u8(s) & 15) != 0) { b->b = floats(s, mm * dd, clean); if (kind == MEMCOM_KIND_QR || wild) t->rows_b = b->b; }
    if ((u8(s) & 15) != 0) { b->w = floats(s, nn, clean); if (kind == MEMCOM_KIND_MEMCOM || wild) t->scalars = b->w; }
    if ((u8(s) & 15) != 0) {
        b->bk = malloc(nn * sizeof *b->bk);
        FZ_CHECK(b->bk, "oom");
        for (size_t i = 0; i < nn; i++) b->bk[i] = (u8(s) & 31) ? (uint32_t)(i * 7 + u8(s)) % mm : (uint32_t)(mm + u8(s));
        if (t->desc.bucket_mode == MEMCOM_BUCKET_EXPLICIT || wild) t->buckets = b->bk;
    }
}

static void free_bufs(bufs *b) {
    free(b->a);
    free(b->b);
    free(b->w);
    free(b->bk);
}

static float f16_round(float x) {
    /* the nearest binary16 value (ties to even), by scaling - enough for a tolerance */
    if (x == 0 || !isfinite(x)) return x;
    int e;
    frexpf(x, &e);
    int q = e - 11; /* 11 significant bits */
    if (q < -24) q = -24;
    float ulp = ldexpf(1.0f, q);
    return nearbyintf(x / ulp) * ulp;
}

/* the expected reconstructed embedding of item i from the writer's inputs
 * (storage-rounded); returns the tolerance per element */
static float expect_row(const memcom_table_data *t, uint32_t i, float *out) {
    const memcom_table_desc *d = &t->desc;
    uint32_t row = 0;
    if (d->kind == MEMCOM_KIND_FULL) row = i;
    else if (d->kind == MEMCOM_KIND_HASH || d->kind == MEMCOM_KIND_MEMCOM)
        row = d->bucket_mode == MEMCOM_BUCKET_MOD ? i % d->m
              : d->bucket_mode == MEMCOM_BUCKET_HASH ? memcom_hash_bucket(i, d->hash_seed, d->m) : t->buckets[i];
    else row = i / d->m;
    float tol = 0;
    float amax = 0, bmax = 0;
    for (uint32_t j = 0; j < d->d; j++) {
        float a = t->rows_a[(size_t)row * d->d + j];
        if (fabsf(a) > amax) amax = fabsf(a);
        if (d->kind == MEMCOM_KIND_QR) {
            float b = t->rows_b[(size_t)(i % d->m) * d->d + j];
            if (fabsf(b) > bmax) bmax = fabsf(b);
        }
    }
    for (uint32_t j = 0; j < d->d; j++) {
        float a = t->rows_a[(size_t)row * d->d + j];
        float x = a;
        if (d->row_dtype == MEMCOM_DTYPE_F16) x = f16_round(a);
        if (d->kind == MEMCOM_KIND_QR) {
            float b = t->rows_b[(size_t)(i % d->m) * d->d + j];
            if (d->row_dtype == MEMCOM_DTYPE_F16) b = f16_round(b);
            x = x * b;
        }
        if (d->kind == MEMCOM_KIND_MEMCOM) {
            float w = t->scalars[i];
            if (d->scalar_dtype == MEMCOM_DTYPE_F16) w = f16_round(w);
            x = x * w;
        }
        out[j] = x;
    }
    /* tolerance: f16 rounding is done above (up to a last-ulp tie difference);
     * int8: half a quantisation step of each factor */
    float wmax = d->kind == MEMCOM_KIND_MEMCOM ? fabsf(t->scalars[i]) : 1.0f;
    if (d->kind == MEMCOM_KIND_QR) wmax = 1.0f;
    if (d->row_dtype == MEMCOM_DTYPE_I8) {
        float sa = amax / 127.0f, sb = bmax / 127.0f;
        tol = d->kind == MEMCOM_KIND_QR ? (sa * bmax + sb * amax + sa * sb) : sa * wmax;
    } else if (d->row_dtype == MEMCOM_DTYPE_F16) {
        tol = (d->kind == MEMCOM_KIND_QR ? amax * bmax : amax * wmax) * 2e-3f;
    }
    if (d->scalar_dtype == MEMCOM_DTYPE_F16) tol += amax * wmax * 2e-3f;
    return tol * 1.01f + 1e-30f;
}

static unsigned long g_calls, g_ok, g_codes[MEMCOM_E_MAX_CODE];
static void stats(void) {
    fprintf(stderr, "fuzz_writer: %lu calls, %lu files written and verified\n", g_calls, g_ok);
    for (int c = 1; c < MEMCOM_E_MAX_CODE; c++)
        if (g_codes[c]) fprintf(stderr, "  %-20s %lu\n", memcom_error_name(c), g_codes[c]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!g_calls++ && getenv("MEMCOM_FUZZ_STATS")) atexit(stats);
    stream s = {data, size, 0};
    uint32_t n = 1 + u8(&s) % 24;
    memcom_model_data md;
    memset(&md, 0, sizeof md);
    bufs ob, ib;
    table(&s, &md.output, &ob, n, 0);
    table(&s, &md.input, &ib, n, 1);

    /* layers */
    uint32_t nl = u8(&s) % 4;
    if ((u8(&s) & 31) == 0) nl = 17;
    memcom_layer_data *layers = calloc(nl ? nl : 1, sizeof *layers);
    float **lw = calloc(nl ? nl : 1, sizeof *lw), **lb = calloc(nl ? nl : 1, sizeof *lb);
    FZ_CHECK(layers && lw && lb, "oom");
    uint32_t prev = md.input.desc.d;
    for (uint32_t l = 0; l < nl; l++) {
        uint32_t sel = u8(&s);
        uint32_t in = (sel & 0x80) ? 1 + u8(&s) % 8 : prev;
        uint32_t out = l + 1 == nl && !(sel & 0x40) ? md.output.desc.d : 1 + u8(&s) % 8;
        if (in == 0 || in > 4096) in = 1 + (in % 8);
        if (out == 0 || out > 4096) out = 1 + (out % 8);
        layers[l].in_dim = in;
        layers[l].out_dim = out;
        layers[l].activation = (sel & 0x20) ? u8(&s) % 5 : u8(&s) % 3;
        if (!(sel & 1) || in != out) {
            lw[l] = floats(&s, (size_t)in * out, (sel & 6) != 0);
            if (!((sel & 0x18) == 0x18)) layers[l].weight = lw[l]; /* sometimes missing */
        }
        if (sel & 0x10) {
            lb[l] = floats(&s, out, (sel & 6) != 0);
            layers[l].bias = lb[l];
        }
        prev = out;
    }
    md.n_layers = nl;
    md.layers = nl ? layers : ((u8(&s) & 1) ? NULL : layers);

    /* a ranker's head (format 1.2): 3 d -> ... -> 1, sometimes mis-shaped */
    uint32_t nhd = u8(&s) % 4;
    if (nhd == 3 && (u8(&s) & 15) == 0) nhd = 17;
    memcom_layer_data *head = calloc(nhd ? nhd : 1, sizeof *head);
    float **hw = calloc(nhd ? nhd : 1, sizeof *hw), **hb = calloc(nhd ? nhd : 1, sizeof *hb);
    FZ_CHECK(head && hw && hb, "oom");
    prev = 3 * md.output.desc.d;
    for (uint32_t l = 0; l < nhd; l++) {
        uint32_t sel = u8(&s);
        uint32_t in = (sel & 0x80) ? 1 + u8(&s) % 8 : prev;
        uint32_t out = l + 1 == nhd && !(sel & 0x40) ? 1 : 1 + u8(&s) % 8;
        if (in == 0 || in > 3 * 4096) in = 1 + (in % 8);
        head[l].in_dim = in;
        head[l].out_dim = out;
        head[l].activation = l + 1 == nhd && !(sel & 0x20) ? MEMCOM_ACT_NONE : u8(&s) % 4;
        if (!(sel & 1) || in != out) {
            hw[l] = floats(&s, (size_t)in * out, (sel & 6) != 0);
            if (!((sel & 0x18) == 0x18)) head[l].weight = hw[l];
        }
        if (sel & 0x10) {
            hb[l] = floats(&s, out, (sel & 6) != 0);
            head[l].bias = hb[l];
        }
        prev = out;
    }
    md.n_head_layers = nhd;
    md.head_layers = nhd ? head : NULL;

    /* bias */
    float *bias = NULL;
    uint32_t bsel = u8(&s);
    if (bsel & 1) {
        bias = floats(&s, md.output.desc.n > n ? md.output.desc.n : n, (bsel & 6) != 0);
        md.output_bias = bias;
        md.bias_dtype = (bsel & 8) ? bsel % 4 : 1 + (bsel >> 4) % 2;
    } else if ((bsel & 0x1e) == 0x1e) {
        md.bias_dtype = 1; /* dtype without data */
    }

    /* ids */
    size_t nid = md.output.desc.n > n ? md.output.desc.n : n;
    char **ids = NULL;
    uint32_t isel = u8(&s);
    if (isel & 1) {
        ids = calloc(nid, sizeof *ids);
        FZ_CHECK(ids, "oom");
        for (size_t i = 0; i < nid; i++) {
            ids[i] = malloc(16);
            FZ_CHECK(ids[i], "oom");
            if (isel & 2) {
                /* raw bytes: may be empty, invalid UTF-8 or duplicated */
                size_t len = u8(&s) % 6;
                for (size_t k = 0; k < len; k++) {
                    char c = (char)u8(&s);
                    ids[i][k] = c ? c : 'z';
                }
                ids[i][len] = 0;
            } else if (isel & 4) {
                /* numbers (the compact encoding): may repeat or have a leading zero */
                snprintf(ids[i], 16, (isel & 8) && i == 1 ? "0%u" : "%u", (unsigned)(u8(&s) * ((isel >> 4) + 1)));
            } else {
                snprintf(ids[i], 16, "i%zu", i);
            }
        }
        md.ids = (const char *const *)ids;
        md.id_encoding = (isel >> 6) % 3; /* 2: an unknown encoding, refused */
    }

    /* metadata */
    char meta[40];
    uint32_t msel = u8(&s);
    if (msel & 1) {
        size_t len = u8(&s) % (sizeof meta - 1);
        if (msel & 2) {
            for (size_t k = 0; k < len; k++) {
                char c = (char)u8(&s);
                meta[k] = c ? c : ' ';
            }
            meta[len] = 0;
        } else {
            snprintf(meta, sizeof meta, "{\"a\":[%u,\"\\u00e9\"]}", (unsigned)len);
        }
        md.metadata_json = meta;
    }

    void *buf = NULL;
    size_t bsize = 0;
    char detail[128];
    memset(detail, 'Z', sizeof detail);
    int rc = memcom_write_memory(&md, &buf, &bsize, detail, sizeof detail);
    FZ_CHECK(rc >= 0 && rc < MEMCOM_E_MAX_CODE && strcmp(memcom_error_name(rc), "unknown") != 0,
             "memcom_write_memory returned %d", rc);
    g_codes[rc]++;
    if (rc != MEMCOM_OK) {
        FZ_CHECK(memchr(detail, 0, sizeof detail) != NULL, "detail not NUL-terminated");
    } else {
        g_ok++;
        memcom_model *m = NULL;
        char d2[160];
        int orc = memcom_open(&m, buf, bsize, MEMCOM_OPEN_COPY, 0, d2, sizeof d2);
        FZ_CHECK(orc == MEMCOM_OK, "a file the writer produced does not load: %s (%s)", memcom_error_name(orc), d2);
        memcom_info info;
        FZ_CHECK(memcom_get_info(m, &info) == MEMCOM_OK, "get_info");
        FZ_CHECK(info.n_items == md.output.desc.n && info.n_layers == md.n_layers && info.n_head_layers == md.n_head_layers,
                 "info: n %u layers %u head layers %u", info.n_items, info.n_layers, info.n_head_layers);
        FZ_CHECK(memcmp(&info.output, &md.output.desc, sizeof info.output) == 0, "info.output differs from the description");
        if (md.input.desc.kind)
            FZ_CHECK(memcmp(&info.input, &md.input.desc, sizeof info.input) == 0, "info.input differs from the description");
        FZ_CHECK(info.has_ids == (md.ids != NULL), "has_ids %u", info.has_ids);
        FZ_CHECK(info.bias_dtype == (md.output_bias ? md.bias_dtype : 0u), "bias dtype %u", info.bias_dtype);
        float got[4096], want[4096];
        for (int role = 0; role < 2; role++) {
            const memcom_table_data *t = role ? &md.output : &md.input;
            if (!t->desc.kind) continue;
            for (uint32_t i = 0; i < t->desc.n; i++) {
                FZ_CHECK(memcom_lookup(m, role ? MEMCOM_OUTPUT : MEMCOM_INPUT, i, got) == MEMCOM_OK, "lookup");
                float tol = expect_row(t, i, want);
                for (uint32_t j = 0; j < t->desc.d; j++) {
                    if (!isfinite(want[j]) || !isfinite(got[j])) {
                        FZ_CHECK(isinf(want[j]) || isinf(got[j]) || fabsf(want[j]) > 1e37f,
                                 "%s item %u [%u]: %g, expected %g", role ? "output" : "input", i, j, got[j], want[j]);
                        continue;
                    }
                    float t2 = tol + 1e-6f * fabsf(want[j]);
                    FZ_CHECK(fabsf(got[j] - want[j]) <= t2, "%s table (kind %u, %s) item %u [%u]: %.9g, expected %.9g (tol %g)",
                             role ? "output" : "input", t->desc.kind, memcom_error_name(0), i, j, got[j], want[j], t2);
                }
            }
        }
        if (md.ids)
            for (uint32_t i = 0; i < n; i++) {
                uint32_t idx = UINT32_MAX;
                int frc = memcom_find_id(m, ids[i], strlen(ids[i]), &idx);
                FZ_CHECK(frc == MEMCOM_OK && idx == i, "find_id(id of %u) = %d, %u", i, frc, idx);
                const char *got;
                size_t glen = 0;
                FZ_CHECK(memcom_get_id(m, i, &got, &glen) == MEMCOM_OK && glen == strlen(ids[i]) && memcmp(got, ids[i], glen) == 0,
                         "get_id(%u) differs from the id written", i);
            }
        memcom_close(m);
        memcom_free(buf);
    }

    free_bufs(&ob);
    free_bufs(&ib);
    for (uint32_t l = 0; l < nl; l++) {
        free(lw[l]);
        free(lb[l]);
    }
    free(lw);
    free(lb);
    free(layers);
    for (uint32_t l = 0; l < nhd; l++) {
        free(hw[l]);
        free(hb[l]);
    }
    free(hw);
    free(hb);
    free(head);
    free(bias);
    if (ids) {
        for (size_t i = 0; i < nid; i++) free(ids[i]);
        free(ids);
    }
    return 0;
}
