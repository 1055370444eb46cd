/*
 * x86_64.c - native x86-64 kernels (empty on other targets): the kernels
 * arch.h lists as MK_HAVE_* for x86_64; the others are generic.c's.
 *
 * In SSE2, which every x86-64 processor has; the row dot products, the
 * integer pre-ranking, the scan and the bucket bounds also in AVX2, chosen at
 * run time when the processor (and the OS) support it: built with gcc or
 * clang (target attributes, __builtin_cpu_supports), without any -m flag, so
 * one binary runs everywhere.  -DMK_X86_NO_AVX2 keeps to SSE2 (the tests
 * build both).  Both do the same operations in the same order as generic.c
 * and wasm_simd128.c (see kernels.h): the 8 partial sums of a row are lanes
 * 0-3 and 4-7 of two SSE accumulators or the 8 lanes of one AVX one, reduced
 * alike; conversions are exact, integer sums exact in any order, and no
 * multiply-add is fused.  So every path gives the same bits.
 */
#include "arch.h"
#if MK_ISA_X86_64
#include <emmintrin.h>

#include "kernels.h"
#include "../base/base.h"

#if !defined(MK_X86_NO_AVX2)
#define MK_X86_AVX2 1
#include <immintrin.h>
#define MK_AVX2 __attribute__((target("avx2")))
/* (also checks that the OS saves the YMM registers) */
static inline int mk_avx2(void) { return __builtin_cpu_supports("avx2"); }
#else
static inline int mk_avx2(void) { return 0; }
#endif

const char *mk_name(void) { return mk_avx2() ? "x86_64_avx2" : "x86_64_sse2"; }

/* ==== SSE2 ==== */

/* ---- element conversions ---- */

/* finite halves only (validated row tables): sign-extend, shift the sign to
 * bit 31 and the magnitude to bits 13..27, rebias by multiplication */
static inline __m128 mk_half4_finite(__m128i s) /* i32 lanes: sign-extended halves */
{
    __m128i bits = _mm_and_si128(_mm_slli_epi32(s, 13), _mm_set1_epi32((int32_t)0x8FFFE000u));
    return _mm_mul_ps(_mm_castsi128_ps(bits), _mm_set1_ps(0x1p112f));
}

static inline void mk_load_f16x8_finite(const uint16_t *p, __m128 *lo, __m128 *hi)
{
    __m128i h = _mm_loadu_si128((const __m128i *)p);
    *lo = mk_half4_finite(_mm_srai_epi32(_mm_unpacklo_epi16(h, h), 16));
    *hi = mk_half4_finite(_mm_srai_epi32(_mm_unpackhi_epi16(h, h), 16));
}

/* 8 int8 -> 8 int16 (sign-extended) */
static inline __m128i mk_load_i8x8_i16(const int8_t *p)
{
    __m128i x = _mm_loadl_epi64((const __m128i *)p);
    return _mm_srai_epi16(_mm_unpacklo_epi8(x, x), 8);
}

/* 8 int8 -> two f32x4 (exact: small integers) */
static inline void mk_load_i8x8(const int8_t *p, __m128 *lo, __m128 *hi)
{
    __m128i w = mk_load_i8x8_i16(p);
    *lo = _mm_cvtepi32_ps(_mm_srai_epi32(_mm_unpacklo_epi16(w, w), 16));
    *hi = _mm_cvtepi32_ps(_mm_srai_epi32(_mm_unpackhi_epi16(w, w), 16));
}

/* x = acc_lo + acc_hi = (l0+l4, l1+l5, l2+l6, l3+l7); returns (x0+x2)+(x1+x3) */
static inline float mk_hsum(__m128 lo, __m128 hi)
{
    __m128 x = _mm_add_ps(lo, hi);
    __m128 y = _mm_add_ps(x, _mm_shuffle_ps(x, x, _MM_SHUFFLE(1, 0, 3, 2)));
    return _mm_cvtss_f32(y) + _mm_cvtss_f32(_mm_shuffle_ps(y, y, _MM_SHUFFLE(1, 1, 1, 1)));
}

/* Row-dot body; LOAD8(ptr, &lo, &hi) loads 8 elements as f32.  Two rows per
 * step from the two halves of the block, as wasm_simd128.c does (which rows
 * are paired does not change any row's result). */
#define MK_LOAD_F32(p, lo, hi) (*(lo) = _mm_loadu_ps(p), *(hi) = _mm_loadu_ps((p) + 4))
#define MK_ROWS_DOT(T, LOAD8, TAILCONV)                                                        \
    size_t d8 = d & ~(size_t)7, h = n_rows / 2;                                                \
    for (size_t r = 0; r < h; r++) {                                                           \
        const T *a0 = rows + r * d, *a1 = a0 + h * d;                                          \
        __m128 p0 = _mm_setzero_ps(), q0 = p0, p1 = p0, q1 = p0;                               \
        for (size_t i = 0; i < d8; i += 8) {                                                   \
            __m128 vl = _mm_loadu_ps(v + i), vh = _mm_loadu_ps(v + i + 4), lo, hi;             \
            LOAD8(a0 + i, &lo, &hi);                                                           \
            p0 = _mm_add_ps(p0, _mm_mul_ps(lo, vl));                                           \
            q0 = _mm_add_ps(q0, _mm_mul_ps(hi, vh));                                           \
            LOAD8(a1 + i, &lo, &hi);                                                           \
            p1 = _mm_add_ps(p1, _mm_mul_ps(lo, vl));                                           \
            q1 = _mm_add_ps(q1, _mm_mul_ps(hi, vh));                                           \
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
        __m128 p = _mm_setzero_ps(), q = p;                                                    \
        for (size_t i = 0; i < d8; i += 8) {                                                   \
            __m128 lo, hi;                                                                     \
            LOAD8(a + i, &lo, &hi);                                                            \
            p = _mm_add_ps(p, _mm_mul_ps(lo, _mm_loadu_ps(v + i)));                            \
            q = _mm_add_ps(q, _mm_mul_ps(hi, _mm_loadu_ps(v + i + 4)));                        \
        }                                                                                      \
        float s = mk_hsum(p, q);                                                               \
        for (size_t i = d8; i < d; i++) s += TAILCONV(a[i]) * v[i];                            \
        MK_STORE1(r, s);                                                                       \
    }

#define MK_ID(x) (x)
#define MK_I8(x) ((float)(x))

#define MK_STORE1(r, s) (out[(r)] = (s))

static void mk_rows_dot_f32_sse2(const float *rows, size_t n_rows, size_t d, const float *v, float *out)
{
    MK_ROWS_DOT(float, MK_LOAD_F32, MK_ID)
}

static void mk_rows_dot_f16_sse2(const uint16_t *rows, size_t n_rows, size_t d, const float *v, float *out)
{
    MK_ROWS_DOT(uint16_t, mk_load_f16x8_finite, mcc_f16_to_f32)
}

#undef MK_STORE1
#define MK_STORE1(r, s) (out[(r)] = scales[(r)] * (s))

static void mk_rows_dot_i8_sse2(const int8_t *rows, const float *scales, size_t n_rows, size_t d,
                    const float *v, float *out)
{
    MK_ROWS_DOT(int8_t, mk_load_i8x8, MK_I8)
}

/* pmaddwd: 8 int8 (sign-extended to i16) times 8 int16 of vq, pairwise
 * summed into 4 int32 lanes; integer sums are exact in any order. */
static inline int32_t mk_hsum_i32(__m128i x)
{
    __m128i y = _mm_add_epi32(x, _mm_shuffle_epi32(x, _MM_SHUFFLE(1, 0, 3, 2)));
    y = _mm_add_epi32(y, _mm_shuffle_epi32(y, _MM_SHUFFLE(2, 3, 0, 1)));
    return _mm_cvtsi128_si32(y);
}

static void mk_rows_dot_i8_q16_sse2(const int8_t *rows, const float *scales, size_t n_rows, size_t d,
                        const int16_t *vq, float sv, float *out)
{
    size_t d8 = d & ~(size_t)7, r = 0;
    for (; r + 4 <= n_rows; r += 4) {
        const int8_t *a0 = rows + r * d, *a1 = a0 + d, *a2 = a1 + d, *a3 = a2 + d;
        __m128i c0 = _mm_setzero_si128(), c1 = c0, c2 = c0, c3 = c0;
        for (size_t i = 0; i < d8; i += 8) {
            __m128i x = _mm_loadu_si128((const __m128i *)(vq + i));
            c0 = _mm_add_epi32(c0, _mm_madd_epi16(mk_load_i8x8_i16(a0 + i), x));
            c1 = _mm_add_epi32(c1, _mm_madd_epi16(mk_load_i8x8_i16(a1 + i), x));
            c2 = _mm_add_epi32(c2, _mm_madd_epi16(mk_load_i8x8_i16(a2 + i), x));
            c3 = _mm_add_epi32(c3, _mm_madd_epi16(mk_load_i8x8_i16(a3 + i), x));
        }
        /* the four sums at once: s = (sum c0, sum c1, sum c2, sum c3) */
        __m128i x01 = _mm_add_epi32(_mm_unpacklo_epi32(c0, c1), _mm_unpackhi_epi32(c0, c1)); /* a0+a2 b0+b2 a1+a3 b1+b3 */
        __m128i x23 = _mm_add_epi32(_mm_unpacklo_epi32(c2, c3), _mm_unpackhi_epi32(c2, c3));
        __m128i s = _mm_add_epi32(_mm_unpacklo_epi64(x01, x23), _mm_unpackhi_epi64(x01, x23));
        if (d8 != d) {
            int32_t t[4];
            _mm_storeu_si128((__m128i *)t, s);
            for (size_t i = d8; i < d; i++) {
                t[0] += (int32_t)a0[i] * vq[i];
                t[1] += (int32_t)a1[i] * vq[i];
                t[2] += (int32_t)a2[i] * vq[i];
                t[3] += (int32_t)a3[i] * vq[i];
            }
            s = _mm_loadu_si128((const __m128i *)t);
        }
        /* (scale * sv) * (float)sum, rounded as the generic kernel rounds */
        __m128 f = _mm_mul_ps(_mm_mul_ps(_mm_loadu_ps(scales + r), _mm_set1_ps(sv)), _mm_cvtepi32_ps(s));
        _mm_storeu_ps(out + r, f);
    }
    for (; r < n_rows; r++) {
        const int8_t *a = rows + r * d;
        __m128i c = _mm_setzero_si128();
        for (size_t i = 0; i < d8; i += 8)
            c = _mm_add_epi32(c, _mm_madd_epi16(mk_load_i8x8_i16(a + i), _mm_loadu_si128((const __m128i *)(vq + i))));
        int32_t s = mk_hsum_i32(c);
        for (size_t i = d8; i < d; i++) s += (int32_t)a[i] * vq[i];
        out[r] = (scales[r] * sv) * (float)s;
    }
}

void mk_f16_finite_to_f32(const uint16_t *src, size_t n, float *dst)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m128 lo, hi;
        mk_load_f16x8_finite(src + i, &lo, &hi);
        _mm_storeu_ps(dst + i, lo);
        _mm_storeu_ps(dst + i + 4, hi);
    }
    for (; i < n; i++) dst[i] = mcc_f16_to_f32(src[i]);
}

/* record lanes of mask m (4 lanes starting at j) into hits */
#define MK_HITS(m, j)                                                                          \
    {                                                                                          \
        unsigned bits_ = (unsigned)_mm_movemask_ps(m);                                         \
        while (bits_) {                                                                        \
            hits[nh++] = (uint32_t)(j) + (uint32_t)__builtin_ctz(bits_);                       \
            bits_ &= bits_ - 1u;                                                               \
        }                                                                                      \
    }

#define MK_SCAN_LOOP(EXPR4, EXPR1)                                                             \
    for (; j + 8 <= n; j += 8) {                                                               \
        size_t k = j;                                                                          \
        __m128 s0 = EXPR4;                                                                     \
        k = j + 4;                                                                             \
        __m128 s1 = EXPR4;                                                                     \
        _mm_storeu_ps(out + j, s0);                                                            \
        _mm_storeu_ps(out + j + 4, s1);                                                        \
        __m128 m0 = _mm_cmpgt_ps(s0, vt), m1 = _mm_cmpgt_ps(s1, vt);                           \
        if (_mm_movemask_ps(_mm_or_ps(m0, m1))) {                                              \
            MK_HITS(m0, j)                                                                     \
            MK_HITS(m1, j + 4)                                                                 \
        }                                                                                      \
    }                                                                                          \
    for (; j < n; j++) {                                                                       \
        float s = EXPR1;                                                                       \
        out[j] = s;                                                                            \
        if (s > thr) hits[nh++] = (uint32_t)j;                                                 \
    }

static size_t mk_scan_sse2(const float *w, const float *tt, const float *bias, size_t n, float thr,
               float *out, uint32_t *hits)
{
    size_t nh = 0, j = 0;
    __m128 vt = _mm_set1_ps(thr);
    if (w && bias) {
        MK_SCAN_LOOP(_mm_add_ps(_mm_mul_ps(_mm_loadu_ps(w + k), _mm_loadu_ps(tt + k)), _mm_loadu_ps(bias + k)),
                     w[j] * tt[j] + bias[j])
    } else if (w) {
        MK_SCAN_LOOP(_mm_mul_ps(_mm_loadu_ps(w + k), _mm_loadu_ps(tt + k)), w[j] * tt[j])
    } else if (bias) {
        MK_SCAN_LOOP(_mm_add_ps(_mm_loadu_ps(tt + k), _mm_loadu_ps(bias + k)), tt[j] + bias[j])
    } else {
        MK_SCAN_LOOP(_mm_loadu_ps(tt + k), tt[j])
    }
    return nh;
}

/* mk_bucket_bounds from j on, after a vector loop: max_j |tt[j]| as generic.c
 * takes it, where a NaN, once met, stays (the last one met wins): maxps does
 * not propagate NaNs, so the loops track them apart (nan) and keep the
 * maxima of the others in lanes l[0..nl) */
static float mk_bounds_rest(const float *tt, const float *wmax, const float *wmin, const float *bmax, size_t n,
                            float *out, size_t j, const float *l, int nl, int nan)
{
    float mx = 0.0f;
    if (nan) {
        for (size_t i = j; i-- > 0;)
            if (tt[i] != tt[i]) {
                mx = tt[i]; /* generic.c's |t| of a NaN is t */
                break;
            }
    } else {
        for (int q = 0; q < nl; q++) mx = l[q] > mx ? l[q] : mx;
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

static float mk_bucket_bounds_sse2(const float *tt, const float *wmax, const float *wmin, const float *bmax, size_t n,
                                   float *out)
{
    __m128 vmx = _mm_setzero_ps(), nan = _mm_setzero_ps();
    const __m128 absmask = _mm_castsi128_ps(_mm_set1_epi32(0x7fffffff));
    size_t j = 0;
    for (; j + 4 <= n; j += 4) {
        __m128 t = _mm_loadu_ps(tt + j), a = _mm_and_ps(t, absmask);
        vmx = _mm_max_ps(vmx, a);
        nan = _mm_or_ps(nan, _mm_cmpunord_ps(a, a));
        __m128 u = t;
        if (wmax) /* maxps(p, q) = p > q ? p : q */
            u = _mm_max_ps(_mm_mul_ps(_mm_loadu_ps(wmax + j), t), _mm_mul_ps(_mm_loadu_ps(wmin + j), t));
        if (bmax) u = _mm_add_ps(u, _mm_loadu_ps(bmax + j));
        _mm_storeu_ps(out + j, u);
    }
    float l[4];
    _mm_storeu_ps(l, vmx);
    return mk_bounds_rest(tt, wmax, wmin, bmax, n, out, j, l, 4, _mm_movemask_ps(nan));
}

/* ==== AVX2 ==== */
#if MK_X86_AVX2

/* lanes (l0..l7) -> ((l0+l4)+(l2+l6)) + ((l1+l5)+(l3+l7)) */
MK_AVX2 static inline float mk_hsum8(__m256 acc)
{
    __m128 x = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
    __m128 y = _mm_add_ps(x, _mm_shuffle_ps(x, x, _MM_SHUFFLE(1, 0, 3, 2)));
    return _mm_cvtss_f32(y) + _mm_cvtss_f32(_mm_shuffle_ps(y, y, _MM_SHUFFLE(1, 1, 1, 1)));
}

MK_AVX2 static inline __m256 mk_load8_f32(const float *p) { return _mm256_loadu_ps(p); }

MK_AVX2 static inline __m256 mk_load8_f16_finite(const uint16_t *p)
{
    __m256i s = _mm256_cvtepi16_epi32(_mm_loadu_si128((const __m128i *)p));
    __m256i bits = _mm256_and_si256(_mm256_slli_epi32(s, 13), _mm256_set1_epi32((int32_t)0x8FFFE000u));
    return _mm256_mul_ps(_mm256_castsi256_ps(bits), _mm256_set1_ps(0x1p112f));
}

MK_AVX2 static inline __m256 mk_load8_i8(const int8_t *p)
{
    return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)p)));
}

/* one 8-lane accumulator per row, two rows per step (the halves, as above) */
#define MK_ROWS_DOT8(T, LOAD8, TAILCONV)                                                       \
    size_t d8 = d & ~(size_t)7, h = n_rows / 2;                                                \
    for (size_t r = 0; r < h; r++) {                                                           \
        const T *a0 = rows + r * d, *a1 = a0 + h * d;                                          \
        __m256 p0 = _mm256_setzero_ps(), p1 = p0;                                              \
        for (size_t i = 0; i < d8; i += 8) {                                                   \
            __m256 vv = _mm256_loadu_ps(v + i);                                                \
            p0 = _mm256_add_ps(p0, _mm256_mul_ps(LOAD8(a0 + i), vv));                          \
            p1 = _mm256_add_ps(p1, _mm256_mul_ps(LOAD8(a1 + i), vv));                          \
        }                                                                                      \
        float s0 = mk_hsum8(p0), s1 = mk_hsum8(p1);                                            \
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
        __m256 p = _mm256_setzero_ps();                                                        \
        for (size_t i = 0; i < d8; i += 8) p = _mm256_add_ps(p, _mm256_mul_ps(LOAD8(a + i), _mm256_loadu_ps(v + i))); \
        float s = mk_hsum8(p);                                                                 \
        for (size_t i = d8; i < d; i++) s += TAILCONV(a[i]) * v[i];                            \
        MK_STORE1(r, s);                                                                       \
    }

#undef MK_STORE1
#define MK_STORE1(r, s) (out[(r)] = (s))

MK_AVX2 static void mk_rows_dot_f32_avx2(const float *rows, size_t n_rows, size_t d, const float *v, float *out)
{
    MK_ROWS_DOT8(float, mk_load8_f32, MK_ID)
}

MK_AVX2 static void mk_rows_dot_f16_avx2(const uint16_t *rows, size_t n_rows, size_t d, const float *v, float *out)
{
    MK_ROWS_DOT8(uint16_t, mk_load8_f16_finite, mcc_f16_to_f32)
}

#undef MK_STORE1
#define MK_STORE1(r, s) (out[(r)] = scales[(r)] * (s))

MK_AVX2 static void mk_rows_dot_i8_avx2(const int8_t *rows, const float *scales, size_t n_rows, size_t d,
                                        const float *v, float *out)
{
    MK_ROWS_DOT8(int8_t, mk_load8_i8, MK_I8)
}

/* vpmaddwd on 16 int8 (sign-extended to i16) and 16 int16 of vq; a last
 * block of 8 in SSE, then the tail */
MK_AVX2 static inline __m128i mk_madd16(const int8_t *a, const int16_t *vq, size_t d16, size_t d8, __m256i c)
{
    __m128i e = _mm_add_epi32(_mm256_castsi256_si128(c), _mm256_extracti128_si256(c, 1));
    if (d8 > d16)
        e = _mm_add_epi32(e, _mm_madd_epi16(_mm_cvtepi8_epi16(_mm_loadl_epi64((const __m128i *)(a + d16))),
                                            _mm_loadu_si128((const __m128i *)(vq + d16))));
    return e;
}

MK_AVX2 static void mk_rows_dot_i8_q16_avx2(const int8_t *rows, const float *scales, size_t n_rows, size_t d,
                                            const int16_t *vq, float sv, float *out)
{
    size_t d16 = d & ~(size_t)15, d8 = d & ~(size_t)7, r = 0;
#define MK_LOAD16(p) _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(p)))
    for (; r + 4 <= n_rows; r += 4) {
        const int8_t *a0 = rows + r * d, *a1 = a0 + d, *a2 = a1 + d, *a3 = a2 + d;
        __m256i c0 = _mm256_setzero_si256(), c1 = c0, c2 = c0, c3 = c0;
        for (size_t i = 0; i < d16; i += 16) {
            __m256i x = _mm256_loadu_si256((const __m256i *)(vq + i));
            c0 = _mm256_add_epi32(c0, _mm256_madd_epi16(MK_LOAD16(a0 + i), x));
            c1 = _mm256_add_epi32(c1, _mm256_madd_epi16(MK_LOAD16(a1 + i), x));
            c2 = _mm256_add_epi32(c2, _mm256_madd_epi16(MK_LOAD16(a2 + i), x));
            c3 = _mm256_add_epi32(c3, _mm256_madd_epi16(MK_LOAD16(a3 + i), x));
        }
        __m128i e0 = mk_madd16(a0, vq, d16, d8, c0), e1 = mk_madd16(a1, vq, d16, d8, c1);
        __m128i e2 = mk_madd16(a2, vq, d16, d8, c2), e3 = mk_madd16(a3, vq, d16, d8, c3);
        __m128i x01 = _mm_add_epi32(_mm_unpacklo_epi32(e0, e1), _mm_unpackhi_epi32(e0, e1));
        __m128i x23 = _mm_add_epi32(_mm_unpacklo_epi32(e2, e3), _mm_unpackhi_epi32(e2, e3));
        __m128i s = _mm_add_epi32(_mm_unpacklo_epi64(x01, x23), _mm_unpackhi_epi64(x01, x23));
        if (d8 != d) {
            int32_t t[4];
            _mm_storeu_si128((__m128i *)t, s);
            for (size_t i = d8; i < d; i++) {
                t[0] += (int32_t)a0[i] * vq[i];
                t[1] += (int32_t)a1[i] * vq[i];
                t[2] += (int32_t)a2[i] * vq[i];
                t[3] += (int32_t)a3[i] * vq[i];
            }
            s = _mm_loadu_si128((const __m128i *)t);
        }
        __m128 f = _mm_mul_ps(_mm_mul_ps(_mm_loadu_ps(scales + r), _mm_set1_ps(sv)), _mm_cvtepi32_ps(s));
        _mm_storeu_ps(out + r, f);
    }
    for (; r < n_rows; r++) {
        const int8_t *a = rows + r * d;
        __m256i c = _mm256_setzero_si256();
        for (size_t i = 0; i < d16; i += 16)
            c = _mm256_add_epi32(c, _mm256_madd_epi16(MK_LOAD16(a + i), _mm256_loadu_si256((const __m256i *)(vq + i))));
        int32_t s = mk_hsum_i32(mk_madd16(a, vq, d16, d8, c));
        for (size_t i = d8; i < d; i++) s += (int32_t)a[i] * vq[i];
        out[r] = (scales[r] * sv) * (float)s;
    }
#undef MK_LOAD16
}

/* 16 scores per step; lanes of mask m (8 lanes from j) into hits */
#define MK_HITS8(m, j)                                                                         \
    {                                                                                          \
        unsigned bits_ = (unsigned)_mm256_movemask_ps(m);                                      \
        while (bits_) {                                                                        \
            hits[nh++] = (uint32_t)(j) + (uint32_t)__builtin_ctz(bits_);                       \
            bits_ &= bits_ - 1u;                                                               \
        }                                                                                      \
    }

#define MK_SCAN_LOOP8(EXPR8, EXPR1)                                                            \
    for (; j + 16 <= n; j += 16) {                                                             \
        size_t k = j;                                                                          \
        __m256 s0 = EXPR8;                                                                     \
        k = j + 8;                                                                             \
        __m256 s1 = EXPR8;                                                                     \
        _mm256_storeu_ps(out + j, s0);                                                         \
        _mm256_storeu_ps(out + j + 8, s1);                                                     \
        __m256 m0 = _mm256_cmp_ps(s0, vt, _CMP_GT_OQ), m1 = _mm256_cmp_ps(s1, vt, _CMP_GT_OQ); \
        if (_mm256_movemask_ps(_mm256_or_ps(m0, m1))) {                                        \
            MK_HITS8(m0, j)                                                                    \
            MK_HITS8(m1, j + 8)                                                                \
        }                                                                                      \
    }                                                                                          \
    for (; j < n; j++) {                                                                       \
        float s = EXPR1;                                                                       \
        out[j] = s;                                                                            \
        if (s > thr) hits[nh++] = (uint32_t)j;                                                 \
    }

MK_AVX2 static size_t mk_scan_avx2(const float *w, const float *tt, const float *bias, size_t n, float thr,
                                   float *out, uint32_t *hits)
{
    size_t nh = 0, j = 0;
    __m256 vt = _mm256_set1_ps(thr);
    if (w && bias) {
        MK_SCAN_LOOP8(_mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(w + k), _mm256_loadu_ps(tt + k)),
                                    _mm256_loadu_ps(bias + k)),
                      w[j] * tt[j] + bias[j])
    } else if (w) {
        MK_SCAN_LOOP8(_mm256_mul_ps(_mm256_loadu_ps(w + k), _mm256_loadu_ps(tt + k)), w[j] * tt[j])
    } else if (bias) {
        MK_SCAN_LOOP8(_mm256_add_ps(_mm256_loadu_ps(tt + k), _mm256_loadu_ps(bias + k)), tt[j] + bias[j])
    } else {
        MK_SCAN_LOOP8(_mm256_loadu_ps(tt + k), tt[j])
    }
    return nh;
}

MK_AVX2 static float mk_bucket_bounds_avx2(const float *tt, const float *wmax, const float *wmin, const float *bmax,
                                           size_t n, float *out)
{
    __m256 vmx = _mm256_setzero_ps(), nan = vmx;
    const __m256 absmask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    size_t j = 0;
    for (; j + 8 <= n; j += 8) {
        __m256 t = _mm256_loadu_ps(tt + j), a = _mm256_and_ps(t, absmask);
        vmx = _mm256_max_ps(vmx, a);
        nan = _mm256_or_ps(nan, _mm256_cmp_ps(a, a, _CMP_UNORD_Q));
        __m256 u = t;
        if (wmax) /* maxps(p, q) = p > q ? p : q */
            u = _mm256_max_ps(_mm256_mul_ps(_mm256_loadu_ps(wmax + j), t), _mm256_mul_ps(_mm256_loadu_ps(wmin + j), t));
        if (bmax) u = _mm256_add_ps(u, _mm256_loadu_ps(bmax + j));
        _mm256_storeu_ps(out + j, u);
    }
    float l[8];
    _mm256_storeu_ps(l, vmx);
    return mk_bounds_rest(tt, wmax, wmin, bmax, n, out, j, l, 8, _mm256_movemask_ps(nan));
}

#define MK_DISPATCH(f, ...) (mk_avx2() ? f##_avx2(__VA_ARGS__) : f##_sse2(__VA_ARGS__))
#else
#define MK_DISPATCH(f, ...) f##_sse2(__VA_ARGS__)
#endif /* MK_X86_AVX2 */

/* ==== the kernels ==== */
void mk_rows_dot_f32(const float *rows, size_t n_rows, size_t d, const float *v, float *out)
{
    MK_DISPATCH(mk_rows_dot_f32, rows, n_rows, d, v, out);
}

void mk_rows_dot_f16(const uint16_t *rows, size_t n_rows, size_t d, const float *v, float *out)
{
    MK_DISPATCH(mk_rows_dot_f16, rows, n_rows, d, v, out);
}

void mk_rows_dot_i8(const int8_t *rows, const float *scales, size_t n_rows, size_t d, const float *v, float *out)
{
    MK_DISPATCH(mk_rows_dot_i8, rows, scales, n_rows, d, v, out);
}

void mk_rows_dot_i8_q16(const int8_t *rows, const float *scales, size_t n_rows, size_t d, const int16_t *vq, float sv,
                        float *out)
{
    MK_DISPATCH(mk_rows_dot_i8_q16, rows, scales, n_rows, d, vq, sv, out);
}

size_t mk_scan(const float *w, const float *tt, const float *bias, size_t n, float thr, float *out, uint32_t *hits)
{
    return MK_DISPATCH(mk_scan, w, tt, bias, n, thr, out, hits);
}

float mk_bucket_bounds(const float *tt, const float *wmax, const float *wmin, const float *bmax, size_t n, float *out)
{
    return MK_DISPATCH(mk_bucket_bounds, tt, wmax, wmin, bmax, n, out);
}

#endif /* MK_ISA_X86_64 */
