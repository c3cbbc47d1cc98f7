/* cap.c - budget caps on conversions and commission; see cap.h. */
#include "track/cap.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/money.h"
#include "track/clickcap.h"
#include "track/commission.h"

static const char *const metric_names[] = {"conversions", "commission_minor", "clicks"};
static const char *const period_names[] = {"day", "month"};

static int pick(json_t *v, const char *const *names, int n, int dflt)
{
    if (v == NULL)
        return dflt;
    for (int i = 0; i < n; i++)
        if (json_is_string(v) && strcmp(json_string_value(v), names[i]) == 0)
            return i;
    return -1;
}

static int parse_one(json_t *o, size_t i, aff_cap *c, aff_errinfo *err)
{
    static const char *const allowed[] = {"metric", "period", "limit", "per", "affiliate_id", "hard", NULL};
    if (!json_is_object(o))
        return aff_fail(err, AFF_EINVAL, "caps", "caps[%zu]: expected an object", i);
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v)
    {
        int ok = 0;
        for (int a = 0; allowed[a] && !ok; a++)
            ok = strcmp(allowed[a], k) == 0;
        if (!ok)
            return aff_fail(err, AFF_EINVAL, "caps", "caps[%zu]: unknown member \"%s\"", i, k);
    }
    memset(c, 0, sizeof(*c));
    c->metric = pick(json_object_get(o, "metric"), metric_names, 3, -1);
    if (c->metric < 0)
        return aff_fail(err, AFF_EINVAL, "caps", "caps[%zu].metric: conversions, commission_minor or clicks", i);
    c->period = pick(json_object_get(o, "period"), period_names, 2, -1);
    if (c->period < 0)
        return aff_fail(err, AFF_EINVAL, "caps", "caps[%zu].period: day or month", i);
    json_t *limit = json_object_get(o, "limit");
    if (!json_is_integer(limit) || json_integer_value(limit) < 0 || json_integer_value(limit) > AFF_MONEY_MAX_MINOR)
        return aff_fail(err, AFF_EINVAL, "caps", "caps[%zu].limit: an integer from 0 to 10^15", i);
    c->limit = json_integer_value(limit);
    static const char *const pers[] = {"program", "affiliate"};
    int per = pick(json_object_get(o, "per"), pers, 2, 0);
    if (per < 0)
        return aff_fail(err, AFF_EINVAL, "caps", "caps[%zu].per: program or affiliate", i);
    c->per_affiliate = per;
    json_t *aff = json_object_get(o, "affiliate_id");
    if (aff != NULL) {
        if (!json_is_integer(aff) || json_integer_value(aff) <= 0)
            return aff_fail(err, AFF_EINVAL, "caps", "caps[%zu].affiliate_id: an affiliate id", i);
        if (json_object_get(o, "per") != NULL)
            return aff_fail(err, AFF_EINVAL, "caps", "caps[%zu]: give per or affiliate_id, not both", i);
        c->affiliate_id = json_integer_value(aff);
        c->per_affiliate = 1;
    }
    json_t *hard = json_object_get(o, "hard");
    if (hard != NULL && !json_is_boolean(hard))
        return aff_fail(err, AFF_EINVAL, "caps", "caps[%zu].hard: true or false", i);
    c->hard = hard == NULL || json_is_true(hard);
    return 0;
}

int aff_caps_parse(const char *text, aff_caps *caps, char *canon, size_t cap, aff_errinfo *err)
{
    memset(caps, 0, sizeof(*caps));
    json_t *root = json_loads(text != NULL && text[0] ? text : "[]", JSON_REJECT_DUPLICATES, NULL);
    int rc = 0;
    if (!json_is_array(root) || json_array_size(root) > AFF_CAPS_MAX) {
        rc = aff_fail(err, AFF_EINVAL, "caps", "caps: an array of at most %d caps", AFF_CAPS_MAX);
        goto out;
    }
    size_t i;
    json_t *o;
    json_array_foreach(root, i, o)
    {
        if ((rc = parse_one(o, i, &caps->cap[i], err)) != 0)
            goto out;
        caps->n++;
    }
    if (canon != NULL) {
        json_t *a = json_array();
        for (int k = 0; k < caps->n; k++) {
            const aff_cap *c = &caps->cap[k];
            json_t *x = json_pack("{s:s,s:s,s:I,s:b}", "metric", metric_names[c->metric], "period",
                                  period_names[c->period], "limit", (json_int_t)c->limit, "hard", c->hard);
            if (c->affiliate_id)
                json_object_set_new(x, "affiliate_id", json_integer(c->affiliate_id));
            else
                json_object_set_new(x, "per", json_string(c->per_affiliate ? "affiliate" : "program"));
            json_array_append_new(a, x);
        }
        char *s = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(a);
        if (s == NULL || strlen(s) >= cap)
            rc = aff_fail(err, AFF_EINVAL, "caps", "caps: too large");
        else
            memcpy(canon, s, strlen(s) + 1);
        free(s);
    }
out:
    json_decref(root);
    return rc;
}

/* ---- counting ------------------------------------------------------------------------- */

int64_t aff_cap_period_start(const aff_caps *caps, int period, int64_t now_ms)
{
    int64_t start = 0, end = 0;
    aff_tz_period(caps->time_zone, period == AFF_CAP_MONTH ? AFF_TZ_MONTH : AFF_TZ_DAY, now_ms, &start, &end);
    return start;
}
static const char *const counters[2] = {"cap/day", "cap/month"};

/* Does cap c count conversions of affiliate? Which row: 0 (the program's) or affiliate. */
static int applies(const aff_cap *c, int64_t affiliate_id, int64_t *row)
{
    if (c->metric == AFF_CAP_CLICKS || (c->affiliate_id != 0 && c->affiliate_id != affiliate_id))
        return 0;
    *row = c->per_affiliate ? affiliate_id : 0;
    return 1;
}

static void cap_name(const aff_cap *c, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s_%s_%s", c->per_affiliate ? "affiliate" : "program",
             c->metric == AFF_CAP_CONVERSIONS ? "conversions" : "commission", period_names[c->period]);
}

int aff_cap_check(aff_store *st, int64_t program_id, const aff_caps *caps, int64_t affiliate_id, int64_t now_ms,
                  aff_cap_verdict *out)
{
    memset(out, 0, sizeof(*out));
    for (int i = 0; i < caps->n; i++) {
        const aff_cap *c = &caps->cap[i];
        int64_t row = 0;
        if (!applies(c, affiliate_id, &row))
            continue;
        aff_period_row p;
        int rc = aff_store_period_get(st, program_id, row, counters[c->period],
                                      aff_cap_period_start(caps, c->period, now_ms), &p);
        if (rc != 0)
            return rc;
        int over = c->metric == AFF_CAP_CONVERSIONS ? p.conversions + 1 > c->limit : p.commission_minor >= c->limit;
        if (!over || out->over || (out->code != 0 && !c->hard))
            continue; /* the first hard cap over decides; else the first soft one */
        out->over = c->hard;
        out->soft = !c->hard;
        out->code = (c->per_affiliate ? 81 : 61) + c->metric * 2 + c->period;
        cap_name(c, out->name, sizeof(out->name));
    }
    return 0;
}

int aff_cap_count(aff_store *st, int64_t program_id, const aff_caps *caps, int64_t affiliate_id, int64_t now_ms,
                  int64_t commission_minor)
{
    /* Each (row, period) a cap names is counted once, however many caps name it. */
    int64_t done_row[AFF_CAPS_MAX];
    int done_period[AFF_CAPS_MAX], ndone = 0;
    for (int i = 0; i < caps->n; i++) {
        int64_t row = 0;
        if (!applies(&caps->cap[i], affiliate_id, &row))
            continue;
        int period = caps->cap[i].period, seen = 0;
        for (int k = 0; k < ndone && !seen; k++)
            seen = done_row[k] == row && done_period[k] == period;
        if (seen)
            continue;
        done_row[ndone] = row;
        done_period[ndone++] = period;
        aff_period_row p;
        int rc =
            aff_store_period_get(st, program_id, row, counters[period], aff_cap_period_start(caps, period, now_ms), &p);
        if (rc != 0)
            return rc;
        p.conversions++;
        p.commission_minor += commission_minor;
        if ((rc = aff_store_period_put(st, &p)) != 0)
            return rc;
    }
    return 0;
}

typedef struct usage {
    const aff_cap *cap;
    int index;
    aff_cap_usage_cb cb;
    void *ud;
    int64_t start;
} usage;

typedef struct click_usage {
    const aff_cap *cap;
    int index;
    int64_t start;
    aff_cap_usage_cb cb;
    void *ud;
} click_usage;

static int click_row(void *ud, int64_t affiliate_id, int64_t clicks, int64_t conversions)
{
    (void)conversions;
    click_usage *u = ud;
    return affiliate_id == 0 ? 0 : u->cb(u->ud, u->index, u->cap, affiliate_id, clicks, u->start);
}

int aff_cap_usage(aff_store *st, int64_t program_id, const aff_caps *caps, int64_t now_ms, aff_cap_usage_cb cb,
                  void *ud)
{
    for (int i = 0; i < caps->n; i++) {
        const aff_cap *c = &caps->cap[i];
        int64_t start = aff_cap_period_start(caps, c->period, now_ms);
        if (c->metric == AFF_CAP_CLICKS) { /* counted on the loops; per affiliate: the stored clicks */
            int rc;
            if (c->per_affiliate && c->affiliate_id == 0) {
                click_usage u = {c, i, start, cb, ud};
                rc = aff_store_affiliate_rates_hours(st, program_id, start / AFF_MS_PER_HOUR, now_ms / AFF_MS_PER_HOUR,
                                                     click_row, &u);
            } else {
                int64_t row = c->per_affiliate ? c->affiliate_id : 0;
                rc = cb(ud, i, c, row, aff_clickcap_count(program_id, row, c->period, start), start);
            }
            if (rc != 0)
                return rc;
            continue;
        }
        if (c->per_affiliate && c->affiliate_id == 0) {
            aff_period_row *rows = NULL;
            size_t n = 0;
            int rc = aff_store_period_list(st, program_id, counters[c->period], start, &rows, &n);
            for (size_t k = 0; rc == 0 && k < n; k++) {
                if (rows[k].affiliate_id == 0)
                    continue;
                int64_t used = c->metric == AFF_CAP_CONVERSIONS ? rows[k].conversions : rows[k].commission_minor;
                rc = cb(ud, i, c, rows[k].affiliate_id, used, start);
            }
            free(rows);
            if (rc != 0)
                return rc;
            continue;
        }
        aff_period_row p;
        int64_t row = c->per_affiliate ? c->affiliate_id : 0;
        int rc = aff_store_period_get(st, program_id, row, counters[c->period], start, &p);
        if (rc == 0)
            rc = cb(ud, i, c, row, c->metric == AFF_CAP_CONVERSIONS ? p.conversions : p.commission_minor, start);
        if (rc != 0)
            return rc;
    }
    return 0;
}
