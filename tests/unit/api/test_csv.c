/* test_csv.c - unit tests for src/api/csv.c: header from the template, quoting, the
 * formula guard on text only, money columns in the currency's exponent, the byte limit. */
#include "api/api.h"
#include "core/err.h"
#include "../test.h"

static char *csv_of(json_t *tmpl, json_t *rows, size_t max, int *rc_out)
{
    aff_csv *c = aff_csv_new(tmpl, max);
    size_t len, i;
    json_t *row;
    int rc = 0;
    AFF_CHECK(c != NULL);
    if (c == NULL)
        return NULL;
    json_array_foreach(rows, i, row) if (rc == 0) rc = aff_csv_row(c, row);
    *rc_out = rc;
    char *t = aff_csv_take(c, &len);
    aff_csv_free(c);
    return t;
}

AFF_TEST(csv_quotes_guards_and_formats_money)
{
    json_t *tmpl = json_pack("{s:i,s:s,s:i,s:s,s:s,s:n,s:o}", "id", 0, "name", "", "amount_minor", 0, "amount", "",
                             "currency", "", "note", "tags", json_array());
    json_t *rows = json_pack(
        "[{s:i,s:s,s:i,s:s,s:s,s:n,s:[s]},{s:i,s:s,s:i,s:s,s:s,s:s,s:[]},{s:i,s:s,s:i,s:s,s:s,s:s,s:[]}]", "id", 1,
        "name", "=SUM(A1)", "amount_minor", -499, "amount", "-4.99", "currency", "USD", "note", "tags", "a", "id", 2,
        "name", "Yen, \"shop\"", "amount_minor", 1234, "amount", "1234", "currency", "JPY", "note", "@x\r\ny", "tags",
        "id", 3, "name", "-1+1", "amount_minor", 12345, "amount", "12.345", "currency", "KWD", "note", "\tTAB", "tags");
    int rc;
    char *t = csv_of(tmpl, rows, 1 << 20, &rc);
    AFF_CHECK_INT(rc, AFF_OK);
    AFF_CHECK_STR(t, "id,name,amount,amount_minor,currency,note,tags\r\n"
                     "1,'=SUM(A1),-4.99,-499,USD,,\"[\"\"a\"\"]\"\r\n"
                     "2,\"Yen, \"\"shop\"\"\",1234,1234,JPY,\"'@x\r\ny\",[]\r\n"
                     "3,'-1+1,12.345,12345,KWD,'\tTAB,[]\r\n");
    free(t);
    /* the limit is a hard one: the row that would cross it is refused */
    t = csv_of(tmpl, rows, 60, &rc);
    AFF_CHECK_INT(rc, AFF_ETOOBIG);
    AFF_CHECK(t == NULL || strlen(t) < 60);
    free(t);
    json_decref(tmpl);
    json_decref(rows);
}
