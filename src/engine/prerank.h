/*
 * prerank.h - integer pre-ranking of int8 row tables with a proven bound
 * |exact score - approximate score| <= delta, for exact top-k in two stages
 * (prerank.c explains the bound).
 */
#ifndef MEMCOM_ENGINE_PRERANK_H
#define MEMCOM_ENGINE_PRERANK_H

#include "../table.h"
#include "backoff.h"

#define MC_PRERANK_MAX_K 4096u /* larger k: int8 rows ranked in one exact pass */

typedef struct mcc_prerank {
    int state;                /* 0 not examined, 1 usable, -1 not for this table */
    int index;                /* f32/f16 rows: MC_INDEX_AUTO, _OFF (memcom_set_int8_index) or _ALWAYS */
    const int8_t *q8;         /* the int8 rows pre-ranked on: the table's own, or own_q8 */
    const float *q8_scale;
    int8_t *own_q8;           /* f32/f16 rows: an int8 copy (rows x d) and its scales */
    float *own_scale;
    double rmax;              /* max |stored element - scale * q| (0 for int8 tables) */
    double amax, wmax, bmax;  /* max_r scale_r*sum|q_r|, max|w_i| (1 without), max|b_i| */
    double smin, smax;        /* smallest nonzero and largest row scale of q8 (smin inf: none) */
    int16_t *vq;              /* the quantised query (d) */
    float sv;                 /* v ~ sv * vq */
    double delta;             /* per query */
    float terr;               /* per query: |T_r - T~_r| <= terr for every row, with room for one float
                               * addition: fl(T~_r + terr) >= T_r >= fl(T~_r - terr) (scan.c's widened bounds) */
    uint32_t *cand_idx;       /* candidates: items whose approximate score may reach the top k */
    float *cand_score;
    size_t n_cand, cand_cap;
    uint64_t n_ranked, n_fallback; /* queries pre-ranked; of those, ranked again exactly */
    uint64_t n_backoff;       /* queries ranked exactly because pre-ranking had stopped paying */
    uint64_t n_widened;       /* queries ranked exactly by bucket on bounds from the int8 copy (rank.c) */
    mcc_backoff backoff;      /* paid: ranked without falling back, and by bucket when the bounds were tried */
} mcc_prerank;
/* Whether f32/f16 rows get an int8 copy to pre-rank on: MC_INDEX_AUTO (the
 * default) where it pays (mcc_prerank_copy_pays), MC_INDEX_OFF never
 * (memcom_set_int8_index(0)), MC_INDEX_ALWAYS wherever it can (tests, to
 * exercise pre-ranking on small shared tables). */
enum { MC_INDEX_AUTO = 0, MC_INDEX_OFF = 1, MC_INDEX_ALWAYS = 2 };
/* How a table is pre-ranked: not at all, on its own int8 rows, or on an int8
 * copy of its f32/f16 rows.  The one owner of that decision: mcc_prerank_init
 * follows it, and so does what the engine says it may allocate. */
enum { MC_PRERANK_NONE = 0, MC_PRERANK_OWN = 1, MC_PRERANK_COPY = 2 };
int mcc_prerank_plan(const mcc_table *t, int index);
/* 1 when pre-ranking on an int8 copy of rows x d shared rows pays for a
 * catalogue of n items (prerank.c gives the measurements) */
int mcc_prerank_copy_pays(uint64_t rows, uint64_t d, uint64_t n);
/* examine the table once (state 1 when mcc_prerank_plan(t, p->index) says
 * so; building the int8 copy where it says MC_PRERANK_COPY).  wabs, babs:
 * max |w_i| (1 without scalars) and max |b_i| (0 without bias) when the
 * caller has them (the bucket bounds take them), else negative: taken here */
int mcc_prerank_init(mcc_prerank *p, const mcc_table *t, const void *bias, uint32_t bias_dtype, uint32_t n, double wabs,
                     double babs);
/* 1 when this query can be pre-ranked: quantises v, computes delta */
int mcc_prerank_query(mcc_prerank *p, const float *v, size_t d, int use_bias);
/* the quantised query of the last mcc_prerank_query, for the scorer */
static inline mcc_qquery mcc_prerank_qquery(const mcc_prerank *p)
{
    mcc_qquery q = {p->q8, p->q8_scale, p->vq, p->sv};
    return q;
}
/* a float f <= theta - 2 delta: an approximate score below f cannot make the top k */
float mcc_prerank_floor(const mcc_prerank *p, float theta);
int mcc_prerank_reserve(mcc_prerank *p, size_t k);
/* append a candidate; 0 when the list is full even after dropping those below floor */
int mcc_prerank_add(mcc_prerank *p, uint32_t i, float s, float floor);
/* drop candidates below floor; returns how many remain */
size_t mcc_prerank_keep(mcc_prerank *p, float floor);
void mcc_prerank_free(mcc_prerank *p);

#endif
