/*
 * static.h - answering requests for the embedded dashboard files (net/assets.h).
 * Runs on the event loop; never blocks.
 */
#ifndef AFF_NET_STATIC_H
#define AFF_NET_STATIC_H

#include "net/http.h"

/* If req is a GET or HEAD of an embedded file, answer it (200, or 304 when
 * If-None-Match names its ETag) and return 1; otherwise return 0 and answer nothing. */
int aff_static_serve(h2o_req_t *req);

/* Add the page security headers (CSP, nosniff, frame denial, referrer policy) to the
 * response being built for req. */
void aff_static_security_headers(h2o_req_t *req);

#endif
