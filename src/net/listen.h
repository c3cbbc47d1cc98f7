/*
 * listen.h - the listening sockets: one per event loop, all on the same address
 * (SO_REUSEPORT spreads connections across the loops), non-blocking, and with
 * TCP_DEFER_ACCEPT, so that a connection is handed to a loop once its first request
 * bytes have arrived, or it closed, or AFF_LISTEN_DEFER_S passed (see listen.c).
 */
#ifndef AFF_NET_LISTEN_H
#define AFF_NET_LISTEN_H

#include <netdb.h>

/* Seconds the kernel holds a connection that has sent nothing before it is accepted
 * anyway (TCP_DEFER_ACCEPT). */
#define AFF_LISTEN_DEFER_S 1

/* Open a listening socket on ai's address, at port when port >= 0 (else ai's own port,
 * 0 = any free one). Returns 0 with the descriptor in *fd_out, or AFF_EIO (errno says
 * why). */
int aff_listen_open(const struct addrinfo *ai, int port, int *fd_out);

/* The port a listening socket is bound to, or -1. */
int aff_listen_port(int fd);

#endif
