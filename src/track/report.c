/* report.c - report dimensions and metrics; see report.h. */
#include "track/report.h"

#include <stddef.h>
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
    {"sub1", "sub1", AFF_GROUP_SUB1},
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
            return aff_fail(err, AFF_EINVAL, "group_by",
                            "group_by: \"%.*s\" is not one of day, program, affiliate, link, sub1",
                            (int)(j - i > 40 ? 40 : j - i), s + i);
        if (seen & dims[k].dim)
            return aff_fail(err, AFF_EINVAL, "group_by", "group_by: %s given twice", dims[k].name);
        seen |= dims[k].dim;
        out->dim[out->n++] = dims[k].dim;
        i = j + 1;
        if (j + 1 == len && s[j] == ',')
            return aff_fail(err, AFF_EINVAL, "group_by", "group_by: empty dimension");
    }
    if ((seen & AFF_GROUP_SUB1) && (seen & AFF_GROUP_LINK))
        return aff_fail(err, AFF_EINVAL, "group_by",
                        "group_by: sub1 cannot be combined with link (sub-IDs are rolled up per program and"
                        " affiliate, not per link)");
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
    /* net sales less commission, over commission; the sums are int64 minor units and
     * aff_muldiv_round multiplies in 128 bits, so no step can overflow silently */
    out->has_roi = 0;
    out->roi_e4 = 0;
    if (m->commission_minor > 0) {
        int64_t net = m->revenue_minor - m->refunds_minor - m->commission_minor;
        out->has_roi = aff_muldiv_round(net, 10000, m->commission_minor, &out->roi_e4) == 0;
    }
}

static const struct {
    const char *name;
    size_t offset;
    int admin_only;
} sorts[] = {
    {"clicks", offsetof(aff_rollup_delta, clicks), 0},
    {"unique_clicks", offsetof(aff_rollup_delta, unique_clicks), 0},
    {"bot_clicks", offsetof(aff_rollup_delta, bot_clicks), 0},
    {"rejected_clicks", offsetof(aff_rollup_delta, rejected_clicks), 0},
    {"conversions", offsetof(aff_rollup_delta, conversions), 0},
    {"revenue_minor", offsetof(aff_rollup_delta, revenue_minor), 0},
    {"refunds_minor", offsetof(aff_rollup_delta, refunds_minor), 0},
    {"commission_minor", offsetof(aff_rollup_delta, commission_minor), 0},
    {"overrides_minor", offsetof(aff_rollup_delta, overrides_minor), 1},
    {"override_income_minor", offsetof(aff_rollup_delta, override_income_minor), 0},
};

int aff_report_parse_sort(const char *s, int own, size_t *offset, aff_errinfo *err)
{
    for (size_t k = 0; k < sizeof(sorts) / sizeof(sorts[0]); k++)
        if (strcmp(s, sorts[k].name) == 0 && !(own && sorts[k].admin_only)) {
            *offset = sorts[k].offset;
            return 0;
        }
    return aff_fail(err, AFF_EINVAL, "sort",
                    "sort: one of clicks, unique_clicks, bot_clicks, rejected_clicks, conversions, revenue_minor,"
                    " refunds_minor, commission_minor, %soverride_income_minor",
                    own ? "" : "overrides_minor, ");
}

void aff_report_own_view(aff_rollup_delta *m)
{
    m->commission_minor -= m->overrides_minor;
    m->overrides_minor = 0;
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
    a->overrides_minor += b->overrides_minor;
    a->override_income_minor += b->override_income_minor;
}
