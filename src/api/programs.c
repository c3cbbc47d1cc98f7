/* programs.c - /v1/programs: validation of program fields and the CRUD jobs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/money.h"
#include "core/url.h"
#include "track/catalog.h"
#include "core/clock.h"
#include "core/tz.h"
#include "track/cap.h"
#include "track/screen.h"

static const char *const fields[] = {
    "name",           "kind",       "currency",  "destination_url",  "allowed_domains", "cookie_days", "attribution",
    "click_id_param", "commission", "hold_days", "min_payout_minor", "payout_schedule", "screening",   "caps",
    "fallback_url",   "time_zone",  NULL};
static const char *const schedules[] = {"manual", "weekly", "monthly", NULL};

static int valid_param_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
              s[i] == '_'))
            return 0;
    return 1;
}

static int apply_domains(json_t *in, aff_program_row *r, aff_errinfo *err)
{
    json_t *v = json_object_get(in, "allowed_domains");
    if (v == NULL)
        return 0;
    if (!json_is_array(v))
        return aff_fail(err, AFF_EINVAL, "allowed_domains", "allowed_domains: expected an array of host names");
    char buf[AFF_DOMAINS_MAX + 1];
    size_t n = 0, i;
    json_t *d;
    buf[0] = '\0';
    json_array_foreach(v, i, d)
    {
        if (!json_is_string(d))
            return aff_fail(err, AFF_EINVAL, "allowed_domains", "allowed_domains: expected strings");
        int w = snprintf(buf + n, sizeof(buf) - n, "%s%s", n ? "," : "", json_string_value(d));
        if (w < 0 || (size_t)w >= sizeof(buf) - n)
            return aff_fail(err, AFF_EINVAL, "allowed_domains", "allowed_domains: longer than %d bytes in all",
                            AFF_DOMAINS_MAX);
        n += (size_t)w;
    }
    for (char *p = buf; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    if (aff_url_domains_validate(buf) != 0)
        return aff_fail(err, AFF_EINVAL, "allowed_domains",
                        "allowed_domains: each entry is a host name or *.host name (no scheme, path or port)");
    memcpy(r->allowed_domains, buf, n + 1);
    return 0;
}

/* Apply the body's fields to r. On create, r holds the defaults. */
static int apply_fields(json_t *in, aff_program_row *r, int creating, aff_errinfo *err)
{
    static const char *const kinds[] = {"affiliate", "referral", NULL};
    static const char *const attributions[] = {"last_click", "first_click", NULL};
    int rc, have_dest = 0, have_cur = 0;
    int64_t v;
    int present;
    if ((rc = aff_field_only(in, fields, err)) != 0 ||
        (rc = aff_field_str(in, "name", creating, 0, AFF_NAME_MAX, r->name, sizeof(r->name), NULL, err)) != 0 ||
        (rc = aff_field_enum(in, "kind", kinds, r->kind, sizeof(r->kind), NULL, err)) != 0 ||
        (rc = aff_field_enum(in, "attribution", attributions, r->attribution, sizeof(r->attribution), NULL, err)) != 0)
        return rc;
    char cur[8];
    if ((rc = aff_field_str(in, "currency", creating, 0, 3, cur, sizeof(cur), &have_cur, err)) != 0)
        return rc;
    if (have_cur) {
        int exp;
        if (!creating && strcmp(cur, r->currency) != 0)
            return aff_fail(err, AFF_EINVAL, "currency", "currency cannot be changed after creation");
        if (aff_currency_exponent(cur, &exp) != 0)
            return aff_fail(err, AFF_EINVAL, "currency", "currency: not an ISO 4217 code (upper case, e.g. USD)");
        memcpy(r->currency, cur, 4);
    }
    if ((rc = aff_field_str(in, "destination_url", creating, 0, AFF_URL_MAX, r->destination_url,
                            sizeof(r->destination_url), &have_dest, err)) != 0)
        return rc;
    aff_url u;
    if (have_dest && aff_url_parse(r->destination_url, strlen(r->destination_url), &u) != 0)
        return aff_fail(err, AFF_EINVAL, "destination_url", "destination_url: not an absolute http(s) URL");
    if ((rc = apply_domains(in, r, err)) != 0)
        return rc;
    if (creating && json_object_get(in, "allowed_domains") == NULL)
        snprintf(r->allowed_domains, sizeof(r->allowed_domains), "%s", u.host);
    if ((rc = aff_field_int(in, "cookie_days", 0, 1, 3650, &v, &present, err)) != 0)
        return rc;
    if (present)
        r->cookie_days = (int)v;
    if ((rc = aff_field_int(in, "hold_days", 0, 0, 3650, &v, &present, err)) != 0)
        return rc;
    if (present)
        r->hold_days = (int)v;
    if ((rc = aff_field_int(in, "min_payout_minor", 0, 0, AFF_MONEY_MAX_MINOR, &r->min_payout_minor, NULL, err)) != 0 ||
        (rc = aff_field_str(in, "click_id_param", 0, 0, 64, r->click_id_param, sizeof(r->click_id_param), &present,
                            err)) != 0)
        return rc;
    if (present && !valid_param_name(r->click_id_param))
        return aff_fail(err, AFF_EINVAL, "click_id_param", "click_id_param: letters, digits and _ only");
    if ((rc = aff_field_enum(in, "payout_schedule", schedules, r->payout_schedule, sizeof(r->payout_schedule), NULL,
                             err)) != 0)
        return rc;
    if ((rc = aff_field_str(in, "time_zone", 0, 0, AFF_TZ_MAX, r->time_zone, sizeof(r->time_zone), &present, err)) != 0)
        return rc;
    if (present && !aff_tz_valid(r->time_zone))
        return aff_fail(err, AFF_EINVAL, "time_zone",
                        "time_zone: an IANA time zone such as \"Europe/Berlin\" or \"UTC\"");
    json_t *caps = json_object_get(in, "caps");
    if (caps != NULL) {
        if (!json_is_array(caps))
            return aff_fail(err, AFF_EINVAL, "caps", "caps: an array of caps");
        char *text = json_dumps(caps, JSON_COMPACT);
        aff_caps parsed;
        rc = text ? aff_caps_parse(text, &parsed, r->caps, sizeof(r->caps), err) : AFF_ENOMEM;
        free(text);
        if (rc != 0)
            return rc;
    }
    json_t *screening = json_object_get(in, "screening");
    if (screening != NULL) {
        if (!json_is_object(screening))
            return aff_fail(err, AFF_EINVAL, "screening", "screening: expected an object of rule -> settings");
        char *text = json_dumps(screening, JSON_COMPACT);
        aff_screen_config cfg;
        rc = text ? aff_screen_parse(text, &cfg, r->screening, sizeof(r->screening), err) : AFF_ENOMEM;
        free(text);
        if (rc != 0)
            return rc;
    }
    /* Where clicks blocked by a fraud rule go instead of a 403 (docs/fraud.md); "" clears. */
    if ((rc = aff_field_str(in, "fallback_url", 0, 1, AFF_URL_MAX, r->fallback_url, sizeof(r->fallback_url), &present,
                            err)) != 0)
        return rc;
    aff_url fu;
    if (present && r->fallback_url[0] != '\0' && aff_url_parse(r->fallback_url, strlen(r->fallback_url), &fu) != 0)
        return aff_fail(err, AFF_EINVAL, "fallback_url", "fallback_url: not an absolute http(s) URL");
    json_t *plan = json_object_get(in, "commission");
    if (plan != NULL) {
        if (!json_is_object(plan))
            return aff_fail(err, AFF_EINVAL, "commission", "commission: expected an object of event -> rule");
        char *text = json_dumps(plan, JSON_COMPACT);
        aff_plan parsed;
        rc = text ? aff_plan_parse(text, &parsed, r->plan_json, sizeof(r->plan_json), err) : AFF_ENOMEM;
        free(text);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int run_create(aff_job *job, aff_ctx *ctx)
{
    aff_api_job *j = AFF_API_JOB(job);
    aff_program_row *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return AFF_ENOMEM;
    snprintf(r->kind, sizeof(r->kind), "affiliate");
    snprintf(r->attribution, sizeof(r->attribution), "last_click");
    snprintf(r->click_id_param, sizeof(r->click_id_param), "click_id");
    snprintf(r->plan_json, sizeof(r->plan_json), "{}");
    r->cookie_days = 30;
    r->hold_days = 30;
    snprintf(r->payout_schedule, sizeof(r->payout_schedule), "manual");
    snprintf(r->time_zone, sizeof(r->time_zone), "UTC");
    int rc = apply_fields(j->in, r, 1, &job->err);
    if (rc == 0)
        rc = aff_catalog_program_create(ctx, r, &job->err);
    if (rc == 0) {
        j->out = aff_render_program(r);
        j->status = 201;
    }
    free(r);
    return rc;
}

static int run_patch(aff_job *job, aff_ctx *ctx)
{
    aff_api_job *j = AFF_API_JOB(job);
    aff_program_row *prev = malloc(sizeof(*prev)), *next = malloc(sizeof(*next));
    int rc = prev && next ? aff_store_program_get(ctx->st, j->id, prev) : AFF_ENOMEM;
    if (rc == AFF_ENOTFOUND)
        aff_fail(&job->err, rc, NULL, "no such program");
    if (rc == 0) {
        *next = *prev;
        rc = apply_fields(j->in, next, 0, &job->err);
    }
    if (rc == 0)
        rc = aff_catalog_program_update(ctx, prev, next, &job->err);
    if (rc == 0)
        j->out = aff_render_program(next);
    free(prev);
    free(next);
    return rc;
}

static int run_get(aff_job *job, aff_ctx *ctx)
{
    aff_api_job *j = AFF_API_JOB(job);
    aff_program_row *r = malloc(sizeof(*r));
    int rc = r ? aff_store_program_get(ctx->st, j->id, r) : AFF_ENOMEM;
    if (rc == 0)
        j->out = aff_render_program(r);
    else if (rc == AFF_ENOTFOUND)
        aff_fail(&job->err, rc, NULL, "no such program");
    free(r);
    return rc;
}

AFF_API_LISTER(run_list, aff_program_row, aff_store_program_list, aff_render_program_u)

void aff_api_programs_create(aff_http *h)
{
    aff_api_submit_body(h, run_create, 0);
}

void aff_api_programs_patch(aff_http *h)
{
    aff_api_submit_body(h, run_patch, 1);
}

void aff_api_programs_get(aff_http *h)
{
    aff_api_submit_get(h, run_get);
}

void aff_api_programs_list(aff_http *h)
{
    static const aff_api_list_spec spec = {"programs", AFF_SORT_BIT(CREATED) | AFF_SORT_BIT(NAME), 1, 1, 0};
    aff_api_submit_list(h, run_list, &spec);
}

/* ---- cap usage ----------------------------------------------------------------------- */

static int add_usage(void *ud, int index, const aff_cap *c, int64_t affiliate_id, int64_t used, int64_t start_ms)
{
    aff_api_job *j = ud;
    json_t *row = json_pack("{s:i,s:s,s:s,s:o,s:I,s:I,s:I,s:b,s:o}", "cap", index, "metric",
                            c->metric == AFF_CAP_CONVERSIONS ? "conversions"
                            : c->metric == AFF_CAP_CLICKS    ? "clicks"
                                                             : "commission_minor",
                            "period", c->period == AFF_CAP_DAY ? "day" : "month", "affiliate_id",
                            affiliate_id ? json_integer(affiliate_id) : json_null(), "limit", (json_int_t)c->limit,
                            "used", (json_int_t)used, "remaining", (json_int_t)(used < c->limit ? c->limit - used : 0),
                            "hard", c->hard, "period_start", aff_render_time(start_ms));
    json_array_append_new(json_object_get(j->out, "data"), row);
    return 0;
}

static int run_caps(aff_job *job, aff_ctx *ctx)
{
    aff_api_job *j = AFF_API_JOB(job);
    aff_program_row *r = calloc(1, sizeof(*r));
    int rc = r ? aff_store_program_get(ctx->st, j->id, r) : AFF_ENOMEM;
    if (rc == AFF_ENOTFOUND)
        aff_fail(&job->err, rc, NULL, "no such program");
    aff_caps caps;
    if (rc == 0 && aff_caps_parse(r->caps, &caps, NULL, 0, NULL) != 0)
        memset(&caps, 0, sizeof(caps));
    if (rc == 0)
        snprintf(caps.time_zone, sizeof(caps.time_zone), "%s", r->time_zone);
    if (rc == 0) {
        j->out = json_pack("{s:[]}", "data");
        rc = aff_cap_usage(ctx->st, j->id, &caps, aff_clock_now_ms(), add_usage, j);
    }
    free(r);
    return rc;
}

void aff_api_programs_caps(aff_http *h)
{
    aff_api_submit_get(h, run_caps);
}
