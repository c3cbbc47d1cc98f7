/* screen.c - conversion-time screening rules; see screen.h. */
#include "track/screen.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/crypto.h"
#include "core/str.h"
#include "track/recent.h"

typedef struct rule {
    int code;
    const char *name;
    int action;        /* default */
    int64_t threshold; /* default */
    int64_t max;       /* largest threshold accepted */
    int score;
    int (*check)(aff_store *st, const aff_screen_facts *f, int64_t threshold, int *hit);
} rule;

/* ---- checks ---------------------------------------------------------------------------- */

static int fast_conversion(aff_store *st, const aff_screen_facts *f, int64_t seconds, int *hit)
{
    (void)st;
    *hit = f->click_ms > 0 && f->now_ms - f->click_ms < seconds * 1000;
    return 0;
}

static int duplicate_order(aff_store *st, const aff_screen_facts *f, int64_t seconds, int *hit)
{
    *hit = 0;
    if (f->customer_id[0] == '\0' && f->email_hash[0] == '\0')
        return 0;
    return aff_store_conversion_duplicate(st, f->program_id, f->customer_id, f->email_hash, f->amount_minor,
                                          f->order_id, f->now_ms - seconds * 1000, hit);
}

static int conversion_velocity(aff_store *st, const aff_screen_facts *f, int64_t per_minute, int *hit)
{
    int64_t n = 0;
    int rc =
        f->recent != NULL
            ? aff_recent_count(f->recent, st, f->program_id, f->affiliate_id, f->now_ms - 60000, per_minute, &n)
            : aff_store_conversion_count_since(st, f->program_id, f->affiliate_id, f->now_ms - 60000, per_minute, &n);
    *hit = rc == 0 && n + 1 >= per_minute; /* this one included */
    return rc;
}

/* Do a and b share their first bits (/16 for IPv4, /48 for IPv6)? Unparseable: yes. */
static int same_network(const char *a, const char *b)
{
    unsigned char x[16], y[16];
    if (inet_pton(AF_INET, a, x) == 1 && inet_pton(AF_INET, b, y) == 1)
        return memcmp(x, y, 2) == 0;
    if (inet_pton(AF_INET6, a, x) == 1 && inet_pton(AF_INET6, b, y) == 1)
        return memcmp(x, y, 6) == 0;
    return strchr(a, ':') == NULL && strchr(b, ':') == NULL ? 1 : 0; /* v4 against v6: different */
}

static int ip_mismatch(aff_store *st, const aff_screen_facts *f, int64_t unused, int *hit)
{
    (void)st;
    (void)unused;
    *hit = f->ip[0] != '\0' && f->click_ip[0] != '\0' && !same_network(f->ip, f->click_ip);
    return 0;
}

static int country_mismatch(aff_store *st, const aff_screen_facts *f, int64_t unused, int *hit)
{
    (void)st;
    (void)unused;
    *hit = f->country != NULL && f->click_country != NULL && f->country[0] != '\0' && f->click_country[0] != '\0' &&
           strcmp(f->country, f->click_country) != 0;
    return 0;
}

static int self_referral(aff_store *st, const aff_screen_facts *f, int64_t unused, int *hit)
{
    (void)st;
    (void)unused;
    *hit = f->email_hash[0] != '\0' && strcmp(f->email_hash, f->affiliate_email_hash) == 0;
    return 0;
}

static int cr_outlier(aff_store *st, const aff_screen_facts *f, int64_t z_milli, int *hit)
{
    int64_t z = 0;
    int rc = aff_store_outlier_get(st, f->program_id, f->affiliate_id, &z);
    *hit = rc == 0 && z >= z_milli;
    return rc == AFF_ENOTFOUND ? 0 : rc;
}

static const rule rules[AFF_SCREEN_RULES] = {
    {201, "fast_conversion", AFF_SCREEN_FLAG, 10, 86400, 50, fast_conversion},
    {202, "duplicate_order", AFF_SCREEN_FLAG, 600, 86400 * 30, 40, duplicate_order},
    {203, "conversion_velocity", AFF_SCREEN_FLAG, 3, 100000, 40, conversion_velocity},
    {204, "ip_mismatch", AFF_SCREEN_FLAG, 0, 0, 20, ip_mismatch},
    {205, "self_referral", AFF_SCREEN_HOLD, 0, 0, 80, self_referral},
    {206, "cr_outlier", AFF_SCREEN_FLAG, 3000, 100000, 20, cr_outlier},
    {207, "country_mismatch", AFF_SCREEN_FLAG, 0, 0, 20, country_mismatch},
};

static const char *const action_names[] = {"off", "flag", "hold", "reject"};

const char *aff_screen_action_name(int action)
{
    return action >= 0 && action <= AFF_SCREEN_REJECT ? action_names[action] : "off";
}

/* ---- settings ------------------------------------------------------------------------------ */

void aff_screen_defaults(aff_screen_config *c)
{
    for (int i = 0; i < AFF_SCREEN_RULES; i++)
        c->rule[i] = (aff_screen_setting){rules[i].action, rules[i].threshold};
}

static int parse_setting(json_t *v, const rule *r, aff_screen_setting *s, aff_errinfo *err)
{
    if (!json_is_object(v))
        return aff_fail(err, AFF_EINVAL, "screening", "screening.%s: expected {\"action\": ..., \"threshold\": N}",
                        r->name);
    const char *k;
    json_t *x;
    json_object_foreach(v, k, x)
    {
        if (strcmp(k, "action") == 0) {
            int a = -1;
            for (int i = 0; i <= AFF_SCREEN_REJECT; i++)
                if (json_is_string(x) && strcmp(json_string_value(x), action_names[i]) == 0)
                    a = i;
            if (a < 0)
                return aff_fail(err, AFF_EINVAL, "screening", "screening.%s.action: off, flag, hold or reject",
                                r->name);
            s->action = a;
        } else if (strcmp(k, "threshold") == 0 && r->max > 0) {
            if (!json_is_integer(x) || json_integer_value(x) < 1 || json_integer_value(x) > r->max)
                return aff_fail(err, AFF_EINVAL, "screening", "screening.%s.threshold: an integer from 1 to %lld",
                                r->name, (long long)r->max);
            s->threshold = json_integer_value(x);
        } else {
            return aff_fail(err, AFF_EINVAL, "screening", "screening.%s: unknown member \"%s\"", r->name, k);
        }
    }
    return 0;
}

int aff_screen_parse(const char *text, aff_screen_config *c, char *canon, size_t cap, aff_errinfo *err)
{
    aff_screen_defaults(c);
    json_t *root = json_loads(text != NULL && text[0] ? text : "{}", JSON_REJECT_DUPLICATES, NULL);
    int rc = 0;
    if (!json_is_object(root)) {
        rc = aff_fail(err, AFF_EINVAL, "screening", "screening: expected an object of rule -> settings");
        goto out;
    }
    const char *k;
    json_t *v;
    json_object_foreach(root, k, v)
    {
        int i = 0;
        while (i < AFF_SCREEN_RULES && strcmp(rules[i].name, k) != 0)
            i++;
        if (i == AFF_SCREEN_RULES) {
            rc = aff_fail(err, AFF_EINVAL, "screening", "screening: unknown rule \"%s\"", k);
            goto out;
        }
        if ((rc = parse_setting(v, &rules[i], &c->rule[i], err)) != 0)
            goto out;
    }
    if (canon != NULL) {
        json_t *o = json_object();
        for (int i = 0; i < AFF_SCREEN_RULES; i++) {
            if (c->rule[i].action == rules[i].action && c->rule[i].threshold == rules[i].threshold)
                continue;
            json_t *s = json_pack("{s:s}", "action", action_names[c->rule[i].action]);
            if (rules[i].max > 0)
                json_object_set_new(s, "threshold", json_integer(c->rule[i].threshold));
            json_object_set_new(o, rules[i].name, s);
        }
        char *t = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(o);
        if (t == NULL || strlen(t) >= cap)
            rc = aff_fail(err, AFF_EINVAL, "screening", "screening: too large");
        else
            memcpy(canon, t, strlen(t) + 1);
        free(t);
    }
out:
    json_decref(root);
    return rc;
}

/* ---- running -------------------------------------------------------------------------- */

int aff_screen_run(aff_store *st, const aff_screen_config *c, const aff_screen_facts *f, aff_screen_result *out)
{
    memset(out, 0, sizeof(*out));
    for (int i = 0; i < AFF_SCREEN_RULES; i++) {
        const aff_screen_setting *s = &c->rule[i];
        if (s->action == AFF_SCREEN_OFF)
            continue;
        int hit = 0;
        int rc = rules[i].check(st, f, s->threshold, &hit);
        if (rc != 0)
            return rc;
        if (!hit)
            continue;
        aff_screen_hit *h = &out->hits[out->nhits++];
        *h = (aff_screen_hit){rules[i].code, rules[i].name, s->action, rules[i].score};
        out->score += h->score;
        if (h->action > out->action) { /* the strongest action wins; among equals, the first rule */
            out->action = h->action;
            out->decisive = h;
        }
    }
    return 0;
}

void aff_screen_reason(const aff_screen_result *r, char *buf, size_t cap)
{
    if (cap == 0)
        return;
    aff_sbuf b = aff_sb_init(buf, cap);
    if (r->decisive != NULL) {
        aff_sb_int(&b, r->decisive->code);
        aff_sb_put(&b, " ", 1);
        aff_sb_str(&b, r->decisive->name);
    }
}

void aff_screen_hits_json(const aff_screen_result *r, char *buf, size_t cap)
{
    aff_sbuf b = aff_sb_init(buf, cap);
    if (r->nhits == 0)
        return;
    aff_sb_put(&b, "[", 1);
    for (int i = 0; i < r->nhits; i++) {
        const aff_screen_hit *h = &r->hits[i];
        aff_sb_str(&b, i ? ",{\"code\":" : "{\"code\":");
        aff_sb_int(&b, h->code);
        aff_sb_str(&b, ",\"rule\":\"");
        aff_sb_str(&b, h->name);
        aff_sb_str(&b, "\",\"action\":\"");
        aff_sb_str(&b, aff_screen_action_name(h->action));
        aff_sb_str(&b, "\",\"score\":");
        aff_sb_int(&b, h->score);
        aff_sb_put(&b, "}", 1);
    }
    aff_sb_put(&b, "]", 1);
}

void aff_screen_email_hash(const char *email, char out[65])
{
    char norm[AFF_EMAIL_MAX + 1];
    size_t a = 0, b = strlen(email), n = 0;
    while (a < b && (email[a] == ' ' || email[a] == '\t'))
        a++;
    while (b > a && (email[b - 1] == ' ' || email[b - 1] == '\t'))
        b--;
    for (size_t i = a; i < b && n < AFF_EMAIL_MAX; i++)
        norm[n++] = (email[i] >= 'A' && email[i] <= 'Z') ? (char)(email[i] - 'A' + 'a') : email[i];
    aff_sha256_hex(norm, n, out);
}

/* ---- conversion-rate outliers (maintenance) ---------------------------------------------------- */

#define OUTLIER_DAYS 30
#define OUTLIER_MIN_CLICKS 100
#define OUTLIER_MAX_AFFILIATES 100000

typedef struct rates {
    int64_t *aff;
    double *cr;
    size_t n, cap;
} rates;

static int add_rate(void *ud, int64_t affiliate_id, int64_t clicks, int64_t conversions)
{
    rates *r = ud;
    if (clicks < OUTLIER_MIN_CLICKS || affiliate_id == 0)
        return 0;
    if (r->n == r->cap) {
        if (r->cap == OUTLIER_MAX_AFFILIATES)
            return 1;
        size_t cap = r->cap ? 2 * r->cap : 64;
        int64_t *a = realloc(r->aff, cap * sizeof(*a));
        if (a == NULL)
            return AFF_ENOMEM;
        r->aff = a;
        double *c = realloc(r->cr, cap * sizeof(*c));
        if (c == NULL)
            return AFF_ENOMEM;
        r->cr = c;
        r->cap = cap;
    }
    r->aff[r->n] = affiliate_id;
    r->cr[r->n++] = (double)conversions / (double)clicks;
    return 0;
}

typedef struct programs {
    aff_store *st;
    int64_t now_ms;
    int64_t ids[4096];
    int n;
} programs;

static int collect(void *ud, const aff_program_row *p)
{
    programs *ps = ud;
    if (ps->n == (int)(sizeof(ps->ids) / sizeof(ps->ids[0])))
        return 1;
    ps->ids[ps->n++] = p->id;
    return 0;
}

/* Each affiliate against the others (leave one out: with few affiliates an outlier
 * cannot be 3 deviations from a mean it is part of). A conversion rate is a ratio,
 * not money: floating point is fine here. */
static int outliers_of(aff_store *st, int64_t program_id, int64_t now_ms)
{
    rates r = {0};
    int64_t today = now_ms / AFF_MS_PER_DAY;
    int rc = aff_store_affiliate_rates(st, program_id, today - OUTLIER_DAYS + 1, today, add_rate, &r);
    if (rc == 0)
        rc = aff_store_outliers_clear(st, program_id);
    double sum = 0, sq = 0;
    for (size_t i = 0; i < r.n; i++) {
        sum += r.cr[i];
        sq += r.cr[i] * r.cr[i];
    }
    for (size_t i = 0; rc == 0 && r.n >= 3 && i < r.n; i++) {
        double m = (double)(r.n - 1);
        double mean = (sum - r.cr[i]) / m;
        double var = (sq - r.cr[i] * r.cr[i]) / m - mean * mean;
        double sd = sqrt(var > 1e-12 ? var : 1e-12);
        double floor_sd = mean * 0.05 > 0.0005 ? mean * 0.05 : 0.0005; /* no alarm on noise around a flat mean */
        double z = (r.cr[i] - mean) / (sd > floor_sd ? sd : floor_sd);
        if (z >= 1.0)
            rc = aff_store_outlier_put(st, program_id, r.aff[i], (int64_t)(z * 1000.0), now_ms);
    }
    free(r.aff);
    free(r.cr);
    return rc;
}

int aff_screen_outliers(aff_store *st, int64_t now_ms)
{
    programs *ps = calloc(1, sizeof(*ps));
    if (ps == NULL)
        return AFF_ENOMEM;
    aff_list_query all = {0};
    int rc = aff_store_program_list(st, &all, collect, ps);
    for (int i = 0; rc == 0 && i < ps->n; i++)
        rc = outliers_of(st, ps->ids[i], now_ms);
    free(ps);
    return rc;
}
