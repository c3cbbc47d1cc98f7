/* maintenance.c - the writer's periodic work; see maintenance.h. */
#include "track/maintenance.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/money.h"
#include "core/str.h"
#include "track/commission.h"
#include "track/ledger.h"
#include "track/payout.h"
#include "track/rollup.h"
#include "track/screen.h"

/* ---- cost per click ------------------------------------------------------------------- */

/* An hour is charged once it ended this long ago: clicks of that hour are committed. */
#define CPC_GRACE_MS (5 * 60 * 1000LL)
#define CPC_META "cpc_hour"

typedef struct cpc {
    aff_store *st;
    const aff_program_row *p;
    int64_t flat_minor;
    int64_t now_ms;
    int64_t lines, amount;
} cpc;

static int charge(void *ud, int64_t affiliate_id, int64_t unique_clicks, int64_t unused)
{
    (void)unused;
    cpc *x = ud;
    aff_ledger_row l = {.program_id = x->p->id,
                        .affiliate_id = affiliate_id,
                        .plan_version = x->p->commission_version,
                        .created_ms = x->now_ms,
                        .updated_ms = x->now_ms};
    if (aff_muldiv_round(unique_clicks, x->flat_minor, 1, &l.amount_minor) != 0)
        return AFF_ERANGE;
    if (l.amount_minor == 0)
        return 0;
    l.gross_minor = l.amount_minor;
    memcpy(l.currency, x->p->currency, sizeof(l.currency));
    aff_str_copy(l.kind, sizeof(l.kind), "cpc");
    aff_str_copy(l.slot, sizeof(l.slot), "cpc");
    aff_str_copy(l.rule, sizeof(l.rule), "click:flat_minor");
    l.hold_until_ms = x->now_ms + (int64_t)x->p->hold_days * AFF_MS_PER_DAY;
    aff_str_copy(l.status, sizeof(l.status), x->p->hold_days > 0 ? "pending" : "approved");
    int rc = aff_store_ledger_insert(x->st, &l);
    if (rc != 0)
        return rc;
    aff_rollup_delta d = {.commission_minor = l.amount_minor};
    x->lines++;
    x->amount += l.amount_minor;
    return aff_rollup_write(x->st, x->now_ms / AFF_MS_PER_HOUR, x->p->id, affiliate_id, 0, "", &d);
}

typedef struct cpc_programs {
    aff_store *st;
    int64_t from_hour, to_hour, now_ms;
    aff_plan *plan;
    int64_t lines;
} cpc_programs;

static int charge_program(void *ud, const aff_program_row *p)
{
    cpc_programs *x = ud;
    if (aff_plan_parse(p->plan_json, x->plan, NULL, 0, NULL) != 0)
        return 0;
    const aff_plan_event *e = aff_plan_event_for(x->plan, "click");
    if (e == NULL || e->rule.kind != AFF_RULE_FLAT || e->rule.value == 0)
        return 0;
    cpc c = {.st = x->st, .p = p, .flat_minor = e->rule.value, .now_ms = x->now_ms};
    int rc = aff_store_unique_clicks_by_affiliate(x->st, p->id, x->from_hour, x->to_hour, charge, &c);
    x->lines += c.lines;
    return rc < 0 ? rc : 0;
}

int aff_maintenance_cpc(aff_store *st, int64_t now_ms, int64_t *lines)
{
    *lines = 0;
    int64_t done = 0, to_hour = (now_ms - CPC_GRACE_MS) / AFF_MS_PER_HOUR - 1;
    size_t len = 0;
    int rc = aff_store_meta_get(st, CPC_META, &done, sizeof(done), &len);
    if (rc == AFF_ENOTFOUND || (rc == 0 && len != sizeof(done)))
        return aff_store_meta_put(st, CPC_META, &to_hour, sizeof(to_hour)); /* charge from now on */
    if (rc != 0 || to_hour <= done)
        return rc;
    cpc_programs x = {.st = st, .from_hour = done, .to_hour = to_hour, .now_ms = now_ms};
    if ((x.plan = malloc(sizeof(*x.plan))) == NULL)
        return AFF_ENOMEM;
    aff_list_query all = {0};
    rc = aff_store_program_list(st, &all, charge_program, &x);
    free(x.plan);
    *lines = x.lines;
    return rc != 0 ? rc : aff_store_meta_put(st, CPC_META, &to_hour, sizeof(to_hour));
}

/* Conversion-rate outliers change slowly: recomputed once an hour. */
static int outliers(aff_store *st, int64_t now_ms, int *ran)
{
    int64_t hour = now_ms / AFF_MS_PER_HOUR, last = -1;
    size_t len = 0;
    *ran = 0;
    int rc = aff_store_meta_get(st, "outliers_hour", &last, sizeof(last), &len);
    if (rc != 0 && rc != AFF_ENOTFOUND)
        return rc;
    if (rc == 0 && len == sizeof(last) && last == hour)
        return 0;
    if ((rc = aff_screen_outliers(st, now_ms)) == 0)
        rc = aff_store_meta_put(st, "outliers_hour", &hour, sizeof(hour));
    *ran = rc == 0;
    return rc;
}

int aff_maintenance_run(aff_store *st, int64_t now_ms, aff_maintenance_stats *out)
{
    memset(out, 0, sizeof(*out));
    int rc = aff_maintenance_cpc(st, now_ms, &out->cpc_lines);
    if (rc == 0)
        rc = outliers(st, now_ms, &out->outliers_computed);
    if (rc == 0)
        rc = aff_ledger_auto_approve(st, now_ms, &out->approved_lines, &out->approved_conversions);
    if (rc == 0)
        rc = aff_ledger_release(st, 0, now_ms, &out->released_lines);
    if (rc == 0)
        rc = aff_payout_run_scheduled(st, now_ms, &out->payout_runs);
    return rc;
}
