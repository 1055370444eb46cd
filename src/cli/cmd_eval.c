/* cmd_eval.c - `memcom eval`: the LightGCN++ protocol over a model file. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char eval_help[] =
    "usage: memcom eval MODEL.memcom DATA [options]\n"
    "\n"
    "Evaluate a model file with the LightGCN++ protocol: for every user with held-out\n"
    "items, rank all items except the user's training items (the history given to the\n"
    "model); Recall@K = hits / held-out items, NDCG@K with IDCG over min(K, held-out)\n"
    "hits; K = 10, 20, 40; averaged over users.  Items are matched by id string.\n"
    "On graded data (a grade on every line of a log) also graded NDCG@K: gain\n"
    "log2(1 + grade) of the held-out items, the ideal DCG from their largest gains.\n"
    "\n"
    "%s"
    "Options:\n"
    "  --on S                evaluate on valid, test or both [test]\n"
    "  --popularity P        rank with the popularity control at P in [0, 1] (1: as trained; lower: less\n"
    "                        of what every user gets) [the default the model records, else 1]\n"
    "  --choose-popularity   measure P = 0, 0.05, ..., 1 on the validation items with short histories\n"
    "                        (h = 3 and 5) and print the curve and the default the trainer's rule picks\n"
    "  --threads T           threads [2]\n"
    "  --json                print one JSON object instead of a table\n"
    "  --allow-split-mismatch  evaluate although the data or split differs from the one the model\n"
    "                        records (its metrics are then not held-out ones; the output says so)\n"
    "  --top FILE            write, per evaluated user (of the test part, or valid with --on valid),\n"
    "                        a line: user id TAB history TAB top 10, both as model item indices\n"
    "                        (space-separated); bench/ranker-agreement.js compares wasm with it\n"
    "\n"
    "The model records its data (a hash of the distinct user-item pairs, the file's name and size)\n"
    "and split (--split, --split-seed, a hash of the parts).  eval refuses data or split options\n"
    "that differ, naming what differs (exit status 1).\n"
    "\n"
    "%s";

void cli_eval_notes(const mt_eval_result *r)
{
    if (r->note[0]) {
        fputs("memcom eval: note: ", stderr);
        cli_print_text(stderr, r->note, strlen(r->note), 0);
        fputc('\n', stderr);
    }
    if (r->warning[0]) {
        fputs("memcom eval: warning: ", stderr);
        cli_print_text(stderr, r->warning, strlen(r->warning), 0);
        fputc('\n', stderr);
    }
}

int cli_cmd_eval(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf(eval_help, cli_data_help, cli_history_help);
            return 0;
        }
    cli_data data;
    cli_data_init(&data);
    cli_ctx c = {"eval", argc, argv, 0, 0};
    const char *model_path = NULL, *split = "test";
    uint32_t threads = 2;
    int json = 0, allow = 0, history = 0, history_given = 0, choose = 0;
    double popularity = -1;
    const char *top = NULL;
    mt_short_opts so;
    mt_short_opts_default(&so);
    for (c.i = 1; c.i < argc && !c.failed; c.i++) {
        const char *v;
        int r = cli_data_opt(&c, &data);
        if (r < 0) return 2;
        if (r > 0) continue;
        r = cli_history_opt(&c, &so, &history, &history_given);
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
        } else if (cli_opt(&c, "--popularity", &v)) {
            if (cli_f64(&c, "--popularity", v, 0, 1, &popularity)) return 2;
        } else if (cli_flag(&c, "--choose-popularity")) {
            choose = 1;
        } else if (cli_flag(&c, "--allow-split-mismatch")) {
            allow = 1;
        } else if (cli_opt(&c, "--top", &v)) {
            if (!v) return 2;
            top = v;
        } else if (argv[c.i][0] != '-' && !model_path) {
            model_path = argv[c.i];
        } else {
            return cli_unknown(&c);
        }
    }
    if (c.failed) return 2;
    if (!model_path) return cli_error(&c, "no model file given");
    if (cli_data_finish(&c, &data)) return 2;
    if (history_given && !history)
        return cli_error(&c, "--history-seed, --history-users, --baselines, --ease-lambda, --bias-weight and --lists "
                             "belong to a short-history run: give --history too");
    if (top && history) return cli_error(&c, "--top belongs to the held-out evaluation, not to --history");
    mt_eval_opts eo = {model_path, data.o, (int)threads, {strcmp(split, "test") != 0, strcmp(split, "valid") != 0},
                       allow, (float)popularity, top};
    if (choose && (history || popularity >= 0))
        return cli_error(&c, "--choose-popularity measures every popularity on its own histories: leave out --history "
                             "and --popularity");
    if (choose) return cli_eval_choose_popularity(&c, &eo, json);
    if (history && so.bias_weight != 1.0 && popularity >= 0)
        return cli_error(&c, "give --bias-weight or --popularity, not both");
    if (history) return cli_eval_history(&c, &eo, split, &so, json);
    mt_eval_result r;
    mt_err err;
    if (mt_eval_run(&eo, &r, &err)) return cli_fail("eval", &err);
    cli_eval_notes(&r);
    static const char *const label[2] = {"valid", "test"};
    const memcom_info *info = &r.info;
    uint64_t tb = info->input_bytes + info->output_bytes;
    double ratio = tb ? (double)info->full_f32_bytes / (double)tb : 0;
    if (json) {
        mt_buf b = {0};
        mt_buf_printf(&b, "{\"model\":");
        mt_buf_json_string(&b, model_path);
        mt_buf_printf(&b, ",\"dataset\":");
        mt_buf_json_string(&b, r.dataset);
        for (int s = 0; s < 2; s++)
            if (eo.on[s]) {
                mt_buf_printf(&b, ",\"%s\":", label[s]);
                mt_buf_json_metrics(&b, &r.m[s]);
            }
        mt_buf_printf(&b, ",\"popularity\":%g", (double)r.popularity);
        mt_buf_printf(&b, ",\"model_bytes\":%llu,\"table_bytes\":%llu,\"compression\":%.4f,\"unknown_items\":%u",
                      (unsigned long long)info->file_bytes, (unsigned long long)tb, ratio, r.unknown_items);
        if (r.warning[0]) {
            mt_buf_printf(&b, ",\"warning\":");
            mt_buf_json_string(&b, r.warning);
        }
        mt_buf_printf(&b, "}\n");
        fwrite(b.p, 1, b.len, stdout);
        mt_buf_free(&b);
    } else {
        fputs("model ", stdout);
        cli_print_text(stdout, model_path, strlen(model_path), 0);
        printf(": %llu bytes (item tables %llu bytes, %.2fx smaller than f32 full tables)\n",
               (unsigned long long)info->file_bytes, (unsigned long long)tb, ratio);
        fputs("data  ", stdout);
        cli_print_text(stdout, r.dataset, strlen(r.dataset), 0);
        printf(": %u users, %u items (%u not in the model)\n", r.n_users, r.n_items, r.unknown_items);
        printf("popularity %g%s\n", (double)r.popularity, r.popularity == 1.0f ? " (as trained)" : "");
        for (int s = 0; s < 2; s++)
            if (eo.on[s]) cli_print_metrics(stdout, label[s], &r.m[s]);
        if (r.warning[0]) {
            fputs("warning: ", stdout);
            cli_print_text(stdout, r.warning, strlen(r.warning), 0);
            putchar('\n');
        }
    }
    return 0;
}
