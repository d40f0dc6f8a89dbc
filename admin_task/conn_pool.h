/* Pooled TCP connections from the master to one node, and deadline I/O on them.
 *
 * One pool per node address. Blocking sockets, used from worker threads (sync tasks) and the async
 * sender; every call is thread-safe. Taking a connection reuses an idle one (closing those idle
 * longer than idle_timeout_ms) or dials a new one with a deadline; new sockets get TCP_NODELAY and
 * SO_KEEPALIVE. Returning a connection keeps it idle up to max_idle, or closes it when the caller
 * passes force_close, which callers do after any error since the stream state is then unknown. */
#ifndef CFS_ADMIN_TASK_CONN_POOL_H
#define CFS_ADMIN_TASK_CONN_POOL_H

#include "admin_task/packet.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conn_pool;

struct conn_pool_options {
    uint32_t max_idle;        /* idle connections kept; default 16 */
    uint32_t idle_timeout_ms; /* idle connections older than this are closed; default 90 s */
    uint32_t dial_timeout_ms; /* connect deadline; default 10 s */
    uint64_t (*now_ms)(void); /* monotonic clock, injectable for tests; default clock_mono_ms */
};

void conn_pool_options_default(struct conn_pool_options *o);

/* A pool for addr ("ip:port" or "host:port"). Nothing is dialed until the first get. */
int conn_pool_new(const char *addr, const struct conn_pool_options *o, struct conn_pool **out,
                  char *errmsg);

/* Close every idle connection and free the pool. Connections handed out must be returned first. */
void conn_pool_free(struct conn_pool *p);

const char *conn_pool_addr(const struct conn_pool *p);

/* A connected socket: an idle one, or a new one. Errors name the address and the reason, e.g.
 * "dial 127.0.0.1:17310: connection refused" or "dial 127.0.0.1:17310: timed out after 10000 ms"
 * (CFS_ETIMEDOUT). */
int conn_pool_get(struct conn_pool *p, int *fd, char *errmsg);

/* Give fd back: kept idle, or closed when force_close is set or the pool is full. */
void conn_pool_put(struct conn_pool *p, int fd, bool force_close);

/* Close idle connections older than idle_timeout_ms; returns how many were closed. A background
 * releaser calls it about once a second. */
size_t conn_pool_reap(struct conn_pool *p);

/* Idle connections held now. */
size_t conn_pool_idle_count(struct conn_pool *p);

/* Write all of buf before timeout_ms passes (CFS_ETIMEDOUT), or fail with -errno. */
int conn_pool_write_all(int fd, const void *buf, size_t len, uint32_t timeout_ms);

/* Read one whole packet before timeout_ms passes. CFS_ETIMEDOUT, CFS_ECLOSED when the peer closed,
 * CFS_EMAGIC / CFS_ETOOBIG for a bad stream, or -errno. */
int conn_pool_read_packet(int fd, uint32_t max_body, uint32_t timeout_ms, struct packet *out);

#endif
