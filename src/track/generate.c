/* generate.c - synthetic traffic through the writer's own functions; see generate.h. */
#include "track/generate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "track/catalog.h"
#include "track/click.h"
#include "track/conversion.h"
#include "track/rollup.h"
#include "track/seen.h"

#define BATCH 20000

static const char *const agents[] = {
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
};
static const char *const sources[] = {"newsletter", "sidebar", "review", "social", "search", "video"};

#define CHUNK 256        /* clicks staged between flushes (8 multi-row inserts) */
#define PRUNE_EVERY 4096 /* clicks between pruning steps (a step covers 2x as many rows) */

typedef struct pending { /* a conversion to record once its click is written */
    char click_id[AFF_CLICK_ID_LEN + 1];
    int64_t amount_minor, now_ms;
} pending;

typedef struct gen {
    aff_ctx *ctx;
    uint64_t rng;
    int64_t *links, *link_affiliates;
    size_t nlinks, cap;
    int64_t program_id;
    aff_click_row *rows; /* CHUNK rows: the click buffer holds pointers to them */
    size_t nrows;
    pending conv[CHUNK];
    size_t nconv;
} gen;

static uint64_t next(gen *g)
{
    g->rng ^= g->rng << 13;
    g->rng ^= g->rng >> 7;
    g->rng ^= g->rng << 17;
    return g->rng;
}

static int rebuild(aff_ctx *ctx)
{
    return aff_snapshot_refresh(ctx->st, &ctx->snap);
}

static int first_program(void *ud, const aff_program_row *row)
{
    *(int64_t *)ud = row->id;
    return 1;
}

static int collect_link(void *ud, const aff_link_row *row)
{
    gen *g = ud;
    if (g->nlinks == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 256;
        int64_t *a = realloc(g->links, cap * sizeof(*a)), *b = a ? realloc(g->link_affiliates, cap * sizeof(*b)) : NULL;
        if (a != NULL)
            g->links = a;
        if (b == NULL)
            return AFF_ENOMEM;
        g->link_affiliates = b;
        g->cap = cap;
    }
    g->links[g->nlinks] = row->id;
    g->link_affiliates[g->nlinks++] = row->affiliate_id;
    return 0;
}

/* A program with affiliates and links, unless the store already has a program. */
static int ensure_catalog(gen *g, const aff_generate_opts *o)
{
    aff_ctx *ctx = g->ctx;
    aff_list_query one = {.limit = 1};
    int rc = aff_store_program_list(ctx->st, &one, first_program, &g->program_id);
    if (rc != 0 || g->program_id != 0)
        return rc;
    aff_errinfo err = {0};
    aff_program_row *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return AFF_ENOMEM;
    snprintf(p->name, sizeof(p->name), "Generated Shop");
    snprintf(p->kind, sizeof(p->kind), "affiliate");
    snprintf(p->currency, sizeof(p->currency), "USD");
    snprintf(p->destination_url, sizeof(p->destination_url), "https://shop.example.com/");
    snprintf(p->allowed_domains, sizeof(p->allowed_domains), "shop.example.com");
    snprintf(p->attribution, sizeof(p->attribution), "last_click");
    snprintf(p->click_id_param, sizeof(p->click_id_param), "click_id");
    p->cookie_days = 30;
    p->hold_days = 30;
    aff_plan plan;
    if ((rc = aff_plan_parse("{\"sale\":{\"percent\":\"10\"}}", &plan, p->plan_json, sizeof(p->plan_json), &err)) ==
            0 &&
        (rc = aff_store_begin(ctx->st)) == 0 && (rc = rebuild(ctx)) == 0)
        rc = aff_catalog_program_create(ctx, p, &err);
    g->program_id = p->id;
    free(p);
    if (rc == 0)
        rc = rebuild(ctx);
    /* All affiliates, then one snapshot (links check their owners in it), then all
     * links: a rebuild per affiliate would make 10^5 affiliates quadratic. */
    int64_t first_affiliate = 0;
    for (int a = 0; a < o->affiliates && rc == 0; a++) {
        aff_affiliate_row aff = {0};
        char key[AFF_API_KEY_LEN];
        snprintf(aff.name, sizeof(aff.name), "Affiliate %d", a + 1);
        snprintf(aff.email, sizeof(aff.email), "affiliate%d@example.com", a + 1);
        snprintf(aff.status, sizeof(aff.status), "approved");
        rc = aff_catalog_affiliate_create(ctx, &aff, key, &err);
        if (a == 0)
            first_affiliate = aff.id;
    }
    if (rc == 0)
        rc = rebuild(ctx);
    aff_link_row *row = rc == 0 ? calloc(1, sizeof(*row)) : NULL;
    if (rc == 0 && row == NULL)
        rc = AFF_ENOMEM;
    for (int a = 0; a < o->affiliates && rc == 0; a++) {
        for (int l = 0; l < o->links_per_affiliate && rc == 0; l++) {
            memset(row, 0, sizeof(*row));
            row->program_id = g->program_id;
            row->affiliate_id = first_affiliate + a;
            snprintf(row->code, sizeof(row->code), "g%d-%d", a + 1, l + 1);
            rc = aff_catalog_link_create(ctx, row, &err);
        }
    }
    free(row);
    if (rc == 0)
        rc = aff_store_commit(ctx->st);
    else
        aff_store_rollback(ctx->st);
    return rc;
}

/* 2654435761 is prime: coprime to every n below it, so k * STRIDE mod n permutes [0, n). */
#define STRIDE 2654435761u

size_t aff_generate_link_index(uint64_t r, size_t n)
{
    /* u in [0, 1); rank k = floor((n + 1)^u) - 1 has P(k) = ln((k + 2) / (k + 1)) / ln(n + 1),
     * which sums to 1 over [0, n): about 1 / ((k + 1) ln n), the rank-frequency law. */
    double u = (double)(r >> 11) * 0x1p-53;
    size_t k = (size_t)exp(u * log((double)n + 1.0)) - 1;
    if (k >= n)
        k = n - 1;
    return n % STRIDE == 0 ? k : (size_t)(((uint64_t)k * STRIDE) % n);
}

/* Decimal digits of v at p; returns the end. */
static char *put_u(char *p, unsigned v)
{
    char tmp[10];
    int n = 0;
    do
        tmp[n++] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    while (n > 0)
        *p++ = tmp[--n];
    return p;
}

static char *put_s(char *p, const char *s)
{
    size_t n = strlen(s);
    memcpy(p, s, n);
    return p + n;
}

/* Make click row (formatting by hand: snprintf cost more than a tenth of a generated
 * click) and stage it; a conversion of it is queued for after the flush, since
 * attribution reads the click from the store. */
static int one_click(gen *g, int64_t ts, aff_click_row *row, const aff_generate_opts *o)
{
    size_t li = aff_generate_link_index(next(g), g->nlinks);
    uint32_t ip = (uint32_t)(next(g) % 1000003);
    row->ts_ms = ts;
    row->program_id = g->program_id;
    row->affiliate_id = g->link_affiliates[li];
    row->link_id = g->links[li];
    row->flags = 0;
    row->reason = 0; /* synthetic traffic is not screened */
    row->asn = 0;
    row->country[0] = '\0';
    char *p = put_s(row->ip, "10.");
    p = put_u(p, (ip >> 16) & 255);
    *p++ = '.';
    p = put_u(p, (ip >> 8) & 255);
    *p++ = '.';
    *put_u(p, ip & 255) = '\0';
    *put_s(row->user_agent, agents[ip % (sizeof(agents) / sizeof(agents[0]))]) = '\0';
    p = put_u(put_s(row->referer, "https://blog"), (unsigned)(li % 97));
    *put_s(p, ".example.org/post") = '\0';
    *put_s(row->sub[0], sources[next(g) % 6]) = '\0';
    for (int i = 1; i < 5; i++)
        row->sub[i][0] = '\0';
    row->source_id[0] = '\0';
    int rc = aff_click_id_new(g->ctx->key, ts, row->click_id);
    if (rc == 0)
        rc = aff_click_record(g->ctx, row, aff_click_fingerprint(g->ctx->key, row->ip, row->user_agent));
    if (rc == 0)
        rc = aff_rollup_job_keep(g->ctx->rollups);
    if (rc != 0 || (int)(next(g) % 1000) >= o->conversion_permille)
        return rc;
    pending *c = &g->conv[g->nconv++];
    memcpy(c->click_id, row->click_id, sizeof(c->click_id));
    c->amount_minor = 1000 + (int64_t)(next(g) % 29000);
    c->now_ms = ts + (int64_t)(next(g) % 3600) * 1000;
    return 0;
}

/* Write the staged clicks (multi-row inserts, as the writer does), then record the
 * conversions queued on them. */
static int flush_chunk(gen *g, aff_conversion_input *in, aff_conversion_result *out, int64_t *conversions)
{
    int rc = aff_click_flush(g->ctx);
    g->nrows = 0;
    for (size_t i = 0; i < g->nconv && rc == 0; i++) {
        aff_errinfo err = {0};
        aff_conversion_input_clear(in);
        in->program_id = g->program_id;
        memcpy(in->event, "sale", 5);
        *put_s(put_s(in->order_id, "GEN-"), g->conv[i].click_id) = '\0';
        in->amount_minor = g->conv[i].amount_minor;
        memcpy(in->currency, "USD", 4);
        memcpy(in->click_id, g->conv[i].click_id, sizeof(in->click_id));
        in->now_ms = g->conv[i].now_ms;
        rc = aff_conversion_record(g->ctx, in, out, &err);
        if (rc == 0)
            rc = aff_rollup_job_keep(g->ctx->rollups);
        *conversions += rc == 0;
    }
    g->nconv = 0;
    return rc;
}

int aff_generate(aff_ctx *ctx, const aff_generate_opts *o, aff_generate_stats *out)
{
    gen g = {.ctx = ctx, .rng = o->seed | 1};
    int64_t now = aff_clock_now_ms(), span = (int64_t)o->days * AFF_MS_PER_DAY;
    aff_conversion_input *in = malloc(sizeof(*in));
    aff_conversion_result *res = malloc(sizeof(*res));
    g.rows = malloc(CHUNK * sizeof(*g.rows));
    int rc = g.rows && in && res ? 0 : AFF_ENOMEM;
    memset(out, 0, sizeof(*out));
    if (rc == 0)
        rc = ensure_catalog(&g, o);
    aff_list_query lq = {.program_id = g.program_id};
    if (rc == 0 && (rc = aff_store_link_list(ctx->st, &lq, collect_link, &g)) == 0 && g.nlinks == 0)
        rc = AFF_ENOTFOUND;
    if (rc == 0 && (rc = rebuild(ctx)) == 0 &&
        ((ctx->rollups = aff_rollups_new()) == NULL || (ctx->clicks = aff_click_buffer_new()) == NULL))
        rc = AFF_ENOMEM;
    if (rc == 0)
        rc = aff_seen_open(ctx->st, now - span, (int64_t)ctx->cfg->unique_window_hours * AFF_MS_PER_HOUR, &ctx->seen);
    /* Generated data can be generated again: its commits need not reach the disk. */
    if (rc == 0)
        rc = aff_store_bulk_load(ctx->st, 1);
    for (int64_t done = 0; rc == 0 && done < o->clicks;) {
        int64_t n = o->clicks - done < BATCH ? o->clicks - done : BATCH;
        if ((rc = aff_store_begin(ctx->st)) != 0)
            break;
        int64_t ts = now - span, pruned;
        for (int64_t i = 0; i < n && rc == 0; i++) {
            ts = now - span + (span * (done + i)) / (o->clicks > 0 ? o->clicks : 1);
            rc = one_click(&g, ts, &g.rows[g.nrows++], o);
            if (rc == 0 && g.nrows == CHUNK)
                rc = flush_chunk(&g, in, res, &out->conversions);
            /* As the writer prunes, against the generated clock (track/seen.h), in
             * steps small enough to cover everything added since the last one. */
            if (rc == 0 && (done + i + 1) % PRUNE_EVERY == 0)
                rc = aff_seen_prune(ctx->seen, ctx->st, ts, &pruned);
        }
        if (rc == 0)
            rc = flush_chunk(&g, in, res, &out->conversions);
        if (rc == 0 && (rc = aff_rollup_flush(ctx->rollups, ctx->st)) == 0)
            rc = aff_store_commit(ctx->st);
        aff_seen_batch_end(ctx->seen, rc == 0);
        if (rc != 0) {
            aff_rollup_reset(ctx->rollups);
            aff_click_buffer_reset(ctx->clicks);
            aff_store_rollback(ctx->st);
            break;
        }
        done += n;
        out->clicks = done;
        if (o->progress != NULL)
            o->progress(o->ud, done, o->clicks);
    }
    int brc = aff_store_bulk_load(ctx->st, 0);
    if (rc == 0)
        rc = brc;
    out->program_id = g.program_id;
    aff_seen_free(ctx->seen);
    aff_rollups_free(ctx->rollups);
    aff_click_buffer_free(ctx->clicks);
    ctx->seen = NULL;
    ctx->rollups = NULL;
    ctx->clicks = NULL;
    aff_snapshot_free(ctx->snap);
    ctx->snap = NULL;
    free(g.links);
    free(g.link_affiliates);
    free(g.rows);
    free(in);
    free(res);
    return rc;
}
