/* What cfs-datanode and cfs-metanode share: config keys, registration with the masters, the packet
 * server, posting task responses back, and a clean shutdown on SIGTERM/SIGINT.
 *
 * Happy path of node_agent_run():
 * 1. listen on localIP:listen (the packet server starts first, so the master can send create
 *    tasks the moment registration succeeds);
 * 2. register: GET /admin/getIp, then GET /<role>/add?addr=<localIP>:<listen>&zoneName=<zone>,
 *    retried every register_retry_ms across all masters until a master answers code 0; the node
 *    ID it returns is kept (node_agent_node_id);
 * 3. every packet is decoded as an AdminTask and handed to ops->handle on the loop thread, which
 *    fills a node_agent_reply: the packet result and data to answer now, and optionally a Response
 *    body to POST later (heartbeats, data-partition loads): the agent acks first, then a responder
 *    thread POSTs the task with its Response (and its Request, or null with post_null_request) to
 *    /<role>/response, rotating through the masters and following redirects, so a leader change
 *    never strands a node;
 * 4. SIGTERM or SIGINT: stop accepting, close connections, let ops->shutdown flush state, finish
 *    pending POSTs (bounded), return 0.
 * Failure modes: a packet whose data is not an AdminTask closes that connection (logged); an
 * unknown opcode answers OpErr with a message; a POST that fails on every master is logged and
 * dropped (the master resends the task). */
#ifndef CFS_ADMIN_TASK_NODE_AGENT_H
#define CFS_ADMIN_TASK_NODE_AGENT_H

#include "admin_task/packet.h"
#include "admin_task/task.h"
#include "common/config.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NODE_AGENT_MAX_MASTERS 16

/* Keys every agent's config file has. */
struct node_agent_config {
    uint32_t listen;               /* listen: packet port (required) */
    char local_ip[TASK_ADDR_SIZE]; /* localIP: bind and register address */
    uint32_t nmasters;
    char masters[NODE_AGENT_MAX_MASTERS][TASK_ADDR_SIZE]; /* masterAddr (required) */
    char log_dir[TASK_PATH_SIZE];                         /* logDir: empty logs to stderr */
    char log_level[16];                                   /* logLevel: debug|info|warn|error */
    char zone_name[TASK_NAME_SIZE];                       /* zoneName: default "default" */
    uint32_t register_retry_ms;                           /* registerRetryMs: 2000 */
    uint32_t max_body;                                    /* maxPacketBytes: 64 MiB */
};

/* The config table entries of struct node_agent_config, for an agent whose config struct holds it
 * as member m; put them in the agent's own table, e.g.
 * { NODE_AGENT_CONFIG_FIELDS(struct dn_config, agent), CONFIG_F(...disks...), JC_END }. */
#define NODE_AGENT_CONFIG_FIELDS(T, m)                                            \
    CONFIG_F(T, m.listen, "listen", JC_U32, JC_REQUIRED),                         \
        CONFIG_F(T, m.local_ip, "localIP", JC_STR, 0),                            \
        CONFIG_LIST(T, m.masters, m.nmasters, "masterAddr", JC_STR, JC_REQUIRED), \
        CONFIG_F(T, m.log_dir, "logDir", JC_STR, 0),                              \
        CONFIG_F(T, m.log_level, "logLevel", JC_STR, 0),                          \
        CONFIG_F(T, m.zone_name, "zoneName", JC_STR, 0),                          \
        CONFIG_F(T, m.register_retry_ms, "registerRetryMs", JC_U32, 0),           \
        CONFIG_F(T, m.max_body, "maxPacketBytes", JC_U32, 0)

/* Defaults for the shared keys (localIP 127.0.0.1, zone "default", 2 s retry, 64 MiB). */
void node_agent_config_default(struct node_agent_config *c);

/* Checks after decoding: port range, at least one master, addresses of the form host:port, a
 * known log level. Messages name the key. */
int node_agent_config_check(const struct node_agent_config *c, char *errmsg);

struct node_agent;

struct node_agent_reply {
    uint8_t result; /* OP_OK, OP_ERR, ...; left 0, the runtime answers OpErr itself */
    char *data;     /* reply data, malloc'd (freed by the agent), or NULL */
    uint32_t size;
    json_t *response; /* if set (owned by the agent): POSTed later as the task's Response; the
                       * posted task's Status is the Response's integer "Status" when it has
                       * one, else TaskSucceeds */
};

struct node_agent_ops {
    const char *role; /* "dataNode" or "metaNode": /<role>/add and /<role>/response */
    /* POST responses with "Request": null, as a CubeFS meta node does; false echoes the task's
     * Request, as a data node does. */
    bool post_null_request;
    /* One task, on the loop thread. Must fill reply; an opcode it does not handle gets OP_ERR
     * with a message (node_agent_dispatch does both from a table). */
    void (*handle)(void *arg, struct node_agent *a, const struct admin_task *task,
                   struct node_agent_reply *reply);
    /* Called once registration succeeded (may be NULL). */
    void (*registered)(void *arg, struct node_agent *a, uint64_t node_id);
    /* Called on shutdown, on the loop thread, before the loop stops (may be NULL). */
    void (*shutdown)(void *arg, struct node_agent *a);
};

/* Answering tasks, for the agents' handlers. */

/* reply = result with a copy of text as data. */
int node_agent_reply_text(struct node_agent_reply *r, uint8_t result, const char *text);

/* Decode the task's Request with f into out; errors start with "Request". */
int node_agent_decode_request(const struct admin_task *t, const struct jc_field *f, void *out,
                              char *errmsg);

/* r->response = body encoded with f, to be posted once the ack is out. */
int node_agent_set_response(struct node_agent_reply *r, const struct jc_field *f, const void *body,
                            char *errmsg);

/* One opcode's work, on the loop thread: 0 with reply filled (a result left at 0 answers OpOk),
 * or an error described in errmsg. */
typedef int (*node_agent_task_fn)(void *arg, struct node_agent *a, const struct admin_task *t,
                                  struct node_agent_reply *reply, char *errmsg);

struct node_agent_handler {
    uint8_t opcode;
    /* Error replies read "<action>_<message>", as a CubeFS data node words them; NULL sends the
     * message alone, as a meta node does. */
    const char *action;
    node_agent_task_fn fn;
};

/* A handle callback over a table of n handlers: runs the one for t's opcode. A handler's error,
 * or an opcode the table lacks ("unknown opcode 0x41 (OpMetaNodeHeartbeat)"), is logged and
 * answered OpErr with the text. */
void node_agent_dispatch(const struct node_agent_handler *table, size_t n, void *arg,
                         struct node_agent *a, const struct admin_task *t,
                         struct node_agent_reply *reply);

/* Run until SIGTERM/SIGINT. Returns 0 after a clean shutdown, or an error (e.g. the port is
 * taken) with errmsg filled. Needs http_client_global_init() (node_agent_main_init calls it). */
int node_agent_run(const struct node_agent_config *cfg, const struct node_agent_ops *ops, void *arg,
                   char *errmsg);

/* Ask a running agent to shut down as SIGTERM would (thread-safe). */
void node_agent_request_stop(struct node_agent *a);

uint64_t node_agent_node_id(const struct node_agent *a);

/* "localIP:listen", as registered. */
const char *node_agent_addr(const struct node_agent *a);

/* zoneName, as registered and reported in heartbeats. */
const char *node_agent_zone(const struct node_agent *a);

/* The leader's address from the last heartbeat request ("" before the first one). Loop thread
 * (ops callbacks) only. */
const char *node_agent_master_addr(const struct node_agent *a);

/* Shared by both agents' main(): parse "-c FILE" (and --help), load the config file with the
 * given table into cfg (which holds the defaults on entry: call node_agent_config_default first),
 * check the shared keys, set up logging from them (CFS_LOG overrides logLevel) and initialise
 * libcurl. Exits the process with a message on bad arguments or a bad config file. */
void node_agent_main_init(int argc, char **argv, const char *program, const struct jc_field *fields,
                          void *cfg, struct node_agent_config *agent_cfg);

#endif
