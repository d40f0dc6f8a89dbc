#include "tests/support/net_fixture.h"

#include <CUnit/CUnit.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

void net_fixture_listen(struct net_fixture_listener *l, int backlog)
{
    struct sockaddr_in sa = {.sin_family = AF_INET};
    socklen_t len = sizeof(sa);

    memset(l, 0, sizeof(*l));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    l->fd = socket(AF_INET, SOCK_STREAM, 0);
    CU_ASSERT_FATAL(l->fd >= 0);
    CU_ASSERT_FATAL(bind(l->fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
    CU_ASSERT_FATAL(listen(l->fd, backlog) == 0);
    CU_ASSERT_FATAL(getsockname(l->fd, (struct sockaddr *)&sa, &len) == 0);
    snprintf(l->addr, sizeof(l->addr), "127.0.0.1:%u", ntohs(sa.sin_port));
}

void net_fixture_blackhole(struct net_fixture_listener *l)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);

    net_fixture_listen(l, 0);
    CU_ASSERT_FATAL(getsockname(l->fd, (struct sockaddr *)&sa, &len) == 0);
    while (l->nfillers < NET_FIXTURE_MAX_FILLERS) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        struct pollfd pfd = {.fd = fd, .events = POLLOUT};
        CU_ASSERT_FATAL(fd >= 0);
        l->fillers[l->nfillers++] = fd;
        /* Still connecting after 200 ms: the SYN was dropped, the backlog is full. */
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 && errno == EINPROGRESS &&
            poll(&pfd, 1, 200) == 0) {
            return;
        }
    }
    CU_FAIL_FATAL("the backlog never filled");
}

void net_fixture_close(struct net_fixture_listener *l)
{
    for (size_t i = 0; i < l->nfillers; i++) {
        close(l->fillers[i]);
    }
    close(l->fd);
}

void net_fixture_dead_addr(char *buf, size_t size)
{
    struct net_fixture_listener l;

    net_fixture_listen(&l, 1);
    snprintf(buf, size, "%s", l.addr);
    net_fixture_close(&l);
}
