/* cmd_recommend.c - `memcom recommend`: top-k for a history of item ids. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "model_io.h"

static const char recommend_help[] =
    "usage: memcom recommend MODEL.memcom [ITEM_ID ...] [options]\n"
    "\n"
    "Rank all items for a user whose history is the given item ids (as stored in the\n"
    "model, e.g. MovieLens movieId strings) and print the top k, history excluded.\n"
    "\n"
    "Options:\n"
    "  -k K                  how many items [10]\n"
    "  --include-history     do not exclude the history items\n"
    "  --popularity P        the popularity control in [0, 1] (1: as trained; lower: less of what every\n"
    "                        user gets) [the default the model records, else 1]\n"
    "  --json                print JSON\n";

int cli_cmd_recommend(int argc, char **argv)
{
    cli_ctx c = {"recommend", argc, argv, 0, 0};
    const char *path = NULL;
    uint32_t k = 10;
    int json = 0, include = 0;
    double popularity = -1;
    const char **ids = calloc((size_t)argc, sizeof *ids);
    size_t n_ids = 0;
    for (c.i = 1; c.i < argc; c.i++) {
        const char *v;
        if (cli_flag(&c, "--help") || cli_flag(&c, "-h")) {
            fputs(recommend_help, stdout);
            free(ids);
            return 0;
        }
        if (cli_opt(&c, "-k", &v) || cli_opt(&c, "--k", &v)) {
            if (cli_u32(&c, "-k", v, 1, 100000, &k)) {
                free(ids);
                return 2;
            }
        } else if (cli_opt(&c, "--popularity", &v)) {
            if (cli_f64(&c, "--popularity", v, 0, 1, &popularity)) {
                free(ids);
                return 2;
            }
        } else if (cli_flag(&c, "--json")) {
            json = 1;
        } else if (cli_flag(&c, "--include-history")) {
            include = 1;
        } else if (cli_flag(&c, "--")) {
            for (c.i++; c.i < argc; c.i++) ids[n_ids++] = argv[c.i];
        } else if (argv[c.i][0] == '-' && argv[c.i][1] == '-') {
            free(ids);
            return cli_unknown(&c);
        } else if (!path) {
            path = argv[c.i];
        } else {
            ids[n_ids++] = argv[c.i];
        }
    }
    if (!path) {
        free(ids);
        return cli_error(&c, "no model file given");
    }
    memcom_model *m;
    if (cli_open_model("recommend", path, &m)) {
        free(ids);
        return 1;
    }
    memcom_info info;
    memcom_get_info(m, &info);
    int rc = 0;
    uint32_t *hist = calloc(n_ids + 1, sizeof *hist), *top = calloc(k, sizeof *top);
    float *score = calloc(k, sizeof *score);
    size_t nh = 0;
    if (n_ids && !info.has_ids) {
        fputs("memcom recommend: ", stderr);
        cli_print_text(stderr, path, strlen(path), 0);
        fputs(" stores no item ids\n", stderr);
        rc = 1;
    }
    for (size_t i = 0; i < n_ids && !rc; i++) {
        uint32_t idx;
        if (memcom_find_id(m, ids[i], strlen(ids[i]), &idx) != MEMCOM_OK) {
            fputs("memcom recommend: unknown item id '", stderr);
            cli_print_text(stderr, ids[i], strlen(ids[i]), CLI_TEXT_BACKSLASH);
            fputs("' (not in ", stderr);
            cli_print_text(stderr, path, strlen(path), 0);
            fputs(")\n", stderr);
            rc = 1;
            break;
        }
        hist[nh++] = idx;
    }
    size_t got = 0;
    if (!rc) {
        memcom_topk_opts o;
        memset(&o, 0, sizeof o);
        o.k = k;
        o.exclude = include ? NULL : hist;
        o.n_exclude = include ? 0 : nh;
        float p = 1.0f;
        if (popularity >= 0) p = (float)popularity;
        else mt_model_popularity(m, &p);
        int e = memcom_recommend_popularity(m, hist, nh, p, &o, top, score, &got);
        if (e != MEMCOM_OK) {
            fprintf(stderr, "memcom recommend: %s\n", memcom_error_message(e));
            rc = 1;
        }
    }
    if (!rc) {
        if (json) printf("[");
        for (size_t r = 0; r < got; r++) {
            const char *id = "";
            size_t len = 0;
            char num[16];
            if (info.has_ids)
                memcom_get_id(m, top[r], &id, &len);
            else {
                len = (size_t)snprintf(num, sizeof num, "%u", top[r]);
                id = num;
            }
            if (json) {
                mt_buf b = {0};
                char *tmp = mt_xstrdup(id, len);
                mt_buf_json_string(&b, tmp);
                printf("%s{\"rank\":%zu,\"index\":%u,\"id\":%.*s,\"score\":%.6g}", r ? "," : "", r + 1, top[r],
                       (int)b.len, b.p, score[r]);
                free(tmp);
                mt_buf_free(&b);
            } else {
                /* ids come from the model file: escaped, never raw to the terminal */
                printf("%3zu  ", r + 1);
                for (size_t w = cli_print_text(stdout, id, len, CLI_TEXT_BACKSLASH); w < 20; w++) putchar(' ');
                printf("  %.4f\n", score[r]);
            }
        }
        if (json) printf("]\n");
    }
    free(hist);
    free(top);
    free(score);
    free(ids);
    memcom_close(m);
    return rc;
}
