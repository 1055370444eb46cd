/*
 * ids.h - the compact encoding of numeric item ids (docs/FORMAT.md, "Compact
 * numeric ids", format 1.1): ID_RUNS (the sorted id values as runs of
 * consecutive numbers, LEB128 varints) and ID_RANKS (each item's place in
 * that order, bit-packed).  The writer encodes with mcc_ids_encode; the
 * reader validates and decodes with mcc_ids_decode into the same arrays a
 * format 1.0 file stores (offsets, bytes, sorted index), so everything above
 * the format layer sees ids one way.
 */
#ifndef MEMCOM_FORMAT_IDS_H
#define MEMCOM_FORMAT_IDS_H

#include "../base/base.h"

/* largest id value + 1: ids have at most 19 decimal digits */
#define MC_ID_VALUE_LIMIT 10000000000000000000ull
/* a LEB128 varint of a value below MC_ID_VALUE_LIMIT takes at most 10 bytes */
#define MC_VARINT_MAX 10u

/* bits per rank in ID_RANKS: the fewest that hold n - 1 (at least 1) */
uint32_t mcc_ids_rank_bits(uint32_t n);
/* ID_RANKS' size in bytes for n items */
uint64_t mcc_ids_ranks_size(uint32_t n);

/* the compact encoding of n ids, or *eligible = 0 when some id is not a
 * canonical decimal number below MC_ID_VALUE_LIMIT ("0", or a non-zero digit
 * then digits).  On success (eligible) *runs (runs_size bytes) and *ranks
 * (mcc_ids_ranks_size(n) bytes) are malloc'd; the caller frees them.  Two
 * equal ids are MEMCOM_E_IDS_DUP. */
int mcc_ids_encode(const char *const *ids, const uint32_t *len, uint32_t n, int *eligible, uint8_t **runs,
                   uint64_t *runs_size, uint8_t **ranks, char *detail, size_t cap);

/* the decoded ids: the arrays of a format 1.0 file, in one malloc'd block */
typedef struct mcc_ids_decoded {
    void *block;          /* free() this */
    uint32_t *off;        /* n + 1 offsets into bytes */
    uint32_t *sorted;     /* n items in byte order of their ids */
    uint8_t *bytes;
} mcc_ids_decoded;

/* validate ID_RUNS and ID_RANKS completely (a failure names the section
 * through the label the caller gives: "section ID_RUNS: ...") and decode */
int mcc_ids_decode(const uint8_t *runs, uint64_t runs_size, const uint8_t *ranks, uint32_t n, mcc_ids_decoded *out,
                   char *detail, size_t cap);

#endif
