/* test_format.c - the reader refuses every kind of corrupt file with its
 * specific code (and a detail), and no input crashes it. */
#include "fixture.h"
#include "../../src/base/base.h"
#include "../../src/format/view.h"

enum { S_ROWS_A = 1, S_ROWS_B, S_SCALES_A, S_SCALES_B, S_SCALARS, S_BUCKETS, S_LAYERS, S_LW, S_LB, S_BIAS, S_IDOFF,
       S_IDBYTES, S_IDSORT, S_META, S_RUNS, S_RANKS, S_HL, S_HW, S_HB };

static f_model base_model, ranker_model;
static f_model *cur = &base_model; /* the file the byte surgery starts from */
#define base (*cur)

static void make_base(void)
{
    cur = &base_model;
    memset(&base, 0, sizeof base);
    t_rng r = {5};
    uint32_t n = 20;
    f_table_make(&base.in, f_desc(MEMCOM_KIND_MEMCOM, n, 6, 16, MEMCOM_DTYPE_I8, MEMCOM_DTYPE_F32, MEMCOM_BUCKET_EXPLICIT,
                                  MEMCOM_DTYPE_U16, 0), 1);
    f_table_make(&base.out, f_desc(MEMCOM_KIND_QR, n, 5, 8, MEMCOM_DTYPE_I8, 0, 0, 0, 0), 2);
    base.lw[0] = malloc(sizeof(float) * 16 * 8);
    for (int k = 0; k < 128; k++) base.lw[0][k] = t_uniform(&r);
    base.lb[0] = calloc(8, sizeof(float));
    base.lb[1] = calloc(8, sizeof(float));
    base.layers[0] = (memcom_layer_data){16, 8, MEMCOM_ACT_TANH, base.lw[0], base.lb[0]};
    base.layers[1] = (memcom_layer_data){8, 8, MEMCOM_ACT_RELU, NULL, base.lb[1]};
    base.data.n_layers = 2;
    base.bias = calloc(n, sizeof(float));
    base.data.bias_dtype = MEMCOM_DTYPE_F16;
    base.ids = malloc(sizeof(char *) * n);
    for (uint32_t i = 0; i < n; i++) {
        base.ids[i] = malloc(8);
        snprintf(base.ids[i], 8, "item%02u", i);
    }
    base.data.metadata_json = "{\"dataset\":\"x\"}";
    CHECK(f_model_build(&base) == 0);
}

/* ---- byte surgery ---- */
typedef struct { uint8_t *p; size_t size; } buf_t;

static buf_t dup_base(void)
{
    buf_t b = {memcom_malloc(base.size), base.size};
    memcpy(b.p, base.bytes, base.size);
    return b;
}

static uint8_t *entry_at(buf_t *b, uint32_t k) { return b->p + 256 + 32 * (size_t)k; }
static uint32_t count_of(buf_t *b) { return mcc_rd32(b->p + 32); }

static int find_entry(buf_t *b, uint32_t type, uint32_t index)
{
    for (uint32_t k = 0; k < count_of(b); k++)
        if (mcc_rd32(entry_at(b, k)) == type && mcc_rd32(entry_at(b, k) + 4) == index) return (int)k;
    return -1;
}

static uint8_t *sec(buf_t *b, uint32_t type, uint32_t index)
{
    int k = find_entry(b, type, index);
    return k < 0 ? NULL : b->p + mcc_rd64(entry_at(b, (uint32_t)k) + 8);
}

static void fix_header(buf_t *b) { mcc_wr32(b->p + 252, mcc_crc32(b->p, 252)); }
static void fix_dir(buf_t *b)
{
    uint32_t c = count_of(b);
    if (256 + 32 * (uint64_t)c <= b->size) mcc_wr32(b->p + 48, mcc_crc32(b->p + 256, 32 * (size_t)c));
    fix_header(b);
}
static void fix_all(buf_t *b)
{
    uint32_t c = count_of(b);
    for (uint32_t k = 0; k < c && 256 + 32 * (uint64_t)(k + 1) <= b->size; k++) {
        uint8_t *e = entry_at(b, k);
        uint64_t off = mcc_rd64(e + 8), sz = mcc_rd64(e + 16);
        if (off <= b->size && sz <= b->size - off) mcc_wr32(e + 28, mcc_crc32(b->p + off, (size_t)sz));
    }
    fix_dir(b);
}

static int open_code(buf_t *b, uint64_t max_bytes)
{
    memcom_model *m = NULL;
    char detail[256] = "";
    int rc = memcom_open(&m, b->p, b->size, MEMCOM_OPEN_COPY, max_bytes, detail, sizeof detail);
    /* streamed in, checked as it arrives: the same code and detail */
    if (f_stream_differs(b->p, b->size, max_bytes, rc, detail)) rc = -3;
    if (rc && !detail[0]) { fprintf(stderr, "  no detail for %s\n", memcom_error_name(rc)); rc = -1; }
    if (getenv("MEMCOM_TEST_VERBOSE") && rc) fprintf(stderr, "  %s: %s\n", memcom_error_name(rc), detail);
    if (!rc) {
        /* a model that opens must serve */
        uint32_t h[2] = {1, 2}, oi[5];
        float os[5];
        size_t on;
        memcom_topk_opts o = {5, h, 2, NULL, 0, 1, 0};
        if (memcom_recommend(m, h, 2, &o, oi, os, &on) && mcc_rd32(b->p + 56) != 0) rc = -2;
        memcom_topk_opts so = {5, NULL, 0, NULL, 0, 0, 1};
        if (memcom_similar(m, 3, &so, oi, os, &on)) rc = -2;
    }
    memcom_close(m);
    return rc;
}

#define EXPECT(b, code)                                                                        \
    do {                                                                                       \
        int rc_ = open_code(&(b), 0);                                                          \
        CHECK_CODE(rc_, code);                                                                 \
        memcom_free((b).p);                                                                    \
    } while (0)

/* remove directory entry k (swap with the last, count - 1) */
static void drop_entry(buf_t *b, int k)
{
    uint32_t c = count_of(b);
    uint8_t tmp[32];
    memcpy(tmp, entry_at(b, (uint32_t)k), 32);
    memcpy(entry_at(b, (uint32_t)k), entry_at(b, c - 1), 32);
    memcpy(entry_at(b, c - 1), tmp, 32);
    mcc_wr32(b->p + 32, c - 1);
    fix_dir(b);
}

static void test_container(void)
{
    buf_t b;
    /* the untouched file opens */
    b = dup_base(); EXPECT(b, MEMCOM_OK);
    /* truncation: at every section boundary and inside the header/directory */
    uint32_t c = count_of(&(buf_t){base.bytes, base.size});
    size_t cuts[80], nc = 0;
    cuts[nc++] = 0; cuts[nc++] = 5; cuts[nc++] = 100; cuts[nc++] = 255; cuts[nc++] = 256; cuts[nc++] = 256 + 40;
    for (uint32_t k = 0; k < c; k++) {
        uint8_t *e = (uint8_t *)base.bytes + 256 + 32 * k;
        cuts[nc++] = (size_t)mcc_rd64(e + 8);
        cuts[nc++] = (size_t)(mcc_rd64(e + 8) + mcc_rd64(e + 16));
    }
    cuts[nc++] = base.size - 1;
    for (size_t k = 0; k < nc; k++) {
        if (cuts[k] >= base.size) continue;
        b = dup_base();
        b.size = cuts[k];
        EXPECT(b, MEMCOM_E_TRUNCATED);
    }
    /* trailing byte */
    b.p = memcom_malloc(base.size + 1);
    memcpy(b.p, base.bytes, base.size);
    b.p[base.size] = 0;
    b.size = base.size + 1;
    EXPECT(b, MEMCOM_E_FILE_SIZE);
    /* magic, version, header */
    b = dup_base(); b.p[1] = 'X'; EXPECT(b, MEMCOM_E_MAGIC);
    b = dup_base(); memcpy(b.p, "PK\x03\x04", 4); EXPECT(b, MEMCOM_E_MAGIC);
    b = dup_base(); b.size = 4; b.p[0] = 'a'; EXPECT(b, MEMCOM_E_MAGIC);
    b = dup_base(); mcc_wr16(b.p + 8, 2); fix_header(&b); EXPECT(b, MEMCOM_E_VERSION);
    b = dup_base(); mcc_wr16(b.p + 8, 0); fix_header(&b); EXPECT(b, MEMCOM_E_VERSION);
    b = dup_base(); mcc_wr16(b.p + 10, MEMCOM_FORMAT_MINOR + 1); fix_header(&b); EXPECT(b, MEMCOM_E_VERSION);
    b = dup_base(); b.p[200] ^= 1; EXPECT(b, MEMCOM_E_HEADER_CRC);
    b = dup_base(); b.p[252] ^= 1; EXPECT(b, MEMCOM_E_HEADER_CRC);
    b = dup_base(); mcc_wr32(b.p + 12, 128); fix_header(&b); EXPECT(b, MEMCOM_E_HEADER_SIZE);
    b = dup_base(); mcc_wr32(b.p + 36, 1); fix_header(&b); EXPECT(b, MEMCOM_E_FLAGS);
    b = dup_base(); mcc_wr32(b.p + 52, 7); fix_header(&b); EXPECT(b, MEMCOM_E_FLAGS);
    b = dup_base(); b.p[190] = 1; fix_header(&b); EXPECT(b, MEMCOM_E_FLAGS);
    b = dup_base(); b.p[120 + 50] = 1; fix_header(&b); EXPECT(b, MEMCOM_E_FLAGS);
    b = dup_base(); mcc_wr64(b.p + 16, base.size + 100); fix_header(&b); EXPECT(b, MEMCOM_E_TRUNCATED);
    b = dup_base(); mcc_wr64(b.p + 16, base.size - 64); fix_header(&b); EXPECT(b, MEMCOM_E_FILE_SIZE);
    b = dup_base(); mcc_wr32(b.p + 24, 0); fix_header(&b); EXPECT(b, MEMCOM_E_SIZES);
    b = dup_base(); mcc_wr32(b.p + 24, 0x80000000u); fix_header(&b); EXPECT(b, MEMCOM_E_SIZES);
    b = dup_base(); mcc_wr32(b.p + 24, 21); fix_header(&b); EXPECT(b, MEMCOM_E_SIZES);
    b = dup_base(); mcc_wr32(b.p + 28, 17); fix_header(&b); EXPECT(b, MEMCOM_E_LAYERS);
    b = dup_base(); mcc_wr32(b.p + 28, 0); fix_header(&b); EXPECT(b, MEMCOM_E_LAYERS);     /* 16 != 8 without layers */
    b = dup_base(); mcc_wr32(b.p + 32, 0); fix_header(&b); EXPECT(b, MEMCOM_E_DIRECTORY);
    b = dup_base(); mcc_wr32(b.p + 32, 1025); fix_header(&b); EXPECT(b, MEMCOM_E_DIRECTORY);
    b = dup_base(); mcc_wr32(b.p + 32, 1024); fix_header(&b); EXPECT(b, MEMCOM_E_DIRECTORY);
    b = dup_base(); mcc_wr64(b.p + 40, 512); fix_header(&b); EXPECT(b, MEMCOM_E_DIRECTORY);
    b = dup_base(); b.p[256 + 9] ^= 4; fix_header(&b); EXPECT(b, MEMCOM_E_DIRECTORY_CRC);
    b = dup_base(); mcc_wr32(b.p + 48, mcc_rd32(b.p + 48) ^ 1); fix_header(&b); EXPECT(b, MEMCOM_E_DIRECTORY_CRC);
    /* table descriptions */
    b = dup_base(); mcc_wr32(b.p + 120, 9); fix_header(&b); EXPECT(b, MEMCOM_E_TABLE_KIND);
    b = dup_base(); memset(b.p + 120, 0, 40); fix_header(&b); EXPECT(b, MEMCOM_E_TABLE_KIND);
    b = dup_base(); mcc_wr32(b.p + 56, 0); fix_header(&b); EXPECT(b, MEMCOM_E_TABLE_KIND);
    b = dup_base(); mcc_wr32(b.p + 120 + 16, 7); fix_header(&b); EXPECT(b, MEMCOM_E_TABLE_DTYPE);
    b = dup_base(); mcc_wr32(b.p + 56 + 20, 0); fix_header(&b); EXPECT(b, MEMCOM_E_TABLE_DTYPE);
    b = dup_base(); mcc_wr32(b.p + 120 + 20, 1); fix_header(&b); EXPECT(b, MEMCOM_E_TABLE_DTYPE);
    b = dup_base(); mcc_wr32(b.p + 56 + 28, 1); fix_header(&b); EXPECT(b, MEMCOM_E_TABLE_DTYPE);
    b = dup_base(); mcc_wr32(b.p + 184, 3); fix_header(&b); EXPECT(b, MEMCOM_E_TABLE_DTYPE);
    b = dup_base(); mcc_wr32(b.p + 56 + 24, 0); fix_header(&b); EXPECT(b, MEMCOM_E_BUCKET_MODE);
    b = dup_base(); mcc_wr32(b.p + 56 + 24, 4); fix_header(&b); EXPECT(b, MEMCOM_E_BUCKET_MODE);
    b = dup_base(); mcc_wr32(b.p + 120 + 24, 1); fix_header(&b); EXPECT(b, MEMCOM_E_BUCKET_MODE);
    b = dup_base(); mcc_wr64(b.p + 56 + 32, 99); fix_header(&b); EXPECT(b, MEMCOM_E_BUCKET_MODE);
    b = dup_base(); mcc_wr32(b.p + 120 + 8, 0); fix_header(&b); EXPECT(b, MEMCOM_E_SIZES);
    b = dup_base(); mcc_wr32(b.p + 56 + 8, 21); fix_header(&b); EXPECT(b, MEMCOM_E_SIZES);
    b = dup_base(); mcc_wr32(b.p + 120 + 12, 0); fix_header(&b); EXPECT(b, MEMCOM_E_SIZES);
    b = dup_base(); mcc_wr32(b.p + 120 + 12, 5000); fix_header(&b); EXPECT(b, MEMCOM_E_SIZES);
    b = dup_base(); mcc_wr32(b.p + 120 + 4, 19); fix_header(&b); EXPECT(b, MEMCOM_E_SIZES);
    /* absurd sizes: a 2^31-1 x 4096 f32 table */
    b = dup_base();
    memset(b.p + 56, 0, 64);
    mcc_wr32(b.p + 28, 0);
    mcc_wr32(b.p + 24, 0x7fffffffu);
    mcc_wr32(b.p + 120, MEMCOM_KIND_FULL); mcc_wr32(b.p + 124, 0x7fffffffu); mcc_wr32(b.p + 128, 0x7fffffffu);
    mcc_wr32(b.p + 132, 4096); mcc_wr32(b.p + 136, MEMCOM_DTYPE_F32);
    mcc_wr32(b.p + 184, 0);
    fix_header(&b);
    EXPECT(b, MEMCOM_E_TOO_LARGE);
    b = dup_base();
    CHECK_CODE(open_code(&b, base.size - 1), MEMCOM_E_TOO_LARGE);
    CHECK_CODE(open_code(&b, base.size), MEMCOM_OK);
    memcom_free(b.p);
}

static void test_entries(void)
{
    buf_t b;
    int k;
#define ENTRY(b, t, i) entry_at(&(b), (uint32_t)find_entry(&(b), (t), (i)))
    b = dup_base(); mcc_wr32(ENTRY(b, S_META, 0), 99); fix_dir(&b); EXPECT(b, MEMCOM_E_SECTION_TYPE);
    b = dup_base(); mcc_wr32(ENTRY(b, S_META, 0), 0); fix_dir(&b); EXPECT(b, MEMCOM_E_SECTION_TYPE);
    b = dup_base(); mcc_wr32(ENTRY(b, S_ROWS_A, 1) + 4, 2); fix_dir(&b); EXPECT(b, MEMCOM_E_SECTION_TYPE);
    b = dup_base(); mcc_wr32(ENTRY(b, S_LW, 0) + 4, 5); fix_dir(&b); EXPECT(b, MEMCOM_E_SECTION_TYPE);
    b = dup_base(); mcc_wr32(ENTRY(b, S_META, 0) + 4, 1); fix_dir(&b); EXPECT(b, MEMCOM_E_SECTION_TYPE);
    /* duplicate (type, index) */
    b = dup_base(); { uint8_t *e = ENTRY(b, S_META, 0); mcc_wr32(e, S_IDSORT); } fix_dir(&b); EXPECT(b, MEMCOM_E_SECTION_DUP);
    b = dup_base(); { uint8_t *e = ENTRY(b, S_ROWS_B, 1); mcc_wr32(e, S_ROWS_A); } fix_dir(&b); EXPECT(b, MEMCOM_E_SECTION_DUP);
    /* a section this model does not use */
    b = dup_base(); mcc_wr32(ENTRY(b, S_META, 0), S_ROWS_B); fix_dir(&b); EXPECT(b, MEMCOM_E_SECTION_UNEXPECTED);
    b = dup_base(); { uint8_t *e = ENTRY(b, S_META, 0); mcc_wr32(e, S_SCALARS); mcc_wr32(e + 4, 1); } fix_dir(&b);
    EXPECT(b, MEMCOM_E_SECTION_UNEXPECTED);
    b = dup_base(); { uint8_t *e = ENTRY(b, S_META, 0); mcc_wr32(e, S_LW); mcc_wr32(e + 4, 1); mcc_wr32(e + 24, 1); } fix_dir(&b);
    EXPECT(b, MEMCOM_E_SECTION_UNEXPECTED);
    /* alignment, bounds, size, dtype */
    b = dup_base(); { uint8_t *e = ENTRY(b, S_ROWS_A, 1); mcc_wr64(e + 8, mcc_rd64(e + 8) + 8); } fix_dir(&b); EXPECT(b, MEMCOM_E_SECTION_ALIGN);
    b = dup_base(); { uint8_t *e = ENTRY(b, S_META, 0); mcc_wr64(e + 8, mcc_align_up64(base.size) + 64); } fix_dir(&b); EXPECT(b, MEMCOM_E_SECTION_BOUNDS);
    b = dup_base(); { uint8_t *e = ENTRY(b, S_META, 0); mcc_wr64(e + 16, 1ull << 63); } fix_dir(&b); EXPECT(b, MEMCOM_E_SECTION_BOUNDS);
    b = dup_base(); { uint8_t *e = ENTRY(b, S_META, 0); mcc_wr64(e + 16, UINT64_MAX); } fix_dir(&b); EXPECT(b, MEMCOM_E_SECTION_BOUNDS);
    b = dup_base(); { uint8_t *e = ENTRY(b, S_META, 0); mcc_wr64(e + 8, UINT64_MAX - 63); } fix_dir(&b); EXPECT(b, MEMCOM_E_SECTION_BOUNDS);
    b = dup_base(); { uint8_t *e = ENTRY(b, S_ROWS_A, 1); mcc_wr64(e + 16, mcc_rd64(e + 16) - 1); } fix_dir(&b); EXPECT(b, MEMCOM_E_SECTION_SIZE);
    b = dup_base(); { uint8_t *e = ENTRY(b, S_BIAS, 0); mcc_wr64(e + 16, 80); } fix_dir(&b); EXPECT(b, MEMCOM_E_SECTION_SIZE);
    b = dup_base(); { uint8_t *e = ENTRY(b, S_LW, 0); mcc_wr64(e + 16, 4); } fix_dir(&b); EXPECT(b, MEMCOM_E_SECTION_SIZE);
    b = dup_base(); { uint8_t *e = ENTRY(b, S_IDBYTES, 0); mcc_wr64(e + 16, mcc_rd64(e + 16) - 1); } fix_dir(&b); EXPECT(b, MEMCOM_E_SECTION_SIZE);
    b = dup_base(); { uint8_t *e = ENTRY(b, S_ROWS_A, 1); mcc_wr32(e + 24, MEMCOM_DTYPE_F32); } fix_dir(&b); EXPECT(b, MEMCOM_E_SECTION_DTYPE);
    b = dup_base(); { uint8_t *e = ENTRY(b, S_BUCKETS, 0); mcc_wr32(e + 24, MEMCOM_DTYPE_U32); } fix_dir(&b); EXPECT(b, MEMCOM_E_SECTION_DTYPE);
    b = dup_base(); { uint8_t *e = ENTRY(b, S_META, 0); mcc_wr32(e + 24, 1); } fix_dir(&b); EXPECT(b, MEMCOM_E_SECTION_DTYPE);
    /* overlaps: two sections, and a section over the directory */
    b = dup_base(); { uint8_t *e = ENTRY(b, S_META, 0); mcc_wr64(e + 8, mcc_rd64(ENTRY(b, S_IDOFF, 0) + 8)); } fix_dir(&b); EXPECT(b, MEMCOM_E_SECTION_OVERLAP);
    b = dup_base(); { uint8_t *e = ENTRY(b, S_META, 0); mcc_wr64(e + 8, 256); } fix_dir(&b); EXPECT(b, MEMCOM_E_SECTION_OVERLAP);
    b = dup_base(); { uint8_t *e = ENTRY(b, S_META, 0); mcc_wr64(e + 8, 0); } fix_dir(&b); EXPECT(b, MEMCOM_E_SECTION_OVERLAP);
    /* missing required sections */
    const uint32_t req[][2] = {{S_ROWS_A, 0}, {S_ROWS_B, 1}, {S_SCALES_A, 0}, {S_SCALES_B, 1}, {S_SCALARS, 0}, {S_BUCKETS, 0},
                               {S_LAYERS, 0}, {S_LW, 0}, {S_LB, 0}, {S_LB, 1}, {S_BIAS, 0}, {S_IDOFF, 0}, {S_IDBYTES, 0}, {S_IDSORT, 0}};
    for (size_t q = 0; q < sizeof req / sizeof req[0]; q++) {
        b = dup_base();
        k = find_entry(&b, req[q][0], req[q][1]);
        CHECK(k >= 0);
        drop_entry(&b, k);
        EXPECT(b, MEMCOM_E_SECTION_MISSING);
    }
    b = dup_base(); drop_entry(&b, find_entry(&b, S_META, 0)); EXPECT(b, MEMCOM_OK); /* metadata is optional */
    /* CRC: a flipped byte in each section, and a flipped stored CRC */
    uint32_t c = count_of(&(buf_t){base.bytes, base.size});
    for (uint32_t q = 0; q < c; q++) {
        b = dup_base();
        uint8_t *e = entry_at(&b, q);
        if (mcc_rd64(e + 16) == 0) { memcom_free(b.p); continue; }
        b.p[mcc_rd64(e + 8) + mcc_rd64(e + 16) / 2] ^= 0x10;
        EXPECT(b, MEMCOM_E_SECTION_CRC);
        b = dup_base();
        e = entry_at(&b, q);
        mcc_wr32(e + 28, mcc_rd32(e + 28) ^ 0x80000000u);
        fix_dir(&b);
        EXPECT(b, MEMCOM_E_SECTION_CRC);
    }
}

static void test_contents(void)
{
    buf_t b;
    uint8_t *p;
    b = dup_base(); p = sec(&b, S_BUCKETS, 0); mcc_wr16(p + 6, 6); fix_all(&b); EXPECT(b, MEMCOM_E_BUCKET_RANGE);
    b = dup_base(); p = sec(&b, S_BUCKETS, 0); mcc_wr16(p, 0xFFFF); fix_all(&b); EXPECT(b, MEMCOM_E_BUCKET_RANGE);
    b = dup_base(); p = sec(&b, S_SCALARS, 0); mcc_wr32(p + 12, 0x7FC00000u); fix_all(&b); EXPECT(b, MEMCOM_E_NONFINITE);
    b = dup_base(); p = sec(&b, S_SCALARS, 0); mcc_wr32(p + 76, 0xFF800000u); fix_all(&b); EXPECT(b, MEMCOM_E_NONFINITE);
    b = dup_base(); p = sec(&b, S_LW, 0); mcc_wr32(p + 40, 0x7F800000u); fix_all(&b); EXPECT(b, MEMCOM_E_NONFINITE);
    b = dup_base(); p = sec(&b, S_LB, 1); mcc_wr32(p + 4, 0x7FC00001u); fix_all(&b); EXPECT(b, MEMCOM_E_NONFINITE);
    b = dup_base(); p = sec(&b, S_BIAS, 0); mcc_wr16(p + 2, 0x7C00); fix_all(&b); EXPECT(b, MEMCOM_E_NONFINITE);
    b = dup_base(); p = sec(&b, S_BIAS, 0); mcc_wr16(p + 38, 0xFE01); fix_all(&b); EXPECT(b, MEMCOM_E_NONFINITE);
    b = dup_base(); p = sec(&b, S_SCALES_B, 1); mcc_wr32(p + 4, mcc_f32_bits(-1.0f)); fix_all(&b); EXPECT(b, MEMCOM_E_ROW_SCALE);
    b = dup_base(); p = sec(&b, S_SCALES_A, 0); mcc_wr32(p, 0x7FC00000u); fix_all(&b); EXPECT(b, MEMCOM_E_ROW_SCALE);
    b = dup_base(); p = sec(&b, S_SCALES_A, 1); mcc_wr32(p, 0x7F800000u); fix_all(&b); EXPECT(b, MEMCOM_E_ROW_SCALE);
    /* layers */
    b = dup_base(); p = sec(&b, S_LAYERS, 0); mcc_wr32(p, 15); fix_all(&b); EXPECT(b, MEMCOM_E_LAYERS);
    b = dup_base(); p = sec(&b, S_LAYERS, 0); mcc_wr32(p + 12, 3); fix_all(&b); EXPECT(b, MEMCOM_E_LAYERS);
    b = dup_base(); p = sec(&b, S_LAYERS, 0); mcc_wr32(p + 8, 7); fix_all(&b); EXPECT(b, MEMCOM_E_LAYERS);
    b = dup_base(); p = sec(&b, S_LAYERS, 0); mcc_wr32(p + 16 + 4, 7); fix_all(&b); EXPECT(b, MEMCOM_E_LAYERS);
    b = dup_base(); p = sec(&b, S_LAYERS, 0); mcc_wr32(p + 4, 0); fix_all(&b); EXPECT(b, MEMCOM_E_LAYERS);
    b = dup_base(); p = sec(&b, S_LAYERS, 0); mcc_wr32(p + 8, 1); fix_all(&b); EXPECT(b, MEMCOM_E_SECTION_UNEXPECTED); /* bias section, no flag */
    b = dup_base(); p = sec(&b, S_LAYERS, 0); mcc_wr32(p + 16 + 8, 3); fix_all(&b); EXPECT(b, MEMCOM_E_SECTION_MISSING); /* weight flag, no section */
    /* ids */
    b = dup_base(); p = sec(&b, S_IDBYTES, 0); p[3 * 6 + 2] = 0xFF; fix_all(&b); EXPECT(b, MEMCOM_E_IDS_UTF8);
    b = dup_base(); p = sec(&b, S_IDBYTES, 0); p[3 * 6 + 4] = 0xC0; p[3 * 6 + 5] = 0xAF; fix_all(&b); EXPECT(b, MEMCOM_E_IDS_UTF8);
    b = dup_base(); p = sec(&b, S_IDBYTES, 0); memcpy(p + 6 * 6 + 3, "\xED\xA0\x80", 3); fix_all(&b); EXPECT(b, MEMCOM_E_IDS_UTF8);
    b = dup_base(); p = sec(&b, S_IDBYTES, 0); p[5 * 6 + 5] = 0xC3; fix_all(&b); EXPECT(b, MEMCOM_E_IDS_UTF8); /* cut sequence */
    b = dup_base(); p = sec(&b, S_IDOFF, 0); mcc_wr32(p + 5 * 4, mcc_rd32(p + 4 * 4)); fix_all(&b); EXPECT(b, MEMCOM_E_IDS_UTF8); /* empty id */
    b = dup_base(); p = sec(&b, S_IDBYTES, 0); memcpy(p + 6, "item00", 6); fix_all(&b); EXPECT(b, MEMCOM_E_IDS_DUP);
    b = dup_base(); p = sec(&b, S_IDOFF, 0); mcc_wr32(p, 1); fix_all(&b); EXPECT(b, MEMCOM_E_IDS);
    b = dup_base(); p = sec(&b, S_IDOFF, 0); mcc_wr32(p + 5 * 4, mcc_rd32(p + 6 * 4) + 1); fix_all(&b); EXPECT(b, MEMCOM_E_IDS);
    b = dup_base(); p = sec(&b, S_IDSORT, 0); { uint32_t t = mcc_rd32(p + 8); mcc_wr32(p + 8, mcc_rd32(p + 12)); mcc_wr32(p + 12, t); } fix_all(&b); EXPECT(b, MEMCOM_E_IDS_ORDER);
    b = dup_base(); p = sec(&b, S_IDSORT, 0); mcc_wr32(p + 16, 99); fix_all(&b); EXPECT(b, MEMCOM_E_IDS_ORDER);
    b = dup_base(); p = sec(&b, S_IDSORT, 0); mcc_wr32(p + 16, mcc_rd32(p + 12)); fix_all(&b); EXPECT(b, MEMCOM_E_IDS_ORDER);
    /* metadata */
    b = dup_base(); p = sec(&b, S_META, 0); memcpy(p, "[1]            ", 15); fix_all(&b); EXPECT(b, MEMCOM_E_METADATA);
    b = dup_base(); p = sec(&b, S_META, 0); p[14] = ' '; fix_all(&b); EXPECT(b, MEMCOM_E_METADATA);
    b = dup_base(); p = sec(&b, S_META, 0); p[12] = 0xFF; fix_all(&b); EXPECT(b, MEMCOM_E_METADATA);
    b = dup_base(); p = sec(&b, S_META, 0); memcpy(p, "{\"a\":1,\"b\":[]} ", 15); fix_all(&b); EXPECT(b, MEMCOM_OK);
    b = dup_base(); p = sec(&b, S_META, 0); memcpy(p, "{\"a\":01,\"b\":2} ", 15); fix_all(&b); EXPECT(b, MEMCOM_E_METADATA);
    b = dup_base(); p = sec(&b, S_META, 0); memcpy(p, "{\"a\":\"\\x\",\"\":0}", 15); fix_all(&b); EXPECT(b, MEMCOM_E_METADATA);
    b = dup_base(); p = sec(&b, S_META, 0); memcpy(p, "{\"a\":1}{\"b\":2} ", 15); fix_all(&b); EXPECT(b, MEMCOM_E_METADATA);
}

/* JSON nesting is bounded: deep input is refused, not a stack overflow */
static void test_deep_json(void)
{
    f_model fm;
    memset(&fm, 0, sizeof fm);
    f_table_make(&fm.out, f_desc(MEMCOM_KIND_FULL, 3, 3, 2, MEMCOM_DTYPE_F32, 0, 0, 0, 0), 1);
    size_t depth = 100000;
    char *js = malloc(2 * depth + 16);
    strcpy(js, "{\"a\":");
    size_t pos = 5;
    for (size_t i = 0; i < depth; i++) js[pos++] = '[';
    for (size_t i = 0; i < depth; i++) js[pos++] = ']';
    js[pos++] = '}';
    js[pos] = 0;
    fm.data.metadata_json = js;
    fm.data.output = fm.out.data;
    void *bytes;
    size_t size;
    CHECK_CODE(memcom_write_memory(&fm.data, &bytes, &size, NULL, 0), MEMCOM_E_METADATA);
    free(js);
    f_table_free(&fm.out);
}

/* NaN / infinity inside row tables (f32 and f16), refused as nonfinite */
static void test_nonfinite_rows(void)
{
    const uint32_t dts[] = {MEMCOM_DTYPE_F32, MEMCOM_DTYPE_F16};
    for (int k = 0; k < 2; k++) {
        f_model fm;
        memset(&fm, 0, sizeof fm);
        f_table_make(&fm.out, f_desc(MEMCOM_KIND_QR, 30, 7, 4, dts[k], 0, 0, 0, 0), 4);
        CHECK(f_model_build(&fm) == 0);
        for (uint32_t t = S_ROWS_A; t <= S_ROWS_B; t++) {
            buf_t b = {memcom_malloc(fm.size), fm.size};
            memcpy(b.p, fm.bytes, fm.size);
            uint8_t *p = sec(&b, t, 1);
            if (dts[k] == MEMCOM_DTYPE_F32) mcc_wr32(p + 4 * 9, t == S_ROWS_A ? 0x7FC00000u : 0xFF800000u);
            else mcc_wr16(p + 2 * 9, t == S_ROWS_A ? 0x7E00 : 0xFC00);
            fix_all(&b);
            EXPECT(b, MEMCOM_E_NONFINITE);
        }
        f_model_free(&fm);
    }
}

/* random damage: never a crash; opened models serve */
static void test_fuzz(void)
{
    t_rng r = {1234};
    int iters = getenv("MEMCOM_FUZZ_ITERS") ? atoi(getenv("MEMCOM_FUZZ_ITERS")) : 4000;
    int bad = 0, opened = 0;
    for (int it = 0; it < iters; it++) {
        buf_t b = dup_base();
        int flips = 1 + (int)t_below(&r, 4);
        for (int f = 0; f < flips; f++) {
            size_t at = t_below(&r, 10) < 6 ? t_below(&r, 256 + 32 * 15) : t_below(&r, (uint32_t)b.size);
            if (at >= b.size) at = b.size - 1;
            b.p[at] = (uint8_t)((t_below(&r, 4) == 0) ? 0xFF : t_below(&r, 2) ? b.p[at] ^ (1u << t_below(&r, 8)) : t_next(&r));
        }
        if (t_below(&r, 4) == 0) b.size = t_below(&r, (uint32_t)b.size + 1);
        if (t_below(&r, 3)) fix_all(&b);
        int rc = open_code(&b, 0);
        if (rc < 0) bad++;
        if (rc == 0) opened++;
        memcom_free(b.p);
    }
    CHECK_MSG(bad == 0, "%d fuzzed files misbehaved", bad);
    fprintf(stderr, "  fuzz: %d iterations, %d still valid\n", iters, opened);
}

/* block checksums (crc_blocks.c): the CRC of any range derived from them
 * equals a direct CRC32 of it; opening with them accepts what a plain open
 * accepts and refuses a corrupt byte inside a block */
static void test_crc_blocks(void)
{
    t_rng r = {99};
    const size_t sizes[] = {0, 1, 65535, 65536, 65537, 3 * 65536 + 17, 9 * 65536};
    uint8_t *buf = malloc(9 * 65536 + 64);
    for (size_t i = 0; i < 9 * 65536 + 64; i++) buf[i] = (uint8_t)t_next(&r);
    int same = 1;
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        size_t size = sizes[si];
        memcom_crc_blocks *b = NULL;
        CHECK_CODE(memcom_crc_blocks_new(&b, size), MEMCOM_OK);
        /* arrives in random pieces */
        for (size_t have = 0; have < size;) {
            have += 1 + t_below(&r, 100000);
            memcom_crc_blocks_update(b, buf, have > size ? size : have);
        }
        memcom_crc_blocks_update(b, buf, size);
        for (int t = 0; t < 300 && size; t++) {
            uint64_t off = t_below(&r, (uint32_t)size), len = t_below(&r, (uint32_t)(size - off + 1));
            if (t < 4) off = (uint64_t)t * 65536 % size, len = size - off; /* block-aligned starts, to the end */
            same = same && mcc_crc_range(b, buf, off, len) == mcc_crc32(buf + off, (size_t)len);
        }
        same = same && mcc_crc_range(b, buf, 0, size) == mcc_crc32(buf, size);
        memcom_crc_blocks_free(b);
    }
    CHECK(same);
    free(buf);

    /* a real file of several blocks: a full table of 6000 x 16 f32 rows */
    const uint32_t n = 6000, d = 16;
    float *rows = malloc(sizeof(float) * n * d);
    for (uint32_t i = 0; i < n * d; i++) rows[i] = (float)t_uniform(&r);
    memcom_table_data t;
    memset(&t, 0, sizeof t);
    t.desc.kind = MEMCOM_KIND_FULL;
    t.desc.n = t.desc.m = n;
    t.desc.d = d;
    t.desc.row_dtype = MEMCOM_DTYPE_F32;
    t.rows_a = rows;
    memcom_model_data md;
    memset(&md, 0, sizeof md);
    md.output = t;
    void *copy_v = NULL;
    size_t size = 0;
    char detail[256];
    CHECK_CODE(memcom_write_memory(&md, &copy_v, &size, detail, sizeof detail), MEMCOM_OK);
    free(rows);
    if (!copy_v) return;
    uint8_t *copy = copy_v;
    memcom_model *m = NULL;
    memcom_crc_blocks *b = NULL;
    CHECK_CODE(memcom_crc_blocks_new(&b, size), MEMCOM_OK);
    memcom_crc_blocks_update(b, copy, size / 2); /* open_ex takes the rest */
    CHECK_CODE(memcom_open_ex(&m, copy, size, 0, 0, b, detail, sizeof detail), MEMCOM_OK);
    memcom_close(m);
    memcom_crc_blocks_free(b);
    CHECK_CODE(memcom_crc_blocks_new(&b, size + 1), MEMCOM_OK);
    CHECK_CODE(memcom_open_ex(&m, copy, size, 0, 0, b, detail, sizeof detail), MEMCOM_E_ARG);
    CHECK(strstr(detail, "block checksums") != NULL);
    memcom_crc_blocks_free(b);
    CHECK(size > 5 * 65536);
    CHECK(!f_stream_differs(copy, size, 0, MEMCOM_OK, ""));
    uint8_t saved[4];
    memcpy(saved, copy + 3 * 65536, 4);
    mcc_wr32(copy + 3 * 65536, 0x7FC00000u); /* a NaN in the rows, its CRC fixed: nonfinite, streamed as whole */
    uint8_t *e0 = copy + 256;
    mcc_wr32(e0 + 28, mcc_crc32(copy + mcc_rd64(e0 + 8), (size_t)mcc_rd64(e0 + 16)));
    mcc_wr32(copy + 48, mcc_crc32(copy + 256, 32 * (size_t)mcc_rd32(copy + 32)));
    mcc_wr32(copy + 252, mcc_crc32(copy, 252));
    CHECK_CODE(memcom_open(&m, copy, size, MEMCOM_OPEN_COPY, 0, detail, sizeof detail), MEMCOM_E_NONFINITE);
    CHECK(!f_stream_differs(copy, size, 0, MEMCOM_E_NONFINITE, detail));
    memcpy(copy + 3 * 65536, saved, 4);
    copy[2 * 65536 + 100] ^= 0x40; /* inside a whole block of the rows (its CRC now stale) */
    CHECK_CODE(memcom_crc_blocks_new(&b, size), MEMCOM_OK);
    memcom_crc_blocks_update(b, copy, size);
    CHECK_CODE(memcom_open_ex(&m, copy, size, 0, 0, b, detail, sizeof detail), MEMCOM_E_SECTION_CRC);
    memcom_crc_blocks_free(b);
    memcom_free(copy);
}

/* streamed in, each section is checksummed and checked once its bytes are
 * in: opening the file then computes none of it again (mcc_read counts what
 * it computes itself); opened whole it computes every CRC and runs the 15
 * content checks of the base file (input memcom i8, explicit buckets:
 * ROWS_A SCALES_A ITEM_SCALARS BUCKETS; output qr i8: ROWS_A ROWS_B SCALES_A
 * SCALES_B; LAYER_WEIGHT[0] LAYER_BIAS[0] LAYER_BIAS[1]; OUTPUT_BIAS; the
 * ids: ID_OFFSETS with ID_BYTES, then ID_SORTED with both; METADATA);
 * stopped part way, it computes those of the sections that end past the
 * stop (a check of several sections: when one of them does) */
static void test_streamed_checks(void)
{
    buf_t b = dup_base();
    mcc_view v;
    char detail[256];
    CHECK_CODE(mcc_read(b.p, b.size, 0, NULL, &v, detail, sizeof detail), MEMCOM_OK);
    CHECK(v.steps_at_open == 15 && v.crcs_at_open == count_of(&b));
    mcc_view_release(&v);
    const size_t stops[] = {b.size, b.size / 2, 300, 0};
    for (size_t si = 0; si < sizeof stops / sizeof stops[0]; si++) {
        size_t half = stops[si];
        uint32_t crcs = 0, steps = 0, ids = 0, order = 0;
        for (uint32_t k = 0; k < count_of(&b); k++) {
            uint32_t type = mcc_rd32(entry_at(&b, k));
            if (mcc_rd64(entry_at(&b, k) + 8) + mcc_rd64(entry_at(&b, k) + 16) <= half) continue;
            crcs++;
            if (type >= S_IDOFF && type <= S_IDSORT) order = 1, ids |= type != S_IDSORT;
            else if (type != S_LAYERS) steps++;
        }
        ids += order;
        memcom_crc_blocks *blk = NULL;
        CHECK_CODE(memcom_crc_blocks_new(&blk, b.size), MEMCOM_OK);
        for (size_t have = 0; have < half; have += 10) memcom_crc_blocks_update(blk, b.p, have < half ? have : half);
        memcom_crc_blocks_update(blk, b.p, half);
        CHECK_CODE(mcc_read(b.p, b.size, 0, blk, &v, detail, sizeof detail), MEMCOM_OK);
        CHECK_MSG(v.steps_at_open == steps + ids && v.crcs_at_open == crcs, "stopped at %zu of %zu bytes: %u checks, %u CRCs at open",
                  half, b.size, (unsigned)v.steps_at_open, (unsigned)v.crcs_at_open);
        if (si == 0) CHECK(v.steps_at_open == 0 && v.crcs_at_open == 0);
        mcc_view_release(&v);
        memcom_crc_blocks_free(blk);
    }
    /* a content error in a section that arrives early and a CRC error in one
     * that arrives later: CRCs come first, streamed as whole */
    uint8_t *p = sec(&b, S_BUCKETS, 0);
    mcc_wr16(p + 6, 6);
    fix_all(&b);
    sec(&b, S_META, 0)[3] ^= 1;
    EXPECT(b, MEMCOM_E_SECTION_CRC);
}

/* 2000 string ids: the sorted index spans several batches of the scan,
 * which runs while the index arrives; damage anywhere in it gives the same
 * error streamed as whole (in a batch, an entry >= n before an earlier
 * disorder, as the whole scan finds it) */
static void test_streamed_ids(void)
{
    const uint32_t n = 2000;
    f_model fm;
    memset(&fm, 0, sizeof fm);
    f_table_make(&fm.out, f_desc(MEMCOM_KIND_FULL, n, n, 2, MEMCOM_DTYPE_F32, 0, 0, 0, 0), 9);
    fm.ids = malloc(sizeof(char *) * n);
    for (uint32_t i = 0; i < n; i++) {
        fm.ids[i] = malloc(12);
        snprintf(fm.ids[i], 12, "x%u", (i * 7919u) % 10007u); /* distinct, not in item order */
    }
    CHECK(f_model_build(&fm) == 0);
    if (!fm.m) return;
    buf_t b = {fm.bytes, fm.size};
    CHECK(!f_stream_differs(b.p, b.size, 0, MEMCOM_OK, ""));
    mcc_view v;
    char detail[256];
    memcom_crc_blocks *blk = NULL;
    CHECK_CODE(memcom_crc_blocks_new(&blk, b.size), MEMCOM_OK);
    for (size_t have = 0; have < b.size; have += 1000) memcom_crc_blocks_update(blk, b.p, have);
    memcom_crc_blocks_update(blk, b.p, b.size);
    CHECK_CODE(mcc_read(b.p, b.size, 0, blk, &v, detail, sizeof detail), MEMCOM_OK);
    CHECK(v.steps_at_open == 0 && v.crcs_at_open == 0);
    mcc_view_release(&v);
    memcom_crc_blocks_free(blk);
    /* (entry, what): 0 swap with the next, 1 = n, 2 repeat the previous */
    const uint32_t cases[][2] = {{700, 0}, {1000, 1}, {1999, 1}, {1998, 0}, {256, 2}, {255, 0}, {511, 1}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        buf_t d = {memcom_malloc(b.size), b.size};
        memcpy(d.p, b.p, b.size);
        uint8_t *p = sec(&d, S_IDSORT, 0) + 4 * (size_t)cases[c][0];
        uint32_t t = mcc_rd32(p);
        if (cases[c][1] == 0) { mcc_wr32(p, mcc_rd32(p + 4)); mcc_wr32(p + 4, t); }
        else mcc_wr32(p, cases[c][1] == 1 ? n : mcc_rd32(p - 4));
        if (c == 5) mcc_wr32(p + 4 * 20, n); /* and an entry >= n later in the same batch: found first */
        fix_all(&d);
        EXPECT(d, MEMCOM_E_IDS_ORDER);
    }
    /* two items with the same id, found by the scan in its fifth batch */
    buf_t d = {memcom_malloc(b.size), b.size};
    memcpy(d.p, b.p, b.size);
    uint8_t *srt = sec(&d, S_IDSORT, 0), *off = sec(&d, S_IDOFF, 0), *by = sec(&d, S_IDBYTES, 0);
    uint32_t a = mcc_rd32(srt + 4 * 1100), z = mcc_rd32(srt + 4 * 1101);
    uint32_t la = mcc_rd32(off + 4 * (a + 1)) - mcc_rd32(off + 4 * a), lz = mcc_rd32(off + 4 * (z + 1)) - mcc_rd32(off + 4 * z);
    CHECK(la == lz);
    if (la == lz) memcpy(by + mcc_rd32(off + 4 * z), by + mcc_rd32(off + 4 * a), la);
    fix_all(&d);
    EXPECT(d, MEMCOM_E_IDS_DUP);
    f_model_free(&fm);
}

/* ---- a ranker (format 1.2): the head sections ---- */
static void make_ranker(void)
{
    cur = &ranker_model;
    memset(&base, 0, sizeof base);
    uint32_t n = 20, widths[2] = {6, 1};
    f_table_make(&base.in, f_desc(MEMCOM_KIND_MEMCOM, n, 6, 8, MEMCOM_DTYPE_F16, MEMCOM_DTYPE_F16, MEMCOM_BUCKET_MOD, 0, 0), 3);
    f_table_make(&base.out, f_desc(MEMCOM_KIND_HASH, n, 7, 8, MEMCOM_DTYPE_I8, 0, MEMCOM_BUCKET_HASH, 0, 11), 4);
    f_head_make(&base, 8, widths, 2, 9);
    free(base.hb[1]); /* the last layer without a bias */
    base.hb[1] = NULL;
    base.head[1].bias = NULL;
    base.bias = calloc(n, sizeof(float));
    base.data.bias_dtype = MEMCOM_DTYPE_F32;
    CHECK(f_model_build(&base) == 0);
}

static void test_ranker_format(void)
{
    buf_t b;
    uint8_t *p;
    memcom_info info;
    CHECK_CODE(memcom_get_info(base_model.m, &info), MEMCOM_OK);
    CHECK(info.format_minor == 0 && info.n_head_layers == 0 && info.head_bytes == 0); /* no head: still 1.0 */
    CHECK_CODE(memcom_get_info(base.m, &info), MEMCOM_OK);
    CHECK(info.format_major == 1 && info.format_minor == 2 && info.n_head_layers == 2 && info.n_layers == 0);
    CHECK(info.head_bytes == 2 * 16 + 24 * 6 * 4 + 6 * 4 + 6 * 4); /* records, W0, b0, W1 */
    CHECK(info.full_file_bytes == info.file_bytes - info.input_bytes - info.output_bytes - info.bias_bytes +
                                      info.full_f32_bytes + 4 * 20);
    memcom_layer_info li;
    CHECK_CODE(memcom_get_head_layer(base.m, 0, &li), MEMCOM_OK);
    CHECK(li.in_dim == 24 && li.out_dim == 6 && li.activation == MEMCOM_ACT_RELU && li.has_weight && li.has_bias);
    CHECK_CODE(memcom_get_head_layer(base.m, 1, &li), MEMCOM_OK);
    CHECK(li.in_dim == 6 && li.out_dim == 1 && li.activation == MEMCOM_ACT_NONE && li.has_weight && !li.has_bias);
    CHECK_CODE(memcom_get_head_layer(base.m, 2, &li), MEMCOM_E_INDEX);
    CHECK_CODE(memcom_get_layer(base.m, 0, &li), MEMCOM_E_INDEX);
    CHECK_CODE(memcom_get_head_layer(base_model.m, 0, &li), MEMCOM_E_INDEX);
    float w[24 * 6], bb[6];
    CHECK_CODE(memcom_copy_head_layer(base.m, 0, w, bb), MEMCOM_OK);
    CHECK(memcmp(w, base.hw[0], sizeof w) == 0 && memcmp(bb, base.hb[0], sizeof bb) == 0);
    CHECK_CODE(memcom_copy_head_layer(base.m, 1, w, bb), MEMCOM_OK);
    CHECK(memcmp(w, base.hw[1], 6 * sizeof(float)) == 0 && bb[0] == 0.0f);
    CHECK_CODE(memcom_copy_head_layer(base.m, 2, w, bb), MEMCOM_E_INDEX);
    int found = 0;
    for (uint32_t k = 0; k < memcom_section_count(base.m); k++) {
        memcom_section_info si;
        memcom_get_section(base.m, k, &si);
        found += (si.type == S_HL && strcmp(si.name, "HEAD_LAYERS") == 0) + (si.type == S_HW && strcmp(si.name, "HEAD_WEIGHT") == 0) +
                 (si.type == S_HB && strcmp(si.name, "HEAD_BIAS") == 0);
    }
    CHECK(found == 4);

    b = dup_base(); EXPECT(b, MEMCOM_OK);
    /* version: a 1.1 file has no n_head_layers (reserved) and no head sections */
    b = dup_base(); mcc_wr16(b.p + 10, 1); fix_header(&b); EXPECT(b, MEMCOM_E_FLAGS);
    b = dup_base(); mcc_wr16(b.p + 10, 1); mcc_wr32(b.p + 188, 0); fix_header(&b); EXPECT(b, MEMCOM_E_SECTION_TYPE);
    b = dup_base(); mcc_wr16(b.p + 10, MEMCOM_FORMAT_MINOR + 1); fix_header(&b); EXPECT(b, MEMCOM_E_VERSION);
    /* header */
    b = dup_base(); mcc_wr32(b.p + 188, 17); fix_header(&b); EXPECT(b, MEMCOM_E_LAYERS);
    b = dup_base(); mcc_wr32(b.p + 188, 1); fix_header(&b); EXPECT(b, MEMCOM_E_SECTION_SIZE);   /* HEAD_LAYERS holds 2 */
    b = dup_base(); mcc_wr32(b.p + 188, 0); fix_header(&b); EXPECT(b, MEMCOM_E_SECTION_UNEXPECTED);
    b = dup_base(); memset(b.p + 56, 0, 64); fix_header(&b); EXPECT(b, MEMCOM_E_LAYERS);          /* a table file with a head */
    /* directory */
#define RENTRY(b, t, i) entry_at(&(b), (uint32_t)find_entry(&(b), (t), (i)))
    b = dup_base(); drop_entry(&b, find_entry(&b, S_HL, 0)); EXPECT(b, MEMCOM_E_SECTION_MISSING);
    b = dup_base(); drop_entry(&b, find_entry(&b, S_HW, 1)); EXPECT(b, MEMCOM_E_SECTION_MISSING);
    b = dup_base(); drop_entry(&b, find_entry(&b, S_HB, 0)); EXPECT(b, MEMCOM_E_SECTION_MISSING);
    b = dup_base(); mcc_wr32(RENTRY(b, S_HW, 1) + 4, 2); fix_dir(&b); EXPECT(b, MEMCOM_E_SECTION_TYPE);
    b = dup_base(); mcc_wr32(RENTRY(b, S_HW, 1), S_HB); fix_dir(&b); EXPECT(b, MEMCOM_E_SECTION_MISSING); /* weight gone (bias not flagged) */
    b = dup_base(); mcc_wr32(RENTRY(b, S_HB, 0), S_HW); fix_dir(&b); EXPECT(b, MEMCOM_E_SECTION_DUP);
    b = dup_base(); mcc_wr32(RENTRY(b, S_HL, 0) + 24, MEMCOM_DTYPE_F32); fix_dir(&b); EXPECT(b, MEMCOM_E_SECTION_DTYPE);
    b = dup_base(); mcc_wr32(RENTRY(b, S_HW, 0) + 24, MEMCOM_DTYPE_F16); fix_dir(&b); EXPECT(b, MEMCOM_E_SECTION_DTYPE);
    b = dup_base(); mcc_wr64(RENTRY(b, S_HW, 0) + 16, 24 * 6 * 4 - 4); fix_dir(&b); EXPECT(b, MEMCOM_E_SECTION_SIZE);
    b = dup_base(); mcc_wr64(RENTRY(b, S_HB, 0) + 16, 4); fix_dir(&b); EXPECT(b, MEMCOM_E_SECTION_SIZE);
    /* records */
    b = dup_base(); p = sec(&b, S_HL, 0); mcc_wr32(p, 23); fix_all(&b); EXPECT(b, MEMCOM_E_LAYERS);       /* in_dim != 3 d */
    b = dup_base(); p = sec(&b, S_HL, 0); mcc_wr32(p + 16, 5); fix_all(&b); EXPECT(b, MEMCOM_E_LAYERS);   /* does not chain */
    b = dup_base(); p = sec(&b, S_HL, 0); mcc_wr32(p + 12, 3); fix_all(&b); EXPECT(b, MEMCOM_E_LAYERS);   /* activation */
    b = dup_base(); p = sec(&b, S_HL, 0); mcc_wr32(p + 8, 7); fix_all(&b); EXPECT(b, MEMCOM_E_LAYERS);    /* flags */
    b = dup_base(); p = sec(&b, S_HL, 0); mcc_wr32(p + 16 + 12, MEMCOM_ACT_RELU); fix_all(&b); EXPECT(b, MEMCOM_E_LAYERS); /* last not linear */
    b = dup_base(); p = sec(&b, S_HL, 0); mcc_wr32(p + 16 + 4, 0); fix_all(&b); EXPECT(b, MEMCOM_E_LAYERS);
    b = dup_base(); p = sec(&b, S_HL, 0); mcc_wr32(p + 16 + 8, 3); fix_all(&b); EXPECT(b, MEMCOM_E_SECTION_MISSING); /* bias flagged */
    b = dup_base(); p = sec(&b, S_HL, 0); mcc_wr32(p + 8, 1); fix_all(&b); EXPECT(b, MEMCOM_E_SECTION_UNEXPECTED);   /* bias not flagged */
    b = dup_base(); p = sec(&b, S_HL, 0); mcc_wr32(p + 16 + 8, 0); fix_all(&b); EXPECT(b, MEMCOM_E_LAYERS); /* no weight: 6 -> 1 */
    /* contents */
    b = dup_base(); p = sec(&b, S_HW, 0); mcc_wr32(p + 100, 0x7FC00000u); fix_all(&b); EXPECT(b, MEMCOM_E_NONFINITE);
    b = dup_base(); p = sec(&b, S_HW, 1); mcc_wr32(p + 20, 0xFF800000u); fix_all(&b); EXPECT(b, MEMCOM_E_NONFINITE);
    b = dup_base(); p = sec(&b, S_HB, 0); mcc_wr32(p, 0x7F800000u); fix_all(&b); EXPECT(b, MEMCOM_E_NONFINITE);
    /* every section's CRC */
    uint32_t c = count_of(&(buf_t){base.bytes, base.size});
    for (uint32_t q = 0; q < c; q++) {
        b = dup_base();
        uint8_t *e = entry_at(&b, q);
        b.p[mcc_rd64(e + 8) + mcc_rd64(e + 16) / 2] ^= 0x10;
        EXPECT(b, MEMCOM_E_SECTION_CRC);
    }
    /* a head section in a file without a head (format 1.0) */
    cur = &base_model;
    b = dup_base(); mcc_wr32(RENTRY(b, S_META, 0), S_HB); fix_dir(&b); EXPECT(b, MEMCOM_E_SECTION_TYPE);
    b = dup_base(); mcc_wr16(b.p + 10, 2); mcc_wr32(RENTRY(b, S_META, 0), S_HB); fix_all(&b); EXPECT(b, MEMCOM_E_SECTION_TYPE); /* index 0 >= 0 head layers */
    cur = &ranker_model;
#undef RENTRY
}

/* the writer refuses a head that the reader would */
static void test_ranker_write(void)
{
    memcom_model_data md = base.data;
    memcom_layer_data head[17];
    for (int l = 0; l < 17; l++) head[l] = base.head[l < 2 ? l : 1];
    md.head_layers = head;
    void *out = NULL;
    size_t size = 0;
    char detail[256];
    head[0].in_dim = 23;
    CHECK_CODE(memcom_write_memory(&md, &out, &size, detail, sizeof detail), MEMCOM_E_LAYERS);
    head[0] = base.head[0];
    head[1].activation = MEMCOM_ACT_TANH;
    CHECK_CODE(memcom_write_memory(&md, &out, &size, detail, sizeof detail), MEMCOM_E_LAYERS);
    CHECK(strstr(detail, "linear") != NULL);
    head[1] = base.head[0];
    head[1].in_dim = 6; /* 6 -> 6: no single score */
    head[1].weight = NULL;
    CHECK_CODE(memcom_write_memory(&md, &out, &size, detail, sizeof detail), MEMCOM_E_LAYERS);
    head[1] = base.head[1];
    md.n_head_layers = 17;
    CHECK_CODE(memcom_write_memory(&md, &out, &size, detail, sizeof detail), MEMCOM_E_LAYERS);
    md.n_head_layers = 2;
    md.head_layers = NULL;
    CHECK_CODE(memcom_write_memory(&md, &out, &size, detail, sizeof detail), MEMCOM_E_ARG);
    md.head_layers = head;
    float nanw[24 * 6];
    memcpy(nanw, base.hw[0], sizeof nanw);
    nanw[50] = NAN;
    head[0].weight = nanw;
    CHECK_CODE(memcom_write_memory(&md, &out, &size, detail, sizeof detail), MEMCOM_E_NONFINITE_INPUT);
    head[0] = base.head[0];
    memcom_model_data tf = md; /* a table file cannot have a head */
    memset(&tf.input, 0, sizeof tf.input);
    CHECK_CODE(memcom_write_memory(&tf, &out, &size, detail, sizeof detail), MEMCOM_E_LAYERS);
    CHECK_CODE(memcom_write_memory(&md, &out, &size, detail, sizeof detail), MEMCOM_OK);
    CHECK(size == base.size && memcmp(out, base.bytes, size) == 0);
    memcom_free(out);
}

void test_format(void)
{
    make_base();
    if (!base.m) return;
    test_crc_blocks();
    test_streamed_checks();
    test_streamed_ids();
    test_container();
    test_entries();
    test_contents();
    test_deep_json();
    test_nonfinite_rows();
    test_fuzz();
    make_ranker();
    if (base.m) {
        test_ranker_format();
        test_ranker_write();
    }
    f_model_free(&ranker_model);
    f_model_free(&base_model);
}
