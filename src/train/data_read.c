/* data_read.c - parsers for `user item item ...` files and CSV/TSV logs.
 * Every error names the file and the line. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "train.h"

long mt_getline(FILE *f, char **buf, size_t *cap)
{
    size_t len = 0;
    int c;
    while ((c = getc_unlocked(f)) != EOF) {
        if (len + 2 > *cap) {
            *cap = *cap ? *cap * 2 : 256;
            *buf = mt_xrealloc(*buf, *cap);
        }
        if (c == '\n') break;
        (*buf)[len++] = (char)c;
    }
    if (c == EOF && len == 0) return -1;
    if (!*buf) *buf = mt_xcalloc(1, 1);
    if (len && (*buf)[len - 1] == '\r') len--;
    (*buf)[len] = 0;
    return (long)len;
}

void mt_pairs_push(mt_pairs *p, uint32_t user, uint32_t item, uint8_t part)
{
    if (p->count == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 4096;
        p->user = mt_xrealloc(p->user, p->cap * sizeof *p->user);
        p->item = mt_xrealloc(p->item, p->cap * sizeof *p->item);
        p->part = mt_xrealloc(p->part, p->cap * sizeof *p->part);
    }
    p->user[p->count] = user;
    p->item[p->count] = item;
    p->part[p->count] = part;
    p->count++;
}

void mt_pairs_free(mt_pairs *p)
{
    free(p->user);
    free(p->item);
    free(p->part);
    memset(p, 0, sizeof *p);
}

/* Valid UTF-8 without control characters; returns 0 if not. */
static int valid_id(const char *s, size_t len)
{
    if (len == 0) return 0;
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        unsigned c = u[i];
        if (c < 0x20 || c == 0x7f) return 0;
        if (c < 0x80) { i++; continue; }
        int extra;
        unsigned min;
        if ((c & 0xE0) == 0xC0) { extra = 1; min = 0x80; c &= 0x1F; }
        else if ((c & 0xF0) == 0xE0) { extra = 2; min = 0x800; c &= 0x0F; }
        else if ((c & 0xF8) == 0xF0) { extra = 3; min = 0x10000; c &= 0x07; }
        else return 0;
        if (i + (size_t)extra >= len) return 0;
        for (int k = 1; k <= extra; k++) {
            if ((u[i + k] & 0xC0) != 0x80) return 0;
            c = (c << 6) | (u[i + k] & 0x3F);
        }
        if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
        i += (size_t)extra + 1;
    }
    return 1;
}

static int has_nul(const char *line, long len) { return (long)strlen(line) != len; }

/* A UTF-8 byte order mark at the start of a file is not part of the first id. */
static void strip_bom(char *line, long *len, unsigned long lineno)
{
    if (lineno == 1 && *len >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) {
        memmove(line, line + 3, (size_t)*len - 2);   /* with the NUL */
        *len -= 3;
    }
}

int mt_read_split_file(const char *path, uint8_t part, mt_strmap *users, mt_strmap *items,
                       mt_pairs *out, mt_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) return mt_fail(err, MT_E_DATA, "%s: cannot open: %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    long len;
    unsigned long lineno = 0;
    int rc = 0;
    while ((len = mt_getline(f, &line, &cap)) >= 0) {
        lineno++;
        strip_bom(line, &len, lineno);
        if (has_nul(line, len)) {
            rc = mt_fail(err, MT_E_DATA, "%s:%lu: NUL byte in line (binary file?)", path, lineno);
            break;
        }
        char *p = line;
        while (*p == ' ' || *p == '\t') p++;
        if (!*p || *p == '#') continue;   /* blank line or comment */
        uint32_t user = 0;
        int first = 1;
        while (*p) {
            char *tok = p;
            while (*p && *p != ' ' && *p != '\t') p++;
            size_t tl = (size_t)(p - tok);
            if (!valid_id(tok, tl)) {
                rc = mt_fail(err, MT_E_DATA, "%s:%lu: %s id \"%.*s\" is not valid UTF-8 text", path,
                             lineno, first ? "user" : "item", (int)(tl > 40 ? 40 : tl), tok);
                goto done;
            }
            if (first) {
                user = mt_strmap_intern(users, tok, tl, NULL);
                first = 0;
            } else {
                uint32_t it = mt_strmap_intern(items, tok, tl, NULL);
                mt_pairs_push(out, user, it, part);
            }
            while (*p == ' ' || *p == '\t') p++;
        }
    }
    if (!rc && ferror(f)) rc = mt_fail(err, MT_E_DATA, "%s: read error", path);
done:
    free(line);
    fclose(f);
    return rc;
}

/* Split one CSV line into fields (RFC 4180 quotes); modifies the line. */
static int csv_fields(char *line, char delim, char **fields, size_t *lens, int max, int *count)
{
    int n = 0;
    char *p = line;
    for (;;) {
        if (n == max) return -2;
        if (*p == '"') {
            char *start = ++p, *w = p;
            for (;;) {
                if (!*p) return -1;          /* unterminated quote */
                if (*p == '"') {
                    if (p[1] == '"') { *w++ = '"'; p += 2; continue; }
                    p++;
                    break;
                }
                *w++ = *p++;
            }
            fields[n] = start;
            lens[n] = (size_t)(w - start);
            n++;
            if (*p && *p != delim) return -1;
        } else {
            char *start = p;
            while (*p && *p != delim) p++;
            fields[n] = start;
            lens[n] = (size_t)(p - start);
            n++;
        }
        if (!*p) break;
        p++;   /* delimiter */
    }
    *count = n;
    return 0;
}

static void trim(char **s, size_t *len)
{
    while (*len && (**s == ' ' || **s == '\t')) { (*s)++; (*len)--; }
    while (*len && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t')) (*len)--;
}

int mt_read_csv_file(const mt_data_opts *o, mt_strmap *users, mt_strmap *items, mt_pairs *out,
                     mt_err *err)
{
    const char *path = o->path;
    FILE *f = fopen(path, "rb");
    if (!f) return mt_fail(err, MT_E_DATA, "%s: cannot open: %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    long len;
    unsigned long lineno = 0, kept = 0;
    int rc = 0;
    char delim = o->delimiter;
    while ((len = mt_getline(f, &line, &cap)) >= 0) {
        lineno++;
        strip_bom(line, &len, lineno);
        if (has_nul(line, len)) {
            rc = mt_fail(err, MT_E_DATA, "%s:%lu: NUL byte in line (binary file?)", path, lineno);
            break;
        }
        if (!delim) delim = strchr(line, '\t') ? '\t' : (strchr(line, ',') ? ',' : (strchr(line, ';') ? ';' : ','));
        if (lineno == 1 && o->header) continue;
        if (len == 0) continue;
        char *fields[8];
        size_t lens[8];
        int nf = 0, r = csv_fields(line, delim, fields, lens, 8, &nf);
        if (r == -1) { rc = mt_fail(err, MT_E_DATA, "%s:%lu: unterminated or misplaced quote", path, lineno); break; }
        if (r == -2 || nf > 4) {
            rc = mt_fail(err, MT_E_DATA, "%s:%lu: too many fields (expected user%citem[%crating[%ctimestamp]])",
                         path, lineno, delim, delim, delim);
            break;
        }
        if (nf < 2) {
            rc = mt_fail(err, MT_E_DATA, "%s:%lu: expected at least 2 fields separated by '%s', found %d%s",
                         path, lineno, delim == '\t' ? "\\t" : (char[]){delim, 0}, nf,
                         lineno == 1 && !o->header ? " (a header line? use --header)" : "");
            break;
        }
        for (int k = 0; k < nf; k++) trim(&fields[k], &lens[k]);
        for (int k = 0; k < 2; k++) {
            if (!valid_id(fields[k], lens[k])) {
                rc = mt_fail(err, MT_E_DATA, "%s:%lu: %s id is empty or not valid UTF-8 text", path, lineno,
                             k == 0 ? "user" : "item");
                goto done;
            }
        }
        if (o->has_threshold) {
            if (nf < 3) {
                rc = mt_fail(err, MT_E_DATA, "%s:%lu: --min-rating given but the line has no rating field", path,
                             lineno);
                break;
            }
            char tmp[64];
            if (lens[2] == 0 || lens[2] >= sizeof tmp) {
                rc = mt_fail(err, MT_E_DATA, "%s:%lu: rating \"%.*s\" is not a number", path, lineno,
                             (int)(lens[2] > 40 ? 40 : lens[2]), fields[2]);
                break;
            }
            memcpy(tmp, fields[2], lens[2]);
            tmp[lens[2]] = 0;
            char *end;
            errno = 0;
            double v = strtod(tmp, &end);
            if (*end || errno || v != v) {
                rc = mt_fail(err, MT_E_DATA, "%s:%lu: rating \"%s\" is not a number%s", path, lineno, tmp,
                             lineno == 1 && !o->header ? " (a header line? use --header)" : "");
                break;
            }
            if (v < o->threshold) continue;
        }
        uint32_t u = mt_strmap_intern(users, fields[0], lens[0], NULL);
        uint32_t it = mt_strmap_intern(items, fields[1], lens[1], NULL);
        mt_pairs_push(out, u, it, 0);
        kept++;
    }
    if (!rc && ferror(f)) rc = mt_fail(err, MT_E_DATA, "%s: read error", path);
    if (!rc && kept == 0) rc = mt_fail(err, MT_E_DATA, "%s: no interactions%s", path, o->has_threshold ? " at or above the rating threshold" : "");
done:
    free(line);
    fclose(f);
    return rc;
}
