/* ops.c - GET /healthz and GET /metrics (Prometheus text exposition format). Both are
 * answered on the event loop from counters; neither touches the store. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "api/api.h"

void aff_api_healthz(aff_http *h)
{
    int draining = atomic_load(&aff_server.draining);
    aff_http_json(h->req, draining ? 503 : 200, json_pack("{s:s}", "status", draining ? "draining" : "ok"));
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
    counter(&b, "afftrack_conversion_errors_total", "Conversions refused.", atomic_load(&aff_api_stats.conversion_errors));
    counter(&b, "afftrack_pixel_errors_total", "Pixel requests that recorded nothing.",
            atomic_load(&aff_api_stats.pixel_errors));
    counter(&b, "afftrack_writer_batches_total", "Transactions committed by the writer.", ws.batches);
    counter(&b, "afftrack_writer_jobs_total", "Events applied by the writer.", ws.jobs);
    counter(&b, "afftrack_writer_commit_failures_total", "Batches whose commit failed.", ws.commit_failures);
    counter(&b, "afftrack_click_seen_pruned_total", "Expired uniqueness-window rows deleted.", ws.seen_pruned);
    put(&b, "# HELP afftrack_writer_queue_depth Events waiting for the writer.\n# TYPE afftrack_writer_queue_depth gauge\n"
            "afftrack_writer_queue_depth %llu\n",
        (unsigned long long)ws.queue_depth);
    put(&b, "# HELP afftrack_http_requests_total Requests by route.\n# TYPE afftrack_http_requests_total counter\n");
    aff_routes *t = aff_api_routes();
    for (size_t i = 0; i < t->n; i++)
        put(&b, "afftrack_http_requests_total{route=\"%s\"} %llu\n", t->routes[i].name,
            (unsigned long long)atomic_load(&t->routes[i].hits));
    aff_http_send(h->req, 200, "text/plain; version=0.0.4", b.p, b.len);
}
