/* report.c - report dimensions and metrics; see report.h. */
#include "track/report.h"

#include <string.h>

#include "core/money.h"

static const struct {
    const char *name, *column;
    unsigned dim;
} dims[] = {
    {"day", "day", AFF_GROUP_DAY},
    {"program", "program_id", AFF_GROUP_PROGRAM},
    {"affiliate", "affiliate_id", AFF_GROUP_AFFILIATE},
    {"link", "link_id", AFF_GROUP_LINK},
};
#define NDIMS (sizeof(dims) / sizeof(dims[0]))

int aff_report_parse_group(const char *s, size_t len, aff_report_dims *out, aff_errinfo *err)
{
    unsigned seen = 0;
    out->n = 0;
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && s[j] != ',')
            j++;
        size_t k;
        for (k = 0; k < NDIMS; k++)
            if (strlen(dims[k].name) == j - i && memcmp(dims[k].name, s + i, j - i) == 0)
                break;
        if (k == NDIMS)
            return aff_fail(err, AFF_EINVAL, "group_by", "group_by: \"%.*s\" is not one of day, program, affiliate, link",
                            (int)(j - i > 40 ? 40 : j - i), s + i);
        if (seen & dims[k].dim)
            return aff_fail(err, AFF_EINVAL, "group_by", "group_by: %s given twice", dims[k].name);
        seen |= dims[k].dim;
        out->dim[out->n++] = dims[k].dim;
        i = j + 1;
        if (j + 1 == len && s[j] == ',')
            return aff_fail(err, AFF_EINVAL, "group_by", "group_by: empty dimension");
    }
    return 0;
}

const char *aff_report_dim_column(unsigned dim)
{
    for (size_t k = 0; k < NDIMS; k++)
        if (dims[k].dim == dim)
            return dims[k].column;
    return "?";
}

static int64_t ratio(int64_t num, int64_t den, int64_t scale)
{
    int64_t out = 0;
    if (den <= 0 || aff_muldiv_round(num, scale, den, &out) != 0)
        return 0;
    return out;
}

void aff_report_compute(const aff_rollup_delta *m, aff_report_metrics *out)
{
    out->cr_micro = ratio(m->conversions, m->clicks, 1000000);
    out->epc_minor = ratio(m->commission_minor, m->clicks, 1);
    out->aov_minor = ratio(m->revenue_minor, m->conversions, 1);
}

void aff_report_add(aff_rollup_delta *a, const aff_rollup_delta *b)
{
    a->clicks += b->clicks;
    a->unique_clicks += b->unique_clicks;
    a->bot_clicks += b->bot_clicks;
    a->rejected_clicks += b->rejected_clicks;
    a->conversions += b->conversions;
    a->revenue_minor += b->revenue_minor;
    a->commission_minor += b->commission_minor;
    a->refunds_minor += b->refunds_minor;
}
