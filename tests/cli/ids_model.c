/* ids_model.c - writes a small model whose item ids and metadata hold
 * terminal controls (ESC sequences, BEL, CR, C1, bidi overrides), as an
 * untrusted model file could: tests/cli/run.sh checks that the human output
 * of `memcom recommend` and `memcom inspect` escapes them.
 * usage: ids_model OUT.memcom */
#include <stdio.h>
#include <string.h>

#include "../../src/memcom.h"

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: ids_model OUT.memcom\n");
        return 2;
    }
    enum { N = 8, D = 2 };
    static const char *const ids[N] = {
        "\x1b[2J\x1b]0;owned\x07", /* clear screen, set title, BEL     */
        "cr\rover",                /* carriage return                  */
        "del\x7f",                 /* DEL                              */
        "c1\xc2\x9b" "31m",        /* U+009B: the C1 CSI               */
        "\xe2\x80\xae" "fdp.exe",  /* U+202E RIGHT-TO-LEFT OVERRIDE    */
        "\xe2\x81\xa7" "iso",      /* U+2067 RIGHT-TO-LEFT ISOLATE     */
        "\xd8\x9c" "alm\xe2\x80\x8f", /* U+061C ARABIC LETTER MARK, U+200F RLM */
        "plain-\xc3\xa9",          /* ordinary text (e acute) is kept  */
    };
    float rows[N * D], bias[N];
    for (int i = 0; i < N; i++) {
        rows[i * D] = 1.0f - 0.1f * (float)i;
        rows[i * D + 1] = 0.5f;
        bias[i] = -0.01f * (float)i;   /* a fixed order: ids[0] first */
    }
    memcom_layer_data layer = {D, D, MEMCOM_ACT_TANH, NULL, NULL};
    memcom_model_data md;
    memset(&md, 0, sizeof md);
    md.input.desc.kind = md.output.desc.kind = MEMCOM_KIND_FULL;
    md.input.desc.n = md.output.desc.n = N;
    md.input.desc.m = md.output.desc.m = N;
    md.input.desc.d = md.output.desc.d = D;
    md.input.desc.row_dtype = md.output.desc.row_dtype = MEMCOM_DTYPE_F32;
    md.input.rows_a = md.output.rows_a = rows;
    md.n_layers = 1;
    md.layers = &layer;
    md.output_bias = bias;
    md.bias_dtype = MEMCOM_DTYPE_F32;
    md.ids = ids;
    md.metadata_json = "{\"dataset\":\"\xe2\x80\xae" "evil\"}";
    char detail[256] = "";
    int rc = memcom_write_file(&md, argv[1], detail, sizeof detail);
    if (rc != MEMCOM_OK) {
        fprintf(stderr, "ids_model: %s %s\n", memcom_error_message(rc), detail);
        return 1;
    }
    return 0;
}
