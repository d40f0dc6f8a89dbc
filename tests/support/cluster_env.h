/* A real cluster for system tests: cfs-master, cfs-datanode and cfs-metanode processes on
 * 127.0.0.1 with generated configs under one temporary folder, fast intervals, and helpers to
 * call the masters' HTTP API and wait for conditions (polled, with deadlines).
 *
 * The folder is removed by cenv_close() when every test passed, and kept (logs included) when
 * any assert failed, with its path printed. */
#ifndef CFS_TESTS_CLUSTER_ENV_H
#define CFS_TESTS_CLUSTER_ENV_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define CENV_MAX_MASTERS 5
#define CENV_MAX_NODES   16

struct cenv_proc {
    pid_t pid;        /* 0 when not running */
    uint16_t port;    /* HTTP port (masters) or packet port (nodes) */
    char addr[64];    /* 127.0.0.1:port */
    char dir[512];    /* its data folder */
    char config[512]; /* its config file */
    char log[512];    /* its stdout/stderr */
};

struct cenv {
    char root[256];
    size_t nmasters;
    struct cenv_proc masters[CENV_MAX_MASTERS];
    uint64_t master_ids[CENV_MAX_MASTERS];
    uint16_t raft_ports[CENV_MAX_MASTERS];
    size_t ndatanodes;
    struct cenv_proc datanodes[CENV_MAX_NODES];
    size_t nmetanodes;
    struct cenv_proc metanodes[CENV_MAX_NODES];
    char master_extra[1024]; /* extra JSON members for master configs, e.g. "\"followerRead\":true"
                              */
};

/* Create the folder and decide ports for n masters (not started). */
int cenv_init(struct cenv *e, const char *name, size_t nmasters);

/* Start every master / one master (writes its config on first start). */
int cenv_start_masters(struct cenv *e);
int cenv_start_master(struct cenv *e, size_t i);

/* Stop one master with sig (SIGTERM, SIGKILL) and wait for it. */
int cenv_stop_master(struct cenv *e, size_t i, int sig);

/* Add and start data / meta nodes (configs point at every master). */
int cenv_add_datanodes(struct cenv *e, size_t n);
int cenv_add_metanodes(struct cenv *e, size_t n);
int cenv_start_node(struct cenv *e, bool data, size_t i);
int cenv_stop_node(struct cenv *e, bool data, size_t i, int sig);

/* Index of the ready leader (answers /admin/getCluster with LeaderAddr being itself), or -1
 * after timeout_ms. */
int cenv_wait_leader(struct cenv *e, uint32_t timeout_ms);

/* Start the masters (cenv_init() and master_extra done), wait for a leader, add ndata data
 * nodes and nmeta meta nodes and wait until they are active: 0, or -1 when any step failed. */
int cenv_up(struct cenv *e, size_t ndata, size_t nmeta, uint32_t timeout_ms);

/* Wait until every running data and meta node is registered and active. */
bool cenv_wait_nodes_active(struct cenv *e, uint32_t timeout_ms);

/* One HTTP exchange. */
struct cenv_reply {
    long status;        /* HTTP status, -1 when no answer */
    int curl_code;      /* CURLcode of the exchange */
    long redirects;     /* redirects followed */
    char location[512]; /* Location header of a 3xx (not followed) */
    char retry_after[32];
    char ctype[128];
    int code; /* envelope code, -1 when the body is not an envelope */
    char msg[512];
    json_t *data; /* envelope data (owned) */
    char *body;   /* raw body, NUL-terminated (owned) */
    size_t len;
};

/* GET (body NULL) or POST body to http://addr path, following redirects or not; ctype NULL
 * posts a form. Returns the status; free out with cenv_reply_clear(). */
long cenv_request(const char *addr, const char *path, const char *body, const char *ctype,
                  bool follow, struct cenv_reply *out);
void cenv_reply_clear(struct cenv_reply *r);

/* GET (POST when body is not NULL) path on master i without following redirects. Returns the
 * HTTP status; *code, *msg (may be NULL) and *data (new reference, may be NULL) come from the
 * envelope when there is one. */
long cenv_http(struct cenv *e, size_t master, const char *path, const char *body, int *code,
               char *msg, size_t msg_size, json_t **data);

/* GET path on the leader (found on the way), following redirects; 0 with *data for code 0,
 * otherwise the envelope code (positive) or a negative error. msg gets the envelope msg. */
int cenv_call(struct cenv *e, const char *path, json_t **data, char *msg, size_t msg_size);

/* Assertions on the leader's answers to a GET of the formatted path (a mismatch is printed):
 * cenv_ok: code 0, returns the data (new reference; NULL after a failed assert or with no data);
 * cenv_expect: the envelope code is code, data is null, and msg is exactly the message (exact)
 * or part of it; cenv_expect_text: code 0 with a string as data, exactly want or containing it. */
__attribute__((format(printf, 2, 3))) json_t *cenv_ok(struct cenv *e, const char *fmt, ...);
__attribute__((format(printf, 5, 6))) void cenv_expect(struct cenv *e, int code, const char *msg,
                                                       bool exact, const char *fmt, ...);
__attribute__((format(printf, 4, 5))) void cenv_expect_text(struct cenv *e, const char *want,
                                                            bool exact, const char *fmt, ...);

/* Fields of an answer: 0 or "" when missing or of another type. */
uint64_t cenv_u64(const json_t *obj, const char *key);
const char *cenv_str(const json_t *obj, const char *key);

/* Poll fn(e, arg) every 50 ms until true or timeout_ms. */
bool cenv_wait(struct cenv *e, bool (*fn)(struct cenv *e, void *arg), void *arg,
               uint32_t timeout_ms);

/* Stop everything; remove the folder unless keep (or a test failed). */
void cenv_close(struct cenv *e);

#endif
