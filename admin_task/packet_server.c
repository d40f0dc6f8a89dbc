/* The node side of the task channel: a libuv TCP server for CubeFS packets.
 *
 * Happy path: accept, read into one server-wide buffer (reads are handled synchronously on the
 * loop thread, so one buffer serves every connection), feed the connection's incremental decoder,
 * and hand each whole packet to the handler inside a packet_server_req; the reply is encoded and
 * written on that connection, and the request is freed.
 * Failure modes: a decoder error (bad magic, a length over max_body, no memory), a failed write or
 * packet_server_drop() closes just that connection with a logged reason; the peer hanging up
 * closes it quietly. Requests outlive their connection: each holds a reference on the connection
 * object (the uv handle holds another until its close callback), so a reply or drop that comes
 * after the close finds conn->closing set and only frees the request. Stop closes the listener
 * and every connection and calls done_cb from the last close callback. */
#define LOG_TAG "pktsrv"

#include "admin_task/packet_server.h"

#include "common/errors.h"
#include "common/log.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define READ_BUF_SIZE 65536
#define PEER_SIZE     64
#define BACKLOG       128

struct conn {
    uv_tcp_t tcp;
    struct packet_server *s; /* NULL once the handle is closed */
    struct packet_decoder dec;
    struct conn *prev, *next; /* in s->conns while open */
    unsigned refs;            /* the handle until its close callback, plus one per request */
    bool closing;
    char peer[PEER_SIZE];
};

struct packet_server_req {
    struct conn *conn;
    struct packet pkt;
};

struct write_req {
    uv_write_t req;
    uint8_t *buf;
};

struct packet_server {
    uv_loop_t *loop;
    uv_tcp_t listener;
    uint32_t max_body;
    packet_server_handler_cb cb;
    void *arg;
    uint16_t port;
    struct conn *conns;
    size_t nconns;       /* in conns */
    size_t open_handles; /* the listener and every connection not yet through its close cb */
    bool closing;
    void (*done_cb)(void *arg);
    void *done_arg;
    char read_buf[READ_BUF_SIZE];
};

static void handle_closed(struct packet_server *s)
{
    void (*done_cb)(void *arg) = s->done_cb;
    void *done_arg = s->done_arg;

    s->open_handles--;
    if (s->closing && s->open_handles == 0) {
        free(s);
        if (done_cb != NULL) {
            done_cb(done_arg);
        }
    }
}

static void listener_closed_cb(uv_handle_t *h)
{
    handle_closed(h->data);
}

static void conn_unref(struct conn *c)
{
    if (--c->refs == 0) {
        free(c);
    }
}

static void conn_closed_cb(uv_handle_t *h)
{
    struct conn *c = h->data;

    packet_decoder_close(&c->dec);
    handle_closed(c->s);
    c->s = NULL;
    conn_unref(c);
}

/* Close c (once), logging reason when there is one; requests on it stay valid. */
static void conn_close(struct conn *c, const char *reason)
{
    struct packet_server *s = c->s;

    if (c->closing) {
        return;
    }
    c->closing = true;
    if (reason != NULL) {
        log_warn("closing connection from %s: %s", c->peer, reason);
    }
    if (c->prev != NULL) {
        c->prev->next = c->next;
    } else {
        s->conns = c->next;
    }
    if (c->next != NULL) {
        c->next->prev = c->prev;
    }
    c->prev = c->next = NULL;
    s->nconns--;
    uv_close((uv_handle_t *)&c->tcp, conn_closed_cb);
}

static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct conn *c = h->data;

    (void)suggested;
    *buf = uv_buf_init(c->s->read_buf, sizeof(c->s->read_buf));
}

static void dispatch(struct conn *c, struct packet *pkt)
{
    struct packet_server_req *req = malloc(sizeof(*req));

    if (req == NULL) {
        packet_clear(pkt);
        conn_close(c, "out of memory for a request");
        return;
    }
    req->conn = c;
    req->pkt = *pkt;
    c->refs++;
    log_debug("%s: %s req %lld, %u bytes", c->peer, packet_opcode_name(pkt->opcode),
              (long long)pkt->req_id, pkt->size);
    c->s->cb(req, &req->pkt, c->s->arg);
}

static void read_cb(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    struct conn *c = stream->data;
    size_t off = 0;

    if (c->closing) {
        return;
    }
    if (nread < 0) {
        if (nread != UV_EOF) {
            log_debug("%s: read: %s", c->peer, uv_strerror((int)nread));
        }
        conn_close(c, NULL);
        return;
    }
    /* The handler may close this connection (drop, stop), which ends the loop. */
    while (off < (size_t)nread && !c->closing) {
        struct packet pkt;
        size_t used = 0;
        int rv = packet_decoder_feed(&c->dec, (const uint8_t *)buf->base + off, (size_t)nread - off,
                                     &used, &pkt);
        off += used;
        if (rv < 0) {
            conn_close(c, errors_strerror(rv));
        } else if (rv == 1) {
            dispatch(c, &pkt);
        }
    }
}

static void write_cb(uv_write_t *w, int status)
{
    struct write_req *wr = (struct write_req *)w;
    struct conn *c = w->handle->data;

    free(wr->buf);
    free(wr);
    if (c->closing) {
        return;
    }
    if (status < 0) {
        char reason[ERRMSG_SIZE];
        snprintf(reason, sizeof(reason), "write: %s", uv_strerror(status));
        conn_close(c, reason);
    }
}

static void format_peer(uv_tcp_t *tcp, char *out, size_t size)
{
    struct sockaddr_storage ss;
    int len = sizeof(ss);
    char ip[48] = "?";
    int port = 0;

    if (uv_tcp_getpeername(tcp, (struct sockaddr *)&ss, &len) == 0) {
        if (ss.ss_family == AF_INET) {
            uv_ip4_name((struct sockaddr_in *)&ss, ip, sizeof(ip));
            port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
        } else if (ss.ss_family == AF_INET6) {
            uv_ip6_name((struct sockaddr_in6 *)&ss, ip, sizeof(ip));
            port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
        }
    }
    snprintf(out, size, "%s:%d", ip, port);
}

static void on_connection(uv_stream_t *listener, int status)
{
    struct packet_server *s = listener->data;
    struct conn *c;
    int rv;

    if (s->closing) {
        return;
    }
    if (status < 0) {
        log_warn("accept: %s", uv_strerror(status));
        return;
    }
    c = calloc(1, sizeof(*c));
    if (c == NULL) {
        log_error("accept: out of memory");
        return;
    }
    uv_tcp_init(s->loop, &c->tcp);
    c->tcp.data = c;
    c->s = s;
    c->refs = 1;
    packet_decoder_init(&c->dec, s->max_body);
    s->open_handles++;
    c->next = s->conns;
    if (s->conns != NULL) {
        s->conns->prev = c;
    }
    s->conns = c;
    s->nconns++;
    snprintf(c->peer, sizeof(c->peer), "(not accepted)");
    rv = uv_accept(listener, (uv_stream_t *)&c->tcp);
    if (rv == 0) {
        format_peer(&c->tcp, c->peer, sizeof(c->peer));
        uv_tcp_nodelay(&c->tcp, 1);
        rv = uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, read_cb);
    }
    if (rv != 0) {
        char reason[ERRMSG_SIZE];
        snprintf(reason, sizeof(reason), "accept: %s", uv_strerror(rv));
        conn_close(c, reason);
        return;
    }
    log_debug("connection from %s", c->peer);
}

static void req_free(struct packet_server_req *req)
{
    struct conn *c = req->conn;

    packet_clear(&req->pkt);
    free(req);
    conn_unref(c);
}

void packet_server_reply(struct packet_server_req *req, uint8_t result_code, const void *data,
                         uint32_t size)
{
    struct conn *c = req->conn;
    struct packet reply;
    struct write_req *wr = NULL;
    size_t len = 0;
    uv_buf_t buf;
    int rv;

    if (c->closing) {
        log_debug("%s: discarding the reply to req %lld: connection closed", c->peer,
                  (long long)req->pkt.req_id);
        req_free(req);
        return;
    }
    rv = packet_init_reply(&reply, &req->pkt, result_code, data, size);
    if (rv == 0) {
        wr = malloc(sizeof(*wr));
        rv = wr != NULL ? packet_encode(&reply, &wr->buf, &len) : -ENOMEM;
        packet_clear(&reply);
    }
    if (rv == 0) {
        buf = uv_buf_init((char *)wr->buf, (unsigned)len);
        rv = uv_write(&wr->req, (uv_stream_t *)&c->tcp, &buf, 1, write_cb);
        if (rv != 0) {
            free(wr->buf);
        }
    }
    if (rv != 0) {
        char reason[ERRMSG_SIZE];
        free(wr);
        snprintf(reason, sizeof(reason), "reply to req %lld: %s", (long long)req->pkt.req_id,
                 errors_strerror(rv));
        conn_close(c, reason);
    }
    req_free(req);
}

void packet_server_drop(struct packet_server_req *req, const char *reason)
{
    struct conn *c = req->conn;

    if (!c->closing) {
        char text[ERRMSG_SIZE];
        snprintf(text, sizeof(text), "%s req %lld: %s", packet_opcode_name(req->pkt.opcode),
                 (long long)req->pkt.req_id, reason);
        conn_close(c, text);
    }
    req_free(req);
}

static int listen_on(struct packet_server *s, const char *ip, uint16_t port)
{
    struct sockaddr_storage ss;
    int len = sizeof(ss);
    int rv;

    rv = uv_ip4_addr(ip, port, (struct sockaddr_in *)&ss);
    if (rv != 0) {
        rv = uv_ip6_addr(ip, port, (struct sockaddr_in6 *)&ss);
    }
    if (rv == 0) {
        rv = uv_tcp_bind(&s->listener, (const struct sockaddr *)&ss, 0);
    }
    if (rv == 0) {
        rv = uv_listen((uv_stream_t *)&s->listener, BACKLOG, on_connection);
    }
    if (rv == 0) {
        rv = uv_tcp_getsockname(&s->listener, (struct sockaddr *)&ss, &len);
    }
    if (rv == 0) {
        s->port = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                                : ((struct sockaddr_in6 *)&ss)->sin6_port);
    }
    return rv;
}

int packet_server_start(uv_loop_t *loop, const char *ip, uint16_t port, uint32_t max_body,
                        packet_server_handler_cb cb, void *arg, struct packet_server **out,
                        char *errmsg)
{
    struct packet_server *s = calloc(1, sizeof(*s));
    int rv;

    if (s == NULL) {
        errors_set(errmsg, "listen on %s:%u: out of memory", ip, port);
        return -ENOMEM;
    }
    /* libuv writes with write(2): a peer that has gone away would raise SIGPIPE and kill the
     * process instead of failing the write. */
    signal(SIGPIPE, SIG_IGN);
    s->loop = loop;
    s->max_body = max_body;
    s->cb = cb;
    s->arg = arg;
    s->open_handles = 1;
    uv_tcp_init(loop, &s->listener);
    s->listener.data = s;
    rv = listen_on(s, ip, port);
    if (rv != 0) {
        errors_set(errmsg, "listen on %s:%u: %s", ip, port, uv_strerror(rv));
        /* Freed by the close callback, the next time the loop runs; no handler call. */
        s->closing = true;
        uv_close((uv_handle_t *)&s->listener, listener_closed_cb);
        return rv;
    }
    log_info("serving packets on %s:%u", ip, s->port);
    *out = s;
    return 0;
}

uint16_t packet_server_port(const struct packet_server *s)
{
    return s->port;
}

size_t packet_server_connections(const struct packet_server *s)
{
    return s->nconns;
}

void packet_server_stop(struct packet_server *s, void (*done_cb)(void *arg), void *arg)
{
    if (s->closing) {
        return;
    }
    s->closing = true;
    s->done_cb = done_cb;
    s->done_arg = arg;
    uv_close((uv_handle_t *)&s->listener, listener_closed_cb);
    while (s->conns != NULL) {
        conn_close(s->conns, NULL);
    }
}
