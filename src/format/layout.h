/*
 * layout.h - the byte layout of a .memcom file (docs/FORMAT.md): the header,
 * the table descriptions inside it, the directory entries, the layer records
 * and the section types.  Every offset is named here once; the reader and the
 * writer both use these names, and no other file knows them.
 */
#ifndef MEMCOM_FORMAT_LAYOUT_H
#define MEMCOM_FORMAT_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

/* ---- header (MC_HEADER_SIZE bytes at offset 0) ---- */
enum {
    MC_H_MAGIC = 0,             /* u8[8] mcc_magic */
    MC_H_FORMAT_MAJOR = 8,      /* u16 */
    MC_H_FORMAT_MINOR = 10,     /* u16 */
    MC_H_HEADER_SIZE = 12,      /* u32: MC_HEADER_SIZE */
    MC_H_FILE_SIZE = 16,        /* u64 */
    MC_H_N_ITEMS = 24,          /* u32 */
    MC_H_N_LAYERS = 28,         /* u32 */
    MC_H_SECTION_COUNT = 32,    /* u32 */
    MC_H_FLAGS = 36,            /* u32: 0 */
    MC_H_DIRECTORY_OFFSET = 40, /* u64: MC_HEADER_SIZE */
    MC_H_DIRECTORY_CRC = 48,    /* u32: CRC32 of the directory */
    MC_H_RESERVED0 = 52,        /* u32: 0 */
    MC_H_INPUT_DESC = 56,       /* MC_DESC_SIZE bytes: the input table (kind none in a table file) */
    MC_H_OUTPUT_DESC = 120,     /* MC_DESC_SIZE bytes: the output table */
    MC_H_BIAS_DTYPE = 184,      /* u32 */
    MC_H_N_HEAD_LAYERS = 188,   /* u32: a ranker's head layers (format 1.2); reserved (zero) before 1.2 */
    MC_H_RESERVED1 = 192,       /* u8[MC_H_HEADER_CRC - MC_H_RESERVED1]: zero */
    MC_H_HEADER_CRC = 252,      /* u32: CRC32 of bytes [0, MC_H_HEADER_CRC) */
    MC_HEADER_SIZE = 256
};
#define MC_MAGIC_SIZE 8u
extern const uint8_t mcc_magic[MC_MAGIC_SIZE];

/* ---- table description (MC_DESC_SIZE bytes at MC_H_INPUT_DESC / MC_H_OUTPUT_DESC) ---- */
enum {
    MC_D_KIND = 0,         /* u32 memcom_kind */
    MC_D_N = 4,            /* u32 */
    MC_D_M = 8,            /* u32 */
    MC_D_D = 12,           /* u32 */
    MC_D_ROW_DTYPE = 16,   /* u32 */
    MC_D_SCALAR_DTYPE = 20,/* u32 */
    MC_D_BUCKET_MODE = 24, /* u32 */
    MC_D_BUCKET_DTYPE = 28,/* u32 */
    MC_D_HASH_SEED = 32,   /* u64 */
    MC_D_RESERVED = 40,    /* u8[MC_DESC_SIZE - MC_D_RESERVED]: zero */
    MC_DESC_SIZE = 64
};

/* ---- directory entry (MC_DIR_ENTRY bytes each, from MC_HEADER_SIZE) ---- */
enum {
    MC_E_TYPE = 0,    /* u32 section type */
    MC_E_INDEX = 4,   /* u32 role or layer */
    MC_E_OFFSET = 8,  /* u64 */
    MC_E_SIZE = 16,   /* u64 */
    MC_E_DTYPE = 24,  /* u32 */
    MC_E_CRC = 28,    /* u32 CRC32 of the section */
    MC_DIR_ENTRY = 32
};
#define MC_MAX_SECTIONS 1024u

/* ---- LAYERS and HEAD_LAYERS sections: one record per layer ---- */
enum {
    MC_L_IN = 0,         /* u32 in_dim */
    MC_L_OUT = 4,        /* u32 out_dim */
    MC_L_FLAGS = 8,      /* u32 MC_LAYER_HAS_* */
    MC_L_ACTIVATION = 12,/* u32 memcom_activation */
    MC_LAYER_RECORD = 16
};
#define MC_LAYER_HAS_WEIGHT 1u
#define MC_LAYER_HAS_BIAS 2u

/* ---- section types ---- */
enum {
    MC_SEC_ROWS_A = 1, MC_SEC_ROWS_B = 2, MC_SEC_SCALES_A = 3, MC_SEC_SCALES_B = 4,
    MC_SEC_ITEM_SCALARS = 5, MC_SEC_BUCKETS = 6, MC_SEC_LAYERS = 7, MC_SEC_LAYER_WEIGHT = 8,
    MC_SEC_LAYER_BIAS = 9, MC_SEC_OUTPUT_BIAS = 10, MC_SEC_ID_OFFSETS = 11, MC_SEC_ID_BYTES = 12,
    MC_SEC_ID_SORTED = 13, MC_SEC_METADATA = 14,
    /* format 1.1: compact numeric ids (src/format/ids.h), instead of ID_OFFSETS, ID_BYTES, ID_SORTED */
    MC_SEC_ID_RUNS = 15, MC_SEC_ID_RANKS = 16,
    /* format 1.2: a ranker's head MLP, laid out as LAYERS, LAYER_WEIGHT, LAYER_BIAS
       (in both stacks the weight and bias types are the records' type + 1 and + 2) */
    MC_SEC_HEAD_LAYERS = 17, MC_SEC_HEAD_WEIGHT = 18, MC_SEC_HEAD_BIAS = 19, MC_SEC_MAX = 19
};
/* the first format minor version with each later section type */
#define MC_MINOR_COMPACT_IDS 1u
#define MC_MINOR_RANKER 2u

#define MC_MAX_METADATA (16u << 20)
#define MC_MAX_LAYERS 16u      /* also the most head layers */
#define MC_MAX_DIM 4096u       /* table d and layer widths; a head's first in_dim is 3 d */

#endif
