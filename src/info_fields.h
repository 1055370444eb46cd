/*
 * info_fields.h - the memcom_info record (memcom.h) field by field, as code
 * outside C (the JavaScript package) decodes it from memory: name, byte offset
 * and type (u32, u64, or a memcom_table_desc).  model.c asserts every offset
 * and size here against the structs, so a change to either fails to compile.
 */
#ifndef MEMCOM_INFO_FIELDS_H
#define MEMCOM_INFO_FIELDS_H

#include "memcom.h"

#define MCC_FIELD_SIZE_u32 4
#define MCC_FIELD_SIZE_u64 8
#define MCC_FIELD_SIZE_table_desc MCC_TABLE_DESC_SIZE

/* X(name, offset, type) for each field of memcom_table_desc */
#define MCC_TABLE_DESC_FIELDS(X)                                                                                       \
    X(kind, 0, u32) X(n, 4, u32) X(m, 8, u32) X(d, 12, u32) X(row_dtype, 16, u32) X(scalar_dtype, 20, u32)             \
    X(bucket_mode, 24, u32) X(bucket_dtype, 28, u32) X(hash_seed, 32, u64)
#define MCC_TABLE_DESC_SIZE 40

/* X(name, offset, type) for each field of memcom_info */
#define MCC_INFO_FIELDS(X)                                                                                             \
    X(format_major, 0, u32) X(format_minor, 4, u32) X(n_items, 8, u32) X(n_layers, 12, u32) X(has_ids, 16, u32)       \
    X(bias_dtype, 20, u32) X(user_dim, 24, u32) X(reserved, 28, u32) X(input, 32, table_desc)                         \
    X(output, 72, table_desc) X(file_bytes, 112, u64) X(input_bytes, 120, u64) X(output_bytes, 128, u64)              \
    X(bias_bytes, 136, u64) X(layer_bytes, 144, u64) X(id_bytes, 152, u64) X(metadata_bytes, 160, u64)                \
    X(full_f32_bytes, 168, u64)
#define MCC_INFO_SIZE 176

#endif
