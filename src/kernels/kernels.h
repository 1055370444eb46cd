/*
 * kernels.h - the one internal interface to the numeric kernels.  generic.c
 * implements all of it in portable C; a file per instruction set
 * (wasm_simd128.c, x86_64.c) overrides the kernels it speeds up, chosen by
 * the compiler's target macros (arch.h says which set a build gets and which
 * kernels each file provides).
 *
 * Reduction order is part of the contract, so that every implementation gives
 * bit-identical results: a dot product over d elements keeps 8 partial sums,
 * lane j summing the products of elements i = j (mod 8) for i < d8 = d & ~7,
 * combined as ((l0+l4)+(l2+l6)) + ((l1+l5)+(l3+l7)); then the tail products
 * (i >= d8) are added one by one in order.  Conversions (f16, i8 -> f32) are
 * exact; no fused multiply-add is used (build with -ffp-contract=off).
 */
#ifndef MEMCOM_KERNELS_H
#define MEMCOM_KERNELS_H

#include <stddef.h>
#include <stdint.h>

const char *mk_name(void);

/* out[r] = rows[r] . v for r < n_rows; rows is n_rows x d, row-major.
 * i8: out[r] = scales[r] * (q[r] . v).  f16 rows must be finite (the reader
 * guarantees it for stored tables). */
void mk_rows_dot_f32(const float *rows, size_t n_rows, size_t d, const float *v, float *out);
void mk_rows_dot_f16(const uint16_t *rows, size_t n_rows, size_t d, const float *v, float *out);
void mk_rows_dot_i8(const int8_t *rows, const float *scales, size_t n_rows, size_t d,
                    const float *v, float *out);

/* Integer pre-ranking of i8 rows (src/engine/prerank.c): out[r] = (scales[r] * sv) *
 * (float)(q[r] . vq), the dot product taken exactly in int32 (callers keep
 * d <= MK_Q16_MAX_D so that it cannot overflow: d * 127 * 32767 < 2^31).
 * Exact integers, then the same two float roundings, so every implementation
 * gives the same floats. */
#define MK_Q16_MAX_D 512u
/* 1 when mk_rows_dot_i8_q16 is much faster than the float row kernels (SIMD,
 * or a compiler that vectorises the integer loop), so pre-ranking pays */
int mk_fast_int_dot(void);
void mk_rows_dot_i8_q16(const int8_t *rows, const float *scales, size_t n_rows, size_t d,
                        const int16_t *vq, float sv, float *out);

/* Decode n values to f32 (exact).  The _finite variant is faster and only
 * defined for finite halves (validated sections). */
void mk_f16_to_f32(const uint16_t *src, size_t n, float *dst);
void mk_f16_finite_to_f32(const uint16_t *src, size_t n, float *dst);
void mk_i8_to_f32(const int8_t *src, float scale, size_t n, float *dst);   /* dst = scale * q */

/* y[j] += a * x[j] */
void mk_axpy_f32(float a, const float *x, float *y, size_t n);
/* out[j] = a[j] * b[j] */
void mk_mul_f32(const float *a, const float *b, float *out, size_t n);
/* x[j] *= a */
void mk_scale_f32(float a, float *x, size_t n);

/* out[k] = sum_{j < d} e[j] * mt[j * h + k] for k < h (mt: a d x h matrix,
 * the transpose of h rows of d): each out[k] summed in order of j from 0,
 * one product at a time (no lanes to combine) */
void mk_matvec_t_f32(const float *mt, size_t d, size_t h, const float *e, float *out);
/* x[j] = x[j] > 0 ? x[j] : 0 (NaN and -0 give +0) */
void mk_relu_f32(float *x, size_t n);
/* A ranker's head with one hidden layer (engine/ranker.c), for one item:
 * sum_j v[j] * relu(c[j] + a * p[j]) over j < n, each term rounded as
 * written (fl(c + fl(a p)), then relu, then the product) and summed in the
 * dot product's 8-lane order above. */
float mk_head_hidden(const float *c, float a, const float *p, const float *v, size_t n);

/* out[j] = t[idx[j]] */
void mk_gather_u32(const float *t, const uint32_t *idx, size_t n, float *out);
void mk_gather_u16(const float *t, const uint16_t *idx, size_t n, float *out);

/*
 * Bucket bounds (src/engine/bounds.c).  For j < n:
 *   out[j] = (wmax ? max(wmax[j] * tt[j], wmin[j] * tt[j]) : tt[j]) + (bmax ? bmax[j] : 0)
 * with max(p, q) = p > q ? p : q, and returns max_j |tt[j]| (not finite when
 * some tt[j] is not).  wmin is used only with wmax.
 */
float mk_bucket_bounds(const float *tt, const float *wmax, const float *wmin, const float *bmax, size_t n, float *out);

/*
 * The fused scan.  For j < n: out[j] = (w ? w[j] : 1) * tt[j] + (bias ? bias[j] : 0)
 * (w == NULL: out[j] = tt[j] + bias[j], no multiply).  out may alias tt.
 * Writes to hits[] (ascending) every j with out[j] > thr (never NaN) and
 * returns their count.  Pass thr = +inf to only compute scores.
 */
size_t mk_scan(const float *w, const float *tt, const float *bias, size_t n, float thr,
               float *out, uint32_t *hits);

#endif
