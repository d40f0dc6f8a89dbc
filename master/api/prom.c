#include "master/api/prom.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void prom_init(struct prom *p)
{
    memset(p, 0, sizeof(*p));
}

void prom_free(struct prom *p)
{
    free(p->buf);
    memset(p, 0, sizeof(*p));
}

static void append(struct prom *p, const char *s, size_t n)
{
    if (p->failed) {
        return;
    }
    if (p->len + n + 1 > p->cap) {
        size_t cap = p->cap > 0 ? p->cap : 4096;
        char *grown;
        while (p->len + n + 1 > cap) {
            cap *= 2;
        }
        grown = realloc(p->buf, cap);
        if (grown == NULL) {
            p->failed = true;
            return;
        }
        p->buf = grown;
        p->cap = cap;
    }
    memcpy(p->buf + p->len, s, n);
    p->len += n;
    p->buf[p->len] = '\0';
}

static void append_str(struct prom *p, const char *s)
{
    append(p, s, strlen(s));
}

/* Help text escapes backslash and newline; label values also escape the double quote. */
static void append_escaped(struct prom *p, const char *s, bool quote)
{
    for (; *s != '\0'; s++) {
        if (*s == '\\') {
            append(p, "\\\\", 2);
        } else if (*s == '\n') {
            append(p, "\\n", 2);
        } else if (*s == '"' && quote) {
            append(p, "\\\"", 2);
        } else {
            append(p, s, 1);
        }
    }
}

void prom_format_value(double v, char *buf, size_t size)
{
    if (isnan(v)) {
        snprintf(buf, size, "NaN");
        return;
    }
    if (isinf(v)) {
        snprintf(buf, size, "%s", v > 0 ? "+Inf" : "-Inf");
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, size, "%.*g", prec, v);
        if (strtod(buf, NULL) == v) {
            return;
        }
    }
}

void prom_family(struct prom *p, const char *name, const char *type, const char *help)
{
    append_str(p, "# HELP ");
    append_str(p, name);
    append(p, " ", 1);
    append_escaped(p, help, false);
    append_str(p, "\n# TYPE ");
    append_str(p, name);
    append(p, " ", 1);
    append_str(p, type);
    append(p, "\n", 1);
}

/* name{labels[,le="le"]} value: le is the histogram bucket bound, NULL for other samples. */
static void sample(struct prom *p, const char *name, const char *suffix,
                   const struct prom_label *labels, size_t nlabels, const char *le, double value)
{
    char text[32];

    append_str(p, name);
    append_str(p, suffix);
    if (nlabels > 0 || le != NULL) {
        append(p, "{", 1);
        for (size_t i = 0; i < nlabels; i++) {
            append_str(p, i > 0 ? "," : "");
            append_str(p, labels[i].name);
            append(p, "=\"", 2);
            append_escaped(p, labels[i].value, true);
            append(p, "\"", 1);
        }
        if (le != NULL) {
            append_str(p, nlabels > 0 ? ",le=\"" : "le=\"");
            append_str(p, le);
            append(p, "\"", 1);
        }
        append(p, "}", 1);
    }
    prom_format_value(value, text, sizeof(text));
    append(p, " ", 1);
    append_str(p, text);
    append(p, "\n", 1);
}

void prom_sample(struct prom *p, const char *name, const struct prom_label *labels, size_t nlabels,
                 double value)
{
    sample(p, name, "", labels, nlabels, NULL, value);
}

void prom_histogram(struct prom *p, const char *name, const struct prom_label *labels,
                    size_t nlabels, const double *bounds, const uint64_t *cumulative,
                    size_t nbounds, double sum, uint64_t count)
{
    char le[32];

    for (size_t i = 0; i < nbounds; i++) {
        prom_format_value(bounds[i], le, sizeof(le));
        sample(p, name, "_bucket", labels, nlabels, le, (double)cumulative[i]);
    }
    sample(p, name, "_bucket", labels, nlabels, "+Inf", (double)count);
    sample(p, name, "_sum", labels, nlabels, NULL, sum);
    sample(p, name, "_count", labels, nlabels, NULL, (double)count);
}

const char *prom_text(const struct prom *p, size_t *len)
{
    if (p->failed) {
        return NULL;
    }
    *len = p->len;
    return p->buf != NULL ? p->buf : "";
}
