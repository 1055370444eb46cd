/* test.h - a tiny test harness: CHECK macros count passes and failures. */
#ifndef MEMCOM_TEST_H
#define MEMCOM_TEST_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/memcom.h"

typedef struct { long passed, failed; const char *test; } t_state;
extern t_state T;

#define CHECK(cond)                                                                            \
    do {                                                                                       \
        if (cond) T.passed++;                                                                  \
        else {                                                                                 \
            T.failed++;                                                                        \
            fprintf(stderr, "FAIL %s (%s:%d): %s\n", T.test, __FILE__, __LINE__, #cond);      \
        }                                                                                      \
    } while (0)

#define CHECK_MSG(cond, ...)                                                                   \
    do {                                                                                       \
        if (cond) T.passed++;                                                                  \
        else {                                                                                 \
            T.failed++;                                                                        \
            fprintf(stderr, "FAIL %s (%s:%d): %s: ", T.test, __FILE__, __LINE__, #cond);      \
            fprintf(stderr, __VA_ARGS__);                                                      \
            fputc('\n', stderr);                                                               \
        }                                                                                      \
    } while (0)

#define CHECK_CODE(got, want) CHECK_MSG((got) == (want), "got %s (%d), want %s (%d)", memcom_error_name(got), (int)(got), memcom_error_name(want), (int)(want))

/* deterministic RNG */
typedef struct { uint64_t s; } t_rng;
static inline uint64_t t_next(t_rng *r)
{
    r->s += 0x9E3779B97F4A7C15ull;
    uint64_t z = r->s;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static inline uint32_t t_below(t_rng *r, uint32_t n) { return (uint32_t)(t_next(r) % n); }
/* k/16 with |k| <= 16: exact in f16 and keeps dot products exact in f32 */
static inline float t_dyadic(t_rng *r) { return (float)((int)t_below(r, 33) - 16) / 16.0f; }
static inline float t_uniform(t_rng *r) { return (float)((double)(t_next(r) >> 11) / 9007199254740992.0 * 2.0 - 1.0); }

void test_base(void);
void test_kernels(void);
void test_tables(void);
void test_model(void);
void test_prerank(void);
void test_bounds(void);
void test_format(void);
void test_write(void);
void test_names(void);
void test_access(void);
void test_ids(void);
void test_popularity(void);
void test_ranker(void);

#endif
