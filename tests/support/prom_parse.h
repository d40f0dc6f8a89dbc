/* A strict parser of the Prometheus text exposition format (0.0.4), so tests check that /metrics
 * is valid rather than grepping it: metric and label names, escapes in label values, values,
 * HELP/TYPE at most once per family and before its samples, every family's lines together,
 * histogram buckets with le, cumulative, ending with le="+Inf" equal to _count. */
#ifndef CFS_TESTS_PROM_PARSE_H
#define CFS_TESTS_PROM_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#define PROM_PARSE_MAX_LABELS 8

struct prom_parsed {
    char name[128];
    size_t nlabels;
    char label_names[PROM_PARSE_MAX_LABELS][64];
    char label_values[PROM_PARSE_MAX_LABELS][256]; /* unescaped */
    double value;
};

/* Parse text; *out (malloc'd) gets the samples in order. Returns 0, or -1 with errmsg naming the
 * line and the fault. */
int prom_parse(const char *text, struct prom_parsed **out, size_t *n, char *errmsg,
               size_t errmsg_size);

/* The first sample called name whose labels include every pair of match ("k=v" separated by
 * ','; NULL or "" matches any); true with *value when found. */
bool prom_find(const struct prom_parsed *s, size_t n, const char *name, const char *match,
               double *value);

/* How many samples are called name. */
size_t prom_count(const struct prom_parsed *s, size_t n, const char *name);

#endif
