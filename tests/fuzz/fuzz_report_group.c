/*
 * fuzz_report_group.c - the group_by query parameter of the reports API:
 * aff_report_parse_group (track/report.h).
 *
 * Checks: the return is 0 or AFF_EINVAL (with field "group_by" and a message); an
 * accepted value yields at most 5 distinct known dimensions, each with a column name,
 * and joining their names with ',' in order gives back exactly the input, so nothing
 * was skipped, repeated or read past len bytes (the input buffer has no terminator).
 * Conversely, an oracle decides from the input alone whether it is empty or such a join
 * of distinct names without both sub1 and link (the sub-ID rollup has no link), and
 * the parser must agree with it both ways.
 */
#include "fuzz.h"

#include "core/err.h"
#include "track/report.h"

static const struct {
    const char *name;
    unsigned dim;
} names[] = {{"day", AFF_GROUP_DAY},
             {"program", AFF_GROUP_PROGRAM},
             {"affiliate", AFF_GROUP_AFFILIATE},
             {"link", AFF_GROUP_LINK},
             {"sub1", AFF_GROUP_SUB1}};
#define NNAMES (sizeof(names) / sizeof(names[0]))

/* Is s[0..len) empty or a ','-joined list of distinct names? */
static int oracle_valid(const char *s, size_t len)
{
    if (len == 0)
        return 1;
    unsigned seen = 0;
    size_t i = 0;
    for (;;) {
        size_t j = i;
        while (j < len && s[j] != ',')
            j++;
        size_t k;
        for (k = 0; k < NNAMES; k++)
            if (strlen(names[k].name) == j - i && memcmp(names[k].name, s + i, j - i) == 0)
                break;
        if (k == NNAMES || (seen & names[k].dim))
            return 0;
        seen |= names[k].dim;
        if (j == len)
            return !((seen & AFF_GROUP_SUB1) && (seen & AFF_GROUP_LINK));
        i = j + 1;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_memdup(data, size);
    aff_report_dims dims;
    memset(&dims, 0xa5, sizeof(dims));
    aff_errinfo err;
    memset(&err, 0, sizeof(err));
    int rc = aff_report_parse_group(s, size, &dims, &err);
    FUZZ_CHECK(rc == AFF_OK || rc == AFF_EINVAL);
    FUZZ_CHECK((rc == AFF_OK) == oracle_valid(s, size));
    if (rc != AFF_OK) {
        FUZZ_CHECK(err.field != NULL && strcmp(err.field, "group_by") == 0);
        FUZZ_CHECK(memchr(err.msg, '\0', sizeof(err.msg)) != NULL && err.msg[0] != '\0');
        goto out;
    }
    FUZZ_CHECK(dims.n >= 0 && dims.n <= 5);
    char joined[64];
    size_t w = 0;
    unsigned seen = 0;
    for (int i = 0; i < dims.n; i++) {
        size_t k;
        for (k = 0; k < NNAMES; k++)
            if (names[k].dim == dims.dim[i])
                break;
        FUZZ_CHECK(k < NNAMES && !(seen & dims.dim[i]));
        seen |= dims.dim[i];
        FUZZ_CHECK(strcmp(aff_report_dim_column(dims.dim[i]), "?") != 0);
        w += (size_t)snprintf(joined + w, sizeof(joined) - w, "%s%s", i ? "," : "", names[k].name);
    }
    FUZZ_CHECK(w == size && memcmp(joined, s, size) == 0);
out:
    free(s);
    return 0;
}
