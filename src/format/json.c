/*
 * json.c - a strict, bounded JSON validator (RFC 8259) for the METADATA
 * section: the whole text must be one object.  Nesting is limited to
 * MC_JSON_DEPTH levels so that no input can exhaust the stack.
 */
#include "json.h"

#define MC_JSON_DEPTH 64

typedef struct { const uint8_t *s; size_t n, i; } mcc_json;

static void mcc_ws(mcc_json *j)
{
    while (j->i < j->n && (j->s[j->i] == ' ' || j->s[j->i] == '\t' || j->s[j->i] == '\n' || j->s[j->i] == '\r')) j->i++;
}

static int mcc_hex(uint8_t c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

static int mcc_string(mcc_json *j)
{
    if (j->i >= j->n || j->s[j->i] != '"') return 0;
    j->i++;
    while (j->i < j->n) {
        uint8_t c = j->s[j->i++];
        if (c == '"') return 1;
        if (c < 0x20) return 0;
        if (c == '\\') {
            if (j->i >= j->n) return 0;
            c = j->s[j->i++];
            if (c == 'u') {
                if (j->n - j->i < 4) return 0;
                for (int k = 0; k < 4; k++)
                    if (!mcc_hex(j->s[j->i++])) return 0;
            } else if (!(c == '"' || c == '\\' || c == '/' || c == 'b' || c == 'f' || c == 'n' || c == 'r' || c == 't')) {
                return 0;
            }
        }
    }
    return 0;
}

static int mcc_digits(mcc_json *j)
{
    size_t start = j->i;
    while (j->i < j->n && j->s[j->i] >= '0' && j->s[j->i] <= '9') j->i++;
    return j->i > start;
}

static int mcc_number(mcc_json *j)
{
    if (j->i < j->n && j->s[j->i] == '-') j->i++;
    if (j->i < j->n && j->s[j->i] == '0') j->i++;
    else if (!mcc_digits(j)) return 0;
    if (j->i < j->n && j->s[j->i] == '.') {
        j->i++;
        if (!mcc_digits(j)) return 0;
    }
    if (j->i < j->n && (j->s[j->i] == 'e' || j->s[j->i] == 'E')) {
        j->i++;
        if (j->i < j->n && (j->s[j->i] == '+' || j->s[j->i] == '-')) j->i++;
        if (!mcc_digits(j)) return 0;
    }
    return 1;
}

static int mcc_literal(mcc_json *j, const char *lit)
{
    size_t len = strlen(lit);
    if (j->n - j->i < len || memcmp(j->s + j->i, lit, len) != 0) return 0;
    j->i += len;
    return 1;
}

static int mcc_value(mcc_json *j, int depth);

static int mcc_object(mcc_json *j, int depth)
{
    j->i++; /* '{' */
    mcc_ws(j);
    if (j->i < j->n && j->s[j->i] == '}') { j->i++; return 1; }
    for (;;) {
        mcc_ws(j);
        if (!mcc_string(j)) return 0;
        mcc_ws(j);
        if (j->i >= j->n || j->s[j->i] != ':') return 0;
        j->i++;
        if (!mcc_value(j, depth + 1)) return 0;
        mcc_ws(j);
        if (j->i >= j->n) return 0;
        if (j->s[j->i] == '}') { j->i++; return 1; }
        if (j->s[j->i] != ',') return 0;
        j->i++;
    }
}

static int mcc_array(mcc_json *j, int depth)
{
    j->i++; /* '[' */
    mcc_ws(j);
    if (j->i < j->n && j->s[j->i] == ']') { j->i++; return 1; }
    for (;;) {
        if (!mcc_value(j, depth + 1)) return 0;
        mcc_ws(j);
        if (j->i >= j->n) return 0;
        if (j->s[j->i] == ']') { j->i++; return 1; }
        if (j->s[j->i] != ',') return 0;
        j->i++;
    }
}

static int mcc_value(mcc_json *j, int depth)
{
    if (depth > MC_JSON_DEPTH) return 0;
    mcc_ws(j);
    if (j->i >= j->n) return 0;
    switch (j->s[j->i]) {
    case '{': return mcc_object(j, depth);
    case '[': return mcc_array(j, depth);
    case '"': return mcc_string(j);
    case 't': return mcc_literal(j, "true");
    case 'f': return mcc_literal(j, "false");
    case 'n': return mcc_literal(j, "null");
    default: return mcc_number(j);
    }
}

int mcc_json_is_object(const uint8_t *s, size_t n)
{
    mcc_json j = {s, n, 0};
    mcc_ws(&j);
    if (j.i >= n || s[j.i] != '{') return 0;
    if (!mcc_value(&j, 0)) return 0;
    mcc_ws(&j);
    return j.i == n;
}
