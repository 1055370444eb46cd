/*
 * wasm_simd128.c - WebAssembly SIMD kernels (empty unless built with
 * -msimd128): the kernels arch.h lists as MK_HAVE_* for wasm_simd128; the
 * others (the gathers) are generic.c's.  Same reduction order as generic.c
 * (see kernels.h): two f32x4 accumulators per row hold lanes 0-3 and 4-7 of
 * the 8 partial sums.
 */
#include "arch.h"
#if MK_ISA_WASM_SIMD128
#include <wasm_simd128.h>

#include "kernels.h"
#include "../base/base.h"

/* ---- element conversions ---- */
static inline v128_t mk_half4(v128_t h) /* u32 lanes holding a binary16 each */
{
    v128_t sign = wasm_i32x4_shl(wasm_v128_and(h, wasm_i32x4_splat(0x8000)), 16);
    v128_t mag = wasm_v128_and(h, wasm_i32x4_splat(0x7fff));
    v128_t bits = wasm_i32x4_shl(mag, 13);
    v128_t f = wasm_f32x4_mul(bits, wasm_f32x4_splat(0x1p112f));
    v128_t special = wasm_i32x4_gt(mag, wasm_i32x4_splat(0x7bff));
    f = wasm_v128_bitselect(wasm_v128_or(bits, wasm_i32x4_splat(0x7f800000)), f, special);
    return wasm_v128_or(f, sign);
}

/* 8 halves -> two f32x4 (any value, inf and nan included) */
static inline void mk_load_f16x8(const uint16_t *p, v128_t *lo, v128_t *hi)
{
    v128_t h = wasm_v128_load(p);
    *lo = mk_half4(wasm_u32x4_extend_low_u16x8(h));
    *hi = mk_half4(wasm_u32x4_extend_high_u16x8(h));
}

/* finite halves only (validated row tables): sign-extend, shift the sign to
 * bit 31 and the magnitude to bits 13..27, rebias by multiplication */
static inline v128_t mk_half4_finite(v128_t s) /* i32 lanes: sign-extended halves */
{
    v128_t bits = wasm_v128_and(wasm_i32x4_shl(s, 13), wasm_i32x4_splat((int32_t)0x8FFFE000u));
    return wasm_f32x4_mul(bits, wasm_f32x4_splat(0x1p112f));
}

static inline void mk_load_f16x8_finite(const uint16_t *p, v128_t *lo, v128_t *hi)
{
    v128_t h = wasm_v128_load(p);
    *lo = mk_half4_finite(wasm_i32x4_extend_low_i16x8(h));
    *hi = mk_half4_finite(wasm_i32x4_extend_high_i16x8(h));
}

/* 8 int8 -> two f32x4 */
/* int32 lanes in [-2^22, 2^22) to f32, exactly: the bits of 2^23 + 2^22 + x
 * read as a float, minus 2^23 + 2^22.  (LLVM 14 folds extend + convert into
 * an i16 -> f32 conversion that the wasm backend scalarises lane by lane:
 * that made int8 rows 5x slower than f32 rows.) */
static inline v128_t mk_small_i32_to_f32(v128_t x)
{
    return wasm_f32x4_sub(wasm_i32x4_add(x, wasm_i32x4_splat(0x4B400000)), wasm_f32x4_splat(12582912.0f));
}

static inline void mk_load_i8x8(const int8_t *p, v128_t *lo, v128_t *hi)
{
    v128_t w = wasm_i16x8_load8x8(p);
    *lo = mk_small_i32_to_f32(wasm_i32x4_extend_low_i16x8(w));
    *hi = mk_small_i32_to_f32(wasm_i32x4_extend_high_i16x8(w));
}

/* x = acc_lo + acc_hi = (l0+l4, l1+l5, l2+l6, l3+l7); returns (x0+x2)+(x1+x3) */
static inline float mk_hsum(v128_t lo, v128_t hi)
{
    v128_t x = wasm_f32x4_add(lo, hi);
    v128_t y = wasm_f32x4_add(x, wasm_i32x4_shuffle(x, x, 2, 3, 0, 1));
    return wasm_f32x4_extract_lane(y, 0) + wasm_f32x4_extract_lane(y, 1);
}

/* Generic row-dot body; LOAD8(ptr, &lo, &hi) loads 8 elements as f32.
 *
 * Two rows per step (four accumulators; with four rows V8 runs out of vector
 * registers and spills them: a 1M x 64 f32 table scanned 19.6 -> 13.5 ms),
 * taken from the two HALVES of the block: rows r and r + n_rows/2, then the
 * odd last row alone.  Pairing ADJACENT rows had a cliff: from d >= 112 on, a
 * table streamed from memory ran 2.2x slower per byte (pairing rows up to
 * 16 KiB apart had it too).  One row per step has no cliff but is
 * latency-bound: 15-30% slower when the rows are in cache.
 * Measured (2-core AMD EPYC VM, V8 11.3, f32, calls of 1024 rows), ms per
 * 128 MiB of rows, best of 3-8 rounds, adjacent -> halves:
 *   from memory (256 MiB table)   d=32 6.2-6.7 -> 6.8-7.0   d=64 5.2-5.5 -> 5.1-5.5
 *                                 d=96 5.5-6.1 -> 4.8-4.9   d=128 11.0-11.8 -> 4.8-5.3
 *                                 d=256 11.4-11.5 -> 4.9-5.4
 *   in cache (12 MiB and 2 MiB)   5-15% faster at every d: d=32 4.8 -> 4.2,
 *                                 d=128 3.8 -> 3.4, d=256 3.5 -> 3.2
 *   int8 rows                     unchanged to 3% faster
 * Which rows are paired does not change any row's result (see kernels.h). */
#define MK_LOAD_F32(p, lo, hi) (*(lo) = wasm_v128_load(p), *(hi) = wasm_v128_load((p) + 4))
#define MK_ROWS_DOT(T, LOAD8, TAILCONV)                                                        \
    size_t d8 = d & ~(size_t)7, h = n_rows / 2;                                                \
    for (size_t r = 0; r < h; r++) {                                                           \
        const T *a0 = rows + r * d, *a1 = a0 + h * d;                                          \
        v128_t p0 = wasm_f32x4_splat(0), q0 = p0, p1 = p0, q1 = p0;                            \
        for (size_t i = 0; i < d8; i += 8) {                                                   \
            v128_t vl = wasm_v128_load(v + i), vh = wasm_v128_load(v + i + 4), lo, hi;         \
            LOAD8(a0 + i, &lo, &hi);                                                           \
            p0 = wasm_f32x4_add(p0, wasm_f32x4_mul(lo, vl));                                   \
            q0 = wasm_f32x4_add(q0, wasm_f32x4_mul(hi, vh));                                   \
            LOAD8(a1 + i, &lo, &hi);                                                           \
            p1 = wasm_f32x4_add(p1, wasm_f32x4_mul(lo, vl));                                   \
            q1 = wasm_f32x4_add(q1, wasm_f32x4_mul(hi, vh));                                   \
        }                                                                                      \
        float s0 = mk_hsum(p0, q0), s1 = mk_hsum(p1, q1);                                      \
        for (size_t i = d8; i < d; i++) {                                                      \
            s0 += TAILCONV(a0[i]) * v[i];                                                      \
            s1 += TAILCONV(a1[i]) * v[i];                                                      \
        }                                                                                      \
        MK_STORE1(r, s0);                                                                      \
        MK_STORE1(r + h, s1);                                                                  \
    }                                                                                          \
    if (n_rows & 1) {                                                                          \
        size_t r = n_rows - 1;                                                                 \
        const T *a = rows + r * d;                                                             \
        v128_t p = wasm_f32x4_splat(0), q = p;                                                 \
        for (size_t i = 0; i < d8; i += 8) {                                                   \
            v128_t lo, hi;                                                                     \
            LOAD8(a + i, &lo, &hi);                                                            \
            p = wasm_f32x4_add(p, wasm_f32x4_mul(lo, wasm_v128_load(v + i)));                  \
            q = wasm_f32x4_add(q, wasm_f32x4_mul(hi, wasm_v128_load(v + i + 4)));              \
        }                                                                                      \
        float s = mk_hsum(p, q);                                                               \
        for (size_t i = d8; i < d; i++) s += TAILCONV(a[i]) * v[i];                            \
        MK_STORE1(r, s);                                                                       \
    }

#define MK_ID(x) (x)
#define MK_I8(x) ((float)(x))

#define MK_STORE1(r, s) (out[(r)] = (s))

void mk_rows_dot_f32(const float *rows, size_t n_rows, size_t d, const float *v, float *out)
{
    MK_ROWS_DOT(float, MK_LOAD_F32, MK_ID)
}

void mk_rows_dot_f16(const uint16_t *rows, size_t n_rows, size_t d, const float *v, float *out)
{
    MK_ROWS_DOT(uint16_t, mk_load_f16x8_finite, mcc_f16_to_f32)
}

#undef MK_STORE1
#define MK_STORE1(r, s) (out[(r)] = scales[(r)] * (s))

void mk_rows_dot_i8(const int8_t *rows, const float *scales, size_t n_rows, size_t d,
                    const float *v, float *out)
{
    MK_ROWS_DOT(int8_t, mk_load_i8x8, MK_I8)
}

/* i32x4.dot_i16x8_s: 8 int8 (sign-extended to i16) times 8 int16 of vq,
 * pairwise summed into 4 int32 lanes; integer sums are exact in any order. */
static inline int32_t mk_hsum_i32(v128_t x)
{
    v128_t y = wasm_i32x4_add(x, wasm_i32x4_shuffle(x, x, 2, 3, 0, 1));
    return wasm_i32x4_extract_lane(y, 0) + wasm_i32x4_extract_lane(y, 1);
}

void mk_rows_dot_i8_q16(const int8_t *rows, const float *scales, size_t n_rows, size_t d,
                        const int16_t *vq, float sv, float *out)
{
    size_t d8 = d & ~(size_t)7, r = 0;
    for (; r + 4 <= n_rows; r += 4) {
        const int8_t *a0 = rows + r * d, *a1 = a0 + d, *a2 = a1 + d, *a3 = a2 + d;
        v128_t c0 = wasm_i32x4_splat(0), c1 = c0, c2 = c0, c3 = c0;
        for (size_t i = 0; i < d8; i += 8) {
            v128_t x = wasm_v128_load(vq + i);
            c0 = wasm_i32x4_add(c0, wasm_i32x4_dot_i16x8(wasm_i16x8_load8x8(a0 + i), x));
            c1 = wasm_i32x4_add(c1, wasm_i32x4_dot_i16x8(wasm_i16x8_load8x8(a1 + i), x));
            c2 = wasm_i32x4_add(c2, wasm_i32x4_dot_i16x8(wasm_i16x8_load8x8(a2 + i), x));
            c3 = wasm_i32x4_add(c3, wasm_i32x4_dot_i16x8(wasm_i16x8_load8x8(a3 + i), x));
        }
        /* the four sums at once: s = (sum c0, sum c1, sum c2, sum c3) */
        v128_t x01 = wasm_i32x4_add(wasm_i32x4_shuffle(c0, c1, 0, 1, 4, 5), wasm_i32x4_shuffle(c0, c1, 2, 3, 6, 7));
        v128_t x23 = wasm_i32x4_add(wasm_i32x4_shuffle(c2, c3, 0, 1, 4, 5), wasm_i32x4_shuffle(c2, c3, 2, 3, 6, 7));
        v128_t s = wasm_i32x4_add(wasm_i32x4_shuffle(x01, x23, 0, 2, 4, 6), wasm_i32x4_shuffle(x01, x23, 1, 3, 5, 7));
        if (d8 != d) {
            int32_t t[4];
            wasm_v128_store(t, s);
            for (size_t i = d8; i < d; i++) {
                t[0] += (int32_t)a0[i] * vq[i];
                t[1] += (int32_t)a1[i] * vq[i];
                t[2] += (int32_t)a2[i] * vq[i];
                t[3] += (int32_t)a3[i] * vq[i];
            }
            s = wasm_v128_load(t);
        }
        /* (scale * sv) * (float)sum, rounded as the scalar kernel rounds */
        v128_t f = wasm_f32x4_mul(wasm_f32x4_mul(wasm_v128_load(scales + r), wasm_f32x4_splat(sv)), wasm_f32x4_convert_i32x4(s));
        wasm_v128_store(out + r, f);
    }
    for (; r < n_rows; r++) {
        const int8_t *a = rows + r * d;
        v128_t c = wasm_i32x4_splat(0);
        for (size_t i = 0; i < d8; i += 8)
            c = wasm_i32x4_add(c, wasm_i32x4_dot_i16x8(wasm_i16x8_load8x8(a + i), wasm_v128_load(vq + i)));
        int32_t s = mk_hsum_i32(c);
        for (size_t i = d8; i < d; i++) s += (int32_t)a[i] * vq[i];
        out[r] = (scales[r] * sv) * (float)s;
    }
}

void mk_f16_to_f32(const uint16_t *src, size_t n, float *dst)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        v128_t lo, hi;
        mk_load_f16x8(src + i, &lo, &hi);
        wasm_v128_store(dst + i, lo);
        wasm_v128_store(dst + i + 4, hi);
    }
    for (; i < n; i++) dst[i] = mcc_f16_to_f32(src[i]);
}

void mk_f16_finite_to_f32(const uint16_t *src, size_t n, float *dst)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        v128_t lo, hi;
        mk_load_f16x8_finite(src + i, &lo, &hi);
        wasm_v128_store(dst + i, lo);
        wasm_v128_store(dst + i + 4, hi);
    }
    for (; i < n; i++) dst[i] = mcc_f16_to_f32(src[i]);
}

void mk_i8_to_f32(const int8_t *src, float scale, size_t n, float *dst)
{
    size_t i = 0;
    v128_t s = wasm_f32x4_splat(scale);
    for (; i + 8 <= n; i += 8) {
        v128_t lo, hi;
        mk_load_i8x8(src + i, &lo, &hi);
        wasm_v128_store(dst + i, wasm_f32x4_mul(s, lo));
        wasm_v128_store(dst + i + 4, wasm_f32x4_mul(s, hi));
    }
    for (; i < n; i++) dst[i] = scale * (float)src[i];
}

void mk_axpy_f32(float a, const float *x, float *y, size_t n)
{
    size_t i = 0;
    v128_t va = wasm_f32x4_splat(a);
    for (; i + 4 <= n; i += 4)
        wasm_v128_store(y + i, wasm_f32x4_add(wasm_v128_load(y + i), wasm_f32x4_mul(va, wasm_v128_load(x + i))));
    for (; i < n; i++) y[i] += a * x[i];
}

void mk_mul_f32(const float *a, const float *b, float *out, size_t n)
{
    size_t i = 0;
    for (; i + 4 <= n; i += 4)
        wasm_v128_store(out + i, wasm_f32x4_mul(wasm_v128_load(a + i), wasm_v128_load(b + i)));
    for (; i < n; i++) out[i] = a[i] * b[i];
}

void mk_scale_f32(float a, float *x, size_t n)
{
    size_t i = 0;
    v128_t va = wasm_f32x4_splat(a);
    for (; i + 4 <= n; i += 4) wasm_v128_store(x + i, wasm_f32x4_mul(wasm_v128_load(x + i), va));
    for (; i < n; i++) x[i] *= a;
}

/* 32 outputs at a time in 8 accumulators (the registers hold them and the
 * broadcast e[j]), then 4 at a time, then one by one, each summed over j in
 * order as generic.c does */
void mk_matvec_t_f32(const float *mt, size_t d, size_t h, const float *e, float *out)
{
    size_t k = 0;
    for (; k + 32 <= h; k += 32) {
        v128_t z = wasm_f32x4_splat(0.0f), a0 = z, a1 = z, a2 = z, a3 = z, a4 = z, a5 = z, a6 = z, a7 = z;
        for (size_t j = 0; j < d; j++) {
            const float *row = mt + j * h + k;
            v128_t x = wasm_f32x4_splat(e[j]);
            a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(x, wasm_v128_load(row)));
            a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(x, wasm_v128_load(row + 4)));
            a2 = wasm_f32x4_add(a2, wasm_f32x4_mul(x, wasm_v128_load(row + 8)));
            a3 = wasm_f32x4_add(a3, wasm_f32x4_mul(x, wasm_v128_load(row + 12)));
            a4 = wasm_f32x4_add(a4, wasm_f32x4_mul(x, wasm_v128_load(row + 16)));
            a5 = wasm_f32x4_add(a5, wasm_f32x4_mul(x, wasm_v128_load(row + 20)));
            a6 = wasm_f32x4_add(a6, wasm_f32x4_mul(x, wasm_v128_load(row + 24)));
            a7 = wasm_f32x4_add(a7, wasm_f32x4_mul(x, wasm_v128_load(row + 28)));
        }
        wasm_v128_store(out + k, a0);
        wasm_v128_store(out + k + 4, a1);
        wasm_v128_store(out + k + 8, a2);
        wasm_v128_store(out + k + 12, a3);
        wasm_v128_store(out + k + 16, a4);
        wasm_v128_store(out + k + 20, a5);
        wasm_v128_store(out + k + 24, a6);
        wasm_v128_store(out + k + 28, a7);
    }
    for (; k + 4 <= h; k += 4) {
        v128_t a = wasm_f32x4_splat(0.0f);
        for (size_t j = 0; j < d; j++) a = wasm_f32x4_add(a, wasm_f32x4_mul(wasm_f32x4_splat(e[j]), wasm_v128_load(mt + j * h + k)));
        wasm_v128_store(out + k, a);
    }
    for (; k < h; k++) {
        float s = 0.0f;
        for (size_t j = 0; j < d; j++) s += e[j] * mt[j * h + k];
        out[k] = s;
    }
}

void mk_relu_f32(float *x, size_t n)
{
    size_t i = 0;
    v128_t z = wasm_f32x4_splat(0.0f);
    for (; i + 4 <= n; i += 4) wasm_v128_store(x + i, wasm_f32x4_pmax(z, wasm_v128_load(x + i))); /* z < x ? x : z */
    for (; i < n; i++) x[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

/* relu(c + a p) for 4 lanes: pmax(0, x) = 0 < x ? x : 0, as generic.c */
static inline v128_t mk_hidden4(const float *c, v128_t va, const float *p, v128_t z)
{
    return wasm_f32x4_pmax(z, wasm_f32x4_add(wasm_v128_load(c), wasm_f32x4_mul(va, wasm_v128_load(p))));
}

float mk_head_hidden(const float *c, float a, const float *p, const float *v, size_t n)
{
    size_t n8 = n & ~(size_t)7, i = 0;
    v128_t va = wasm_f32x4_splat(a), z = wasm_f32x4_splat(0.0f), lo = z, hi = z;
    for (; i < n8; i += 8) {
        lo = wasm_f32x4_add(lo, wasm_f32x4_mul(mk_hidden4(c + i, va, p + i, z), wasm_v128_load(v + i)));
        hi = wasm_f32x4_add(hi, wasm_f32x4_mul(mk_hidden4(c + i + 4, va, p + i + 4, z), wasm_v128_load(v + i + 4)));
    }
    float s = mk_hsum(lo, hi);
    for (; i < n; i++) {
        float x = c[i] + a * p[i];
        s += (x > 0.0f ? x : 0.0f) * v[i];
    }
    return s;
}

/* record lanes of mask m (4 lanes starting at j) into hits */
#define MK_HITS(m, j)                                                                          \
    if (wasm_v128_any_true(m)) {                                                               \
        uint32_t bits_ = wasm_i32x4_bitmask(m);                                                \
        while (bits_) {                                                                        \
            hits[nh++] = (uint32_t)(j) + (uint32_t)__builtin_ctz(bits_);                       \
            bits_ &= bits_ - 1u;                                                               \
        }                                                                                      \
    }

#define MK_SCAN_LOOP(EXPR4, EXPR1)                                                             \
    for (; j + 8 <= n; j += 8) {                                                               \
        size_t k = j;                                                                          \
        v128_t s0 = EXPR4;                                                                     \
        k = j + 4;                                                                             \
        v128_t s1 = EXPR4;                                                                     \
        wasm_v128_store(out + j, s0);                                                          \
        wasm_v128_store(out + j + 4, s1);                                                      \
        v128_t m0 = wasm_f32x4_gt(s0, vt), m1 = wasm_f32x4_gt(s1, vt);                         \
        if (wasm_v128_any_true(wasm_v128_or(m0, m1))) {                                        \
            MK_HITS(m0, j)                                                                     \
            MK_HITS(m1, j + 4)                                                                 \
        }                                                                                      \
    }                                                                                          \
    for (; j < n; j++) {                                                                       \
        float s = EXPR1;                                                                       \
        out[j] = s;                                                                            \
        if (s > thr) hits[nh++] = (uint32_t)j;                                                 \
    }

size_t mk_scan(const float *w, const float *tt, const float *bias, size_t n, float thr,
               float *out, uint32_t *hits)
{
    size_t nh = 0, j = 0;
    v128_t vt = wasm_f32x4_splat(thr);
    if (w && bias) {
        MK_SCAN_LOOP(wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(w + k), wasm_v128_load(tt + k)),
                                    wasm_v128_load(bias + k)),
                     w[j] * tt[j] + bias[j])
    } else if (w) {
        MK_SCAN_LOOP(wasm_f32x4_mul(wasm_v128_load(w + k), wasm_v128_load(tt + k)), w[j] * tt[j])
    } else if (bias) {
        MK_SCAN_LOOP(wasm_f32x4_add(wasm_v128_load(tt + k), wasm_v128_load(bias + k)), tt[j] + bias[j])
    } else {
        MK_SCAN_LOOP(wasm_v128_load(tt + k), tt[j])
    }
    return nh;
}

/* max_j |tt[j]| as generic.c takes it, where a NaN, once met, stays (the
 * last one met wins): f32x4.max propagates NaNs but costs V8 a long
 * instruction sequence, so the loop takes pmax (one maxps) and tracks NaNs
 * apart (16x rankings of 1M items, d = 64: 11% faster); the result then has
 * generic.c's bits even for a NaN */
float mk_bucket_bounds(const float *tt, const float *wmax, const float *wmin, const float *bmax, size_t n, float *out)
{
    v128_t vmx = wasm_f32x4_splat(0.0f), nan = vmx;
    size_t j = 0;
    for (; j + 4 <= n; j += 4) {
        v128_t t = wasm_v128_load(tt + j), a = wasm_f32x4_abs(t);
        vmx = wasm_f32x4_pmax(vmx, a);
        nan = wasm_v128_or(nan, wasm_f32x4_ne(a, a));
        v128_t u = t;
        if (wmax) /* pmax(q, p) = q < p ? p : q, i.e. p > q ? p : q */
            u = wasm_f32x4_pmax(wasm_f32x4_mul(wasm_v128_load(wmin + j), t), wasm_f32x4_mul(wasm_v128_load(wmax + j), t));
        if (bmax) u = wasm_f32x4_add(u, wasm_v128_load(bmax + j));
        wasm_v128_store(out + j, u);
    }
    float mx = 0.0f;
    if (wasm_v128_any_true(nan)) {
        for (size_t i = j; i-- > 0;)
            if (tt[i] != tt[i]) {
                mx = tt[i]; /* generic.c's |t| of a NaN is t */
                break;
            }
    } else {
        float l[4];
        wasm_v128_store(l, vmx);
        for (int q = 0; q < 4; q++) mx = l[q] > mx ? l[q] : mx;
    }
    for (; j < n; j++) {
        float t = tt[j], a = t < 0.0f ? -t : t;
        mx = a > mx || a != a ? a : mx;
        float u = t;
        if (wmax) {
            float p = wmax[j] * t, q = wmin[j] * t;
            u = p > q ? p : q;
        }
        out[j] = bmax ? u + bmax[j] : u;
    }
    return mx;
}

#endif /* MK_ISA_WASM_SIMD128 */
