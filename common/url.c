#include "common/url.h"

#include <errno.h>
#include <stdbool.h>

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* The byte at s[*i] decoded, with *i moved past what it used. */
static char decode_one(const char *s, size_t n, size_t *i)
{
    char c = s[*i];
    int hi;
    int lo;

    if (c == '+') {
        c = ' ';
    } else if (c == '%' && *i + 2 < n && (hi = hex_value(s[*i + 1])) >= 0 &&
               (lo = hex_value(s[*i + 2])) >= 0) {
        c = (char)(hi << 4 | lo);
        *i += 2;
    }
    (*i)++;
    return c;
}

int url_decode(const char *s, size_t n, char *out, size_t size)
{
    size_t need = 1;

    /* Measure first, so out is untouched when it is too small. */
    for (size_t i = 0; i < n; need++) {
        decode_one(s, n, &i);
    }
    if (need > size) {
        return -ENOSPC;
    }
    for (size_t i = 0; i < n;) {
        *out++ = decode_one(s, n, &i);
    }
    *out = '\0';
    return 0;
}

char *url_escape(const char *value, char *buf, size_t size)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = 0;

    if (size == 0) {
        return buf;
    }
    for (const unsigned char *p = (const unsigned char *)value; *p != '\0'; p++) {
        bool plain = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                     (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' || *p == '~' ||
                     *p == ':';
        size_t need = plain ? 1 : 3;
        if (n + need >= size) {
            break;
        }
        if (plain) {
            buf[n++] = (char)*p;
        } else {
            buf[n++] = '%';
            buf[n++] = hex[*p >> 4];
            buf[n++] = hex[*p & 0x0F];
        }
    }
    buf[n] = '\0';
    return buf;
}
