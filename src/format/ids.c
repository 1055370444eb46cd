/*
 * ids.c - compact numeric item ids (docs/FORMAT.md, "Compact numeric ids"):
 * encoding for the writer, validation and decoding for the reader.  Both
 * directions live here so that the varint and bit-packing rules are written
 * once.
 */
#include <stdlib.h>

#include "ids.h"

#define MC_ID_DIGITS 19u

static const uint64_t mcc_pow10[MC_ID_DIGITS + 1] = {
    1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull, 10000000ull, 100000000ull, 1000000000ull,
    10000000000ull, 100000000000ull, 1000000000000ull, 10000000000000ull, 100000000000000ull,
    1000000000000000ull, 10000000000000000ull, 100000000000000000ull, 1000000000000000000ull,
    10000000000000000000ull};

static uint32_t mcc_digits(uint64_t v)
{
    uint32_t k = 1;
    while (k < MC_ID_DIGITS && v >= mcc_pow10[k]) k++;
    return k;
}

uint32_t mcc_ids_rank_bits(uint32_t n)
{
    uint32_t w = 1;
    while (w < 32 && ((uint64_t)1 << w) < n) w++;
    return w;
}

uint64_t mcc_ids_ranks_size(uint32_t n) { return ((uint64_t)n * mcc_ids_rank_bits(n) + 7u) / 8u; }

static uint32_t mcc_varint_size(uint64_t v)
{
    uint32_t k = 1;
    while (v >= 0x80u) { v >>= 7; k++; }
    return k;
}

static uint8_t *mcc_varint_put(uint8_t *p, uint64_t v)
{
    while (v >= 0x80u) { *p++ = (uint8_t)(v | 0x80u); v >>= 7; }
    *p++ = (uint8_t)v;
    return p;
}

/* ---- writer side ---- */

/* a canonical decimal number below MC_ID_VALUE_LIMIT */
static int mcc_parse_id(const char *s, uint32_t len, uint64_t *v)
{
    if (len < 1 || len > MC_ID_DIGITS || (len > 1 && s[0] == '0')) return 0;
    uint64_t x = 0;
    for (uint32_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
        x = x * 10u + (uint64_t)(s[i] - '0');
    }
    *v = x;
    return 1;
}

/* bottom-up merge sort of item indices by value */
static void mcc_sort_by_value(const uint64_t *val, uint32_t *a, uint32_t *tmp, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) a[i] = i;
    for (uint64_t width = 1; width < n; width *= 2) {
        for (uint64_t lo = 0; lo < n; lo += 2 * width) {
            uint64_t mid = lo + width < n ? lo + width : n, hi = lo + 2 * width < n ? lo + 2 * width : n;
            uint64_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi) tmp[k++] = val[a[j]] < val[a[i]] ? a[j++] : a[i++];
            while (i < mid) tmp[k++] = a[i++];
            while (j < hi) tmp[k++] = a[j++];
        }
        memcpy(a, tmp, sizeof(uint32_t) * n);
    }
}

/* the runs of sorted values as (gap, extra) varint pairs; out NULL: size only */
static uint64_t mcc_put_runs(const uint64_t *val, const uint32_t *ord, uint32_t n, uint8_t *out)
{
    uint64_t size = 0, prev_end = 0;
    uint8_t *p = out;
    for (uint32_t k = 0; k < n;) {
        uint64_t start = val[ord[k]];
        uint32_t j = k + 1;
        while (j < n && val[ord[j]] == val[ord[j - 1]] + 1u) j++;
        uint64_t gap = k ? start - prev_end : start, extra = j - k - 1u;
        size += mcc_varint_size(gap) + mcc_varint_size(extra);
        if (p) p = mcc_varint_put(mcc_varint_put(p, gap), extra);
        prev_end = start + extra;
        k = j;
    }
    return size;
}

int mcc_ids_encode(const char *const *ids, const uint32_t *len, uint32_t n, int *eligible, uint8_t **runs,
                   uint64_t *runs_size, uint8_t **ranks, char *detail, size_t cap)
{
    *eligible = 0;
    *runs = *ranks = NULL;
    *runs_size = 0;
    uint64_t *val = (uint64_t *)malloc(sizeof(uint64_t) * n);
    uint32_t *ord = (uint32_t *)malloc(sizeof(uint32_t) * n), *tmp = (uint32_t *)malloc(sizeof(uint32_t) * n);
    int rc = MEMCOM_OK;
    if (!val || !ord || !tmp) {
        rc = mcc_fail(MEMCOM_E_NOMEM, detail, cap, "ids: out of memory");
        goto done;
    }
    for (uint32_t i = 0; i < n; i++)
        if (!mcc_parse_id(ids[i], len[i], &val[i])) goto done; /* not numeric: strings */
    mcc_sort_by_value(val, ord, tmp, n);
    for (uint32_t k = 1; k < n; k++)
        if (val[ord[k]] == val[ord[k - 1]]) {
            rc = mcc_fail(MEMCOM_E_IDS_DUP, detail, cap, "ids: items %u and %u share the id \"%s\"", (unsigned)ord[k - 1],
                          (unsigned)ord[k], ids[ord[k]]);
            goto done;
        }
    *runs_size = mcc_put_runs(val, ord, n, NULL);
    uint64_t rsize = mcc_ids_ranks_size(n);
    *runs = (uint8_t *)malloc((size_t)*runs_size);
    *ranks = (uint8_t *)calloc(1, (size_t)(rsize ? rsize : 1));
    if (!*runs || !*ranks) {
        rc = mcc_fail(MEMCOM_E_NOMEM, detail, cap, "ids: out of memory");
        goto done;
    }
    mcc_put_runs(val, ord, n, *runs);
    uint32_t w = mcc_ids_rank_bits(n);
    for (uint32_t k = 0; k < n; k++) { /* item ord[k] has rank k: bits [ord[k] w, ord[k] w + w), LSB first */
        uint64_t bit = (uint64_t)ord[k] * w;
        for (uint32_t b = 0; b < w; b++, bit++)
            if ((k >> b) & 1u) (*ranks)[bit >> 3] |= (uint8_t)(1u << (bit & 7u));
    }
    *eligible = 1;
done:
    if (rc || !*eligible) {
        free(*runs);
        free(*ranks);
        *runs = *ranks = NULL;
        *runs_size = 0;
    }
    free(val);
    free(ord);
    free(tmp);
    return rc;
}

/* ---- reader side ---- */

/* one varint at *pos; 0 on success, else fills detail */
static int mcc_varint_get(const uint8_t *p, uint64_t size, uint64_t *pos, uint64_t *v, char *detail, size_t cap)
{
    uint64_t at = *pos, x = 0;
    for (uint32_t k = 0;; k++) {
        if (at + k >= size)
            return mcc_fail(MEMCOM_E_IDS, detail, cap, "section ID_RUNS: varint at byte %llu is cut off by the end of the section",
                            (unsigned long long)at);
        uint8_t b = p[at + k];
        if (k == MC_VARINT_MAX - 1u && b > 1u)
            return mcc_fail(MEMCOM_E_IDS, detail, cap, "section ID_RUNS: varint at byte %llu is overlong (more than 64 bits)",
                            (unsigned long long)at);
        x |= (uint64_t)(b & 0x7fu) << (7u * k);
        if (b & 0x80u) continue;
        if (k > 0 && b == 0)
            return mcc_fail(MEMCOM_E_IDS, detail, cap, "section ID_RUNS: varint at byte %llu is overlong (a trailing zero byte)",
                            (unsigned long long)at);
        *pos = at + k + 1u;
        *v = x;
        return MEMCOM_OK;
    }
}

/* the runs expanded to n sorted values */
static int mcc_runs_expand(const uint8_t *p, uint64_t size, uint32_t n, uint64_t *val, char *detail, size_t cap)
{
    uint64_t pos = 0, end = 0, count = 0;
    for (uint32_t k = 0; count < n; k++) {
        uint64_t gap, extra;
        int rc;
        if (pos == size)
            return mcc_fail(MEMCOM_E_IDS, detail, cap, "section ID_RUNS: %u runs hold %llu ids, n_items = %u", (unsigned)k,
                            (unsigned long long)count, (unsigned)n);
        if ((rc = mcc_varint_get(p, size, &pos, &gap, detail, cap)) || (rc = mcc_varint_get(p, size, &pos, &extra, detail, cap)))
            return rc;
        if (k > 0 && gap == 0)
            return mcc_fail(MEMCOM_E_IDS_DUP, detail, cap, "section ID_RUNS: run %u starts at %llu, which run %u already holds",
                            (unsigned)k, (unsigned long long)end, (unsigned)(k - 1));
        if (k > 0 && gap == 1)
            return mcc_fail(MEMCOM_E_IDS_ORDER, detail, cap, "section ID_RUNS: runs %u and %u touch (one run, not in canonical form)",
                            (unsigned)(k - 1), (unsigned)k);
        uint64_t base = k ? end : 0; /* below 10^19 */
        if (gap >= MC_ID_VALUE_LIMIT - base || extra >= MC_ID_VALUE_LIMIT - (base + gap))
            return mcc_fail(MEMCOM_E_IDS, detail, cap, "section ID_RUNS: run %u goes past the largest id (19 digits)", (unsigned)k);
        if (extra >= n - count)
            return mcc_fail(MEMCOM_E_IDS, detail, cap, "section ID_RUNS: run %u takes the ids past n_items = %u", (unsigned)k,
                            (unsigned)n);
        uint64_t start = base + gap;
        for (uint64_t j = 0; j <= extra; j++) val[count++] = start + j;
        end = start + extra;
    }
    if (pos != size)
        return mcc_fail(MEMCOM_E_IDS, detail, cap, "section ID_RUNS: %llu bytes after the run that completes n_items = %u",
                        (unsigned long long)(size - pos), (unsigned)n);
    return MEMCOM_OK;
}

/* bits [i w, i w + w) of p (size bytes), LSB first: one 8-byte load where
 * it stays inside p (w <= 32 bits from a shift of at most 7), else bit by bit */
static inline uint32_t mcc_bits_at(const uint8_t *p, uint64_t size, uint64_t i, uint32_t w)
{
    uint64_t bit = i * w;
    if ((bit >> 3) + 8u <= size) return (uint32_t)((mcc_rd64(p + (bit >> 3)) >> (bit & 7u)) & (((uint64_t)1 << w) - 1u));
    uint32_t r = 0;
    for (uint32_t b = 0; b < w; b++, bit++) r |= (uint32_t)((p[bit >> 3] >> (bit & 7u)) & 1u) << b;
    return r;
}

int mcc_ids_decode(const uint8_t *runs, uint64_t runs_size, const uint8_t *ranks, uint32_t n, mcc_ids_decoded *out,
                   char *detail, size_t cap)
{
    memset(out, 0, sizeof *out);
    uint32_t w = mcc_ids_rank_bits(n);
    uint64_t rsize = mcc_ids_ranks_size(n), used = (uint64_t)n * w;
    if (used % 8u && (ranks[rsize - 1] >> (used % 8u)))
        return mcc_fail(MEMCOM_E_IDS, detail, cap, "section ID_RANKS: the unused bits of the last byte are not zero");
    uint64_t *val = (uint64_t *)malloc(sizeof(uint64_t) * n);
    uint32_t *rank = (uint32_t *)malloc(sizeof(uint32_t) * n), *item = (uint32_t *)malloc(sizeof(uint32_t) * n);
    int rc = MEMCOM_OK;
    if (!val || !rank || !item) {
        rc = mcc_fail(MEMCOM_E_NOMEM, detail, cap, "ids: out of memory");
        goto done;
    }
    if ((rc = mcc_runs_expand(runs, runs_size, n, val, detail, cap))) goto done;
    /* the ranks [head[L], lim[L]) of the values of L digits (sorted: those of
     * fewer digits come first), and the bytes of all the ids */
    uint32_t head[MC_ID_DIGITS + 2], lim[MC_ID_DIGITS + 2], live[MC_ID_DIGITS], n_live = 0;
    uint64_t total = 0;
    for (uint32_t L = 1, r = 0; L <= MC_ID_DIGITS; L++) {
        head[L] = r;
        while (r < n && val[r] < mcc_pow10[L]) r++;
        lim[L] = r;
        if (head[L] < lim[L]) live[n_live++] = L; /* the digit counts present, ascending */
        total += (uint64_t)L * (lim[L] - head[L]);
    }
    /* ranks: each below n, each once (item[r]: the item of rank r) */
    memset(item, 0xff, sizeof(uint32_t) * n);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t r = mcc_bits_at(ranks, rsize, i, w);
        if (r >= n) {
            rc = mcc_fail(MEMCOM_E_IDS_ORDER, detail, cap, "section ID_RANKS: item %u has rank %u, not below n_items = %u",
                          (unsigned)i, (unsigned)r, (unsigned)n);
            goto done;
        }
        if (item[r] != UINT32_MAX) {
            rc = mcc_fail(MEMCOM_E_IDS_DUP, detail, cap, "section ID_RANKS: items %u and %u share the id \"%llu\"",
                          (unsigned)item[r], (unsigned)i, (unsigned long long)val[r]);
            goto done;
        }
        item[r] = i;
        rank[i] = r;
    }
    if (total > 0xFFFFFFFFull) {
        rc = mcc_fail(MEMCOM_E_TOO_LARGE, detail, cap, "ids: %llu bytes of decimal ids exceed 4 GiB", (unsigned long long)total);
        goto done;
    }
    out->block = malloc(sizeof(uint32_t) * (2u * (size_t)n + 1u) + (size_t)total);
    if (!out->block) {
        rc = mcc_fail(MEMCOM_E_NOMEM, detail, cap, "ids: out of memory");
        goto done;
    }
    out->off = (uint32_t *)out->block;
    out->sorted = out->off + n + 1;
    out->bytes = (uint8_t *)(out->sorted + n);
    uint32_t o = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t v = val[rank[i]];
        uint32_t len = mcc_digits(v), k = len;
        out->off[i] = o;
        /* the digits from the last: 64-bit divisions only while v needs them */
        for (; v > 0xFFFFFFFFu; v /= 10u) out->bytes[o + --k] = (uint8_t)('0' + v % 10u);
        for (uint32_t x = (uint32_t)v; k > 0; x /= 10u) out->bytes[o + --k] = (uint8_t)('0' + x % 10u);
        o += len;
    }
    out->off[n] = o;
    /* byte order: values of one digit count form a run of ranks already in
     * byte order; merge the runs by (value padded to 19 digits, digit count) */
    for (uint32_t k = 0; k < n; k++) {
        uint32_t best = 0, at = 0;
        uint64_t bkey = 0;
        for (uint32_t a = 0; a < n_live; a++) {
            uint32_t L = live[a];
            uint64_t key = val[head[L]] * mcc_pow10[MC_ID_DIGITS - L];
            if (!best || key < bkey) best = L, bkey = key, at = a; /* equal keys: the shorter id (smaller L) first */
        }
        out->sorted[k] = item[head[best]++];
        if (head[best] == lim[best]) { /* that run is done */
            for (uint32_t a = at; a + 1 < n_live; a++) live[a] = live[a + 1];
            n_live--;
        }
    }
done:
    if (rc) {
        free(out->block);
        memset(out, 0, sizeof *out);
    }
    free(val);
    free(rank);
    free(item);
    return rc;
}
