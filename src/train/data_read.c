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

void mt_pairs_push_graded(mt_pairs *p, uint32_t user, uint32_t item, uint8_t part, float grade)
{
    if (p->count == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 4096;
        p->user = mt_xrealloc(p->user, p->cap * sizeof *p->user);
        p->item = mt_xrealloc(p->item, p->cap * sizeof *p->item);
        p->part = mt_xrealloc(p->part, p->cap * sizeof *p->part);
        p->grade = mt_xrealloc(p->grade, p->cap * sizeof *p->grade);
    }
    p->user[p->count] = user;
    p->item[p->count] = item;
    p->part[p->count] = part;
    p->grade[p->count] = grade;
    p->count++;
}

void mt_pairs_push(mt_pairs *p, uint32_t user, uint32_t item, uint8_t part)
{
    mt_pairs_push_graded(p, user, item, part, 1.0f);
}

void mt_pairs_free(mt_pairs *p)
{
    free(p->user);
    free(p->item);
    free(p->part);
    free(p->grade);
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

/* Split one CSV line into fields (RFC 4180 quotes); modifies the line.  With
 * the space delimiter a run of spaces separates two fields and leading and
 * trailing spaces are ignored (space-separated logs align their columns). */
static size_t delim_len(const char *p, char delim)   /* the delimiter's length at p, 0 if none */
{
    if (delim == MT_DELIM_DOUBLE_COLON) return p[0] == ':' && p[1] == ':' ? 2 : 0;
    return *p && *p == delim;
}

static int csv_fields(char *line, char delim, char **fields, size_t *lens, int max, int *count)
{
    int n = 0;
    char *p = line;
    if (delim == ' ') {
        while (*p == ' ') p++;
        size_t l = strlen(p);
        while (l && p[l - 1] == ' ') p[--l] = 0;
    }
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
            if (*p && !delim_len(p, delim)) return -1;
        } else {
            char *start = p;
            while (*p && !delim_len(p, delim)) p++;
            fields[n] = start;
            lens[n] = (size_t)(p - start);
            n++;
        }
        if (!*p) break;
        p += delim_len(p, delim);
        if (delim == ' ')
            while (*p == ' ') p++;
    }
    *count = n;
    return 0;
}

static void trim(char **s, size_t *len)
{
    while (*len && (**s == ' ' || **s == '\t')) { (*s)++; (*len)--; }
    while (*len && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t')) (*len)--;
}

const char *mt_delimiter_name(char d)
{
    switch (d) {
    case ',': return "comma";
    case '\t': return "tab";
    case ' ': return "space";
    case ';': return "semicolon";
    case '|': return "pipe";
    case MT_DELIM_DOUBLE_COLON: return "'::'";
    default: return NULL;
    }
}

int mt_delimiter_parse(const char *s, char *out)
{
    static const struct { const char *name; char c; } names[] = {
        {"comma", ','}, {"tab", '\t'}, {"\\t", '\t'}, {"space", ' '}, {"semicolon", ';'}, {"pipe", '|'},
        {"::", MT_DELIM_DOUBLE_COLON},
    };
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
        if (strcmp(s, names[k].name) == 0) {
            *out = names[k].c;
            return 0;
        }
    if (strlen(s) == 1 && s[0] != '"' && s[0] != '\n' && s[0] != '\r' && (unsigned char)s[0] >= 0x20 &&
        (unsigned char)s[0] < 0x7f) {
        *out = s[0];
        return 0;
    }
    return -1;
}

static const char *const col_roles[MT_N_COLS] = {"user", "item", "grade", "time"};

int mt_columns_parse(const char *spec, mt_columns *c, mt_err *err)
{
    memset(c, 0, sizeof *c);
    for (int k = 0; k < MT_N_COLS; k++) c->idx[k] = -1;
    if (!spec) {   /* the default: user,item[,grade[,time]] */
        for (int k = 0; k < MT_N_COLS; k++) c->idx[k] = k;
        return 0;
    }
    c->given = 1;
    const char *p = spec;
    while (*p) {
        const char *eq = strchr(p, '=');
        const char *end = strchr(p, ',');
        if (!end) end = p + strlen(p);
        if (!eq || eq > end)
            return mt_fail(err, MT_E_OPTION, "--columns expects ROLE=INDEX or ROLE=NAME items separated by commas "
                                             "(e.g. user=0,item=1,grade=2,time=3), got '%s'", spec);
        size_t kl = (size_t)(eq - p);
        int role = -1;
        for (int k = 0; k < MT_N_COLS; k++)
            if (strlen(col_roles[k]) == kl && memcmp(p, col_roles[k], kl) == 0) role = k;
        if (kl == 6 && memcmp(p, "rating", 6) == 0) role = MT_COL_GRADE;
        if (kl == 9 && memcmp(p, "timestamp", 9) == 0) role = MT_COL_TIME;
        if (role < 0)
            return mt_fail(err, MT_E_OPTION, "--columns: unknown role '%.*s' (user, item, grade or rating, time or "
                                             "timestamp)", (int)(kl > 40 ? 40 : kl), p);
        if (c->idx[role] >= 0 || c->name[role])
            return mt_fail(err, MT_E_OPTION, "--columns names the %s column twice", col_roles[role]);
        const char *v = eq + 1;
        size_t vl = (size_t)(end - v);
        if (vl == 0) return mt_fail(err, MT_E_OPTION, "--columns: no column given for %s", col_roles[role]);
        size_t digits = 0;
        while (digits < vl && v[digits] >= '0' && v[digits] <= '9') digits++;
        if (digits == vl) {
            long x = vl > 4 ? MT_MAX_FIELDS : strtol(v, NULL, 10);
            if (x >= MT_MAX_FIELDS)
                return mt_fail(err, MT_E_OPTION, "--columns: column index %.*s is out of range (0..%d)",
                               (int)(vl > 20 ? 20 : vl), v, MT_MAX_FIELDS - 1);
            c->idx[role] = (int)x;
        } else {
            c->name[role] = v;
            c->name_len[role] = vl;
            c->by_name = 1;
        }
        p = *end ? end + 1 : end;
    }
    for (int k = 0; k < 2; k++)
        if (c->idx[k] < 0 && !c->name[k])
            return mt_fail(err, MT_E_OPTION, "--columns must say which column holds the %s (e.g. %s=%d)",
                           col_roles[k], col_roles[k], k);
    return 0;
}

/* a number (the grade and time columns are numbers; ids of most logs are) */
static int is_number(const char *s, size_t len)
{
    char tmp[64];
    if (len == 0 || len >= sizeof tmp) return 0;
    memcpy(tmp, s, len);
    tmp[len] = 0;
    char *end;
    errno = 0;
    double v = strtod(tmp, &end);
    return *end == 0 && errno == 0 && v == v;
}

#define SNIFF_LINES 20
typedef struct sniff {
    char *line[SNIFF_LINES];
    unsigned long lineno[SNIFF_LINES];
    int n;
} sniff;

static void sniff_free(sniff *s)
{
    for (int k = 0; k < s->n; k++) free(s->line[k]);
    s->n = 0;
}

/* fields of a copy of sniffed line k (-1: not parseable with delim) */
static int sniff_fields(const sniff *s, int k, char delim, char **buf, char **fields, size_t *lens)
{
    free(*buf);
    *buf = mt_xstrdup(s->line[k], strlen(s->line[k]));
    int nf = 0;
    if (csv_fields(*buf, delim, fields, lens, MT_MAX_FIELDS, &nf)) return -1;
    for (int j = 0; j < nf; j++) trim(&fields[j], &lens[j]);
    return nf;
}

/* The delimiter that splits the sniffed lines (all but the first, which may
 * be a header) into the same number (>= 2) of fields; preference in order. */
static char detect_delimiter(const sniff *s)
{
    static const char cand[] = {'\t', ',', ';', '|', MT_DELIM_DOUBLE_COLON, ' '};
    char *buf = NULL, *fields[MT_MAX_FIELDS];
    size_t lens[MT_MAX_FIELDS];
    char found = 0;
    for (size_t c = 0; c < sizeof cand && !found; c++) {
        int from = s->n > 1 ? 1 : 0, count = -1, ok = 1;
        for (int k = from; k < s->n && ok; k++) {
            int nf = sniff_fields(s, k, cand[c], &buf, fields, lens);
            if (nf < 2 || (count >= 0 && nf != count)) ok = 0;
            count = nf;
        }
        if (ok && s->n) found = cand[c];
    }
    for (size_t c = 0; c < sizeof cand && !found && s->n; c++)   /* ragged: the first that splits line 1 */
        if (sniff_fields(s, 0, cand[c], &buf, fields, lens) >= 2) found = cand[c];
    free(buf);
    return found ? found : ',';
}

static void delim_text(char d, char *out, size_t cap)
{
    const char *n = mt_delimiter_name(d);
    if (n)
        snprintf(out, cap, "%s", n);
    else
        snprintf(out, cap, "'%c'", d);
}

int mt_read_csv_file(const mt_data_opts *o, mt_strmap *users, mt_strmap *items, mt_pairs *out,
                     mt_csv_info *info, mt_err *err)
{
    const char *path = o->path;
    mt_columns cols;
    if (mt_columns_parse(o->columns, &cols, err)) return -1;
    FILE *f = fopen(path, "rb");
    if (!f) return mt_fail(err, MT_E_DATA, "%s: cannot open: %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    long len;
    unsigned long lineno = 0, kept = 0;
    int rc = 0;
    memset(info, 0, sizeof *info);
    /* ---- sniff the first non-empty lines: delimiter, header, column names ---- */
    sniff sn = {{0}, {0}, 0};
    while (sn.n < SNIFF_LINES && (len = mt_getline(f, &line, &cap)) >= 0) {
        lineno++;
        strip_bom(line, &len, lineno);
        if (has_nul(line, len)) break;   /* reported with its line number below */
        if (len == 0) continue;
        sn.line[sn.n] = mt_xstrdup(line, (size_t)len);
        sn.lineno[sn.n++] = lineno;
    }
    char delim = o->delimiter;
    if (!delim) {
        delim = detect_delimiter(&sn);
        info->delimiter_detected = 1;
    }
    info->delimiter = delim;
    char *sbuf = NULL, *sbuf2 = NULL, *fields[MT_MAX_FIELDS], *f2[MT_MAX_FIELDS];
    size_t lens[MT_MAX_FIELDS], l2[MT_MAX_FIELDS];
    int header = o->header;   /* 1 yes, -1 no, 0 detect */
    int nf1 = sn.n ? sniff_fields(&sn, 0, delim, &sbuf, fields, lens) : -1;
    if (cols.by_name) {
        if (header < 0) {
            rc = mt_fail(err, MT_E_OPTION, "--columns names columns, which needs a header line: drop --no-header");
            goto sniffed;
        }
        header = 1;
        for (int k = 0; k < MT_N_COLS; k++) {
            if (!cols.name[k]) continue;
            for (int j = 0; j < nf1; j++)
                if (lens[j] == cols.name_len[k] && memcmp(fields[j], cols.name[k], lens[j]) == 0) cols.idx[k] = j;
            if (cols.idx[k] < 0) {
                char dn[16];
                delim_text(delim, dn, sizeof dn);
                rc = mt_fail(err, MT_E_DATA, "%s:%lu: no column named \"%.*s\" (--columns %s) in the header line \"%.*s\" "
                                             "(fields separated by %s)",
                             path, sn.n ? sn.lineno[0] : 1UL, (int)(cols.name_len[k] > 40 ? 40 : cols.name_len[k]),
                             cols.name[k], col_roles[k], sn.n ? (int)(strlen(sn.line[0]) > 80 ? 80 : strlen(sn.line[0])) : 0,
                             sn.n ? sn.line[0] : "", dn);
                goto sniffed;
            }
        }
    }
    if (header == 0 && sn.n >= 2 && nf1 >= 2) {
        /* a first line whose grade or time field is not a number where the
         * next line's is, or whose user and item fields both are not numbers
         * where the next line's both are, is a header */
        int nf2 = sniff_fields(&sn, 1, delim, &sbuf2, f2, l2);
        int is_header = 0;
        for (int k = 0; k < MT_N_COLS && nf2 >= 2; k++) {
            int c = cols.idx[k];
            if (k < 2 || c < 0 || c >= nf1 || c >= nf2) continue;
            if (!is_number(fields[c], lens[c]) && is_number(f2[c], l2[c])) is_header = 1;
        }
        int u = cols.idx[MT_COL_USER], it = cols.idx[MT_COL_ITEM];
        if (nf2 >= 2 && u < nf1 && it < nf1 && u < nf2 && it < nf2 && !is_number(fields[u], lens[u]) &&
            !is_number(fields[it], lens[it]) && is_number(f2[u], l2[u]) && is_number(f2[it], l2[it]))
            is_header = 1;
        if (is_header) {
            header = 1;
            info->header_detected = 1;
        }
    }
    if (header > 0 && sn.n) {
        info->header_line = sn.lineno[0];
        snprintf(info->header_text, sizeof info->header_text, "%s", sn.line[0]);
    }
    /* without --columns: user, item, then grade and time when present */
    if (!cols.given) {
        int most = 0;
        for (int k = header > 0 ? 1 : 0; k < sn.n; k++) {
            int nf = sniff_fields(&sn, k, delim, &sbuf2, f2, l2);
            if (nf > most) most = nf;
        }
        if (most < 3) cols.idx[MT_COL_GRADE] = -1;
        if (most < 4) cols.idx[MT_COL_TIME] = -1;
    }
sniffed:
    free(sbuf);
    free(sbuf2);
    sniff_free(&sn);
    if (rc) {
        free(line);
        fclose(f);
        return rc;
    }
    int need = 0;   /* fields a line must have */
    for (int k = 0; k < MT_N_COLS; k++)
        if (cols.idx[k] + 1 > need) need = cols.idx[k] + 1;
    if (need < 2) need = 2;
    char dn[16];
    delim_text(delim, dn, sizeof dn);
    /* ---- read ---- */
    rewind(f);
    lineno = 0;
    int skipped_header = 0, all_graded = 1;
    while ((len = mt_getline(f, &line, &cap)) >= 0) {
        lineno++;
        strip_bom(line, &len, lineno);
        if (has_nul(line, len)) {
            rc = mt_fail(err, MT_E_DATA, "%s:%lu: NUL byte in line (binary file?)", path, lineno);
            break;
        }
        if (len == 0) continue;
        if (header > 0 && !skipped_header) {
            skipped_header = 1;
            continue;
        }
        int nf = 0, r = csv_fields(line, delim, fields, lens, MT_MAX_FIELDS, &nf);
        if (r == -1) { rc = mt_fail(err, MT_E_DATA, "%s:%lu: unterminated or misplaced quote", path, lineno); break; }
        if (r == -2 || (!cols.given && nf > 4)) {
            rc = mt_fail(err, MT_E_DATA, "%s:%lu: too many fields (%s%d, separated by %s): without --columns a line is "
                                         "user,item[,grade[,time]]; give --columns (e.g. --columns user=0,item=1,"
                                         "grade=2,time=3, or header names) to pick columns",
                         path, lineno, r == -2 ? "more than " : "", r == -2 ? MT_MAX_FIELDS : nf, dn);
            break;
        }
        if (nf < need) {
            /* a hint: another delimiter that would split this line */
            static const char cand[] = {'\t', ',', ';', '|', MT_DELIM_DOUBLE_COLON, ' '};
            char hint[96] = "";
            if (nf < 2)
                for (size_t c = 0; c < sizeof cand; c++)
                    if (cand[c] != delim && (cand[c] == MT_DELIM_DOUBLE_COLON ? strstr(line, "::") != NULL : strchr(line, cand[c]) != NULL)) {
                        snprintf(hint, sizeof hint, " (the line has %s characters: --delimiter %s?)",
                                 mt_delimiter_name(cand[c]), mt_delimiter_name(cand[c]));
                        break;
                    }
            rc = mt_fail(err, MT_E_DATA, "%s:%lu: expected at least %d fields separated by %s, found %d%s", path,
                         lineno, need, dn, nf, hint);
            break;
        }
        for (int k = 0; k < nf; k++) trim(&fields[k], &lens[k]);
        int uc = cols.idx[MT_COL_USER], ic = cols.idx[MT_COL_ITEM];
        for (int k = 0; k < 2; k++) {
            int c = k == 0 ? uc : ic;
            if (!valid_id(fields[c], lens[c])) {
                rc = mt_fail(err, MT_E_DATA, "%s:%lu: %s id is empty or not valid UTF-8 text", path, lineno,
                             k == 0 ? "user" : "item");
                goto done;
            }
        }
        if (o->has_threshold) {
            int gc = cols.idx[MT_COL_GRADE];
            if (gc < 0) {
                rc = mt_fail(err, MT_E_DATA, "%s:%lu: --min-rating given but the line has no rating field", path,
                             lineno);
                break;
            }
            if (!is_number(fields[gc], lens[gc])) {
                rc = mt_fail(err, MT_E_DATA, "%s:%lu: rating \"%.*s\" is not a number%s", path, lineno,
                             (int)(lens[gc] > 40 ? 40 : lens[gc]), fields[gc],
                             lineno == 1 && header <= 0 ? " (a header line? use --header)" : "");
                break;
            }
            char tmp[64];
            memcpy(tmp, fields[gc], lens[gc]);
            tmp[lens[gc]] = 0;
            if (strtod(tmp, NULL) < o->threshold) continue;
        }
        /* the grade, kept for graded pairs and graded NDCG when every kept
         * line has a finite one */
        int gcol = cols.idx[MT_COL_GRADE];
        float grade = 1.0f;
        if (gcol >= 0 && gcol < nf && is_number(fields[gcol], lens[gcol])) {
            char tmp[64];
            memcpy(tmp, fields[gcol], lens[gcol]);
            tmp[lens[gcol]] = 0;
            double g = strtod(tmp, NULL);
            if (g > -3.0e38 && g < 3.0e38) grade = (float)g; else all_graded = 0;
        } else {
            all_graded = 0;
        }
        uint32_t u = mt_strmap_intern(users, fields[uc], lens[uc], NULL);
        uint32_t it = mt_strmap_intern(items, fields[ic], lens[ic], NULL);
        mt_pairs_push_graded(out, u, it, 0, grade);
        kept++;
    }
    out->graded = all_graded && kept > 0;
    if (!rc && ferror(f)) rc = mt_fail(err, MT_E_DATA, "%s: read error", path);
    if (!rc && kept == 0) rc = mt_fail(err, MT_E_DATA, "%s: no interactions%s", path, o->has_threshold ? " at or above the rating threshold" : "");
done:
    free(line);
    fclose(f);
    return rc;
}
