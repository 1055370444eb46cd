/*
 * crc_blocks.c - checksumming a model file while it arrives.  The CRC32 of
 * each complete 64 KiB block is taken as soon as the block is in memory
 * (memcom_crc_blocks_update, called after every chunk of a download); when
 * the file is opened, the reader derives each section's CRC from the blocks
 * it spans instead of reading the section again:
 *
 *   crc(A || B) = L^|B|(crc(A)) ^ crc(B)
 *
 * where L is the linear map "append one zero byte" on the raw 32-bit
 * register (the initial and final inversions of CRC32 cancel out).  L^65536
 * is kept as four 256-entry tables, so joining a block costs four lookups.
 * The result is exactly the CRC32 of the section's bytes, as when it is read
 * in one go; a section's partial blocks at either end are read directly.
 * Each update then hands the bytes to the reader's streamed checks
 * (mcc_early_update, reader.c), which checksum and check every section that
 * has arrived, so that little is left to do after the last byte.
 */
#include <stdlib.h>

#include "view.h"

struct memcom_crc_blocks {
    size_t size;       /* the file's size */
    size_t n_blocks;   /* complete blocks in the file: size / MC_CRC_BLOCK */
    size_t done;       /* blocks checksummed so far */
    uint32_t *crc;     /* n_blocks */
    uint32_t shift[4][256]; /* L^MC_CRC_BLOCK */
    mcc_early *early;  /* the sections' checks while the file arrives (NULL: none, for want of memory) */
};

/* v -> M v for a 32 x 32 matrix over GF(2) given by its columns */
static uint32_t mcc_gf2_apply(const uint32_t col[32], uint32_t v)
{
    uint32_t r = 0;
    for (int i = 0; v; i++, v >>= 1)
        if (v & 1u) r ^= col[i];
    return r;
}

/* the tables of L^n: tab[j][b] = L^n(b << 8j) */
static void mcc_crc_shift_tables(uint32_t tab[4][256], uint64_t n)
{
    uint32_t base[32], acc[32], tmp[32];
    for (int i = 0; i < 32; i++) {
        uint32_t c = 1u << i; /* one zero byte through the byte-wise CRC register */
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
        base[i] = c;
        acc[i] = 1u << i; /* identity */
    }
    for (; n; n >>= 1) {
        if (n & 1u) {
            for (int i = 0; i < 32; i++) tmp[i] = mcc_gf2_apply(base, acc[i]);
            memcpy(acc, tmp, sizeof acc);
        }
        for (int i = 0; i < 32; i++) tmp[i] = mcc_gf2_apply(base, base[i]);
        memcpy(base, tmp, sizeof base);
    }
    for (int j = 0; j < 4; j++)
        for (uint32_t b = 0; b < 256; b++) tab[j][b] = mcc_gf2_apply(acc, b << (8 * j));
}

static inline uint32_t mcc_crc_shift(const uint32_t tab[4][256], uint32_t c)
{
    return tab[0][c & 0xffu] ^ tab[1][(c >> 8) & 0xffu] ^ tab[2][(c >> 16) & 0xffu] ^ tab[3][c >> 24];
}

int memcom_crc_blocks_new(memcom_crc_blocks **out, size_t file_size)
{
    if (!out) return MEMCOM_E_ARG;
    *out = NULL;
    memcom_crc_blocks *b = (memcom_crc_blocks *)calloc(1, sizeof *b);
    if (!b) return MEMCOM_E_NOMEM;
    b->size = file_size;
    b->n_blocks = file_size / MC_CRC_BLOCK;
    b->crc = (uint32_t *)malloc(sizeof(uint32_t) * (b->n_blocks ? b->n_blocks : 1));
    if (!b->crc) {
        free(b);
        return MEMCOM_E_NOMEM;
    }
    mcc_crc_shift_tables(b->shift, MC_CRC_BLOCK);
    b->early = mcc_early_new(file_size);
    *out = b;
    return MEMCOM_OK;
}

void memcom_crc_blocks_update(memcom_crc_blocks *b, const void *data, size_t have)
{
    if (!b || !data) return;
    if (have > b->size) have = b->size;
    const uint8_t *p = (const uint8_t *)data;
    for (; b->done < b->n_blocks && (b->done + 1) * MC_CRC_BLOCK <= have; b->done++)
        b->crc[b->done] = mcc_crc32(p + b->done * MC_CRC_BLOCK, MC_CRC_BLOCK);
    mcc_early_update(b->early, b, p, have);
}

size_t mcc_crc_blocks_size(const memcom_crc_blocks *b) { return b->size; }

mcc_early *mcc_crc_blocks_early(memcom_crc_blocks *b) { return b->early; }

void memcom_crc_blocks_free(memcom_crc_blocks *b)
{
    if (!b) return;
    mcc_early_free(b->early);
    free(b->crc);
    free(b);
}

uint32_t mcc_crc_range(const memcom_crc_blocks *b, const uint8_t *data, uint64_t off, uint64_t size)
{
    uint64_t end = off + size;
    uint64_t first = (off + MC_CRC_BLOCK - 1) / MC_CRC_BLOCK, last = end / MC_CRC_BLOCK; /* whole blocks [first, last) */
    if (!b || last > b->done || last <= first) return mcc_crc32_update(0, data + off, (size_t)size);
    uint32_t c = mcc_crc32_update(0, data + off, (size_t)(first * MC_CRC_BLOCK - off));
    for (uint64_t k = first; k < last; k++) c = mcc_crc_shift(b->shift, c) ^ b->crc[k];
    return mcc_crc32_update(c, data + last * MC_CRC_BLOCK, (size_t)(end - last * MC_CRC_BLOCK));
}
