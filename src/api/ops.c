/* ops.c - GET /healthz and GET /metrics (Prometheus text exposition format). Both are
 * answered on the event loop from counters; neither touches the store. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "api/api.h"
#include "track/botua.h"
#include "track/fraud.h"
#include "track/geo.h"

/* The click-time screening rules and what each needs (docs/fraud.md): a rule whose
 * database or list is missing is reported inactive here and in the start-up log. */
static json_t *fraud_json(void)
{
    aff_fraud_rule_info r[16];
    size_t n = aff_fraud_rules(r, 16);
    json_t *rules = json_array();
    for (size_t i = 0; i < n && i < 16; i++) {
        json_t *o = json_pack("{s:i, s:s, s:s, s:b}", "code", r[i].code, "name", r[i].name, "action",
                              aff_fraud_action_name(r[i].action), "active",
                              r[i].action != AFF_ACTION_OFF && r[i].inactive == NULL);
        if (r[i].inactive != NULL)
            json_object_set_new(o, "inactive_reason", json_string(r[i].inactive));
        json_array_append_new(rules, o);
    }
    return json_pack("{s:o, s:s, s:I, s:b, s:b}", "rules", rules, "bot_list", aff_botua_source(), "bot_patterns",
                     (json_int_t)aff_botua_count(), "asn_db", aff_geo_has_asn(), "country_db", aff_geo_has_country());
}

void aff_api_healthz(aff_http *h)
{
    int draining = atomic_load(&aff_server.draining);
    aff_http_json(h->req, draining ? 503 : 200,
                  json_pack("{s:s, s:o}", "status", draining ? "draining" : "ok", "fraud", fraud_json()));
}

typedef struct textbuf {
    char *p;
    size_t len, cap;
} textbuf;

static void put(textbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(textbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n > 0 && (size_t)n < b->cap - b->len)
        b->len += (size_t)n;
}

static void counter(textbuf *b, const char *name, const char *help, uint64_t v)
{
    put(b, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", name, help, name, name, (unsigned long long)v);
}

void aff_api_metrics(aff_http *h)
{
    static _Thread_local char buf[32768];
    textbuf b = {buf, 0, sizeof(buf)};
    aff_pool_stats ws;
    aff_writer_stats(&ws);
    counter(&b, "afftrack_clicks_total", "Clicks recorded (async: accepted).", atomic_load(&aff_api_stats.clicks));
    counter(&b, "afftrack_clicks_refused_total", "Clicks redirected without being recorded or refused.",
            atomic_load(&aff_api_stats.clicks_refused));
    counter(&b, "afftrack_conversions_total", "Conversions recorded (replays excluded).",
            atomic_load(&aff_api_stats.conversions));
    counter(&b, "afftrack_conversion_errors_total", "Conversions refused.",
            atomic_load(&aff_api_stats.conversion_errors));
    counter(&b, "afftrack_pixel_errors_total", "Pixel requests that recorded nothing.",
            atomic_load(&aff_api_stats.pixel_errors));
    counter(&b, "afftrack_writer_batches_total", "Transactions committed by the writer.", ws.batches);
    counter(&b, "afftrack_writer_jobs_total", "Events applied by the writer.", ws.jobs);
    counter(&b, "afftrack_writer_commit_failures_total", "Batches whose commit failed.", ws.commit_failures);
    counter(&b, "afftrack_click_seen_pruned_total", "Expired uniqueness-window rows deleted.", ws.seen_pruned);
    put(&b,
        "# HELP afftrack_writer_queue_depth Events waiting for the writer.\n# TYPE afftrack_writer_queue_depth gauge\n"
        "afftrack_writer_queue_depth %llu\n",
        (unsigned long long)ws.queue_depth);
    counter(&b, "afftrack_clicks_blocked_total", "Clicks refused with 403 by a fraud rule whose action is block.",
            atomic_load(&aff_api_stats.clicks_blocked));
    counter(&b, "afftrack_clicks_not_counted_total",
            "HEAD and prefetch requests of tracking links: redirected, not recorded.",
            atomic_load(&aff_api_stats.clicks_not_counted));
    put(&b,
        "# HELP afftrack_cap_hits_total Conversions and clicks over a cap, by reason code; a soft cap's only alert.\n"
        "# TYPE afftrack_cap_hits_total counter\n");
    static const char *const cap_names[6] = {"conversions_day",  "conversions_month", "commission_day",
                                             "commission_month", "clicks_day",        "clicks_month"};
    for (int per = 0; per < 2; per++)
        for (int hard = 0; hard < 2; hard++)
            for (int i = 0; i < 6; i++)
                put(&b, "afftrack_cap_hits_total{code=\"%d\",cap=\"%s_%s\",kind=\"%s\"} %llu\n", (per ? 81 : 61) + i,
                    per ? "affiliate" : "program", cap_names[i], hard ? "hard" : "soft",
                    (unsigned long long)atomic_load(&aff_api_stats.cap_hits[per][hard][i]));
    aff_fraud_rule_info r[16];
    size_t nr = aff_fraud_rules(r, 16);
    put(&b, "# HELP afftrack_fraud_rule_matches_total Clicks each click-time fraud rule matched.\n"
            "# TYPE afftrack_fraud_rule_matches_total counter\n");
    for (size_t i = 0; i < nr && i < 16; i++)
        put(&b, "afftrack_fraud_rule_matches_total{rule=\"%s\",code=\"%d\"} %llu\n", r[i].name, r[i].code,
            (unsigned long long)r[i].hits);
    put(&b, "# HELP afftrack_http_requests_total Requests by route.\n# TYPE afftrack_http_requests_total counter\n");
    aff_routes *t = aff_api_routes();
    for (size_t i = 0; i < t->n; i++)
        put(&b, "afftrack_http_requests_total{route=\"%s\"} %llu\n", t->routes[i].name,
            (unsigned long long)atomic_load(&t->routes[i].hits));
    aff_http_send(h->req, 200, "text/plain; version=0.0.4", b.p, b.len);
}
