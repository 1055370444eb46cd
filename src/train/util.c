/* util.c - errors, clocks, checked allocation, random numbers, string map. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "train.h"

int mt_fail(mt_err *err, int code, const char *fmt, ...)
{
    if (err) {
        err->code = code;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return -1;
}

double mt_ratio(uint64_t full, uint64_t stored) { return stored ? (double)full / (double)stored : 0.0; }

double mt_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void oom(size_t size)
{
    fprintf(stderr, "memcom: out of memory (allocating %zu bytes)\n", size);
    exit(70);
}

void *mt_xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p) oom(size);
    return p;
}

void *mt_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) oom(n * size);
    return p;
}

void *mt_xrealloc(void *p, size_t size)
{
    void *q = realloc(p, size ? size : 1);
    if (!q) oom(size);
    return q;
}

char *mt_xstrdup(const char *s, size_t len)
{
    char *p = mt_xmalloc(len + 1);
    memcpy(p, s, len);
    p[len] = 0;
    return p;
}

void mt_format_duration(double s, char *out, size_t cap)
{
    if (s < 0) s = 0;
    if (s < 60)
        snprintf(out, cap, "%.1fs", s);
    else if (s < 3600)
        snprintf(out, cap, "%dm%02ds", (int)(s / 60), (int)fmod(s, 60));
    else
        snprintf(out, cap, "%dh%02dm", (int)(s / 3600), (int)fmod(s / 60, 60));
}

/* ---- xoshiro256** seeded by splitmix64 ---- */
static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void mt_rng_seed(mt_rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) r->s[i] = splitmix(&x);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t mt_rng_next(mt_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double mt_rng_uniform(mt_rng *r) { return (double)(mt_rng_next(r) >> 11) * 0x1.0p-53; }

float mt_rng_normal(mt_rng *r)
{
    double u1 = mt_rng_uniform(r), u2 = mt_rng_uniform(r);
    if (u1 < 1e-300) u1 = 1e-300;
    return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

uint32_t mt_rng_below(mt_rng *r, uint32_t n)
{
    return (uint32_t)(((mt_rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

void mt_shuffle_u32(mt_rng *r, uint32_t *a, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = mt_rng_below(r, (uint32_t)i);
        uint32_t t = a[i - 1];
        a[i - 1] = a[j];
        a[j] = t;
    }
}

/* ---- string map (FNV-1a, linear probing) ---- */
static uint64_t fnv(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < len; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

void mt_strmap_init(mt_strmap *m) { memset(m, 0, sizeof *m); }

void mt_strmap_free(mt_strmap *m)
{
    for (size_t i = 0; i < m->cap; i++) free(m->keys[i]);
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

static size_t probe(const mt_strmap *m, const char *key, size_t len)
{
    size_t mask = m->cap - 1, i = (size_t)fnv(key, len) & mask;
    while (m->keys[i] && !(strlen(m->keys[i]) == len && memcmp(m->keys[i], key, len) == 0))
        i = (i + 1) & mask;
    return i;
}

static void grow(mt_strmap *m)
{
    size_t old_cap = m->cap;
    char **old_keys = m->keys;
    uint32_t *old_vals = m->vals;
    m->cap = old_cap ? old_cap * 2 : 1024;
    m->keys = mt_xcalloc(m->cap, sizeof *m->keys);
    m->vals = mt_xcalloc(m->cap, sizeof *m->vals);
    for (size_t i = 0; i < old_cap; i++) {
        if (!old_keys[i]) continue;
        size_t j = probe(m, old_keys[i], strlen(old_keys[i]));
        m->keys[j] = old_keys[i];
        m->vals[j] = old_vals[i];
    }
    free(old_keys);
    free(old_vals);
}

uint32_t mt_strmap_intern(mt_strmap *m, const char *key, size_t len, int *is_new)
{
    if ((m->count + 1) * 2 > m->cap) grow(m);
    size_t i = probe(m, key, len);
    if (m->keys[i]) {
        if (is_new) *is_new = 0;
        return m->vals[i];
    }
    m->keys[i] = mt_xstrdup(key, len);
    m->vals[i] = (uint32_t)m->count++;
    if (is_new) *is_new = 1;
    return m->vals[i];
}

/* ---- growing text buffer with JSON string escaping ---- */
void mt_buf_printf(mt_buf *b, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        size_t room = b->cap - b->len;
        va_start(ap, fmt);
        int k = vsnprintf(b->p ? b->p + b->len : NULL, room, fmt, ap);
        va_end(ap);
        if (k < 0) return;
        if ((size_t)k < room) {
            b->len += (size_t)k;
            return;
        }
        b->cap = (b->cap + (size_t)k + 1) * 2;
        b->p = mt_xrealloc(b->p, b->cap);
    }
}

void mt_buf_json_string(mt_buf *b, const char *s)
{
    mt_buf_printf(b, "\"");
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            mt_buf_printf(b, "\\%c", c);
        else if (c < 0x20)
            mt_buf_printf(b, "\\u%04x", c);
        else
            mt_buf_printf(b, "%c", c);
    }
    mt_buf_printf(b, "\"");
}

void mt_buf_free(mt_buf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

/* Round to the nearest IEEE binary16 value (ties to even), as the writer
 * stores it; saturates to the largest finite half. */
float mt_round_f16(float x)
{
    if (!(x == x)) return x;
    float a = fabsf(x);
    if (a >= 65504.0f) return x < 0 ? -65504.0f : 65504.0f;
    if (a < 0x1p-24f * 0.5f) return x < 0 ? -0.0f : 0.0f;
    int e;
    frexpf(a, &e);                      /* a = f * 2^e, f in [0.5, 1) */
    int exp2 = e - 1;                   /* a in [2^exp2, 2^(exp2+1)) */
    if (exp2 < -14) exp2 = -14;         /* subnormal halves: fixed spacing 2^-24 */
    float ulp = ldexpf(1.0f, exp2 - 10);
    float q = nearbyintf(a / ulp) * ulp;  /* default rounding mode: ties to even */
    return x < 0 ? -q : q;
}
