/* main.c - the `memcom` command: dispatch to train, compress, eval, inspect, recommend. */
#include <cblas.h>
#include <string.h>

#include "cli.h"

static const char usage[] =
    "usage: memcom COMMAND [options]   (memcom COMMAND --help for details)\n"
    "\n"
    "Commands:\n"
    "  train       train a recommender with compressed item tables, write a .memcom file\n"
    "  compress    compress the item tables of a trained model (k-means), optionally fine-tune it\n"
    "  eval        evaluate a .memcom file on a data split (Recall/NDCG@10/20/40)\n"
    "  inspect     validate a .memcom file and show its tables, sections and sizes\n"
    "  recommend   top-k items for a history of item ids\n"
    "  version     print the version\n";

int main(int argc, char **argv)
{
    /* Our threads split the batch; BLAS runs single-threaded inside each. */
    openblas_set_num_threads(1);
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "train") == 0) return cli_cmd_train(argc - 1, argv + 1);
    if (strcmp(cmd, "compress") == 0) return cli_cmd_compress(argc - 1, argv + 1);
    if (strcmp(cmd, "eval") == 0) return cli_cmd_eval(argc - 1, argv + 1);
    if (strcmp(cmd, "inspect") == 0) return cli_cmd_inspect(argc - 1, argv + 1);
    if (strcmp(cmd, "recommend") == 0) return cli_cmd_recommend(argc - 1, argv + 1);
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("memcom %s (kernels: %s)\n", memcom_version_string(), memcom_kernel_name());
        return 0;
    }
    fputs("memcom: unknown command '", stderr);
    cli_print_text(stderr, cmd, strlen(cmd), CLI_TEXT_BACKSLASH);
    fprintf(stderr, "'\n%s", usage);
    return 2;
}
