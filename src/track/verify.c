/* verify.c - rollups vs raw events and ledgers vs the refund rule; see verify.h. */
#include "track/verify.h"

#include <stdlib.h>
#include <string.h>

#include "track/conversion.h"

typedef struct walk {
    aff_store *st;
    aff_verify_report *out;
    aff_conversion_result *r;
} walk;

static int check_one(void *ud, const aff_conversion_row *row)
{
    walk *w = ud;
    int rc = aff_conversion_load(w->st, row->id, w->r);
    if (rc != 0)
        return rc;
    w->out->conversions_checked++;
    if (!aff_conversion_check_ledger(w->r)) {
        if (w->out->ledger_mismatches < AFF_VERIFY_LIST_MAX)
            w->out->bad_ids[w->out->ledger_mismatches] = row->id;
        w->out->ledger_mismatches++;
    }
    return 0;
}

int aff_verify_run(aff_store *st, aff_verify_report *out)
{
    memset(out, 0, sizeof(*out));
    walk w = {st, out, malloc(sizeof(aff_conversion_result))};
    if (w.r == NULL)
        return AFF_ENOMEM;
    int rc = aff_store_begin(st);
    if (rc == 0)
        rc = aff_store_verify(st, &out->counts);
    if (rc == 0) {
        aff_list_query all = {0};
        rc = aff_store_conversion_list(st, &all, check_one, &w);
    }
    aff_store_rollback(st);
    free(w.r);
    return rc;
}

int aff_verify_ok(const aff_verify_report *r)
{
    return memcmp(&r->counts.raw, &r->counts.rollup, sizeof(r->counts.raw)) == 0 &&
           memcmp(&r->counts.rollup, &r->counts.daily, sizeof(r->counts.raw)) == 0 && r->ledger_mismatches == 0;
}
