/* test_ids.c - compact numeric ids (format 1.1, docs/FORMAT.md "Compact
 * numeric ids"): the bytes of a hand-computed case, round trips of id sets of
 * every shape against the string encoding and snprintf, what stays strings,
 * and every corruption refused with its named error. */
#include "fixture.h"
#include "../../src/base/base.h"
#include "../../src/format/layout.h"

/* a table file (full, d = 2) with these ids, written with the encoding */
static int write_ids(const char *const *ids, uint32_t n, uint32_t enc, void **bytes, size_t *size)
{
    float *rows = calloc((size_t)n * 2, sizeof(float));
    memcom_model_data md;
    memset(&md, 0, sizeof md);
    md.output.desc = f_desc(MEMCOM_KIND_FULL, n, n, 2, MEMCOM_DTYPE_F32, 0, 0, 0, 0);
    md.output.rows_a = rows;
    md.ids = ids;
    md.id_encoding = enc;
    char detail[256] = "";
    int rc = memcom_write_memory(&md, bytes, size, detail, sizeof detail);
    if (rc && getenv("MEMCOM_TEST_VERBOSE")) fprintf(stderr, "  write: %s: %s\n", memcom_error_name(rc), detail);
    free(rows);
    return rc;
}

static int open_bytes(const void *bytes, size_t size, memcom_model **m, char *detail, size_t cap)
{
    int rc = memcom_open(m, bytes, size, MEMCOM_OPEN_COPY, 0, detail, cap);
    CHECK_MSG(!f_stream_differs(bytes, size, 0, rc, detail), "streamed in, the file opens otherwise");
    if (rc && getenv("MEMCOM_TEST_VERBOSE")) fprintf(stderr, "  open: %s: %s\n", memcom_error_name(rc), detail);
    return rc;
}

/* the directory entry of a section type, or NULL */
static uint8_t *entry_of(uint8_t *p, uint32_t type)
{
    uint32_t c = mcc_rd32(p + MC_H_SECTION_COUNT);
    for (uint32_t k = 0; k < c; k++) {
        uint8_t *e = p + MC_HEADER_SIZE + (size_t)k * MC_DIR_ENTRY;
        if (mcc_rd32(e + MC_E_TYPE) == type) return e;
    }
    return NULL;
}

/* every item's id read back equals ids[i]; every id finds its item */
static void check_ids(memcom_model *m, const char *const *ids, uint32_t n)
{
    int bad = 0;
    for (uint32_t i = 0; i < n; i++) {
        const char *s;
        size_t len;
        uint32_t at = UINT32_MAX;
        if (memcom_get_id(m, i, &s, &len) || len != strlen(ids[i]) || memcmp(s, ids[i], len)) bad++;
        if (memcom_find_id(m, ids[i], strlen(ids[i]), &at) || at != i) bad++;
    }
    CHECK_MSG(bad == 0, "%d id mismatches of %u items", bad, (unsigned)n);
}

/* hand-computed: items "10", "5", "7", "6" -> sorted 5 6 7 10 -> runs (5, +2)
 * (gap 3 from 7, +0): 05 02 03 00; ranks 3 0 2 1 in 2 bits each, LSB first:
 * 11 00 01 10 read from bit 0 -> 0b01100011 = 0x63 */
static void test_hand_case(void)
{
    const char *ids[] = {"10", "5", "7", "6"};
    void *bytes = NULL;
    size_t size = 0;
    CHECK_CODE(write_ids(ids, 4, MEMCOM_IDS_COMPACT, &bytes, &size), MEMCOM_OK);
    uint8_t *p = bytes;
    CHECK(mcc_rd16(p + MC_H_FORMAT_MINOR) == 1);
    uint8_t *er = entry_of(p, MC_SEC_ID_RUNS), *ek = entry_of(p, MC_SEC_ID_RANKS);
    CHECK(er && ek && !entry_of(p, MC_SEC_ID_OFFSETS) && !entry_of(p, MC_SEC_ID_BYTES) && !entry_of(p, MC_SEC_ID_SORTED));
    if (er && ek) {
        static const uint8_t runs[] = {0x05, 0x02, 0x03, 0x00};
        CHECK(mcc_rd64(er + MC_E_SIZE) == 4 && memcmp(p + mcc_rd64(er + MC_E_OFFSET), runs, 4) == 0);
        CHECK(mcc_rd64(ek + MC_E_SIZE) == 1 && p[mcc_rd64(ek + MC_E_OFFSET)] == 0x63);
    }
    memcom_model *m = NULL;
    char detail[256];
    CHECK_CODE(open_bytes(bytes, size, &m, detail, sizeof detail), MEMCOM_OK);
    if (m) {
        check_ids(m, ids, 4);
        memcom_info info;
        memcom_get_info(m, &info);
        CHECK(info.has_ids && info.format_minor == 1 && info.id_bytes == 5);
        uint32_t at;
        const char *absent[] = {"8", "05", "+5", "5 ", "", "1", "100", "-5", "abc", "99999999999999999999"};
        for (size_t k = 0; k < sizeof absent / sizeof absent[0]; k++)
            CHECK_CODE(memcom_find_id(m, absent[k], strlen(absent[k]), &at), MEMCOM_E_UNKNOWN_ID);
    }
    memcom_close(m);
    memcom_free(bytes);
}

/* random sets: random values and runs, random item order, ids of 1 to 19
 * digits; compared with snprintf and with the string encoding of the same ids */
static void test_round_trips(void)
{
    t_rng r = {77};
    const uint32_t sizes[] = {1, 2, 3, 5, 64, 257, 1000, 5000, 70000};
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        for (int shape = 0; shape < 4; shape++) {
            uint32_t n = sizes[si];
            uint64_t *val = malloc(sizeof(uint64_t) * n);
            /* shape 0: 0..n-1; 1: from 1 with a few gaps; 2: sparse, every digit count; 3: up to 10^19 - 1 */
            uint64_t v = shape == 0 ? 0 : shape == 3 ? 9999999999999999999ull - 3ull * n : 1;
            for (uint32_t k = 0; k < n; k++) {
                val[k] = v;
                uint64_t step = 1;
                if (shape == 1 && t_below(&r, 20) == 0) step += t_below(&r, 5);
                if (shape == 2) step += (t_next(&r) >> (1 + t_below(&r, 63))) % 100000000000000ull;
                if (shape == 3) step += t_below(&r, 3);
                v += step;
            }
            if (shape == 2 && val[n - 1] >= 10000000000000000000ull) { free(val); continue; }
            /* item i gets value perm[i] */
            char **ids = malloc(sizeof(char *) * n);
            uint32_t *perm = malloc(sizeof(uint32_t) * n);
            for (uint32_t k = 0; k < n; k++) perm[k] = k;
            for (uint32_t k = n; k > 1; k--) {
                uint32_t j = t_below(&r, k), t = perm[k - 1];
                perm[k - 1] = perm[j];
                perm[j] = t;
            }
            for (uint32_t i = 0; i < n; i++) {
                ids[i] = malloc(24);
                snprintf(ids[i], 24, "%llu", (unsigned long long)val[perm[i]]);
            }
            void *cb = NULL, *sb = NULL;
            size_t cs = 0, ss = 0;
            CHECK_CODE(write_ids((const char *const *)ids, n, MEMCOM_IDS_COMPACT, &cb, &cs), MEMCOM_OK);
            CHECK_CODE(write_ids((const char *const *)ids, n, MEMCOM_IDS_STRINGS, &sb, &ss), MEMCOM_OK);
            memcom_model *mc = NULL, *ms = NULL;
            char detail[256];
            CHECK_CODE(open_bytes(cb, cs, &mc, detail, sizeof detail), MEMCOM_OK);
            CHECK_CODE(open_bytes(sb, ss, &ms, detail, sizeof detail), MEMCOM_OK);
            if (mc && ms) {
                check_ids(mc, (const char *const *)ids, n);
                check_ids(ms, (const char *const *)ids, n);
                memcom_info ic, is;
                memcom_get_info(mc, &ic);
                memcom_get_info(ms, &is);
                CHECK(ic.format_minor == 1 && is.format_minor == 0);
                /* the ranks alone take n * ceil(log2 n) bits */
                uint32_t w = 1;
                while (w < 32 && (1ull << w) < n) w++;
                CHECK(ic.id_bytes >= ((uint64_t)n * w + 7) / 8);
                if (shape < 2 && n >= 64) CHECK_MSG(ic.id_bytes * 4 < is.id_bytes, "compact %llu vs strings %llu",
                                                     (unsigned long long)ic.id_bytes, (unsigned long long)is.id_bytes);
            }
            memcom_close(mc);
            memcom_close(ms);
            memcom_free(cb);
            memcom_free(sb);
            for (uint32_t i = 0; i < n; i++) free(ids[i]);
            free(ids);
            free(perm);
            free(val);
        }
    }
}

/* ids that are not canonical numbers below 10^19 stay strings (format 1.0);
 * two equal numbers are refused */
static void test_fallback(void)
{
    const char *sets[][3] = {
        {"1", "2", "x"}, {"1", "007", "3"}, {"1", "2", "-3"}, {"1", "2", "10000000000000000000"}, {"1", "2", "3.0"},
        {"1", " 2", "3"}, {"1", "2", ""},
    };
    for (size_t k = 0; k < sizeof sets / sizeof sets[0]; k++) {
        void *bytes = NULL;
        size_t size = 0;
        int rc = write_ids(sets[k], 3, MEMCOM_IDS_COMPACT, &bytes, &size);
        if (sets[k][2][0] == 0) { CHECK_CODE(rc, MEMCOM_E_IDS_UTF8); continue; }
        CHECK_CODE(rc, MEMCOM_OK);
        if (rc) continue;
        CHECK(mcc_rd16((uint8_t *)bytes + MC_H_FORMAT_MINOR) == 0 && entry_of(bytes, MC_SEC_ID_OFFSETS) && !entry_of(bytes, MC_SEC_ID_RUNS));
        memcom_free(bytes);
    }
    const char *dup[] = {"4", "9", "4"};
    void *bytes = NULL;
    size_t size;
    CHECK_CODE(write_ids(dup, 3, MEMCOM_IDS_COMPACT, &bytes, &size), MEMCOM_E_IDS_DUP);
    CHECK_CODE(write_ids(dup, 3, 2, &bytes, &size), MEMCOM_E_ARG);
}

/* ---- corruption of the hand case's file ---- */
static const char *const hand_ids[] = {"10", "5", "7", "6"};

/* the hand file with ID_RUNS replaced by these bytes (they fit the 64-byte
 * slot before ID_RANKS), CRCs fixed; returns the open code */
static int open_with_runs(const uint8_t *runs, size_t len, const char *want_word)
{
    void *bytes = NULL;
    size_t size = 0;
    if (write_ids(hand_ids, 4, MEMCOM_IDS_COMPACT, &bytes, &size)) return -1;
    uint8_t *p = bytes, *e = entry_of(p, MC_SEC_ID_RUNS);
    memset(p + mcc_rd64(e + MC_E_OFFSET), 0, 64);
    memcpy(p + mcc_rd64(e + MC_E_OFFSET), runs, len);
    mcc_wr64(e + MC_E_SIZE, len);
    mcc_wr32(e + MC_E_CRC, mcc_crc32(p + mcc_rd64(e + MC_E_OFFSET), len));
    mcc_wr32(p + MC_H_DIRECTORY_CRC, mcc_crc32(p + MC_HEADER_SIZE, (size_t)mcc_rd32(p + MC_H_SECTION_COUNT) * MC_DIR_ENTRY));
    mcc_wr32(p + MC_H_HEADER_CRC, mcc_crc32(p, MC_H_HEADER_CRC));
    memcom_model *m = NULL;
    char detail[256] = "";
    int rc = open_bytes(bytes, size, &m, detail, sizeof detail);
    if (rc && want_word) CHECK_MSG(strstr(detail, want_word) != NULL, "detail \"%s\" lacks \"%s\"", detail, want_word);
    memcom_close(m);
    memcom_free(bytes);
    return rc;
}

static void test_corrupt_runs(void)
{
    static const uint8_t ok[] = {0x05, 0x02, 0x03, 0x00};
    CHECK_CODE(open_with_runs(ok, 4, NULL), MEMCOM_OK);
    static const uint8_t cut[] = {0x05, 0x02, 0x03, 0x80};            /* last varint cut off */
    CHECK_CODE(open_with_runs(cut, 4, "cut off"), MEMCOM_E_IDS);
    static const uint8_t cut2[] = {0x05, 0x02, 0x03};                 /* a run without its length */
    CHECK_CODE(open_with_runs(cut2, 3, "cut off"), MEMCOM_E_IDS);
    static const uint8_t zero_tail[] = {0x85, 0x00, 0x02, 0x03, 0x00}; /* 5 as two bytes */
    CHECK_CODE(open_with_runs(zero_tail, 5, "overlong"), MEMCOM_E_IDS);
    static const uint8_t long10[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00}; /* 2^64 + ... */
    CHECK_CODE(open_with_runs(long10, sizeof long10, "overlong"), MEMCOM_E_IDS);
    /* 10^19 = 0x8AC7230489E80000: a value one past the largest id */
    static const uint8_t big[] = {0x80, 0x80, 0xa0, 0xcf, 0xc8, 0xe0, 0xc8, 0xe3, 0x8a, 0x01, 0x03};
    CHECK_CODE(open_with_runs(big, sizeof big, "19 digits"), MEMCOM_E_IDS);
    static const uint8_t few[] = {0x05, 0x02};                        /* 3 values for 4 items */
    CHECK_CODE(open_with_runs(few, 2, "hold 3 ids"), MEMCOM_E_IDS);
    static const uint8_t many[] = {0x05, 0x02, 0x03, 0x01};           /* 5 values */
    CHECK_CODE(open_with_runs(many, 4, "past n_items"), MEMCOM_E_IDS);
    static const uint8_t trail[] = {0x05, 0x02, 0x03, 0x00, 0x00};
    CHECK_CODE(open_with_runs(trail, 5, "after the run"), MEMCOM_E_IDS);
    static const uint8_t dup[] = {0x05, 0x02, 0x00, 0x00};            /* 7 again */
    CHECK_CODE(open_with_runs(dup, 4, "already holds"), MEMCOM_E_IDS_DUP);
    static const uint8_t touch[] = {0x05, 0x01, 0x01, 0x01};          /* 5-6 then 7-8: one run written as two */
    CHECK_CODE(open_with_runs(touch, 4, "touch"), MEMCOM_E_IDS_ORDER);
    CHECK_CODE(open_with_runs(ok, 0, "hold 0 ids"), MEMCOM_E_IDS);    /* empty section */
}

/* the hand file, one change, CRCs fixed */
typedef enum { C_RANK_DUP, C_RANK_TAIL, C_MINOR0, C_DROP_RANKS, C_RANKS_SIZE, C_RUNS_CRC, C_RANK_RANGE } t_change;

static int open_changed(t_change c)
{
    void *bytes = NULL;
    size_t size = 0;
    const char *five[] = {"3", "1", "2", "5", "4"}; /* n = 5: 3 bits per rank, 15 bits, one unused */
    if (c == C_RANK_TAIL || c == C_RANK_RANGE ? write_ids(five, 5, MEMCOM_IDS_COMPACT, &bytes, &size)
                                              : write_ids(hand_ids, 4, MEMCOM_IDS_COMPACT, &bytes, &size))
        return -1;
    uint8_t *p = bytes, *er = entry_of(p, MC_SEC_ID_RUNS), *ek = entry_of(p, MC_SEC_ID_RANKS);
    uint8_t *ranks = p + mcc_rd64(ek + MC_E_OFFSET);
    uint32_t count = mcc_rd32(p + MC_H_SECTION_COUNT);
    switch (c) {
    case C_RANK_DUP: ranks[0] = (uint8_t)((ranks[0] & ~0xc0u) | 0x00u); break; /* item 3: rank 0, as item 1 */
    case C_RANK_TAIL: ranks[1] |= 0x80u; break;
    case C_RANK_RANGE: ranks[0] = (uint8_t)(ranks[0] | 0x07u); break;         /* item 0: rank 7 >= 5 */
    case C_MINOR0: mcc_wr16(p + MC_H_FORMAT_MINOR, 0); break;
    case C_DROP_RANKS: /* the last entry (ID_RANKS, the highest type) goes */
        CHECK(ek == p + MC_HEADER_SIZE + (size_t)(count - 1) * MC_DIR_ENTRY);
        mcc_wr32(p + MC_H_SECTION_COUNT, count - 1);
        break;
    case C_RANKS_SIZE: mcc_wr64(ek + MC_E_SIZE, 0); break; /* 1 byte expected */
    case C_RUNS_CRC: p[mcc_rd64(er + MC_E_OFFSET)] ^= 1u; break;
    }
    if (c != C_RUNS_CRC) mcc_wr32(ek + MC_E_CRC, mcc_crc32(ranks, (size_t)mcc_rd64(ek + MC_E_SIZE)));
    mcc_wr32(p + MC_H_DIRECTORY_CRC, mcc_crc32(p + MC_HEADER_SIZE, (size_t)mcc_rd32(p + MC_H_SECTION_COUNT) * MC_DIR_ENTRY));
    mcc_wr32(p + MC_H_HEADER_CRC, mcc_crc32(p, MC_H_HEADER_CRC));
    memcom_model *m = NULL;
    char detail[256] = "";
    int rc = open_bytes(bytes, size, &m, detail, sizeof detail);
    if (rc) CHECK_MSG(strstr(detail, "ID_R") != NULL, "detail \"%s\" does not name the section", detail);
    memcom_close(m);
    memcom_free(bytes);
    return rc;
}

static void test_corrupt_file(void)
{
    CHECK_CODE(open_changed(C_RANK_DUP), MEMCOM_E_IDS_DUP);
    CHECK_CODE(open_changed(C_RANK_TAIL), MEMCOM_E_IDS);
    CHECK_CODE(open_changed(C_RANK_RANGE), MEMCOM_E_IDS_ORDER);
    CHECK_CODE(open_changed(C_MINOR0), MEMCOM_E_SECTION_TYPE); /* a 1.0 reader's view: unknown section type */
    CHECK_CODE(open_changed(C_DROP_RANKS), MEMCOM_E_SECTION_MISSING);
    CHECK_CODE(open_changed(C_RANKS_SIZE), MEMCOM_E_SECTION_SIZE);
    CHECK_CODE(open_changed(C_RUNS_CRC), MEMCOM_E_SECTION_CRC);
    /* a newer minor than this reader is refused before anything else */
    void *bytes = NULL;
    size_t size = 0;
    if (write_ids(hand_ids, 4, MEMCOM_IDS_COMPACT, &bytes, &size) == 0) {
        uint8_t *p = bytes;
        mcc_wr16(p + MC_H_FORMAT_MINOR, MEMCOM_FORMAT_MINOR + 1);
        mcc_wr32(p + MC_H_HEADER_CRC, mcc_crc32(p, MC_H_HEADER_CRC));
        memcom_model *m = NULL;
        char detail[256];
        CHECK_CODE(memcom_open(&m, bytes, size, MEMCOM_OPEN_COPY, 0, detail, sizeof detail), MEMCOM_E_VERSION);
        /* every truncation is refused */
        int bad = 0;
        for (size_t cut = 0; cut < size; cut += 7)
            if (memcom_open(&m, bytes, cut, MEMCOM_OPEN_COPY, 0, detail, sizeof detail) == MEMCOM_OK) bad++, memcom_close(m);
        CHECK(bad == 0);
        memcom_free(bytes);
    }
}

void test_ids(void)
{
    test_hand_case();
    test_round_trips();
    test_fallback();
    test_corrupt_runs();
    test_corrupt_file();
}
