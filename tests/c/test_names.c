/* test_names.c - the accessors bindings use instead of parsing files or
 * hard-coding layouts: enum names, struct field layouts, layer shapes, and ids
 * given with lengths (which may hold NUL bytes). */
#include <stddef.h>

#include "test.h"

static void t_enum_names(void)
{
    static const char *const want[5][7] = {
        {"none", "full", "hash", "qr", "memcom", NULL},
        {"none", "f32", "f16", "i8", "u16", "u32", NULL},
        {"none", "mod", "hash", "explicit", NULL},
        {"none", "tanh", "relu", NULL},
        {"strings", "compact", NULL},
    };
    for (int set = 0; set < 5; set++) {
        uint32_t v = 0;
        for (; want[set][v]; v++) {
            const char *got = memcom_enum_name(set, v);
            CHECK_MSG(got && strcmp(got, want[set][v]) == 0, "set %d value %u: %s", set, (unsigned)v, got ? got : "NULL");
        }
        CHECK(memcom_enum_name(set, v) == NULL);
        CHECK(memcom_enum_name(set, 1000) == NULL);
    }
    CHECK(memcom_enum_name(-1, 0) == NULL);
    CHECK(memcom_enum_name(5, 0) == NULL);
    /* the values are memcom.h's */
    CHECK(strcmp(memcom_enum_name(MEMCOM_NAMES_KIND, MEMCOM_KIND_MEMCOM), "memcom") == 0);
    CHECK(strcmp(memcom_enum_name(MEMCOM_NAMES_DTYPE, MEMCOM_DTYPE_I8), "i8") == 0);
    CHECK(strcmp(memcom_enum_name(MEMCOM_NAMES_BUCKET_MODE, MEMCOM_BUCKET_EXPLICIT), "explicit") == 0);
    CHECK(strcmp(memcom_enum_name(MEMCOM_NAMES_ACTIVATION, MEMCOM_ACT_RELU), "relu") == 0);
    CHECK(strcmp(memcom_enum_name(MEMCOM_NAMES_ID_ENCODING, MEMCOM_IDS_COMPACT), "compact") == 0);
}

static uint32_t t_field(int which, const char *name, uint32_t *size)
{
    const char *n;
    uint32_t off, sz;
    for (uint32_t i = 0; memcom_struct_field(which, i, &n, &off, &sz) == MEMCOM_OK; i++)
        if (strcmp(n, name) == 0) {
            *size = sz;
            return off;
        }
    *size = 0;
    return UINT32_MAX;
}

static void t_struct_layouts(void)
{
    /* unused: bytes that are no field (trailing padding) */
    struct { int which; size_t size; uint32_t count, unused; } S[] = {
        {MEMCOM_STRUCT_INFO, sizeof(memcom_info), 8 + 2 * 9 + 11, 0},
        {MEMCOM_STRUCT_LAYER_INFO, sizeof(memcom_layer_info), 5, 0},
        {MEMCOM_STRUCT_SECTION_INFO, sizeof(memcom_section_info), 7,
         (uint32_t)(sizeof(memcom_section_info) - offsetof(memcom_section_info, name) - sizeof(const char *))},
        {MEMCOM_STRUCT_TOPK_OPTS, sizeof(memcom_topk_opts), 7,
         (uint32_t)(sizeof(memcom_topk_opts) - offsetof(memcom_topk_opts, cosine) - sizeof(int))},
    };
    for (int s = 0; s < 4; s++) {
        uint32_t i = 0, covered = 0;
        const char *name;
        uint32_t off, size;
        for (; memcom_struct_field(S[s].which, i, &name, &off, &size) == MEMCOM_OK; i++) {
            CHECK(size == 4 || size == 8);
            CHECK(off % size == 0 && off + size <= S[s].size);
            covered += size;
            for (uint32_t j = 0; j < i; j++) { /* distinct names and bytes */
                const char *n2;
                uint32_t o2, z2;
                memcom_struct_field(S[s].which, j, &n2, &o2, &z2);
                CHECK(strcmp(n2, name) != 0);
                CHECK(o2 + z2 <= off || off + size <= o2);
            }
        }
        CHECK_MSG(i == S[s].count, "struct %d: %u fields", S[s].which, (unsigned)i);
        CHECK_CODE(memcom_struct_field(S[s].which, i, &name, &off, &size), MEMCOM_E_INDEX);
        /* every byte but trailing padding is a field */
        CHECK(covered == S[s].size - S[s].unused);
    }
    CHECK_CODE(memcom_struct_field(7, 0, NULL, NULL, NULL), MEMCOM_E_ARG);
    uint32_t size;
    CHECK(t_field(MEMCOM_STRUCT_INFO, "n_items", &size) == offsetof(memcom_info, n_items) && size == 4);
    CHECK(t_field(MEMCOM_STRUCT_INFO, "output.d", &size) == offsetof(memcom_info, output) + offsetof(memcom_table_desc, d));
    CHECK(t_field(MEMCOM_STRUCT_INFO, "input.hash_seed", &size) ==
              offsetof(memcom_info, input) + offsetof(memcom_table_desc, hash_seed) && size == 8);
    CHECK(t_field(MEMCOM_STRUCT_INFO, "full_f32_bytes", &size) == offsetof(memcom_info, full_f32_bytes) && size == 8);
    CHECK(t_field(MEMCOM_STRUCT_INFO, "working_bytes", &size) == offsetof(memcom_info, working_bytes) && size == 8);
    CHECK(t_field(MEMCOM_STRUCT_LAYER_INFO, "has_bias", &size) == offsetof(memcom_layer_info, has_bias));
    CHECK(t_field(MEMCOM_STRUCT_SECTION_INFO, "name", &size) == offsetof(memcom_section_info, name) &&
          size == sizeof(const char *));
    CHECK(t_field(MEMCOM_STRUCT_SECTION_INFO, "offset", &size) == offsetof(memcom_section_info, offset) && size == 8);
    CHECK(t_field(MEMCOM_STRUCT_TOPK_OPTS, "k", &size) == offsetof(memcom_topk_opts, k) && size == sizeof(size_t));
    CHECK(t_field(MEMCOM_STRUCT_TOPK_OPTS, "candidates", &size) == offsetof(memcom_topk_opts, candidates));
    CHECK(t_field(MEMCOM_STRUCT_TOPK_OPTS, "cosine", &size) == offsetof(memcom_topk_opts, cosine) && size == sizeof(int));
    CHECK_CODE(memcom_struct_field(-1, 0, NULL, NULL, NULL), MEMCOM_E_ARG);
    CHECK_CODE(memcom_struct_field(MEMCOM_STRUCT_TOPK_OPTS + 1, 0, NULL, NULL, NULL), MEMCOM_E_ARG);
}

static void t_layers_and_ids(void)
{
    enum { N = 6, D = 4 };
    float rows[N * D], w[D * 3], b[3], b2[D];
    for (int i = 0; i < N * D; i++) rows[i] = (float)(i % 7) / 8.0f;
    for (int i = 0; i < D * 3; i++) w[i] = (float)(i % 5) / 4.0f;
    for (int i = 0; i < 3; i++) b[i] = 0.25f;
    for (int i = 0; i < D; i++) b2[i] = -0.5f;
    memcom_model_data md;
    memset(&md, 0, sizeof md);
    md.input.desc = (memcom_table_desc){MEMCOM_KIND_FULL, N, N, D, MEMCOM_DTYPE_F32, 0, 0, 0, 0};
    md.input.rows_a = rows;
    md.output.desc = md.input.desc;
    md.output.rows_a = rows;
    memcom_layer_data layers[3] = {
        {D, 3, MEMCOM_ACT_TANH, w, b},
        {3, 3, MEMCOM_ACT_NONE, NULL, NULL},
        {3, D, MEMCOM_ACT_RELU, w, b2},
    };
    md.n_layers = 3;
    md.layers = layers;
    /* ids given with lengths: two hold NUL bytes, and "a" is a prefix of "a\0b" */
    static const char id_bytes[] = "a\0b\0a\0c\0d\0e\0\0f";
    const char *ids[N] = {id_bytes, id_bytes + 4, id_bytes + 6, id_bytes + 8, id_bytes + 10, id_bytes + 12};
    uint32_t lens[N] = {3, 1, 1, 1, 1, 2};
    md.ids = ids;
    md.id_lengths = lens;
    void *bytes = NULL;
    size_t size = 0;
    char detail[256];
    int rc = memcom_write_memory(&md, &bytes, &size, detail, sizeof detail);
    CHECK_MSG(rc == MEMCOM_OK, "%s", detail);
    if (rc) return;
    memcom_model *m = NULL;
    rc = memcom_open(&m, bytes, size, MEMCOM_OPEN_COPY, 0, detail, sizeof detail);
    memcom_free(bytes);
    CHECK_MSG(rc == MEMCOM_OK, "%s", detail);
    if (rc) return;
    memcom_layer_info L;
    for (uint32_t i = 0; i < 3; i++) {
        CHECK_CODE(memcom_get_layer(m, i, &L), MEMCOM_OK);
        CHECK(L.in_dim == layers[i].in_dim && L.out_dim == layers[i].out_dim && L.activation == layers[i].activation);
        CHECK(L.has_weight == (layers[i].weight != NULL) && L.has_bias == (layers[i].bias != NULL));
    }
    CHECK_CODE(memcom_get_layer(m, 3, &L), MEMCOM_E_INDEX);
    CHECK_CODE(memcom_get_layer(m, 0, NULL), MEMCOM_E_ARG);
    CHECK_CODE(memcom_get_layer(NULL, 0, &L), MEMCOM_E_ARG);
    for (uint32_t i = 0; i < N; i++) {
        uint32_t idx = UINT32_MAX;
        CHECK_CODE(memcom_find_id(m, ids[i], lens[i], &idx), MEMCOM_OK);
        CHECK(idx == i);
        const char *p;
        size_t len;
        CHECK_CODE(memcom_get_id(m, i, &p, &len), MEMCOM_OK);
        CHECK(len == lens[i] && memcmp(p, ids[i], len) == 0);
    }
    memcom_close(m);
    /* equal bytes are duplicates even past a NUL */
    lens[1] = 3;
    ids[1] = id_bytes;
    CHECK_CODE(memcom_write_memory(&md, &bytes, &size, detail, sizeof detail), MEMCOM_E_IDS_DUP);
    CHECK(strstr(detail, "items 0 and 1") != NULL);
}

void test_names(void)
{
    t_enum_names();
    t_struct_layouts();
    t_layers_and_ids();
}
