/* popularity.c - the serving default of the popularity control
 * (memcom_recommend_popularity): measured on the held-out items with the
 * short histories of short_eval.c, chosen by the rule of train.h, recorded in
 * (and read back from) the model's metadata JSON. */
#include <stdlib.h>
#include <string.h>

#include "train.h"

/* the metadata key, written and read here only */
static const char serving_key[] = "\"serving\":{\"popularity\":";

static const uint32_t pop_h[2] = {3, 5};

static double mean2(const double *x) { return 0.5 * (x[0] + x[1]); }

int mt_choose_popularity(memcom_model *model, const mt_dataset *ds, const mt_csr *truth, FILE *log,
                         mt_pop_choice *out, mt_err *err)
{
    memset(out, 0, sizeof *out);
    mt_short_opts o;
    mt_short_opts_default(&o);
    o.n_h = 2;
    memcpy(o.h, pop_h, sizeof pop_h);
    o.methods = 0;
    mt_short_result *r = mt_xcalloc(1, sizeof *r);
    double t0 = mt_now();
    for (int g = 0; g < MT_POP_GRID; g++) {
        mt_pop_point *pt = &out->curve[g];
        pt->p = (float)g / (float)(MT_POP_GRID - 1);
        o.popularity = pt->p;
        if (mt_short_eval(model, ds, truth, &o, r, err)) {
            free(r);
            return -1;
        }
        out->users = r->users;
        for (int s = 0; s < r->n_rows && s < 2; s++) {
            pt->ndcg10[s] = r->rows[s].m.ndcg[0];
            pt->popular_share[s] = r->rows[s].st.popular_share;
            pt->jaccard[s] = r->rows[s].st.jaccard;
            pt->coverage[s] = r->rows[s].st.coverage;
        }
        if (log) {
            fprintf(log, "popularity %.2f (%d of %d): NDCG@10 %.4f / %.4f, Jaccard %.3f / %.3f (h = 3 / 5), %.0f s\n",
                    (double)pt->p, g + 1, MT_POP_GRID, pt->ndcg10[0], pt->ndcg10[1], pt->jaccard[0], pt->jaccard[1],
                    mt_now() - t0);
            fflush(log);
        }
    }
    free(r);
    /* the rule (train.h); scanning from p = 1 down, ties keep the higher p */
    int best = -1, best_any = MT_POP_GRID - 1;
    for (int g = MT_POP_GRID - 1; g >= 0; g--) {
        const mt_pop_point *pt = &out->curve[g];
        if (mean2(pt->ndcg10) > mean2(out->curve[best_any].ndcg10)) best_any = g;
        int personal = pt->jaccard[0] <= MT_POP_MAX_JACCARD && pt->jaccard[1] <= MT_POP_MAX_JACCARD;
        if (personal && (best < 0 || mean2(pt->ndcg10) > mean2(out->curve[best].ndcg10))) best = g;
    }
    out->by_jaccard = best >= 0;
    if (best < 0) {
        double floor = mean2(out->curve[best_any].ndcg10) * (1.0 - MT_POP_NDCG_SLACK);
        for (int g = MT_POP_GRID - 1; g >= 0; g--) {
            const mt_pop_point *pt = &out->curve[g];
            if (mean2(pt->ndcg10) >= floor && (best < 0 || mean2(pt->jaccard) < mean2(out->curve[best].jaccard)))
                best = g;
        }
    }
    out->chosen = best;
    return 0;
}

int mt_model_popularity(const memcom_model *model, float *p)
{
    size_t len = 0;
    const char *m = memcom_metadata(model, &len);
    size_t kl = sizeof serving_key - 1;
    if (!m || len < kl) return 0;
    /* the key of the top-level object only (a compressed model nests its
     * source's metadata, whose default is not its own): depth outside strings */
    int depth = 0, in_str = 0;
    for (size_t i = 0; i + kl <= len; i++) {
        char ch = m[i];
        if (in_str) {
            if (ch == '\\') i++;
            else if (ch == '"') in_str = 0;
            continue;
        }
        if (ch == '{' || ch == '[') depth++;
        else if (ch == '}' || ch == ']') depth--;
        if (ch != '"') continue;
        if (depth != 1 || memcmp(m + i, serving_key, kl) != 0) {
            in_str = 1;
            continue;
        }
        char num[32];
        size_t j = 0, s = i + kl;
        while (s + j < len && j + 1 < sizeof num && m[s + j] && strchr("0123456789.eE+-", m[s + j])) {
            num[j] = m[s + j];
            j++;
        }
        num[j] = 0;
        char *end;
        double v = strtod(num, &end);
        if (j == 0 || *end || !(v >= 0.0 && v <= 1.0)) return 0;
        *p = (float)v;
        return 1;
    }
    return 0;
}

void mt_buf_json_serving(mt_buf *b, const mt_pop_choice *c)
{
    const mt_pop_point *pt = &c->curve[c->chosen];
    mt_buf_printf(b, ",%s%g,\"rule\":\"", serving_key, (double)pt->p);
    if (c->given) {
        mt_buf_printf(b, "given (--popularity)\"");
        if (c->have_test) {
            mt_buf_printf(b, ",\"test\":");
            mt_buf_json_metrics(b, &c->test);
        }
        mt_buf_printf(b, "}");
        return;
    }
    if (c->by_jaccard)
        mt_buf_printf(b, "highest NDCG@10 with Jaccard <= %g at each h", MT_POP_MAX_JACCARD);
    else
        mt_buf_printf(b, "lowest Jaccard within %g%% of the best NDCG@10", 100 * MT_POP_NDCG_SLACK);
    mt_buf_printf(b, " (validation, h = %u and %u)\",\"validation\":{\"users\":%u", pop_h[0], pop_h[1], c->users);
    for (int s = 0; s < 2; s++)
        mt_buf_printf(b, ",\"h%u\":{\"ndcg@10\":%.6f,\"popular_share\":%.6f,\"jaccard\":%.6f,\"coverage\":%.6f}", pop_h[s],
                      pt->ndcg10[s], pt->popular_share[s], pt->jaccard[s], pt->coverage[s]);
    mt_buf_printf(b, "}");
    if (c->have_test) {
        mt_buf_printf(b, ",\"test\":");
        mt_buf_json_metrics(b, &c->test);
    }
    mt_buf_printf(b, "}");
}
