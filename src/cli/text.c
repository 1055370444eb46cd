/* text.c - printing text that comes from files (item ids, data set names,
 * paths, error messages quoting data) so that it cannot drive the terminal. */
#include <string.h>

#include "cli.h"

/* Length of the valid UTF-8 sequence at s (1..4) and its code point; 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t len, unsigned *cp)
{
    unsigned c = s[0];
    size_t n;
    unsigned min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if ((c & 0xE0) == 0xC0) {
        n = 2;
        min = 0x80;
        c &= 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
        n = 3;
        min = 0x800;
        c &= 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
        n = 4;
        min = 0x10000;
        c &= 0x07;
    } else {
        return 0;
    }
    if (n > len) return 0;
    for (size_t k = 1; k < n; k++) {
        if ((s[k] & 0xC0) != 0x80) return 0;
        c = (c << 6) | (s[k] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
    *cp = c;
    return n;
}

static int is_control(unsigned cp)
{
    return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F) ||   /* C0, DEL, C1          */
           cp == 0x061C || cp == 0x200E || cp == 0x200F ||             /* ALM, LRM, RLM        */
           (cp >= 0x202A && cp <= 0x202E) ||                           /* LRE RLE PDF LRO RLO  */
           (cp >= 0x2066 && cp <= 0x2069);                             /* LRI RLI FSI PDI      */
}

size_t cli_print_text(FILE *f, const char *s, size_t len, int flags)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, out = 0;
    while (i < len) {
        unsigned cp;
        size_t n = utf8_seq(u + i, len - i, &cp);
        if (n == 0) {
            out += (size_t)fprintf(f, "\\x%02x", u[i]);
            i++;
        } else if (cp == '\\' && (flags & CLI_TEXT_BACKSLASH)) {
            out += (size_t)fprintf(f, "\\\\");
            i++;
        } else if (is_control(cp)) {
            out += (size_t)(cp < 0x80 ? fprintf(f, "\\x%02x", cp) : fprintf(f, "\\u%04x", cp));
            i += n;
        } else {
            fwrite(u + i, 1, n, f);
            out += n;
            i += n;
        }
    }
    return out;
}

int cli_fail(const char *cmd, const mt_err *err)
{
    fprintf(stderr, "memcom %s: ", cmd);
    cli_print_text(stderr, err->msg, strlen(err->msg), 0);
    fputc('\n', stderr);
    return 1;
}
