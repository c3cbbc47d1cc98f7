/*
 * fuzz_query.h - a request whose target is "/x?QUERY", for the targets that fuzz what
 * the API reads from a query string (fuzz_list_query, fuzz_report_query). The target is
 * a heap buffer sized exactly, as h2o hands it over, so AddressSanitizer sees any read
 * past it.
 */
#ifndef AFF_FUZZ_QUERY_H
#define AFF_FUZZ_QUERY_H

#include <h2o.h>

#include "fuzz.h"

typedef struct fuzz_query {
    h2o_req_t req;
    char *target;
} fuzz_query;

static inline void fuzz_query_init(fuzz_query *f, const uint8_t *query, size_t len)
{
    f->target = malloc(len + 3);
    FUZZ_CHECK(f->target != NULL);
    memcpy(f->target, "/x?", 3);
    if (len > 0)
        memcpy(f->target + 3, query, len);
    memset(&f->req, 0, sizeof(f->req));
    h2o_mem_init_pool(&f->req.pool);
    f->req.path = h2o_iovec_init(f->target, len + 3);
    f->req.query_at = 2;
}

static inline void fuzz_query_free(fuzz_query *f)
{
    h2o_mem_clear_pool(&f->req.pool);
    free(f->target);
}

#endif
