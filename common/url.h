/* Query strings (application/x-www-form-urlencoded): decoding what the master receives and
 * escaping what the nodes send. */
#ifndef CFS_COMMON_URL_H
#define CFS_COMMON_URL_H

#include <stddef.h>

/* Decode the n bytes at s into out (size bytes, NUL-terminated): '+' is a space and %XX a byte.
 * A malformed escape is kept as text, so a handler's own validation names the parameter instead
 * of the value silently changing. The result is never longer than n, so size n + 1 always fits.
 * -ENOSPC, with out untouched, when it does not fit. */
int url_decode(const char *s, size_t n, char *out, size_t size);

/* Percent-encode value into buf (size bytes) for a query: everything but the unreserved
 * characters and ':', which stays plain so "ip:port" goes out as CubeFS nodes send it (readable by
 * masters that do not decode). Returns buf; output that does not fit is cut before the escape
 * that would not fit whole, and is always NUL-terminated (size > 0). */
char *url_escape(const char *value, char *buf, size_t size);

#endif
