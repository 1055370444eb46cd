/*
 * bench/native/dump_model.c - a model's stored values as JSON, for the
 * user-facing benchmark (bench/catalogue.js), which resamples the demo's
 * trained models into 1M-item catalogues and so needs each item's w, bucket
 * and bias, which the public API does not hand out one by one.
 *
 *   dump_model FILE.memcom > FILE.json
 *
 * Prints { n, d, input, output, bias, layers }: each table as { kind, n, m, d,
 * rowDtype, bucketMode, rows (m x d, f32: int8 rows dequantised, f16
 * widened), w (n scalars, memcom only), buckets (n, every item's bucket
 * whatever the mode) }; layers as { in, out, activation, weight, bias }
 * (null when the layer stores none).  Values print with 9 significant digits,
 * which round-trips f32.  Reads the file through the format layer's validated
 * view (src/format/view.h): it checks the file exactly as memcom_open does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "format/view.h"

static uint8_t *read_all(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    size_t cap = ((len > 0 ? (size_t)len : 1) + 63) & ~(size_t)63;
    uint8_t *buf = aligned_alloc(64, cap);
    if (buf && fread(buf, 1, (size_t)len, f) != (size_t)len) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *size = (size_t)len;
    return buf;
}

static void floats(const char *name, const float *x, size_t len, int comma)
{
    printf("\"%s\":[", name);
    for (size_t i = 0; i < len; i++) printf(i ? ",%.9g" : "%.9g", (double)x[i]);
    printf("]%s", comma ? "," : "");
}

static float row_value(const mcc_table *t, uint64_t r, uint32_t j)
{
    size_t at = (size_t)r * t->desc.d + j;
    switch (t->desc.row_dtype) {
    case MEMCOM_DTYPE_I8: return t->a_scale[r] * (float)((const int8_t *)t->a)[at];
    case MEMCOM_DTYPE_F16: return mcc_f16_to_f32(((const uint16_t *)t->a)[at]);
    default: return ((const float *)t->a)[at];
    }
}

static uint32_t bucket_of(const mcc_table *t, uint32_t i)
{
    switch (t->desc.bucket_mode) {
    case MEMCOM_BUCKET_MOD: return i % t->desc.m;
    case MEMCOM_BUCKET_HASH: return memcom_hash_bucket(i, t->desc.hash_seed, t->desc.m);
    case MEMCOM_BUCKET_EXPLICIT:
        return t->desc.bucket_dtype == MEMCOM_DTYPE_U16 ? ((const uint16_t *)t->buckets)[i] : ((const uint32_t *)t->buckets)[i];
    default: return i;
    }
}

static int table(const char *name, const mcc_table *t)
{
    const memcom_table_desc *d = &t->desc;
    printf("\"%s\":", name);
    if (d->kind == MEMCOM_KIND_NONE) {
        printf("null,");
        return 0;
    }
    if (d->kind != MEMCOM_KIND_FULL && d->kind != MEMCOM_KIND_MEMCOM) {
        fprintf(stderr, "dump_model: %s table: kind %s is not dumped (full and memcom only)\n", name,
                memcom_enum_name(MEMCOM_NAMES_KIND, d->kind));
        return 1;
    }
    uint64_t rows = mcc_table_rows_a(d);
    printf("{\"kind\":\"%s\",\"n\":%u,\"m\":%u,\"d\":%u,\"rowDtype\":\"%s\",\"bucketMode\":\"%s\",",
           memcom_enum_name(MEMCOM_NAMES_KIND, d->kind), d->n, d->m, d->d,
           memcom_enum_name(MEMCOM_NAMES_DTYPE, d->row_dtype), memcom_enum_name(MEMCOM_NAMES_BUCKET_MODE, d->bucket_mode));
    float *buf = malloc(sizeof(float) * (rows * d->d > d->n ? rows * d->d : d->n) + 4);
    if (!buf) return 1;
    for (uint64_t r = 0; r < rows; r++)
        for (uint32_t j = 0; j < d->d; j++) buf[r * d->d + j] = row_value(t, r, j);
    floats("rows", buf, (size_t)rows * d->d, 1);
    if (d->kind == MEMCOM_KIND_MEMCOM) {
        for (uint32_t i = 0; i < d->n; i++) buf[i] = mcc_f32_or_f16_at(t->w, d->scalar_dtype, i);
        floats("w", buf, d->n, 1);
        printf("\"buckets\":[");
        for (uint32_t i = 0; i < d->n; i++) printf(i ? ",%u" : "%u", bucket_of(t, i));
        printf("],");
    }
    printf("\"bytes\":%llu},", (unsigned long long)t->bytes);
    free(buf);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: dump_model FILE.memcom > FILE.json\n");
        return 2;
    }
    size_t size = 0;
    uint8_t *data = read_all(argv[1], &size);
    if (!data) {
        fprintf(stderr, "dump_model: cannot read %s\n", argv[1]);
        return 1;
    }
    mcc_view v;
    char detail[256] = "";
    int rc = mcc_read(data, size, 0, NULL, &v, detail, sizeof detail);
    if (rc) {
        fprintf(stderr, "dump_model: %s: %s (%s)\n", argv[1], memcom_error_name(rc), detail);
        return 1;
    }
    printf("{\"n\":%u,\"d\":%u,", v.n, v.output.desc.d);
    if (table("input", &v.input) || table("output", &v.output)) return 1;
    float *bias = malloc(sizeof(float) * v.n + 4);
    if (!bias) return 1;
    for (uint32_t i = 0; i < v.n; i++) bias[i] = v.bias ? mcc_f32_or_f16_at(v.bias, v.bias_dtype, i) : 0.0f;
    floats("bias", bias, v.n, 1);
    free(bias);
    printf("\"layers\":[");
    for (uint32_t l = 0; l < v.n_layers; l++) {
        const mcc_layer *L = &v.layers[l];
        printf("%s{\"in\":%u,\"out\":%u,\"activation\":\"%s\",", l ? "," : "", L->in, L->out,
               memcom_enum_name(MEMCOM_NAMES_ACTIVATION, L->act));
        if (L->w) floats("weight", L->w, (size_t)L->in * L->out, 1);
        else printf("\"weight\":null,");
        if (L->b) floats("bias", L->b, L->out, 0);
        else printf("\"bias\":null");
        printf("}");
    }
    printf("]}\n");
    free(data);
    return 0;
}
