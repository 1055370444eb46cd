/* cmd_inspect.c - `memcom inspect`: header, tables, sections, sizes, ratio. */
#include <ctype.h>
#include <string.h>

#include "cli.h"
#include "model_io.h"

static const char inspect_help[] =
    "usage: memcom inspect MODEL.memcom [--json]\n"
    "\n"
    "Validate a model file and print its header, item tables, sections (offset, size,\n"
    "type, CRC32), byte counts, compression ratio of the item tables against full f32\n"
    "tables, and its metadata (data set, options, validation and test metrics).\n";

#define KIND(v) cli_name(MEMCOM_NAMES_KIND, (v))
#define DTYPE(v) cli_name(MEMCOM_NAMES_DTYPE, (v))
#define BUCKETS(v) cli_name(MEMCOM_NAMES_BUCKET_MODE, (v))

/* does the directory hold a section of this type (FORMAT.md's name)? */
static int has_section(const memcom_model *m, const char *name)
{
    for (uint32_t s = 0; s < memcom_section_count(m); s++) {
        memcom_section_info e;
        if (memcom_get_section(m, s, &e) == MEMCOM_OK && e.name && strcmp(e.name, name) == 0) return 1;
    }
    return 0;
}

static void print_table(const char *role, const memcom_table_desc *t, uint64_t bytes)
{
    if (t->kind == MEMCOM_KIND_NONE) {
        printf("%-7s none\n", role);
        return;
    }
    printf("%-7s %-6s n=%u m=%u d=%u rows=%s", role, KIND(t->kind), t->n, t->m, t->d,
           DTYPE(t->row_dtype));
    if (t->scalar_dtype) printf(" scalars=%s", DTYPE(t->scalar_dtype));
    if (t->bucket_mode) printf(" buckets=%s", BUCKETS(t->bucket_mode));
    if (t->bucket_dtype) printf("(%s)", DTYPE(t->bucket_dtype));
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
    double ratio = mt_ratio(info.full_f32_bytes, tb);
    uint64_t full_file = info.full_file_bytes;
    double file_ratio = mt_ratio(full_file, info.file_bytes);
    if (json) {
        mt_buf b = {0};
        mt_buf_printf(&b, "{\"file\":");
        mt_buf_json_string(&b, path);
        mt_buf_printf(&b,
                      ",\"format\":\"%u.%u\",\"items\":%u,\"layers\":%u,\"has_ids\":%s,\"file_bytes\":%llu,"
                      "\"input_bytes\":%llu,\"output_bytes\":%llu,\"bias_bytes\":%llu,\"layer_bytes\":%llu,"
                      "\"id_bytes\":%llu,\"metadata_bytes\":%llu,\"full_f32_bytes\":%llu,\"compression\":%.4f,"
                      "\"full_file_bytes\":%llu,\"file_compression\":%.4f,\"head_layers\":%u,\"head_bytes\":%llu",
                      info.format_major, info.format_minor, info.n_items, info.n_layers, info.has_ids ? "true" : "false",
                      (unsigned long long)info.file_bytes, (unsigned long long)info.input_bytes,
                      (unsigned long long)info.output_bytes, (unsigned long long)info.bias_bytes,
                      (unsigned long long)info.layer_bytes, (unsigned long long)info.id_bytes,
                      (unsigned long long)info.metadata_bytes, (unsigned long long)info.full_f32_bytes, ratio,
                      (unsigned long long)full_file, file_ratio, info.n_head_layers, (unsigned long long)info.head_bytes);
        const memcom_table_desc *ts[2] = {&info.input, &info.output};
        const char *roles[2] = {"input", "output"};
        for (int r = 0; r < 2; r++)
            mt_buf_printf(&b, ",\"%s\":{\"kind\":\"%s\",\"n\":%u,\"m\":%u,\"d\":%u,\"row_dtype\":\"%s\",\"scalar_dtype\":\"%s\",\"bucket_mode\":\"%s\"}",
                          roles[r], KIND(ts[r]->kind), ts[r]->n, ts[r]->m, ts[r]->d,
                          DTYPE(ts[r]->row_dtype), DTYPE(ts[r]->scalar_dtype),
                          BUCKETS(ts[r]->bucket_mode));
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
           info.has_ids ? (has_section(m, "ID_RUNS") ? " (with compact numeric ids)" : " (with id strings)") : "", info.n_layers, info.user_dim, DTYPE(info.bias_dtype));
    if (info.n_head_layers) { /* a ranker (format 1.2) */
        printf("ranker  head of %u layers:", info.n_head_layers);
        for (uint32_t l = 0; l < info.n_head_layers; l++) {
            memcom_layer_info li;
            memcom_get_head_layer(m, l, &li);
            printf(" %u -> %u %s%s", li.in_dim, li.out_dim, memcom_enum_name(MEMCOM_NAMES_ACTIVATION, li.activation), l + 1 < info.n_head_layers ? "," : "");
        }
        printf(" (%llu bytes)\n", (unsigned long long)info.head_bytes);
    }
    print_table("input", &info.input, info.input_bytes);
    print_table("output", &info.output, info.output_bytes);
    printf("bytes   item tables %llu, output bias %llu, dense layers %llu, ids %llu, metadata %llu\n",
           (unsigned long long)tb, (unsigned long long)info.bias_bytes, (unsigned long long)info.layer_bytes,
           (unsigned long long)info.id_bytes, (unsigned long long)info.metadata_bytes);
    printf("ratio   %.2fx (f32 full item tables %llu bytes / stored item tables %llu bytes)\n", ratio,
           (unsigned long long)info.full_f32_bytes, (unsigned long long)tb);
    printf("file    %.2fx (the same file with full f32 item tables and bias, %llu bytes / this file %llu bytes)\n",
           file_ratio, (unsigned long long)full_file, (unsigned long long)info.file_bytes);
    /* the section directory (memcom_get_section), its type names in lower case */
    uint32_t count = memcom_section_count(m);
    printf("sections (%u):\n  %-13s %5s %10s %10s %5s %10s\n", count, "type", "index", "offset", "size", "dtype", "crc32");
    for (uint32_t s = 0; s < count; s++) {
        memcom_section_info e;
        memcom_get_section(m, s, &e);
        char name[32];
        size_t k = 0;
        for (; e.name && e.name[k] && k + 1 < sizeof name; k++) name[k] = (char)tolower((unsigned char)e.name[k]);
        name[k] = 0;
        printf("  %-13s %5u %10llu %10llu %5s   %08x\n", k ? name : "?", e.index, (unsigned long long)e.offset,
               (unsigned long long)e.size, DTYPE(e.dtype), e.crc32);
    }
    if (mlen) {   /* JSON from the file: its strings may hold bidi controls */
        fputs("metadata ", stdout);
        cli_print_text(stdout, meta, mlen, 0);
        putchar('\n');
    }
    memcom_close(m);
    return 0;
}
