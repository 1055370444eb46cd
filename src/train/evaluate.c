/* evaluate.c - LightGCN++ protocol over a trained model, in threads: for each
 * user with held-out items, rank all items except the user's training items. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "train.h"

#define EVAL_CHUNK 256u

static int u32_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : (x > y);
}

typedef struct eval_job {
    const mt_model *mdl;
    const mt_dataset *ds;
    const mt_csr *truth;
    const uint32_t *users;
    uint32_t n_users;
    int part, n_parts;
    mt_metrics sum;
} eval_job;

static void *eval_thread(void *arg)
{
    eval_job *j = arg;
    const mt_model *mdl = j->mdl;
    mt_work w;
    mt_work_init(&w, mdl, EVAL_CHUNK, 7);
    uint32_t top[64];
    uint32_t kmax = mt_eval_ks[MT_N_KS - 1];
    memset(&j->sum, 0, sizeof j->sum);
    uint32_t n_chunks = (j->n_users + EVAL_CHUNK - 1) / EVAL_CHUNK;
    for (uint32_t c = (uint32_t)j->part; c < n_chunks; c += (uint32_t)j->n_parts) {
        const uint32_t *us = j->users + (size_t)c * EVAL_CHUNK;
        uint32_t b = j->n_users - c * EVAL_CHUNK;
        if (b > EVAL_CHUNK) b = EVAL_CHUNK;
        mt_dae_scores(mdl, &w, &j->ds->train, us, b);
        for (uint32_t u = 0; u < b; u++) {
            uint32_t user = us[u];
            const mt_csr *tr = &j->ds->train;
            uint32_t nt = (uint32_t)(tr->off[user + 1] - tr->off[user]);
            /* mask the training items (S is scratch), rank, then drop any
             * masked item that filled a slot of a tiny catalogue */
            float *row = w.S + (size_t)u * mdl->n;
            const uint32_t *ex = tr->idx + tr->off[user];
            for (uint32_t q = 0; q < nt; q++) row[ex[q]] = -INFINITY;
            uint32_t got = mt_topk_scores(row, mdl->n, NULL, 0, kmax, top);
            while (got > 0 && row[top[got - 1]] == -INFINITY && bsearch(&top[got - 1], ex, nt, sizeof *ex, u32_cmp))
                got--;
            const uint32_t *truth = j->truth->idx + j->truth->off[user];
            uint32_t ntr = (uint32_t)(j->truth->off[user + 1] - j->truth->off[user]);
            const float *grade = j->truth->val ? j->truth->val + j->truth->off[user] : NULL;
            mt_metrics_add_user_graded(&j->sum, top, got, truth, grade, ntr);
        }
    }
    mt_work_free(&w, mdl);
    return NULL;
}

int mt_evaluate(const mt_model *mdl, const mt_dataset *ds, const mt_csr *truth, int n_threads, mt_metrics *out)
{
    memset(out, 0, sizeof *out);
    uint32_t *users = mt_xmalloc((size_t)(ds->n_users ? ds->n_users : 1) * sizeof *users);
    uint32_t nu = 0;
    for (uint32_t u = 0; u < ds->n_users && u < truth->n_rows; u++)
        if (truth->off[u + 1] > truth->off[u]) users[nu++] = u;
    if (n_threads < 1) n_threads = 1;
    if (n_threads > 16) n_threads = 16;
    eval_job jobs[16];
    pthread_t th[16];
    for (int t = 0; t < n_threads; t++) {
        memset(&jobs[t], 0, sizeof jobs[t]);
        jobs[t] = (eval_job){.mdl = mdl, .ds = ds, .truth = truth, .users = users, .n_users = nu, .part = t,
                             .n_parts = n_threads};
        if (t > 0 && pthread_create(&th[t], NULL, eval_thread, &jobs[t]) != 0) {
            n_threads = t;
            break;
        }
    }
    eval_thread(&jobs[0]);
    for (int t = 1; t < n_threads; t++) pthread_join(th[t], NULL);
    for (int t = 0; t < n_threads; t++) mt_metrics_add(out, &jobs[t].sum);
    mt_metrics_average(out);
    free(users);
    return 0;
}
