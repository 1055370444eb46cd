/* test_kernels.c - kernels against plain double-precision references, exact on
 * dyadic data, and the scan's threshold filter. */
#include "test.h"
#include "../../src/base/base.h"
#include "../../src/kernels/kernels.h"

static double ref_dot(const float *a, const float *v, size_t d)
{
    double s = 0;
    for (size_t i = 0; i < d; i++) s += (double)a[i] * v[i];
    return s;
}

void test_kernels(void)
{
    t_rng r = {42};
    enum { MAXD = 77, ROWS = 11 };
    float rows[ROWS * MAXD], v[MAXD], out[ROWS], dec[ROWS * MAXD], scales[ROWS];
    uint16_t h[ROWS * MAXD];
    int8_t q[ROWS * MAXD];
    int exact_ok = 1, approx_ok = 1;
    for (size_t d = 1; d <= MAXD; d++) {
        for (int dy = 0; dy < 2; dy++) {
            for (size_t i = 0; i < ROWS * d; i++) {
                rows[i] = dy ? t_dyadic(&r) : t_uniform(&r);
                h[i] = mcc_f32_to_f16(rows[i]);
                q[i] = (int8_t)((int)t_below(&r, 255) - 127);
            }
            for (size_t i = 0; i < d; i++) v[i] = dy ? t_dyadic(&r) : t_uniform(&r);
            for (size_t k = 0; k < ROWS; k++) scales[k] = dy ? 0.0078125f * (float)(k + 1) : t_uniform(&r) + 1.5f;
            for (size_t n_rows = 0; n_rows <= ROWS; n_rows += (n_rows < 5 ? 1 : 6)) {
                /* f32 */
                mk_rows_dot_f32(rows, n_rows, d, v, out);
                for (size_t k = 0; k < n_rows; k++) {
                    double ref = ref_dot(rows + k * d, v, d);
                    if (dy && out[k] != (float)ref) exact_ok = 0;
                    if (fabs(out[k] - ref) > 1e-5 * (1 + fabs(ref))) approx_ok = 0;
                }
                /* f16 */
                for (size_t i = 0; i < n_rows * d; i++) dec[i] = mcc_f16_to_f32(h[i]);
                mk_rows_dot_f16(h, n_rows, d, v, out);
                for (size_t k = 0; k < n_rows; k++) {
                    double ref = ref_dot(dec + k * d, v, d);
                    if (dy && out[k] != (float)ref) exact_ok = 0;
                    if (fabs(out[k] - ref) > 1e-5 * (1 + fabs(ref))) approx_ok = 0;
                }
                /* i8 */
                for (size_t i = 0; i < n_rows * d; i++) dec[i] = (float)q[i];
                mk_rows_dot_i8(q, scales, n_rows, d, v, out);
                for (size_t k = 0; k < n_rows; k++) {
                    double ref = scales[k] * ref_dot(dec + k * d, v, d);
                    if (dy && out[k] != (float)ref) exact_ok = 0;
                    if (fabs(out[k] - ref) > 1e-5 * (1 + fabs(ref)) * 128) approx_ok = 0;
                }
            }
        }
    }
    CHECK(exact_ok);
    CHECK(approx_ok);

    /* conversions and element-wise kernels */
    float a[37], b[37], c[37];
    int conv_ok = 1;
    for (size_t i = 0; i < 37; i++) { a[i] = t_uniform(&r); b[i] = t_uniform(&r); h[i] = (uint16_t)t_next(&r); q[i] = (int8_t)t_next(&r); }
    mk_f16_to_f32(h, 37, c);
    for (size_t i = 0; i < 37; i++) {
        float e = mcc_f16_to_f32(h[i]);
        if (memcmp(&e, &c[i], 4) != 0) conv_ok = 0;
    }
    for (size_t i = 0; i < 37; i++) h[i] = (uint16_t)(h[i] & 0xFBFF); /* finite */
    mk_f16_finite_to_f32(h, 37, c);
    for (size_t i = 0; i < 37; i++) {
        float e = mcc_f16_to_f32(h[i]);
        if (memcmp(&e, &c[i], 4) != 0) conv_ok = 0;
    }
    mk_i8_to_f32(q, 0.5f, 37, c);
    for (size_t i = 0; i < 37; i++) if (c[i] != 0.5f * q[i]) conv_ok = 0;
    memcpy(c, b, sizeof c);
    mk_axpy_f32(0.25f, a, c, 37);
    for (size_t i = 0; i < 37; i++) if (c[i] != b[i] + 0.25f * a[i]) conv_ok = 0;
    mk_mul_f32(a, b, c, 37);
    for (size_t i = 0; i < 37; i++) if (c[i] != a[i] * b[i]) conv_ok = 0;
    memcpy(c, a, sizeof c);
    mk_scale_f32(3.0f, c, 37);
    for (size_t i = 0; i < 37; i++) if (c[i] != a[i] * 3.0f) conv_ok = 0;
    uint32_t idx[37];
    uint16_t idx16[37];
    for (size_t i = 0; i < 37; i++) { idx[i] = t_below(&r, 37); idx16[i] = (uint16_t)idx[i]; }
    mk_gather_u32(a, idx, 37, c);
    for (size_t i = 0; i < 37; i++) if (c[i] != a[idx[i]]) conv_ok = 0;
    mk_gather_u16(a, idx16, 37, c);
    for (size_t i = 0; i < 37; i++) if (c[i] != a[idx16[i]]) conv_ok = 0;
    CHECK(conv_ok);

    /* scan: all four variants, hits exactly the j with out[j] > thr, never NaN */
    float w[37], tt[37], bias[37], o[37];
    uint32_t hits[37];
    int scan_ok = 1;
    for (int variant = 0; variant < 4; variant++) {
        for (size_t n = 0; n <= 37; n++) {
            for (size_t i = 0; i < n; i++) { w[i] = t_uniform(&r); tt[i] = t_uniform(&r); bias[i] = t_uniform(&r); }
            if (n > 3) tt[3] = NAN;
            const float *wp = (variant & 1) ? w : NULL, *bp = (variant & 2) ? bias : NULL;
            float thr = 0.1f;
            size_t nh = mk_scan(wp, tt, bp, n, thr, o, hits), k = 0;
            for (size_t i = 0; i < n; i++) {
                float s = wp ? w[i] * tt[i] : tt[i];
                if (bp) s += bias[i];
                if (memcmp(&s, &o[i], 4) != 0) scan_ok = 0;
                if (s > thr) { if (k >= nh || hits[k] != i) scan_ok = 0; k++; }
            }
            if (k != nh) scan_ok = 0;
            if (mk_scan(wp, tt, bp, n, INFINITY, o, hits) != 0) scan_ok = 0;
        }
    }
    CHECK(scan_ok);
    CHECK(mk_name()[0] != 0);
    CHECK(!strcmp(memcom_kernel_name(), mk_name()));
}
