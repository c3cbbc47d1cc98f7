/* test_listen.c - net/listen.c: listening sockets share a port and hand over a
 * connection only once it has sent something (TCP_DEFER_ACCEPT). */
#define _GNU_SOURCE /* accept4 */
#include "net/listen.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/err.h"
#include "../test.h"

AFF_TEST(listen_accepts_a_connection_only_after_its_first_bytes)
{
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST}, *ai;
    AFF_CHECK_INT(getaddrinfo("127.0.0.1", "0", &hints, &ai), 0);
    int fd = -1, fd2 = -1;
    AFF_CHECK_INT(aff_listen_open(ai, -1, &fd), AFF_OK);
    int port = aff_listen_port(fd);
    AFF_CHECK(port > 0);
    /* A second loop's listener on the same port (SO_REUSEPORT). */
    AFF_CHECK_INT(aff_listen_open(ai, port, &fd2), AFF_OK);
    AFF_CHECK_INT(aff_listen_port(fd2), port);
    close(fd2); /* so the connection below can only land on fd */

    int defer_s = 0;
    socklen_t len = sizeof(defer_s);
    AFF_CHECK_INT(getsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer_s, &len), 0);
    AFF_CHECK(defer_s > 0);

    int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    memcpy(&sa.sin_addr, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, sizeof(sa.sin_addr));
    AFF_CHECK_INT(connect(c, (struct sockaddr *)&sa, sizeof(sa)), 0);
    /* Handshake done, nothing sent: not in the accept queue yet. */
    int s = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    AFF_CHECK_INT(s, -1);
    AFF_CHECK_INT(errno, EAGAIN);
    if (s >= 0)
        close(s);

    static const char req[] = "GET /healthz HTTP/1.1\r\n\r\n";
    AFF_CHECK_INT(send(c, req, sizeof(req) - 1, 0), (int)sizeof(req) - 1);
    struct pollfd p = {.fd = fd, .events = POLLIN};
    AFF_CHECK_INT(poll(&p, 1, 2000), 1);
    s = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    AFF_CHECK(s >= 0);
    char buf[64] = {0};
    if (s >= 0) {
        AFF_CHECK_INT(recv(s, buf, sizeof(buf) - 1, 0), (int)sizeof(req) - 1);
        AFF_CHECK(strcmp(buf, req) == 0);
        close(s);
    }
    close(c);
    close(fd);
    freeaddrinfo(ai);
}
