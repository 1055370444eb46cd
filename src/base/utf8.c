/* utf8.c - strict UTF-8 validation (RFC 3629: no overlongs, no surrogates). */
#include "base.h"

int mcc_utf8_valid(const uint8_t *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        /* ASCII fast path, 8 bytes at a time */
        while (i + 8 <= len) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (w & 0x8080808080808080ull) break;
            i += 8;
        }
        if (i >= len) break;
        uint8_t c = s[i];
        if (c < 0x80) { i++; continue; }
        size_t need;
        uint32_t cp, min;
        if (c >= 0xC2 && c <= 0xDF) { need = 1; cp = c & 0x1fu; min = 0x80; }
        else if (c >= 0xE0 && c <= 0xEF) { need = 2; cp = c & 0x0fu; min = 0x800; }
        else if (c >= 0xF0 && c <= 0xF4) { need = 3; cp = c & 0x07u; min = 0x10000; }
        else return 0;
        if (len - i - 1 < need) return 0;
        for (size_t k = 1; k <= need; k++) {
            uint8_t t = s[i + k];
            if ((t & 0xC0u) != 0x80u) return 0;
            cp = (cp << 6) | (t & 0x3fu);
        }
        if (cp < min || cp > 0x10FFFFu || (cp >= 0xD800u && cp <= 0xDFFFu)) return 0;
        i += need + 1;
    }
    return 1;
}
