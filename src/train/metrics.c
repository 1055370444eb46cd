/* metrics.c - Recall@K and NDCG@K as in the LightGCN++ protocol, and top-k
 * selection over a score vector with an exclusion list. */
#include <math.h>
#include <string.h>

#include "train.h"

const uint32_t mt_eval_ks[MT_N_KS] = {10, 20, 40};

int mt_contains_sorted(const uint32_t *sorted, uint32_t n, uint32_t x)
{
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (sorted[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && sorted[lo] == x;
}

void mt_user_metrics(const uint32_t *ranked, uint32_t n_ranked, const uint32_t *truth, uint32_t n_truth,
                     uint32_t k, double *recall, double *ndcg)
{
    *recall = *ndcg = 0;
    if (n_truth == 0) return;
    double dcg = 0, idcg = 0;
    uint32_t hits = 0, lim = n_ranked < k ? n_ranked : k;
    for (uint32_t r = 0; r < lim; r++)
        if (mt_contains_sorted(truth, n_truth, ranked[r])) {
            hits++;
            dcg += 1.0 / log2((double)r + 2.0);
        }
    uint32_t ideal = n_truth < k ? n_truth : k;
    for (uint32_t r = 0; r < ideal; r++) idcg += 1.0 / log2((double)r + 2.0);
    *recall = (double)hits / (double)n_truth;
    *ndcg = dcg / idcg;
}

/* Keep a small sorted array of the best k (descending score, ties lower
 * index first); NaN ranks below everything.  Excluded items (sorted list)
 * are skipped; the common case (not better than the k-th) costs one compare. */
static uint32_t topk_range(const float *scores, uint32_t lo, uint32_t hi, const uint32_t *excl, uint32_t n_excl,
                           uint32_t *e, uint32_t k, float *best_s, uint32_t *out, uint32_t cnt, float *kth)
{
    for (uint32_t i = lo; i < hi; i++) {
        float s = scores[i];
        if (cnt == k && !(s > *kth)) continue;
        while (*e < n_excl && excl[*e] < i) (*e)++;
        if (*e < n_excl && excl[*e] == i) continue;
        if (s != s) s = -INFINITY;
        if (cnt == k && !(s > *kth)) continue;
        uint32_t pos = cnt < k ? cnt : k - 1;
        while (pos > 0 && s > best_s[pos - 1]) {
            best_s[pos] = best_s[pos - 1];
            out[pos] = out[pos - 1];
            pos--;
        }
        best_s[pos] = s;
        out[pos] = i;
        if (cnt < k) cnt++;
        if (cnt == k) *kth = best_s[k - 1];
    }
    return cnt;
}

uint32_t mt_topk_scores(const float *scores, uint32_t n, const uint32_t *excl, uint32_t n_excl, uint32_t k,
                        uint32_t *out)
{
    if (k == 0) return 0;
    enum { B = 16 };
    float best_s[256];
    uint32_t cnt = 0, e = 0, i = 0;
    if (k > 256) k = 256;
    float kth = -INFINITY;
    /* blocks of B: skip a block whose maximum cannot enter the top k */
    for (; i + B <= n; i += B) {
        if (cnt == k) {
            float bm = scores[i];
            for (int j = 1; j < B; j++) bm = scores[i + j] > bm ? scores[i + j] : bm;
            if (!(bm > kth)) continue;
        }
        cnt = topk_range(scores, i, i + B, excl, n_excl, &e, k, best_s, out, cnt, &kth);
    }
    return topk_range(scores, i, n, excl, n_excl, &e, k, best_s, out, cnt, &kth);
}

void mt_metrics_add(mt_metrics *out, const mt_metrics *part)
{
    for (int k = 0; k < MT_N_KS; k++) {
        out->recall[k] += part->recall[k];
        out->ndcg[k] += part->ndcg[k];
        out->gndcg[k] += part->gndcg[k];
    }
    out->users += part->users;
    out->graded |= part->graded;
}

double mt_gain(float grade)
{
    return grade > 0 ? log2(1.0 + (double)grade) : 0.0;
}

double mt_graded_ndcg(const uint32_t *ranked, uint32_t n_ranked, const uint32_t *truth, const float *grade,
                      uint32_t n_truth, const float *ideal, uint32_t n_ideal, uint32_t k)
{
    double dcg = 0, idcg = 0;
    uint32_t lim = n_ranked < k ? n_ranked : k;
    for (uint32_t r = 0; r < lim; r++) {
        uint32_t lo = 0, hi = n_truth;
        while (lo < hi) {
            uint32_t mid = lo + (hi - lo) / 2;
            if (truth[mid] < ranked[r])
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo < n_truth && truth[lo] == ranked[r]) dcg += mt_gain(grade[lo]) / log2((double)r + 2.0);
    }
    /* the k largest gains, descending (k <= 256) */
    double top[256];
    uint32_t kk = k < 256 ? k : 256, cnt = 0;
    for (uint32_t q = 0; q < n_ideal; q++) {
        double gq = mt_gain(ideal[q]);
        if (cnt == kk && !(gq > top[kk - 1])) continue;
        uint32_t pos = cnt < kk ? cnt++ : kk - 1;
        while (pos > 0 && top[pos - 1] < gq) {
            top[pos] = top[pos - 1];
            pos--;
        }
        top[pos] = gq;
    }
    for (uint32_t r = 0; r < cnt; r++) idcg += top[r] / log2((double)r + 2.0);
    return idcg > 0 ? dcg / idcg : 0.0;
}

void mt_metrics_add_user_graded(mt_metrics *sum, const uint32_t *ranked, uint32_t n_ranked, const uint32_t *truth,
                                const float *grade, uint32_t n_truth)
{
    if (grade) {
        for (int k = 0; k < MT_N_KS; k++)
            sum->gndcg[k] += mt_graded_ndcg(ranked, n_ranked, truth, grade, n_truth, grade, n_truth, mt_eval_ks[k]);
        sum->graded = 1;
    }
    mt_metrics_add_user(sum, ranked, n_ranked, truth, n_truth);
}

void mt_metrics_add_user(mt_metrics *sum, const uint32_t *ranked, uint32_t n_ranked, const uint32_t *truth,
                         uint32_t n_truth)
{
    for (int k = 0; k < MT_N_KS; k++) {
        double r, g;
        mt_user_metrics(ranked, n_ranked, truth, n_truth, mt_eval_ks[k], &r, &g);
        sum->recall[k] += r;
        sum->ndcg[k] += g;
    }
    sum->users++;
}

void mt_metrics_average(mt_metrics *out)
{
    if (!out->users) return;
    for (int k = 0; k < MT_N_KS; k++) {
        out->recall[k] /= out->users;
        out->ndcg[k] /= out->users;
        out->gndcg[k] /= out->users;
    }
}
