/* init_from.c - warm start from an existing .memcom file (typically the full
 * model of the same data): its item vectors, reconstructed through the public
 * API whatever their kind and storage, matched to the data set by id string,
 * and its biases and dense layers (memcom_copy_output_bias, memcom_copy_layer),
 * and a ranker's head when both are rankers of the same head shape.
 * The learned-bucket variants cluster these vectors instead of running their
 * own warm-up. */
#include <stdlib.h>
#include <string.h>

#include "train.h"

/* Copy dense layer l's stored weight and bias into the warm model's when
 * they have its shapes (d x d, d); what the file does not store stays as
 * initialised. */
static void copy_layer(const memcom_model *m, uint32_t l, uint32_t d, float *w, float *b)
{
    memcom_layer_info L;
    if (memcom_get_layer(m, l, &L) != MEMCOM_OK || L.out_dim != d) return;
    memcom_copy_layer(m, l, w && L.has_weight && L.in_dim == d ? w : NULL, b && L.has_bias ? b : NULL);
}

int mt_load_warm(const char *path, const mt_dataset *ds, const mt_model_opts *shape, mt_model *warm, mt_err *err)
{
    memcom_model *m = NULL;
    char detail[512] = "";
    int rc = memcom_open_file(&m, path, 0, detail, sizeof detail);
    if (rc != MEMCOM_OK)
        return mt_fail(err, MT_E_INIT_FROM, "--init-from %s: %s%s%s", path, memcom_error_message(rc), detail[0] ? ": " : "", detail);
    memcom_info info;
    memcom_get_info(m, &info);
    uint32_t d = shape->d;
    if (info.input.kind == MEMCOM_KIND_NONE || info.output.d != d || info.input.d != d || !info.has_ids) {
        memcom_close(m);
        return mt_fail(err, MT_E_INIT_FROM, "--init-from %s: needs a model with input and output tables of dimension %u and item ids",
                       path, d);
    }
    mt_model_opts wo = *shape;
    wo.in_kind = wo.out_kind = MT_T_FULL;
    wo.in_size.m = wo.out_size.m = ds->n_items;
    if (mt_model_init(warm, ds->n_items, &wo, NULL, NULL, 1, err)) {
        memcom_close(m);
        return -1;
    }
    float *in = warm->params[warm->in.pidx_a].v, *out = warm->params[warm->out.pidx_a].v;
    float *bias = warm->params[warm->pidx_bias].v;
    uint32_t matched = 0;
    /* the output bias and the dense layers, as f32 whatever their storage */
    float *obias = mt_xmalloc((size_t)info.n_items * sizeof *obias);
    memcom_copy_output_bias(m, obias);
    if (info.n_layers == 1 + shape->n_dense) {
        copy_layer(m, 0, d, NULL, warm->params[warm->pidx_b0].v);
        for (uint32_t l = 1; l <= shape->n_dense; l++)
            copy_layer(m, l, d, warm->params[warm->pidx_w[l]].v, warm->params[warm->pidx_b[l]].v);
    }
    /* a ranker's head, when the file has one of the same shape */
    if (warm->n_head && info.n_head_layers == warm->n_head) {
        int same = 1;
        memcom_layer_info L;
        for (uint32_t l = 0; l < warm->n_head; l++)
            same &= memcom_get_head_layer(m, l, &L) == MEMCOM_OK && L.in_dim == warm->head_dim[l] &&
                    L.out_dim == warm->head_dim[l + 1] && L.has_weight;
        for (uint32_t l = 0; same && l < warm->n_head; l++) {
            memcom_get_head_layer(m, l, &L);
            memcom_copy_head_layer(m, l, warm->params[warm->pidx_hw[l]].v,
                                   L.has_bias ? warm->params[warm->pidx_hb[l]].v : NULL);
        }
    }
    for (uint32_t i = 0; i < ds->n_items; i++) {
        uint32_t idx;
        const char *id = ds->item_ids[i];
        if (memcom_find_id(m, id, strlen(id), &idx) != MEMCOM_OK) continue;
        memcom_lookup(m, MEMCOM_INPUT, idx, in + (size_t)i * d);
        memcom_lookup(m, MEMCOM_OUTPUT, idx, out + (size_t)i * d);
        bias[i] = obias[idx];
        matched++;
    }
    free(obias);
    memcom_close(m);
    if (matched == 0) {
        mt_model_free(warm);
        return mt_fail(err, MT_E_INIT_FROM, "--init-from %s: no item id of the data set is in that model", path);
    }
    return 0;
}
