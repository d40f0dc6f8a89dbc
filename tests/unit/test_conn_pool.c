/* The connection pool against a plain listening socket on 127.0.0.1 that the test thread drives
 * itself: the kernel completes the handshake without accept(), so what the "node" sees (one
 * connection or several, EOF, bytes) is read straight from the accepted sockets, no thread needed.
 */
#include "admin_task/conn_pool.h"
#include "common/clock.h"
#include "common/errors.h"
#include "tests/support/net_fixture.h"
#include "tests/support/test_support.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static uint64_t fake_now = 1000000;

static uint64_t fake_clock(void)
{
    return fake_now;
}

/* The next connection the kernel completed, or -1 when none is pending. */
static int accept_pending(struct net_fixture_listener *l)
{
    struct pollfd pfd = {.fd = l->fd, .events = POLLIN};

    if (poll(&pfd, 1, 100) != 1) {
        return -1;
    }
    return accept(l->fd, NULL, NULL);
}

/* A connection from the pool into *fd, and the node's side of it (returned). */
static int get_pair(struct conn_pool *p, struct net_fixture_listener *l, int *fd)
{
    int server;

    CU_ASSERT_EQUAL_FATAL(conn_pool_get(p, fd, NULL), 0);
    server = accept_pending(l);
    CU_ASSERT_FATAL(server >= 0);
    return server;
}

/* What the node side of a connection sees within timeout_ms: 1 EOF, 0 nothing, -1 bytes. */
static int peer_state(int fd, int timeout_ms)
{
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    char c;

    if (poll(&pfd, 1, timeout_ms) == 0) {
        return 0;
    }
    return recv(fd, &c, 1, MSG_DONTWAIT) == 0 ? 1 : -1;
}

static struct conn_pool *pool_new(const char *addr, uint32_t max_idle, uint32_t dial_timeout_ms)
{
    struct conn_pool_options o;
    struct conn_pool *p = NULL;
    char errmsg[ERRMSG_SIZE] = "";

    conn_pool_options_default(&o);
    o.max_idle = max_idle;
    o.idle_timeout_ms = 1000;
    o.dial_timeout_ms = dial_timeout_ms;
    o.now_ms = fake_clock;
    CU_ASSERT_EQUAL_FATAL(conn_pool_new(addr, &o, &p, errmsg), 0);
    CU_ASSERT_STRING_EQUAL(conn_pool_addr(p), addr);
    return p;
}

static void send_packet(int fd, const struct packet *pkt)
{
    uint8_t *buf;
    size_t len;

    CU_ASSERT_EQUAL_FATAL(packet_encode(pkt, &buf, &len), 0);
    CU_ASSERT_EQUAL(conn_pool_write_all(fd, buf, len, 1000), 0);
    free(buf);
}

/* One request from the pool side, answered by the node side with OpOk and a body. */
static void exchange(int client, int server)
{
    struct packet req;
    struct packet got;
    struct packet reply;
    struct packet back;

    CU_ASSERT_EQUAL_FATAL(packet_init_request(&req, OP_CREATE_DATA_PARTITION, 7, "{}", 2), 0);
    send_packet(client, &req);
    CU_ASSERT_EQUAL_FATAL(conn_pool_read_packet(server, 1024, 1000, &got), 0);
    CU_ASSERT_EQUAL(got.req_id, req.req_id);
    CU_ASSERT_STRING_EQUAL((char *)got.data, "{}");
    CU_ASSERT_EQUAL_FATAL(packet_init_reply(&reply, &got, OP_OK, "/disk1", 6), 0);
    send_packet(server, &reply);
    CU_ASSERT_EQUAL_FATAL(conn_pool_read_packet(client, 1024, 1000, &back), 0);
    CU_ASSERT_EQUAL(back.req_id, req.req_id);
    CU_ASSERT_EQUAL(back.result_code, OP_OK);
    CU_ASSERT_STRING_EQUAL((char *)back.data, "/disk1");
    packet_clear(&req);
    packet_clear(&got);
    packet_clear(&reply);
    packet_clear(&back);
}

static void test_options_default(void)
{
    struct conn_pool_options o;

    conn_pool_options_default(&o);
    CU_ASSERT_EQUAL(o.max_idle, 16);
    CU_ASSERT_EQUAL(o.idle_timeout_ms, 90000);
    CU_ASSERT_EQUAL(o.dial_timeout_ms, 10000);
    CU_ASSERT_PTR_EQUAL(o.now_ms, clock_mono_ms);
}

static void test_new_checks_address(void)
{
    const char *const bad[] = {"nocolon", ":17310", "h:", "h:0", "h:65536", "h:12x", "h:-1"};
    const char *const good[] = {"127.0.0.1:17310", "localhost:1", "[::1]:65535"};

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct conn_pool *p = (struct conn_pool *)&p;
        char errmsg[ERRMSG_SIZE] = "";
        char want[ERRMSG_SIZE];

        CU_ASSERT_EQUAL(conn_pool_new(bad[i], NULL, &p, errmsg), -EINVAL);
        CU_ASSERT_PTR_EQUAL(p, (struct conn_pool *)&p);
        snprintf(want, sizeof(want), "bad node address \"%s\": want host:port", bad[i]);
        CU_ASSERT_STRING_EQUAL(errmsg, want);
    }
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        struct conn_pool *p = NULL;

        CU_ASSERT_EQUAL_FATAL(conn_pool_new(good[i], NULL, &p, NULL), 0);
        CU_ASSERT_EQUAL(conn_pool_idle_count(p), 0);
        conn_pool_free(p);
    }
}

static void test_dial_refused_fails_fast(void)
{
    char addr[32];
    char want[64];
    char errmsg[ERRMSG_SIZE] = "";
    struct conn_pool *p;
    uint64_t start;
    int fd = -7;

    net_fixture_dead_addr(addr, sizeof(addr));
    p = pool_new(addr, 4, 5000);
    start = clock_mono_ms();
    CU_ASSERT_EQUAL(conn_pool_get(p, &fd, errmsg), -ECONNREFUSED);
    CU_ASSERT(clock_mono_ms() - start < 1000);
    CU_ASSERT_EQUAL(fd, -7);
    snprintf(want, sizeof(want), "dial %s: ", addr);
    CU_ASSERT_EQUAL(strncmp(errmsg, want, strlen(want)), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(errmsg, "refused"));
    conn_pool_free(p);
}

static void test_dial_timeout(void)
{
    char errmsg[ERRMSG_SIZE] = "";
    char want[ERRMSG_SIZE];
    struct net_fixture_listener l;
    struct conn_pool *p;
    uint64_t elapsed;
    int fd = -7;

    net_fixture_blackhole(&l);
    p = pool_new(l.addr, 4, 300);
    elapsed = clock_mono_ms();
    CU_ASSERT_EQUAL(conn_pool_get(p, &fd, errmsg), CFS_ETIMEDOUT);
    elapsed = clock_mono_ms() - elapsed;
    CU_ASSERT(elapsed >= 290 && elapsed < 800);
    CU_ASSERT_EQUAL(fd, -7);
    snprintf(want, sizeof(want), "dial %s: timed out after 300 ms", l.addr);
    CU_ASSERT_STRING_EQUAL(errmsg, want);
    conn_pool_free(p);
    net_fixture_close(&l);
}

/* Several exchanges, one connection: the node never sees a second one. */
static void test_idle_reused(void)
{
    struct net_fixture_listener l;
    struct conn_pool *p;
    int server = -1;

    net_fixture_listen(&l, 8);
    p = pool_new(l.addr, 4, 1000);
    for (int i = 0; i < 3; i++) {
        int fd;
        CU_ASSERT_EQUAL_FATAL(conn_pool_get(p, &fd, NULL), 0);
        CU_ASSERT_EQUAL(conn_pool_idle_count(p), 0);
        if (server < 0) {
            server = accept_pending(&l);
            CU_ASSERT_FATAL(server >= 0);
        }
        exchange(fd, server);
        conn_pool_put(p, fd, false);
        CU_ASSERT_EQUAL(conn_pool_idle_count(p), 1);
        fake_now += 10;
    }
    CU_ASSERT_EQUAL(accept_pending(&l), -1);
    CU_ASSERT_EQUAL(peer_state(server, 0), 0);
    conn_pool_free(p);
    CU_ASSERT_EQUAL(peer_state(server, 1000), 1);
    close(server);
    net_fixture_close(&l);
}

/* Closed once idle longer than idle_timeout_ms by the fake clock: by the releaser's reap, and by
 * a get that finds only expired connections. */
static void test_idle_timeout(void)
{
    struct net_fixture_listener l;
    struct conn_pool *p;
    int server;
    int fd;

    net_fixture_listen(&l, 8);
    p = pool_new(l.addr, 4, 1000);
    server = get_pair(p, &l, &fd);
    conn_pool_put(p, fd, false);
    fake_now += 1000;
    CU_ASSERT_EQUAL(conn_pool_reap(p), 0);
    CU_ASSERT_EQUAL(conn_pool_idle_count(p), 1);
    CU_ASSERT_EQUAL(peer_state(server, 0), 0);
    fake_now += 1;
    CU_ASSERT_EQUAL(conn_pool_reap(p), 1);
    CU_ASSERT_EQUAL(conn_pool_idle_count(p), 0);
    CU_ASSERT_EQUAL(peer_state(server, 1000), 1);
    close(server);

    server = get_pair(p, &l, &fd);
    conn_pool_put(p, fd, false);
    fake_now += 1001;
    CU_ASSERT_EQUAL_FATAL(conn_pool_get(p, &fd, NULL), 0);
    CU_ASSERT_EQUAL(peer_state(server, 1000), 1);
    close(server);
    server = accept_pending(&l);
    CU_ASSERT(server >= 0);
    conn_pool_put(p, fd, true);
    close(server);
    conn_pool_free(p);
    net_fixture_close(&l);
}

static void test_force_close(void)
{
    struct net_fixture_listener l;
    struct conn_pool *p;
    int server;
    int fd;

    net_fixture_listen(&l, 8);
    p = pool_new(l.addr, 4, 1000);
    server = get_pair(p, &l, &fd);
    conn_pool_put(p, fd, true);
    CU_ASSERT_EQUAL(conn_pool_idle_count(p), 0);
    CU_ASSERT_EQUAL(peer_state(server, 1000), 1);
    close(server);
    conn_pool_free(p);
    net_fixture_close(&l);
}

/* With max_idle 2, the third connection returned is closed; the two kept are reused newest
 * first. */
static void test_max_idle(void)
{
    struct net_fixture_listener l;
    struct conn_pool *p;
    int fds[3];
    int servers[3];

    net_fixture_listen(&l, 8);
    p = pool_new(l.addr, 2, 1000);
    for (int i = 0; i < 3; i++) {
        servers[i] = get_pair(p, &l, &fds[i]);
    }
    for (int i = 0; i < 3; i++) {
        conn_pool_put(p, fds[i], false);
    }
    CU_ASSERT_EQUAL(conn_pool_idle_count(p), 2);
    CU_ASSERT_EQUAL(peer_state(servers[2], 1000), 1);
    CU_ASSERT_EQUAL(peer_state(servers[0], 0), 0);
    CU_ASSERT_EQUAL(peer_state(servers[1], 0), 0);
    for (int i = 1; i >= 0; i--) {
        int fd;
        CU_ASSERT_EQUAL(conn_pool_get(p, &fd, NULL), 0);
        exchange(fd, servers[i]);
        conn_pool_put(p, fd, true);
    }
    CU_ASSERT_EQUAL(accept_pending(&l), -1);
    for (int i = 0; i < 3; i++) {
        close(servers[i]);
    }
    conn_pool_free(p);
    net_fixture_close(&l);
}

/* An idle connection the node closed (a restart, say) is not handed out: get dials a new one. */
static void test_closed_idle_not_reused(void)
{
    struct net_fixture_listener l;
    struct conn_pool *p;
    int server;
    int fd;

    net_fixture_listen(&l, 8);
    p = pool_new(l.addr, 4, 1000);
    server = get_pair(p, &l, &fd);
    conn_pool_put(p, fd, false);
    close(server);
    clock_sleep_ms(20);
    server = get_pair(p, &l, &fd);
    exchange(fd, server);
    conn_pool_put(p, fd, false);
    close(server);
    conn_pool_free(p);
    net_fixture_close(&l);
}

/* SIGPIPE keeps its default action (which would kill the process): writes must still return. */
static void test_write_to_closed_peer(void)
{
    static const uint8_t chunk[65536];
    struct net_fixture_listener l;
    struct conn_pool *p;
    int server;
    int rv = 0;
    int fd;

    CU_ASSERT_NOT_EQUAL_FATAL(signal(SIGPIPE, SIG_DFL), SIG_ERR);
    net_fixture_listen(&l, 8);
    p = pool_new(l.addr, 4, 1000);
    server = get_pair(p, &l, &fd);
    close(server);
    for (int i = 0; i < 100 && rv == 0; i++) {
        rv = conn_pool_write_all(fd, chunk, sizeof(chunk), 1000);
    }
    CU_ASSERT(rv == -EPIPE || rv == -ECONNRESET);
    conn_pool_put(p, fd, true);
    conn_pool_free(p);
    net_fixture_close(&l);
}

/* A node that does not read: the write stops at its deadline instead of blocking. */
static void test_write_timeout(void)
{
    size_t len = 64u << 20;
    uint8_t *big = calloc(1, len);
    struct net_fixture_listener l;
    struct conn_pool *p;
    uint64_t elapsed;
    int server;
    int fd;

    CU_ASSERT_PTR_NOT_NULL_FATAL(big);
    net_fixture_listen(&l, 8);
    p = pool_new(l.addr, 4, 1000);
    server = get_pair(p, &l, &fd);
    elapsed = clock_mono_ms();
    CU_ASSERT_EQUAL(conn_pool_write_all(fd, big, len, 200), CFS_ETIMEDOUT);
    elapsed = clock_mono_ms() - elapsed;
    CU_ASSERT(elapsed >= 190 && elapsed < 700);
    conn_pool_put(p, fd, true);
    close(server);
    conn_pool_free(p);
    net_fixture_close(&l);
    free(big);
}

/* read_packet's outcomes, with the raw bytes written by the node side. */
static void test_read_packet(void)
{
    struct net_fixture_listener l;
    struct conn_pool *p;
    struct packet req;
    struct packet got = {.opcode = 0x11};
    uint8_t *buf;
    size_t len;
    uint64_t elapsed;
    int server;
    int fd;

    net_fixture_listen(&l, 8);
    p = pool_new(l.addr, 4, 1000);
    server = get_pair(p, &l, &fd);

    /* Nothing comes: the deadline. */
    elapsed = clock_mono_ms();
    CU_ASSERT_EQUAL(conn_pool_read_packet(fd, 1024, 100, &got), CFS_ETIMEDOUT);
    elapsed = clock_mono_ms() - elapsed;
    CU_ASSERT(elapsed >= 95 && elapsed < 500);
    CU_ASSERT_EQUAL(got.opcode, 0x11);

    /* Two packets back to back, the first in three pieces: each read takes exactly one. */
    CU_ASSERT_EQUAL_FATAL(packet_init_request(&req, OP_PING, 1, "abcdef", 6), 0);
    CU_ASSERT_EQUAL_FATAL(packet_encode(&req, &buf, &len), 0);
    CU_ASSERT_EQUAL(conn_pool_write_all(server, buf, 10, 1000), 0);
    CU_ASSERT_EQUAL(conn_pool_write_all(server, buf + 10, 50, 1000), 0);
    clock_sleep_ms(10);
    CU_ASSERT_EQUAL(conn_pool_write_all(server, buf + 60, len - 60, 1000), 0);
    CU_ASSERT_EQUAL(conn_pool_write_all(server, buf, len, 1000), 0);
    for (int i = 0; i < 2; i++) {
        CU_ASSERT_EQUAL_FATAL(conn_pool_read_packet(fd, 1024, 1000, &got), 0);
        CU_ASSERT_EQUAL(got.req_id, req.req_id);
        CU_ASSERT_STRING_EQUAL((char *)got.data, "abcdef");
        packet_clear(&got);
    }
    got.opcode = 0x11;

    /* Over the body bound, then a bad magic. */
    CU_ASSERT_EQUAL(conn_pool_write_all(server, buf, len, 1000), 0);
    CU_ASSERT_EQUAL(conn_pool_read_packet(fd, 5, 1000, &got), CFS_ETOOBIG);
    conn_pool_put(p, fd, true);
    close(server);
    server = get_pair(p, &l, &fd);
    buf[0] = 0x00;
    CU_ASSERT_EQUAL(conn_pool_write_all(server, buf, len, 1000), 0);
    CU_ASSERT_EQUAL(conn_pool_read_packet(fd, 1024, 1000, &got), CFS_EMAGIC);
    conn_pool_put(p, fd, true);
    close(server);

    /* Half a packet, then the node closes. */
    server = get_pair(p, &l, &fd);
    buf[0] = PACKET_MAGIC;
    CU_ASSERT_EQUAL(conn_pool_write_all(server, buf, 30, 1000), 0);
    close(server);
    CU_ASSERT_EQUAL(conn_pool_read_packet(fd, 1024, 1000, &got), CFS_ECLOSED);
    CU_ASSERT_EQUAL(got.opcode, 0x11);
    conn_pool_put(p, fd, true);

    free(buf);
    packet_clear(&req);
    conn_pool_free(p);
    net_fixture_close(&l);
}

static const struct test_case cases[] = {
    {"options_default", test_options_default},
    {"new_checks_address", test_new_checks_address},
    {"dial_refused_fails_fast", test_dial_refused_fails_fast},
    {"dial_timeout", test_dial_timeout},
    {"idle_reused", test_idle_reused},
    {"idle_timeout", test_idle_timeout},
    {"force_close", test_force_close},
    {"max_idle", test_max_idle},
    {"closed_idle_not_reused", test_closed_idle_not_reused},
    {"write_to_closed_peer", test_write_to_closed_peer},
    {"write_timeout", test_write_timeout},
    {"read_packet", test_read_packet},
    {NULL, NULL},
};

static const struct test_suite suites[] = {
    {"conn_pool", NULL, NULL, cases},
    {NULL, NULL, NULL, NULL},
};

int main(int argc, char **argv)
{
    return test_run(argc, argv, suites);
}
