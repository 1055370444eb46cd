/*
 * table.c - the item table kinds (full, hash, qr, memcom) over validated
 * views: bucket mapping, lookup, and block scoring.  Hash and memcom score a
 * whole catalogue in O(m*d + n): t_j = U[j] . v once, then per item a gather
 * (and a multiply by w[i]); qr scores item i = q*m + r as R[r] . (Q[q] (.) v).
 */
#include <math.h>

#include "table.h"
#include "kernels/kernels.h"

uint32_t mcc_table_bucket(const mcc_table *t, uint32_t i)
{
    switch (t->desc.bucket_mode) {
    case MEMCOM_BUCKET_MOD: return i % t->desc.m;
    case MEMCOM_BUCKET_HASH: return memcom_hash_bucket(i, t->desc.hash_seed, t->desc.m);
    case MEMCOM_BUCKET_EXPLICIT:
        return t->desc.bucket_dtype == MEMCOM_DTYPE_U16 ? ((const uint16_t *)t->buckets)[i]
                                                        : ((const uint32_t *)t->buckets)[i];
    default: return i;
    }
}

static inline float mcc_scalar(const mcc_table *t, uint32_t i) { return mcc_f32_or_f16_at(t->w, t->desc.scalar_dtype, i); }

/* decode row r of A (b == 0) or B (b == 1) into out */
static void mcc_row(const mcc_table *t, int b, uint32_t r, float *out)
{
    size_t d = t->desc.d;
    const void *base = b ? t->b : t->a;
    switch (t->desc.row_dtype) {
    case MEMCOM_DTYPE_F32: memcpy(out, (const float *)base + (size_t)r * d, d * sizeof(float)); break;
    case MEMCOM_DTYPE_F16: mk_f16_to_f32((const uint16_t *)base + (size_t)r * d, d, out); break;
    default: mk_i8_to_f32((const int8_t *)base + (size_t)r * d, (b ? t->b_scale : t->a_scale)[r], d, out); break;
    }
}

/* out[k] = row_r . v for k < count rows starting at row r of A or B */
static void mcc_rows_dot(const mcc_table *t, int b, uint32_t r, size_t count, const float *v, float *out)
{
    size_t d = t->desc.d;
    const void *base = b ? t->b : t->a;
    switch (t->desc.row_dtype) {
    case MEMCOM_DTYPE_F32: mk_rows_dot_f32((const float *)base + (size_t)r * d, count, d, v, out); break;
    case MEMCOM_DTYPE_F16: mk_rows_dot_f16((const uint16_t *)base + (size_t)r * d, count, d, v, out); break;
    default:
        mk_rows_dot_i8((const int8_t *)base + (size_t)r * d, (b ? t->b_scale : t->a_scale) + r, count, d, v, out);
        break;
    }
}

void mcc_table_row(const mcc_table *t, uint32_t r, float *out) { mcc_row(t, 0, r, out); }

float mcc_table_touch(const mcc_table *t, const uint32_t *hash_b, const uint32_t *items, size_t n)
{
    const memcom_table_desc *td = &t->desc;
    int shared = td->kind == MEMCOM_KIND_HASH || td->kind == MEMCOM_KIND_MEMCOM;
    if (!shared && td->kind != MEMCOM_KIND_FULL) return 0.0f;
    size_t bytes = (size_t)td->d * mcc_dtype_size(td->row_dtype);
    if (bytes == 0) return 0.0f;
    const uint8_t *a = (const uint8_t *)t->a;
    float sum = 0.0f;
    for (size_t j = 0; j < n; j++) {
        uint32_t i = items[j];
        const uint8_t *row = a + (size_t)(shared ? mcc_bucket_of(t, hash_b, i) : i) * bytes;
        for (size_t o = 0; o < bytes; o += 64) sum += row[o];
        sum += row[bytes - 1];
        if (td->kind == MEMCOM_KIND_MEMCOM) sum += mcc_f32_or_f16_at(t->w, td->scalar_dtype, i);
    }
    return sum;
}

void mcc_table_lookup(const mcc_table *t, uint32_t i, float *out, float *tmp)
{
    size_t d = t->desc.d;
    switch (t->desc.kind) {
    case MEMCOM_KIND_FULL: mcc_row(t, 0, i, out); break;
    case MEMCOM_KIND_HASH: mcc_row(t, 0, mcc_table_bucket(t, i), out); break;
    case MEMCOM_KIND_MEMCOM:
        mcc_row(t, 0, mcc_table_bucket(t, i), out);
        mk_scale_f32(mcc_scalar(t, i), out, d);
        break;
    case MEMCOM_KIND_QR:
        mcc_row(t, 0, i / t->desc.m, out);
        mcc_row(t, 1, i % t->desc.m, tmp);
        mk_mul_f32(out, tmp, out, d);
        break;
    default: memset(out, 0, d * sizeof(float)); break;
    }
}

void mcc_scorer_prepare(mcc_scorer *s)
{
    const mcc_table *t = s->t;
    if (mcc_kind_has_buckets(t->desc.kind)) {
        if (s->q) mk_rows_dot_i8_q16(s->q->q8, s->q->q8_scale, t->desc.m, t->desc.d, s->q->vq, s->q->sv, s->tvals);
        else mcc_rows_dot(t, 0, 0, t->desc.m, s->v, s->tvals);
    }
    s->cur_q = UINT32_MAX;
}

static void mcc_qr_set_q(mcc_scorer *s, uint32_t q)
{
    if (s->cur_q == q) return;
    mcc_row(s->t, 0, q, s->tmp);
    mk_mul_f32(s->tmp, s->v, s->p, s->t->desc.d);
    s->cur_q = q;
}

void mcc_scorer_block(mcc_scorer *s, uint32_t i0, uint32_t len, const float **w, const float **tt)
{
    const mcc_table *t = s->t;
    uint32_t m = t->desc.m;
    *w = NULL;
    switch (t->desc.kind) {
    case MEMCOM_KIND_FULL:
        if (s->q)
            mk_rows_dot_i8_q16(s->q->q8 + (size_t)i0 * t->desc.d, s->q->q8_scale + i0, len, t->desc.d, s->q->vq, s->q->sv,
                               s->tt_buf);
        else
            mcc_rows_dot(t, 0, i0, len, s->v, s->tt_buf);
        *tt = s->tt_buf;
        return;
    case MEMCOM_KIND_QR: {
        uint32_t i = i0, end = i0 + len;
        while (i < end) {
            uint32_t q = i / m, r = i % m, seg = m - r;
            if (seg > end - i) seg = end - i;
            mcc_qr_set_q(s, q);
            mcc_rows_dot(t, 1, r, seg, s->p, s->tt_buf + (i - i0));
            i += seg;
        }
        *tt = s->tt_buf;
        return;
    }
    default: break;
    }
    /* hash and memcom */
    switch (t->desc.bucket_mode) {
    case MEMCOM_BUCKET_MOD: {
        uint32_t r = i0 % m;
        if (len <= m - r) {
            *tt = s->tvals + r;
        } else {
            for (uint32_t j = 0; j < len; j++) {
                s->tt_buf[j] = s->tvals[r];
                if (++r == m) r = 0;
            }
            *tt = s->tt_buf;
        }
        break;
    }
    case MEMCOM_BUCKET_HASH:
        if (s->hash_b) {
            mk_gather_u32(s->tvals, s->hash_b + i0, len, s->tt_buf);
        } else {
            for (uint32_t j = 0; j < len; j++)
                s->tt_buf[j] = s->tvals[memcom_hash_bucket(i0 + j, t->desc.hash_seed, m)];
        }
        *tt = s->tt_buf;
        break;
    default:
        if (t->desc.bucket_dtype == MEMCOM_DTYPE_U16)
            mk_gather_u16(s->tvals, (const uint16_t *)t->buckets + i0, len, s->tt_buf);
        else
            mk_gather_u32(s->tvals, (const uint32_t *)t->buckets + i0, len, s->tt_buf);
        *tt = s->tt_buf;
        break;
    }
    if (t->desc.kind == MEMCOM_KIND_MEMCOM) {
        *w = mcc_f32_run(t->w, t->desc.scalar_dtype, i0, len, s->w_buf);
    }
}

const float *mcc_f32_run(const void *x, uint32_t dtype, size_t i0, size_t len, float *buf)
{
    if (dtype == MEMCOM_DTYPE_F32) return (const float *)x + i0;
    if (dtype != MEMCOM_DTYPE_F16) return NULL;
    mk_f16_finite_to_f32((const uint16_t *)x + i0, len, buf);
    return buf;
}

float mcc_scorer_row(const mcc_scorer *s, uint32_t r)
{
    float x;
    mcc_rows_dot(s->t, 0, r, 1, s->v, &x);
    return x;
}

float mcc_scorer_one(mcc_scorer *s, uint32_t i)
{
    const mcc_table *t = s->t;
    float r;
    switch (t->desc.kind) {
    case MEMCOM_KIND_FULL: return mcc_scorer_row(s, i);
    case MEMCOM_KIND_HASH: return mcc_scorer_row(s, mcc_table_bucket(t, i));
    case MEMCOM_KIND_MEMCOM: return mcc_scalar(t, i) * mcc_scorer_row(s, mcc_table_bucket(t, i));
    case MEMCOM_KIND_QR:
        mcc_qr_set_q(s, i / t->desc.m);
        mcc_rows_dot(t, 1, i % t->desc.m, 1, s->p, &r);
        return r;
    default: return 0.0f;
    }
}

/* Euclidean norm, accumulated in double so that finite vectors whose squared
 * norm over- or underflows float (|x| beyond ~1e19 or below ~1e-19) still get
 * their true norm.  Computed once per row and cached, so off the hot path. */
static float mcc_norm(const float *x, size_t d)
{
    double sum = 0.0;
    for (size_t j = 0; j < d; j++) sum += (double)x[j] * (double)x[j];
    return (float)sqrt(sum);
}

static float mcc_inv(float norm) { return norm > 0.0f && norm < INFINITY ? 1.0f / norm : 0.0f; }

void mcc_table_inv_norms(const mcc_table *t, const uint32_t *hash_b, float *inv, float *tmp, float *rowbuf)
{
    uint32_t n = t->desc.n, d = t->desc.d;
    if (mcc_kind_has_buckets(t->desc.kind)) {
        for (uint32_t j = 0; j < t->desc.m; j++) {
            mcc_row(t, 0, j, tmp);
            rowbuf[j] = mcc_norm(tmp, d);
        }
        for (uint32_t i = 0; i < n; i++) {
            uint32_t b = mcc_bucket_of(t, hash_b, i);
            float norm = rowbuf[b];
            if (t->desc.kind == MEMCOM_KIND_MEMCOM) norm *= fabsf(mcc_scalar(t, i));
            inv[i] = mcc_inv(norm);
        }
        return;
    }
    for (uint32_t i = 0; i < n; i++) {
        mcc_table_lookup(t, i, tmp, tmp + d);
        inv[i] = mcc_inv(mcc_norm(tmp, d));
    }
}
