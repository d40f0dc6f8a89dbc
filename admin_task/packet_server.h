/* The node side of the task channel: a libuv TCP server for CubeFS packets.
 *
 * Many connections at once; bytes go through the incremental decoder and each whole packet is
 * handed to the handler on the loop thread, which answers on the same connection with
 * packet_server_reply() (now or later, exactly once). Bad magic or an oversized length closes
 * that connection with a logged reason, and so does a handler calling packet_server_drop() (e.g.
 * for undecodable JSON); the server keeps serving everyone else. A reply to a connection that has
 * gone away is discarded. */
#ifndef CFS_ADMIN_TASK_PACKET_SERVER_H
#define CFS_ADMIN_TASK_PACKET_SERVER_H

#include "admin_task/packet.h"

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct packet_server;
struct packet_server_req; /* a received packet waiting for its reply */

/* p is owned by the server and valid until the reply or drop. */
typedef void (*packet_server_handler_cb)(struct packet_server_req *req, const struct packet *p,
                                         void *arg);

/* Listen on ip:port (port 0 picks a free one; see packet_server_port). On error the handler is
 * never called and the listener handle is released the next time the loop runs. Sets SIGPIPE to
 * ignored for the process: libuv writes with write(2), and a peer that hung up must fail the
 * write, not kill the node. */
int packet_server_start(uv_loop_t *loop, const char *ip, uint16_t port, uint32_t max_body,
                        packet_server_handler_cb cb, void *arg, struct packet_server **out,
                        char *errmsg);

uint16_t packet_server_port(const struct packet_server *s);

/* Connections currently open (for logs and tests). */
size_t packet_server_connections(const struct packet_server *s);

/* Answer req with a reply packet on the request's header (same opcode, partition and ReqID). */
void packet_server_reply(struct packet_server_req *req, uint8_t result_code, const void *data,
                         uint32_t size);

/* Close req's connection without answering, logging reason. */
void packet_server_drop(struct packet_server_req *req, const char *reason);

/* Stop listening, close every connection, and call done_cb (may be NULL) once all handles are
 * closed (s is freed by then). Requests still waiting for a reply stay valid after the stop: the
 * handler must still reply to or drop each one, which then only frees it. */
void packet_server_stop(struct packet_server *s, void (*done_cb)(void *arg), void *arg);

#endif
