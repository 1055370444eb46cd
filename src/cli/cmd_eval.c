/* cmd_eval.c - `memcom eval`: the LightGCN++ protocol over a model file. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "model_io.h"

static const char eval_help[] =
    "usage: memcom eval MODEL.memcom DATA [options]\n"
    "\n"
    "Evaluate a model file with the LightGCN++ protocol: for every user with held-out\n"
    "items, rank all items except the user's training items (the history given to the\n"
    "model); Recall@K = hits / held-out items, NDCG@K with IDCG over min(K, held-out)\n"
    "hits; K = 10, 20, 40; averaged over users.  Items are matched by id string.\n"
    "\n"
    "%s"
    "Options:\n"
    "  --on S                evaluate on valid, test or both [test]\n"
    "  --threads T           threads [2]\n"
    "  --json                print one JSON object instead of a table\n";

int cli_cmd_eval(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf(eval_help, cli_data_help);
            return 0;
        }
    cli_data data;
    cli_data_init(&data);
    cli_ctx c = {"eval", argc, argv, 0, 0};
    const char *model_path = NULL, *split = "test";
    uint32_t threads = 2;
    int json = 0;
    for (c.i = 1; c.i < argc && !c.failed; c.i++) {
        const char *v;
        int r = cli_data_opt(&c, &data);
        if (r < 0) return 2;
        if (r > 0) continue;
        if (cli_opt(&c, "--on", &v)) {
            if (!v) return 2;
            if (strcmp(v, "valid") && strcmp(v, "test") && strcmp(v, "both"))
                return cli_error(&c, "--on expects valid, test or both, got '%s'", v);
            split = v;
        } else if (cli_opt(&c, "--threads", &v)) {
            if (cli_u32(&c, "--threads", v, 1, 16, &threads)) return 2;
        } else if (cli_flag(&c, "--json")) {
            json = 1;
        } else if (argv[c.i][0] != '-' && !model_path) {
            model_path = argv[c.i];
        } else {
            return cli_unknown(&c);
        }
    }
    if (c.failed) return 2;
    if (!model_path) return cli_error(&c, "no model file given");
    if (cli_data_finish(&c, &data)) return 2;
    memcom_model *h[16] = {NULL};
    for (uint32_t t = 0; t < threads; t++)
        if (cli_open_model("eval", model_path, &h[t])) {
            for (uint32_t q = 0; q < t; q++) memcom_close(h[q]);
            return 1;
        }
    memcom_info info;
    memcom_get_info(h[0], &info);
    if (!info.has_ids) {
        fputs("memcom eval: ", stderr);
        cli_print_text(stderr, model_path, strlen(model_path), 0);
        fputs(": the model stores no item ids, so data items cannot be matched\n", stderr);
        for (uint32_t t = 0; t < threads; t++) memcom_close(h[t]);
        return 1;
    }
    mt_dataset ds;
    mt_err err;
    if (mt_dataset_load(&ds, &data.o, &err)) {
        for (uint32_t t = 0; t < threads; t++) memcom_close(h[t]);
        return cli_fail("eval", &err);
    }
    int rc = 0;
    mt_metrics m[2];
    int which[2] = {strcmp(split, "test") != 0, strcmp(split, "valid") != 0};
    const mt_csr *truth[2] = {&ds.valid, &ds.test};
    const char *label[2] = {"valid", "test"};
    uint32_t unknown = 0;
    for (int s = 0; s < 2 && !rc; s++) {
        if (!which[s]) continue;
        if (truth[s]->nnz == 0) {
            fprintf(stderr, "memcom eval: the data has no %s interactions\n", label[s]);
            rc = 1;
            break;
        }
        if (mt_evaluate_file(h, (int)threads, &ds, truth[s], &m[s], &unknown, &err)) {
            rc = cli_fail("eval", &err);
        }
    }
    if (!rc) {
        uint64_t tb = info.input_bytes + info.output_bytes;
        double ratio = tb ? (double)info.full_f32_bytes / (double)tb : 0;
        if (json) {
            mt_buf b = {0};
            mt_buf_printf(&b, "{\"model\":");
            mt_buf_json_string(&b, model_path);
            mt_buf_printf(&b, ",\"dataset\":");
            mt_buf_json_string(&b, ds.name);
            for (int s = 0; s < 2; s++)
                if (which[s]) {
                    mt_buf_printf(&b, ",\"%s\":", label[s]);
                    mt_buf_json_metrics(&b, &m[s]);
                }
            mt_buf_printf(&b, ",\"model_bytes\":%llu,\"table_bytes\":%llu,\"compression\":%.4f,\"unknown_items\":%u}\n",
                          (unsigned long long)info.file_bytes, (unsigned long long)tb, ratio, unknown);
            fwrite(b.p, 1, b.len, stdout);
            mt_buf_free(&b);
        } else {
            fputs("model ", stdout);
            cli_print_text(stdout, model_path, strlen(model_path), 0);
            printf(": %llu bytes (item tables %llu bytes, %.2fx smaller than f32 full tables)\n",
                   (unsigned long long)info.file_bytes, (unsigned long long)tb, ratio);
            fputs("data  ", stdout);
            cli_print_text(stdout, ds.name, strlen(ds.name), 0);
            printf(": %u users, %u items (%u not in the model)\n", ds.n_users, ds.n_items, unknown);
            for (int s = 0; s < 2; s++)
                if (which[s]) cli_print_metrics(stdout, label[s], &m[s]);
        }
    }
    mt_dataset_free(&ds);
    for (uint32_t t = 0; t < threads; t++) memcom_close(h[t]);
    return rc;
}
