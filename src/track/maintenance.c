/* maintenance.c - the writer's periodic work; see maintenance.h. */
#include "track/maintenance.h"

#include <string.h>

#include "track/ledger.h"
#include "track/payout.h"

int aff_maintenance_run(aff_store *st, int64_t now_ms, aff_maintenance_stats *out)
{
    memset(out, 0, sizeof(*out));
    int rc = aff_ledger_auto_approve(st, now_ms, &out->approved_lines, &out->approved_conversions);
    if (rc == 0)
        rc = aff_ledger_release(st, 0, now_ms, &out->released_lines);
    if (rc == 0)
        rc = aff_payout_run_scheduled(st, now_ms, &out->payout_runs);
    return rc;
}
