/* f16.c - IEEE binary32 -> binary16 conversion (round to nearest even);
 * the exact decode is inline in base.h. */
#include "base.h"

uint16_t mcc_f32_to_f16(float f)
{
    uint32_t x = mcc_f32_bits(f);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
    uint32_t ax = x & 0x7fffffffu;
    if (ax >= 0x7f800000u) /* inf or nan */
        return (uint16_t)(sign | 0x7c00u | (ax > 0x7f800000u ? 0x200u : 0u));
    if (ax >= 0x477ff000u) /* >= 65520 rounds to inf */
        return (uint16_t)(sign | 0x7c00u);
    if (ax < 0x38800000u) { /* below 2^-14: subnormal half (or zero) */
        /* value / 2^-24 rounded to nearest even, exact via float arithmetic */
        float a = mcc_bits_f32(ax);
        float scaled = a * 0x1p24f; /* exact (power of two), < 1024 */
        /* round half to even without libm */
        uint32_t i = (uint32_t)scaled;
        float frac = scaled - (float)i;
        if (frac > 0.5f || (frac == 0.5f && (i & 1u))) i++;
        return (uint16_t)(sign | i);
    }
    /* normal: rebias exponent, round mantissa 23 -> 10 bits, nearest even */
    uint32_t m = ax + 0xC8000000u; /* subtract (127-15) << 23 */
    uint32_t lsb = (m >> 13) & 1u;
    m += 0x0fffu + lsb;
    return (uint16_t)(sign | (m >> 13));
}
