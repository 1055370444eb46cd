/*
 * gen_seeds.c - writes the seed corpora of the fuzz targets:
 *   <out>/loader/      valid small models of every table kind x row dtype x
 *                      bucket mode x scalar dtype (table files), recommender
 *                      models with input tables, dense layers, biases, ids and
 *                      metadata, rankers (format 1.2 heads), and a few with
 *                      a very large declared n;
 *                      all written through memcom_write_memory and checked to
 *                      load with memcom_open.
 *   <out>/data_split/, data_csv/, data_seq/   small data files (first byte:
 *                      the option selector of tests/fuzz/fuzz_data.c).
 * Usage: gen_seeds <out-dir>
 */
#define _POSIX_C_SOURCE 200809L
#include "fuzz_common.h"
#include "memcom.h"

#include <errno.h>
#include <sys/stat.h>

static const char *g_out;
static int g_count, g_fail;

static uint64_t g_rng = 0x1234567ull;
static float frand(void) {
    uint64_t z = (g_rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (float)((double)(z >> 11) * 0x1.0p-53 * 2.0 - 1.0);
}

static void mkdir_p(const char *path) {
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            mkdir(tmp, 0755);
            *p = '/';
        }
    mkdir(tmp, 0755);
}

static void put(const char *dir, const char *name, const void *p, size_t n) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", g_out, dir);
    mkdir_p(path);
    snprintf(path, sizeof path, "%s/%s/%s", g_out, dir, name);
    FILE *f = fopen(path, "wb");
    if (!f) {
        fprintf(stderr, "gen_seeds: cannot write %s: %s\n", path, strerror(errno));
        exit(1);
    }
    fwrite(p, 1, n, f);
    fclose(f);
    g_count++;
}

static float *rnd(size_t n) {
    float *v = malloc((n ? n : 1) * sizeof *v);
    for (size_t i = 0; i < n; i++) v[i] = frand();
    return v;
}

typedef struct {
    float *a, *b, *w;
    uint32_t *bk;
} table_bufs;

static void make_table(memcom_table_data *t, table_bufs *tb, uint32_t kind, uint32_t n, uint32_t m,
                       uint32_t d, uint32_t row, uint32_t scalar, uint32_t bmode, uint32_t bdt,
                       uint64_t seed) {
    memset(t, 0, sizeof *t);
    memset(tb, 0, sizeof *tb);
    t->desc.kind = kind;
    t->desc.n = n;
    t->desc.d = d;
    t->desc.row_dtype = row;
    if (kind == MEMCOM_KIND_FULL) m = n;
    t->desc.m = m;
    uint32_t rows_a = kind == MEMCOM_KIND_QR ? (n + m - 1) / m : m;
    tb->a = rnd((size_t)rows_a * d);
    t->rows_a = tb->a;
    if (kind == MEMCOM_KIND_QR) {
        tb->b = rnd((size_t)m * d);
        t->rows_b = tb->b;
    }
    if (kind == MEMCOM_KIND_MEMCOM) {
        t->desc.scalar_dtype = scalar;
        tb->w = rnd(n);
        t->scalars = tb->w;
    }
    if (kind == MEMCOM_KIND_HASH || kind == MEMCOM_KIND_MEMCOM) {
        t->desc.bucket_mode = bmode;
        if (bmode == MEMCOM_BUCKET_HASH) t->desc.hash_seed = seed;
        if (bmode == MEMCOM_BUCKET_EXPLICIT) {
            t->desc.bucket_dtype = bdt;
            tb->bk = malloc(n * sizeof *tb->bk);
            for (uint32_t i = 0; i < n; i++) tb->bk[i] = (i * 7u + 3u) % m;
            t->buckets = tb->bk;
        }
    }
}

static void free_table(table_bufs *tb) {
    free(tb->a);
    free(tb->b);
    free(tb->w);
    free(tb->bk);
}

static char **make_ids(uint32_t n, int style) {
    char **ids = malloc(n * sizeof *ids);
    for (uint32_t i = 0; i < n; i++) {
        ids[i] = malloc(32);
        if (style == 0) snprintf(ids[i], 32, "%u", i * 3u + 1u);
        else if (style == 1) snprintf(ids[i], 32, "item-%02u", n - i);
        else snprintf(ids[i], 32, "\xc3\xa9t\xc3\xa9-%u-\xe2\x82\xac", i); /* UTF-8: "été-i-€" */
    }
    return ids;
}

static void emit(const char *name, const memcom_model_data *md) {
    void *buf = NULL;
    size_t sz = 0;
    char detail[256] = "";
    int rc = memcom_write_memory(md, &buf, &sz, detail, sizeof detail);
    if (rc != MEMCOM_OK) {
        fprintf(stderr, "gen_seeds: %s: write failed: %s (%s)\n", name, memcom_error_name(rc), detail);
        g_fail++;
        return;
    }
    memcom_model *m = NULL;
    rc = memcom_open(&m, buf, sz, MEMCOM_OPEN_COPY, 0, detail, sizeof detail);
    if (rc != MEMCOM_OK) {
        fprintf(stderr, "gen_seeds: %s: written model does not load: %s (%s)\n", name, memcom_error_name(rc), detail);
        g_fail++;
    } else {
        memcom_close(m);
    }
    put("loader", name, buf, sz);
    memcom_free(buf);
}

/* seed file names from the core's one name table */
static const char *kname(uint32_t v) { return memcom_enum_name(MEMCOM_NAMES_KIND, v); }
static const char *dname(uint32_t v) { return memcom_enum_name(MEMCOM_NAMES_DTYPE, v); }
static const char *bname(uint32_t v) { return memcom_enum_name(MEMCOM_NAMES_BUCKET_MODE, v); }

static void table_files(void) {
    const uint32_t n = 13, d = 4;
    int variant = 0;
    for (uint32_t kind = 1; kind <= 4; kind++)
        for (uint32_t row = 1; row <= 3; row++) {
            uint32_t nb = (kind == MEMCOM_KIND_HASH || kind == MEMCOM_KIND_MEMCOM) ? 4 : 1;
            for (uint32_t b = 0; b < nb; b++) {
                uint32_t ns = kind == MEMCOM_KIND_MEMCOM ? 2 : 1;
                for (uint32_t s = 0; s < ns; s++) {
                    uint32_t bmode = nb == 1 ? 0 : (b < 3 ? b + 1 : MEMCOM_BUCKET_EXPLICIT);
                    uint32_t bdt = bmode == MEMCOM_BUCKET_EXPLICIT ? (b == 2 ? MEMCOM_DTYPE_U16 : MEMCOM_DTYPE_U32) : 0;
                    uint32_t scalar = kind == MEMCOM_KIND_MEMCOM ? 1 + s : 0;
                    uint32_t m = kind == MEMCOM_KIND_QR ? 4 : 5;
                    memcom_model_data md;
                    memset(&md, 0, sizeof md);
                    table_bufs tb;
                    make_table(&md.output, &tb, kind, n, m, d, row, scalar, bmode, bdt, 0xC0FFEEull + variant);
                    float *bias = NULL;
                    char **ids = NULL;
                    if (variant % 3 != 0) {
                        bias = rnd(n);
                        md.output_bias = bias;
                        md.bias_dtype = variant % 3 == 1 ? MEMCOM_DTYPE_F32 : MEMCOM_DTYPE_F16;
                    }
                    if (variant % 2 == 0) {
                        ids = make_ids(n, variant % 3);
                        md.ids = (const char *const *)ids;
                        md.id_encoding = variant % 4 == 0 ? MEMCOM_IDS_COMPACT : MEMCOM_IDS_STRINGS; /* numeric ones: 1.1 */
                    }
                    if (variant % 4 == 1) md.metadata_json = "{\"dataset\":\"seed\",\"metrics\":{\"valid\":{},\"test\":{}}}";
                    char name[128];
                    snprintf(name, sizeof name, "table-%s-%s-%s%s%s.memcom", kname(kind), dname(row),
                             bname(bmode), bdt ? dname(bdt) : "", scalar ? (scalar == 1 ? "-wf32" : "-wf16") : "");
                    emit(name, &md);
                    free_table(&tb);
                    free(bias);
                    if (ids) {
                        for (uint32_t i = 0; i < n; i++) free(ids[i]);
                        free(ids);
                    }
                    variant++;
                }
            }
        }
}

static void recommender_models(void) {
    const uint32_t n = 11;
    struct {
        uint32_t in_kind, in_row, out_kind, out_row, din, dout, nl;
    } cases[] = {
        {1, 1, 1, 1, 4, 4, 1}, {2, 2, 4, 1, 4, 4, 1}, {3, 3, 3, 2, 6, 4, 2}, {4, 1, 4, 3, 4, 4, 1},
        {4, 2, 2, 1, 3, 5, 2}, {1, 3, 4, 2, 4, 4, 0}, {3, 1, 1, 3, 2, 2, 3}, {4, 3, 3, 1, 5, 3, 2},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        memcom_model_data md;
        memset(&md, 0, sizeof md);
        table_bufs ti, to;
        uint32_t bm_in = (cases[c].in_kind == 2 || cases[c].in_kind == 4) ? 1 + c % 3 : 0;
        uint32_t bm_out = (cases[c].out_kind == 2 || cases[c].out_kind == 4) ? 1 + (c + 1) % 3 : 0;
        make_table(&md.input, &ti, cases[c].in_kind, n, 3, cases[c].din, cases[c].in_row,
                   cases[c].in_kind == 4 ? 1 + c % 2 : 0, bm_in, bm_in == 3 ? (c % 2 ? 4 : 5) : 0, 99 + c);
        make_table(&md.output, &to, cases[c].out_kind, n, 4, cases[c].dout, cases[c].out_row,
                   cases[c].out_kind == 4 ? 2 - c % 2 : 0, bm_out, bm_out == 3 ? (c % 2 ? 5 : 4) : 0, 7 + c);
        /* layers: din -> ... -> dout; a layer without weight needs in == out */
        memcom_layer_data layers[4];
        float *wbuf[4] = {0}, *bbuf[4] = {0};
        uint32_t nl = cases[c].nl;
        if (nl == 0 && cases[c].din != cases[c].dout) nl = 1;
        uint32_t cur = cases[c].din;
        for (uint32_t l = 0; l < nl; l++) {
            uint32_t out = l + 1 == nl ? cases[c].dout : cases[c].din + l + 1;
            layers[l].in_dim = cur;
            layers[l].out_dim = out;
            layers[l].activation = (c + l) % 3;
            if (cur == out && (c + l) % 2 == 0) {
                layers[l].weight = NULL; /* identity */
            } else {
                wbuf[l] = rnd((size_t)out * cur);
                layers[l].weight = wbuf[l];
            }
            if ((c + l) % 4 != 3) {
                bbuf[l] = rnd(out);
                layers[l].bias = bbuf[l];
            } else {
                layers[l].bias = NULL;
            }
            cur = out;
        }
        md.n_layers = nl;
        md.layers = layers;
        float *bias = rnd(n);
        if (c % 3 != 2) {
            md.output_bias = bias;
            md.bias_dtype = c % 2 ? MEMCOM_DTYPE_F16 : MEMCOM_DTYPE_F32;
        }
        char **ids = NULL;
        if (c % 2 == 0) {
            ids = make_ids(n, (int)(c / 2) % 3);
            md.ids = (const char *const *)ids;
        }
        md.metadata_json = c % 3 == 0 ? "{\"dataset\":\"ml-seed\",\"options\":{\"d\":4},\"metrics\":{\"valid\":{\"ndcg@20\":0.1}}}" : NULL;
        char name[128];
        snprintf(name, sizeof name, "model-%zu-in-%s-%s-out-%s-%s-L%u.memcom", c, kname(cases[c].in_kind),
                 dname(cases[c].in_row), kname(cases[c].out_kind), dname(cases[c].out_row), nl);
        emit(name, &md);
        free_table(&ti);
        free_table(&to);
        for (int l = 0; l < 4; l++) {
            free(wbuf[l]);
            free(bbuf[l]);
        }
        free(bias);
        if (ids) {
            for (uint32_t i = 0; i < n; i++) free(ids[i]);
            free(ids);
        }
    }
}

/* Rankers (format 1.2): a head over every output table kind, with one, two
 * and three head layers (an identity first layer among them). */
static void rankers(void) {
    const uint32_t n = 13, d = 4;
    for (uint32_t c = 0; c < 8; c++) {
        memcom_model_data md;
        memset(&md, 0, sizeof md);
        table_bufs ti, to;
        uint32_t kind = 1 + c % 4, bm = (kind == 2 || kind == 4) ? 1 + c % 3 : 0;
        make_table(&md.input, &ti, 1 + (c + 1) % 4, n, 5, d, 1 + c % 3, (c + 1) % 4 == 3 ? 1 : 0,
                   ((c + 1) % 4 == 1 || (c + 1) % 4 == 3) ? 1 : 0, 0, 5 + c);
        make_table(&md.output, &to, kind, n, 4, d, 1 + (c / 2) % 3, kind == 4 ? 1 + c % 2 : 0, bm, bm == 3 ? 5 : 0, 9 + c);
        uint32_t nh = 1 + c % 3, widths[3] = {nh == 1 ? 1 : c == 4 ? 3 * d : 6, nh == 3 ? 5 : 1, 1};
        memcom_layer_data head[3];
        float *hw[3] = {0}, *hb[3] = {0};
        uint32_t in = 3 * d;
        for (uint32_t l = 0; l < nh; l++) {
            head[l].in_dim = in;
            head[l].out_dim = widths[l];
            head[l].activation = l + 1 == nh ? MEMCOM_ACT_NONE : 1 + (c + l) % 2;
            hw[l] = in == widths[l] ? NULL : rnd((size_t)in * widths[l]); /* 3d -> 3d: the identity */
            head[l].weight = hw[l];
            hb[l] = (c + l) % 3 ? rnd(widths[l]) : NULL;
            head[l].bias = hb[l];
            in = widths[l];
        }
        md.n_head_layers = nh;
        md.head_layers = head;
        float *bias = rnd(n);
        if (c % 2) {
            md.output_bias = bias;
            md.bias_dtype = 1 + c % 4 / 2;
        }
        char name[128];
        snprintf(name, sizeof name, "ranker-%u-out-%s-%s-H%u.memcom", c, kname(kind), dname(md.output.desc.row_dtype), nh);
        emit(name, &md);
        free_table(&ti);
        free_table(&to);
        for (int l = 0; l < 3; l++) {
            free(hw[l]);
            free(hb[l]);
        }
        free(bias);
    }
}

/* Compact numeric ids (format 1.1): one run, runs with gaps, ids of every
 * digit count up to 19, a single item, and ranks of 1 to 9 bits. */
static void compact_ids(void) {
    const uint32_t ns[] = {1, 2, 5, 17, 300};
    for (size_t k = 0; k < sizeof ns / sizeof ns[0]; k++)
        for (int shape = 0; shape < 3; shape++) {
            uint32_t n = ns[k];
            memcom_model_data md;
            memset(&md, 0, sizeof md);
            table_bufs tb;
            make_table(&md.output, &tb, MEMCOM_KIND_FULL, n, n, 2, MEMCOM_DTYPE_F32, 0, 0, 0, 3 + k);
            char **ids = malloc(n * sizeof *ids);
            unsigned long long v = shape == 2 ? 9999999999999999999ull - 2ull * n : 0;
            for (uint32_t i = 0; i < n; i++) {
                ids[i] = malloc(32);
                /* item i takes the (n - 1 - i)-th value: ranks reversed */
                unsigned long long x = shape == 0 ? n - 1 - i : shape == 1 ? (n - 1 - i) * 3ull + (i % 4 == 0) * 7ull
                                                                          : v + 2ull * (n - 1 - i);
                if (shape == 1 && i % 5 == 0) x = x * 1000003ull + 1000000000ull; /* other digit counts */
                snprintf(ids[i], 32, "%llu", x);
            }
            md.ids = (const char *const *)ids;
            md.id_encoding = MEMCOM_IDS_COMPACT;
            char name[64];
            snprintf(name, sizeof name, "ids-compact-n%u-shape%d.memcom", n, shape);
            emit(name, &md);
            free_table(&tb);
            for (uint32_t i = 0; i < n; i++) free(ids[i]);
            free(ids);
        }
}

/* Tiny files that declare many items (hash kind: storage is m x d only). */
static void large_n(void) {
    uint32_t ns[] = {100000u, 4000000u}; /* fuzz_loader skips n > 2^22 */
    for (int i = 0; i < 2; i++) {
        memcom_model_data md;
        memset(&md, 0, sizeof md);
        table_bufs tb;
        make_table(&md.output, &tb, MEMCOM_KIND_HASH, ns[i], 2, 3, MEMCOM_DTYPE_F32, 0,
                   i ? MEMCOM_BUCKET_MOD : MEMCOM_BUCKET_HASH, 0, 5);
        char name[64];
        snprintf(name, sizeof name, "table-hash-large-n-%u.memcom", ns[i]);
        emit(name, &md);
        free_table(&tb);
    }
}

static void data_files(void) {
    static const char split1[] =
        "\x00" "0 1 2 3 4\n1 2 5\n# a comment\n\n2\t3  6 1\r\n3 7\nu-\xc3\xa9 x\xe2\x82\xac 1\n";
    static const char split3[] =
        "\x02" "0 0 1 2 3\n1 1 2 4\n2 0 3\n\f0 4\n1 3\n\f0 5 2\n2 1 1\n";
    static const char split2[] = "\x01" "a b c\nb c d\n\fa d\n";
    put("data_split", "basic.txt", split1, sizeof split1 - 1);
    put("data_split", "three-files.txt", split3, sizeof split3 - 1);
    put("data_split", "two-files.txt", split2, sizeof split2 - 1);

    /* CSV selector: bits 0-1 delimiter (detect , \t ;; bit 7: space , \t |), bit 2 header (else detect),
     * bit 3 threshold, bits 4-6 threshold+1 or (no threshold) a --columns spec (see fuzz_data.c) */
    static const char csv1[] = "\x04" "userId,movieId,rating,timestamp\n1,31,2.5,1260759144\n1,1029,3.0,1260759179\n"
                               "2,31,4.0,835355493\n2,10,4.0,835355681\n3,\"1,029\",5,1\n";
    static const char csv2[] = "\x0e" "user\titem\trating\n1\t10\t4\n1\t11\t2\n2\t10\t5\n2\t12\t3\n";
    static const char csv3[] = "\x4b" "u;i;r\n1;a;4.5\n2;b;1\n2;\"q\"\"uote\";5\n";
    static const char csv4[] = "\x00" "1,2\n1,3\n2,2\n 3 , 4 \n";
    static const char csv5[] = "\x38" "1,2,5,99\n1,3,4,100\n2,2,0.5,101\n";
    put("data_csv", "ratings.csv", csv1, sizeof csv1 - 1);
    put("data_csv", "tsv-header.tsv", csv2, sizeof csv2 - 1);
    put("data_csv", "semicolon.csv", csv3, sizeof csv3 - 1);
    put("data_csv", "pairs.csv", csv4, sizeof csv4 - 1);
    /* a space-separated log with a header, detected; a wide CSV picked by header names */
    static const char csv6[] = "\x00" "user item rating time\n  1   10  4 100\n1 11 2 101\n2  10 5 102\n";
    static const char csv7[] = "\x40" "x,item,y,user\n0,10,z,1\n0,11,z,1\n0,10,z,2\n0,10,z,2\n";
    put("data_csv", "space-header.txt", csv6, sizeof csv6 - 1);
    put("data_csv", "columns-by-name.csv", csv7, sizeof csv7 - 1);
    put("data_csv", "threshold.csv", csv5, sizeof csv5 - 1);

    static const char seq1[] = "\x05" "1 1 2 3 4 5 6\n2 4 5 6 7\n3 1 7 8 9 10\n4 2 2 3\n";
    static const char seq2[] = "\x2a" "A x y z\nB y z w v\nC v\n";
    put("data_seq", "seq.txt", seq1, sizeof seq1 - 1);
    put("data_seq", "seq2.txt", seq2, sizeof seq2 - 1);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: gen_seeds <out-dir>\n");
        return 2;
    }
    g_out = argv[1];
    mkdir_p(g_out);
    table_files();
    recommender_models();
    large_n();
    rankers();
    compact_ids();
    data_files();
    printf("gen_seeds: wrote %d seed files to %s%s\n", g_count, g_out, g_fail ? " (with failures)" : "");
    return g_fail ? 1 : 0;
}
