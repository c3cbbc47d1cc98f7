/* ledger.c - line lifecycle, shares and the ledger invariant; see ledger.h. */
#include "track/ledger.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/str.h"
#include "track/commission.h"
#include "track/rollup.h"

/* ---- the state machine ------------------------------------------------------------- */

static const struct {
    const char *from, *to;
} moves[] = {
    {"pending", "approved"}, {"pending", "rejected"},  {"approved", "rejected"}, {"payable", "rejected"},
    {"approved", "payable"}, {"payable", "in_payout"}, {"in_payout", "paid"},    {"in_payout", "payable"},
    {"pending", "reversed"}, {"approved", "reversed"}, {"payable", "reversed"},
};

int aff_ledger_move_allowed(const char *from, const char *to)
{
    for (size_t i = 0; i < sizeof(moves) / sizeof(moves[0]); i++)
        if (strcmp(moves[i].from, from) == 0 && strcmp(moves[i].to, to) == 0)
            return 1;
    return 0;
}

/* The statuses a move to `to` may start from, NULL-terminated, from the table. */
static void sources_of(const char *to, const char *from[4])
{
    int n = 0;
    for (size_t i = 0; i < sizeof(moves) / sizeof(moves[0]) && n < 3; i++)
        if (strcmp(moves[i].to, to) == 0)
            from[n++] = moves[i].from;
    from[n] = NULL;
}

/* ---- shares ------------------------------------------------------------------------ */

static int is_bonus(const char *slot)
{
    return strncmp(slot, "bonus:", 6) == 0;
}

int64_t aff_ledger_owed(const aff_conversion_row *conv, const char *slot, int64_t gross)
{
    if (is_bonus(slot))
        return gross;
    if (strcmp(conv->status, "reversed") == 0)
        return 0;
    return aff_commission_after_refund(gross, conv->amount_minor, conv->refunded_minor);
}

static int64_t share_sum(const aff_conversion_result *r, const char *slot, int64_t affiliate_id)
{
    int64_t sum = 0;
    for (int i = 0; i < r->nlines; i++) {
        const aff_ledger_row *l = &r->lines[i];
        if (l->affiliate_id == affiliate_id && strcmp(l->slot, slot) == 0 && strcmp(l->status, "rejected") != 0)
            sum += l->amount_minor;
    }
    return sum;
}

/* The share's latest line (it carries the share's gross), or NULL for a new share. */
static const aff_ledger_row *share_latest(const aff_conversion_result *r, const char *slot, int64_t affiliate_id)
{
    for (int i = r->nlines - 1; i >= 0; i--)
        if (r->lines[i].affiliate_id == affiliate_id && strcmp(r->lines[i].slot, slot) == 0)
            return &r->lines[i];
    return NULL;
}

int aff_ledger_sync_share(aff_store *st, aff_conversion_result *r, const aff_share *s, int64_t now_ms, int dry,
                          int64_t *delta)
{
    const aff_conversion_row *c = &r->conv;
    *delta = aff_ledger_owed(c, s->slot, s->gross_minor) - share_sum(r, s->slot, s->affiliate_id);
    const aff_ledger_row *latest = share_latest(r, s->slot, s->affiliate_id);
    /* A new gross is recorded even when what is owed does not move (a 0 line): a sale
     * refunded almost entirely still follows its tier, and the invariant reads the
     * share's gross from its latest line. */
    if (*delta == 0 && (latest == NULL || latest->gross_minor == s->gross_minor || strcmp(c->status, "reversed") == 0))
        return 0; /* (a reversed conversion owes nothing ever again: its gross stays on the conversion) */
    if (r->nlines == AFF_CONV_MAX_LINES)
        return AFF_ECONFLICT;
    aff_ledger_row *l = &r->lines[r->nlines];
    memset(l, 0, sizeof(*l));
    l->conversion_id = c->id;
    l->program_id = c->program_id;
    l->affiliate_id = s->affiliate_id;
    l->amount_minor = *delta;
    memcpy(l->currency, c->currency, sizeof(l->currency));
    aff_str_copy(l->kind, sizeof(l->kind), s->kind);
    aff_str_copy(l->slot, sizeof(l->slot), s->slot);
    aff_str_copy(l->rule, sizeof(l->rule), s->rule);
    l->plan_version = s->plan_version;
    l->gross_minor = s->gross_minor;
    int pending = strcmp(c->status, "pending") == 0 || strcmp(c->status, "held") == 0;
    aff_str_copy(l->status, sizeof(l->status), pending ? "pending" : "approved");
    l->hold_until_ms = pending ? c->hold_until_ms : now_ms;
    l->created_ms = l->updated_ms = now_ms;
    int rc = dry ? 0 : aff_store_ledger_insert(st, l);
    if (rc == 0)
        r->nlines++;
    return rc;
}

int aff_ledger_sync_all(aff_store *st, aff_conversion_result *r, const char *kind, int64_t now_ms, int64_t *delta)
{
    *delta = 0;
    int n = r->nlines; /* shares are those that exist: appended lines join existing ones */
    for (int i = 0; i < n; i++) {
        const aff_ledger_row *l = &r->lines[i];
        int seen = 0;
        for (int j = i + 1; j < n && !seen; j++) /* the latest line of a share carries its gross */
            seen = r->lines[j].affiliate_id == l->affiliate_id && strcmp(r->lines[j].slot, l->slot) == 0;
        if (seen || strcmp(l->status, "rejected") == 0)
            continue;
        char slot[sizeof(l->slot)], rule[sizeof(l->rule)];
        memcpy(slot, l->slot, sizeof(slot));
        memcpy(rule, l->rule, sizeof(rule));
        aff_share s = {slot, l->affiliate_id, l->gross_minor, kind, rule, l->plan_version};
        int64_t d = 0;
        int rc = aff_ledger_sync_share(st, r, &s, now_ms, 0, &d);
        if (rc != 0)
            return rc;
        *delta += d;
    }
    return 0;
}

static int reached_payout(const char *status)
{
    return strcmp(status, "in_payout") == 0 || strcmp(status, "paid") == 0;
}

int aff_ledger_reverse_unpaid(aff_store *st, aff_conversion_result *r, int64_t now_ms)
{
    for (int i = 0; i < r->nlines; i++) {
        aff_ledger_row *l = &r->lines[i];
        if (strcmp(l->status, "rejected") == 0 || strcmp(l->status, "reversed") == 0)
            continue;
        if (aff_ledger_owed(&r->conv, l->slot, l->gross_minor) != 0)
            continue; /* still owed (a bonus: a refund does not take it back), so it stays */
        int paid = 0;
        for (int j = 0; j < r->nlines && !paid; j++)
            paid = r->lines[j].affiliate_id == l->affiliate_id && strcmp(r->lines[j].slot, l->slot) == 0 &&
                   reached_payout(r->lines[j].status);
        if (paid)
            continue;
        aff_ledger_move m = {.by = AFF_LEDGER_BY_ID, .key = l->id, .to = "reversed", .payout_id = -1, .now_ms = now_ms};
        sources_of("reversed", m.from);
        int64_t n = 0;
        int rc = aff_store_ledger_move(st, &m, &n);
        if (rc != 0)
            return rc;
        if (n == 1)
            aff_str_copy(l->status, sizeof(l->status), "reversed");
    }
    return 0;
}

int aff_ledger_check(const aff_conversion_result *r, char *why, size_t cap)
{
    const aff_conversion_row *c = &r->conv;
    int rejected = strcmp(c->status, "rejected") == 0;
    for (int i = 0; i < r->nlines; i++) {
        const aff_ledger_row *l = &r->lines[i];
        if (rejected) {
            if (strcmp(l->status, "rejected") != 0) {
                snprintf(why, cap, "line %lld of a rejected conversion is %s", (long long)l->id, l->status);
                return 0;
            }
            continue;
        }
        int later = 0;
        for (int j = i + 1; j < r->nlines && !later; j++)
            later = r->lines[j].affiliate_id == l->affiliate_id && strcmp(r->lines[j].slot, l->slot) == 0;
        if (later)
            continue; /* check each share once, at its latest line */
        int64_t owed = aff_ledger_owed(c, l->slot, l->gross_minor), sum = share_sum(r, l->slot, l->affiliate_id);
        if (strcmp(l->status, "rejected") == 0)
            owed = sum; /* a share rejected with its conversion's earlier state */
        if (sum != owed) {
            snprintf(why, cap, "share %s of affiliate %lld sums to %lld, owed %lld", l->slot,
                     (long long)l->affiliate_id, (long long)sum, (long long)owed);
            return 0;
        }
        /* (a reversed conversion owes nothing: a later re-pricing records its gross on the
         * conversion only, with no line to carry it) */
        if (strcmp(l->slot, "commission") == 0 && l->affiliate_id == c->affiliate_id &&
            l->gross_minor != c->earned_minor && strcmp(c->status, "reversed") != 0) {
            snprintf(why, cap, "commission gross %lld differs from earned %lld", (long long)l->gross_minor,
                     (long long)c->earned_minor);
            return 0;
        }
    }
    return 1;
}

/* ---- transitions -------------------------------------------------------------------- */

static int move(aff_store *st, int by, int64_t key, const char *to, int64_t now_ms, int64_t *n)
{
    aff_ledger_move m = {.by = by, .key = key, .to = to, .payout_id = -1, .now_ms = now_ms};
    sources_of(to, m.from);
    return aff_store_ledger_move(st, &m, n);
}

int aff_ledger_approve_line(aff_store *st, int64_t line_id, int64_t now_ms, aff_errinfo *err)
{
    aff_ledger_row l;
    int rc = aff_store_ledger_get(st, line_id, &l);
    if (rc == AFF_ENOTFOUND)
        return aff_fail(err, rc, NULL, "no such commission line");
    if (rc != 0)
        return rc;
    if (!aff_ledger_move_allowed(l.status, "approved"))
        return aff_fail(err, AFF_ECONFLICT, NULL, "line %lld is %s: only pending lines can be approved",
                        (long long)line_id, l.status);
    aff_ledger_move m = {.by = AFF_LEDGER_BY_ID,
                         .key = line_id,
                         .from = {"pending"},
                         .to = "approved",
                         .payout_id = -1,
                         .now_ms = now_ms};
    int64_t n = 0;
    return aff_store_ledger_move(st, &m, &n);
}

static int load_for_change(aff_ctx *ctx, int64_t id, aff_conversion_result *r, aff_errinfo *err)
{
    int rc = aff_conversion_load(ctx->st, id, r);
    if (rc == AFF_ENOTFOUND)
        return aff_fail(err, rc, NULL, "no such conversion");
    if (rc == 0 && r->conv.test)
        return aff_fail(err, AFF_ECONFLICT, NULL, "a test conversion has no commission to approve or reject");
    return rc;
}

int aff_ledger_approve_conversion(aff_ctx *ctx, int64_t id, int64_t now_ms, aff_errinfo *err)
{
    aff_conversion_result *r = malloc(sizeof(*r));
    if (r == NULL)
        return AFF_ENOMEM;
    int rc = load_for_change(ctx, id, r, err);
    if (rc == 0 && strcmp(r->conv.status, "pending") != 0 && strcmp(r->conv.status, "held") != 0)
        rc = aff_fail(err, AFF_ECONFLICT, NULL,
                      "conversion %lld is %s: only pending or held conversions can be approved", (long long)id,
                      r->conv.status);
    if (rc == 0) {
        aff_str_copy(r->conv.status, sizeof(r->conv.status), "approved");
        r->conv.hold_until_ms = now_ms;
        r->conv.reason[0] = '\0';
        rc = aff_store_conversion_set_state(ctx->st, &r->conv);
    }
    int64_t n = 0;
    if (rc == 0) {
        aff_ledger_move m = {.by = AFF_LEDGER_BY_CONVERSION,
                             .key = id,
                             .from = {"pending"},
                             .to = "approved",
                             .payout_id = -1,
                             .now_ms = now_ms};
        rc = aff_store_ledger_move(ctx->st, &m, &n);
    }
    free(r);
    return rc;
}

int aff_ledger_reject_conversion(aff_ctx *ctx, int64_t id, const char *reason, int64_t now_ms, aff_errinfo *err)
{
    aff_conversion_result *r = malloc(sizeof(*r));
    if (r == NULL)
        return AFF_ENOMEM;
    int rc = load_for_change(ctx, id, r, err);
    aff_conversion_row *c = &r->conv;
    if (rc == 0 && strcmp(c->status, "pending") != 0 && strcmp(c->status, "approved") != 0 &&
        strcmp(c->status, "held") != 0)
        rc = aff_fail(err, AFF_ECONFLICT, NULL,
                      "conversion %lld is %s: only pending, held or approved conversions can be rejected",
                      (long long)id, c->status);
    aff_rollup_split counted; /* what the reports counted of its lines, by payee */
    aff_rollup_split_clear(&counted);
    for (int i = 0; rc == 0 && i < r->nlines; i++) {
        if (reached_payout(r->lines[i].status))
            rc = aff_fail(
                err, AFF_ECONFLICT, NULL,
                "line %lld is already %s: refund the conversion instead (the clawback carries into the next payout)",
                (long long)r->lines[i].id, r->lines[i].status);
        if (rc == 0 && strcmp(r->lines[i].status, "rejected") != 0 && strcmp(r->lines[i].status, "reversed") != 0)
            rc = aff_rollup_split_line(&counted, c->affiliate_id, r->lines[i].affiliate_id, -r->lines[i].amount_minor);
    }
    if (rc == 0) {
        aff_str_copy(c->status, sizeof(c->status), "rejected");
        aff_str_copy(c->reason, sizeof(c->reason), reason != NULL ? reason : "");
        rc = aff_store_conversion_set_state(ctx->st, c);
    }
    int64_t n = 0;
    if (rc == 0)
        rc = move(ctx->st, AFF_LEDGER_BY_CONVERSION, id, "rejected", now_ms, &n);
    if (rc == 0) { /* its numbers leave the reports (its parents' income too), where they were counted */
        aff_rollup_delta d = {
            .conversions = -1, .revenue_minor = -c->amount_minor, .refunds_minor = -c->refunded_minor};
        rc = aff_rollup_add_split(ctx, c->created_ms / AFF_MS_PER_HOUR, c->program_id, c->affiliate_id, c->link_id,
                                  c->sub1, &d, &counted);
    }
    free(r);
    return rc;
}

int aff_ledger_auto_approve(aff_store *st, int64_t now_ms, int64_t *lines, int64_t *conversions)
{
    int rc = aff_store_ledger_auto_approve(st, now_ms, lines);
    return rc != 0 ? rc : aff_store_conversion_auto_approve(st, now_ms, conversions);
}

int aff_ledger_release(aff_store *st, int64_t program_id, int64_t now_ms, int64_t *lines)
{
    return aff_store_ledger_release(st, program_id, now_ms, lines);
}
