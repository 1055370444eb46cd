/* compress.c - compressing a model trained elsewhere (`memcom compress`):
 * each item table's vectors, reconstructed through the public API, become a
 * memcom table of the default variant (docs/METHOD.md section 1.3,
 * memcom-learned-pop): the most popular items (the first indices) own rows,
 * the others share rows assigned by sign-free spherical k-means (kmeans.c),
 * w by least squares.  Layers (a ranker's head too), biases, ids are copied; the metadata records
 * the compression and keeps the source's.  No training: fine-tuning on data
 * is `memcom train --init-from` (the CLI forwards to it). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "train.h"

/* The compressed table of one role: fills td (its arrays owned by the caller's frees). */
static int compress_table(memcom_model *src, memcom_which role, const memcom_table_desc *in,
                          const mt_compress_opts *o, memcom_table_data *td, float **vecs_out,
                          mt_compress_table *res, mt_err *err)
{
    uint32_t n = in->n, d = in->d;
    int row_dtype = o->row_dtype ? o->row_dtype : (int)in->row_dtype;
    if (row_dtype != MEMCOM_DTYPE_F32 && row_dtype != MEMCOM_DTYPE_F16 && row_dtype != MEMCOM_DTYPE_I8)
        row_dtype = MEMCOM_DTYPE_F32;
    mt_tsize s;   /* the rows that fit 1/ratio of the full f32 table, stored as row_dtype */
    if (mt_size_table(MT_T_MEMCOM_LEARNED_POP, n, d, o->ratio, 0, o->pop_frac, MEMCOM_DTYPE_F16, row_dtype, &s, err))
        return -1;
    float *vecs = mt_xmalloc((size_t)n * d * sizeof(float));
    for (uint32_t i = 0; i < n; i++) memcom_lookup(src, role, i, vecs + (size_t)i * d);
    float *rows = mt_xmalloc((size_t)s.m * d * sizeof(float));
    float *w = mt_xmalloc((size_t)n * sizeof(float));
    uint32_t *bucket = mt_xmalloc((size_t)n * sizeof(uint32_t));
    double t0 = mt_now();
    mt_kmeans_buckets(vecs, n, d, s.m, s.pop, o->iters, o->threads, o->seed, bucket, rows, w);
    memset(td, 0, sizeof *td);
    memcom_table_desc dd = {MEMCOM_KIND_MEMCOM, n, s.m, d, (uint32_t)s.row_dtype, MEMCOM_DTYPE_F16,
                            MEMCOM_BUCKET_EXPLICIT, s.m <= 65536 ? MEMCOM_DTYPE_U16 : MEMCOM_DTYPE_U32, 0};
    td->desc = dd;
    td->rows_a = rows;
    td->scalars = w;
    td->buckets = bucket;
    *vecs_out = vecs;
    res->present = 1;
    res->n = n;
    res->d = d;
    res->m = s.m;
    res->pop = s.pop;
    res->seconds = mt_now() - t0;
    return 0;
}

static void free_table(memcom_table_data *td)
{
    free((void *)td->rows_a);
    free((void *)td->scalars);
    free((void *)td->buckets);
}

/* ||V - E||_F / ||V||_F over the rows of a written table (E through the public API). */
static double rel_error(memcom_model *m, memcom_which role, const float *vecs, uint32_t n, uint32_t d)
{
    float *e = mt_xmalloc(d * sizeof(float));
    double num = 0, den = 0;
    for (uint32_t i = 0; i < n; i++) {
        memcom_lookup(m, role, i, e);
        for (uint32_t k = 0; k < d; k++) {
            double v = vecs[(size_t)i * d + k], diff = v - e[k];
            num += diff * diff;
            den += v * v;
        }
    }
    free(e);
    return den > 0 ? sqrt(num / den) : 0;
}

int mt_compress(const char *in_path, const char *out_path, const mt_compress_opts *o, mt_compress_result *res,
                mt_err *err)
{
    memset(res, 0, sizeof *res);
    mt_path outs[1] = {{out_path, "-o", 0}}, ins[1] = {{in_path, "the model to compress", 0}};
    if (mt_check_outputs(outs, 1, ins, 1, err)) return -1;
    memcom_model *src = NULL;
    char detail[512];
    int rc = memcom_open_file(&src, in_path, 0, detail, sizeof detail);
    if (rc) return mt_fail(err, MT_E_MODEL, "cannot open %s: %s (%s)", in_path, memcom_error_name(rc), detail);
    memcom_info info;
    memcom_get_info(src, &info);
    const memcom_table_desc *descs[2] = {&info.input, &info.output};
    memcom_table_data tds[2];
    float *vecs[2] = {NULL, NULL};
    memset(tds, 0, sizeof tds);
    int failed = 0;
    for (int r = 0; r < 2 && !failed; r++) {
        if (descs[r]->kind == MEMCOM_KIND_NONE) continue;
        if (!o->quiet)
            fprintf(stderr, "compressing the %s table (n = %u, d = %u, %s) to 1/%g of full f32 ...\n",
                    r ? "output" : "input", descs[r]->n, descs[r]->d, memcom_enum_name(MEMCOM_NAMES_KIND, descs[r]->kind),
                    o->ratio);
        failed = compress_table(src, (memcom_which)r, descs[r], o, &tds[r], &vecs[r], &res->table[r], err);
        if (!failed && !o->quiet)
            fprintf(stderr, "  m = %u rows (%u for the most popular items), k-means %.1f s\n", res->table[r].m,
                    res->table[r].pop, res->table[r].seconds);
    }
    /* the rest of the model, copied as f32 (the writer stores the bias as the source did) */
    /* the layers, then a ranker's head layers */
    uint32_t nl = info.n_layers + info.n_head_layers;
    memcom_layer_data *layers = mt_xcalloc(nl ? nl : 1, sizeof *layers);
    float **lw = mt_xcalloc(nl ? nl : 1, sizeof *lw), **lb = mt_xcalloc(nl ? nl : 1, sizeof *lb);
    float *bias = NULL;
    const char **ids = NULL;
    uint32_t *id_len = NULL;
    mt_buf meta = {0};
    for (uint32_t l = 0; !failed && l < nl; l++) {
        memcom_layer_info li;
        int head = l >= info.n_layers;
        uint32_t at = head ? l - info.n_layers : l;
        if (head)
            memcom_get_head_layer(src, at, &li);
        else
            memcom_get_layer(src, at, &li);
        lw[l] = li.has_weight ? mt_xmalloc((size_t)li.out_dim * li.in_dim * sizeof(float)) : NULL;
        lb[l] = li.has_bias ? mt_xmalloc((size_t)li.out_dim * sizeof(float)) : NULL;
        if (head)
            memcom_copy_head_layer(src, at, lw[l], lb[l]);
        else
            memcom_copy_layer(src, at, lw[l], lb[l]);
        memcom_layer_data L = {li.in_dim, li.out_dim, li.activation, lw[l], lb[l]};
        layers[l] = L;
    }
    if (!failed && info.bias_dtype) {
        bias = mt_xmalloc((size_t)info.n_items * sizeof(float));
        memcom_copy_output_bias(src, bias);
    }
    if (!failed && info.has_ids) {
        ids = mt_xmalloc((size_t)info.n_items * sizeof *ids);
        id_len = mt_xmalloc((size_t)info.n_items * sizeof *id_len);
        for (uint32_t i = 0; i < info.n_items; i++) {
            const char *p;
            size_t len;
            memcom_get_id(src, i, &p, &len);
            ids[i] = mt_xstrdup(p, len);
            id_len[i] = (uint32_t)len;
        }
    }
    if (!failed) {
        size_t mlen = 0;
        const char *src_meta = memcom_metadata(src, &mlen);
        mt_buf_printf(&meta, "{\"compressed_by\":\"memcom compress\",\"ratio\":%g,\"pop_frac\":%g,\"seed\":%llu,"
                      "\"source\":", o->ratio, o->pop_frac, (unsigned long long)o->seed);
        mt_buf_json_string(&meta, in_path);
        mt_buf_printf(&meta, ",\"source_metadata\":%.*s}", mlen ? (int)mlen : 2, mlen ? src_meta : "{}");
    }
    void *bytes = NULL;
    size_t size = 0;
    if (!failed) {
        memcom_model_data md;
        memset(&md, 0, sizeof md);
        md.input = tds[0];
        md.output = tds[1];
        md.n_layers = info.n_layers;
        md.layers = layers;
        md.n_head_layers = info.n_head_layers;
        md.head_layers = info.n_head_layers ? layers + info.n_layers : NULL;
        md.output_bias = bias;
        md.bias_dtype = info.bias_dtype;
        md.ids = ids;
        md.id_lengths = id_len;
        md.id_encoding = o->string_ids ? MEMCOM_IDS_STRINGS : MEMCOM_IDS_COMPACT; /* as memcom train writes them */
        md.metadata_json = meta.p;
        rc = memcom_write_memory(&md, &bytes, &size, detail, sizeof detail);
        if (rc) failed = mt_fail(err, MT_E_WRITE, "cannot write the compressed model: %s (%s)", memcom_error_name(rc), detail);
    }
    /* measure the written model, then write it */
    memcom_model *out = NULL;
    if (!failed) {
        rc = memcom_open(&out, bytes, size, MEMCOM_OPEN_COPY, 0, detail, sizeof detail);
        if (rc) failed = mt_fail(err, MT_E_WRITE, "the compressed model does not open: %s (%s)", memcom_error_name(rc), detail);
    }
    if (!failed) {
        memcom_info oi;
        memcom_get_info(out, &oi);
        for (int r = 0; r < 2; r++)
            if (res->table[r].present)
                res->table[r].rel_error = rel_error(out, (memcom_which)r, vecs[r], descs[r]->n, descs[r]->d);
        res->file_bytes = oi.file_bytes;
        uint64_t tb = oi.input_bytes + oi.output_bytes;
        res->ratio = tb ? (double)oi.full_f32_bytes / (double)tb : 0;
        memcom_close(out);
        failed = mt_write_atomic(out_path, bytes, size, err);
    }
    memcom_free(bytes);
    for (int r = 0; r < 2; r++) {
        free_table(&tds[r]);
        free(vecs[r]);
    }
    for (uint32_t l = 0; l < nl; l++) {
        free(lw[l]);
        free(lb[l]);
    }
    free(lw);
    free(lb);
    free(layers);
    free(bias);
    if (ids)
        for (uint32_t i = 0; i < info.n_items; i++) free((void *)ids[i]);
    free((void *)ids);
    free(id_len);
    mt_buf_free(&meta);
    memcom_close(src);
    return failed ? -1 : 0;
}
