/* cfs-bench: measuring helpers for the scripts in tools/bench/ (see BENCHMARKS.md).
 *
 *   cfs-bench failover [--kill PID] [--timeout MS] [--data BODY] [--expect TEXT] URL...
 *
 * Kills PID with SIGKILL (when given), then starts a request every 5 ms, to the URLs in turn (POST
 * BODY when --data is given, else GET; redirects followed; each request may take 10 s, and at
 * most the 256 latest run), until one is answered HTTP 200 with TEXT in its body. Prints the
 * milliseconds from the kill to that answer; exits 1 when --timeout (default 30000) passes first.
 * The same loop serves every system measured, so their numbers compare. */
#include "common/clock.h"

#include <curl/curl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

#define MAX_URLS         16
#define MAX_INFLIGHT     256
#define ATTEMPT_EVERY_US 5000

static uint64_t mono_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

struct attempt {
    size_t slot; /* in the ring of attempts under way */
    CURL *c;
    struct curl_slist *headers;
    char buf[4096];
    size_t len;
};

static size_t body_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
    struct attempt *a = arg;
    size_t n = size * nmemb;
    size_t room = sizeof(a->buf) - 1 - a->len;
    size_t take = n < room ? n : room;

    memcpy(a->buf + a->len, ptr, take);
    a->len += take;
    a->buf[a->len] = '\0';
    return n;
}

static struct attempt *attempt_new(const char *url, const char *data)
{
    struct attempt *a = calloc(1, sizeof(*a));

    if (a == NULL || (a->c = curl_easy_init()) == NULL) {
        free(a);
        return NULL;
    }
    curl_easy_setopt(a->c, CURLOPT_URL, url);
    curl_easy_setopt(a->c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(a->c, CURLOPT_CONNECTTIMEOUT_MS, 200L);
    curl_easy_setopt(a->c, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(a->c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(a->c, CURLOPT_POSTREDIR, (long)CURL_REDIR_POST_ALL);
    curl_easy_setopt(a->c, CURLOPT_WRITEFUNCTION, body_cb);
    curl_easy_setopt(a->c, CURLOPT_WRITEDATA, a);
    curl_easy_setopt(a->c, CURLOPT_PRIVATE, a);
    if (data != NULL) {
        a->headers = curl_slist_append(NULL, "Content-Type: application/json");
        curl_easy_setopt(a->c, CURLOPT_HTTPHEADER, a->headers);
        curl_easy_setopt(a->c, CURLOPT_POSTFIELDS, data);
    }
    return a;
}

static void attempt_free(CURLM *multi, struct attempt *a)
{
    curl_multi_remove_handle(multi, a->c);
    curl_easy_cleanup(a->c);
    curl_slist_free_all(a->headers);
    free(a);
}

static int usage(void)
{
    fprintf(stderr, "usage: cfs-bench failover [--kill PID] [--timeout MS] [--data BODY] "
                    "[--expect TEXT] URL...\n");
    return 2;
}

static int failover(int argc, char **argv)
{
    const char *urls[MAX_URLS];
    const char *data = NULL, *expect = "";
    unsigned long timeout_ms = 30000;
    pid_t pid = 0;
    struct attempt *ring[MAX_INFLIGHT] = {NULL};
    size_t n = 0, sent = 0;
    uint64_t t0, deadline;
    CURLM *multi;
    int rv = 1;

    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--kill") == 0 && i + 1 < argc) {
            pid = (pid_t)strtol(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
            timeout_ms = strtoul(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--data") == 0 && i + 1 < argc) {
            data = argv[++i];
        } else if (strcmp(argv[i], "--expect") == 0 && i + 1 < argc) {
            expect = argv[++i];
        } else if (argv[i][0] != '-' && n < MAX_URLS) {
            urls[n++] = argv[i];
        } else {
            return usage();
        }
    }
    if (n == 0) {
        return usage();
    }
    multi = curl_multi_init();
    if (multi == NULL) {
        return 1;
    }
    t0 = mono_us();
    if (pid > 0 && kill(pid, SIGKILL) != 0) {
        perror("cfs-bench: kill");
        return 1;
    }
    deadline = t0 + (uint64_t)timeout_ms * 1000u;
    /* A new attempt every ATTEMPT_EVERY_US whatever the earlier ones do: a request that waits
     * for the election (as a put on an etcd follower may) counts when it is answered, and one
     * that hangs does not hold the next ones back. */
    for (uint64_t next = t0; rv != 0 && mono_us() < deadline;) {
        int running = 0, left = 0;
        CURLMsg *msg;
        if (mono_us() >= next) {
            size_t slot = sent % MAX_INFLIGHT;
            struct attempt *a = attempt_new(urls[sent++ % n], data);
            /* The oldest attempt gives its place up: one started later gets the same answer. */
            if (ring[slot] != NULL) {
                attempt_free(multi, ring[slot]);
                ring[slot] = NULL;
            }
            if (a != NULL && curl_multi_add_handle(multi, a->c) == CURLM_OK) {
                a->slot = slot;
                ring[slot] = a;
            } else if (a != NULL) {
                attempt_free(multi, a);
            }
            next = mono_us() + ATTEMPT_EVERY_US;
        }
        curl_multi_perform(multi, &running);
        while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
            struct attempt *a = NULL;
            long status = 0;
            if (msg->msg != CURLMSG_DONE) {
                continue;
            }
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&a);
            if (msg->data.result == CURLE_OK) {
                curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &status);
            }
            if (rv != 0 && status == 200 && strstr(a->buf, expect) != NULL) {
                printf("%.1f\n", (double)(mono_us() - t0) / 1000.0);
                rv = 0;
            }
            ring[a->slot] = NULL;
            attempt_free(multi, a);
        }
        curl_multi_poll(multi, NULL, 0, 1, NULL);
    }
    if (rv != 0) {
        fprintf(stderr, "cfs-bench: no successful answer within %lu ms\n", timeout_ms);
    }
    curl_multi_cleanup(multi); /* attempts still running are dropped with the process */
    return rv;
}

int main(int argc, char **argv)
{
    int rv;

    if (argc < 2 || strcmp(argv[1], "failover") != 0) {
        return usage();
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    rv = failover(argc - 2, argv + 2);
    curl_global_cleanup();
    return rv;
}
