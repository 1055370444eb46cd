/*
 * x86_64.c - native x86-64 kernels in SSE2, which every x86-64 processor has
 * (no build flag, no run-time check; empty on other targets): the kernels
 * arch.h lists as MK_HAVE_* for x86_64_sse2, the others are generic.c's.
 * The same operations in the same order as wasm_simd128.c and generic.c (see
 * kernels.h): two 4-lane accumulators per row hold lanes 0-3 and 4-7 of the
 * 8 partial sums, conversions are exact, and no multiply-add is fused.
 */
#include "arch.h"
#if MK_ISA_X86_64
#include <emmintrin.h>

#include "kernels.h"
#include "../base/base.h"

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

/* pmaddwd: 8 int8 (sign-extended to i16) times 8 int16 of vq, pairwise
 * summed into 4 int32 lanes; integer sums are exact in any order. */
static inline int32_t mk_hsum_i32(__m128i x)
{
    __m128i y = _mm_add_epi32(x, _mm_shuffle_epi32(x, _MM_SHUFFLE(1, 0, 3, 2)));
    y = _mm_add_epi32(y, _mm_shuffle_epi32(y, _MM_SHUFFLE(2, 3, 0, 1)));
    return _mm_cvtsi128_si32(y);
}

void mk_rows_dot_i8_q16(const int8_t *rows, const float *scales, size_t n_rows, size_t d,
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

size_t mk_scan(const float *w, const float *tt, const float *bias, size_t n, float thr,
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

/* max_j |tt[j]| as generic.c takes it: a NaN, once met, stays (the last
 * one met wins); maxps does not propagate NaNs, so they are tracked apart */
float mk_bucket_bounds(const float *tt, const float *wmax, const float *wmin, const float *bmax, size_t n, float *out)
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
    float mx = 0.0f;
    if (_mm_movemask_ps(nan)) {
        for (size_t i = j; i-- > 0;)
            if (tt[i] != tt[i]) {
                mx = tt[i]; /* generic.c's |t| of a NaN is t */
                break;
            }
    } else {
        float l[4];
        _mm_storeu_ps(l, vmx);
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

#endif /* MK_ISA_X86_64 */
