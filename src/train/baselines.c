/* baselines.c - the short-history evaluation's baselines that need more than
 * counts: item-kNN (co-occurrence cosine, with the scored user left out) and
 * EASE (closed form, LAPACK's Cholesky inverse from OpenBLAS). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "train.h"

/* LAPACK (OpenBLAS ships it; there is no header): Cholesky factor and the
 * inverse from it, column-major, double.  The trailing size_t is the length
 * of UPLO that gfortran-built routines expect (ignored by C ones). */
extern void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info, size_t uplo_len);
extern void dpotri_(const char *uplo, const int *n, double *a, const int *lda, int *info, size_t uplo_len);

/* ---- item-kNN ---- */

void mt_knn_init(mt_knn *k, const mt_csr *train, uint32_t n_items)
{
    memset(k, 0, sizeof *k);
    k->train = train;
    k->n_items = n_items;
    size_t n1 = (size_t)n_items + 1;
    k->item_off = mt_xcalloc(n1, sizeof *k->item_off);
    k->count = mt_xcalloc(n1, sizeof *k->count);
    for (uint64_t q = 0; q < train->nnz; q++)
        if (train->idx[q] < n_items) k->count[train->idx[q]]++;
    for (uint32_t i = 0; i < n_items; i++) k->item_off[i + 1] = k->item_off[i] + k->count[i];
    k->item_users = mt_xmalloc(((size_t)k->item_off[n_items] + 1) * sizeof *k->item_users);
    uint64_t *fill = mt_xmalloc(n1 * sizeof *fill);
    memcpy(fill, k->item_off, n1 * sizeof *fill);
    for (uint32_t u = 0; u < train->n_rows; u++)
        for (uint64_t q = train->off[u]; q < train->off[u + 1]; q++)
            if (train->idx[q] < n_items) k->item_users[fill[train->idx[q]]++] = u;
    free(fill);
    k->row = mt_xcalloc(n1, sizeof *k->row);
    k->in_user = mt_xcalloc(n1, 1);
}

void mt_knn_free(mt_knn *k)
{
    if (k->row)
        for (uint32_t i = 0; i < k->n_items; i++) free(k->row[i]);
    free(k->row);
    free(k->item_off);
    free(k->item_users);
    free(k->count);
    free(k->in_user);
    memset(k, 0, sizeof *k);
}

/* row i of C: C_ij = users with both i and j in training */
static const uint32_t *knn_row(mt_knn *k, uint32_t i)
{
    if (k->row[i]) return k->row[i];
    uint32_t *r = mt_xcalloc(k->n_items ? k->n_items : 1, sizeof *r);
    const mt_csr *t = k->train;
    for (uint64_t p = k->item_off[i]; p < k->item_off[i + 1]; p++) {
        uint32_t u = k->item_users[p];
        for (uint64_t q = t->off[u]; q < t->off[u + 1]; q++)
            if (t->idx[q] < k->n_items) r[t->idx[q]]++;
    }
    k->row[i] = r;
    return r;
}

void mt_knn_scores(mt_knn *k, const uint32_t *hist, uint32_t n_hist, const uint32_t *user_items,
                   uint32_t n_user_items, float *scores)
{
    uint32_t n = k->n_items;
    uint8_t *in = k->in_user;
    for (uint32_t q = 0; q < n_user_items; q++)
        if (user_items[q] < n) in[user_items[q]] = 1;
    double *acc = mt_xcalloc(n ? n : 1, sizeof *acc);
    for (uint32_t h = 0; h < n_hist; h++) {
        uint32_t i = hist[h];
        if (i >= n) continue;
        uint32_t ci = k->count[i] - in[i];
        if (ci == 0) continue;
        const uint32_t *row = knn_row(k, i);
        for (uint32_t j = 0; j < n; j++) {
            uint32_t cij = row[j] - (in[i] & in[j]);
            uint32_t cj = k->count[j] - in[j];
            if (cij && cj) acc[j] += (double)cij / sqrt((double)ci * (double)cj);
        }
    }
    for (uint32_t j = 0; j < n; j++) scores[j] = (float)acc[j];
    free(acc);
    for (uint32_t q = 0; q < n_user_items; q++)
        if (user_items[q] < n) in[user_items[q]] = 0;
}

/* ---- EASE ---- */

int mt_ease_fit(mt_ease *e, const mt_csr *train, uint32_t n_items, double lambda, mt_err *err)
{
    memset(e, 0, sizeof *e);
    if (n_items == 0) return mt_fail(err, MT_E_DATA, "EASE: no items");
    if (n_items > MT_EASE_MAX_ITEMS)
        return mt_fail(err, MT_E_OPTION, "EASE: %u items is more than %u (an n x n inverse)", n_items,
                       MT_EASE_MAX_ITEMS);
    if (!(lambda > 0)) return mt_fail(err, MT_E_OPTION, "EASE: lambda must be > 0");
    size_t n = n_items;
    double *P = mt_xcalloc(n * n, sizeof *P);
    /* G = X^T X (symmetric: the column-major lower triangle is the
     * row-major upper one, filled whole here) */
    for (uint32_t u = 0; u < train->n_rows; u++)
        for (uint64_t a = train->off[u]; a < train->off[u + 1]; a++) {
            size_t i = train->idx[a];
            if (i >= n) continue;
            double *row = P + i * n;
            for (uint64_t b = train->off[u]; b < train->off[u + 1]; b++)
                if (train->idx[b] < n) row[train->idx[b]] += 1.0;
        }
    for (size_t i = 0; i < n; i++) P[i * n + i] += lambda;
    int nn = (int)n, info = 0;
    dpotrf_("L", &nn, P, &nn, &info, 1);
    if (info == 0) dpotri_("L", &nn, P, &nn, &info, 1);
    if (info != 0) {
        free(P);
        return mt_fail(err, MT_E_EVAL, "EASE: the Cholesky inverse failed (LAPACK info %d)", info);
    }
    /* column-major lower = row-major upper (c >= r) is set: mirror it */
    for (size_t r = 1; r < n; r++)
        for (size_t c = 0; c < r; c++) P[r * n + c] = P[c * n + r];
    float *B = mt_xmalloc(n * n * sizeof *B);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) B[i * n + j] = i == j ? 0.0f : (float)(-P[i * n + j] / P[j * n + j]);
    free(P);
    e->n = n_items;
    e->B = B;
    return 0;
}

void mt_ease_free(mt_ease *e)
{
    free(e->B);
    memset(e, 0, sizeof *e);
}

void mt_ease_scores(const mt_ease *e, const uint32_t *hist, uint32_t n_hist, float *scores)
{
    size_t n = e->n;
    memset(scores, 0, n * sizeof *scores);
    for (uint32_t h = 0; h < n_hist; h++) {
        if (hist[h] >= n) continue;
        const float *row = e->B + (size_t)hist[h] * n;
        for (size_t j = 0; j < n; j++) scores[j] += row[j];
    }
}
