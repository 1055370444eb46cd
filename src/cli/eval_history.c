/* eval_history.c - `memcom eval --history`: its options, the run
 * (mt_short_eval) and its table or JSON. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const char cli_history_help[] =
    "Short histories (--history):\n"
    "  --history LIST        e.g. 1,3,5,10: for each user with held-out items and at least max(LIST)\n"
    "                        training items, h of them sampled (seeded) are the only input; every item\n"
    "                        but those h is ranked (the user's other training items included); the\n"
    "                        held-out items are the targets.  Reports NDCG@10, Recall@20 and how\n"
    "                        personal the top-10 lists are: the share of their slots held by the 50 most\n"
    "                        popular training items, the mean Jaccard overlap of two users' lists (over\n"
    "                        all pairs of evaluated users, or 20 million seeded random pairs when there\n"
    "                        are more) and the share of the catalogue in any list\n"
    "  --history-seed S      seed of the sampled histories (and of --history-users) [1]\n"
    "  --history-users N     a seeded sample of N users (0: all) [0]\n"
    "  --baselines LIST      popularity, item-knn, ease, or none [popularity,item-knn,ease]:\n"
    "                        popularity: training counts; item-knn: sum over the history of the\n"
    "                        co-occurrence cosine, the user's own training interactions removed from the\n"
    "                        counts; ease: closed-form EASE on the training matrix, only up to 20000 items\n"
    "  --ease-lambda L       EASE's ridge lambda [500]\n"
    "  --bias-weight W       rank the model's items by E_out . u + W * bias [1, as trained]\n"
    "  --lists FILE          write every user's history, top-20 and targets (ids, TSV) to FILE\n"
    "(short-history runs use one thread)\n";

static int parse_h_list(cli_ctx *c, const char *v, mt_short_opts *so)
{
    so->n_h = 0;
    const char *p = v;
    while (1) {
        const char *e = strchr(p, ',');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        char tmp[32];
        if (so->n_h == MT_SH_MAX_H || l == 0 || l >= sizeof tmp)
            return cli_error(c, "--history expects up to %d comma-separated lengths (e.g. 1,3,5,10), got '%s'",
                             MT_SH_MAX_H, v);
        memcpy(tmp, p, l);
        tmp[l] = 0;
        if (cli_u32(c, "--history", tmp, 1, 64, &so->h[so->n_h])) return 2;
        if (so->n_h && so->h[so->n_h] <= so->h[so->n_h - 1])
            return cli_error(c, "--history lengths must be ascending and distinct, got '%s'", v);
        so->n_h++;
        if (!e) break;
        p = e + 1;
    }
    return 0;
}

static int parse_baselines(cli_ctx *c, const char *v, mt_short_opts *so)
{
    so->methods = 0;
    if (strcmp(v, "none") == 0) return 0;
    const char *p = v;
    while (1) {
        const char *e = strchr(p, ',');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        int m = mt_sh_method_parse(p, l);
        if (m <= MT_SH_MODEL)
            return cli_error(c, "--baselines expects popularity, item-knn, ease (comma-separated) or none, got '%s'",
                             v);
        so->methods |= 1u << m;
        if (!e) break;
        p = e + 1;
    }
    return 0;
}

int cli_history_opt(cli_ctx *c, mt_short_opts *so, int *history, int *given)
{
    const char *v;
    int rc = -1, is_history = 0;
    if (cli_opt(c, "--history", &v)) {
        *history = is_history = 1;
        rc = v ? parse_h_list(c, v, so) : 2;
    } else if (cli_opt(c, "--history-seed", &v)) {
        rc = cli_u64(c, "--history-seed", v, &so->seed) ? 2 : 0;
    } else if (cli_opt(c, "--history-users", &v)) {
        rc = cli_u32(c, "--history-users", v, 0, UINT32_MAX, &so->max_users) ? 2 : 0;
    } else if (cli_opt(c, "--baselines", &v)) {
        rc = v ? parse_baselines(c, v, so) : 2;
    } else if (cli_opt(c, "--ease-lambda", &v)) {
        rc = cli_f64(c, "--ease-lambda", v, 1e-6, 1e12, &so->ease_lambda) ? 2 : 0;
    } else if (cli_opt(c, "--bias-weight", &v)) {
        rc = cli_f64(c, "--bias-weight", v, -1e6, 1e6, &so->bias_weight) ? 2 : 0;
    } else if (cli_opt(c, "--lists", &v)) {
        so->lists_path = v;
        rc = v ? 0 : 2;
    } else {
        return 0;
    }
    if (rc) {
        c->failed = 1;
        return -1;
    }
    if (!is_history) *given = 1;
    return 1;
}

static void print_table(const mt_short_result *sr)
{
    printf("%4s  %-11s %8s %10s %15s %9s %9s\n", "h", "method", "NDCG@10", "Recall@20", "top-50 share", "Jaccard",
           "coverage");
    for (int s = 0; s < sr->n_rows; s++) {
        const mt_short_row *w = &sr->rows[s];
        printf("%4u  %-11s %8.4f %10.4f %14.1f%% %9.4f %8.2f%%\n", w->h, mt_sh_method_name(w->method), w->m.ndcg[0],
               w->m.recall[1], 100 * w->st.popular_share, w->st.jaccard, 100 * w->st.coverage);
    }
}

static void print_json(const char *model_path, const char *on, const mt_eval_result *r, const mt_short_opts *so,
                       const mt_short_result *sr)
{
    mt_buf b = {0};
    mt_buf_printf(&b, "{\"model\":");
    mt_buf_json_string(&b, model_path);
    mt_buf_printf(&b, ",\"dataset\":");
    mt_buf_json_string(&b, r->dataset);
    mt_buf_printf(&b, ",\"on\":\"%s\",\"users\":%u,\"users_with_targets\":%u,\"users_too_short\":%u", on, sr->users,
                  sr->with_targets, sr->too_short);
    mt_buf_printf(&b, ",\"history_seed\":%llu,\"history_users\":%u,\"bias_weight\":%g,\"popularity\":%g,"
                      "\"ease_lambda\":%g,\"popular_items\":%d,\"list_length\":%d,\"rows\":[",
                  (unsigned long long)so->seed, so->max_users, so->bias_weight, (double)so->popularity,
                  so->ease_lambda, MT_SH_POPULAR, MT_SH_LIST);
    for (int s = 0; s < sr->n_rows; s++) {
        const mt_short_row *w = &sr->rows[s];
        mt_buf_printf(&b, "%s{\"h\":%u,\"method\":\"%s\",\"metrics\":", s ? "," : "", w->h,
                      mt_sh_method_name(w->method));
        mt_buf_json_metrics(&b, &w->m);
        mt_buf_printf(&b,
                      ",\"popular_share\":%.6f,\"jaccard\":%.6f,\"coverage\":%.6f,\"distinct_items\":%u,"
                      "\"pairs\":%llu,\"pairs_sampled\":%s,\"slots\":%llu}",
                      w->st.popular_share, w->st.jaccard, w->st.coverage, w->st.distinct,
                      (unsigned long long)w->st.pairs, w->st.sampled ? "true" : "false",
                      (unsigned long long)w->st.slots);
    }
    mt_buf_printf(&b, "]");
    if (sr->note[0]) {
        mt_buf_printf(&b, ",\"note\":");
        mt_buf_json_string(&b, sr->note);
    }
    if (r->warning[0]) {
        mt_buf_printf(&b, ",\"warning\":");
        mt_buf_json_string(&b, r->warning);
    }
    mt_buf_printf(&b, "}\n");
    fwrite(b.p, 1, b.len, stdout);
    mt_buf_free(&b);
}

/* the model (one handle: short-history runs use one thread) and the data */
static int open_one(const mt_eval_opts *eo, mt_eval_opts *one, mt_eval_session *s, mt_eval_result *r, mt_err *err)
{
    *one = *eo;
    one->threads = 1;
    if (mt_eval_open(one, s, r, err)) return -1;
    cli_eval_notes(r);
    return 0;
}

int cli_eval_history(cli_ctx *c, const mt_eval_opts *eo, const char *on, mt_short_opts *so, int json)
{
    if (strcmp(on, "both") == 0) return cli_error(c, "--history evaluates one part: give --on valid or --on test");
    mt_err err;
    if (so->lists_path) {
        const mt_data_opts *d = &eo->data;
        mt_path outs[1] = {{so->lists_path, "--lists", 0}};
        mt_path ins[5] = {{eo->model_path, "the model", 0},
                          {d->train_path, "the training file", 0},
                          {d->valid_path, "the validation file", 0},
                          {d->test_path, "the test file", 0},
                          {d->path, "the data file", 0}};
        if (mt_check_outputs(outs, 1, ins, 5, &err)) return cli_fail("eval", &err);
    }
    mt_eval_opts one;
    mt_eval_session s;
    mt_eval_result r;
    if (open_one(eo, &one, &s, &r, &err)) return cli_fail("eval", &err);
    const mt_csr *truth = mt_eval_truth(&s.ds, strcmp(on, "test") == 0, &err);
    /* a bias-weight run varies the model as trained */
    so->popularity = so->bias_weight != 1.0 ? 1.0f : mt_eval_popularity(&one, s.h[0]);
    mt_short_result *sr = mt_xcalloc(1, sizeof *sr);
    so->log = stderr;
    int rc = truth ? mt_short_eval(s.h[0], &s.ds, truth, so, sr, &err) : -1;
    mt_eval_close(&s);
    if (rc) {
        free(sr);
        return cli_fail("eval", &err);
    }
    if (json) {
        print_json(eo->model_path, on, &r, so, sr);
    } else {
        fputs("model ", stdout);
        cli_print_text(stdout, eo->model_path, strlen(eo->model_path), 0);
        fputs("\ndata  ", stdout);
        cli_print_text(stdout, r.dataset, strlen(r.dataset), 0);
        printf(": %u users, %u items\n", r.n_users, r.n_items);
        printf("short histories: %u users (of %u with %s items; %u with fewer training items than the longest "
               "history left out%s), history seed %llu",
               sr->users, sr->with_targets, on, sr->too_short, so->max_users ? ", then a seeded sample" : "",
               (unsigned long long)so->seed);
        if (so->bias_weight != 1.0) printf(", model bias weight %g", so->bias_weight);
        if (so->popularity != 1.0f) printf(", popularity %g", (double)so->popularity);
        if (so->methods & (1u << MT_SH_EASE)) printf(", EASE lambda %g", so->ease_lambda);
        const mt_list_stats *st0 = &sr->rows[0].st;
        printf("\nranked: every item but the h history items; targets: the %s items; top-50 share, Jaccard (%s%llu "
               "pairs of users) and coverage over the top-10 lists\n",
               on, st0->sampled ? "seeded random, " : "all ", (unsigned long long)st0->pairs);
        print_table(sr);
        if (sr->note[0]) {
            fputs("note: ", stdout);
            cli_print_text(stdout, sr->note, strlen(sr->note), 0);
            putchar('\n');
        }
        if (r.warning[0]) {
            fputs("warning: ", stdout);
            cli_print_text(stdout, r.warning, strlen(r.warning), 0);
            putchar('\n');
        }
    }
    free(sr);
    return 0;
}

int cli_eval_choose_popularity(cli_ctx *c, const mt_eval_opts *eo, int json)
{
    (void)c;
    mt_err err;
    mt_eval_opts one;
    mt_eval_session s;
    mt_eval_result r;
    if (open_one(eo, &one, &s, &r, &err)) return cli_fail("eval", &err);
    float recorded = -1;
    int has = mt_model_popularity(s.h[0], &recorded);
    const mt_csr *truth = mt_eval_truth(&s.ds, 0, &err);
    mt_pop_choice *pc = mt_xcalloc(1, sizeof *pc);
    int rc = truth ? mt_choose_popularity(s.h[0], &s.ds, truth, stderr, pc, &err) : -1;
    mt_eval_close(&s);
    if (rc) {
        free(pc);
        return cli_fail("eval", &err);
    }
    const mt_pop_point *ch = &pc->curve[pc->chosen];
    if (json) {
        mt_buf b = {0};
        mt_buf_printf(&b, "{\"model\":");
        mt_buf_json_string(&b, eo->model_path);
        mt_buf_printf(&b, ",\"dataset\":");
        mt_buf_json_string(&b, r.dataset);
        mt_buf_printf(&b, ",\"users\":%u,\"chosen\":%g,\"recorded\":", pc->users, (double)ch->p);
        if (has) mt_buf_printf(&b, "%g", (double)recorded);
        else mt_buf_printf(&b, "null");
        mt_buf_json_serving(&b, pc);
        mt_buf_printf(&b, ",\"curve\":[");
        for (int g = 0; g < MT_POP_GRID; g++) {
            const mt_pop_point *pt = &pc->curve[g];
            mt_buf_printf(&b, "%s{\"popularity\":%g", g ? "," : "", (double)pt->p);
            for (int q = 0; q < 2; q++)
                mt_buf_printf(&b, ",\"h%d\":{\"ndcg@10\":%.6f,\"popular_share\":%.6f,\"jaccard\":%.6f,\"coverage\":%.6f}",
                              q ? 5 : 3, pt->ndcg10[q], pt->popular_share[q], pt->jaccard[q], pt->coverage[q]);
            mt_buf_printf(&b, "}");
        }
        mt_buf_printf(&b, "]}\n");
        fwrite(b.p, 1, b.len, stdout);
        mt_buf_free(&b);
    } else {
        printf("popularity on the validation items, %u users, h = 3 / 5:\n", pc->users);
        printf("%6s %9s %9s %8s %8s %9s %9s\n", "p", "NDCG@10", "NDCG@10", "top-50", "top-50", "Jaccard", "Jaccard");
        for (int g = 0; g < MT_POP_GRID; g++) {
            const mt_pop_point *pt = &pc->curve[g];
            printf("%6.2f %9.4f %9.4f %7.1f%% %7.1f%% %9.4f %9.4f%s\n", (double)pt->p, pt->ndcg10[0], pt->ndcg10[1],
                   100 * pt->popular_share[0], 100 * pt->popular_share[1], pt->jaccard[0], pt->jaccard[1],
                   g == pc->chosen ? "  <- default" : "");
        }
        if (pc->by_jaccard)
            printf("default: %g (the highest NDCG@10 with Jaccard <= %g at each h)", (double)ch->p, MT_POP_MAX_JACCARD);
        else
            printf("default: %g (no value has Jaccard <= %g: the lowest Jaccard within %g%% of the best NDCG@10)",
                   (double)ch->p, MT_POP_MAX_JACCARD, 100 * MT_POP_NDCG_SLACK);
        if (has) printf("; the model records %g", (double)recorded);
        printf("\n");
    }
    free(pc);
    return 0;
}
