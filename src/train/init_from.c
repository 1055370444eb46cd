/* init_from.c - warm start from an existing .memcom file (typically the full
 * model of the same data): its item vectors, reconstructed through the public
 * API whatever their kind and storage, matched to the data set by id string,
 * and its biases and dense layers (read from the validated file's sections).
 * The learned-bucket variants cluster these vectors instead of running their
 * own warm-up. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "train.h"

static uint32_t rd32(const unsigned char *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t rd64(const unsigned char *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }

static float half_to_float(uint16_t h)
{
    int e = (h >> 10) & 31, m = h & 1023;
    float v = e == 0 ? ldexpf((float)m, -24) : e == 31 ? (m ? NAN : INFINITY) : ldexpf((float)(m | 1024), e - 25);
    return (h & 0x8000) ? -v : v;
}

/* Copy section (type, index) into dst (count floats) if present with that size. */
static int copy_section(const unsigned char *buf, size_t size, uint32_t type, uint32_t index, float *dst,
                        size_t count)
{
    uint32_t nsec = rd32(buf + 32);
    uint64_t dir = rd64(buf + 40);
    for (uint32_t s = 0; s < nsec; s++) {
        if (dir > size || 32ull * s + 32 > size - dir) return 0; /* bounds before forming the pointer */
        const unsigned char *e = buf + dir + 32ull * s;
        if (rd32(e) != type || rd32(e + 4) != index) continue;
        uint64_t off = rd64(e + 8), len = rd64(e + 16);
        uint32_t dt = rd32(e + 24);
        if (off > size || len > size - off) return 0; /* off + len could wrap around */
        if (dt == MEMCOM_DTYPE_F32 && len == count * 4) {
            for (size_t i = 0; i < count; i++) {
                uint32_t u = rd32(buf + off + 4 * i);
                memcpy(&dst[i], &u, 4);
            }
            return 1;
        }
        if (dt == MEMCOM_DTYPE_F16 && len == count * 2) {
            for (size_t i = 0; i < count; i++)
                dst[i] = half_to_float((uint16_t)(buf[off + 2 * i] | buf[off + 2 * i + 1] << 8));
            return 1;
        }
        return 0;
    }
    return 0;
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
    float *obias = NULL;
    /* read the raw sections for biases and layers */
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    size_t size = (size_t)info.file_bytes;
    if (f) {
        buf = mt_xmalloc(size);
        if (fread(buf, 1, size, f) != size) {
            free(buf);
            buf = NULL;
        }
        fclose(f);
    }
    if (buf) {
        obias = mt_xmalloc((size_t)info.n_items * sizeof *obias);
        if (!copy_section(buf, size, 10, 0, obias, info.n_items)) memset(obias, 0, (size_t)info.n_items * sizeof *obias);
        if (info.n_layers == 1 + shape->n_dense) {
            copy_section(buf, size, 9, 0, warm->params[warm->pidx_b0].v, d);
            for (uint32_t l = 1; l <= shape->n_dense; l++) {
                copy_section(buf, size, 8, l, warm->params[warm->pidx_w[l]].v, (size_t)d * d);
                copy_section(buf, size, 9, l, warm->params[warm->pidx_b[l]].v, d);
            }
        }
    }
    for (uint32_t i = 0; i < ds->n_items; i++) {
        uint32_t idx;
        const char *id = ds->item_ids[i];
        if (memcom_find_id(m, id, strlen(id), &idx) != MEMCOM_OK) continue;
        memcom_lookup(m, MEMCOM_INPUT, idx, in + (size_t)i * d);
        memcom_lookup(m, MEMCOM_OUTPUT, idx, out + (size_t)i * d);
        if (obias) bias[i] = obias[idx];
        matched++;
    }
    free(obias);
    free(buf);
    memcom_close(m);
    if (matched == 0) {
        mt_model_free(warm);
        return mt_fail(err, MT_E_INIT_FROM, "--init-from %s: no item id of the data set is in that model", path);
    }
    return 0;
}
