/* kernel_digest.c - prints a digest of kernel outputs over fixed inputs;
 * every kernel set (generic, x86_64, wasm SIMD; see src/kernels/arch.h) must
 * print the same digest (the reduction order of kernels.h makes them
 * bit-identical).  With --name: prints the kernel set's name instead. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../../src/base/base.h"
#include "../../src/kernels/kernels.h"

static uint64_t st = 7;
static uint32_t rnd(void) { st = st * 6364136223846793005ull + 1442695040888963407ull; return (uint32_t)(st >> 33); }
static uint64_t hash = 1469598103934665603ull;
static void eat(const void *p, size_t n)
{
    const uint8_t *b = (const uint8_t *)p;
    for (size_t i = 0; i < n; i++) { hash ^= b[i]; hash *= 1099511628211ull; }
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--name") == 0) {
        printf("%s\n", mk_name());
        return 0;
    }
    enum { R = 9, D = 140 };
    static float rows[R * D], v[D], out[R], sc[R], w[300], tt[300], bias[300], o[300];
    static uint16_t h[R * D];
    static int8_t q[R * D];
    static int16_t vq[D];
    static uint32_t hits[300];
    for (size_t d = 1; d <= D; d += (d < 20 ? 1 : 7)) {
        for (size_t i = 0; i < R * d; i++) {
            rows[i] = (float)(int)(rnd() % 20001 - 10000) / 3333.0f;
            h[i] = (uint16_t)(rnd() & 0x7bff) | (uint16_t)(rnd() & 0x8000);
            q[i] = (int8_t)rnd();
        }
        for (size_t i = 0; i < d; i++) v[i] = (float)(int)(rnd() % 20001 - 10000) / 777.0f;
        for (size_t i = 0; i < d; i++) vq[i] = (int16_t)((int)(rnd() % 65535) - 32767);
        for (size_t k = 0; k < R; k++) sc[k] = (float)(rnd() % 1000) / 999.0f;
        for (size_t n = 0; n <= R; n++) {
            mk_rows_dot_f32(rows, n, d, v, out); eat(out, n * 4);
            mk_rows_dot_f16(h, n, d, v, out); eat(out, n * 4);
            mk_rows_dot_i8(q, sc, n, d, v, out); eat(out, n * 4);
            mk_rows_dot_i8_q16(q, sc, n, d, vq, 0.37f, out); eat(out, n * 4);
        }
        mk_f16_to_f32(h, d, rows); eat(rows, d * 4);
        mk_f16_finite_to_f32(h, d, rows); eat(rows, d * 4);
    }
    for (int variant = 0; variant < 4; variant++)
        for (size_t n = 0; n < 300; n += 13) {
            for (size_t i = 0; i < n; i++) {
                w[i] = (float)(int)(rnd() % 2001 - 1000) / 99.0f;
                tt[i] = (float)(int)(rnd() % 2001 - 1000) / 77.0f;
                bias[i] = (float)(int)(rnd() % 2001 - 1000) / 55.0f;
            }
            size_t nh = mk_scan(variant & 1 ? w : NULL, tt, variant & 2 ? bias : NULL, n, 3.0f, o, hits);
            eat(o, n * 4);
            eat(hits, nh * 4);
        }
    /* bucket bounds: w, tt and bias as wmax, tt and bmax; wmin = w / 3 - 1 */
    static float wmin[300];
    for (int variant = 0; variant < 4; variant++)
        for (size_t n = 0; n < 300; n += 11) {
            for (size_t i = 0; i < n; i++) {
                w[i] = (float)(int)(rnd() % 2001 - 1000) / 99.0f;
                wmin[i] = w[i] / 3.0f - 1.0f;
                tt[i] = (float)(int)(rnd() % 2001 - 1000) / 77.0f * (i % 5 == 0 ? 1e-38f : 1.0f);
                bias[i] = (float)(int)(rnd() % 2001 - 1000) / 55.0f;
            }
            float mx = mk_bucket_bounds(tt, variant & 1 ? w : NULL, wmin, variant & 2 ? bias : NULL, n, o);
            eat(o, n * 4);
            eat(&mx, 4);
        }
    /* ... with NaNs in tt (any sign and payload) in the vector part and the
     * tail: the maximum is the last NaN's bits (a copy, no arithmetic); the
     * bounds computed from a NaN are hashed as one canonical NaN */
    for (int variant = 0; variant < 4; variant++)
        for (size_t n = 1; n < 300; n += 7) {
            for (size_t i = 0; i < n; i++) {
                w[i] = (float)(int)(rnd() % 2001 - 1000) / 99.0f;
                wmin[i] = w[i] / 3.0f - 1.0f;
                tt[i] = (float)(int)(rnd() % 2001 - 1000) / 77.0f;
                bias[i] = (float)(int)(rnd() % 2001 - 1000) / 55.0f;
            }
            for (int k = (int)(rnd() % 3); k >= 0; k--) {
                uint32_t bits = 0x7f800001u | (rnd() & 0x003fffffu) | (rnd() & 1u) << 22 | (rnd() & 1u) << 31;
                memcpy(&tt[rnd() % n], &bits, 4);
            }
            float mx = mk_bucket_bounds(tt, variant & 1 ? w : NULL, wmin, variant & 2 ? bias : NULL, n, o);
            for (size_t i = 0; i < n; i++)
                if (o[i] != o[i]) o[i] = NAN;
            eat(o, n * 4);
            eat(&mx, 4);
        }
    /* a ranker's head: relu, and the fused hidden layer (with -0, zeros and
     * values that cancel exactly, so the relu's edge cases are exercised) */
    for (size_t n = 0; n < 300; n += 5) {
        for (size_t i = 0; i < n; i++) {
            w[i] = (float)(int)(rnd() % 2001 - 1000) / 99.0f;
            tt[i] = (float)(int)(rnd() % 2001 - 1000) / 77.0f;
            bias[i] = (float)(int)(rnd() % 2001 - 1000) / 55.0f;
            if (i % 7 == 3) bias[i] = -0.0f;
            if (i % 11 == 5) w[i] = -0.5f * tt[i]; /* c + 2 p = 0 */
        }
        mk_matvec_t_f32(rows, n < 30 ? n : 30, n / 8 + 1, w, o); /* a (<= 30) x (<= 38) matrix of rows' values */
        eat(o, (n / 8 + 1) * 4);
        float g = mk_head_hidden(w, 2.0f, tt, bias, n);
        eat(&g, 4);
        g = mk_head_hidden(w, -0.75f, tt, bias, n);
        eat(&g, 4);
        memcpy(o, bias, n * 4);
        mk_relu_f32(o, n);
        eat(o, n * 4);
    }
    printf("%016llx\n", (unsigned long long)hash);
    return 0;
}
