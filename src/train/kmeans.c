/* kmeans.c - bucket assignment learning: sign-free spherical k-means of the
 * item vectors of a warm-up run, so that items whose vectors point the same
 * way (up to scale, which w_i absorbs) share a row of U.
 * Items 0..pop-1 (the most popular) keep rows of their own. */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "train.h"

#define KM_BLOCK 2048u

static void normalise(float *v, uint32_t d)
{
    double s = 0;
    for (uint32_t k = 0; k < d; k++) s += (double)v[k] * v[k];
    float inv = s > 0 ? (float)(1.0 / sqrt(s)) : 0.0f;
    for (uint32_t k = 0; k < d; k++) v[k] *= inv;
}

void mt_kmeans_buckets(const float *vecs, uint32_t n, uint32_t d, uint32_t m, uint32_t pop, int iters,
                       int n_threads, uint64_t seed, uint32_t *bucket, float *centroids, float *w)
{
    (void)n_threads;
    if (pop >= m) pop = m > 1 ? m - 1 : 0;
    if (pop > n) pop = n;
    /* popular items: own rows, exact */
    for (uint32_t i = 0; i < pop; i++) {
        bucket[i] = i;
        memcpy(centroids + (size_t)i * d, vecs + (size_t)i * d, d * sizeof(float));
        w[i] = 1.0f;
    }
    uint32_t nr = n - pop, mr = m - pop;
    if (nr == 0) return;
    const float *V = vecs + (size_t)pop * d;
    float *C = centroids + (size_t)pop * d;
    uint32_t *B = bucket + pop;
    float *Vn = mt_xmalloc((size_t)nr * d * sizeof(float));
    memcpy(Vn, V, (size_t)nr * d * sizeof(float));
    for (uint32_t i = 0; i < nr; i++) normalise(Vn + (size_t)i * d, d);
    /* initial centroids: the most popular remaining items, then a seeded
     * sample if more rows than items are needed (cannot happen: m <= n) */
    mt_rng rng;
    mt_rng_seed(&rng, seed);
    for (uint32_t j = 0; j < mr; j++) memcpy(C + (size_t)j * d, Vn + (size_t)(j % nr) * d, d * sizeof(float));
    float *sim = mt_xmalloc((size_t)KM_BLOCK * mr * sizeof(float));
    float *best = mt_xmalloc((size_t)nr * sizeof(float));
    int8_t *sign = mt_xmalloc(nr);
    double *acc = mt_xmalloc((size_t)mr * d * sizeof(double));
    uint32_t *cnt = mt_xmalloc((size_t)mr * sizeof(uint32_t));
    for (int it = 0; it <= iters; it++) {
        for (uint32_t s = 0; s < nr; s += KM_BLOCK) {
            uint32_t bs = nr - s < KM_BLOCK ? nr - s : KM_BLOCK;
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)bs, (int)mr, (int)d, 1.0f,
                        Vn + (size_t)s * d, (int)d, C, (int)d, 0.0f, sim, (int)mr);
            for (uint32_t r = 0; r < bs; r++) {
                const float *row = sim + (size_t)r * mr;
                uint32_t bj = 0;
                float bv = -1.0f;
                for (uint32_t j = 0; j < mr; j++) {
                    float a = fabsf(row[j]);
                    if (a > bv) { bv = a; bj = j; }
                }
                B[s + r] = bj;
                best[s + r] = bv;
                sign[s + r] = row[bj] < 0 ? -1 : 1;
            }
        }
        if (it == iters) break;
        memset(acc, 0, (size_t)mr * d * sizeof(double));
        memset(cnt, 0, (size_t)mr * sizeof(uint32_t));
        for (uint32_t i = 0; i < nr; i++) {
            double *a = acc + (size_t)B[i] * d;
            const float *v = Vn + (size_t)i * d;
            for (uint32_t k = 0; k < d; k++) a[k] += sign[i] * v[k];
            cnt[B[i]]++;
        }
        for (uint32_t j = 0; j < mr; j++) {
            float *c = C + (size_t)j * d;
            if (cnt[j] == 0) {
                /* re-seed an empty cluster with the worst-fitting item */
                uint32_t worst = mt_rng_below(&rng, nr);
                for (uint32_t i = 0; i < nr; i++)
                    if (best[i] < best[worst]) worst = i;
                best[worst] = 2.0f;
                memcpy(c, Vn + (size_t)worst * d, d * sizeof(float));
                continue;
            }
            for (uint32_t k = 0; k < d; k++) c[k] = (float)acc[(size_t)j * d + k];
            normalise(c, d);
        }
    }
    /* scale rows: U_j = unit centroid * mean |v| of its items; w_i least squares */
    memset(acc, 0, (size_t)mr * sizeof(double));
    memset(cnt, 0, (size_t)mr * sizeof(uint32_t));
    for (uint32_t i = 0; i < nr; i++) {
        const float *v = V + (size_t)i * d;
        double s = 0;
        for (uint32_t k = 0; k < d; k++) s += (double)v[k] * v[k];
        acc[B[i]] += sqrt(s);
        cnt[B[i]]++;
    }
    for (uint32_t j = 0; j < mr; j++) {
        float scale = cnt[j] ? (float)(acc[j] / cnt[j]) : 0.01f;
        if (!(scale > 0)) scale = 0.01f;
        for (uint32_t k = 0; k < d; k++) C[(size_t)j * d + k] *= scale;
    }
    for (uint32_t i = 0; i < nr; i++) {
        const float *v = V + (size_t)i * d, *c = C + (size_t)B[i] * d;
        double dot = 0, cc = 0;
        for (uint32_t k = 0; k < d; k++) {
            dot += (double)v[k] * c[k];
            cc += (double)c[k] * c[k];
        }
        w[pop + i] = cc > 0 ? (float)(dot / cc) : 1.0f;
    }
    for (uint32_t i = 0; i < nr; i++) B[i] += pop;   /* local cluster -> row of U */
    free(Vn);
    free(sim);
    free(best);
    free(sign);
    free(acc);
    free(cnt);
}
