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
    unsigned dim[4]; /* AFF_GROUP_* in the order asked */
} aff_report_dims;

/* Parse "day,program,affiliate,link" (any subset, any order, no repeats; empty: totals
 * only). Returns 0 or AFF_EINVAL with field "group_by". */
int aff_report_parse_group(const char *s, size_t len, aff_report_dims *out, aff_errinfo *err);

/* The column name of a dimension: "day", "program_id", "affiliate_id", "link_id". */
const char *aff_report_dim_column(unsigned dim);

typedef struct aff_report_metrics {
    int64_t cr_micro;  /* conversions / clicks in millionths, rounded half away from zero */
    int64_t epc_minor; /* commission_minor / clicks, rounded */
    int64_t aov_minor; /* revenue_minor / conversions, rounded */
} aff_report_metrics;

void aff_report_compute(const aff_rollup_delta *m, aff_report_metrics *out);

/* Add b into a. */
void aff_report_add(aff_rollup_delta *a, const aff_rollup_delta *b);

#endif
