/* test_access.c - the accessors programs use instead of reading .memcom bytes
 * or keeping format facts of their own: enum values by name, the section
 * directory, and stored values (output bias, dense layers) as f32.  The
 * expectations are independent of the reader: the directory is decoded here
 * from the written bytes at docs/FORMAT.md's offsets, CRC32s are computed
 * bit by bit, and f16 values are worked out by hand. */
#include "test.h"

static void t_enum_values(void)
{
    for (int set = 0; set <= MEMCOM_NAMES_ID_ENCODING; set++)
        for (uint32_t v = 0; v < 8; v++) {
            const char *name = memcom_enum_name(set, v);
            if (!name) continue;
            uint32_t got = 99;
            CHECK_CODE(memcom_enum_value(set, name, &got), MEMCOM_OK);
            CHECK_MSG(got == v, "set %d '%s': %u, want %u", set, name, (unsigned)got, (unsigned)v);
        }
    uint32_t v = 99;
    CHECK(memcom_enum_value(MEMCOM_NAMES_KIND, "memcom", &v) == MEMCOM_OK && v == MEMCOM_KIND_MEMCOM);
    CHECK(memcom_enum_value(MEMCOM_NAMES_DTYPE, "f16", &v) == MEMCOM_OK && v == MEMCOM_DTYPE_F16);
    CHECK(memcom_enum_value(MEMCOM_NAMES_BUCKET_MODE, "explicit", &v) == MEMCOM_OK && v == MEMCOM_BUCKET_EXPLICIT);
    CHECK(memcom_enum_value(MEMCOM_NAMES_ACTIVATION, "tanh", &v) == MEMCOM_OK && v == MEMCOM_ACT_TANH);
    CHECK(memcom_enum_value(MEMCOM_NAMES_ID_ENCODING, "compact", &v) == MEMCOM_OK && v == MEMCOM_IDS_COMPACT);
    /* the same name in two sets: each set's own value */
    CHECK(memcom_enum_value(MEMCOM_NAMES_KIND, "hash", &v) == MEMCOM_OK && v == MEMCOM_KIND_HASH);
    CHECK(memcom_enum_value(MEMCOM_NAMES_BUCKET_MODE, "hash", &v) == MEMCOM_OK && v == MEMCOM_BUCKET_HASH);
    /* exact matches only; unknown sets and NULLs refused; *value untouched */
    static const char *const bad[] = {"F32", "f32 ", "", "int8", "memcom-plain", "tan"};
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        v = 77;
        for (int set = 0; set <= MEMCOM_NAMES_ID_ENCODING; set++) CHECK_CODE(memcom_enum_value(set, bad[k], &v), MEMCOM_E_ARG);
        CHECK(v == 77);
    }
    CHECK_CODE(memcom_enum_value(MEMCOM_NAMES_KIND, "qr", &v), MEMCOM_OK);
    CHECK(v == MEMCOM_KIND_QR);
    CHECK_CODE(memcom_enum_value(MEMCOM_NAMES_DTYPE, "qr", &v), MEMCOM_E_ARG);
    CHECK_CODE(memcom_enum_value(4, "none", &v), MEMCOM_E_ARG);
    CHECK_CODE(memcom_enum_value(-1, "none", &v), MEMCOM_E_ARG);
    CHECK_CODE(memcom_enum_value(MEMCOM_NAMES_KIND, NULL, &v), MEMCOM_E_ARG);
    CHECK_CODE(memcom_enum_value(MEMCOM_NAMES_KIND, "full", NULL), MEMCOM_E_ARG);
}

/* ---- an independent reading of the written bytes (docs/FORMAT.md) ---- */
static uint32_t t_u32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t t_u64(const uint8_t *p) { return t_u32(p) | (uint64_t)t_u32(p + 4) << 32; }
static uint32_t t_crc32(const uint8_t *p, uint64_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (uint64_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return ~c;
}

enum { AN = 8, AD = 4, AM = 3 };

/* f16 output bias: each value and its f16 rounding, worked out by hand */
static const float bias_in[AN] = {1.0f, -2.5f, 0.1f, 1.0f / 3.0f, 65504.0f, 5.9604644775390625e-08f, 1e-8f, 2049.0f};
static const float bias_f16[AN] = {
    1.0f,                   /* 0x3c00 */
    -2.5f,                  /* 0xc100 */
    0.0999755859375f,       /* 0x2e66: (1024 + 614) / 2^14, 0.1 * 2^14 = 1638.4 */
    0.333251953125f,        /* 0x3555: 1365 / 2^12, 1/3 * 2^12 = 1365.33 */
    65504.0f,               /* 0x7bff: the largest f16 */
    5.9604644775390625e-08f,/* 0x0001: 2^-24, the smallest subnormal */
    0.0f,                   /* 1e-8 < 2^-25: rounds to zero */
    2048.0f,                /* 2049 halfway between 2048 and 2050: to the even mantissa */
};

static memcom_model *t_open_written(const memcom_model_data *md, void **bytes, size_t *size)
{
    char detail[256] = "";
    int rc = memcom_write_memory(md, bytes, size, detail, sizeof detail);
    CHECK_MSG(rc == MEMCOM_OK, "write: %s", detail);
    if (rc) return NULL;
    memcom_model *m = NULL;
    rc = memcom_open(&m, *bytes, *size, MEMCOM_OPEN_COPY, 0, detail, sizeof detail);
    CHECK_MSG(rc == MEMCOM_OK, "open: %s", detail);
    return rc ? NULL : m;
}

static void t_sections_and_values(void)
{
    /* every section type: input memcom (i8 rows + scales, f16 scalars, u16
     * explicit buckets), output qr (two row tables), two layers (one stored,
     * one identity), an f16 output bias, ids and metadata */
    float in_rows[AM * AD], q[AM * AD], r[AM * AD], w[AN], lw[AD * AD], lb[AD];
    uint32_t buckets[AN];
    for (int i = 0; i < AM * AD; i++) {
        in_rows[i] = (float)(i % 5 - 2) / 4.0f;
        q[i] = (float)(i % 3 + 1) / 2.0f;
        r[i] = (float)(i % 4) / 8.0f - 0.125f;
    }
    for (int i = 0; i < AN; i++) {
        w[i] = 0.5f + (float)i / 8.0f;
        buckets[i] = (uint32_t)(AN - 1 - i) % AM;
    }
    for (int i = 0; i < AD * AD; i++) lw[i] = (float)(i * 7 % 11) / 16.0f - 0.25f;
    for (int i = 0; i < AD; i++) lb[i] = -0.75f + (float)i / 4.0f;
    static const char *const ids[AN] = {"a", "bb", "c", "dd", "e", "ff", "g", "hh"};
    const char *meta = "{\"name\":\"access\"}";
    memcom_model_data md;
    memset(&md, 0, sizeof md);
    md.input.desc = (memcom_table_desc){MEMCOM_KIND_MEMCOM, AN, AM, AD, MEMCOM_DTYPE_I8, MEMCOM_DTYPE_F16,
                                        MEMCOM_BUCKET_EXPLICIT, MEMCOM_DTYPE_U16, 0};
    md.input.rows_a = in_rows;
    md.input.scalars = w;
    md.input.buckets = buckets;
    md.output.desc = (memcom_table_desc){MEMCOM_KIND_QR, AN, AM, AD, MEMCOM_DTYPE_F32, 0, 0, 0, 0};
    md.output.rows_a = q;
    md.output.rows_b = r;
    memcom_layer_data layers[2] = {{AD, AD, MEMCOM_ACT_TANH, lw, lb}, {AD, AD, MEMCOM_ACT_NONE, NULL, NULL}};
    md.n_layers = 2;
    md.layers = layers;
    md.output_bias = bias_in;
    md.bias_dtype = MEMCOM_DTYPE_F16;
    md.ids = ids;
    md.metadata_json = meta;
    void *bytes = NULL;
    size_t size = 0;
    memcom_model *m = t_open_written(&md, &bytes, &size);
    if (!m) {
        memcom_free(bytes);
        return;
    }
    const uint8_t *b = bytes;

    /* the directory, against the bytes: count at header byte 32, directory at
     * the offset at byte 40, 32-byte entries */
    uint32_t count = t_u32(b + 32);
    uint64_t dir = t_u64(b + 40);
    CHECK(dir == 256);
    CHECK_MSG(memcom_section_count(m) == count, "%u sections, the file has %u", (unsigned)memcom_section_count(m), (unsigned)count);
    /* what each (type, index) must be: name, dtype and size by docs/FORMAT.md */
    struct { uint32_t type, index; const char *name; uint32_t dtype; uint64_t size; int seen; } want[] = {
        {1, 0, "ROWS_A", MEMCOM_DTYPE_I8, AM * AD, 0},
        {3, 0, "SCALES_A", MEMCOM_DTYPE_F32, AM * 4, 0},
        {5, 0, "ITEM_SCALARS", MEMCOM_DTYPE_F16, AN * 2, 0},
        {6, 0, "BUCKETS", MEMCOM_DTYPE_U16, AN * 2, 0},
        {1, 1, "ROWS_A", MEMCOM_DTYPE_F32, 3 * AD * 4, 0}, /* ceil(8 / 3) rows */
        {2, 1, "ROWS_B", MEMCOM_DTYPE_F32, AM * AD * 4, 0},
        {7, 0, "LAYERS", MEMCOM_DTYPE_U32, 2 * 16, 0},
        {8, 0, "LAYER_WEIGHT", MEMCOM_DTYPE_F32, AD * AD * 4, 0},
        {9, 0, "LAYER_BIAS", MEMCOM_DTYPE_F32, AD * 4, 0},
        {10, 0, "OUTPUT_BIAS", MEMCOM_DTYPE_F16, AN * 2, 0},
        {11, 0, "ID_OFFSETS", MEMCOM_DTYPE_U32, (AN + 1) * 4, 0},
        {12, 0, "ID_BYTES", MEMCOM_DTYPE_NONE, 12, 0},
        {13, 0, "ID_SORTED", MEMCOM_DTYPE_U32, AN * 4, 0},
        {14, 0, "METADATA", MEMCOM_DTYPE_NONE, 17, 0},
    };
    const size_t n_want = sizeof want / sizeof *want;
    CHECK(strlen(meta) == 17);
    uint32_t listed = 0;
    memcom_section_info s;
    for (uint32_t i = 0; memcom_get_section(m, i, &s) == MEMCOM_OK; i++, listed++) {
        const uint8_t *e = b + dir + 32 * (size_t)i;
        CHECK(s.type == t_u32(e) && s.index == t_u32(e + 4) && s.offset == t_u64(e + 8) && s.size == t_u64(e + 16) &&
              s.dtype == t_u32(e + 24) && s.crc32 == t_u32(e + 28));
        CHECK(s.offset % 64 == 0 && s.offset <= size && s.size <= size - s.offset);
        CHECK_MSG(s.crc32 == t_crc32(b + s.offset, s.size), "section %u: crc", (unsigned)i);
        int found = 0;
        for (size_t k = 0; k < n_want; k++)
            if (want[k].type == s.type && want[k].index == s.index) {
                found = 1;
                want[k].seen++;
                CHECK_MSG(s.name && strcmp(s.name, want[k].name) == 0, "type %u: name %s, want %s", (unsigned)s.type,
                          s.name ? s.name : "NULL", want[k].name);
                CHECK_MSG(s.dtype == want[k].dtype && s.size == want[k].size, "%s[%u]: dtype %u size %llu", want[k].name,
                          (unsigned)s.index, (unsigned)s.dtype, (unsigned long long)s.size);
            }
        CHECK_MSG(found, "unexpected section type %u index %u", (unsigned)s.type, (unsigned)s.index);
    }
    for (size_t k = 0; k < n_want; k++) CHECK_MSG(want[k].seen == 1, "%s[%u] listed %d times", want[k].name, (unsigned)want[k].index, want[k].seen);
    CHECK(listed == count && count == n_want);
    CHECK_CODE(memcom_get_section(m, count, &s), MEMCOM_E_INDEX);
    CHECK_CODE(memcom_get_section(m, 0, NULL), MEMCOM_E_ARG);
    CHECK_CODE(memcom_get_section(NULL, 0, &s), MEMCOM_E_ARG);
    CHECK(memcom_section_count(NULL) == 0);

    /* the f16 output bias as f32, and as the engine adds it (scores of a zero vector) */
    float got[AN], scores[AN], zero[AD] = {0};
    for (int i = 0; i < AN; i++) got[i] = -999.0f;
    CHECK_CODE(memcom_copy_output_bias(m, got), MEMCOM_OK);
    for (int i = 0; i < AN; i++) CHECK_MSG(got[i] == bias_f16[i], "bias %d: %.9g, want %.9g", i, got[i], bias_f16[i]);
    CHECK_CODE(memcom_score_vector(m, zero, AD, scores), MEMCOM_OK);
    CHECK(memcmp(scores, got, sizeof got) == 0);
    CHECK_CODE(memcom_copy_output_bias(m, NULL), MEMCOM_E_ARG);
    CHECK_CODE(memcom_copy_output_bias(NULL, got), MEMCOM_E_ARG);

    /* the layers: the stored one exactly, the other the identity and zeros */
    float W[AD * AD], B[AD];
    CHECK_CODE(memcom_copy_layer(m, 0, W, B), MEMCOM_OK);
    CHECK(memcmp(W, lw, sizeof W) == 0 && memcmp(B, lb, sizeof B) == 0);
    for (int i = 0; i < AD * AD; i++) W[i] = 5.0f;
    for (int i = 0; i < AD; i++) B[i] = 5.0f;
    CHECK_CODE(memcom_copy_layer(m, 1, W, B), MEMCOM_OK);
    for (int j = 0; j < AD; j++) {
        CHECK(B[j] == 0.0f);
        for (int i = 0; i < AD; i++) CHECK(W[j * AD + i] == (i == j ? 1.0f : 0.0f));
    }
    /* either pointer may be NULL */
    for (int i = 0; i < AD; i++) B[i] = 5.0f;
    CHECK_CODE(memcom_copy_layer(m, 0, NULL, B), MEMCOM_OK);
    CHECK(memcmp(B, lb, sizeof B) == 0);
    CHECK_CODE(memcom_copy_layer(m, 0, W, NULL), MEMCOM_OK);
    CHECK(memcmp(W, lw, sizeof W) == 0);
    CHECK_CODE(memcom_copy_layer(m, 2, W, B), MEMCOM_E_INDEX);
    CHECK_CODE(memcom_copy_layer(NULL, 0, W, B), MEMCOM_E_ARG);
    memcom_close(m);
    memcom_free(bytes);

    /* a table file: no layers, no bias (zeros), the f32 rows of its one table;
     * an f32 bias comes back exactly */
    memcom_model_data tf;
    memset(&tf, 0, sizeof tf);
    tf.output.desc = (memcom_table_desc){MEMCOM_KIND_FULL, AN, AN, 1, MEMCOM_DTYPE_F32, 0, 0, 0, 0};
    tf.output.rows_a = w;
    m = t_open_written(&tf, &bytes, &size);
    if (m) {
        for (int i = 0; i < AN; i++) got[i] = -999.0f;
        CHECK_CODE(memcom_copy_output_bias(m, got), MEMCOM_OK);
        for (int i = 0; i < AN; i++) CHECK(got[i] == 0.0f);
        CHECK_CODE(memcom_copy_layer(m, 0, W, B), MEMCOM_E_INDEX);
        CHECK(memcom_section_count(m) == 1 && memcom_get_section(m, 0, &s) == MEMCOM_OK && s.type == 1 &&
              strcmp(s.name, "ROWS_A") == 0 && s.size == AN * 4);
        memcom_close(m);
    }
    memcom_free(bytes);
    tf.output_bias = bias_in;
    tf.bias_dtype = MEMCOM_DTYPE_F32;
    m = t_open_written(&tf, &bytes, &size);
    if (m) {
        CHECK_CODE(memcom_copy_output_bias(m, got), MEMCOM_OK);
        CHECK(memcmp(got, bias_in, sizeof got) == 0);
        memcom_close(m);
    }
    memcom_free(bytes);
}

void test_access(void)
{
    t_enum_values();
    t_sections_and_values();
}
