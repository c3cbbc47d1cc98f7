/* click.c - click recording; see click.h. */
#include "track/click.h"

#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/crypto.h"
#include "track/rollup.h"
#include "track/seen.h"

#define AFF_CLICK_FLUSH_SLICE 32

uint64_t aff_click_fingerprint(const aff_click_id_key *key, const char *ip, const char *user_agent)
{
    unsigned char buf[64 + 1 + AFF_UA_MAX];
    size_t a = strnlen(ip, 64), b = strnlen(user_agent, AFF_UA_MAX);
    memcpy(buf, ip, a);
    buf[a] = 0;
    memcpy(buf + a + 1, user_agent, b);
    return aff_siphash(key->secret + AFF_SIPHASH_KEY_LEN, buf, a + 1 + b);
}

typedef struct buffered {
    const aff_click_row *row;
    uint64_t fingerprint;
} buffered;

struct aff_click_buffer {
    buffered *items;
    const aff_click_row **rows; /* the same rows, as aff_store_click_insert_many wants them */
    size_t n, cap;
};

aff_click_buffer *aff_click_buffer_new(void)
{
    return calloc(1, sizeof(aff_click_buffer));
}

void aff_click_buffer_free(aff_click_buffer *b)
{
    if (b != NULL) {
        free(b->items);
        free(b->rows);
    }
    free(b);
}

void aff_click_buffer_reset(aff_click_buffer *b)
{
    if (b != NULL)
        b->n = 0;
}

static int buffer_push(aff_click_buffer *b, const aff_click_row *row, uint64_t fingerprint)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        buffered *items = realloc(b->items, cap * sizeof(*items));
        if (items != NULL)
            b->items = items;
        const aff_click_row **rows = items ? realloc(b->rows, cap * sizeof(*rows)) : NULL;
        if (rows == NULL)
            return AFF_ENOMEM;
        b->rows = rows;
        b->cap = cap;
    }
    b->items[b->n] = (buffered){row, fingerprint};
    b->rows[b->n++] = row;
    return 0;
}

/* The rollup counter a screened click goes to: bots and rejected clicks are counted
 * apart and never take part in uniqueness (track/fraud.h). */
static void screened_delta(const aff_click_row *row, aff_rollup_delta *d)
{
    if (row->flags & AFF_CLICK_BOT)
        d->bot_clicks = 1;
    else
        d->rejected_clicks = 1;
}

int aff_click_record(aff_ctx *ctx, aff_click_row *row, uint64_t fingerprint)
{
    int unique = 0, rc = 0;
    aff_rollup_delta d = {0};
    if (row->flags & AFF_CLICK_NOT_ATTRIBUTABLE)
        screened_delta(row, &d);
    else if ((rc = aff_seen_decide(ctx, row->link_id, fingerprint, row->ts_ms, &unique)) != 0)
        return rc;
    else
        d = (aff_rollup_delta){.clicks = 1, .unique_clicks = unique ? 1 : 0};
    /* Set, not OR: a batch may be replayed (pool.c) and decide differently. */
    row->flags = (row->flags & ~(unsigned)AFF_CLICK_UNIQUE) | (unique ? AFF_CLICK_UNIQUE : 0u);
    rc = aff_rollup_add(ctx, row->ts_ms / AFF_MS_PER_HOUR, row->program_id, row->affiliate_id, row->link_id,
                        row->sub[0], &d);
    if (rc != 0)
        return rc;
    /* Buffering needs the in-memory window: it remembers this batch's unique clicks
     * before their click_seen rows are written. */
    if (ctx->clicks != NULL && ctx->seen != NULL)
        return buffer_push(ctx->clicks, row, fingerprint);
    if (unique && (rc = aff_store_click_seen_put(ctx->st, row->link_id, fingerprint, row->ts_ms)) != 0)
        return rc;
    return aff_store_click_insert(ctx->st, row);
}

int aff_click_flush(aff_ctx *ctx)
{
    aff_click_buffer *b = ctx->clicks;
    if (b == NULL || b->n == 0)
        return 0;
    int rc = 0;
    for (size_t i = 0; i < b->n && rc == 0; i++) {
        const buffered *it = &b->items[i];
        if (it->row->flags & AFF_CLICK_UNIQUE)
            rc = aff_store_click_seen_put(ctx->st, it->row->link_id, it->fingerprint, it->row->ts_ms);
    }
    /* Async mode: in slices, giving the core away between them. The event loop shares
     * the core (one pinned core), and a redirect waiting behind a whole batch's inserts
     * (~150 clicks, about a millisecond) was the tail of the click latency: p99 at half
     * nginx's rate 2.7-3.3 ms without, 1.6-1.7 ms with (docs/benchmarks.md). Commit
     * mode lost 17 % of its keep-alive rate to it (its answers wait for this batch), so
     * there the batch goes in one piece. */
    int slices = ctx->cfg != NULL && ctx->cfg->click_durability == AFF_DURABILITY_ASYNC;
    size_t slice = slices ? AFF_CLICK_FLUSH_SLICE : b->n;
    for (size_t i = 0; i < b->n && rc == 0; i += slice) {
        if (i > 0)
            sched_yield();
        rc = aff_store_click_insert_many(ctx->st, b->rows + i, b->n - i < slice ? b->n - i : slice);
    }
    b->n = 0;
    return rc;
}
