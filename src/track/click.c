/* click.c - click recording; see click.h. */
#include "track/click.h"

#include <string.h>

#include "core/clock.h"
#include "core/crypto.h"
#include "track/rollup.h"
#include "track/seen.h"

uint64_t aff_click_fingerprint(const aff_click_id_key *key, const char *ip, const char *user_agent)
{
    unsigned char buf[64 + 1 + AFF_UA_MAX];
    size_t a = strnlen(ip, 64), b = strnlen(user_agent, AFF_UA_MAX);
    memcpy(buf, ip, a);
    buf[a] = 0;
    memcpy(buf + a + 1, user_agent, b);
    return aff_siphash(key->secret + AFF_SIPHASH_KEY_LEN, buf, a + 1 + b);
}

int aff_click_record(aff_ctx *ctx, aff_click_row *row, uint64_t fingerprint)
{
    int unique = 0;
    int rc = aff_seen_click(ctx, row->link_id, fingerprint, row->ts_ms, &unique);
    if (rc != 0)
        return rc;
    if (unique)
        row->flags |= AFF_CLICK_UNIQUE;
    if ((rc = aff_store_click_insert(ctx->st, row)) != 0)
        return rc;
    aff_rollup_delta d = {.clicks = 1, .unique_clicks = unique ? 1 : 0};
    return aff_rollup_add(ctx, row->ts_ms / AFF_MS_PER_HOUR, row->program_id, row->affiliate_id, row->link_id, &d);
}
