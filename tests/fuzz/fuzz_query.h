/*
 * fuzz_query.h - a request whose target is "/x?QUERY", for the targets that fuzz what
 * the API reads from a query string (fuzz_list_query, fuzz_report_query). The target is
 * a heap buffer sized exactly, as h2o hands it over, so AddressSanitizer sees any read
 * past it. Below it, what both targets' reference models share.
 */
#ifndef AFF_FUZZ_QUERY_H
#define AFF_FUZZ_QUERY_H

#include <h2o.h>
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "net/http.h"

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

/* ---- the reference models' reading of parameters ---- */

/* The reference's verdict on one parameter. */
enum { OK = 0, BAD = 1, EITHER = 2 };

/* What the reference found wrong with a query. */
typedef struct fuzz_verdicts {
    const char *bad[16]; /* names of the bad parameters, and of those that may be */
    int nbad, nstrict;   /* nstrict: how many are certainly bad */
    int either;          /* e.g. a non-canonical number: may be refused, its value unchecked */
} fuzz_verdicts;

static inline void fuzz_verdict(fuzz_verdicts *v, const char *name, int verdict)
{
    if (verdict == OK)
        return;
    v->nstrict += verdict == BAD;
    v->either |= verdict == EITHER;
    if (v->nbad < 16)
        v->bad[v->nbad++] = name;
}

/* A refusal must be well-formed and name one of the parameters the reference found bad
 * (or possibly bad). */
static inline void fuzz_check_refusal(const fuzz_verdicts *v, const aff_errinfo *e)
{
    FUZZ_CHECK(e->field != NULL && e->msg[0] != '\0' && memchr(e->msg, '\0', sizeof(e->msg)) != NULL);
    int named = 0;
    for (int i = 0; i < v->nbad; i++)
        named |= strcmp(v->bad[i], e->field) == 0;
    FUZZ_CHECK(named);
}

/* The first parameter of that name, or NULL; an empty value is absent unless keep_empty. */
static inline const aff_param *fuzz_param_get(const aff_params *ps, const char *name, int keep_empty)
{
    for (int i = 0; i < ps->n; i++)
        if (strcmp(ps->p[i].name, name) == 0)
            return (ps->p[i].value_len > 0 || keep_empty) ? &ps->p[i] : NULL;
    return NULL;
}

/* A positive decimal up to max: OK with its value when canonical (no leading zero, at
 * most 18 digits), EITHER for a positive value with leading zeros, else BAD. */
static inline int fuzz_ref_pos(const char *s, size_t len, int64_t max, int64_t *out)
{
    size_t z = 0;
    while (z < len && s[z] == '0')
        z++;
    for (size_t i = 0; i < len; i++)
        if (s[i] < '0' || s[i] > '9')
            return BAD;
    if (z == len || len - z > 18) /* empty, all zeros, or too long */
        return BAD;
    int64_t v = 0;
    for (size_t i = z; i < len; i++)
        v = v * 10 + (s[i] - '0');
    if (v > max)
        return BAD;
    *out = v;
    return z > 0 ? EITHER : OK;
}

#endif
