/* Listening sockets on 127.0.0.1 for tests that dial "nodes": a plain listener the test drives
 * itself (the kernel completes handshakes without accept()), a blackhole whose full backlog drops
 * every SYN so a dial can only time out, and the address of a port nothing listens on. Failures
 * to set one up are fatal CUnit asserts. */
#ifndef CFS_TESTS_NET_FIXTURE_H
#define CFS_TESTS_NET_FIXTURE_H

#include <stddef.h>

#define NET_FIXTURE_MAX_FILLERS 16

struct net_fixture_listener {
    int fd;
    char addr[32];                        /* "127.0.0.1:<port>" */
    int fillers[NET_FIXTURE_MAX_FILLERS]; /* connections that fill a blackhole's backlog */
    size_t nfillers;
};

/* Listen on 127.0.0.1, an ephemeral port, with this backlog. */
void net_fixture_listen(struct net_fixture_listener *l, int backlog);

/* A listener that never accepts, with its backlog (0) full, filled by connecting until one
 * connect stays pending. */
void net_fixture_blackhole(struct net_fixture_listener *l);

/* Close the listener and its fillers. */
void net_fixture_close(struct net_fixture_listener *l);

/* The address of a port nothing listens on: bound once, then released. */
void net_fixture_dead_addr(char *buf, size_t size);

#endif
