#include "tests/support/prom_parse.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FAMILIES 256

struct family {
    char name[128];
    char type[16];
    bool help, typed, sampled, closed;
};

struct parser {
    struct family fams[MAX_FAMILIES];
    size_t nfams;
    struct family *current; /* the family of the last line */
    struct prom_parsed *out;
    size_t n, cap;
    int line;
    char *errmsg;
    size_t errmsg_size;
};

static int fail(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct parser *p, const char *fmt, ...)
{
    char text[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    snprintf(p->errmsg, p->errmsg_size, "line %d: %s", p->line, text);
    return -1;
}

static bool name_char(char c, bool first, bool colon)
{
    return isalpha((unsigned char)c) || c == '_' || (colon && c == ':') ||
           (!first && isdigit((unsigned char)c));
}

/* A metric (colon allowed) or label name at *s into buf; advances *s. */
static int parse_name(struct parser *p, const char **s, bool colon, char *buf, size_t size)
{
    size_t n = 0;

    if (!name_char(**s, true, colon)) {
        return fail(p, "bad name at \"%.20s\"", *s);
    }
    while (name_char((*s)[n], n == 0, colon)) {
        n++;
    }
    if (n >= size) {
        return fail(p, "name too long");
    }
    memcpy(buf, *s, n);
    buf[n] = '\0';
    *s += n;
    return 0;
}

static int parse_value(struct parser *p, const char *s, double *out)
{
    char *end;

    if (strcmp(s, "NaN") == 0) {
        *out = NAN;
        return 0;
    }
    if (strcmp(s, "+Inf") == 0 || strcmp(s, "-Inf") == 0) {
        *out = s[0] == '+' ? INFINITY : -INFINITY;
        return 0;
    }
    *out = strtod(s, &end);
    if (end == s || (*end != '\0' && *end != ' ')) {
        return fail(p, "bad value \"%s\"", s);
    }
    return 0;
}

static struct family *family_get(struct parser *p, const char *name, bool create)
{
    for (size_t i = 0; i < p->nfams; i++) {
        if (strcmp(p->fams[i].name, name) == 0) {
            return &p->fams[i];
        }
    }
    if (!create || p->nfams == MAX_FAMILIES) {
        return NULL;
    }
    memset(&p->fams[p->nfams], 0, sizeof(p->fams[0]));
    snprintf(p->fams[p->nfams].name, sizeof(p->fams[0].name), "%s", name);
    return &p->fams[p->nfams++];
}

/* The family a sample belongs to: a histogram's _bucket/_sum/_count go to the histogram. */
static struct family *family_of_sample(struct parser *p, const char *name)
{
    static const char *const suffixes[] = {"_bucket", "_sum", "_count"};
    size_t len = strlen(name);

    for (size_t i = 0; i < 3; i++) {
        size_t sl = strlen(suffixes[i]);
        if (len > sl && strcmp(name + len - sl, suffixes[i]) == 0) {
            char base[128];
            struct family *f;
            snprintf(base, sizeof(base), "%.*s", (int)(len - sl), name);
            f = family_get(p, base, false);
            if (f != NULL && strcmp(f->type, "histogram") == 0) {
                return f;
            }
        }
    }
    return family_get(p, name, true);
}

/* Lines of a family must be together: switching to a family closes the previous one. */
static int enter(struct parser *p, struct family *f)
{
    if (f == NULL) {
        return fail(p, "too many families");
    }
    if (f != p->current) {
        if (f->closed) {
            return fail(p, "family %s continues after other families", f->name);
        }
        if (p->current != NULL) {
            p->current->closed = true;
        }
        p->current = f;
    }
    return 0;
}

static int parse_comment(struct parser *p, const char *s)
{
    char name[128];
    bool help = strncmp(s, "# HELP ", 7) == 0;
    struct family *f;

    if (!help && strncmp(s, "# TYPE ", 7) != 0) {
        return 0; /* a plain comment */
    }
    s += 7;
    if (parse_name(p, &s, true, name, sizeof(name)) != 0) {
        return -1;
    }
    f = family_get(p, name, true);
    if (enter(p, f) != 0) {
        return -1;
    }
    if (help) {
        if (f->help) {
            return fail(p, "second HELP for %s", name);
        }
        f->help = true;
        for (; *s != '\0'; s++) {
            if (*s == '\\' && s[1] != '\\' && s[1] != 'n') {
                return fail(p, "bad escape in HELP of %s", name);
            }
            s += *s == '\\';
        }
        return 0;
    }
    if (f->typed || f->sampled) {
        return fail(p, "TYPE of %s after its samples or twice", name);
    }
    if (*s != ' ' || (strcmp(s + 1, "counter") != 0 && strcmp(s + 1, "gauge") != 0 &&
                      strcmp(s + 1, "histogram") != 0 && strcmp(s + 1, "summary") != 0 &&
                      strcmp(s + 1, "untyped") != 0)) {
        return fail(p, "bad TYPE line for %s", name);
    }
    f->typed = true;
    snprintf(f->type, sizeof(f->type), "%s", s + 1);
    return 0;
}

static int parse_label_value(struct parser *p, const char **s, char *buf, size_t size)
{
    size_t n = 0;

    if (**s != '"') {
        return fail(p, "label value without quotes");
    }
    for ((*s)++; **s != '"'; (*s)++) {
        char c = **s;
        if (c == '\0') {
            return fail(p, "unterminated label value");
        }
        if (c == '\\') {
            (*s)++;
            c = **s == 'n' ? '\n' : **s;
            if (**s != 'n' && **s != '\\' && **s != '"') {
                return fail(p, "bad escape in label value");
            }
        }
        if (n + 1 >= size) {
            return fail(p, "label value too long");
        }
        buf[n++] = c;
    }
    (*s)++;
    buf[n] = '\0';
    return 0;
}

static int parse_labels(struct parser *p, const char **s, struct prom_parsed *r)
{
    (*s)++;
    while (**s != '}') {
        if (r->nlabels == PROM_PARSE_MAX_LABELS) {
            return fail(p, "too many labels");
        }
        if (parse_name(p, s, false, r->label_names[r->nlabels], sizeof(r->label_names[0])) != 0) {
            return -1;
        }
        for (size_t i = 0; i < r->nlabels; i++) {
            if (strcmp(r->label_names[i], r->label_names[r->nlabels]) == 0) {
                return fail(p, "label %s twice", r->label_names[i]);
            }
        }
        if (**s != '=') {
            return fail(p, "label without '='");
        }
        (*s)++;
        if (parse_label_value(p, s, r->label_values[r->nlabels], sizeof(r->label_values[0])) != 0) {
            return -1;
        }
        r->nlabels++;
        if (**s == ',') {
            (*s)++;
        } else if (**s != '}') {
            return fail(p, "expected ',' or '}' in labels");
        }
    }
    (*s)++;
    return 0;
}

static int parse_sample(struct parser *p, const char *s)
{
    struct prom_parsed r;
    struct family *f;

    memset(&r, 0, sizeof(r));
    if (parse_name(p, &s, true, r.name, sizeof(r.name)) != 0) {
        return -1;
    }
    if (*s == '{' && parse_labels(p, &s, &r) != 0) {
        return -1;
    }
    if (*s != ' ') {
        return fail(p, "expected a space before the value of %s", r.name);
    }
    if (parse_value(p, s + 1, &r.value) != 0) {
        return -1;
    }
    f = family_of_sample(p, r.name);
    if (enter(p, f) != 0) {
        return -1;
    }
    f->sampled = true;
    if (p->n == p->cap) {
        size_t cap = p->cap > 0 ? p->cap * 2 : 64;
        struct prom_parsed *grown = realloc(p->out, cap * sizeof(*grown));
        if (grown == NULL) {
            return fail(p, "out of memory");
        }
        p->out = grown;
        p->cap = cap;
    }
    p->out[p->n++] = r;
    return 0;
}

static const char *label(const struct prom_parsed *r, const char *name)
{
    for (size_t i = 0; i < r->nlabels; i++) {
        if (strcmp(r->label_names[i], name) == 0) {
            return r->label_values[i];
        }
    }
    return NULL;
}

/* Same labels, le aside. */
static bool same_series(const struct prom_parsed *a, const struct prom_parsed *b)
{
    size_t na = 0, nb = 0;

    for (size_t i = 0; i < a->nlabels; i++) {
        const char *v;
        if (strcmp(a->label_names[i], "le") == 0) {
            continue;
        }
        na++;
        v = label(b, a->label_names[i]);
        if (v == NULL || strcmp(v, a->label_values[i]) != 0) {
            return false;
        }
    }
    for (size_t i = 0; i < b->nlabels; i++) {
        nb += strcmp(b->label_names[i], "le") != 0;
    }
    return na == nb;
}

/* Every _count of a histogram has buckets with increasing le, cumulative counts, and a last
 * le="+Inf" bucket equal to the count. */
static int check_histograms(struct parser *p)
{
    for (size_t i = 0; i < p->nfams; i++) {
        char bucket[160], count[160];
        if (strcmp(p->fams[i].type, "histogram") != 0) {
            continue;
        }
        snprintf(bucket, sizeof(bucket), "%s_bucket", p->fams[i].name);
        snprintf(count, sizeof(count), "%s_count", p->fams[i].name);
        for (size_t c = 0; c < p->n; c++) {
            double last_le = -INFINITY, last_v = 0;
            size_t nb = 0;
            if (strcmp(p->out[c].name, count) != 0) {
                continue;
            }
            for (size_t b = 0; b < p->n; b++) {
                const char *le;
                double lev;
                if (strcmp(p->out[b].name, bucket) != 0 || !same_series(&p->out[b], &p->out[c])) {
                    continue;
                }
                le = label(&p->out[b], "le");
                if (le == NULL || parse_value(p, le, &lev) != 0 || lev <= last_le ||
                    p->out[b].value < last_v) {
                    return fail(p, "%s: buckets not increasing and cumulative", bucket);
                }
                last_le = lev;
                last_v = p->out[b].value;
                nb++;
            }
            if (nb == 0 || !isinf(last_le) || last_v != p->out[c].value) {
                return fail(p, "%s: no +Inf bucket equal to %s", bucket, count);
            }
        }
    }
    return 0;
}

int prom_parse(const char *text, struct prom_parsed **out, size_t *n, char *errmsg,
               size_t errmsg_size)
{
    struct parser *p = calloc(1, sizeof(*p));
    int rv = 0;

    if (p == NULL) {
        snprintf(errmsg, errmsg_size, "out of memory");
        return -1;
    }
    p->errmsg = errmsg;
    p->errmsg_size = errmsg_size;
    while (rv == 0 && *text != '\0') {
        const char *nl = strchr(text, '\n');
        size_t len = nl != NULL ? (size_t)(nl - text) : strlen(text);
        char line[1024];
        p->line++;
        if (nl == NULL) {
            rv = fail(p, "last line does not end with a newline");
            break;
        }
        if (len >= sizeof(line)) {
            rv = fail(p, "line too long");
            break;
        }
        memcpy(line, text, len);
        line[len] = '\0';
        if (len > 0) {
            rv = line[0] == '#' ? parse_comment(p, line) : parse_sample(p, line);
        }
        text = nl + 1;
    }
    if (rv == 0) {
        rv = check_histograms(p);
    }
    if (rv == 0) {
        *out = p->out;
        *n = p->n;
    } else {
        free(p->out);
    }
    free(p);
    return rv;
}

bool prom_find(const struct prom_parsed *s, size_t n, const char *name, const char *match,
               double *value)
{
    for (size_t i = 0; i < n; i++) {
        char pairs[512];
        bool ok = strcmp(s[i].name, name) == 0;
        snprintf(pairs, sizeof(pairs), "%s", match != NULL ? match : "");
        for (char *save = NULL, *kv = strtok_r(pairs, ",", &save); ok && kv != NULL;
             kv = strtok_r(NULL, ",", &save)) {
            char *eq = strchr(kv, '=');
            const char *v;
            if (eq == NULL) {
                return false;
            }
            *eq = '\0';
            v = label(&s[i], kv);
            ok = v != NULL && strcmp(v, eq + 1) == 0;
        }
        if (ok) {
            *value = s[i].value;
            return true;
        }
    }
    return false;
}

size_t prom_count(const struct prom_parsed *s, size_t n, const char *name)
{
    size_t k = 0;

    for (size_t i = 0; i < n; i++) {
        k += strcmp(s[i].name, name) == 0;
    }
    return k;
}
