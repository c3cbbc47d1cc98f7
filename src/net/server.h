/*
 * server.h - run the HTTP server: listeners, one event loop per worker thread, and the
 * shutdown sequence (see server.c). The writer and readers must already be started
 * (track/pool.h) and aff_server (net/http.h) filled in. on_bound(port) runs once the
 * listeners are bound, before any request is served.
 */
#ifndef AFF_NET_SERVER_H
#define AFF_NET_SERVER_H

#include "core/config.h"
#include "net/router.h"

/* Serve until SIGTERM/SIGINT, then drain, stop the pools and return 0. Blocks the
 * calling thread. Prints "afftrack: listening on http://HOST:PORT" once serving. */
int aff_server_run(const aff_config *cfg, aff_routes *routes, void (*on_bound)(int port));

#endif
