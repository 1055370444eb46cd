/*
 * prerank.c - integer pre-ranking for int8 row tables, with a proven error
 * bound, so that top-k stays exact.
 *
 * The exact score of item i is S_i = fl(fl(w_i * T_r) + b_i) with
 * T_r = scale_r * (q_r . v) evaluated in float (kernels.h).  Pre-ranking
 * quantises v to int16 (v ~ sv * vq, |vq| <= 32767), takes q_r . vq exactly in
 * int32 (one i32x4.dot_i16x8_s per 8 elements instead of extend + convert +
 * multiply + add in float) and gets approximate scores S~_i.  For every item
 * |S_i - S~_i| <= delta (derived below), so with theta~ the k-th best
 * approximate score, an item with S~_i < theta~ - 2 delta has k items whose
 * exact scores are strictly higher: it cannot be in the exact top-k.  The
 * caller keeps every other item as a candidate and ranks the candidates by
 * their exact scores, which are computed exactly as the full scan computes
 * them: the result is bit-identical to the exact path.
 *
 * The bound (u = 2^-24, A_r = scale_r * sum_j |q_rj|, vmax = max |v_j|,
 * e_v = max_j |v_j - sv * vq_j|, d <= 512):
 *   |T_r - T~_r| <= A_r * (e_v + vmax * u * (d + 17))            (= E_r)
 *     float dot: gamma_{d+12} A_r vmax, its product with scale: u |T_r|,
 *     quantisation: A_r e_v, T~ = fl(fl(scale * sv) * fl(I)): 3u |T~_r|;
 *   |S_i - S~_i| <= W * E + 4u * W * Tmax + 2u * B + tiny       (= delta)
 *     with W = max |w_i| (1 without scalars), B = max |b_i| (0 without bias),
 *     Tmax >= |T_r|, |T~_r| for every r, and tiny covering subnormal rounding
 *     (absolute, <= 2^-150 per operation); scale_r * sv must be normal.
 * Every factor is rounded up generously; a larger delta only means more
 * candidates, never a wrong answer.
 */
#include <math.h>

#include "../kernels/kernels.h"
#include "prerank.h"
#include "topk.h"

#define MCC_U 0x1p-24

void mcc_prerank_free(mcc_prerank *p)
{
    memcom_free(p->own_q8);
    memcom_free(p->own_scale);
    memcom_free(p->vq);
    memcom_free(p->cand_idx);
    memcom_free(p->cand_score);
    memset(p, 0, sizeof *p);
}

/* max |x_i| over n per-item f32/f16 values, a block at a time */
static double mcc_scalar_abs_max(const void *x, uint32_t dtype, uint32_t n)
{
    float buf[MC_BLOCK], mx = 0.0f;
    for (uint32_t i0 = 0; i0 < n; i0 += MC_BLOCK) {
        uint32_t len = n - i0 < MC_BLOCK ? n - i0 : MC_BLOCK;
        float a = mcc_abs_max_f32(mcc_f32_run(x, dtype, i0, len, buf), len);
        mx = a > mx ? a : mx;
    }
    return (double)mx;
}

/* A = max_r scale_r * sum |q_r| (exact in double: the sum is an integer
 * < 2^16), and the smallest nonzero and largest |scale|, row by row (amax,
 * smax 0 and smin inf before the first) */
static void mcc_note_row(mcc_prerank *p, float scale, const int8_t *q, size_t d)
{
    double sc = fabs((double)scale);
    if (sc > p->smax) p->smax = sc;
    if (sc > 0.0 && sc < p->smin) p->smin = sc;
    int32_t l1 = 0;
    for (size_t j = 0; j < d; j++) l1 += q[j] < 0 ? -q[j] : q[j];
    double a = sc * (double)l1;
    if (a > p->amax) p->amax = a;
}

/* One row of the int8 copy: scale = max|x| / 127, q = round(x / scale);
 * returns a bound on |x_j - scale * q_j| over the row.  err has d floats.
 * Loops without a running maximum inside (mcc_abs_max_f32 takes them), so
 * compilers vectorise them. */
static double mcc_quantise_row(const float *restrict x, size_t d, int8_t *restrict q, float *restrict err, float *scale)
{
    float mx = mcc_abs_max_f32(x, d);
    float sc = mx / 127.0f, inv = sc > 0.0f ? 127.0f / mx : 0.0f;
    if (!(inv <= 0x1p100f)) sc = inv = 0.0f; /* a (nearly) subnormal row: q = 0, its error is |x| */
    for (size_t j = 0; j < d; j++) {
        /* any q works (the error is measured); round to nearest with the
         * 1.5 * 2^23 trick and clamp: float only, so it vectorises */
        float y = (x[j] * inv + 0x1.8p23f) - 0x1.8p23f;
        y = y > 127.0f ? 127.0f : y < -127.0f ? -127.0f : y;
        q[j] = (int8_t)(int32_t)y;
        err[j] = x[j] - sc * y;
    }
    float e = mcc_abs_max_f32(err, d);
    *scale = sc;
    /* e is |x - fl(sc * y)| rounded: the true error is at most
     * e (1 + 2u) + u |sc * y| with |sc * y| <= mx (1 + u), plus 2^-149 per
     * rounding in the subnormal range */
    return (double)e * (1.0 + 0x1p-22) + (double)mx * 0x1p-23 + 0x1p-147;
}

/* An int8 copy of f32/f16 rows to pre-rank on (mcc_quantise_row); rmax
 * bounds |x_j - scale * q_j| over every element. */
static int mcc_build_index(mcc_prerank *p, const mcc_table *t)
{
    const memcom_table_desc *td = &t->desc;
    size_t d = td->d, rows = t->rows_a;
    float *tmp = (float *)memcom_malloc(sizeof(float) * 2 * d);
    p->own_q8 = (int8_t *)memcom_malloc(rows * d > 0 ? rows * d : 1);
    p->own_scale = (float *)memcom_malloc(sizeof(float) * (rows ? rows : 1));
    if (!tmp || !p->own_q8 || !p->own_scale) {
        memcom_free(tmp);
        memcom_free(p->own_q8);
        memcom_free(p->own_scale);
        p->own_q8 = NULL;
        p->own_scale = NULL;
        return MEMCOM_E_NOMEM;
    }
    double rmax = 0.0;
    for (size_t r = 0; r < rows; r++) {
        const float *x = tmp + d;
        if (td->row_dtype == MEMCOM_DTYPE_F32) x = (const float *)t->a + r * d;
        else mk_f16_to_f32((const uint16_t *)t->a + r * d, d, tmp + d);
        double er = mcc_quantise_row(x, d, p->own_q8 + r * d, tmp, &p->own_scale[r]);
        if (er > rmax) rmax = er;
        mcc_note_row(p, p->own_scale[r], p->own_q8 + r * d, d); /* while the row is in cache */
    }
    memcom_free(tmp);
    p->rmax = rmax * (1.0 + 1e-9);
    p->q8 = p->own_q8;
    p->q8_scale = p->own_scale;
    return MEMCOM_OK;
}

/*
 * The int8 copy pays when the m shared rows are a large part of the work.
 * Pre-ranking turns the d-element float dot of each shared row into an integer
 * one, but adds a pass over the candidates; with few shared rows per item the
 * dots are a small part of a ranking and the copy costs more than it saves.
 * Measured with `node bench/int8-copy.js` (wasm SIMD, 1M items, k = 10,
 * alternated per query; time without the copy / with it, > 1: it pays):
 *   trained ml-latest-small models resampled (d = 64, real histories),
 *     rows * d / n = 0.60: learned 0.76-0.78, `i mod m` 0.48
 *                    1.00: learned 1.02,      `i mod m` 0.76
 *                    1.56: learned 1.12,      `i mod m` 0.99
 *                    2.05: learned 1.23,      `i mod m` 1.56
 *                    3.00: learned 1.33-1.48, `i mod m` 1.20-1.21
 *   synthetic workload (w in [0.5, 1.5]), d = 32 / 64 / 128:
 *     rows * d / n = 0.5: 1.28 / 1.28 / 1.12; 1.0: 1.53 / 1.66 / 1.87;
 *                    2.0: 1.70 / 1.80 / 1.78; 4.0: 1.63 / 1.85 / 1.96
 * The trained models break even near 1.5: below it no copy.  (Full tables
 * have one row per item: a copy for every d >= 2.)
 */
int mcc_prerank_copy_pays(uint64_t rows, uint64_t d, uint64_t n)
{
    return 2 * rows * d >= 3 * n;
}

int mcc_prerank_plan(const mcc_table *t, int index)
{
    const memcom_table_desc *td = &t->desc;
    int kind_ok = td->kind == MEMCOM_KIND_FULL || mcc_kind_has_buckets(td->kind);
    if (!kind_ok || td->d == 0 || td->d > MK_Q16_MAX_D || !mk_fast_int_dot()) return MC_PRERANK_NONE;
    if (td->row_dtype == MEMCOM_DTYPE_I8) return MC_PRERANK_OWN;
    if (index == MC_INDEX_OFF) return MC_PRERANK_NONE;
    if (index == MC_INDEX_AUTO && !mcc_prerank_copy_pays(t->rows_a, td->d, td->n)) return MC_PRERANK_NONE;
    return MC_PRERANK_COPY;
}

int mcc_prerank_init(mcc_prerank *p, const mcc_table *t, const void *bias, uint32_t bias_dtype, uint32_t n, double wabs,
                     double babs)
{
    if (p->state) return MEMCOM_OK;
    const memcom_table_desc *td = &t->desc;
    int plan = mcc_prerank_plan(t, p->index);
    if (plan == MC_PRERANK_NONE) {
        p->state = -1;
        return MEMCOM_OK;
    }
    int own = plan == MC_PRERANK_OWN;
    p->vq = (int16_t *)mcc_malloc_touched(sizeof(int16_t) * td->d);
    if (!p->vq) return MEMCOM_E_NOMEM;
    p->amax = 0.0; /* mcc_note_row's maxima, row by row */
    p->smin = INFINITY;
    p->smax = 0.0;
    if (own) {
        p->q8 = (const int8_t *)t->a;
        p->q8_scale = t->a_scale;
        p->rmax = 0.0;
    } else {
        int rc = mcc_build_index(p, t);
        if (rc) {
            memcom_free(p->vq);
            p->vq = NULL;
            return rc;
        }
    }
    if (own)
        for (uint32_t r = 0; r < t->rows_a; r++) mcc_note_row(p, p->q8_scale[r], p->q8 + (size_t)r * td->d, td->d);
    p->wmax = wabs >= 0.0 ? wabs : td->kind == MEMCOM_KIND_MEMCOM ? mcc_scalar_abs_max(t->w, td->scalar_dtype, n) : 1.0;
    p->bmax = babs >= 0.0 ? babs : bias ? mcc_scalar_abs_max(bias, bias_dtype, n) : 0.0;
    p->state = 1;
    return MEMCOM_OK;
}

int mcc_prerank_query(mcc_prerank *p, const float *v, size_t d, int use_bias)
{
    if (p->state != 1) return 0;
    double vmax = 0.0, l1v = 0.0;
    for (size_t j = 0; j < d; j++) {
        double a = fabs((double)v[j]);
        if (a > vmax) vmax = a;
        l1v += a;
    }
    if (!(vmax > 0.0) || !(vmax < 1e30)) return 0; /* all zero (nothing to gain) or huge */
    float sv = (float)(vmax / 32767.0);
    /* sv and scale_r * sv must be normal floats (relative rounding; and a
     * query so small that sv underflows to 0 cannot be quantised at all),
     * and (scale_r * sv) * sum must stay finite (an overflow times a zero
     * sum would be NaN: found by the loader fuzzer) */
    if (!(sv >= 0x1p-126f)) return 0;
    if (!((double)sv * p->smin >= 0x1p-125) && p->smin < INFINITY) return 0;
    if (!((double)sv * p->smax < 0x1p96)) return 0;
    double ev = 0.0;
    for (size_t j = 0; j < d; j++) {
        double x = nearbyint((double)v[j] / (double)sv);
        if (x > 32767.0) x = 32767.0;
        if (x < -32767.0) x = -32767.0;
        p->vq[j] = (int16_t)x;
        double e = fabs((double)v[j] - (double)sv * x); /* exact: 24-bit times 16-bit */
        if (e > ev) ev = e;
    }
    p->sv = sv;
    /* sum |x_j| of a stored row <= A + d * rmax (x_j = scale * q_j + at most rmax) */
    double l1x = p->amax + (double)d * p->rmax;
    double emax = (p->amax * ev * (1.0 + 1e-9) + p->rmax * l1v * (1.0 + 1e-9) + l1x * vmax * MCC_U * ((double)d + 17.0)) * 1.01;
    double tmax = l1x * vmax * 1.01 + emax;
    double b = use_bias ? p->bmax : 0.0;
    if (!(p->wmax * tmax + b < 1e37)) return 0; /* scores could overflow: keep the exact path */
    /* subnormal products and sums (a small v component) round with an absolute
     * error of at most 2^-150 each: at most d + 12 of them in T, scaled by
     * scale_r and w_i, and a few more in w * T + b */
    double exact_scale = p->own_q8 ? 1.0 : p->smax; /* the exact path multiplies its sums by the row scale, or by 1 */
    double tiny = (p->wmax * (exact_scale * ((double)d + 20.0) + 4.0) + 4.0) * 0x1p-149 + 0x1p-140;
    p->delta = (p->wmax * emax + 4.0 * MCC_U * p->wmax * tmax + 2.0 * MCC_U * b) * 1.01 + tiny;
    /* the bucket values alone: emax and T's subnormal share of tiny, plus
     * the rounding of fl(T~ + terr) (at most u (|T~| + terr), doubled) */
    double te = emax + (exact_scale * ((double)d + 20.0) + 4.0) * 0x1p-149 + 0x1p-140;
    te = (te + 2.0 * MCC_U * (tmax + te)) * 1.01;
    float tf = (float)te;
    p->terr = (double)tf < te ? nextafterf(tf, INFINITY) : tf;
    p->n_cand = 0;
    return 1;
}

float mcc_prerank_floor(const mcc_prerank *p, float theta)
{
    if (!(theta > -INFINITY)) return -INFINITY;
    double lo = (double)theta - 2.0 * p->delta;
    float f = (float)lo;
    if ((double)f > lo) f = nextafterf(f, -INFINITY);
    return f; /* every S~ >= theta - 2 delta has S~ >= f */
}

int mcc_prerank_reserve(mcc_prerank *p, size_t k)
{
    return mcc_pairs_reserve(&p->cand_idx, &p->cand_score, &p->cand_cap, 2u * MC_BLOCK + 8u * k);
}

size_t mcc_prerank_keep(mcc_prerank *p, float floor)
{
    size_t w = 0;
    for (size_t c = 0; c < p->n_cand; c++) {
        if (p->cand_score[c] >= floor) {
            p->cand_idx[w] = p->cand_idx[c];
            p->cand_score[w] = p->cand_score[c];
            w++;
        }
    }
    p->n_cand = w;
    return w;
}

int mcc_prerank_add(mcc_prerank *p, uint32_t i, float s, float floor)
{
    if (p->n_cand == p->cand_cap) {
        /* too many near the threshold (e.g. many equal scores): give up */
        if (mcc_prerank_keep(p, floor) > p->cand_cap / 2) return 0;
    }
    p->cand_idx[p->n_cand] = i;
    p->cand_score[p->n_cand] = s;
    p->n_cand++;
    return 1;
}
