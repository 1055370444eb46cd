/* test_write.c - writer argument checks, quantisation, round trips through
 * files, and the atomic write (no temporary left, old file intact on error). */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"

static int count_tmp_files(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    if (!d) return -1;
    while ((e = readdir(d)) != NULL)
        if (strstr(e->d_name, ".tmp-")) n++;
    closedir(d);
    return n;
}

static void test_writer_errors(void)
{
    f_model fm;
    memset(&fm, 0, sizeof fm);
    f_table_make(&fm.out, f_desc(MEMCOM_KIND_MEMCOM, 50, 10, 4, MEMCOM_DTYPE_F16, MEMCOM_DTYPE_F16, MEMCOM_BUCKET_MOD, 0, 0), 1);
    void *bytes = NULL;
    size_t size = 0;
    char detail[200];
    memcom_model_data md;
    memset(&md, 0, sizeof md);
    CHECK_CODE(memcom_write_memory(NULL, &bytes, &size, detail, sizeof detail), MEMCOM_E_ARG);
    CHECK_CODE(memcom_write_memory(&md, &bytes, &size, detail, sizeof detail), MEMCOM_E_TABLE_KIND);
    md.output = fm.out.data;
    CHECK_CODE(memcom_write_memory(&md, &bytes, &size, detail, sizeof detail), MEMCOM_OK);
    memcom_free(bytes);
    md.output.desc.m = 51;
    CHECK_CODE(memcom_write_memory(&md, &bytes, &size, detail, sizeof detail), MEMCOM_E_SIZES);
    md.output = fm.out.data;
    md.output.scalars = NULL;
    CHECK_CODE(memcom_write_memory(&md, &bytes, &size, detail, sizeof detail), MEMCOM_E_ARG);
    md.output = fm.out.data;
    md.output.desc.bucket_mode = MEMCOM_BUCKET_NONE;
    CHECK_CODE(memcom_write_memory(&md, &bytes, &size, detail, sizeof detail), MEMCOM_E_BUCKET_MODE);
    md.output = fm.out.data;
    md.output.desc.row_dtype = MEMCOM_DTYPE_U16;
    CHECK_CODE(memcom_write_memory(&md, &bytes, &size, detail, sizeof detail), MEMCOM_E_TABLE_DTYPE);
    md.output = fm.out.data;
    fm.out.a[5] = NAN;
    CHECK_CODE(memcom_write_memory(&md, &bytes, &size, detail, sizeof detail), MEMCOM_E_NONFINITE_INPUT);
    fm.out.a[5] = 1e6f; /* beyond f16 */
    CHECK_CODE(memcom_write_memory(&md, &bytes, &size, detail, sizeof detail), MEMCOM_E_NONFINITE_INPUT);
    CHECK(strstr(detail, "f16") != NULL);
    fm.out.a[5] = 0.5f;
    /* explicit buckets out of range */
    uint32_t bk[50] = {0};
    bk[7] = 10;
    md.output.desc.bucket_mode = MEMCOM_BUCKET_EXPLICIT;
    md.output.desc.bucket_dtype = MEMCOM_DTYPE_U16;
    md.output.buckets = bk;
    CHECK_CODE(memcom_write_memory(&md, &bytes, &size, detail, sizeof detail), MEMCOM_E_BUCKET_RANGE);
    md.output = fm.out.data;
    /* ids: duplicate, bad UTF-8 */
    const char *ids[50];
    char store[50][8];
    for (int i = 0; i < 50; i++) { snprintf(store[i], 8, "x%d", i); ids[i] = store[i]; }
    md.ids = ids;
    CHECK_CODE(memcom_write_memory(&md, &bytes, &size, detail, sizeof detail), MEMCOM_OK);
    memcom_free(bytes);
    ids[9] = "x3";
    CHECK_CODE(memcom_write_memory(&md, &bytes, &size, detail, sizeof detail), MEMCOM_E_IDS_DUP);
    ids[9] = "\xff";
    CHECK_CODE(memcom_write_memory(&md, &bytes, &size, detail, sizeof detail), MEMCOM_E_IDS_UTF8);
    ids[9] = "";
    CHECK_CODE(memcom_write_memory(&md, &bytes, &size, detail, sizeof detail), MEMCOM_E_IDS_UTF8);
    md.ids = NULL;
    md.metadata_json = "not json";
    CHECK_CODE(memcom_write_memory(&md, &bytes, &size, detail, sizeof detail), MEMCOM_E_METADATA);
    md.metadata_json = NULL;
    /* layers that do not chain */
    md.input = fm.out.data;
    memcom_layer_data L = {4, 3, 1, NULL, NULL};
    md.layers = &L;
    md.n_layers = 1;
    CHECK_CODE(memcom_write_memory(&md, &bytes, &size, detail, sizeof detail), MEMCOM_E_LAYERS);
    f_table_free(&fm.out);
}

/* i8 quantisation: scale = max|x|/127, values within half a step */
static void test_quantisation(void)
{
    f_model fm;
    memset(&fm, 0, sizeof fm);
    t_rng r = {3};
    uint32_t n = 40, d = 24;
    fm.out.data.desc = f_desc(MEMCOM_KIND_FULL, n, n, d, MEMCOM_DTYPE_I8, 0, 0, 0, 0);
    fm.out.a = malloc(sizeof(float) * n * d);
    for (uint32_t k = 0; k < n * d; k++) fm.out.a[k] = t_uniform(&r) * 3.0f;
    for (uint32_t j = 0; j < d; j++) fm.out.a[5 * d + j] = 0.0f; /* an all-zero row: scale 0 */
    fm.out.data.rows_a = fm.out.a;
    CHECK(f_model_build(&fm) == 0);
    float e[24];
    int ok = 1;
    for (uint32_t i = 0; i < n && fm.m; i++) {
        memcom_lookup(fm.m, MEMCOM_OUTPUT, i, e);
        float mx = 0;
        for (uint32_t j = 0; j < d; j++) mx = fmaxf(mx, fabsf(fm.out.a[i * d + j]));
        for (uint32_t j = 0; j < d; j++)
            if (fabsf(e[j] - fm.out.a[i * d + j]) > mx / 127.0f * 0.5001f + 1e-7f) ok = 0;
    }
    CHECK(ok);
    /* f16 round trip is the nearest half */
    f_model fh;
    memset(&fh, 0, sizeof fh);
    fh.out.data.desc = f_desc(MEMCOM_KIND_FULL, n, n, d, MEMCOM_DTYPE_F16, 0, 0, 0, 0);
    fh.out.a = malloc(sizeof(float) * n * d);
    memcpy(fh.out.a, fm.out.a, sizeof(float) * n * d);
    fh.out.data.rows_a = fh.out.a;
    CHECK(f_model_build(&fh) == 0);
    ok = 1;
    for (uint32_t i = 0; i < n && fh.m; i++) {
        memcom_lookup(fh.m, MEMCOM_OUTPUT, i, e);
        for (uint32_t j = 0; j < d; j++)
            if (fabsf(e[j] - fh.out.a[i * d + j]) > fabsf(fh.out.a[i * d + j]) * 0x1p-11f + 0x1p-25f) ok = 0;
    }
    CHECK(ok);
    f_model_free(&fm);
    f_model_free(&fh);
}

static void test_files(void)
{
    char dir[] = "/tmp/memcom-test-XXXXXX";
    if (!mkdtemp(dir)) { CHECK(0); return; }
    char path[256], sub[256];
    snprintf(path, sizeof path, "%s/model.memcom", dir);
    f_model fm;
    memset(&fm, 0, sizeof fm);
    f_table_make(&fm.out, f_desc(MEMCOM_KIND_HASH, 100, 7, 6, MEMCOM_DTYPE_F32, 0, MEMCOM_BUCKET_HASH, 0, 42), 8);
    fm.data.output = fm.out.data;
    char detail[256];
    CHECK_CODE(memcom_write_file(&fm.data, path, detail, sizeof detail), MEMCOM_OK);
    CHECK(count_tmp_files(dir) == 0);
    memcom_model *m = NULL;
    CHECK_CODE(memcom_open_file(&m, path, 0, detail, sizeof detail), MEMCOM_OK);
    float e[6];
    int ok = m != NULL;
    for (uint32_t i = 0; i < 100 && m; i++) {
        memcom_lookup(m, MEMCOM_OUTPUT, i, e);
        if (memcmp(e, fm.out.E + i * 6, sizeof e)) ok = 0;
    }
    CHECK(ok);
    memcom_info info;
    CHECK(m && memcom_get_info(m, &info) == 0 && info.output.hash_seed == 42 && info.output.bucket_mode == MEMCOM_BUCKET_HASH);
    memcom_close(m);
    struct stat st0, st1;
    stat(path, &st0);
    /* a failing write (invalid data) leaves the old file and no temporary */
    memcom_model_data bad = fm.data;
    bad.output.desc.d = 0;
    CHECK_CODE(memcom_write_file(&bad, path, detail, sizeof detail), MEMCOM_E_SIZES);
    /* a failing rename (destination is a directory) removes the temporary */
    snprintf(sub, sizeof sub, "%s/adir", dir);
    mkdir(sub, 0700);
    char inner[300];
    snprintf(inner, sizeof inner, "%s/x", sub);
    FILE *f = fopen(inner, "w");
    if (f) fclose(f);
    CHECK_CODE(memcom_write_file(&fm.data, sub, detail, sizeof detail), MEMCOM_E_IO);
    CHECK(count_tmp_files(dir) == 0);
    /* unwritable location */
    CHECK_CODE(memcom_write_file(&fm.data, "/nonexistent-dir/m.memcom", detail, sizeof detail), MEMCOM_E_IO);
    stat(path, &st1);
    CHECK(st0.st_size == st1.st_size && st0.st_mtime == st1.st_mtime);
    CHECK_CODE(memcom_open_file(&m, path, 0, detail, sizeof detail), MEMCOM_OK);
    memcom_close(m);
    CHECK_CODE(memcom_open_file(&m, path, 100, detail, sizeof detail), MEMCOM_E_TOO_LARGE);
    CHECK_CODE(memcom_open_file(&m, "/nonexistent-file", 0, detail, sizeof detail), MEMCOM_E_IO);
    CHECK_CODE(memcom_open(&m, NULL, 0, 0, 0, detail, sizeof detail), MEMCOM_E_ARG);
    /* overwrite in place works and leaves no temporary */
    CHECK_CODE(memcom_write_file(&fm.data, path, detail, sizeof detail), MEMCOM_OK);
    CHECK(count_tmp_files(dir) == 0);
    /* borrowed, unaligned, and owned buffers */
    void *bytes;
    size_t size;
    CHECK(memcom_write_memory(&fm.data, &bytes, &size, NULL, 0) == 0);
    uint8_t *un = malloc(size + 1);
    memcpy(un + 1, bytes, size);
    CHECK_CODE(memcom_open(&m, un + 1, size, 0, 0, NULL, 0), MEMCOM_OK);
    memcom_close(m);
    free(un);
    CHECK_CODE(memcom_open(&m, bytes, size, 0, 0, NULL, 0), MEMCOM_OK);
    memcom_close(m);
    CHECK_CODE(memcom_open(&m, bytes, size, MEMCOM_OPEN_OWN, 0, NULL, 0), MEMCOM_OK); /* frees bytes */
    memcom_close(m);
    remove(inner);
    rmdir(sub);
    remove(path);
    rmdir(dir);
    f_table_free(&fm.out);
}

void test_write(void)
{
    test_writer_errors();
    test_quantisation();
    test_files();
}
