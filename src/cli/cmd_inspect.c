/* cmd_inspect.c - `memcom inspect`: header, tables, sections, sizes, ratio. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "model_io.h"

static const char inspect_help[] =
    "usage: memcom inspect MODEL.memcom [--json]\n"
    "\n"
    "Validate a model file and print its header, item tables, sections (offset, size,\n"
    "type, CRC32), byte counts, compression ratio of the item tables against full f32\n"
    "tables, and its metadata (data set, options, validation and test metrics).\n";

static const char *section_name(uint32_t t)
{
    static const char *const names[] = {"?",          "rows_a",      "rows_b",    "scales_a",   "scales_b",
                                        "item_scalars", "buckets",   "layers",    "layer_weight", "layer_bias",
                                        "output_bias", "id_offsets", "id_bytes",  "id_sorted",  "metadata"};
    return t < 15 ? names[t] : "?";
}

static uint32_t rd32(const unsigned char *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t rd64(const unsigned char *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }

static void print_table(const char *role, const memcom_table_desc *t, uint64_t bytes)
{
    if (t->kind == MEMCOM_KIND_NONE) {
        printf("%-7s none\n", role);
        return;
    }
    printf("%-7s %-6s n=%u m=%u d=%u rows=%s", role, cli_kind_name(t->kind), t->n, t->m, t->d,
           cli_dtype_name(t->row_dtype));
    if (t->scalar_dtype) printf(" scalars=%s", cli_dtype_name(t->scalar_dtype));
    if (t->bucket_mode) printf(" buckets=%s", cli_bucket_name(t->bucket_mode));
    if (t->bucket_dtype) printf("(%s)", cli_dtype_name(t->bucket_dtype));
    double full = 4.0 * t->n * t->d;
    printf("  %llu bytes (%.2fx smaller than f32 full)\n", (unsigned long long)bytes, bytes ? full / (double)bytes : 0);
}

int cli_cmd_inspect(int argc, char **argv)
{
    cli_ctx c = {"inspect", argc, argv, 0, 0};
    const char *path = NULL;
    int json = 0;
    for (c.i = 1; c.i < argc; c.i++) {
        if (cli_flag(&c, "--help") || cli_flag(&c, "-h")) {
            fputs(inspect_help, stdout);
            return 0;
        }
        if (cli_flag(&c, "--json"))
            json = 1;
        else if (argv[c.i][0] != '-' && !path)
            path = argv[c.i];
        else
            return cli_unknown(&c);
    }
    if (!path) return cli_error(&c, "no model file given");
    memcom_model *m;
    if (cli_open_model("inspect", path, &m)) return 1;
    memcom_info info;
    memcom_get_info(m, &info);
    size_t mlen = 0;
    const char *meta = memcom_metadata(m, &mlen);
    uint64_t tb = info.input_bytes + info.output_bytes;
    double ratio = tb ? (double)info.full_f32_bytes / (double)tb : 0;
    if (json) {
        mt_buf b = {0};
        mt_buf_printf(&b, "{\"file\":");
        mt_buf_json_string(&b, path);
        mt_buf_printf(&b,
                      ",\"format\":\"%u.%u\",\"items\":%u,\"layers\":%u,\"has_ids\":%s,\"file_bytes\":%llu,"
                      "\"input_bytes\":%llu,\"output_bytes\":%llu,\"bias_bytes\":%llu,\"layer_bytes\":%llu,"
                      "\"id_bytes\":%llu,\"metadata_bytes\":%llu,\"full_f32_bytes\":%llu,\"compression\":%.4f",
                      info.format_major, info.format_minor, info.n_items, info.n_layers, info.has_ids ? "true" : "false",
                      (unsigned long long)info.file_bytes, (unsigned long long)info.input_bytes,
                      (unsigned long long)info.output_bytes, (unsigned long long)info.bias_bytes,
                      (unsigned long long)info.layer_bytes, (unsigned long long)info.id_bytes,
                      (unsigned long long)info.metadata_bytes, (unsigned long long)info.full_f32_bytes, ratio);
        const memcom_table_desc *ts[2] = {&info.input, &info.output};
        const char *roles[2] = {"input", "output"};
        for (int r = 0; r < 2; r++)
            mt_buf_printf(&b, ",\"%s\":{\"kind\":\"%s\",\"n\":%u,\"m\":%u,\"d\":%u,\"row_dtype\":\"%s\",\"scalar_dtype\":\"%s\",\"bucket_mode\":\"%s\"}",
                          roles[r], cli_kind_name(ts[r]->kind), ts[r]->n, ts[r]->m, ts[r]->d,
                          cli_dtype_name(ts[r]->row_dtype), cli_dtype_name(ts[r]->scalar_dtype),
                          cli_bucket_name(ts[r]->bucket_mode));
        if (mlen) {
            mt_buf_printf(&b, ",\"metadata\":");
            mt_buf_printf(&b, "%.*s", (int)mlen, meta);
        }
        mt_buf_printf(&b, "}\n");
        fwrite(b.p, 1, b.len, stdout);
        mt_buf_free(&b);
        memcom_close(m);
        return 0;
    }
    fputs("file    ", stdout);
    cli_print_text(stdout, path, strlen(path), 0);
    printf(": %llu bytes, format %u.%u, valid\n", (unsigned long long)info.file_bytes, info.format_major,
           info.format_minor);
    printf("items   %u%s, layers %u, user vector dim %u, output bias %s\n", info.n_items,
           info.has_ids ? " (with id strings)" : "", info.n_layers, info.user_dim, cli_dtype_name(info.bias_dtype));
    print_table("input", &info.input, info.input_bytes);
    print_table("output", &info.output, info.output_bytes);
    printf("bytes   item tables %llu, output bias %llu, dense layers %llu, ids %llu, metadata %llu\n",
           (unsigned long long)tb, (unsigned long long)info.bias_bytes, (unsigned long long)info.layer_bytes,
           (unsigned long long)info.id_bytes, (unsigned long long)info.metadata_bytes);
    printf("ratio   %.2fx (f32 full item tables %llu bytes / stored item tables %llu bytes)\n", ratio,
           (unsigned long long)info.full_f32_bytes, (unsigned long long)tb);
    /* the section directory, read from the (already validated) bytes */
    FILE *f = fopen(path, "rb");
    unsigned char hdr[256];
    if (f && fread(hdr, 1, sizeof hdr, f) == sizeof hdr) {
        uint32_t count = rd32(hdr + 32);
        uint64_t dir_off = rd64(hdr + 40);
        unsigned char *dir = malloc((size_t)count * 32);
        if (dir && fseek(f, (long)dir_off, SEEK_SET) == 0 && fread(dir, 32, count, f) == count) {
            printf("sections (%u):\n  %-13s %5s %10s %10s %5s %10s\n", count, "type", "index", "offset", "size", "dtype",
                   "crc32");
            for (uint32_t s = 0; s < count; s++) {
                const unsigned char *e = dir + 32 * s;
                printf("  %-13s %5u %10llu %10llu %5s   %08x\n", section_name(rd32(e)), rd32(e + 4),
                       (unsigned long long)rd64(e + 8), (unsigned long long)rd64(e + 16), cli_dtype_name(rd32(e + 24)),
                       rd32(e + 28));
            }
        }
        free(dir);
    }
    if (f) fclose(f);
    if (mlen) {   /* JSON from the file: its strings may hold bidi controls */
        fputs("metadata ", stdout);
        cli_print_text(stdout, meta, mlen, 0);
        putchar('\n');
    }
    memcom_close(m);
    return 0;
}
