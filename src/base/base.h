/*
 * base.h - small internal utilities shared by every layer of the core:
 * little-endian loads/stores, CRC32, f16 conversion, UTF-8 validation,
 * detail-string formatting and the splitmix64 hash.  Nothing here holds state.
 */
#ifndef MEMCOM_BASE_H
#define MEMCOM_BASE_H

#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../memcom.h"

/* ---- little-endian access (memcpy: no alignment assumptions) ---- */
static inline uint16_t mcc_rd16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline uint32_t mcc_rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline uint64_t mcc_rd64(const uint8_t *p)
{
    return (uint64_t)mcc_rd32(p) | ((uint64_t)mcc_rd32(p + 4) << 32);
}
static inline void mcc_wr16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void mcc_wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
static inline void mcc_wr64(uint8_t *p, uint64_t v) { mcc_wr32(p, (uint32_t)v); mcc_wr32(p + 4, (uint32_t)(v >> 32)); }

static inline float mcc_bits_f32(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static inline uint32_t mcc_f32_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static inline int mcc_is_finite_f32(float f) { return (mcc_f32_bits(f) & 0x7f800000u) != 0x7f800000u; }

/* ---- CRC32 (ISO-HDLC / zlib) ---- */
uint32_t mcc_crc32_update(uint32_t crc, const void *data, size_t len); /* crc: previous result, 0 to start */
static inline uint32_t mcc_crc32(const void *data, size_t len) { return mcc_crc32_update(0, data, len); }

/* ---- IEEE binary16 ---- */
/* exact decode; the exponent is rebiased by a multiplication, which also
 * handles subnormals exactly */
static inline float mcc_f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t mag = h & 0x7fffu;
    float f = mag >= 0x7c00u ? mcc_bits_f32((mag << 13) | 0x7f800000u) /* inf / nan */
                             : mcc_bits_f32(mag << 13) * 0x1p112f;
    return mcc_bits_f32(mcc_f32_bits(f) | sign);
}
uint16_t mcc_f32_to_f16(float f);   /* round to nearest even; overflow gives inf */
static inline int mcc_is_finite_f16(uint16_t h) { return (h & 0x7c00u) != 0x7c00u; }
/* element i of an array of f32 or f16 values (dtype MEMCOM_DTYPE_F32 or
 * MEMCOM_DTYPE_F16): per-item scalars, output biases */
static inline float mcc_f32_or_f16_at(const void *x, uint32_t dtype, size_t i)
{
    return dtype == MEMCOM_DTYPE_F16 ? mcc_f16_to_f32(((const uint16_t *)x)[i]) : ((const float *)x)[i];
}

/* max |x[j]| over n floats (0 for n = 0; NaN is never the maximum): eight
 * running maxima, in any order the same exact result, so compilers vectorise it */
static inline float mcc_abs_max_f32(const float *x, size_t n)
{
    float l[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    size_t j = 0;
    for (; j + 8 <= n; j += 8)
        for (int q = 0; q < 8; q++) {
            float a = fabsf(x[j + q]);
            l[q] = a > l[q] ? a : l[q];
        }
    for (; j < n; j++) {
        float a = fabsf(x[j]);
        l[0] = a > l[0] ? a : l[0];
    }
    for (int q = 1; q < 8; q++) l[0] = l[q] > l[0] ? l[q] : l[0];
    return l[0];
}

/* ---- UTF-8: 1 if valid (no overlongs, no surrogates, <= U+10FFFF) ---- */
int mcc_utf8_valid(const uint8_t *s, size_t len);

/* ---- formatting (fmt.c): snprintf for %s %c %d %i %u %x %X with the 0 and
 * - flags, a width and l/ll/z; no floats.  Returns the untruncated length. ---- */
size_t mcc_vformat(char *buf, size_t cap, const char *fmt, va_list ap);
size_t mcc_format(char *buf, size_t cap, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* ---- detail strings: formats into detail (if any) and returns code ---- */
int mcc_fail(int code, char *detail, size_t cap, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* ---- bit sets of n bits in uint32_t words ---- */
static inline int mcc_bit(const uint32_t *bm, uint32_t i) { return (bm[i >> 5] >> (i & 31)) & 1u; }
static inline void mcc_set(uint32_t *bm, uint32_t i) { bm[i >> 5] |= 1u << (i & 31); }
/* clears the words holding the bits of list[0..n): all zero again when only
 * those bits were set */
static inline void mcc_clear_list(uint32_t *bm, const uint32_t *list, size_t n)
{
    for (size_t k = 0; k < n; k++) bm[list[k] >> 5] = 0;
}

/* ---- splitmix64 finaliser ---- */
static inline uint64_t mcc_splitmix64(uint64_t z)
{
    z ^= z >> 30; z *= 0xBF58476D1CE4E5B9ull;
    z ^= z >> 27; z *= 0x94D049BB133111EBull;
    z ^= z >> 31;
    return z;
}

/* Hot loops that run once per call (validation) are split into chunks handled
 * by a non-inlined function: WebAssembly engines start in a baseline tier and
 * switch to optimised code only at function entry, so a chunked loop gets
 * the fast code after the first few chunks. */
#if defined(__GNUC__)
#define MC_NOINLINE __attribute__((noinline))
#else
#define MC_NOINLINE
#endif
#define MC_CHUNK (256u << 10)

#define MC_ALIGN 64u
/* memcom_malloc, zeroed: for what must start at zero, and for scratch that
 * rankings write, allocated when a table is opened or prepared.  Memory fresh
 * from the system (mmap, or WebAssembly memory just grown) is mapped page by
 * page on its first write; written here, those page faults fall on the load,
 * not on the first ranking (about 460 of them for the bucket values and
 * bounds of a 1M-item 4x table). */
void *mcc_malloc_touched(size_t size);
static inline uint64_t mcc_align_up64(uint64_t x) { return (x + 63u) & ~(uint64_t)63u; }

#endif
