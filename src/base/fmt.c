/*
 * fmt.c - a small snprintf for error details: %s %c %d %i %u %x %X %%, the
 * '0' and '-' flags, a field width, and the length modifiers l, ll and z.
 * libc's printf would pull its floating-point formatter into the .wasm
 * (several KB), and details never print floats.  Anything else is written
 * as '?' (the format attribute lets the compiler reject it first).
 */
#include <stdarg.h>

#include "base.h"

/* error details are cold: small code over speed */
#if defined(__clang__)
#define MCC_COLD __attribute__((minsize, noinline))
#elif defined(__GNUC__)
#define MCC_COLD __attribute__((cold, noinline))
#else
#define MCC_COLD
#endif

typedef struct {
    char *buf;
    size_t cap, len; /* len: what the full output would take */
} mcc_out;

MCC_COLD static void mcc_put(mcc_out *o, char c)
{
    if (o->len + 1 < o->cap) o->buf[o->len] = c;
    o->len++;
}

MCC_COLD static void mcc_field(mcc_out *o, const char *s, size_t n, unsigned width, int left, char pad)
{
    size_t fill = width > n ? width - n : 0;
    if (!left)
        while (fill--) mcc_put(o, pad);
    for (size_t i = 0; i < n; i++) mcc_put(o, s[i]);
    if (left)
        while (fill--) mcc_put(o, ' ');
}

MCC_COLD size_t mcc_vformat(char *buf, size_t cap, const char *fmt, va_list ap)
{
    mcc_out o = {buf, cap, 0};
    for (const char *p = fmt; *p; p++) {
        if (*p != '%') {
            mcc_put(&o, *p);
            continue;
        }
        p++;
        int left = 0;
        char pad = ' ';
        for (;; p++) {
            if (*p == '-') left = 1;
            else if (*p == '0') pad = '0';
            else break;
        }
        unsigned width = 0;
        while (*p >= '0' && *p <= '9' && width < 1000) width = width * 10 + (unsigned)(*p++ - '0');
        int lng = 0; /* 1: l, 2: ll, 3: z */
        if (*p == 'l') {
            lng = 1;
            if (*++p == 'l') lng = 2, p++;
        } else if (*p == 'z') {
            lng = 3;
            p++;
        }
        if (left) pad = ' ';
        char num[24];
        size_t nl = 0;
        switch (*p) {
        case '%': mcc_put(&o, '%'); break;
        case 'c': num[0] = (char)va_arg(ap, int); mcc_field(&o, num, 1, width, left, ' '); break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (!s) s = "(null)";
            size_t n = 0;
            while (s[n]) n++;
            mcc_field(&o, s, n, width, left, ' ');
            break;
        }
        case 'd': case 'i': case 'u': case 'x': case 'X': {
            int is_signed = *p == 'd' || *p == 'i';
            unsigned long long v;
            int neg = 0;
            if (is_signed) {
                long long s = lng == 2 ? va_arg(ap, long long) : lng == 1 ? va_arg(ap, long) : lng == 3 ? (long long)va_arg(ap, size_t) : va_arg(ap, int);
                neg = s < 0;
                v = neg ? 0ull - (unsigned long long)s : (unsigned long long)s;
            } else {
                v = lng == 2 ? va_arg(ap, unsigned long long) : lng == 1 ? va_arg(ap, unsigned long) : lng == 3 ? va_arg(ap, size_t) : va_arg(ap, unsigned);
            }
            unsigned base = *p == 'x' || *p == 'X' ? 16u : 10u;
            const char *digits = *p == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
            char rev[24];
            size_t nd = 0;
            do {
                rev[nd++] = digits[v % base];
                v /= base;
            } while (v);
            if (neg && pad == '0') { /* the sign goes before the zeros */
                mcc_put(&o, '-');
                if (width) width--;
                neg = 0;
            }
            if (neg) num[nl++] = '-';
            while (nd) num[nl++] = rev[--nd];
            mcc_field(&o, num, nl, width, left, pad);
            break;
        }
        case '\0': p--; break; /* a lone '%' at the end */
        default: mcc_put(&o, '?'); break;
        }
    }
    if (cap) buf[o.len < cap ? o.len : cap - 1] = '\0';
    return o.len;
}

size_t mcc_format(char *buf, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t n = mcc_vformat(buf, cap, fmt, ap);
    va_end(ap);
    return n;
}
