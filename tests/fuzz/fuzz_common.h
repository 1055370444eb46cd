/*
 * fuzz_common.h - helpers shared by the memcom fuzz targets and the seed
 * generator: a tiny CRC32 (ISO-HDLC, as docs/FORMAT.md specifies),
 * little-endian accessors, a "fix up the checksums" pass so that mutated
 * files get past the CRC checks and reach the deeper validation, and a
 * CHECK macro that aborts (libFuzzer then records the input as a crasher).
 */
#ifndef MEMCOM_FUZZ_COMMON_H
#define MEMCOM_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FZ_CHECK(cond, ...)                                                  \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "FUZZ CHECK FAILED at %s:%d: %s\n  ", __FILE__,  \
                    __LINE__, #cond);                                        \
            fprintf(stderr, __VA_ARGS__);                                    \
            fputc('\n', stderr);                                             \
            abort();                                                         \
        }                                                                    \
    } while (0)

static inline uint32_t fz_crc32(const uint8_t *p, size_t n) {
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int b = 0; b < 8; b++) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return c ^ 0xFFFFFFFFu;
}

static inline uint32_t fz_rd32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t fz_rd64(const uint8_t *p) {
    return (uint64_t)fz_rd32(p) | (uint64_t)fz_rd32(p + 4) << 32;
}
static inline void fz_wr32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
static inline void fz_wr64(uint8_t *p, uint64_t v) {
    fz_wr32(p, (uint32_t)v); fz_wr32(p + 4, (uint32_t)(v >> 32));
}

/* Layout constants of docs/FORMAT.md (format 1.0). */
#define FZ_HEADER_SIZE 256u
#define FZ_DIR_ENTRY 32u

/* Rewrite, in place, whatever checksums and the file_size field can be
 * recomputed: each in-bounds section's CRC, then the directory CRC, then
 * file_size = n, then the header CRC.  Anything out of bounds is left alone
 * (the reader must still refuse it).  Returns 1 if something was rewritten. */
static inline int fz_fixup(uint8_t *b, size_t n) {
    if (n < FZ_HEADER_SIZE) return 0;
    uint32_t count = fz_rd32(b + 32);
    uint64_t dir = fz_rd64(b + 40);
    if (count <= 4096 && dir <= n && (uint64_t)count * FZ_DIR_ENTRY <= n - dir) {
        for (uint32_t s = 0; s < count; s++) {
            uint8_t *e = b + dir + (uint64_t)s * FZ_DIR_ENTRY;
            uint64_t off = fz_rd64(e + 8), sz = fz_rd64(e + 16);
            if (off <= n && sz <= n - off) {
                /* a section that overlaps its own directory entry cannot
                 * carry a consistent CRC; skip it */
                uint64_t eo = dir + (uint64_t)s * FZ_DIR_ENTRY;
                if (!(off < eo + FZ_DIR_ENTRY && eo < off + sz))
                    fz_wr32(e + 28, fz_crc32(b + off, (size_t)sz));
            }
        }
        fz_wr32(b + 48, fz_crc32(b + dir, (size_t)count * FZ_DIR_ENTRY));
    }
    fz_wr64(b + 16, (uint64_t)n);
    fz_wr32(b + 252, fz_crc32(b, 252));
    return 1;
}

#endif
