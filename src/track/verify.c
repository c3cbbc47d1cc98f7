/* verify.c - rollups vs raw events and ledgers vs the refund rule; see verify.h. */
#include "track/verify.h"

#include <stdlib.h>
#include <string.h>

#include "track/commission.h"
#include "track/conversion.h"
#include "track/replay.h"

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
    /* Stored before the API checked amount_minor * quantity in 128 bits (or the sum at
     * all), items may have wrapped int64 when they were priced (priced again, they are read as none). */
    if (aff_comm_items_check(row->items_json) != 0) {
        if (w->out->items_out_of_bounds < AFF_VERIFY_LIST_MAX)
            w->out->items_bad_ids[w->out->items_out_of_bounds] = row->id;
        w->out->items_out_of_bounds++;
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
    if (rc == 0)
        rc = aff_store_balance_check(st, &out->balance_mismatches);
    if (rc == 0) {
        aff_list_query all = {0};
        rc = aff_store_conversion_list(st, &all, check_one, &w);
    }
    aff_store_rollback(st);
    free(w.r);
    return rc;
}

typedef struct programs {
    int64_t ids[4096];
    int n;
} programs;

static int collect_program(void *ud, const aff_program_row *p)
{
    programs *ps = ud;
    if (ps->n == (int)(sizeof(ps->ids) / sizeof(ps->ids[0])))
        return 1;
    ps->ids[ps->n++] = p->id;
    return 0;
}

int aff_verify_plans(const char *data_dir, aff_verify_report *r)
{
    aff_store *st;
    int rc = aff_store_sqlite_open(data_dir, AFF_STORE_READER, 0, &st);
    if (rc != 0)
        return rc;
    programs *ps = calloc(1, sizeof(*ps));
    aff_list_query all = {0};
    rc = ps == NULL ? AFF_ENOMEM : aff_store_program_list(st, &all, collect_program, ps);
    aff_store_close(st);
    for (int i = 0; rc == 0 && i < ps->n; i++) {
        aff_replay_result res;
        if ((rc = aff_replay_run(data_dir, ps->ids[i], 0, INT64_MAX, NULL, 0, &res)) != 0)
            break;
        for (int64_t k = 0; k < res.mismatches && k < AFF_REPLAY_BAD_MAX; k++)
            if (r->plan_mismatches + k < AFF_VERIFY_LIST_MAX)
                r->plan_bad_ids[r->plan_mismatches + k] = res.bad_ids[k];
        r->plan_mismatches += res.mismatches;
        r->programs_replayed++;
        aff_replay_result_free(&res);
    }
    free(ps);
    return rc;
}

int aff_verify_ok(const aff_verify_report *r)
{
    return memcmp(&r->counts.raw, &r->counts.rollup, sizeof(r->counts.raw)) == 0 &&
           memcmp(&r->counts.rollup, &r->counts.daily, sizeof(r->counts.raw)) == 0 &&
           memcmp(&r->counts.daily, &r->counts.sub, sizeof(r->counts.raw)) == 0 && r->counts.sub_mismatches == 0 &&
           r->counts.override_mismatches == 0 && r->ledger_mismatches == 0 && r->items_out_of_bounds == 0 &&
           r->balance_mismatches == 0 && r->plan_mismatches == 0;
}
