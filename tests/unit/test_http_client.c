/* http_client against mock masters on 127.0.0.1: round trips, rotation, redirects, envelopes. */
#include "common/errors.h"
#include "common/http_client.h"
#include "tests/support/mock_master.h"
#include "tests/support/test_support.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

static struct mock_master *ma, *mb;
static char addr_a[64], addr_b[64];

/* A bound socket that never listens (connections are refused and the port stays ours), or one
 * that listens but never accepts (requests hang). */
static int reserve_port(bool listening, char *addr, size_t size)
{
    struct sockaddr_in sin = {.sin_family = AF_INET};
    socklen_t len = sizeof(sin);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
        (listening && listen(fd, 8) != 0) || getsockname(fd, (struct sockaddr *)&sin, &len) != 0) {
        if (fd >= 0) {
            close(fd);
        }
        return -1;
    }
    snprintf(addr, size, "127.0.0.1:%u", ntohs(sin.sin_port));
    return fd;
}

static struct http_client *client_for(const char *const *masters, size_t n)
{
    char errmsg[ERRMSG_SIZE] = "";
    struct http_client *c = NULL;

    CU_ASSERT_EQUAL_FATAL(http_client_new(masters, n, NULL, &c, errmsg), 0);
    return c;
}

static int suite_init(void)
{
    if (http_client_global_init() != 0 || mock_master_start("127.0.0.1", 0, &ma) != 0 ||
        mock_master_start("127.0.0.1", 0, &mb) != 0) {
        return -1;
    }
    snprintf(addr_a, sizeof(addr_a), "127.0.0.1:%u", mock_master_port(ma));
    snprintf(addr_b, sizeof(addr_b), "127.0.0.1:%u", mock_master_port(mb));
    return 0;
}

static int suite_cleanup(void)
{
    mock_master_stop(ma);
    mock_master_stop(mb);
    return 0;
}

static void test_get_round_trip(void)
{
    const char *masters[] = {addr_a};
    struct http_client *c = client_for(masters, 1);
    char errmsg[ERRMSG_SIZE] = "";
    json_t *data = NULL;
    int code = -1;

    CU_ASSERT_EQUAL(http_client_call(c, "GET", "/echo?x=1&y=a%20b", NULL, 0, &code, &data, errmsg),
                    0);
    CU_ASSERT_EQUAL(code, 0);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(data, "method")), "GET");
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(data, "path")), "/echo");
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(data, "query")), "x=1&y=a%20b");
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(data, "body")), "");
    json_decref(data);
    http_client_free(c);
}

static void test_post_round_trip(void)
{
    static const char body[] = "{\"ID\":\"t1\",\"Response\":{\"Status\":1}}";
    const char *masters[] = {addr_a};
    struct http_client *c = client_for(masters, 1);
    struct http_response resp;
    char errmsg[ERRMSG_SIZE] = "";
    json_t *data = NULL;
    int code = -1;

    CU_ASSERT_EQUAL(http_client_call(c, "POST", "/echo", body, strlen(body), &code, &data, errmsg),
                    0);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(data, "method")), "POST");
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(data, "body")), body);
    json_decref(data);

    /* The raw request keeps status, body and which master answered. */
    CU_ASSERT_EQUAL(http_client_request(c, "POST", "/metaNode/response", body, strlen(body),
                                        "application/json", &resp, errmsg),
                    0);
    CU_ASSERT_EQUAL(resp.status, 200);
    CU_ASSERT_STRING_EQUAL(resp.master, addr_a);
    CU_ASSERT_STRING_EQUAL(resp.body, "{\"code\":0,\"msg\":\"success\",\"data\":\"200\"}");
    CU_ASSERT_EQUAL(resp.len, strlen(resp.body));
    http_response_free(&resp);
    char *posted = mock_master_take_post(ma, "/metaNode/response", 1000);
    CU_ASSERT_PTR_NOT_NULL_FATAL(posted);
    CU_ASSERT_STRING_EQUAL(posted, body);
    free(posted);
    http_client_free(c);
}

static void test_get_ip(void)
{
    const char *masters[] = {addr_a};
    struct http_client *c = client_for(masters, 1);
    char errmsg[ERRMSG_SIZE] = "";
    json_t *data = NULL;

    CU_ASSERT_EQUAL(http_client_call(c, "GET", "/admin/getIp", NULL, 0, NULL, &data, errmsg), 0);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(data, "Cluster")), "mockcluster");
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(data, "Ip")), "127.0.0.1");
    json_decref(data);
    http_client_free(c);
}

static void test_first_dead_second_answers(void)
{
    char dead[64];
    int fd = reserve_port(false, dead, sizeof(dead));
    const char *masters[] = {dead, addr_b};
    struct http_client *c;
    struct http_response resp;
    char errmsg[ERRMSG_SIZE] = "";

    CU_ASSERT_FATAL(fd >= 0);
    c = client_for(masters, 2);
    CU_ASSERT_EQUAL(http_client_request(c, "GET", "/echo", NULL, 0, NULL, &resp, errmsg), 0);
    CU_ASSERT_STRING_EQUAL(resp.master, addr_b);
    http_response_free(&resp);
    http_client_free(c);
    close(fd);
}

static void test_all_dead(void)
{
    char dead1[64], dead2[64], expect[ERRMSG_SIZE];
    int fd1 = reserve_port(false, dead1, sizeof(dead1));
    int fd2 = reserve_port(false, dead2, sizeof(dead2));
    const char *masters[] = {dead1, dead2};
    struct http_client *c;
    struct http_response resp = {.status = -7};
    char errmsg[ERRMSG_SIZE] = "";

    CU_ASSERT_FATAL(fd1 >= 0 && fd2 >= 0);
    c = client_for(masters, 2);
    CU_ASSERT_EQUAL(http_client_request(c, "GET", "/echo", NULL, 0, NULL, &resp, errmsg),
                    CFS_ENOLEADER);
    snprintf(expect, sizeof(expect), "no master answered: %s (%s), %s (%s)", dead1,
             strerror(ECONNREFUSED), dead2, strerror(ECONNREFUSED));
    CU_ASSERT_STRING_EQUAL(errmsg, expect);
    CU_ASSERT_EQUAL(resp.status, -7); /* untouched */
    http_client_free(c);
    close(fd1);
    close(fd2);
}

/* The error of n dead masters, each named name_len characters long (a user name before the
 * address pads it: "uuu@127.0.0.1:port" connects to 127.0.0.1); 0 keeps the plain addresses. */
static void dead_masters_error(size_t name_len, char names[5][128], char *errmsg)
{
    const char *masters[5];
    struct http_client *c;
    struct http_response resp;
    int fds[5];

    for (size_t i = 0; i < 5; i++) {
        char addr[64];
        fds[i] = reserve_port(false, addr, sizeof(addr));
        CU_ASSERT_FATAL(fds[i] >= 0);
        if (name_len > strlen(addr)) {
            size_t pad = name_len - strlen(addr) - 1;
            memset(names[i], 'u', pad);
            snprintf(names[i] + pad, 128 - pad, "@%s", addr);
        } else {
            snprintf(names[i], 128, "%s", addr);
        }
        masters[i] = names[i];
    }
    c = client_for(masters, 5);
    CU_ASSERT_EQUAL(http_client_request(c, "GET", "/echo", NULL, 0, NULL, &resp, errmsg),
                    CFS_ENOLEADER);
    http_client_free(c);
    for (size_t i = 0; i < 5; i++) {
        close(fds[i]);
    }
}

static size_t count_char(const char *s, char ch)
{
    size_t n = 0;

    for (; *s != '\0'; s++) {
        n += *s == ch;
    }
    return n;
}

/* Five masters always fit in one message: with their reasons, with reasons cut short when the
 * names are long, and without reasons when even that does not fit. */
static void test_five_dead_masters(void)
{
    const char *refused = strerror(ECONNREFUSED);
    char names[5][128], errmsg[ERRMSG_SIZE], expect[1024];
    size_t len;

    dead_masters_error(0, names, errmsg);
    len = (size_t)snprintf(expect, sizeof(expect), "no master answered: ");
    for (size_t i = 0; i < 5; i++) {
        len += (size_t)snprintf(expect + len, sizeof(expect) - len, "%s%s (%s)", i ? ", " : "",
                                names[i], refused);
    }
    CU_ASSERT_STRING_EQUAL(errmsg, expect);

    dead_masters_error(30, names, errmsg);
    for (size_t i = 0; i < 5; i++) {
        CU_ASSERT_PTR_NOT_NULL(strstr(errmsg, names[i]));
    }
    CU_ASSERT_EQUAL(count_char(errmsg, '('), 5);
    CU_ASSERT_EQUAL(strncmp(strchr(errmsg, '(') + 1, refused, 8), 0);

    dead_masters_error(44, names, errmsg);
    snprintf(expect, sizeof(expect), "no master answered: %s, %s, %s, %s, %s", names[0], names[1],
             names[2], names[3], names[4]);
    CU_ASSERT_STRING_EQUAL(errmsg, expect);
}

static void test_timeout_names_master(void)
{
    char hung[64];
    int fd = reserve_port(true, hung, sizeof(hung));
    const char *masters[] = {hung};
    struct http_client_options o = {.timeout_ms = 200, .connect_timeout_ms = 200};
    struct http_client *c = NULL;
    struct http_response resp;
    char errmsg[ERRMSG_SIZE] = "", expect[ERRMSG_SIZE];

    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_EQUAL_FATAL(http_client_new(masters, 1, &o, &c, errmsg), 0);
    CU_ASSERT_EQUAL(http_client_request(c, "GET", "/echo", NULL, 0, NULL, &resp, errmsg),
                    CFS_ENOLEADER);
    snprintf(expect, sizeof(expect), "no master answered: %s (timed out)", hung);
    CU_ASSERT_STRING_EQUAL(errmsg, expect);
    http_client_free(c);
    close(fd);
}

/* A 503 (a follower without a leader) moves on to the next master, and the next request starts
 * at the master that answered. */
static void test_non_200_tries_next_and_sticks(void)
{
    const char *masters[] = {addr_a, addr_b};
    struct http_client *c = client_for(masters, 2);
    size_t a0 = mock_master_count(ma, "/dataNode/add");
    size_t b0 = mock_master_count(mb, "/dataNode/add");
    char errmsg[ERRMSG_SIZE] = "";
    json_t *data = NULL;

    mock_master_fail_registrations(ma, 1);
    CU_ASSERT_EQUAL(http_client_call(c, "GET", "/dataNode/add?addr=127.0.0.1%3A17310", NULL, 0,
                                     NULL, &data, errmsg),
                    0);
    CU_ASSERT(json_is_integer(data));
    json_decref(data);
    CU_ASSERT_EQUAL(mock_master_count(ma, "/dataNode/add"), a0 + 1);
    CU_ASSERT_EQUAL(mock_master_count(mb, "/dataNode/add"), b0 + 1);

    /* a would answer now, but b answered last. */
    CU_ASSERT_EQUAL(http_client_call(c, "GET", "/dataNode/add?addr=127.0.0.1%3A17310", NULL, 0,
                                     NULL, NULL, errmsg),
                    0);
    CU_ASSERT_EQUAL(mock_master_count(ma, "/dataNode/add"), a0 + 1);
    CU_ASSERT_EQUAL(mock_master_count(mb, "/dataNode/add"), b0 + 2);
    http_client_free(c);
}

static void test_all_non_200(void)
{
    const char *masters[] = {addr_a, addr_b};
    struct http_client *c = client_for(masters, 2);
    char errmsg[ERRMSG_SIZE] = "", expect[ERRMSG_SIZE];

    mock_master_fail_registrations(ma, 1);
    mock_master_fail_registrations(mb, 1);
    CU_ASSERT_EQUAL(http_client_call(c, "GET", "/metaNode/add?addr=127.0.0.1%3A17210", NULL, 0,
                                     NULL, NULL, errmsg),
                    CFS_ENOLEADER);
    snprintf(expect, sizeof(expect), "no master answered: %s (HTTP 503), %s (HTTP 503)", addr_a,
             addr_b);
    CU_ASSERT_STRING_EQUAL(errmsg, expect);
    http_client_free(c);
}

static void test_redirect_keeps_post_body(void)
{
    static const char body[] = "{\"ID\":\"addr[127.0.0.1:17310]_op[99]\"}";
    const char *masters[] = {addr_a};
    struct http_client *c = client_for(masters, 1);
    size_t a0 = mock_master_count(ma, "/dataNode/response");
    struct http_response resp;
    char errmsg[ERRMSG_SIZE] = "";
    json_t *data = NULL;
    char *posted;

    mock_master_redirect_to(ma, addr_b);
    CU_ASSERT_EQUAL(http_client_request(c, "POST", "/dataNode/response?x=1", body, strlen(body),
                                        "application/json", &resp, errmsg),
                    0);
    CU_ASSERT_STRING_EQUAL(resp.master, addr_a); /* from the list, before redirects */
    http_response_free(&resp);
    CU_ASSERT_EQUAL(mock_master_count(ma, "/dataNode/response"), a0 + 1);
    posted = mock_master_take_post(mb, "/dataNode/response", 1000);
    CU_ASSERT_PTR_NOT_NULL_FATAL(posted);
    CU_ASSERT_STRING_EQUAL(posted, body);
    free(posted);
    CU_ASSERT_PTR_NULL(mock_master_take_post(ma, "/dataNode/response", 0));
    posted = mock_master_last_query(mb, "/dataNode/response");
    CU_ASSERT_STRING_EQUAL(posted, "x=1");
    free(posted);

    /* GETs keep their query; /admin/getIp is never redirected. */
    CU_ASSERT_EQUAL(http_client_call(c, "GET", "/echo?q=2", NULL, 0, NULL, &data, errmsg), 0);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(data, "query")), "q=2");
    json_decref(data);
    size_t b_ip = mock_master_count(mb, "/admin/getIp");
    CU_ASSERT_EQUAL(http_client_call(c, "GET", "/admin/getIp", NULL, 0, NULL, NULL, errmsg), 0);
    CU_ASSERT_EQUAL(mock_master_count(mb, "/admin/getIp"), b_ip);

    mock_master_redirect_to(ma, NULL);
    CU_ASSERT_EQUAL(http_client_call(c, "GET", "/echo", NULL, 0, NULL, NULL, errmsg), 0);
    http_client_free(c);
}

static void test_api_error(void)
{
    const char *masters[] = {addr_a};
    struct http_client *c = client_for(masters, 1);
    char errmsg[ERRMSG_SIZE] = "";
    json_t *data = (json_t *)&data; /* sentinel: must stay untouched */
    int code = -1;

    CU_ASSERT_EQUAL(http_client_call(c, "GET", "/dataNode/add", NULL, 0, &code, &data, errmsg),
                    CFS_EREMOTE);
    CU_ASSERT_EQUAL(code, 2);
    CU_ASSERT_STRING_EQUAL(errmsg, "parameter addr not found");
    CU_ASSERT_PTR_EQUAL(data, (json_t *)&data);
    http_client_free(c);
}

static void test_mock_404_405(void)
{
    const char *masters[] = {addr_a};
    struct http_client *c = client_for(masters, 1);
    char errmsg[ERRMSG_SIZE] = "", expect[ERRMSG_SIZE];

    CU_ASSERT_EQUAL(http_client_call(c, "GET", "/no/such/path", NULL, 0, NULL, NULL, errmsg),
                    CFS_ENOLEADER);
    snprintf(expect, sizeof(expect), "no master answered: %s (HTTP 404)", addr_a);
    CU_ASSERT_STRING_EQUAL(errmsg, expect);
    CU_ASSERT_EQUAL(http_client_call(c, "POST", "/admin/getIp", "{}", 2, NULL, NULL, errmsg),
                    CFS_ENOLEADER);
    snprintf(expect, sizeof(expect), "no master answered: %s (HTTP 405)", addr_a);
    CU_ASSERT_STRING_EQUAL(errmsg, expect);
    http_client_free(c);
}

static void test_envelope_parse(void)
{
    static const char ok[] = "{\"code\":0,\"msg\":\"success\",\"data\":{\"x\":1}}";
    static const char err[] = "{\"code\":7,\"msg\":\"vol not exists\",\"data\":null}";
    char msg[32] = "", errmsg[ERRMSG_SIZE] = "";
    json_t *data = NULL;
    int code = -1;

    CU_ASSERT_EQUAL(http_envelope_parse(ok, strlen(ok), &code, msg, sizeof(msg), &data, errmsg), 0);
    CU_ASSERT_EQUAL(code, 0);
    CU_ASSERT_STRING_EQUAL(msg, "success");
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(data, "x")), 1);
    json_decref(data);

    CU_ASSERT_EQUAL(http_envelope_parse(err, strlen(err), &code, msg, sizeof(msg), &data, errmsg),
                    0);
    CU_ASSERT_EQUAL(code, 7);
    CU_ASSERT_STRING_EQUAL(msg, "vol not exists");
    CU_ASSERT_PTR_NULL(data);

    /* msg truncated to its buffer; data not wanted. */
    CU_ASSERT_EQUAL(http_envelope_parse(err, strlen(err), &code, msg, 4, NULL, errmsg), 0);
    CU_ASSERT_STRING_EQUAL(msg, "vol");
}

static void test_envelope_malformed(void)
{
    static const struct {
        const char *body;
        int rv;
        const char *msg;
    } cases[] = {
        {"404 page not found", CFS_EBADJSON, "response is not JSON ("},
        {"", CFS_EBADJSON, "response is not JSON ("},
        {"{\"code\":0", CFS_EBADJSON, "response is not JSON ("},
        {"[1,2]", CFS_ETYPE, "response is not a JSON object: \"[1,2]\""},
        {"\"200\"", CFS_ETYPE, "response is not a JSON object: \"\"200\"\""},
        {"{\"msg\":\"x\"}", CFS_EMISSING, "response has no \"code\""},
        {"{\"code\":\"1\"}", CFS_ETYPE, "response \"code\" is not an integer"},
        {"{\"code\":1.5}", CFS_ETYPE, "response \"code\" is not an integer"},
        {"{\"code\":4294967296}", CFS_ETYPE, "response \"code\" is not an integer"},
        {"{\"code\":1,\"msg\":3}", CFS_ETYPE, "response \"msg\" is not a string"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char msg[32] = "keep", errmsg[ERRMSG_SIZE] = "";
        json_t *data = (json_t *)&data;
        int code = -5;

        CU_ASSERT_EQUAL(http_envelope_parse(cases[i].body, strlen(cases[i].body), &code, msg,
                                            sizeof(msg), &data, errmsg),
                        cases[i].rv);
        CU_ASSERT_PTR_NOT_NULL(strstr(errmsg, cases[i].msg));
        CU_ASSERT_EQUAL(code, -5);
        CU_ASSERT_STRING_EQUAL(msg, "keep");
        CU_ASSERT_PTR_EQUAL(data, (json_t *)&data);
    }
    /* The snippet of a non-JSON body shows what came back. */
    char errmsg[ERRMSG_SIZE] = "";
    int code;
    CU_ASSERT_EQUAL(http_envelope_parse("404 page not found", 18, &code, NULL, 0, NULL, errmsg),
                    CFS_EBADJSON);
    CU_ASSERT_PTR_NOT_NULL(strstr(errmsg, ": \"404 page not found\""));
}

static void test_new_rejects_bad_lists(void)
{
    char long_addr[200];
    const char *empty[] = {"127.0.0.1:1", ""};
    const char *too_long[] = {long_addr};
    const char *prefixed[] = {"http://127.0.0.1:1"};
    struct http_client *c = (struct http_client *)&c;
    char errmsg[ERRMSG_SIZE] = "";

    memset(long_addr, 'a', sizeof(long_addr) - 1);
    long_addr[sizeof(long_addr) - 1] = '\0';
    CU_ASSERT_EQUAL(http_client_new(empty, 0, NULL, &c, errmsg), -EINVAL);
    CU_ASSERT_STRING_EQUAL(errmsg, "no master address");
    CU_ASSERT_EQUAL(http_client_new(empty, 2, NULL, &c, errmsg), -EINVAL);
    CU_ASSERT_STRING_EQUAL(errmsg, "bad master address \"\"");
    CU_ASSERT_EQUAL(http_client_new(too_long, 1, NULL, &c, errmsg), -EINVAL);
    CU_ASSERT_PTR_EQUAL(c, (struct http_client *)&c);

    /* "http://" is accepted and dropped: the error names the bare address. */
    CU_ASSERT_EQUAL_FATAL(http_client_new(prefixed, 1, NULL, &c, errmsg), 0);
    CU_ASSERT_EQUAL(http_client_call(c, "GET", "/x", NULL, 0, NULL, NULL, errmsg), CFS_ENOLEADER);
    CU_ASSERT_PTR_NOT_NULL(strstr(errmsg, "answered: 127.0.0.1:1 ("));
    http_client_free(c);
}

/* The libcurl body buffer grows across chunks and keeps a NUL after them; with a bound, the
 * chunk that would pass it aborts the transfer and says so. */
static void test_body_buffer(void)
{
    struct http_body b = {0};
    struct http_body capped = {.max = 10};
    char chunk[3000];

    memset(chunk, 'x', sizeof(chunk));
    for (int i = 0; i < 3; i++) {
        CU_ASSERT_EQUAL(http_body_write(chunk, 1, sizeof(chunk), &b), sizeof(chunk));
    }
    CU_ASSERT_EQUAL(b.len, 3 * sizeof(chunk));
    CU_ASSERT_EQUAL(strlen(b.data), 3 * sizeof(chunk));
    free(b.data);

    CU_ASSERT_EQUAL(http_body_write("hello", 1, 5, &capped), 5);
    CU_ASSERT_EQUAL(http_body_write("world", 1, 5, &capped), 5);
    CU_ASSERT_FALSE(capped.too_big);
    CU_ASSERT_EQUAL(http_body_write("!", 1, 1, &capped), 0);
    CU_ASSERT_TRUE(capped.too_big);
    CU_ASSERT_STRING_EQUAL(capped.data, "helloworld");
    free(capped.data);
}

static void test_escape(void)
{
    char buf[64];

    CU_ASSERT_STRING_EQUAL(http_escape("127.0.0.1:17310", buf, sizeof(buf)), "127.0.0.1:17310");
    CU_ASSERT_STRING_EQUAL(http_escape("a&b=c+d?e#f%", buf, sizeof(buf)),
                           "a%26b%3Dc%2Bd%3Fe%23f%25");
    CU_ASSERT_STRING_EQUAL(http_escape("vol/\xce\xb1 b", buf, sizeof(buf)), "vol%2F%CE%B1%20b");
    CU_ASSERT_STRING_EQUAL(http_escape("a-Z_0.9~", buf, sizeof(buf)), "a-Z_0.9~");
    CU_ASSERT_STRING_EQUAL(http_escape("", buf, sizeof(buf)), "");
    /* Truncation never splits an escape and always terminates. */
    CU_ASSERT_STRING_EQUAL(http_escape("a b c", buf, 6), "a%20b");
    CU_ASSERT_STRING_EQUAL(http_escape("a b c", buf, 5), "a%20");
    CU_ASSERT_STRING_EQUAL(http_escape("a b c", buf, 4), "a");
    CU_ASSERT_STRING_EQUAL(http_escape("abc", buf, 1), "");
}

/* Several threads share one client (each request has its own curl handle). */
static void *hammer(void *arg)
{
    struct http_client *c = arg;
    char errmsg[ERRMSG_SIZE];
    intptr_t failures = 0;

    for (int i = 0; i < 20; i++) {
        json_t *data = NULL;
        if (http_client_call(c, "POST", "/echo", "{}", 2, NULL, &data, errmsg) != 0 ||
            strcmp(json_string_value(json_object_get(data, "body")), "{}") != 0) {
            failures++;
        }
        json_decref(data);
    }
    return (void *)failures;
}

static void test_threads_share_client(void)
{
    char dead[64];
    int fd = reserve_port(false, dead, sizeof(dead));
    const char *masters[] = {dead, addr_a, addr_b};
    struct http_client *c;
    pthread_t threads[4];

    CU_ASSERT_FATAL(fd >= 0);
    c = client_for(masters, 3);
    for (size_t i = 0; i < 4; i++) {
        CU_ASSERT_EQUAL_FATAL(pthread_create(&threads[i], NULL, hammer, c), 0);
    }
    for (size_t i = 0; i < 4; i++) {
        void *failures;
        pthread_join(threads[i], &failures);
        CU_ASSERT_PTR_NULL(failures);
    }
    http_client_free(c);
    close(fd);
}

/* A connection that never sends a request does not keep stop waiting for long. */
static void test_mock_stop_with_idle_connection(void)
{
    struct mock_master *m = NULL;
    struct sockaddr_in sin = {.sin_family = AF_INET};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    char addr[64], errmsg[ERRMSG_SIZE];
    const char *masters[] = {addr};
    struct http_client *c;

    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_EQUAL_FATAL(mock_master_start("127.0.0.1", 0, &m), 0);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sin.sin_port = htons(mock_master_port(m));
    CU_ASSERT_EQUAL(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
    /* Accepts happen in order: once a later request is answered, the idle one is accepted. */
    snprintf(addr, sizeof(addr), "127.0.0.1:%u", mock_master_port(m));
    c = client_for(masters, 1);
    CU_ASSERT_EQUAL(http_client_call(c, "GET", "/echo", NULL, 0, NULL, NULL, errmsg), 0);
    http_client_free(c);
    mock_master_stop(m);
    close(fd);
}

static void test_mock_start_fails_on_taken_port(void)
{
    struct mock_master *m = (struct mock_master *)&m;

    CU_ASSERT_EQUAL(mock_master_start("127.0.0.1", mock_master_port(ma), &m), UV_EADDRINUSE);
    CU_ASSERT_PTR_EQUAL(m, (struct mock_master *)&m);
    CU_ASSERT_NOT_EQUAL(mock_master_start("not-an-ip", 0, &m), 0);
}

static const struct test_case cases[] = {
    {"get_round_trip", test_get_round_trip},
    {"post_round_trip", test_post_round_trip},
    {"get_ip", test_get_ip},
    {"first_dead_second_answers", test_first_dead_second_answers},
    {"all_dead", test_all_dead},
    {"five_dead_masters", test_five_dead_masters},
    {"timeout_names_master", test_timeout_names_master},
    {"non_200_tries_next_and_sticks", test_non_200_tries_next_and_sticks},
    {"all_non_200", test_all_non_200},
    {"redirect_keeps_post_body", test_redirect_keeps_post_body},
    {"api_error", test_api_error},
    {"mock_404_405", test_mock_404_405},
    {"envelope_parse", test_envelope_parse},
    {"envelope_malformed", test_envelope_malformed},
    {"new_rejects_bad_lists", test_new_rejects_bad_lists},
    {"escape", test_escape},
    {"body_buffer", test_body_buffer},
    {"threads_share_client", test_threads_share_client},
    {"mock_stop_with_idle_connection", test_mock_stop_with_idle_connection},
    {"mock_start_fails_on_taken_port", test_mock_start_fails_on_taken_port},
    {NULL, NULL},
};

static const struct test_suite suites[] = {
    {"http_client", suite_init, suite_cleanup, cases},
    {NULL, NULL, NULL, NULL},
};

int main(int argc, char **argv)
{
    return test_run(argc, argv, suites);
}
