/*
 * view.h - validated views of a .memcom file (not part of the public API):
 * what the reader hands to the layers above it.  All pointers point into the
 * validated file bytes.  Also the facts about table kinds and dtypes that the
 * reader, the writer and the table code share.  One exception to "into the
 * file bytes": compact ids (format 1.1) are decoded at open into memory the
 * view owns (mcc_view_release).
 */
#ifndef MEMCOM_FORMAT_VIEW_H
#define MEMCOM_FORMAT_VIEW_H

#include "../base/base.h"
#include "layout.h"

typedef struct mcc_table {
    memcom_table_desc desc;   /* kind NONE when absent */
    uint32_t rows_a;          /* rows of A: n, m or ceil(n/m) */
    const void *a, *b;        /* row tables (dtype desc.row_dtype) */
    const float *a_scale, *b_scale;
    const void *w;            /* per-item scalars (scalar_dtype) */
    const void *buckets;      /* explicit bucket indices (bucket_dtype) */
    uint64_t bytes;           /* stored bytes of every section of the table */
} mcc_table;

typedef struct mcc_layer {
    uint32_t in, out, flags, act;
    const float *w, *b;       /* NULL when absent */
} mcc_layer;

typedef struct mcc_view {
    uint32_t format_major, format_minor, n;
    mcc_table input, output;
    uint32_t n_layers;
    mcc_layer layers[MC_MAX_LAYERS];
    uint32_t n_head;          /* a ranker's head layers (format 1.2), or 0 */
    mcc_layer head[MC_MAX_LAYERS];
    uint32_t bias_dtype;
    const void *bias;
    const uint32_t *id_off, *id_sorted;
    const uint8_t *id_bytes;
    void *id_alloc;           /* compact ids decoded at open (id_off, id_sorted, id_bytes point into it), or NULL */
    const uint8_t *meta;
    size_t meta_len;
    uint64_t file_bytes, bias_bytes, layer_bytes, head_bytes, id_bytes_total, meta_bytes;
    const uint8_t *dir;       /* the section directory: n_sections entries of MC_DIR_ENTRY bytes */
    uint32_t n_sections;
    uint32_t crcs_at_open, steps_at_open; /* section CRCs and content checks mcc_read computed itself (the
                                           * others were done while the file streamed in) */
} mcc_view;

/* 1 for the kinds that map items to the m shared rows through buckets (hash,
 * memcom); they have a bucket mode, and score in O(m d + n) */
static inline int mcc_kind_has_buckets(uint32_t kind)
{
    return kind == MEMCOM_KIND_HASH || kind == MEMCOM_KIND_MEMCOM;
}

/* reader.c: rows of the A table: n (full), m (hash, memcom), ceil(n/m) (qr) */
uint64_t mcc_table_rows_a(const memcom_table_desc *d);
/* reader.c: bytes per element (0 for NONE) */
size_t mcc_dtype_size(uint32_t dtype);

/* reader.c: validate everything, then fill the views.  data must be 4-byte
 * aligned (64 recommended). */
int mcc_read(const uint8_t *data, size_t size, uint64_t max_bytes, memcom_crc_blocks *blocks, mcc_view *out,
             char *detail, size_t cap);

/* reader.c: the checks of a file while it streams in (kept by
 * memcom_crc_blocks): each update (the same data, more bytes; the blocks'
 * CRCs already taken) runs the CRC and content checks of the sections that
 * have arrived since, once the header and directory are in and valid; given
 * the blocks, mcc_read takes their results instead of computing them again
 * (it takes compact ids decoded meanwhile, too).  NULL: out of memory. */
typedef struct mcc_early mcc_early;
mcc_early *mcc_early_new(size_t size);
void mcc_early_update(mcc_early *early, const memcom_crc_blocks *blocks, const uint8_t *data, size_t have);
void mcc_early_free(mcc_early *early);

/* reader.c: the header alone, of a file of size bytes whose first have are
 * at data (as mcc_read checks it; MEMCOM_E_TRUNCATED while have < the
 * header): the output table's description and rows_a (no section pointers)
 * and the bias dtype, for estimates while the rest of the file arrives */
int mcc_read_header(const uint8_t *data, size_t have, size_t size, mcc_table *output, uint32_t *bias_dtype);

/* reader.c: free what the view owns (compact ids decoded at open); the
 * pointers into the file stay valid */
void mcc_view_release(mcc_view *v);

/* reader.c: entry i (< v->n_sections) of the validated directory, its type
 * named as docs/FORMAT.md spells it ("ROWS_A") */
void mcc_view_section(const mcc_view *v, uint32_t i, memcom_section_info *out);

/* crc_blocks.c: CRC32 of data[off, off + size), from the blocks' CRCs where
 * they cover it (blocks may be NULL) */
#define MC_CRC_BLOCK 65536u
size_t mcc_crc_blocks_size(const memcom_crc_blocks *blocks); /* the file size it was made for */
mcc_early *mcc_crc_blocks_early(memcom_crc_blocks *blocks);  /* its streamed checks, or NULL */
uint32_t mcc_crc_range(const memcom_crc_blocks *blocks, const uint8_t *data, uint64_t off, uint64_t size);

#endif
