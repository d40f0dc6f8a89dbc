/* Happy path: conn_pool_get() pops the most recently returned idle socket, or dials a new one
 * (non-blocking connect, poll until the deadline, then back to blocking with TCP_NODELAY and
 * SO_KEEPALIVE); the caller writes and reads with the deadline helpers and puts the socket back,
 * where it waits idle until it is taken again or reaped.
 *
 * Failure modes: a refused or unreachable dial fails at once with the address; a peer that never
 * completes the handshake costs dial_timeout_ms (CFS_ETIMEDOUT); an idle socket that the peer
 * closed, or wrote to unasked, is seen by a zero-timeout poll in get and closed instead of handed
 * out; a write to a closed peer returns -EPIPE (MSG_NOSIGNAL, never SIGPIPE, without touching the
 * process's signal dispositions); after any I/O error the stream position is unknown, so callers
 * force-close. */
#include "admin_task/conn_pool.h"

#include "common/clock.h"
#include "common/errors.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PORT_SIZE 8

struct idle_conn {
    int fd;
    uint64_t since_ms; /* when it was put back, on the pool's clock */
};

struct conn_pool {
    char *addr;
    char *host; /* addr without the port, IPv6 brackets removed */
    char port[PORT_SIZE];
    struct conn_pool_options opts;
    pthread_mutex_t lock;
    struct idle_conn *idle; /* in put order, so oldest first; room for opts.max_idle */
    size_t nidle;
};

void conn_pool_options_default(struct conn_pool_options *o)
{
    o->max_idle = 16;
    o->idle_timeout_ms = 90000;
    o->dial_timeout_ms = 10000;
    o->now_ms = clock_mono_ms;
}

/* Split "host:port" at the last colon, so "[::1]:17310" works too. */
static int split_addr(const char *addr, char **host, char *port, char *errmsg)
{
    const char *colon = strrchr(addr, ':');
    const char *h = addr;
    size_t hlen;
    char *end;
    long n;

    if (colon == NULL || colon == addr) {
        goto bad;
    }
    errno = 0;
    n = strtol(colon + 1, &end, 10);
    if (errno != 0 || end == colon + 1 || *end != '\0' || n < 1 || n > 65535) {
        goto bad;
    }
    hlen = (size_t)(colon - addr);
    if (hlen >= 2 && h[0] == '[' && h[hlen - 1] == ']') {
        h++;
        hlen -= 2;
    }
    *host = strndup(h, hlen);
    if (*host == NULL) {
        return -ENOMEM;
    }
    snprintf(port, PORT_SIZE, "%ld", n);
    return 0;
bad:
    errors_set(errmsg, "bad node address \"%s\": want host:port", addr);
    return -EINVAL;
}

int conn_pool_new(const char *addr, const struct conn_pool_options *o, struct conn_pool **out,
                  char *errmsg)
{
    struct conn_pool *p = calloc(1, sizeof(*p));
    int rv = -ENOMEM;

    if (p == NULL) {
        goto out;
    }
    if (o != NULL) {
        p->opts = *o;
    } else {
        conn_pool_options_default(&p->opts);
    }
    if (p->opts.now_ms == NULL) {
        p->opts.now_ms = clock_mono_ms;
    }
    rv = split_addr(addr, &p->host, p->port, errmsg);
    if (rv != 0) {
        goto out;
    }
    rv = -ENOMEM;
    p->addr = strdup(addr);
    if (p->addr == NULL) {
        goto out;
    }
    if (p->opts.max_idle > 0) {
        p->idle = calloc(p->opts.max_idle, sizeof(*p->idle));
        if (p->idle == NULL) {
            goto out;
        }
    }
    rv = -pthread_mutex_init(&p->lock, NULL);
    if (rv != 0) {
        goto out;
    }
    *out = p;
out:
    if (rv != 0 && rv != -EINVAL) {
        errors_set(errmsg, "pool for %s: %s", addr, errors_strerror(rv));
    }
    if (rv != 0 && p != NULL) {
        free(p->idle);
        free(p->addr);
        free(p->host);
        free(p);
    }
    return rv;
}

void conn_pool_free(struct conn_pool *p)
{
    if (p == NULL) {
        return;
    }
    for (size_t i = 0; i < p->nidle; i++) {
        close(p->idle[i].fd);
    }
    pthread_mutex_destroy(&p->lock);
    free(p->idle);
    free(p->addr);
    free(p->host);
    free(p);
}

const char *conn_pool_addr(const struct conn_pool *p)
{
    return p->addr;
}

/* Close the idle connections older than the limit; the list is oldest first, so they are a
 * prefix. A clock that went backwards counts as expired rather than as idle forever. Locked. */
static size_t drop_expired(struct conn_pool *p)
{
    uint64_t now = p->opts.now_ms();
    size_t n = 0;

    while (n < p->nidle &&
           (now < p->idle[n].since_ms || now - p->idle[n].since_ms > p->opts.idle_timeout_ms)) {
        close(p->idle[n].fd);
        n++;
    }
    memmove(p->idle, p->idle + n, (p->nidle - n) * sizeof(*p->idle));
    p->nidle -= n;
    return n;
}

/* An idle socket must have nothing to read: readable means the peer closed it (EOF), reset it, or
 * sent bytes nobody asked for, and in every case the next exchange on it would fail. */
static bool still_quiet(int fd)
{
    struct pollfd pfd = {.fd = fd, .events = POLLIN};

    return poll(&pfd, 1, 0) == 0;
}

/* poll timeouts are int milliseconds; a far deadline is waited for in slices. */
static int wait_fd(int fd, short events, uint64_t deadline_ms)
{
    struct pollfd pfd = {.fd = fd, .events = events};

    for (;;) {
        uint64_t now = clock_mono_ms();
        uint64_t left;
        int n;

        if (now >= deadline_ms) {
            return CFS_ETIMEDOUT;
        }
        left = deadline_ms - now;
        n = poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left);
        if (n > 0) {
            /* POLLERR and POLLHUP too: the next socket call reports what happened. */
            return 0;
        }
        if (n < 0 && errno != EINTR) {
            return -errno;
        }
    }
}

static int set_options(int fd)
{
    int one = 1;
    int flags = fcntl(fd, F_GETFL);

    if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0 ||
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)) != 0) {
        return -errno;
    }
    return 0;
}

static int connect_one(const struct addrinfo *ai, uint64_t deadline_ms, int *out)
{
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
    socklen_t len = sizeof(int);
    int err = 0;
    int rv = 0;

    if (fd < 0) {
        return -errno;
    }
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        if (errno != EINPROGRESS) {
            rv = -errno;
            goto out;
        }
        rv = wait_fd(fd, POLLOUT, deadline_ms);
        if (rv != 0) {
            goto out;
        }
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
            err = errno;
        }
        rv = -err;
        if (rv != 0) {
            goto out;
        }
    }
    rv = set_options(fd);
out:
    if (rv != 0) {
        close(fd);
    } else {
        *out = fd;
    }
    return rv;
}

static int dial(struct conn_pool *p, int *out, char *errmsg)
{
    struct addrinfo hints = {
        .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
    uint64_t deadline = clock_mono_ms() + p->opts.dial_timeout_ms;
    struct addrinfo *res = NULL;
    int gai;
    int rv;

    gai = getaddrinfo(p->host, p->port, &hints, &res);
    if (gai != 0) {
        errors_set(errmsg, "dial %s: %s", p->addr, gai_strerror(gai));
        rv = -EHOSTUNREACH;
        goto out;
    }
    rv = -EHOSTUNREACH;
    for (const struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
        rv = connect_one(ai, deadline, out);
        if (rv == 0 || rv == CFS_ETIMEDOUT) {
            break;
        }
    }
    if (rv == CFS_ETIMEDOUT) {
        errors_set(errmsg, "dial %s: timed out after %u ms", p->addr, p->opts.dial_timeout_ms);
    } else if (rv != 0) {
        errors_set(errmsg, "dial %s: %s", p->addr, errors_strerror(rv));
    }
out:
    if (res != NULL) {
        freeaddrinfo(res);
    }
    return rv;
}

int conn_pool_get(struct conn_pool *p, int *fd, char *errmsg)
{
    int got = -1;

    pthread_mutex_lock(&p->lock);
    drop_expired(p);
    while (got < 0 && p->nidle > 0) {
        int c = p->idle[--p->nidle].fd;
        if (still_quiet(c)) {
            got = c;
        } else {
            close(c);
        }
    }
    pthread_mutex_unlock(&p->lock);
    if (got < 0) {
        return dial(p, fd, errmsg);
    }
    *fd = got;
    return 0;
}

void conn_pool_put(struct conn_pool *p, int fd, bool force_close)
{
    if (fd < 0) {
        return;
    }
    pthread_mutex_lock(&p->lock);
    if (force_close || p->nidle >= p->opts.max_idle) {
        close(fd);
    } else {
        p->idle[p->nidle].fd = fd;
        p->idle[p->nidle].since_ms = p->opts.now_ms();
        p->nidle++;
    }
    pthread_mutex_unlock(&p->lock);
}

size_t conn_pool_reap(struct conn_pool *p)
{
    size_t n;

    pthread_mutex_lock(&p->lock);
    n = drop_expired(p);
    pthread_mutex_unlock(&p->lock);
    return n;
}

size_t conn_pool_idle_count(struct conn_pool *p)
{
    size_t n;

    pthread_mutex_lock(&p->lock);
    n = p->nidle;
    pthread_mutex_unlock(&p->lock);
    return n;
}

int conn_pool_write_all(int fd, const void *buf, size_t len, uint32_t timeout_ms)
{
    uint64_t deadline = clock_mono_ms() + timeout_ms;
    const uint8_t *b = buf;
    size_t off = 0;

    while (off < len) {
        /* MSG_DONTWAIT makes a blocking socket send only what fits, so the deadline holds. */
        ssize_t n = send(fd, b + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
        int rv;

        if (n >= 0) {
            off += (size_t)n;
            continue;
        }
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            return -errno;
        }
        rv = wait_fd(fd, POLLOUT, deadline);
        if (rv != 0) {
            return rv;
        }
    }
    return 0;
}

/* Bytes still missing from the packet being assembled. Reading no more than that keeps a pooled
 * connection aligned on packet boundaries: bytes of a later packet stay in the socket. */
static size_t missing_bytes(const struct packet_decoder *d)
{
    size_t hsize;

    if (d->have < PACKET_HEADER_SIZE) {
        return PACKET_HEADER_SIZE - d->have;
    }
    /* The base header is in, so its ExtentType (byte 1) tells the full header length. */
    hsize = packet_header_size(d->header[1]);
    if (d->have < hsize) {
        return hsize - d->have;
    }
    return hsize + d->cur.arg_len + d->cur.size - d->have;
}

int conn_pool_read_packet(int fd, uint32_t max_body, uint32_t timeout_ms, struct packet *out)
{
    uint64_t deadline = clock_mono_ms() + timeout_ms;
    struct packet_decoder d;
    uint8_t buf[16384];
    int rv = 0;

    packet_decoder_init(&d, max_body);
    while (rv == 0) {
        size_t want = missing_bytes(&d);
        ssize_t n = recv(fd, buf, want < sizeof(buf) ? want : sizeof(buf), MSG_DONTWAIT);
        size_t used;

        if (n > 0) {
            rv = packet_decoder_feed(&d, buf, (size_t)n, &used, out);
        } else if (n == 0) {
            rv = CFS_ECLOSED;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
            rv = wait_fd(fd, POLLIN, deadline);
        } else {
            rv = -errno;
        }
    }
    packet_decoder_close(&d);
    return rv == 1 ? 0 : rv;
}
