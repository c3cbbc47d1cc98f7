/* test_writer_caches.c - the writer's per-batch rollup aggregation (track/rollup.c) and
 * its in-memory uniqueness window (track/seen.c): each must give exactly what the
 * direct store path gives, including when jobs or whole batches are rolled back. */
#include <stdio.h>
#include <stdlib.h>

#include "track/click.h"
#include "track/rollup.h"
#include "track/seen.h"
#include "track_fixture.h"

/* Sum of the rollup rows of the whole store. */
static aff_rollup_delta rollup_totals(aff_store *st)
{
    aff_verify_counts v;
    AFF_CHECK_INT(aff_store_verify(st, &v), AFF_OK);
    return v.rollup;
}

static int sum_clicks(void *ud, const aff_report_row *row)
{
    *(int64_t *)ud += row->m.clicks;
    return 0;
}

/* Clicks of the rollup rows of one hour. */
static int64_t hour_clicks(aff_store *st, int64_t hour)
{
    aff_report_query q = {.from_hour = hour, .to_hour = hour};
    int64_t n = 0;
    AFF_CHECK_INT(aff_store_report(st, &q, sum_clicks, &n), AFF_OK);
    return n;
}

/* The sub-ID rows of one day, in sub1 order (at most 1000). */
typedef struct sub_rows {
    int n;
    aff_report_row row[1000];
} sub_rows;

static sub_rows sub_rows_buf;

static int collect_sub(void *ud, const aff_report_row *row)
{
    sub_rows *s = ud;
    if (s->n == 1000)
        return AFF_ERANGE;
    s->row[s->n++] = *row;
    return 0;
}

static const sub_rows *sub_report(aff_store *st, int64_t day)
{
    aff_report_query q = {.from_hour = day * 24, .to_hour = day * 24 + 23, .group_mask = AFF_GROUP_SUB1};
    sub_rows_buf.n = 0;
    AFF_CHECK_INT(aff_store_report(st, &q, collect_sub, &sub_rows_buf), AFF_OK);
    return &sub_rows_buf;
}

AFF_TEST(rollup_batch_aggregates_and_drops_failed_jobs)
{
    fx f;
    if (fx_open(&f) != 0)
        return;
    aff_rollups *r = aff_rollups_new();
    AFF_CHECK(r != NULL);
    f.ctx.rollups = r;
    aff_rollup_delta click = {.clicks = 1, .unique_clicks = 1}, sale = {.conversions = 1, .revenue_minor = 999};
    AFF_CHECK_INT(aff_store_begin(f.ts.st), AFF_OK);
    /* job 1: three clicks on one row and one on another hour */
    for (int i = 0; i < 3; i++)
        AFF_CHECK_INT(aff_rollup_add(&f.ctx, 100, 1, 2, 3, "fb", &click), AFF_OK);
    AFF_CHECK_INT(aff_rollup_add(&f.ctx, 101, 1, 2, 3, "tw", &click), AFF_OK);
    AFF_CHECK_INT(aff_rollup_job_keep(r), AFF_OK);
    /* job 2 fails: its deltas must vanish */
    AFF_CHECK_INT(aff_rollup_add(&f.ctx, 100, 1, 2, 3, "tw", &sale), AFF_OK);
    aff_rollup_job_drop(r);
    /* job 3: a sale on the first row */
    AFF_CHECK_INT(aff_rollup_add(&f.ctx, 100, 1, 2, 3, "fb", &sale), AFF_OK);
    AFF_CHECK_INT(aff_rollup_job_keep(r), AFF_OK);
    /* nothing reaches the store before the flush */
    AFF_CHECK_INT(rollup_totals(f.ts.st).clicks, 0);
    AFF_CHECK_INT(aff_rollup_flush(r, f.ts.st), AFF_OK);
    AFF_CHECK_INT(aff_store_commit(f.ts.st), AFF_OK);
    aff_rollup_delta t = rollup_totals(f.ts.st);
    AFF_CHECK_INT(t.clicks, 4);
    AFF_CHECK_INT(t.unique_clicks, 4);
    AFF_CHECK_INT(t.conversions, 1);
    AFF_CHECK_INT(t.revenue_minor, 999);
    /* per row: hour 100 has 3 clicks and the sale, hour 101 one click */
    AFF_CHECK_INT(hour_clicks(f.ts.st, 100), 3);
    AFF_CHECK_INT(hour_clicks(f.ts.st, 101), 1);
    /* the sub-ID rows of the day (hours 100 and 101 are both day 4): fb 3 clicks and
     * the sale, tw 1 click; the dropped job's sale on tw is nowhere */
    const sub_rows *sr = sub_report(f.ts.st, 4);
    AFF_CHECK_INT(sr->n, 2);
    AFF_CHECK_STR(sr->row[0].sub1, "fb");
    AFF_CHECK_INT(sr->row[0].m.clicks, 3);
    AFF_CHECK_INT(sr->row[0].m.conversions, 1);
    AFF_CHECK_INT(sr->row[0].m.revenue_minor, 999);
    AFF_CHECK_STR(sr->row[1].sub1, "tw");
    AFF_CHECK_INT(sr->row[1].m.clicks, 1);
    AFF_CHECK_INT(sr->row[1].m.conversions, 0);
    AFF_CHECK_INT(aff_store_begin(f.ts.st), AFF_OK);
    /* a second batch on the same row adds to it after the flush emptied the aggregate */
    AFF_CHECK_INT(aff_rollup_add(&f.ctx, 100, 1, 2, 3, "fb", &click), AFF_OK);
    AFF_CHECK_INT(aff_rollup_job_keep(r), AFF_OK);
    AFF_CHECK_INT(aff_rollup_flush(r, f.ts.st), AFF_OK);
    AFF_CHECK_INT(aff_store_commit(f.ts.st), AFF_OK);
    AFF_CHECK_INT(rollup_totals(f.ts.st).clicks, 5);
    AFF_CHECK_INT(hour_clicks(f.ts.st, 100), 4);
    sr = sub_report(f.ts.st, 4);
    AFF_CHECK_INT(sr->row[0].m.clicks, 4);
    aff_rollups_free(r);
    f.ctx.rollups = NULL;
    fx_close(&f);
}

AFF_TEST(rollup_many_keys_grow_the_table)
{
    fx f;
    if (fx_open(&f) != 0)
        return;
    aff_rollups *r = aff_rollups_new();
    f.ctx.rollups = r;
    aff_rollup_delta one = {.clicks = 1};
    AFF_CHECK_INT(aff_store_begin(f.ts.st), AFF_OK);
    /* 5000 distinct rows, each hit twice, in jobs of one add */
    for (int pass = 0; pass < 2; pass++)
        for (int link = 1; link <= 5000; link++) {
            char sub[16];
            snprintf(sub, sizeof(sub), "s%d", link % 1000);
            AFF_CHECK_INT(aff_rollup_add(&f.ctx, 7, 1, 1, link, sub, &one), AFF_OK);
            AFF_CHECK_INT(aff_rollup_job_keep(r), AFF_OK);
        }
    AFF_CHECK_INT(aff_rollup_flush(r, f.ts.st), AFF_OK);
    AFF_CHECK_INT(aff_store_commit(f.ts.st), AFF_OK);
    AFF_CHECK_INT(rollup_totals(f.ts.st).clicks, 10000);
    /* 1000 sub-IDs of 10 clicks each */
    const sub_rows *sr = sub_report(f.ts.st, 0);
    AFF_CHECK_INT(sr->n, 1000);
    int64_t all = 0;
    for (int i = 0; i < sr->n; i++) {
        AFF_CHECK_INT(sr->row[i].m.clicks, 10);
        all += sr->row[i].m.clicks;
    }
    AFF_CHECK_INT(all, 10000);
    aff_rollups_free(r);
    f.ctx.rollups = NULL;
    fx_close(&f);
}

/* A bulk rejection of 500 conversions is one job with a row each (and more with
 * sub-affiliates): the stage grows past its first 16 rows, keeps them all, and refuses
 * (AFF_ERANGE) only past its bound, staging nothing of the refused row. */
AFF_TEST(rollup_job_stage_grows_for_bulk_jobs)
{
    fx f;
    if (fx_open(&f) != 0)
        return;
    aff_rollups *r = aff_rollups_new();
    f.ctx.rollups = r;
    aff_rollup_delta minus = {.conversions = -1, .revenue_minor = -100};
    AFF_CHECK_INT(aff_store_begin(f.ts.st), AFF_OK);
    for (int i = 0; i < 5500; i++)
        AFF_CHECK_INT(aff_rollup_add(&f.ctx, 7 + i % 24, 1, 1 + i % 50, i, "", &minus), AFF_OK);
    AFF_CHECK_INT(aff_rollup_job_keep(r), AFF_OK);
    AFF_CHECK_INT(aff_rollup_flush(r, f.ts.st), AFF_OK);
    AFF_CHECK_INT(aff_store_commit(f.ts.st), AFF_OK);
    aff_rollup_delta t = rollup_totals(f.ts.st);
    AFF_CHECK_INT(t.conversions, -5500);
    AFF_CHECK_INT(t.revenue_minor, -550000);
    /* past the bound: refused, and the job's earlier rows are still whole */
    AFF_CHECK_INT(aff_store_begin(f.ts.st), AFF_OK);
    int rc = 0, n = 0;
    while ((rc = aff_rollup_add(&f.ctx, 7, 1, 1, 1, "", &minus)) == AFF_OK && n < 100000)
        n++;
    AFF_CHECK_INT(rc, AFF_ERANGE);
    AFF_CHECK_INT(n, 8192);
    AFF_CHECK_INT(aff_rollup_job_keep(r), AFF_OK);
    AFF_CHECK_INT(aff_rollup_flush(r, f.ts.st), AFF_OK);
    AFF_CHECK_INT(aff_store_commit(f.ts.st), AFF_OK);
    AFF_CHECK_INT(rollup_totals(f.ts.st).conversions, -5500 - 8192);
    aff_rollups_free(r);
    f.ctx.rollups = NULL;
    fx_close(&f);
}

/* Decide uniqueness of a click on link by fp at ts through ctx. */
static int seen(fx *f, int64_t link, uint64_t fp, int64_t ts)
{
    int unique = -1;
    AFF_CHECK_INT(aff_seen_decide(&f->ctx, link, fp, ts, &unique), AFF_OK);
    if (unique == 1) /* the caller writes the durable row (track/click.c) */
        AFF_CHECK_INT(aff_store_click_seen_put(f->ts.st, link, fp, ts), AFF_OK);
    return unique;
}

AFF_TEST(seen_window_matches_the_store_path)
{
    fx f;
    if (fx_open(&f) != 0)
        return;
    int64_t window = (int64_t)f.cfg.unique_window_hours * FX_HOUR;
    aff_seen *s = NULL;
    AFF_CHECK_INT(aff_seen_open(f.ts.st, FX_T0, window, &s), AFF_OK);
    f.ctx.seen = s;
    AFF_CHECK_INT(seen(&f, 1, 42, FX_T0), 1);
    AFF_CHECK_INT(seen(&f, 1, 42, FX_T0 + 1000), 0);       /* same visitor, same link */
    AFF_CHECK_INT(seen(&f, 2, 42, FX_T0 + 1000), 1);       /* another link */
    AFF_CHECK_INT(seen(&f, 1, 43, FX_T0 + 1000), 1);       /* another visitor */
    AFF_CHECK_INT(seen(&f, 1, 42, FX_T0 + window - 1), 0); /* still inside the window */
    AFF_CHECK_INT(seen(&f, 1, 42, FX_T0 + window), 1);     /* the window has passed */
    AFF_CHECK_INT(seen(&f, 1, 42, FX_T0 + window + 5), 0); /* counted from the last unique */
    aff_seen_batch_end(s, 1);
    aff_seen_free(s);
    /* A fresh open (a restart) reloads the same decisions from click_seen. */
    AFF_CHECK_INT(aff_seen_open(f.ts.st, FX_T0 + window + 1000, window, &s), AFF_OK);
    f.ctx.seen = s;
    AFF_CHECK_INT(seen(&f, 1, 42, FX_T0 + window + 1000), 0); /* unique at T0 + window */
    AFF_CHECK_INT(seen(&f, 2, 42, FX_T0 + window + 999), 0);  /* unique at T0 + 1000 ... */
    AFF_CHECK_INT(seen(&f, 2, 42, FX_T0 + window + 1000), 1); /* ... exactly a window ago */
    aff_seen_free(s);
    f.ctx.seen = NULL;
    fx_close(&f);
}

AFF_TEST(seen_forgets_rolled_back_work)
{
    fx f;
    if (fx_open(&f) != 0)
        return;
    int64_t window = (int64_t)f.cfg.unique_window_hours * FX_HOUR;
    aff_seen *s = NULL;
    AFF_CHECK_INT(aff_seen_open(f.ts.st, FX_T0, window, &s), AFF_OK);
    f.ctx.seen = s;
    /* a batch: job A commits its pair, job B is rolled back to its savepoint */
    AFF_CHECK_INT(aff_store_begin(f.ts.st), AFF_OK);
    AFF_CHECK_INT(aff_store_savepoint(f.ts.st), AFF_OK);
    AFF_CHECK_INT(seen(&f, 1, 1, FX_T0), 1);
    AFF_CHECK_INT(aff_store_release(f.ts.st), AFF_OK);
    AFF_CHECK_INT(aff_store_savepoint(f.ts.st), AFF_OK);
    AFF_CHECK_INT(seen(&f, 1, 2, FX_T0), 1);
    AFF_CHECK_INT(aff_store_rollback_to(f.ts.st), AFF_OK);
    aff_seen_job_failed(s);
    AFF_CHECK_INT(aff_store_release(f.ts.st), AFF_OK);
    AFF_CHECK_INT(seen(&f, 1, 2, FX_T0 + 1), 1); /* B's pair is unknown again */
    AFF_CHECK_INT(seen(&f, 1, 1, FX_T0 + 1), 0); /* A's is kept */
    /* the whole batch is rolled back: nothing of it remains */
    AFF_CHECK_INT(aff_store_rollback(f.ts.st), AFF_OK);
    aff_seen_batch_end(s, 0);
    AFF_CHECK_INT(seen(&f, 1, 1, FX_T0 + 2), 1);
    aff_seen_free(s);
    f.ctx.seen = NULL;
    fx_close(&f);
}

AFF_TEST(seen_click_record_counts_unique_through_the_cache)
{
    fx f;
    if (fx_open(&f) != 0)
        return;
    int64_t window = (int64_t)f.cfg.unique_window_hours * FX_HOUR;
    int64_t p = fx_program(&f, "P", "USD", "last_click", 30, "{}");
    int64_t a = fx_affiliate(&f, "A", 0);
    int64_t l = fx_link(&f, "seen-link", p, a);
    aff_seen *s = NULL;
    AFF_CHECK_INT(aff_seen_open(f.ts.st, FX_T0, window, &s), AFF_OK);
    f.ctx.seen = s;
    char id[AFF_CLICK_ID_LEN + 1];
    fx_click(&f, p, a, l, FX_T0, "192.0.2.1", id);
    fx_click(&f, p, a, l, FX_T0 + 10, "192.0.2.1", id);
    fx_click(&f, p, a, l, FX_T0 + 20, "192.0.2.2", id);
    aff_verify_counts v;
    AFF_CHECK_INT(aff_store_verify(f.ts.st, &v), AFF_OK);
    AFF_CHECK_INT(v.raw.clicks, 3);
    AFF_CHECK_INT(v.raw.unique_clicks, 2);
    AFF_CHECK_INT(v.rollup.unique_clicks, 2);
    aff_seen_free(s);
    f.ctx.seen = NULL;
    fx_close(&f);
}

/* durability: commit flushes the batch in one call, async in 32-row slices with the
 * core given away between them (track/click.c); the rows written are the same. */
static void buffer_flush(int durability)
{
    fx f;
    if (fx_open(&f) != 0)
        return;
    f.cfg.click_durability = durability;
    int64_t p = fx_program(&f, "P", "USD", "last_click", 30, "{}");
    int64_t a = fx_affiliate(&f, "A", 0);
    int64_t l = fx_link(&f, "buf-link", p, a);
    enum { N = 70 }; /* 32 + 32 + 4 + 2 rows (async: slices of 32, 32 and 6) */
    aff_click_row *rows = calloc(N, sizeof(*rows));
    f.ctx.clicks = aff_click_buffer_new();
    f.ctx.rollups = aff_rollups_new();
    aff_seen *s = NULL;
    AFF_CHECK_INT(aff_seen_open(f.ts.st, FX_T0, (int64_t)f.cfg.unique_window_hours * FX_HOUR, &s), AFF_OK);
    f.ctx.seen = s;
    AFF_CHECK_INT(aff_store_begin(f.ts.st), AFF_OK);
    for (int i = 0; i < N; i++) {
        aff_click_row *c = &rows[i];
        AFF_CHECK_INT(aff_click_id_new(&f.key, FX_T0 + i, c->click_id), AFF_OK);
        c->ts_ms = FX_T0 + i;
        c->program_id = p;
        c->affiliate_id = a;
        c->link_id = l;
        snprintf(c->ip, sizeof(c->ip), "192.0.2.%d", i % 10); /* 10 visitors: 10 unique clicks */
        snprintf(c->user_agent, sizeof(c->user_agent), "UA 1");
        snprintf(c->sub[0], sizeof(c->sub[0]), "s%d", i);
        AFF_CHECK_INT(aff_click_record(&f.ctx, c, aff_click_fingerprint(&f.key, c->ip, c->user_agent)), AFF_OK);
        AFF_CHECK_INT(aff_rollup_job_keep(f.ctx.rollups), AFF_OK);
    }
    aff_click_row got;
    AFF_CHECK_INT(aff_store_click_get(f.ts.st, rows[0].click_id, &got), AFF_ENOTFOUND); /* only staged */
    AFF_CHECK_INT(aff_click_flush(&f.ctx), AFF_OK);
    AFF_CHECK_INT(aff_rollup_flush(f.ctx.rollups, f.ts.st), AFF_OK);
    AFF_CHECK_INT(aff_store_commit(f.ts.st), AFF_OK);
    for (int i = 0; i < N; i += 13) {
        AFF_CHECK_INT(aff_store_click_get(f.ts.st, rows[i].click_id, &got), AFF_OK);
        AFF_CHECK_INT(got.ts_ms, FX_T0 + i);
        AFF_CHECK_STR(got.ip, rows[i].ip);
        AFF_CHECK_STR(got.user_agent, "UA 1");
        AFF_CHECK_STR(got.sub[0], rows[i].sub[0]);
        AFF_CHECK_INT((got.flags & AFF_CLICK_UNIQUE) != 0, i < 10);
    }
    aff_verify_counts v;
    AFF_CHECK_INT(aff_store_verify(f.ts.st, &v), AFF_OK);
    AFF_CHECK_INT(v.raw.clicks, N);
    AFF_CHECK_INT(v.raw.unique_clicks, 10);
    AFF_CHECK_INT(v.rollup.clicks, N);
    AFF_CHECK_INT(v.rollup.unique_clicks, 10);
    /* a second flush with nothing buffered writes nothing */
    AFF_CHECK_INT(aff_click_flush(&f.ctx), AFF_OK);
    /* the window's decisions were made durable: a restart sees the same 10 pairs */
    aff_seen_free(s);
    AFF_CHECK_INT(aff_seen_open(f.ts.st, FX_T0 + N, (int64_t)f.cfg.unique_window_hours * FX_HOUR, &s), AFF_OK);
    f.ctx.seen = s;
    int unique = -1;
    AFF_CHECK_INT(aff_seen_decide(&f.ctx, l, aff_click_fingerprint(&f.key, "192.0.2.3", "UA 1"), FX_T0 + N, &unique),
                  AFF_OK);
    AFF_CHECK_INT(unique, 0);
    aff_seen_free(s);
    f.ctx.seen = NULL;
    aff_click_buffer_free(f.ctx.clicks);
    aff_rollups_free(f.ctx.rollups);
    f.ctx.clicks = NULL;
    f.ctx.rollups = NULL;
    free(rows);
    fx_close(&f);
}

AFF_TEST(click_buffer_writes_nothing_until_flush_then_everything)
{
    buffer_flush(AFF_DURABILITY_COMMIT);
    buffer_flush(AFF_DURABILITY_ASYNC);
}

AFF_TEST(seen_cache_growth_keeps_the_batch_decisions)
{
    fx f;
    if (fx_open(&f) != 0)
        return;
    aff_seen *s = NULL;
    AFF_CHECK_INT(aff_seen_open(f.ts.st, FX_T0, (int64_t)f.cfg.unique_window_hours * FX_HOUR, &s), AFF_OK);
    f.ctx.seen = s;
    /* 5000 new pairs in one batch (the table starts at 1024 slots and grows), their rows
     * not written yet (as with buffered clicks): a second click of the first pair must
     * still be a repeat */
    int unique = -1, uniques = 0;
    for (uint64_t fp = 1; fp <= 5000; fp++) {
        AFF_CHECK_INT(aff_seen_decide(&f.ctx, 1, fp, FX_T0, &unique), AFF_OK);
        uniques += unique;
    }
    AFF_CHECK_INT(uniques, 5000);
    AFF_CHECK_INT(aff_seen_decide(&f.ctx, 1, 1, FX_T0 + 5, &unique), AFF_OK);
    AFF_CHECK_INT(unique, 0);
    AFF_CHECK_INT(aff_seen_decide(&f.ctx, 1, 4999, FX_T0 + 5, &unique), AFF_OK);
    AFF_CHECK_INT(unique, 0);
    /* the batch is rolled back: nothing of it was written, so the pair is new again */
    aff_seen_batch_end(s, 0);
    AFF_CHECK_INT(aff_seen_decide(&f.ctx, 1, 1, FX_T0 + 6, &unique), AFF_OK);
    AFF_CHECK_INT(unique, 1);
    aff_seen_free(s);
    f.ctx.seen = NULL;
    fx_close(&f);
}

/* Pruning click_seen (aff_seen_prune): bounded steps of a sweep that wraps around, which
 * delete exactly the rows older than the window (and its margin) and change no decision. */
AFF_TEST(seen_prune_deletes_expired_rows_in_bounded_steps)
{
    fx f;
    if (fx_open(&f) != 0)
        return;
    int64_t window = (int64_t)f.cfg.unique_window_hours * FX_HOUR;
    int64_t edge = FX_T0 - window - AFF_SEEN_PRUNE_MARGIN_MS; /* rows before this go */
    enum { LINKS = 5, FPS = 300 };
    /* even fingerprints expired, odd ones live; fp 2 of link 1 just expired, fp 4 of link 1
     * exactly at the edge (kept) */
    AFF_CHECK_INT(aff_store_begin(f.ts.st), AFF_OK);
    for (int64_t l = 1; l <= LINKS; l++)
        for (uint64_t fp = 1; fp <= FPS; fp++) {
            int64_t ms = fp % 2 ? FX_T0 - FX_HOUR : FX_T0 - 3 * FX_DAY;
            if (l == 1 && fp == 2)
                ms = edge - 1;
            if (l == 1 && fp == 4)
                ms = edge;
            AFF_CHECK_INT(aff_store_click_seen_put(f.ts.st, l, fp * 0x9e3779b97f4a7c15ULL, ms), AFF_OK);
        }
    AFF_CHECK_INT(aff_store_commit(f.ts.st), AFF_OK);
    aff_seen *s = NULL;
    AFF_CHECK_INT(aff_seen_open(f.ts.st, FX_T0, window, &s), AFF_OK);
    f.ctx.seen = s;
    /* one step examines AFF_SEEN_PRUNE_MIN rows (no unique clicks since): about half go */
    int64_t deleted = 0, total = 0;
    AFF_CHECK_INT(aff_seen_prune(s, f.ts.st, FX_T0, &deleted), AFF_OK);
    AFF_CHECK(deleted > 0 && deleted <= AFF_SEEN_PRUNE_MIN);
    total += deleted;
    AFF_CHECK_INT(aff_seen_prune(s, f.ts.st, FX_T0, &deleted), AFF_OK); /* the rest, then wrap */
    total += deleted;
    AFF_CHECK_INT(total, LINKS * FPS / 2 - 1);
    AFF_CHECK_INT(aff_seen_pruned(s), total);
    AFF_CHECK_INT(aff_seen_prune(s, f.ts.st, FX_T0, &deleted), AFF_OK); /* a new pass: nothing left */
    AFF_CHECK_INT(deleted, 0);
    for (int64_t l = 1; l <= LINKS; l++)
        for (uint64_t fp = 1; fp <= FPS; fp++) {
            int64_t ms = 0;
            int rc = aff_store_click_seen_get(f.ts.st, l, fp * 0x9e3779b97f4a7c15ULL, &ms);
            AFF_CHECK_INT(rc, fp % 2 || (l == 1 && fp == 4) ? AFF_OK : AFF_ENOTFOUND);
        }
    /* decisions: a pruned pair is unique again, as its expired row made it; a live one not */
    AFF_CHECK_INT(seen(&f, 2, 2 * 0x9e3779b97f4a7c15ULL, FX_T0), 1);
    AFF_CHECK_INT(seen(&f, 2, 3 * 0x9e3779b97f4a7c15ULL, FX_T0), 0);
    aff_seen_batch_end(s, 1);
    aff_seen_free(s);
    f.ctx.seen = NULL;
    fx_close(&f);
}
