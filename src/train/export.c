/* export.c - the trained model as a memcom_model_data for memcom_write_memory
 * (which quantises f32 to the requested storage type); written atomically
 * by outfile.c. */
#include <stdlib.h>
#include <string.h>

#include "train.h"

static void table_data(const mt_model *mdl, const mt_table *t, int row_dtype, memcom_table_data *td)
{
    if (!row_dtype) row_dtype = t->row_dtype ? t->row_dtype : MEMCOM_DTYPE_F32;
    memset(td, 0, sizeof *td);
    memcom_table_desc *dd = &td->desc;
    dd->kind = (uint32_t)mt_tkind_core(t->kind);
    dd->n = t->n;
    dd->m = t->kind == MT_T_FULL ? t->n : t->m;
    dd->d = t->d;
    dd->row_dtype = (uint32_t)row_dtype;
    td->rows_a = mdl->params[t->pidx_a].v;
    if (t->kind == MT_T_QR) td->rows_b = mdl->params[t->pidx_b].v;
    if (mt_tkind_is_memcom(t->kind)) {
        dd->scalar_dtype = (uint32_t)(t->scalar_dtype ? t->scalar_dtype : MEMCOM_DTYPE_F32);
        td->scalars = mdl->params[t->pidx_w].v;
    }
    if (t->kind != MT_T_FULL && t->kind != MT_T_QR) {
        if (mt_tkind_explicit(t->kind)) {
            dd->bucket_mode = MEMCOM_BUCKET_EXPLICIT;
            dd->bucket_dtype = t->m <= 65536 ? MEMCOM_DTYPE_U16 : MEMCOM_DTYPE_U32;
            td->buckets = t->bucket;
        } else {
            dd->bucket_mode = MEMCOM_BUCKET_MOD;
        }
    }
}

int mt_export_bytes(const mt_model *mdl, const mt_dataset *ds, const mt_export_opts *eo, void **out,
                    size_t *size, mt_err *err)
{
    int row_dtype = eo ? eo->row_dtype : MEMCOM_DTYPE_F32;
    memcom_model_data md;
    memset(&md, 0, sizeof md);
    table_data(mdl, &mdl->in, row_dtype, &md.input);
    table_data(mdl, &mdl->out, row_dtype, &md.output);
    memcom_layer_data layers[MT_MAX_LAYERS];
    memset(layers, 0, sizeof layers);
    layers[0].in_dim = layers[0].out_dim = mdl->d;
    layers[0].activation = MEMCOM_ACT_TANH;
    layers[0].weight = NULL;
    layers[0].bias = mdl->params[mdl->pidx_b0].v;
    for (uint32_t l = 1; l <= mdl->n_dense; l++) {
        layers[l].in_dim = layers[l].out_dim = mdl->d;
        layers[l].activation = MEMCOM_ACT_TANH;
        layers[l].weight = mdl->params[mdl->pidx_w[l]].v;
        layers[l].bias = mdl->params[mdl->pidx_b[l]].v;
    }
    md.n_layers = 1 + mdl->n_dense;
    md.layers = layers;
    memcom_layer_data head[MT_MAX_HEAD];   /* a ranker's head g (format 1.2) */
    memset(head, 0, sizeof head);
    for (uint32_t l = 0; l < mdl->n_head; l++) {
        head[l].in_dim = mdl->head_dim[l];
        head[l].out_dim = mdl->head_dim[l + 1];
        head[l].activation = l + 1 < mdl->n_head ? MEMCOM_ACT_RELU : MEMCOM_ACT_NONE;
        head[l].weight = mdl->params[mdl->pidx_hw[l]].v;
        head[l].bias = mdl->params[mdl->pidx_hb[l]].v;
    }
    md.n_head_layers = mdl->n_head;
    md.head_layers = mdl->n_head ? head : NULL;
    md.output_bias = mdl->params[mdl->pidx_bias].v;
    md.bias_dtype = (uint32_t)(eo && eo->bias_dtype ? eo->bias_dtype : MEMCOM_DTYPE_F32);
    md.ids = (const char *const *)ds->item_ids;
    md.id_encoding = eo && eo->string_ids ? MEMCOM_IDS_STRINGS : MEMCOM_IDS_COMPACT;
    md.metadata_json = eo ? eo->metadata_json : NULL;
    char detail[512] = "";
    *out = NULL;
    *size = 0;
    int rc = memcom_write_memory(&md, out, size, detail, sizeof detail);
    if (rc != MEMCOM_OK)
        return mt_fail(err, MT_E_WRITE, "cannot serialise the model: %s%s%s", memcom_error_message(rc),
                       detail[0] ? ": " : "", detail);
    return 0;
}

int mt_export_model(const mt_model *mdl, const mt_dataset *ds, const char *path, const mt_export_opts *eo,
                    mt_err *err)
{
    void *buf;
    size_t size;
    if (mt_export_bytes(mdl, ds, eo, &buf, &size, err)) return -1;
    int rc = mt_write_atomic(path, buf, size, err);
    memcom_free(buf);
    return rc;
}
