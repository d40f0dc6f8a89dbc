/* A stand-in for cfs-master in node-agent and HTTP-client tests: an h2o server on its own libuv
 * loop thread that answers what nodes call and records what they post.
 *
 * Routes: /admin/getIp (Cluster "mockcluster", Ip = caller's IP); /dataNode/add and /metaNode/add
 * (code 0, data = a node ID, the same ID again for a known addr); /dataNode/response and
 * /metaNode/response (body recorded, {"code":0,"msg":"success","data":"200"}); /echo (answers the
 * method, path, query and body it got, for client tests); anything else 404. */
#ifndef CFS_TESTS_MOCK_MASTER_H
#define CFS_TESTS_MOCK_MASTER_H

#include <stddef.h>
#include <stdint.h>

struct mock_master;

/* Listen on ip:port (port 0 picks a free one). */
int mock_master_start(const char *ip, uint16_t port, struct mock_master **out);
void mock_master_stop(struct mock_master *m);
uint16_t mock_master_port(const struct mock_master *m);

/* The next n registration calls (/dataNode/add, /metaNode/add) answer HTTP 503. */
void mock_master_fail_registrations(struct mock_master *m, int n);

/* Answer every route except /admin/getIp with 307 to http://<leader><path>?<query>; NULL stops. */
void mock_master_redirect_to(struct mock_master *m, const char *leader);

/* Requests seen on path (query excluded) so far. */
size_t mock_master_count(struct mock_master *m, const char *path);

/* The query string of the last request to path (malloc'd), or NULL. */
char *mock_master_last_query(struct mock_master *m, const char *path);

/* Wait up to timeout_ms for the next body posted to path that has not been taken yet; malloc'd
 * (NUL-terminated), or NULL on timeout. */
char *mock_master_take_post(struct mock_master *m, const char *path, uint32_t timeout_ms);

#endif
