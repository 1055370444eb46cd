/* table.c - item table kinds as the trainer sees them: names, sizing for a
 * byte budget, default bucket assignments, row reconstruction. */
#include <math.h>
#include <string.h>

#include "train.h"

static const char *const kind_names[MT_T_COUNT] = {
    "full", "hash", "qr", "memcom-plain", "memcom-pop", "memcom-learned", "memcom-learned-pop",
};

const char *mt_tkind_name(int kind)
{
    return kind >= 0 && kind < MT_T_COUNT ? kind_names[kind] : "?";
}

int mt_tkind_parse(const char *s, int *kind)
{
    if (strcmp(s, "memcom") == 0) {
        *kind = MT_T_MEMCOM_DEFAULT;
        return 0;
    }
    for (int k = 0; k < MT_T_COUNT; k++)
        if (strcmp(s, kind_names[k]) == 0) {
            *kind = k;
            return 0;
        }
    return -1;
}

int mt_tkind_core(int kind)
{
    switch (kind) {
    case MT_T_FULL: return MEMCOM_KIND_FULL;
    case MT_T_HASH: return MEMCOM_KIND_HASH;
    case MT_T_QR: return MEMCOM_KIND_QR;
    default: return MEMCOM_KIND_MEMCOM;
    }
}

int mt_tkind_is_memcom(int kind) { return kind >= MT_T_MEMCOM && kind < MT_T_COUNT; }
int mt_tkind_explicit(int kind) { return kind >= MT_T_MEMCOM_POP && kind < MT_T_COUNT; }
int mt_tkind_learned(int kind) { return kind == MT_T_MEMCOM_LEARNED || kind == MT_T_MEMCOM_LEARNED_POP; }

static uint64_t dtype_row_bytes(int row_dtype, uint32_t d)
{
    switch (row_dtype) {
    case MEMCOM_DTYPE_F16: return 2ull * d;
    case MEMCOM_DTYPE_I8: return (uint64_t)d + 4;   /* int8 values + f32 row scale */
    default: return 4ull * d;
    }
}

uint64_t mt_table_bytes(int kind, uint32_t n, uint32_t d, const mt_tsize *s, int row_dtype)
{
    uint64_t rb = dtype_row_bytes(row_dtype, d);
    switch (kind) {
    case MT_T_FULL: return rb * n;
    case MT_T_HASH: return rb * s->m;
    case MT_T_QR: return rb * ((n + s->m - 1) / s->m + s->m);
    default: {
        uint64_t b = rb * s->m + (uint64_t)n * (s->scalar_dtype == MEMCOM_DTYPE_F16 ? 2 : 4);
        if (mt_tkind_explicit(kind)) b += (uint64_t)n * (s->m <= 65536 ? 2 : 4);
        return b;
    }
    }
}

static int default_scalar(int kind, int scalar_dtype)
{
    if (scalar_dtype) return scalar_dtype;
    return mt_tkind_explicit(kind) ? MEMCOM_DTYPE_F16 : MEMCOM_DTYPE_F32;
}

int mt_table_row_dtype(int kind, int by_ratio, int row_dtype)
{
    if (row_dtype) return row_dtype;
    return kind != MT_T_FULL && by_ratio ? MEMCOM_DTYPE_I8 : MEMCOM_DTYPE_F32;
}

int mt_table_size_for_rows(int kind, uint32_t n, uint32_t d, uint32_t m, int scalar_dtype, int row_dtype,
                           mt_tsize *out, mt_err *err)
{
    (void)d;
    memset(out, 0, sizeof *out);
    out->scalar_dtype = mt_tkind_is_memcom(kind) ? default_scalar(kind, scalar_dtype) : 0;
    out->row_dtype = mt_table_row_dtype(kind, 0, row_dtype);
    if (kind == MT_T_FULL) {
        out->m = n;
        return 0;
    }
    if (m < 1 || m > n)
        return mt_fail(err, MT_E_OPTION, "--rows %u is out of range for %s with %u items (1..%u)", m,
                       mt_tkind_name(kind), n, n);
    out->m = m;
    return 0;
}

int mt_table_size_for_ratio(int kind, uint32_t n, uint32_t d, double ratio, int scalar_dtype, int row_dtype,
                            mt_tsize *out, mt_err *err)
{
    memset(out, 0, sizeof *out);
    out->scalar_dtype = mt_tkind_is_memcom(kind) ? default_scalar(kind, scalar_dtype) : 0;
    out->row_dtype = mt_table_row_dtype(kind, 1, row_dtype);
    const int rd = out->row_dtype;
    if (kind == MT_T_FULL) {
        out->m = n;
        return 0;
    }
    if (!(ratio >= 1.0))
        return mt_fail(err, MT_E_OPTION, "--ratio %g must be >= 1", ratio);
    double budget = (double)n * d * 4.0 / ratio;   /* the full f32 table's bytes / R, in the rows' storage */
    uint32_t best = 0;
    if (kind == MT_T_QR) {
        for (uint32_t m = 1; m <= n; m++) {
            mt_tsize s = {m, 0, 0, 0};
            if ((double)mt_table_bytes(kind, n, d, &s, rd) <= budget) best = m;
        }
    } else {
        /* bytes grow with m: binary search for the largest m within budget */
        uint32_t lo = 1, hi = n;
        mt_tsize s = *out;
        s.m = 1;
        if ((double)mt_table_bytes(kind, n, d, &s, rd) <= budget) {
            best = 1;
            while (lo < hi) {
                uint32_t mid = lo + (hi - lo + 1) / 2;
                s.m = mid;
                if ((double)mt_table_bytes(kind, n, d, &s, rd) <= budget) {
                    lo = mid;
                } else {
                    hi = mid - 1;
                }
            }
            best = lo;
        }
    }
    if (best == 0) {
        /* the highest ratio this kind reaches: its smallest table */
        mt_tsize s = *out;
        s.m = 1;
        double least = (double)mt_table_bytes(kind, n, d, &s, rd);
        if (kind == MT_T_QR)
            for (uint32_t m = 1; m <= n; m++) {
                s.m = m;
                double b = (double)mt_table_bytes(kind, n, d, &s, rd);
                if (b < least) least = b;
            }
        double most = (double)n * d * 4.0 / least;
        if (mt_tkind_is_memcom(kind)) {
            int sb = out->scalar_dtype == MEMCOM_DTYPE_F16 ? 2 : 4, ib = mt_tkind_explicit(kind) ? 2 : 0;
            return mt_fail(err, MT_E_OPTION,
                           "--ratio %g is too high for %s with n = %u, d = %u: memcom stores per item a scalar (%s, "
                           "%d bytes)%s, so the ratio must stay below about d / (per-item bytes / 4) = %u / (%d / 4) "
                           "= %.1f for d = %u with %s scalars%s; here at most %.2f (a single shared row)",
                           ratio, mt_tkind_name(kind), n, d, sb == 2 ? "f16" : "f32", sb,
                           ib ? " and a bucket index (u16, 2 bytes)" : "", d, sb + ib, 4.0 * d / (sb + ib), d,
                           sb == 2 ? "f16" : "f32", ib ? " and bucket indices" : "", most);
        }
        return mt_fail(err, MT_E_OPTION, "--ratio %g is too high for %s with n = %u, d = %u: at most %.2f%s", ratio,
                       mt_tkind_name(kind), n, d, most,
                       kind == MT_T_QR ? " (qr needs at least about 2*sqrt(n) rows)" : " (a single shared row)");
    }
    out->m = best;
    return 0;
}

void mt_buckets_default(int kind, uint32_t n, uint32_t m, uint32_t pop, uint32_t *bucket)
{
    if (kind == MT_T_MEMCOM_POP || kind == MT_T_MEMCOM_LEARNED_POP) {
        if (pop >= m) pop = m - 1;
        for (uint32_t i = 0; i < n; i++)
            bucket[i] = i < pop ? i : pop + (i - pop) % (m - pop);
    } else {
        for (uint32_t i = 0; i < n; i++) bucket[i] = i % m;
    }
}

void mt_table_row(const mt_model *mdl, const mt_table *t, uint32_t i, float *out)
{
    uint32_t d = t->d;
    const float *A = mdl->params[t->pidx_a].v;
    switch (t->kind) {
    case MT_T_FULL: memcpy(out, A + (size_t)i * d, d * sizeof *out); break;
    case MT_T_HASH: memcpy(out, A + (size_t)t->bucket[i] * d, d * sizeof *out); break;
    case MT_T_QR: {
        const float *q = A + (size_t)(i / t->m) * d, *r = mdl->params[t->pidx_b].v + (size_t)(i % t->m) * d;
        for (uint32_t k = 0; k < d; k++) out[k] = q[k] * r[k];
        break;
    }
    default: {
        float w = mdl->params[t->pidx_w].v[i];
        const float *a = A + (size_t)t->bucket[i] * d;
        for (uint32_t k = 0; k < d; k++) out[k] = w * a[k];
    }
    }
}
