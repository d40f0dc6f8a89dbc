/* Prometheus text exposition (format 0.0.4) written into a growing buffer, for /metrics.
 *
 * A family opens with prom_family() (its HELP and TYPE lines, once), then its samples follow.
 * Help text and label values are escaped as the format requires (backslash, double quote,
 * newline); metric and label names are the caller's constants. Values print as the shortest
 * decimal that reads back as the same double, with NaN, +Inf and -Inf spelled as Prometheus
 * spells them. Running out of memory is remembered and reported once by prom_text(), so callers
 * write a whole exposition without checking every line. */
#ifndef CFS_MASTER_API_PROM_H
#define CFS_MASTER_API_PROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct prom {
    char *buf;
    size_t len;
    size_t cap;
    bool failed; /* an allocation failed: the text is incomplete */
};

struct prom_label {
    const char *name;
    const char *value;
};

void prom_init(struct prom *p);
void prom_free(struct prom *p);

/* "# HELP name help" and "# TYPE name type" (counter, gauge, histogram). */
void prom_family(struct prom *p, const char *name, const char *type, const char *help);

/* name{labels} value; nlabels may be 0. */
void prom_sample(struct prom *p, const char *name, const struct prom_label *labels, size_t nlabels,
                 double value);

/* The samples of one histogram: name_bucket{labels,le="bound"} for each bound (cumulative counts,
 * bounds ascending), le="+Inf" with count, then name_sum and name_count. */
void prom_histogram(struct prom *p, const char *name, const struct prom_label *labels,
                    size_t nlabels, const double *bounds, const uint64_t *cumulative,
                    size_t nbounds, double sum, uint64_t count);

/* The exposition (NUL-terminated, owned by p), or NULL when memory ran out on the way. */
const char *prom_text(const struct prom *p, size_t *len);

/* The shortest decimal text that reads back as v (Go's strconv 'g' with precision -1), or
 * NaN / +Inf / -Inf. size of 32 is always enough. */
void prom_format_value(double v, char *buf, size_t size);

#endif
