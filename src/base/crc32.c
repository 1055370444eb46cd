/*
 * crc32.c - CRC32 (ISO-HDLC / zlib: reflected 0xEDB88320), slice-by-16,
 * two 16-byte groups per step.
 * Tables are constant (crc32_table.h); no state.
 */
#include "base.h"

#include "crc32_table.h"

/* CRC of one 16-byte group given the 12 bytes that do not depend on c */
#define MC_CRC_TAIL12(T, w1, w2, w3)                                                           \
    (T[11][(w1) & 0xff] ^ T[10][((w1) >> 8) & 0xff] ^ T[9][((w1) >> 16) & 0xff] ^ T[8][(w1) >> 24] ^ \
     T[7][(w2) & 0xff] ^ T[6][((w2) >> 8) & 0xff] ^ T[5][((w2) >> 16) & 0xff] ^ T[4][(w2) >> 24] ^   \
     T[3][(w3) & 0xff] ^ T[2][((w3) >> 8) & 0xff] ^ T[1][((w3) >> 16) & 0xff] ^ T[0][(w3) >> 24])
#define MC_CRC_HEAD4(T, a) (T[15][(a) & 0xff] ^ T[14][((a) >> 8) & 0xff] ^ T[13][((a) >> 16) & 0xff] ^ T[12][(a) >> 24])

uint32_t mcc_crc32_update(uint32_t crc, const void *data, size_t len)
{
    const uint8_t *p = (const uint8_t *)data;
    const uint32_t (*T)[256] = mcc_crc_table;
    uint32_t c = ~crc;
    /* 32 bytes per step: the lookups of the 24 bytes that do not depend on the
     * running CRC are issued first, so they overlap the dependent chain */
    while (len >= 32) {
        uint32_t w0 = mcc_rd32(p), w1 = mcc_rd32(p + 4), w2 = mcc_rd32(p + 8), w3 = mcc_rd32(p + 12);
        uint32_t w4 = mcc_rd32(p + 16), w5 = mcc_rd32(p + 20), w6 = mcc_rd32(p + 24), w7 = mcc_rd32(p + 28);
        uint32_t x = MC_CRC_TAIL12(T, w1, w2, w3), y = MC_CRC_TAIL12(T, w5, w6, w7);
        uint32_t a = w0 ^ c;
        c = x ^ MC_CRC_HEAD4(T, a);
        a = w4 ^ c;
        c = y ^ MC_CRC_HEAD4(T, a);
        p += 32;
        len -= 32;
    }
    while (len--) c = (c >> 8) ^ T[0][(c ^ *p++) & 0xffu];
    return ~c;
}
