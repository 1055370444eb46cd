/* main.c - runs every C test group and prints "N passed, N failed". */
#include "test.h"

t_state T;

int main(int argc, char **argv)
{
    struct { const char *name; void (*fn)(void); } groups[] = {
        {"base", test_base}, {"kernels", test_kernels}, {"tables", test_tables},
        {"model", test_model}, {"prerank", test_prerank}, {"bounds", test_bounds},
        {"format", test_format}, {"write", test_write}, {"names", test_names},
        {"access", test_access}, {"ids", test_ids}, {"popularity", test_popularity}, {"ranker", test_ranker},
    };
    for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++) {
        if (argc > 1 && strcmp(argv[1], groups[g].name) != 0) continue;
        long p = T.passed, f = T.failed;
        T.test = groups[g].name;
        groups[g].fn();
        fprintf(stderr, "  %-8s %ld passed, %ld failed\n", groups[g].name, T.passed - p, T.failed - f);
    }
    printf("%ld passed, %ld failed\n", T.passed, T.failed);
    return T.failed ? 1 : 0;
}
