/* test_base.c - CRC32, f16, UTF-8, hash, aligned allocation, error texts, the detail formatter. */
#include "test.h"
#include "../../src/base/base.h"

static uint32_t ref_crc(const uint8_t *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return ~c;
}

/* independent f16 decode by arithmetic */
static double ref_half(uint16_t h)
{
    int s = h >> 15, e = (h >> 10) & 31, m = h & 1023;
    double v = e == 0 ? ldexp(m, -24) : e == 31 ? (m ? NAN : INFINITY) : ldexp(1024 + m, e - 25);
    return s ? -v : v;
}

static uint32_t ref_bucket(uint32_t i, uint64_t seed, uint32_t m)
{
    uint64_t z = (uint64_t)i + seed;
    z ^= z >> 30; z *= 0xBF58476D1CE4E5B9ull;
    z ^= z >> 27; z *= 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (uint32_t)(z % m);
}

/* mcc_format against libc's snprintf (the reference) at every buffer size */
#define FMT_SAME(...)                                                                          \
    do {                                                                                       \
        char want_[200], got_[200];                                                            \
        int wn_ = snprintf(want_, sizeof want_, __VA_ARGS__);                                  \
        for (size_t cap_ = 0; cap_ <= (size_t)wn_ + 2; cap_++) {                               \
            memset(got_, 'Z', sizeof got_);                                                    \
            size_t gn_ = mcc_format(got_, cap_, __VA_ARGS__);                                  \
            int ok_ = gn_ == (size_t)wn_ && got_[cap_] == 'Z';                                 \
            if (cap_) ok_ = ok_ && strlen(got_) == (cap_ - 1 < gn_ ? cap_ - 1 : gn_) &&         \
                            memcmp(got_, want_, strlen(got_)) == 0;                            \
            else ok_ = ok_ && got_[0] == 'Z';                                                  \
            CHECK_MSG(ok_, "format %s cap %zu: got \"%s\" want \"%s\"", #__VA_ARGS__, cap_, got_, want_); \
        }                                                                                      \
    } while (0)

static void test_format_fn(void)
{
    FMT_SAME("plain text");
    FMT_SAME("%s=%u, %d%%", "n", 4294967295u, -2147483647 - 1);
    FMT_SAME("[%5s|%-5s|%3s]", "ab", "cd", "long");
    FMT_SAME("%08x %x %X %08X", 0xbeefu, 0u, 0xABCDEFu, 0x12u);
    FMT_SAME("%llu %lld %lu %zu", 18446744073709551615ull, -9223372036854775807ll - 1, 123456789ul, (size_t)42);
    FMT_SAME("%5d|%-5d|%05d|%05d|%c", 42, -7, -42, 42, 'q');
    FMT_SAME("%s", "");
    FMT_SAME("%u%u%u", 0u, 10u, 100u);
}

void test_base(void)
{
    test_format_fn();
    CHECK(mcc_crc32("123456789", 9) == 0xCBF43926u);
    CHECK(mcc_crc32("", 0) == 0);
    t_rng r = {1};
    uint8_t buf[1000];
    for (size_t i = 0; i < sizeof buf; i++) buf[i] = (uint8_t)t_next(&r);
    int crc_ok = 1;
    for (size_t off = 0; off < 8; off++)
        for (size_t n = 0; n + off <= sizeof buf; n += 37) {
            if (mcc_crc32(buf + off, n) != ref_crc(buf + off, n)) crc_ok = 0;
            size_t h = n / 3;
            if (mcc_crc32_update(mcc_crc32(buf + off, h), buf + off + h, n - h) != ref_crc(buf + off, n)) crc_ok = 0;
        }
    CHECK(crc_ok);

    /* f16: every half decodes exactly and finite halves re-encode to themselves */
    int dec_ok = 1, enc_ok = 1;
    for (uint32_t h = 0; h < 65536; h++) {
        float f = mcc_f16_to_f32((uint16_t)h);
        double ref = ref_half((uint16_t)h);
        if (isnan(ref) ? !isnan(f) : (double)f != ref) dec_ok = 0;
        if (!isnan(ref) && mcc_f32_to_f16(f) != h) enc_ok = 0;
    }
    CHECK(dec_ok);
    CHECK(enc_ok);
    /* rounding: ties to even, overflow, subnormal */
    CHECK(mcc_f32_to_f16(1.0f + 0x1p-11f) == 0x3C00);          /* halfway, even stays */
    CHECK(mcc_f32_to_f16(1.0f + 3 * 0x1p-11f) == 0x3C02);      /* halfway, rounds up to even */
    CHECK(mcc_f32_to_f16(1.0f + 0x1p-11f + 0x1p-20f) == 0x3C01);
    CHECK(mcc_f32_to_f16(65504.0f) == 0x7BFF);
    CHECK(mcc_f32_to_f16(65519.0f) == 0x7BFF);
    CHECK(mcc_f32_to_f16(65520.0f) == 0x7C00);
    CHECK(mcc_f32_to_f16(-1e10f) == 0xFC00);
    CHECK(mcc_f32_to_f16(0x1p-24f) == 0x0001);
    CHECK(mcc_f32_to_f16(0x1p-25f) == 0x0000);                 /* tie to even (0) */
    CHECK(mcc_f32_to_f16(0x1.8p-25f) == 0x0001);
    CHECK(mcc_f32_to_f16(-0.0f) == 0x8000);
    CHECK((mcc_f32_to_f16(NAN) & 0x7C00) == 0x7C00 && (mcc_f32_to_f16(NAN) & 0x3FF));

    /* UTF-8 */
    struct { const char *s; size_t n; int ok; } u[] = {
        {"abc", 3, 1}, {"", 0, 1}, {"\xC3\xA9", 2, 1}, {"\xE2\x82\xAC", 3, 1}, {"\xF0\x9F\x98\x80", 4, 1},
        {"\xF4\x8F\xBF\xBF", 4, 1}, {"\xC0\x80", 2, 0}, {"\xC1\xBF", 2, 0}, {"\xE0\x80\x80", 3, 0},
        {"\xED\xA0\x80", 3, 0}, {"\xF4\x90\x80\x80", 4, 0}, {"\xF5\x80\x80\x80", 4, 0}, {"\x80", 1, 0},
        {"\xC3", 1, 0}, {"\xE2\x82", 2, 0}, {"\xFF", 1, 0}, {"abcdefgh\xC3\xA9ijklmnop", 18, 1},
        {"abcdefghijklmno\xC3", 16, 0}, {"\xF0\x8F\xBF\xBF", 4, 0},
    };
    for (size_t i = 0; i < sizeof u / sizeof u[0]; i++)
        CHECK_MSG(mcc_utf8_valid((const uint8_t *)u[i].s, u[i].n) == u[i].ok, "utf8 case %zu", i);

    /* bucket hash: the formula of FORMAT.md */
    int hash_ok = 1;
    for (uint32_t i = 0; i < 10000; i += 7)
        if (memcom_hash_bucket(i, 0x1234567890ull, 997) != ref_bucket(i, 0x1234567890ull, 997)) hash_ok = 0;
    CHECK(hash_ok);
    CHECK(memcom_hash_bucket(0xFFFFFFFFu, UINT64_MAX, 1000) == ref_bucket(0xFFFFFFFFu, UINT64_MAX, 1000));
    CHECK(memcom_hash_bucket(5, 0, 1) == 0);

    /* aligned allocation */
    int align_ok = 1;
    void *ps[50];
    for (int i = 0; i < 50; i++) {
        ps[i] = memcom_malloc((size_t)i * 13);
        if (!ps[i] || ((uintptr_t)ps[i] & 63)) align_ok = 0;
        else memset(ps[i], 0xAB, (size_t)i * 13);
    }
    for (int i = 0; i < 50; i++) memcom_free(ps[i]);
    memcom_free(NULL);
    CHECK(align_ok);
    CHECK(memcom_malloc(SIZE_MAX - 8) == NULL);

    /* error texts: every code has a distinct name and a message */
    int names_ok = 1;
    for (int c = 0; c < MEMCOM_E_MAX_CODE; c++) {
        const char *n = memcom_error_name(c);
        int defined = (c <= 11) || (c >= 20 && c <= 38) || (c >= 40 && c <= 52);
        if (defined && (!strcmp(n, "unknown") || !memcom_error_message(c)[0])) names_ok = 0;
        if (!defined && strcmp(n, "unknown")) names_ok = 0;
        for (int d = 0; d < c && defined; d++)
            if (!strcmp(n, memcom_error_name(d))) names_ok = 0;
    }
    CHECK(names_ok);
    CHECK(!strcmp(memcom_error_name(MEMCOM_E_SECTION_CRC), "section_crc"));
    CHECK(!strcmp(memcom_error_name(-1), "unknown"));
    CHECK(!strcmp(memcom_error_name(MEMCOM_E_MAX_CODE), "unknown"));
    CHECK(!strcmp(memcom_version_string(), "0.1.0"));
    char ver[48];
    snprintf(ver, sizeof ver, "%d.%d.%d", MEMCOM_VERSION_MAJOR, MEMCOM_VERSION_MINOR, MEMCOM_VERSION_PATCH);
    CHECK(!strcmp(memcom_version_string(), ver)); /* built from the macros */

    /* per-item values: f32 as stored, f16 decoded */
    const float fv[2] = {1.5f, -2.25f};
    const uint16_t hv[2] = {0x3E00u, 0xC080u}; /* 1.5, -2.25 */
    CHECK(mcc_f32_or_f16_at(fv, MEMCOM_DTYPE_F32, 0) == 1.5f && mcc_f32_or_f16_at(fv, MEMCOM_DTYPE_F32, 1) == -2.25f);
    CHECK(mcc_f32_or_f16_at(hv, MEMCOM_DTYPE_F16, 0) == 1.5f && mcc_f32_or_f16_at(hv, MEMCOM_DTYPE_F16, 1) == -2.25f);
}
