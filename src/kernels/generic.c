/*
 * generic.c - every kernel of kernels.h in portable C, each as mk_X_generic:
 * the kernel itself wherever no instruction-set file provides mk_X (arch.h
 * renames it), otherwise an unused twin.  Loops keep the 8-lane reduction
 * order of kernels.h; compilers may vectorise them but must not reassociate
 * (no -ffast-math), so results match the SIMD kernels bit for bit.
 */
#include "kernels.h"
#include "arch.h"
#include "../base/base.h"

/* the kernel set's name ("scalar" when every kernel is generic) */
#ifndef MK_HAVE_NAME
const char *mk_name(void) { return MK_ISA_NAME; }
#endif

/* (native compilers vectorise the integer dot product below: gcc -O2 and up
 * ranks a 1M x 64 full table 2x faster pre-ranked) */
int mk_fast_int_dot(void) { return MK_FAST_INT_DOT; }

static inline float mk_combine8(const float l[8])
{
    return ((l[0] + l[4]) + (l[2] + l[6])) + ((l[1] + l[5]) + (l[3] + l[7]));
}

static float mk_dot_f32(const float *a, const float *v, size_t d)
{
    float l[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    size_t d8 = d & ~(size_t)7, i = 0;
    for (; i < d8; i += 8)
        for (int j = 0; j < 8; j++) l[j] += a[i + j] * v[i + j];
    float s = mk_combine8(l);
    for (; i < d; i++) s += a[i] * v[i];
    return s;
}

/* finite halves only (validated rows): branch-free, so it vectorises; equal
 * to mcc_f16_to_f32 for every finite value */
static inline float mk_half_finite(uint16_t h)
{
    uint32_t bits = ((uint32_t)(int32_t)(int16_t)h << 13) & 0x8FFFE000u;
    return mcc_bits_f32(bits) * 0x1p112f;
}

static float mk_dot_f16(const uint16_t *a, const float *v, size_t d)
{
    float l[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    size_t d8 = d & ~(size_t)7, i = 0;
    for (; i < d8; i += 8)
        for (int j = 0; j < 8; j++) l[j] += mk_half_finite(a[i + j]) * v[i + j];
    float s = mk_combine8(l);
    for (; i < d; i++) s += mk_half_finite(a[i]) * v[i];
    return s;
}

static float mk_dot_i8(const int8_t *a, const float *v, size_t d)
{
    float l[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    size_t d8 = d & ~(size_t)7, i = 0;
    for (; i < d8; i += 8)
        for (int j = 0; j < 8; j++) l[j] += (float)a[i + j] * v[i + j];
    float s = mk_combine8(l);
    for (; i < d; i++) s += (float)a[i] * v[i];
    return s;
}

void mk_rows_dot_f32_generic(const float *rows, size_t n_rows, size_t d, const float *v, float *out)
{
    for (size_t r = 0; r < n_rows; r++) out[r] = mk_dot_f32(rows + r * d, v, d);
}

void mk_rows_dot_f16_generic(const uint16_t *rows, size_t n_rows, size_t d, const float *v, float *out)
{
    for (size_t r = 0; r < n_rows; r++) out[r] = mk_dot_f16(rows + r * d, v, d);
}

void mk_rows_dot_i8_generic(const int8_t *rows, const float *scales, size_t n_rows, size_t d,
                    const float *v, float *out)
{
    for (size_t r = 0; r < n_rows; r++) out[r] = scales[r] * mk_dot_i8(rows + r * d, v, d);
}

void mk_rows_dot_i8_q16_generic(const int8_t *rows, const float *scales, size_t n_rows, size_t d,
                        const int16_t *vq, float sv, float *out)
{
    for (size_t r = 0; r < n_rows; r++) {
        const int8_t *a = rows + r * d;
        int32_t acc = 0;
        for (size_t i = 0; i < d; i++) acc += (int32_t)a[i] * vq[i];
        out[r] = (scales[r] * sv) * (float)acc;
    }
}

void mk_f16_to_f32_generic(const uint16_t *src, size_t n, float *dst)
{
    for (size_t i = 0; i < n; i++) dst[i] = mcc_f16_to_f32(src[i]);
}

void mk_f16_finite_to_f32_generic(const uint16_t *src, size_t n, float *dst)
{
    for (size_t i = 0; i < n; i++) dst[i] = mk_half_finite(src[i]);
}

void mk_i8_to_f32_generic(const int8_t *src, float scale, size_t n, float *dst)
{
    for (size_t i = 0; i < n; i++) dst[i] = scale * (float)src[i];
}

void mk_axpy_f32_generic(float a, const float *x, float *y, size_t n)
{
    for (size_t i = 0; i < n; i++) y[i] += a * x[i];
}

void mk_mul_f32_generic(const float *a, const float *b, float *out, size_t n)
{
    for (size_t i = 0; i < n; i++) out[i] = a[i] * b[i];
}

void mk_scale_f32_generic(float a, float *x, size_t n)
{
    for (size_t i = 0; i < n; i++) x[i] *= a;
}

void mk_matvec_t_f32_generic(const float *mt, size_t d, size_t h, const float *e, float *out)
{
    for (size_t k = 0; k < h; k++) out[k] = 0.0f;
    for (size_t j = 0; j < d; j++) {
        const float a = e[j], *row = mt + j * h;
        for (size_t k = 0; k < h; k++) out[k] += a * row[k];
    }
}

void mk_relu_f32_generic(float *x, size_t n)
{
    for (size_t i = 0; i < n; i++) x[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

static inline float mk_hidden1(const float *c, float a, const float *p, size_t i)
{
    float x = c[i] + a * p[i];
    return x > 0.0f ? x : 0.0f;
}

float mk_head_hidden_generic(const float *c, float a, const float *p, const float *v, size_t n)
{
    float l[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    size_t n8 = n & ~(size_t)7, i = 0;
    for (; i < n8; i += 8)
        for (int j = 0; j < 8; j++) l[j] += mk_hidden1(c, a, p, i + j) * v[i + j];
    float s = mk_combine8(l);
    for (; i < n; i++) s += mk_hidden1(c, a, p, i) * v[i];
    return s;
}

void mk_gather_u32_generic(const float *t, const uint32_t *idx, size_t n, float *out)
{
    for (size_t i = 0; i < n; i++) out[i] = t[idx[i]];
}

void mk_gather_u16_generic(const float *t, const uint16_t *idx, size_t n, float *out)
{
    for (size_t i = 0; i < n; i++) out[i] = t[idx[i]];
}

/* scores first (four branch-free loops the compiler can vectorise), then the
 * threshold test 16 at a time; only blocks with a hit are walked one by one */
float mk_bucket_bounds_generic(const float *tt, const float *wmax, const float *wmin, const float *bmax, size_t n, float *out)
{
    float mx = 0.0f;
    for (size_t j = 0; j < n; j++) {
        float t = tt[j], a = t < 0.0f ? -t : t;
        mx = a > mx || a != a ? a : mx; /* a NaN stays */
        float u = t;
        if (wmax) {
            float p = wmax[j] * t, q = wmin[j] * t;
            u = p > q ? p : q;
        }
        out[j] = bmax ? u + bmax[j] : u;
    }
    return mx;
}

size_t mk_scan_generic(const float *w, const float *tt, const float *bias, size_t n, float thr,
               float *out, uint32_t *hits)
{
    if (w && bias)
        for (size_t j = 0; j < n; j++) out[j] = w[j] * tt[j] + bias[j];
    else if (w)
        for (size_t j = 0; j < n; j++) out[j] = w[j] * tt[j];
    else if (bias)
        for (size_t j = 0; j < n; j++) out[j] = tt[j] + bias[j];
    else if (out != tt)
        for (size_t j = 0; j < n; j++) out[j] = tt[j];
    size_t nh = 0, j = 0;
    for (; j + 16 <= n; j += 16) {
        int any = 0;
        for (size_t q = 0; q < 16; q++) any |= out[j + q] > thr;
        if (any)
            for (size_t q = 0; q < 16; q++)
                if (out[j + q] > thr) hits[nh++] = (uint32_t)(j + q);
    }
    for (; j < n; j++)
        if (out[j] > thr) hits[nh++] = (uint32_t)j;
    return nh;
}
