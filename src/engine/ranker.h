/*
 * ranker.h - a ranker's head MLP (format 1.2) over the output table:
 *   s_i = f_i + g([u ; e_i ; u * e_i]),  f_i = E_out[i] . u + bias[i]
 * (f_i from the ranking engine, engine.h, exactly as it ranks by it).  The
 * first head layer is split per query, W [u; e; u*e] = (W_u u + b) + M e
 * with M = W_e + W_ue diag(u) (kept transposed), so that an item costs M e_i; for shared-row
 * tables (hash, memcom: e_i = w_i R[b_i]) M R[b] is computed once per row and
 * query, and an item costs only w_i * (M R[b_i]) and the layers after it.
 * Every path (all items, candidates, the re-ranking of a two-stage ranking)
 * computes an item's score the same way, so they agree exactly.
 */
#ifndef MEMCOM_ENGINE_RANKER_H
#define MEMCOM_ENGINE_RANKER_H

#include "engine.h"

typedef struct mcc_ranker {
    const mcc_view *v;        /* head layers (v->head) and the output table */
    uint32_t d, h1;           /* output d; the first head layer's width (its out_dim) */
    uint32_t width;           /* the widest head layer input or output (>= 3 d) */
    int split;                /* the first head layer has a weight: split as above */
    int fused;                /* two head layers, relu then linear: one kernel per item */
    float *wu;                /* split: W_u, h1 x d, copied from the first layer's weight */
    float *weT, *wueT;        /* W_e and W_ue transposed, d x h1 */
    /* per query */
    const float *u;
    float *c, *MT;            /* h1; M transposed, d x h1 (M e by mk_matvec_t_f32) */
    float *P;                 /* shared rows: m x h1 (M R[r]), NULL until allocated, or when it cannot be */
    uint32_t *stamp;          /* m: the query P[r] was computed for */
    uint32_t query;           /* this query's stamp (never 0) */
    int p_tried;              /* P allocation attempted */
    /* scratch */
    float *e, *row, *x, *y;   /* d, d, width, width */
    float touched;            /* what mcc_table_touch read (kept, so that it is read) */
    float *f;                 /* n: factorised scores of the whole catalogue, on first use */
    float *s0;                /* n: s_i of the empty history (the popularity control), on first use */
    uint32_t *idx;            /* two-stage and candidate lists */
    float *sc;
    size_t cap;
} mcc_ranker;

/* r all zero; v valid while r is used.  Allocates O(head + d) */
int mcc_ranker_init(mcc_ranker *r, const mcc_view *v);
void mcc_ranker_free(mcc_ranker *r);
/* the most memory r allocates (init's, the row products P and their stamps,
 * the catalogue's factorised scores, candidate and two-stage lists): for
 * memcom_info.working_bytes */
uint64_t mcc_ranker_working_bytes(const mcc_ranker *r);

/* The ranker's queries (memcom.h: memcom_recommend on a ranker,
 * memcom_recommend_two_stage, memcom_rerank, memcom_rank_scores); u is the
 * user vector (d floats, finite).  depth 0: every eligible item by s_i.
 * lam > 0 (the popularity control, depth 0 only): by s_i(u) - lam s_i(u0),
 * u0 the empty history's user vector (s_i(u0) computed once, on first use). */
int mcc_ranker_topk(mcc_ranker *r, mcc_engine *e, const float *u, const memcom_topk_opts *o, size_t depth, float lam,
                    const float *u0, uint32_t *out_index, float *out_score, size_t *n_out);
int mcc_ranker_scores(mcc_ranker *r, mcc_engine *e, const float *u, const uint32_t *items, size_t n_items, float *out);

#endif
