/* replay.c - re-pricing conversions on a scratch connection; see replay.h. */
#include "track/replay.h"

#include <stdlib.h>
#include <string.h>

#include "core/str.h"
#include "track/earn.h"
#include "track/ledger.h"

#define PLAN_CACHE 8

typedef struct replay {
    aff_store *st;
    const aff_plan *plan; /* NULL: recorded versions */
    int plan_version;
    int64_t program_id;
    struct {
        int version;
        aff_plan *plan;
    } cache[PLAN_CACHE];
    int ncache;
    int64_t *ids;
    size_t n, cap;
    int64_t from, to;
} replay;

static const aff_plan *plan_of(replay *x, int version, int *rc)
{
    if (x->plan != NULL)
        return x->plan;
    for (int i = 0; i < x->ncache; i++)
        if (x->cache[i].version == version)
            return x->cache[i].plan;
    int slot = x->ncache < PLAN_CACHE ? x->ncache++ : version % PLAN_CACHE;
    if (x->cache[slot].plan == NULL && (x->cache[slot].plan = malloc(sizeof(aff_plan))) == NULL) {
        *rc = AFF_ENOMEM;
        return NULL;
    }
    x->cache[slot].version = -1;
    if ((*rc = aff_earn_plan_of(x->st, x->program_id, version, x->cache[slot].plan)) != 0)
        return NULL;
    x->cache[slot].version = version;
    return x->cache[slot].plan;
}

static int collect_id(void *ud, const aff_conversion_row *c)
{
    replay *x = ud;
    if (c->created_ms < x->from || c->created_ms >= x->to || c->test ||
        (strcmp(c->status, "rejected") == 0 && !c->counted))
        return 0; /* origins of renewals outside the window; posted rejected: never counted */
    if (x->n == x->cap) {
        size_t cap = x->cap ? 2 * x->cap : 1024;
        int64_t *ids = realloc(x->ids, cap * sizeof(*ids));
        if (ids == NULL)
            return AFF_ENOMEM;
        x->ids = ids;
        x->cap = cap;
    }
    x->ids[x->n++] = c->id;
    return 0;
}

/* Price one conversion as it was when it was recorded (not yet refunded, rejected or
 * reversed), then bring its shares to its refunds and restore its status. */
static int reprice(replay *x, aff_conversion_result *r, int64_t id)
{
    int rc = aff_conversion_load(x->st, id, r);
    if (rc != 0)
        return rc;
    aff_conversion_row *c = &r->conv;
    if (c->plan_version == 0 && x->plan == NULL)
        return 0; /* the plan it met paid nothing */
    const aff_plan *plan = plan_of(x, c->plan_version, &rc);
    if (plan == NULL)
        return rc == AFF_ENOTFOUND ? 0 : rc;
    char status[sizeof(c->status)];
    memcpy(status, c->status, sizeof(status));
    int64_t refunded = c->refunded_minor;
    aff_str_copy(c->status, sizeof(c->status), "approved");
    c->refunded_minor = 0;
    c->earned_minor = 0;
    c->tier = 0;
    r->nlines = 0;
    aff_ctx ctx = {.st = x->st};
    int64_t delta = 0;
    int version = x->plan != NULL ? x->plan_version : c->plan_version;
    aff_rollup_split split; /* replays write no reports */
    if ((rc = aff_earn_price(&ctx, plan, version, r, c->created_ms, AFF_EARN_STORED, &split)) != 0)
        return rc;
    memcpy(c->status, status, sizeof(status));
    c->refunded_minor = refunded;
    if ((rc = aff_store_conversion_set_state(x->st, c)) != 0)
        return rc;
    if (strcmp(status, "rejected") == 0) { /* counted, but its lines do not count */
        aff_ledger_move m = {.by = AFF_LEDGER_BY_CONVERSION,
                             .key = c->id,
                             .from = {"pending", "approved"},
                             .to = "rejected",
                             .payout_id = -1,
                             .now_ms = c->created_ms};
        return aff_store_ledger_move(x->st, &m, &delta);
    }
    return aff_ledger_sync_all(x->st, r, "reversal", c->created_ms, &delta);
}

typedef struct totals {
    aff_replay_result *out;
    int replayed;
} totals;

static int add_total(void *ud, int64_t affiliate_id, int64_t conversions, int64_t net)
{
    totals *t = ud;
    aff_replay_result *o = t->out;
    size_t i = 0;
    while (i < o->n && o->rows[i].affiliate_id != affiliate_id)
        i++;
    if (i == o->n) {
        aff_replay_row *rows = realloc(o->rows, (o->n + 1) * sizeof(*rows));
        if (rows == NULL)
            return AFF_ENOMEM;
        o->rows = rows;
        memset(&o->rows[o->n], 0, sizeof(o->rows[0]));
        o->rows[o->n++].affiliate_id = affiliate_id;
    }
    o->rows[i].conversions = conversions;
    if (t->replayed)
        o->rows[i].replayed_minor = net;
    else
        o->rows[i].current_minor = net;
    return 0;
}

static int add_mismatch(void *ud, const aff_conversion_row *c)
{
    aff_replay_result *o = ud;
    if (o->mismatches < AFF_REPLAY_BAD_MAX)
        o->bad_ids[o->mismatches] = c->id;
    o->mismatches++;
    return 0;
}

/* The earliest start, among the periods the plan counts in, of the one holding ms. */
static int64_t warm_start(const aff_plan *plan, int64_t ms)
{
    int64_t start = ms;
    for (int i = 0; i < plan->nevents; i++)
        if (plan->events[i].tiers.n > 0) {
            int64_t s = aff_period_start(&plan->events[i].tiers.period, ms);
            start = s < start ? s : start;
        }
    for (int i = 0; i < plan->nbonuses; i++) {
        int64_t s = aff_period_start(&plan->bonuses[i].period, ms);
        start = s < start ? s : start;
    }
    if (plan->has_affiliate_cap) {
        int64_t s = aff_period_start(&plan->cap_period, ms);
        start = s < start ? s : start;
    }
    return start;
}

int aff_replay_run(const char *data_dir, int64_t program_id, int64_t from_ms, int64_t to_ms, const aff_plan *plan,
                   int plan_version, aff_replay_result *out)
{
    memset(out, 0, sizeof(*out));
    replay x = {.plan = plan, .plan_version = plan_version, .program_id = program_id, .to = to_ms};
    int rc = aff_store_sqlite_open(data_dir, AFF_STORE_SCRATCH, 0, &x.st);
    if (rc != 0)
        return rc;
    aff_conversion_result *r = malloc(sizeof(*r));
    aff_program_row *p = malloc(sizeof(*p));
    aff_plan *current = malloc(sizeof(*current));
    if (r == NULL || p == NULL || current == NULL) {
        rc = AFF_ENOMEM;
        goto out;
    }
    if ((rc = aff_store_begin(x.st)) != 0 || (rc = aff_store_program_get(x.st, program_id, p)) != 0)
        goto out;
    if (plan == NULL && aff_plan_parse(p->plan_json, current, NULL, 0, NULL) != 0)
        memset(current, 0, sizeof(*current));
    x.from = warm_start(plan != NULL ? plan : current, from_ms);
    if ((rc = aff_store_replay_prepare(x.st, program_id, x.from, to_ms)) != 0)
        goto out;
    aff_list_query q = {.program_id = program_id};
    if ((rc = aff_store_conversion_list(x.st, &q, collect_id, &x)) != 0)
        goto out;
    for (size_t i = 0; i < x.n && rc == 0; i++) {
        rc = reprice(&x, r, x.ids[i]);
        out->conversions++;
    }
    totals t = {out, 0};
    if (rc == 0)
        rc = aff_store_replay_totals(x.st, 0, from_ms, to_ms, add_total, &t);
    t.replayed = 1;
    if (rc == 0)
        rc = aff_store_replay_totals(x.st, 1, from_ms, to_ms, add_total, &t);
    if (rc == 0 && plan == NULL)
        rc = aff_store_replay_mismatches(x.st, add_mismatch, out);
out:
    aff_store_rollback(x.st);
    aff_store_close(x.st);
    for (int i = 0; i < PLAN_CACHE; i++)
        free(x.cache[i].plan);
    free(x.ids);
    free(r);
    free(p);
    free(current);
    if (rc != 0)
        aff_replay_result_free(out);
    return rc;
}

void aff_replay_result_free(aff_replay_result *r)
{
    free(r->rows);
    r->rows = NULL;
    r->n = 0;
}
