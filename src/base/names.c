/* names.c - the one table of enum names (kinds, storage types, bucket modes,
 * activations, id encodings; by value and by name) and the field layouts of the
 * structs bindings decode or fill (memcom_info, memcom_layer_info,
 * memcom_section_info, memcom_topk_opts), for memcom.h's accessors. */
#include <stddef.h>
#include <string.h>

#include "../memcom.h"

#define MC_NAMES_MAX 6

static const char *const mcc_names[5][MC_NAMES_MAX] = {
    [MEMCOM_NAMES_KIND] = {"none", "full", "hash", "qr", "memcom", NULL},
    [MEMCOM_NAMES_DTYPE] = {"none", "f32", "f16", "i8", "u16", "u32"},
    [MEMCOM_NAMES_BUCKET_MODE] = {"none", "mod", "hash", "explicit", NULL, NULL},
    [MEMCOM_NAMES_ACTIVATION] = {"none", "tanh", "relu", NULL, NULL, NULL},
    [MEMCOM_NAMES_ID_ENCODING] = {"strings", "compact", NULL, NULL, NULL, NULL},
};

const char *memcom_enum_name(int set, uint32_t value)
{
    if (set < 0 || set > MEMCOM_NAMES_ID_ENCODING || value >= MC_NAMES_MAX) return NULL;
    return mcc_names[set][value];
}

int memcom_enum_value(int set, const char *name, uint32_t *value)
{
    if (set < 0 || set > MEMCOM_NAMES_ID_ENCODING || !name || !value) return MEMCOM_E_ARG;
    for (uint32_t v = 0; v < MC_NAMES_MAX; v++)
        if (mcc_names[set][v] && strcmp(mcc_names[set][v], name) == 0) {
            *value = v;
            return MEMCOM_OK;
        }
    return MEMCOM_E_ARG;
}

typedef struct mcc_field {
    const char *name;
    uint16_t offset, size;
} mcc_field;

#define MC_F(type, field, name) {name, (uint16_t)offsetof(type, field), (uint16_t)sizeof(((type *)0)->field)}
#define MC_DESC(role) \
    MC_F(memcom_info, role.kind, #role ".kind"), MC_F(memcom_info, role.n, #role ".n"), \
    MC_F(memcom_info, role.m, #role ".m"), MC_F(memcom_info, role.d, #role ".d"), \
    MC_F(memcom_info, role.row_dtype, #role ".row_dtype"), MC_F(memcom_info, role.scalar_dtype, #role ".scalar_dtype"), \
    MC_F(memcom_info, role.bucket_mode, #role ".bucket_mode"), MC_F(memcom_info, role.bucket_dtype, #role ".bucket_dtype"), \
    MC_F(memcom_info, role.hash_seed, #role ".hash_seed")

static const mcc_field mcc_info_fields[] = {
    MC_F(memcom_info, format_major, "format_major"), MC_F(memcom_info, format_minor, "format_minor"),
    MC_F(memcom_info, n_items, "n_items"), MC_F(memcom_info, n_layers, "n_layers"),
    MC_F(memcom_info, has_ids, "has_ids"), MC_F(memcom_info, bias_dtype, "bias_dtype"),
    MC_F(memcom_info, user_dim, "user_dim"), MC_F(memcom_info, n_head_layers, "n_head_layers"),
    MC_DESC(input), MC_DESC(output),
    MC_F(memcom_info, file_bytes, "file_bytes"), MC_F(memcom_info, input_bytes, "input_bytes"),
    MC_F(memcom_info, output_bytes, "output_bytes"), MC_F(memcom_info, bias_bytes, "bias_bytes"),
    MC_F(memcom_info, layer_bytes, "layer_bytes"), MC_F(memcom_info, id_bytes, "id_bytes"),
    MC_F(memcom_info, metadata_bytes, "metadata_bytes"), MC_F(memcom_info, full_f32_bytes, "full_f32_bytes"),
    MC_F(memcom_info, working_bytes, "working_bytes"), MC_F(memcom_info, full_file_bytes, "full_file_bytes"),
    MC_F(memcom_info, head_bytes, "head_bytes"),
};

static const mcc_field mcc_layer_fields[] = {
    MC_F(memcom_layer_info, in_dim, "in_dim"), MC_F(memcom_layer_info, out_dim, "out_dim"),
    MC_F(memcom_layer_info, activation, "activation"), MC_F(memcom_layer_info, has_weight, "has_weight"),
    MC_F(memcom_layer_info, has_bias, "has_bias"),
};

static const mcc_field mcc_section_fields[] = {
    MC_F(memcom_section_info, type, "type"), MC_F(memcom_section_info, index, "index"),
    MC_F(memcom_section_info, offset, "offset"), MC_F(memcom_section_info, size, "size"),
    MC_F(memcom_section_info, dtype, "dtype"), MC_F(memcom_section_info, crc32, "crc32"),
    MC_F(memcom_section_info, name, "name"),
};

static const mcc_field mcc_topk_fields[] = {
    MC_F(memcom_topk_opts, k, "k"), MC_F(memcom_topk_opts, exclude, "exclude"),
    MC_F(memcom_topk_opts, n_exclude, "n_exclude"), MC_F(memcom_topk_opts, candidates, "candidates"),
    MC_F(memcom_topk_opts, n_candidates, "n_candidates"), MC_F(memcom_topk_opts, use_bias, "use_bias"),
    MC_F(memcom_topk_opts, cosine, "cosine"),
};

#define MC_FIELDS(a) {a, sizeof a / sizeof *a}
static const struct {
    const mcc_field *f;
    size_t count;
} mcc_structs[] = {
    [MEMCOM_STRUCT_INFO] = MC_FIELDS(mcc_info_fields),
    [MEMCOM_STRUCT_LAYER_INFO] = MC_FIELDS(mcc_layer_fields),
    [MEMCOM_STRUCT_SECTION_INFO] = MC_FIELDS(mcc_section_fields),
    [MEMCOM_STRUCT_TOPK_OPTS] = MC_FIELDS(mcc_topk_fields),
};

int memcom_struct_field(int which, uint32_t i, const char **name, uint32_t *offset, uint32_t *size)
{
    if (which < 0 || (size_t)which >= sizeof mcc_structs / sizeof *mcc_structs) return MEMCOM_E_ARG;
    const mcc_field *f = mcc_structs[which].f;
    size_t count = mcc_structs[which].count;
    if (i >= count) return MEMCOM_E_INDEX;
    if (name) *name = f[i].name;
    if (offset) *offset = f[i].offset;
    if (size) *size = f[i].size;
    return MEMCOM_OK;
}
