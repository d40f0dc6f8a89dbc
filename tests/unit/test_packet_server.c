/* packet_server on a loop thread, driven by blocking client sockets from the test thread.
 *
 * Everything that touches the server runs on the loop thread: the handler, and the test's own
 * calls, which on_loop() hands over through a uv_async and waits for. */
#include "admin_task/packet.h"
#include "admin_task/packet_server.h"
#include "common/errors.h"
#include "tests/support/proc.h"
#include "tests/support/test_support.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <uv.h>

#define MAX_BODY   (1u << 20)
#define DELAY_MS   50
#define MAX_HELD   64
#define NCONNS     50
#define TIMEOUT_MS 5000

enum mode { MODE_ECHO, MODE_DELAY, MODE_HOLD, MODE_DROP };

/* The fixture: one loop thread serving one packet server. */
static uv_loop_t loop;
static uv_async_t cmd_async;
static pthread_t loop_tid;
static struct packet_server *server;
static uint16_t port;
static _Atomic int mode;
static _Atomic int handled;
static _Atomic int stopped; /* done_cb calls */

/* Requests held by MODE_HOLD (loop thread only, counted atomically for the test thread). CUnit
 * asserts stay on the test thread: a failing one longjmps. */
static struct packet_server_req *held[MAX_HELD];
static _Atomic int nheld;

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    void (*fn)(void *arg);
    void *arg;
    bool done;
} cmd = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, NULL, false};

/* ------------------------------------------------------------------------------------------ */
/* Loop thread                                                                                */

struct delayed {
    uv_timer_t timer;
    struct packet_server_req *req;
    const struct packet *p;
};

static void delayed_closed_cb(uv_handle_t *h)
{
    free(h->data);
}

static void delayed_cb(uv_timer_t *t)
{
    struct delayed *d = t->data;

    packet_server_reply(d->req, OP_OK, d->p->data, d->p->size);
    uv_close((uv_handle_t *)t, delayed_closed_cb);
}

static void handler(struct packet_server_req *req, const struct packet *p, void *arg)
{
    struct delayed *d;

    (void)arg;
    atomic_fetch_add(&handled, 1);
    switch (atomic_load(&mode)) {
    case MODE_ECHO:
        packet_server_reply(req, OP_OK, p->data, p->size);
        break;
    case MODE_DELAY:
        d = calloc(1, sizeof(*d));
        if (d == NULL) {
            abort();
        }
        d->req = req;
        d->p = p;
        d->timer.data = d;
        uv_timer_init(&loop, &d->timer);
        uv_timer_start(&d->timer, delayed_cb, DELAY_MS, 0);
        break;
    case MODE_HOLD:
        if (atomic_load(&nheld) == MAX_HELD) {
            abort();
        }
        held[atomic_load(&nheld)] = req;
        atomic_fetch_add(&nheld, 1);
        break;
    case MODE_DROP:
        packet_server_drop(req, "test drops it");
        break;
    }
}

static void cmd_cb(uv_async_t *a)
{
    (void)a;
    pthread_mutex_lock(&cmd.mu);
    if (cmd.fn != NULL && !cmd.done) {
        cmd.fn(cmd.arg);
        cmd.done = true;
        pthread_cond_broadcast(&cmd.cv);
    }
    pthread_mutex_unlock(&cmd.mu);
}

static void *loop_main(void *arg)
{
    (void)arg;
    uv_run(&loop, UV_RUN_DEFAULT);
    return NULL;
}

/* Run fn(arg) on the loop thread and wait for it. */
static void on_loop(void (*fn)(void *arg), void *arg)
{
    pthread_mutex_lock(&cmd.mu);
    cmd.fn = fn;
    cmd.arg = arg;
    cmd.done = false;
    uv_async_send(&cmd_async);
    while (!cmd.done) {
        pthread_cond_wait(&cmd.cv, &cmd.mu);
    }
    pthread_mutex_unlock(&cmd.mu);
}

static void stopped_cb(void *arg)
{
    atomic_fetch_add((_Atomic int *)arg, 1);
}

static void do_stop(void *arg)
{
    (void)arg;
    packet_server_stop(server, stopped_cb, &stopped);
}

static void do_close_async(void *arg)
{
    (void)arg;
    uv_close((uv_handle_t *)&cmd_async, NULL);
}

/* Answer (or drop) every held request; harmless whether or not their connections still exist. */
static void do_release_held(void *arg)
{
    bool drop = arg != NULL;

    for (int i = 0; i < atomic_load(&nheld); i++) {
        if (drop && i % 2 == 1) {
            packet_server_drop(held[i], "released by the test");
        } else {
            packet_server_reply(held[i], OP_ERR, "late", 4);
        }
    }
    atomic_store(&nheld, 0);
}

static void do_count_connections(void *arg)
{
    *(size_t *)arg = packet_server_connections(server);
}

/* ------------------------------------------------------------------------------------------ */
/* Fixture                                                                                    */

static int setup(void)
{
    char errmsg[ERRMSG_SIZE] = "";

    atomic_store(&mode, MODE_ECHO);
    atomic_store(&handled, 0);
    atomic_store(&stopped, 0);
    atomic_store(&nheld, 0);
    if (uv_loop_init(&loop) != 0 || uv_async_init(&loop, &cmd_async, cmd_cb) != 0) {
        return -1;
    }
    if (packet_server_start(&loop, "127.0.0.1", 0, MAX_BODY, handler, NULL, &server, errmsg) != 0) {
        fprintf(stderr, "%s\n", errmsg);
        return -1;
    }
    port = packet_server_port(server);
    return pthread_create(&loop_tid, NULL, loop_main, NULL) == 0 ? 0 : -1;
}

/* Stop the server (unless the test did), end the loop and check that nothing was left open. */
static void teardown(void)
{
    if (atomic_load(&stopped) == 0) {
        on_loop(do_stop, NULL);
    }
    on_loop(do_close_async, NULL);
    pthread_join(loop_tid, NULL);
    CU_ASSERT_EQUAL(atomic_load(&stopped), 1);
    CU_ASSERT_EQUAL(uv_loop_close(&loop), 0);
}

static int client_connect(void)
{
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};
    struct timeval tv = {.tv_sec = TIMEOUT_MS / 1000};
    int one = 1;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    CU_ASSERT_FATAL(fd >= 0);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    CU_ASSERT_EQUAL_FATAL(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
    return fd;
}

static bool write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;

    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return false;
        }
        p += n;
        len -= (size_t)n;
    }
    return true;
}

/* Read exactly len bytes; false on EOF, error or timeout. */
static bool read_all(int fd, void *buf, size_t len)
{
    char *p = buf;

    while (len > 0) {
        ssize_t n = recv(fd, p, len, 0);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return false;
        }
        p += n;
        len -= (size_t)n;
    }
    return true;
}

/* An encoded request whose data is text; *req_id gets its ReqID. */
static uint8_t *make_request(const char *text, int64_t *req_id, size_t *len)
{
    struct packet p;
    uint8_t *buf = NULL;

    CU_ASSERT_EQUAL_FATAL(
        packet_init_request(&p, OP_CREATE_DATA_PARTITION, 7, text, (uint32_t)strlen(text)), 0);
    CU_ASSERT_EQUAL_FATAL(packet_encode(&p, &buf, len), 0);
    *req_id = p.req_id;
    packet_clear(&p);
    return buf;
}

static int64_t send_request(int fd, const char *text)
{
    int64_t req_id;
    size_t len;
    uint8_t *buf = make_request(text, &req_id, &len);

    CU_ASSERT(write_all(fd, buf, len));
    free(buf);
    return req_id;
}

/* Read one reply and check it answers req_id with result and text. */
static void expect_reply(int fd, int64_t req_id, uint8_t result, const char *text)
{
    uint8_t header[PACKET_HEADER_SIZE];
    uint8_t *buf;
    struct packet p;
    size_t used;

    CU_ASSERT_FATAL(read_all(fd, header, sizeof(header)));
    CU_ASSERT_EQUAL_FATAL(packet_header_decode(header, sizeof(header), MAX_BODY, &p), 0);
    buf = malloc(sizeof(header) + p.arg_len + p.size);
    CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
    memcpy(buf, header, sizeof(header));
    CU_ASSERT_FATAL(read_all(fd, buf + sizeof(header), p.arg_len + p.size));
    CU_ASSERT_EQUAL_FATAL(
        packet_decode(buf, sizeof(header) + p.arg_len + p.size, MAX_BODY, &p, &used), 0);
    CU_ASSERT_EQUAL(p.req_id, req_id);
    CU_ASSERT_EQUAL(p.opcode, OP_CREATE_DATA_PARTITION);
    CU_ASSERT_EQUAL(p.partition_id, 7);
    CU_ASSERT_EQUAL(p.result_code, result);
    CU_ASSERT_EQUAL(p.size, strlen(text));
    if (p.size > 0 && p.size == strlen(text)) {
        CU_ASSERT_EQUAL(memcmp(p.data, text, p.size), 0);
    }
    packet_clear(&p);
    free(buf);
}

/* The server closed this connection: EOF (or a reset) before any reply. */
static void expect_closed(int fd)
{
    char c;
    ssize_t n;

    do {
        n = recv(fd, &c, 1, 0);
    } while (n < 0 && errno == EINTR);
    CU_ASSERT(n == 0 || (n < 0 && errno == ECONNRESET));
}

static bool held_at_least(void *arg)
{
    return atomic_load(&nheld) >= *(int *)arg;
}

static bool connections_are(void *arg)
{
    size_t n = SIZE_MAX;

    on_loop(do_count_connections, &n);
    return n == *(size_t *)arg;
}

static bool stopped_once(void *arg)
{
    (void)arg;
    return atomic_load(&stopped) == 1;
}

static void wait_held(int n)
{
    CU_ASSERT_FATAL(proc_wait_until(held_at_least, &n, TIMEOUT_MS));
}

static void wait_connections(size_t n)
{
    CU_ASSERT(proc_wait_until(connections_are, &n, TIMEOUT_MS));
}

/* ------------------------------------------------------------------------------------------ */
/* Tests                                                                                      */

static void test_round_trip_one_connection(void)
{
    static const char *texts[] = {"{\"ID\":\"a\"}", "", "{\"ID\":\"c\"}", "x", "{}"};
    uint8_t *stream = NULL;
    size_t stream_len = 0;
    int64_t ids[5];
    int fd;

    CU_ASSERT_EQUAL_FATAL(setup(), 0);
    fd = client_connect();
    /* All five in one write: the decoder must split them. */
    for (size_t i = 0; i < 5; i++) {
        size_t len;
        uint8_t *buf = make_request(texts[i], &ids[i], &len);
        stream = realloc(stream, stream_len + len);
        CU_ASSERT_PTR_NOT_NULL_FATAL(stream);
        memcpy(stream + stream_len, buf, len);
        stream_len += len;
        free(buf);
    }
    CU_ASSERT(write_all(fd, stream, stream_len));
    for (size_t i = 0; i < 5; i++) {
        expect_reply(fd, ids[i], OP_OK, texts[i]);
    }
    /* And one byte at a time: packets spread over many reads. */
    for (size_t i = 0; i < stream_len; i++) {
        CU_ASSERT(write_all(fd, stream + i, 1));
    }
    for (size_t i = 0; i < 5; i++) {
        expect_reply(fd, ids[i], OP_OK, texts[i]);
    }
    CU_ASSERT_EQUAL(atomic_load(&handled), 10);
    free(stream);
    close(fd);
    teardown();
}

static void test_fifty_connections(void)
{
    int fds[NCONNS];
    int64_t ids[NCONNS];
    char texts[NCONNS][32];

    CU_ASSERT_EQUAL_FATAL(setup(), 0);
    for (int i = 0; i < NCONNS; i++) {
        fds[i] = client_connect();
    }
    for (int i = 0; i < NCONNS; i++) {
        snprintf(texts[i], sizeof(texts[i]), "{\"conn\":%d}", i);
        ids[i] = send_request(fds[i], texts[i]);
    }
    for (int i = NCONNS - 1; i >= 0; i--) {
        expect_reply(fds[i], ids[i], OP_OK, texts[i]);
    }
    wait_connections(NCONNS);
    for (int i = 0; i < NCONNS; i++) {
        close(fds[i]);
    }
    wait_connections(0);
    teardown();
}

static void test_delayed_reply(void)
{
    struct timespec t0, t1;
    int64_t id1, id2;
    int fd;

    CU_ASSERT_EQUAL_FATAL(setup(), 0);
    atomic_store(&mode, MODE_DELAY);
    fd = client_connect();
    clock_gettime(CLOCK_MONOTONIC, &t0);
    id1 = send_request(fd, "first");
    id2 = send_request(fd, "second");
    expect_reply(fd, id1, OP_OK, "first");
    expect_reply(fd, id2, OP_OK, "second");
    clock_gettime(CLOCK_MONOTONIC, &t1);
    CU_ASSERT((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 >= DELAY_MS - 1);
    close(fd);
    teardown();
}

/* Bad input on one connection closes it and nothing else. */
static void check_bad_input_closes_only_its_connection(const void *bad, size_t len)
{
    int good, victim;
    int64_t id;

    CU_ASSERT_EQUAL_FATAL(setup(), 0);
    good = client_connect();
    victim = client_connect();
    id = send_request(good, "before");
    expect_reply(good, id, OP_OK, "before");
    CU_ASSERT(write_all(victim, bad, len));
    expect_closed(victim);
    id = send_request(good, "after");
    expect_reply(good, id, OP_OK, "after");
    wait_connections(1);
    CU_ASSERT_EQUAL(atomic_load(&handled), 2);
    close(victim);
    close(good);
    teardown();
}

static void test_garbage_closes_connection(void)
{
    static const char garbage[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

    check_bad_input_closes_only_its_connection(garbage, sizeof(garbage) - 1);
}

static void test_4gib_header_closes_connection(void)
{
    struct packet p = {.magic = PACKET_MAGIC, .opcode = OP_CREATE_DATA_PARTITION};
    uint8_t header[PACKET_HEADER_SIZE];

    p.size = UINT32_MAX;
    p.arg_len = 1; /* arg + data = 4 GiB exactly */
    packet_header_encode(&p, header);
    check_bad_input_closes_only_its_connection(header, sizeof(header));
}

static void test_over_max_body_closes_connection(void)
{
    struct packet p = {.magic = PACKET_MAGIC, .opcode = OP_CREATE_DATA_PARTITION};
    uint8_t header[PACKET_HEADER_SIZE];

    p.size = MAX_BODY + 1;
    packet_header_encode(&p, header);
    check_bad_input_closes_only_its_connection(header, sizeof(header));
}

static void test_drop(void)
{
    int good, victim;
    int64_t id;

    CU_ASSERT_EQUAL_FATAL(setup(), 0);
    good = client_connect();
    victim = client_connect();
    atomic_store(&mode, MODE_DROP);
    send_request(victim, "undecodable");
    expect_closed(victim);
    atomic_store(&mode, MODE_ECHO);
    id = send_request(good, "fine");
    expect_reply(good, id, OP_OK, "fine");
    close(victim);
    close(good);
    teardown();
}

static void test_reply_after_client_closed(void)
{
    int fd;

    CU_ASSERT_EQUAL_FATAL(setup(), 0);
    atomic_store(&mode, MODE_HOLD);

    /* The server has seen the close before the reply. */
    fd = client_connect();
    send_request(fd, "one");
    send_request(fd, "two");
    wait_held(2);
    close(fd);
    wait_connections(0);
    on_loop(do_release_held, (void *)1);

    /* The reply races the close (the write may fail or land in a dead socket). */
    fd = client_connect();
    send_request(fd, "three");
    wait_held(1);
    close(fd);
    on_loop(do_release_held, NULL);
    wait_connections(0);

    /* The server closed the connection (garbage after a held request) before the reply. */
    fd = client_connect();
    send_request(fd, "four");
    wait_held(1);
    CU_ASSERT(write_all(fd, "garbage", 7));
    expect_closed(fd);
    wait_connections(0);
    on_loop(do_release_held, NULL);
    close(fd);

    /* The server still serves. */
    atomic_store(&mode, MODE_ECHO);
    fd = client_connect();
    int64_t id = send_request(fd, "five");
    expect_reply(fd, id, OP_OK, "five");
    close(fd);
    teardown();
}

static void test_stop_with_pending_requests(void)
{
    int a, b;

    CU_ASSERT_EQUAL_FATAL(setup(), 0);
    atomic_store(&mode, MODE_HOLD);
    a = client_connect();
    b = client_connect();
    send_request(a, "a1");
    send_request(a, "a2");
    send_request(b, "b1");
    wait_held(3);
    on_loop(do_stop, NULL);
    expect_closed(a);
    expect_closed(b);
    /* done_cb fires once, from the last close callback (after the sockets are closed). */
    CU_ASSERT(proc_wait_until(stopped_once, NULL, TIMEOUT_MS));
    /* Replies and drops after the stop are ignored, and free what they hold. */
    on_loop(do_release_held, (void *)1);
    close(a);
    close(b);
    teardown();
}

static void test_start_errors(void)
{
    struct packet_server *s = (struct packet_server *)&s;
    char errmsg[ERRMSG_SIZE] = "", expect[ERRMSG_SIZE];
    uv_loop_t l;

    CU_ASSERT_EQUAL_FATAL(setup(), 0);
    CU_ASSERT_EQUAL_FATAL(uv_loop_init(&l), 0);
    CU_ASSERT_EQUAL(packet_server_start(&l, "127.0.0.1", port, MAX_BODY, handler, NULL, &s, errmsg),
                    UV_EADDRINUSE);
    snprintf(expect, sizeof(expect), "listen on 127.0.0.1:%u: address already in use", port);
    CU_ASSERT_STRING_EQUAL(errmsg, expect);
    CU_ASSERT_PTR_EQUAL(s, (struct packet_server *)&s);
    CU_ASSERT_EQUAL(packet_server_start(&l, "not-an-ip", 0, MAX_BODY, handler, NULL, &s, errmsg),
                    UV_EINVAL);
    CU_ASSERT_STRING_EQUAL(errmsg, "listen on not-an-ip:0: invalid argument");
    /* The failed listeners are released by the next run of the loop. */
    uv_run(&l, UV_RUN_DEFAULT);
    CU_ASSERT_EQUAL(uv_loop_close(&l), 0);
    teardown();
}

static const struct test_case cases[] = {
    {"round_trip_one_connection", test_round_trip_one_connection},
    {"fifty_connections", test_fifty_connections},
    {"delayed_reply", test_delayed_reply},
    {"garbage_closes_connection", test_garbage_closes_connection},
    {"4gib_header_closes_connection", test_4gib_header_closes_connection},
    {"over_max_body_closes_connection", test_over_max_body_closes_connection},
    {"drop", test_drop},
    {"reply_after_client_closed", test_reply_after_client_closed},
    {"stop_with_pending_requests", test_stop_with_pending_requests},
    {"start_errors", test_start_errors},
    {NULL, NULL},
};

static const struct test_suite suites[] = {
    {"packet_server", NULL, NULL, cases},
    {NULL, NULL, NULL, NULL},
};

int main(int argc, char **argv)
{
    return test_run(argc, argv, suites);
}
