/*
 * report.h - report shapes and metric formulas (docs/api.md "Reports").
 * Owns: parsing group_by into a dimension list, and cr / epc / aov from summed rollup
 * counters. Pure: unit-tested without a store. Reading rollups is the store's
 * (aff_store_report); the time range and filters are the caller's.
 */
#ifndef AFF_TRACK_REPORT_H
#define AFF_TRACK_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "store/store.h"

typedef struct aff_report_dims {
    int n;
    unsigned dim[5]; /* AFF_GROUP_* in the order asked */
} aff_report_dims;

/* Parse "day,program,affiliate,link,sub1" (any subset, any order, no repeats; empty:
 * totals only; sub1 not with link: the sub-ID rollup has no link). Returns 0 or
 * AFF_EINVAL with field "group_by". */
int aff_report_parse_group(const char *s, size_t len, aff_report_dims *out, aff_errinfo *err);

/* The column name of a dimension: "day", "program_id", "affiliate_id", "link_id", "sub1". */
const char *aff_report_dim_column(unsigned dim);

typedef struct aff_report_metrics {
    int64_t cr_micro;  /* conversions / clicks in millionths, rounded half away from zero */
    int64_t epc_minor; /* commission_minor / clicks, rounded */
    int64_t aov_minor; /* revenue_minor / conversions, rounded */
    /* Return on commission, the brand's view: what net sales returned over what they
     * cost in commission, (revenue - refunds - commission) / commission, in 1/10,000ths,
     * rounded half away from zero. has_roi 0 (JSON null) when commission <= 0: nothing
     * was paid, or reversals outweigh it, and a ratio over that means nothing. */
    int has_roi;
    int64_t roi_e4;
} aff_report_metrics;

void aff_report_compute(const aff_rollup_delta *m, aff_report_metrics *out);

/* The counters a report can be sorted by (descending): a name of the column list
 * ("clicks", "unique_clicks", "conversions", "revenue_minor", "commission_minor", ...);
 * own: an affiliate's own report, which has no overrides_minor. Returns 0 and the
 * counter's offset in aff_rollup_delta, or AFF_EINVAL with field "sort" naming the
 * choices. */
int aff_report_parse_sort(const char *s, int own, size_t *offset, aff_errinfo *err);

/* An affiliate's own view of its rollup counters (GET /v1/me/reports): commission_minor
 * only what it earned itself, without the part paid to its parents (overrides_minor,
 * which is then 0: what its parents earn on it is theirs). override_income_minor, its
 * own income as a parent, stays. */
void aff_report_own_view(aff_rollup_delta *m);

/* Add b into a. */
void aff_report_add(aff_rollup_delta *a, const aff_rollup_delta *b);

#endif
