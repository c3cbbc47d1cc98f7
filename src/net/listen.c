/*
 * listen.c - listening sockets (listen.h).
 *
 * TCP_DEFER_ACCEPT: the kernel completes the handshake but keeps the connection out of
 * the accept queue until data arrives (or AFF_LISTEN_DEFER_S passes). A loop then
 * learns of a connection once, with its request already readable, instead of waking for
 * the accept and again for the request. Measured with one-request connections (`wrk -H
 * 'Connection: close'`, server pinned to one core): afftrack's CPU a connection fell by
 * about a tenth; nginx gains likewise, and more, from `listen ... deferred`
 * (docs/benchmarks.md, session 10). A connection that sends nothing is accepted after
 * about AFF_LISTEN_DEFER_S, so its idle timeout starts that much later; one that closes
 * at once is accepted at once and reads end-of-file.
 */
#include "net/listen.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/err.h"

int aff_listen_open(const struct addrinfo *ai, int port, int *fd_out)
{
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return AFF_EIO;
    int on = 1, defer_s = AFF_LISTEN_DEFER_S;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on));
    setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer_s, sizeof(defer_s));
    struct sockaddr_storage ss;
    memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
    if (port >= 0) {
        if (ss.ss_family == AF_INET)
            ((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)port);
        else
            ((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)port);
    }
    if (bind(fd, (struct sockaddr *)&ss, ai->ai_addrlen) != 0 || listen(fd, SOMAXCONN) != 0) {
        int why = errno; /* for the caller's message, past close() */
        close(fd);
        errno = why;
        return AFF_EIO;
    }
    *fd_out = fd;
    return 0;
}

int aff_listen_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
        return -1;
    return ss.ss_family == AF_INET ? ntohs(((struct sockaddr_in *)&ss)->sin_port)
                                   : ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}
