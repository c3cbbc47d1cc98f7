/* test_store_rows.c - unit tests for src/store/store_sqlite.c through the store.h
 * wrappers, part 1: opening and migrations, and the round trip, filters, paging and
 * unique keys of every row type (meta, programs and plans, affiliates, keys, links,
 * coupons, clicks and click_seen, conversions, customers, ledger lines). Each test opens
 * its own store in a mkdtemp directory and removes it. */
#include <sqlite3.h>

#include "store_rows.h"

/* ---- open and migrations ---------------------------------------------------------------- */

static int user_version(const char *store_dir)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/afftrack.db", store_dir);
    sqlite3 *db = NULL;
    int v = -1;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_stmt *q;
        if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &q, NULL) == SQLITE_OK) {
            if (sqlite3_step(q) == SQLITE_ROW)
                v = sqlite3_column_int(q, 0);
            sqlite3_finalize(q);
        }
    }
    sqlite3_close(db);
    return v;
}

AFF_TEST(store_open_creates_dir_and_migrates_once)
{
    aff_test_store ts;
    OPEN_OR_RETURN(&ts);
    struct stat sb;
    AFF_CHECK(stat(ts.path, &sb) == 0 && S_ISDIR(sb.st_mode));
    int64_t pid = add_program(ts.st, "Shop", "tok-1", "{}");
    int64_t aid = add_affiliate(ts.st, "ann", "approved", 0);
    aff_store_close(ts.st);
    ts.st = NULL;
    AFF_CHECK_INT(user_version(ts.path), aff_store_sqlite_schema_version());

    /* Opening again must not re-run the migration (CREATE TABLE would fail) nor lose rows. */
    for (int round = 0; round < 2; round++) {
        AFF_CHECK_INT(aff_store_sqlite_open(ts.path, AFF_STORE_WRITER, 0, &ts.st), AFF_OK);
        if (ts.st == NULL)
            break;
        aff_program_row *p = calloc(1, sizeof(*p));
        AFF_CHECK_INT(aff_store_program_get(ts.st, pid, p), AFF_OK);
        AFF_CHECK_STR(p->name, "Shop");
        free(p);
        aff_affiliate_row a;
        AFF_CHECK_INT(aff_store_affiliate_get(ts.st, aid, &a), AFF_OK);
        AFF_CHECK_STR(a.name, "ann");
        aff_store_close(ts.st);
        ts.st = NULL;
        AFF_CHECK_INT(user_version(ts.path), aff_store_sqlite_schema_version());
    }
    aff_test_store_close(&ts);
}

AFF_TEST(store_open_reader_needs_existing_store)
{
    char dir[256], path[300];
    AFF_CHECK_INT(aff_test_mkdtemp(dir, sizeof(dir)), 0);
    snprintf(path, sizeof(path), "%s/missing", dir);
    aff_store *st = NULL;
    AFF_CHECK(aff_store_sqlite_open(path, AFF_STORE_READER, 1, &st) != AFF_OK);
    /* A path under a regular file cannot be a store directory. */
    char file[300];
    snprintf(file, sizeof(file), "%s/plain", dir);
    FILE *f = fopen(file, "w");
    if (f != NULL)
        fclose(f);
    AFF_CHECK(aff_store_sqlite_open(file, AFF_STORE_WRITER, 1, &st) != AFF_OK);
    aff_test_rm_tree(dir);
}

AFF_TEST(store_reader_reads_but_cannot_write)
{
    aff_test_store ts;
    OPEN_OR_RETURN(&ts);
    int64_t aid = add_affiliate(ts.st, "ann", "approved", 0);
    aff_store *rd = NULL;
    AFF_CHECK_INT(aff_store_sqlite_open(ts.path, AFF_STORE_READER, 1, &rd), AFF_OK);
    if (rd != NULL) {
        aff_affiliate_row a;
        AFF_CHECK_INT(aff_store_affiliate_get(rd, aid, &a), AFF_OK);
        AFF_CHECK_STR(a.email, "ann@example.com");
        memset(&a, 0, sizeof(a));
        snprintf(a.name, sizeof(a.name), "bob");
        snprintf(a.status, sizeof(a.status), "approved");
        AFF_CHECK_INT(aff_store_affiliate_insert(rd, &a), AFF_ESTORE);
        aff_store_close(rd);
    }
    aff_test_store_close(&ts);
}

/* ---- meta ------------------------------------------------------------------------------- */

AFF_TEST(store_meta_put_get)
{
    aff_test_store ts;
    OPEN_OR_RETURN(&ts);
    unsigned char buf[64];
    size_t len = 0;
    AFF_CHECK_INT(aff_store_meta_get(ts.st, "secret", buf, sizeof(buf), &len), AFF_ENOTFOUND);
    const unsigned char v1[5] = {0, 1, 2, 0, 255};
    AFF_CHECK_INT(aff_store_meta_put(ts.st, "secret", v1, sizeof(v1)), AFF_OK);
    AFF_CHECK_INT(aff_store_meta_get(ts.st, "secret", buf, sizeof(buf), &len), AFF_OK);
    AFF_CHECK_INT(len, 5);
    AFF_CHECK(memcmp(buf, v1, 5) == 0);
    AFF_CHECK_INT(aff_store_meta_get(ts.st, "secret", buf, 4, &len), AFF_ETOOBIG);
    AFF_CHECK_INT(aff_store_meta_put(ts.st, "secret", "xy", 2), AFF_OK); /* overwrite */
    AFF_CHECK_INT(aff_store_meta_get(ts.st, "secret", buf, sizeof(buf), &len), AFF_OK);
    AFF_CHECK_INT(len, 2);
    AFF_CHECK(memcmp(buf, "xy", 2) == 0);
    aff_test_store_close(&ts);
}

/* ---- programs ------------------------------------------------------------------------------ */

AFF_TEST(store_program_roundtrip_update_and_versions)
{
    aff_test_store ts;
    OPEN_OR_RETURN(&ts);
    int64_t pid = add_program(ts.st, "Shop", "tok-1", "{\"sale\":{\"percent\":\"10\"}}");
    aff_program_row *p = calloc(1, sizeof(*p));
    AFF_CHECK_INT(aff_store_program_get(ts.st, pid, p), AFF_OK);
    AFF_CHECK_INT(p->id, pid);
    AFF_CHECK_STR(p->name, "Shop");
    AFF_CHECK_STR(p->kind, "affiliate");
    AFF_CHECK_STR(p->currency, "EUR");
    AFF_CHECK_STR(p->destination_url, "https://shop.example/landing");
    AFF_CHECK_STR(p->allowed_domains, "shop.example,*.shop.example");
    AFF_CHECK_INT(p->cookie_days, 45);
    AFF_CHECK_STR(p->attribution, "first_click");
    AFF_CHECK_STR(p->click_id_param, "cid");
    AFF_CHECK_INT(p->commission_version, 1);
    AFF_CHECK_STR(p->plan_json, "{\"sale\":{\"percent\":\"10\"}}");
    AFF_CHECK_INT(p->hold_days, 14);
    AFF_CHECK_INT(p->min_payout_minor, 5000);
    AFF_CHECK_STR(p->postback_token, "tok-1");
    AFF_CHECK_INT(p->created_ms, T0 + 1);
    AFF_CHECK_STR(p->fallback_url, "");

    /* A new plan version, then the program pointing at it. */
    AFF_CHECK_INT(aff_store_plan_insert(ts.st, pid, 2, "{\"sale\":{\"percent\":\"20\"}}", T0 + 9), AFF_OK);
    AFF_CHECK_INT(aff_store_plan_insert(ts.st, pid, 2, "{}", T0 + 9), AFF_EEXIST);
    snprintf(p->name, sizeof(p->name), "Shop 2");
    p->cookie_days = 7;
    snprintf(p->attribution, sizeof(p->attribution), "last_click");
    p->commission_version = 2;
    snprintf(p->postback_token, sizeof(p->postback_token), "ignored");
    snprintf(p->fallback_url, sizeof(p->fallback_url), "https://shop.example/sorry");
    AFF_CHECK_INT(aff_store_program_update(ts.st, p), AFF_OK);
    memset(p, 0, sizeof(*p));
    AFF_CHECK_INT(aff_store_program_get(ts.st, pid, p), AFF_OK);
    AFF_CHECK_STR(p->name, "Shop 2");
    AFF_CHECK_INT(p->cookie_days, 7);
    AFF_CHECK_STR(p->attribution, "last_click");
    AFF_CHECK_INT(p->commission_version, 2);
    AFF_CHECK_STR(p->plan_json, "{\"sale\":{\"percent\":\"20\"}}");
    AFF_CHECK_STR(p->postback_token, "tok-1"); /* the token is not updatable */
    AFF_CHECK_STR(p->currency, "EUR");
    AFF_CHECK_STR(p->fallback_url, "https://shop.example/sorry");

    AFF_CHECK_INT(aff_store_program_get(ts.st, pid + 100, p), AFF_ENOTFOUND);
    p->id = pid + 100;
    AFF_CHECK_INT(aff_store_program_update(ts.st, p), AFF_ENOTFOUND);
    free(p);
    aff_test_store_close(&ts);
}

AFF_TEST(store_program_token_unique_and_list_paging)
{
    aff_test_store ts;
    OPEN_OR_RETURN(&ts);
    int64_t id[5];
    for (int i = 0; i < 5; i++) {
        char tok[16];
        snprintf(tok, sizeof(tok), "tok-%d", i);
        id[i] = add_program(ts.st, "P", tok, "{}");
    }
    AFF_CHECK_INT(id[0], 1);
    AFF_CHECK_INT(id[4], 5);
    aff_program_row *p = calloc(1, sizeof(*p));
    snprintf(p->name, sizeof(p->name), "dup");
    snprintf(p->postback_token, sizeof(p->postback_token), "tok-3");
    AFF_CHECK_INT(aff_store_program_insert(ts.st, p), AFF_EEXIST);
    free(p);

    ids got = {0};
    aff_list_query q = q_page(0, 0);
    AFF_CHECK_INT(aff_store_program_list(ts.st, &q, cb_program, &got), AFF_OK);
    EXPECT_IDS(&got, 1, 2, 3, 4, 5);
    memset(&got, 0, sizeof(got));
    q = q_page(0, 2);
    AFF_CHECK_INT(aff_store_program_list(ts.st, &q, cb_program, &got), AFF_OK);
    EXPECT_IDS(&got, 1, 2);
    memset(&got, 0, sizeof(got));
    q = q_page(2, 2);
    AFF_CHECK_INT(aff_store_program_list(ts.st, &q, cb_program, &got), AFF_OK);
    EXPECT_IDS(&got, 3, 4);
    memset(&got, 0, sizeof(got));
    q = q_page(4, 2);
    AFF_CHECK_INT(aff_store_program_list(ts.st, &q, cb_program, &got), AFF_OK);
    EXPECT_IDS(&got, 5);
    memset(&got, 0, sizeof(got));
    q = q_page(5, 2);
    AFF_CHECK_INT(aff_store_program_list(ts.st, &q, cb_program, &got), AFF_OK);
    EXPECT_NO_IDS(&got);
    aff_test_store_close(&ts);
}

/* ---- affiliates and keys ---------------------------------------------------------------- */

AFF_TEST(store_affiliate_roundtrip_filters_and_paging)
{
    aff_test_store ts;
    OPEN_OR_RETURN(&ts);
    int64_t a1 = add_affiliate(ts.st, "ann", "approved", 0);
    int64_t a2 = add_affiliate(ts.st, "bob", "pending", a1);
    int64_t a3 = add_affiliate(ts.st, "cat", "approved", a1);
    int64_t a4 = add_affiliate(ts.st, "dan", "suspended", 0);
    int64_t a5 = add_affiliate(ts.st, "eve", "approved", a3);
    aff_affiliate_row a;
    AFF_CHECK_INT(aff_store_affiliate_get(ts.st, a2, &a), AFF_OK);
    AFF_CHECK_INT(a.id, a2);
    AFF_CHECK_STR(a.name, "bob");
    AFF_CHECK_STR(a.email, "bob@example.com");
    AFF_CHECK_STR(a.status, "pending");
    AFF_CHECK_INT(a.parent_id, a1);
    AFF_CHECK_INT(a.created_ms, T0 + 2);
    AFF_CHECK_INT(aff_store_affiliate_get(ts.st, 999, &a), AFF_ENOTFOUND);

    ids got = {0};
    aff_list_query q = q_page(0, 0);
    AFF_CHECK_INT(aff_store_affiliate_list(ts.st, &q, cb_affiliate, &got), AFF_OK);
    EXPECT_IDS(&got, a1, a2, a3, a4, a5);
    memset(&got, 0, sizeof(got));
    q.status = "approved";
    AFF_CHECK_INT(aff_store_affiliate_list(ts.st, &q, cb_affiliate, &got), AFF_OK);
    EXPECT_IDS(&got, a1, a3, a5);
    memset(&got, 0, sizeof(got));
    q.after = a1;
    q.limit = 1;
    AFF_CHECK_INT(aff_store_affiliate_list(ts.st, &q, cb_affiliate, &got), AFF_OK);
    EXPECT_IDS(&got, a3);
    memset(&got, 0, sizeof(got));
    q = q_page(0, 0);
    q.status = "rejected";
    AFF_CHECK_INT(aff_store_affiliate_list(ts.st, &q, cb_affiliate, &got), AFF_OK);
    EXPECT_NO_IDS(&got);

    /* update */
    AFF_CHECK_INT(aff_store_affiliate_get(ts.st, a4, &a), AFF_OK);
    snprintf(a.status, sizeof(a.status), "approved");
    snprintf(a.name, sizeof(a.name), "daniel");
    a.parent_id = a5;
    AFF_CHECK_INT(aff_store_affiliate_update(ts.st, &a), AFF_OK);
    memset(&a, 0, sizeof(a));
    AFF_CHECK_INT(aff_store_affiliate_get(ts.st, a4, &a), AFF_OK);
    AFF_CHECK_STR(a.name, "daniel");
    AFF_CHECK_STR(a.status, "approved");
    AFF_CHECK_INT(a.parent_id, a5);
    a.id = 999;
    AFF_CHECK_INT(aff_store_affiliate_update(ts.st, &a), AFF_ENOTFOUND);
    aff_test_store_close(&ts);
}

AFF_TEST(store_list_callback_stop_and_abort)
{
    aff_test_store ts;
    OPEN_OR_RETURN(&ts);
    for (int i = 0; i < 4; i++)
        add_affiliate(ts.st, "x", "approved", 0);
    ids got = {0};
    got.stop_after = 2;
    aff_list_query q = q_page(0, 0);
    AFF_CHECK_INT(aff_store_affiliate_list(ts.st, &q, cb_affiliate, &got), AFF_OK); /* 1 = stop, not an error */
    EXPECT_IDS(&got, 1, 2);
    memset(&got, 0, sizeof(got));
    AFF_CHECK_INT(aff_store_affiliate_list(ts.st, &q, cb_abort, &got), AFF_EIO); /* <0 aborts with that rc */
    AFF_CHECK_INT(got.n, 1);
    /* The statement was reset: the next list starts from the beginning. */
    memset(&got, 0, sizeof(got));
    AFF_CHECK_INT(aff_store_affiliate_list(ts.st, &q, cb_affiliate, &got), AFF_OK);
    EXPECT_IDS(&got, 1, 2, 3, 4);
    aff_test_store_close(&ts);
}

typedef struct keys_seen {
    int n;
    aff_key_row rows[8];
} keys_seen;

static int cb_key(void *ud, const aff_key_row *r)
{
    keys_seen *k = ud;
    if (k->n < 8)
        k->rows[k->n++] = *r;
    return 0;
}

AFF_TEST(store_keys_insert_count_list)
{
    aff_test_store ts;
    OPEN_OR_RETURN(&ts);
    aff_key_row k1, k2, k3;
    memset(&k1, 0, sizeof(k1));
    memset(k1.hash, 0xa1, sizeof(k1.hash));
    snprintf(k1.role, sizeof(k1.role), "admin");
    k2 = k1;
    memset(k2.hash, 0xb2, sizeof(k2.hash));
    snprintf(k2.role, sizeof(k2.role), "affiliate");
    k2.affiliate_id = 7;
    k3 = k2;
    k3.hash[31] = 0;
    k3.affiliate_id = 8;
    AFF_CHECK_INT(aff_store_key_insert(ts.st, &k1), AFF_OK);
    AFF_CHECK_INT(aff_store_key_insert(ts.st, &k2), AFF_OK);
    AFF_CHECK_INT(aff_store_key_insert(ts.st, &k3), AFF_OK);
    AFF_CHECK_INT(aff_store_key_insert(ts.st, &k2), AFF_EEXIST);
    int64_t n = -1;
    AFF_CHECK_INT(aff_store_key_count(ts.st, "admin", &n), AFF_OK);
    AFF_CHECK_INT(n, 1);
    AFF_CHECK_INT(aff_store_key_count(ts.st, "affiliate", &n), AFF_OK);
    AFF_CHECK_INT(n, 2);
    AFF_CHECK_INT(aff_store_key_count(ts.st, "nobody", &n), AFF_OK);
    AFF_CHECK_INT(n, 0);
    keys_seen seen = {0};
    AFF_CHECK_INT(aff_store_key_list(ts.st, cb_key, &seen), AFF_OK);
    AFF_CHECK_INT(seen.n, 3);
    int found2 = 0;
    for (int i = 0; i < seen.n; i++)
        if (memcmp(seen.rows[i].hash, k2.hash, 32) == 0) {
            found2 = 1;
            AFF_CHECK_STR(seen.rows[i].role, "affiliate");
            AFF_CHECK_INT(seen.rows[i].affiliate_id, 7);
        }
    AFF_CHECK(found2);
    aff_test_store_close(&ts);
}

/* ---- links and coupons -------------------------------------------------------------------- */

AFF_TEST(store_link_roundtrip_unique_code_filters)
{
    aff_test_store ts;
    OPEN_OR_RETURN(&ts);
    int64_t l1, l2, l3, l4;
    AFF_CHECK_INT(add_link_rc(ts.st, "alpha", 1, 10, &l1), AFF_OK);
    AFF_CHECK_INT(add_link_rc(ts.st, "beta", 1, 11, &l2), AFF_OK);
    AFF_CHECK_INT(add_link_rc(ts.st, "gamma", 2, 10, &l3), AFF_OK);
    AFF_CHECK_INT(add_link_rc(ts.st, "delta", 1, 10, &l4), AFF_OK);
    /* codes are unique across the server, case-sensitive */
    AFF_CHECK_INT(add_link_rc(ts.st, "alpha", 1, 10, NULL), AFF_EEXIST);
    AFF_CHECK_INT(add_link_rc(ts.st, "alpha", 2, 11, NULL), AFF_EEXIST);
    int64_t l5;
    AFF_CHECK_INT(add_link_rc(ts.st, "Alpha", 1, 10, &l5), AFF_OK);

    aff_link_row *l = calloc(1, sizeof(*l));
    AFF_CHECK_INT(aff_store_link_get(ts.st, l2, l), AFF_OK);
    AFF_CHECK_INT(l->id, l2);
    AFF_CHECK_STR(l->code, "beta");
    AFF_CHECK_INT(l->program_id, 1);
    AFF_CHECK_INT(l->affiliate_id, 11);
    AFF_CHECK_STR(l->destination_url, "https://shop.example/p/beta");
    AFF_CHECK_STR(l->sub[0], "s1-beta");
    AFF_CHECK_STR(l->sub[4], "s5-beta");
    AFF_CHECK_INT(l->created_ms, T0 + 3);

    snprintf(l->destination_url, sizeof(l->destination_url), "%s", "");
    snprintf(l->sub[2], sizeof(l->sub[2]), "new3");
    snprintf(l->code, sizeof(l->code), "changed"); /* not updatable */
    AFF_CHECK_INT(aff_store_link_update(ts.st, l), AFF_OK);
    memset(l, 0, sizeof(*l));
    AFF_CHECK_INT(aff_store_link_get(ts.st, l2, l), AFF_OK);
    AFF_CHECK_STR(l->destination_url, "");
    AFF_CHECK_STR(l->sub[2], "new3");
    AFF_CHECK_STR(l->sub[1], "s2-beta");
    AFF_CHECK_STR(l->code, "beta");
    l->id = 999;
    AFF_CHECK_INT(aff_store_link_update(ts.st, l), AFF_ENOTFOUND);
    AFF_CHECK_INT(aff_store_link_get(ts.st, 999, l), AFF_ENOTFOUND);
    free(l);

    ids got = {0};
    aff_list_query q = q_page(0, 0);
    q.program_id = 1;
    AFF_CHECK_INT(aff_store_link_list(ts.st, &q, cb_link, &got), AFF_OK);
    EXPECT_IDS(&got, l1, l2, l4, l5);
    memset(&got, 0, sizeof(got));
    q.affiliate_id = 10;
    AFF_CHECK_INT(aff_store_link_list(ts.st, &q, cb_link, &got), AFF_OK);
    EXPECT_IDS(&got, l1, l4, l5);
    memset(&got, 0, sizeof(got));
    q.after = l1;
    q.limit = 1;
    AFF_CHECK_INT(aff_store_link_list(ts.st, &q, cb_link, &got), AFF_OK);
    EXPECT_IDS(&got, l4);
    memset(&got, 0, sizeof(got));
    q = q_page(0, 0);
    q.affiliate_id = 10;
    AFF_CHECK_INT(aff_store_link_list(ts.st, &q, cb_link, &got), AFF_OK);
    EXPECT_IDS(&got, l1, l3, l4, l5);
    aff_test_store_close(&ts);
}

AFF_TEST(store_coupon_unique_per_program_filters)
{
    aff_test_store ts;
    OPEN_OR_RETURN(&ts);
    int64_t c1, c2, c3, c4;
    AFF_CHECK_INT(add_coupon_rc(ts.st, "SAVE10", 1, 10, &c1), AFF_OK);
    AFF_CHECK_INT(add_coupon_rc(ts.st, "SAVE10", 1, 11, NULL), AFF_EEXIST);
    AFF_CHECK_INT(add_coupon_rc(ts.st, "SAVE10", 2, 11, &c2), AFF_OK); /* same code, other program */
    AFF_CHECK_INT(add_coupon_rc(ts.st, "SAVE20", 1, 11, &c3), AFF_OK);
    AFF_CHECK_INT(add_coupon_rc(ts.st, "VIP", 1, 10, &c4), AFF_OK);
    AFF_CHECK_INT(add_coupon_rc(ts.st, "VIP", 2, 10, NULL), AFF_OK);
    AFF_CHECK_INT(add_coupon_rc(ts.st, "VIP", 2, 12, NULL), AFF_EEXIST);

    aff_coupon_row c;
    AFF_CHECK_INT(aff_store_coupon_get(ts.st, c2, &c), AFF_OK);
    AFF_CHECK_INT(c.id, c2);
    AFF_CHECK_STR(c.code, "SAVE10");
    AFF_CHECK_INT(c.program_id, 2);
    AFF_CHECK_INT(c.affiliate_id, 11);
    AFF_CHECK_INT(c.created_ms, T0 + 4);
    c.affiliate_id = 42;
    AFF_CHECK_INT(aff_store_coupon_update(ts.st, &c), AFF_OK);
    AFF_CHECK_INT(aff_store_coupon_get(ts.st, c2, &c), AFF_OK);
    AFF_CHECK_INT(c.affiliate_id, 42);
    AFF_CHECK_INT(aff_store_coupon_get(ts.st, 999, &c), AFF_ENOTFOUND);
    c.id = 999;
    AFF_CHECK_INT(aff_store_coupon_update(ts.st, &c), AFF_ENOTFOUND);

    ids got = {0};
    aff_list_query q = q_page(0, 0);
    q.program_id = 1;
    AFF_CHECK_INT(aff_store_coupon_list(ts.st, &q, cb_coupon, &got), AFF_OK);
    EXPECT_IDS(&got, c1, c3, c4);
    memset(&got, 0, sizeof(got));
    q.affiliate_id = 10;
    AFF_CHECK_INT(aff_store_coupon_list(ts.st, &q, cb_coupon, &got), AFF_OK);
    EXPECT_IDS(&got, c1, c4);
    memset(&got, 0, sizeof(got));
    q = q_page(c1, 2);
    AFF_CHECK_INT(aff_store_coupon_list(ts.st, &q, cb_coupon, &got), AFF_OK);
    EXPECT_IDS(&got, c2, c3);
    aff_test_store_close(&ts);
}

/* ---- clicks ----------------------------------------------------------------------------------- */

AFF_TEST(store_click_roundtrip_unique_and_list)
{
    aff_test_store ts;
    OPEN_OR_RETURN(&ts);
    /* inserted out of order: the list is in click_id order */
    AFF_CHECK_INT(add_counted_click(ts.st, 3, T0 + 3000, 1, 10, 100, AFF_CLICK_UNIQUE), AFF_OK);
    AFF_CHECK_INT(add_counted_click(ts.st, 1, T0 + 1000, 1, 10, 100, 0), AFF_OK);
    AFF_CHECK_INT(add_counted_click(ts.st, 2, T0 + 2000, 1, 11, 101, AFF_CLICK_UNIQUE), AFF_OK);
    AFF_CHECK_INT(add_counted_click(ts.st, 5, T0 + 5000, 2, 10, 102, 0), AFF_OK);
    AFF_CHECK_INT(add_counted_click(ts.st, 4, T0 + 4000, 1, 10, 103, 0), AFF_OK);
    AFF_CHECK_INT(add_click(ts.st, 4, T0 + 9999, 1, 10, 103, 0), AFF_EEXIST);

    aff_click_row *c = calloc(1, sizeof(*c));
    char id[AFF_CLICK_ID_LEN + 1];
    click_id_for(2, id);
    AFF_CHECK_INT(aff_store_click_get(ts.st, id, c), AFF_OK);
    AFF_CHECK_STR(c->click_id, id);
    AFF_CHECK_INT(c->ts_ms, T0 + 2000);
    AFF_CHECK_INT(c->program_id, 1);
    AFF_CHECK_INT(c->affiliate_id, 11);
    AFF_CHECK_INT(c->link_id, 101);
    AFF_CHECK_STR(c->ip, "198.51.100.2");
    AFF_CHECK_STR(c->user_agent, "agent/2");
    AFF_CHECK_STR(c->referer, "https://ref.example/2");
    AFF_CHECK_STR(c->sub[0], "sub1");
    AFF_CHECK_STR(c->sub[4], "sub5");
    AFF_CHECK_STR(c->source_id, "src2");
    AFF_CHECK_INT(c->flags, AFF_CLICK_UNIQUE);
    AFF_CHECK_INT(c->reason, 102);
    AFF_CHECK_INT(c->asn, 2000);
    AFF_CHECK_STR(c->country, "CX");
    /* attribution's read of the same click: the same values for the columns it has */
    aff_click_attr a;
    memset(&a, 0x55, sizeof(a));
    AFF_CHECK_INT(aff_store_click_attr_get(ts.st, id, &a), AFF_OK);
    AFF_CHECK_INT(a.ts_ms, T0 + 2000);
    AFF_CHECK_INT(a.program_id, 1);
    AFF_CHECK_INT(a.affiliate_id, 11);
    AFF_CHECK_INT(a.link_id, 101);
    AFF_CHECK_INT(a.flags, AFF_CLICK_UNIQUE);
    AFF_CHECK_STR(a.ip, "198.51.100.2");
    AFF_CHECK_STR(a.sub1, "sub1");
    AFF_CHECK_STR(a.country, "CX");
    click_id_for(99, id);
    AFF_CHECK_INT(aff_store_click_get(ts.st, id, c), AFF_ENOTFOUND);
    AFF_CHECK_INT(aff_store_click_attr_get(ts.st, id, &a), AFF_ENOTFOUND);
    AFF_CHECK_INT(aff_store_click_attr_get(ts.st, "not-a-click-id", &a), AFF_ENOTFOUND);
    free(c);

    ids got = {0};
    aff_list_query q = q_page(0, 0);
    AFF_CHECK_INT(aff_store_click_list(ts.st, &q, cb_click, &got), AFF_OK);
    EXPECT_IDS(&got, 1, 2, 3, 4, 5);
    memset(&got, 0, sizeof(got));
    q.program_id = 1;
    AFF_CHECK_INT(aff_store_click_list(ts.st, &q, cb_click, &got), AFF_OK);
    EXPECT_IDS(&got, 1, 2, 3, 4);
    memset(&got, 0, sizeof(got));
    q.affiliate_id = 10;
    AFF_CHECK_INT(aff_store_click_list(ts.st, &q, cb_click, &got), AFF_OK);
    EXPECT_IDS(&got, 1, 3, 4);
    memset(&got, 0, sizeof(got));
    q.link_id = 100;
    AFF_CHECK_INT(aff_store_click_list(ts.st, &q, cb_click, &got), AFF_OK);
    EXPECT_IDS(&got, 1, 3);
    /* paging by click id */
    memset(&got, 0, sizeof(got));
    q = q_page(0, 2);
    click_id_for(2, q.after_click);
    AFF_CHECK_INT(aff_store_click_list(ts.st, &q, cb_click, &got), AFF_OK);
    EXPECT_IDS(&got, 3, 4);
    memset(&got, 0, sizeof(got));
    click_id_for(4, q.after_click);
    AFF_CHECK_INT(aff_store_click_list(ts.st, &q, cb_click, &got), AFF_OK);
    EXPECT_IDS(&got, 5);
    aff_test_store_close(&ts);
}

/* The window rule of track/seen.c over the store's click_seen get/put: unique when the
 * pair has no row or its last unique click is a window ago; a unique click is written. */
static int seen_via_store(aff_store *st, int64_t link, uint64_t fp, int64_t now, int64_t window, int *unique)
{
    int64_t last = 0;
    int rc = aff_store_click_seen_get(st, link, fp, &last);
    if (rc == AFF_ENOTFOUND)
        last = 0;
    else if (rc != 0)
        return rc;
    *unique = last == 0 || now - last >= window;
    return *unique ? aff_store_click_seen_put(st, link, fp, now) : 0;
}

AFF_TEST(store_click_seen_window)
{
    aff_test_store ts;
    OPEN_OR_RETURN(&ts);
    const int64_t W = 24 * 3600000LL;
    int u = -1;
    AFF_CHECK_INT(seen_via_store(ts.st, 1, 0xabcdef, T0, W, &u), AFF_OK);
    AFF_CHECK_INT(u, 1); /* first time */
    AFF_CHECK_INT(seen_via_store(ts.st, 1, 0xabcdef, T0 + 1, W, &u), AFF_OK);
    AFF_CHECK_INT(u, 0);
    AFF_CHECK_INT(seen_via_store(ts.st, 1, 0xabcdef, T0 + W - 1, W, &u), AFF_OK);
    AFF_CHECK_INT(u, 0); /* still inside; and a repeat does not move the window */
    /* other link, other fingerprint: independent */
    AFF_CHECK_INT(seen_via_store(ts.st, 2, 0xabcdef, T0 + 5, W, &u), AFF_OK);
    AFF_CHECK_INT(u, 1);
    AFF_CHECK_INT(seen_via_store(ts.st, 1, 0xabcdee, T0 + 5, W, &u), AFF_OK);
    AFF_CHECK_INT(u, 1);
    /* the window is measured from the last unique click: T0 + W is unique again */
    AFF_CHECK_INT(seen_via_store(ts.st, 1, 0xabcdef, T0 + W, W, &u), AFF_OK);
    AFF_CHECK_INT(u, 1);
    AFF_CHECK_INT(seen_via_store(ts.st, 1, 0xabcdef, T0 + 2 * W - 1, W, &u), AFF_OK);
    AFF_CHECK_INT(u, 0);
    AFF_CHECK_INT(seen_via_store(ts.st, 1, 0xabcdef, T0 + 2 * W, W, &u), AFF_OK);
    AFF_CHECK_INT(u, 1);
    /* fingerprints with the top bit set are stored and compared exactly */
    AFF_CHECK_INT(seen_via_store(ts.st, 1, 0xffffffffffffffffULL, T0, W, &u), AFF_OK);
    AFF_CHECK_INT(u, 1);
    AFF_CHECK_INT(seen_via_store(ts.st, 1, 0xfffffffffffffffeULL, T0, W, &u), AFF_OK);
    AFF_CHECK_INT(u, 1);
    AFF_CHECK_INT(seen_via_store(ts.st, 1, 0xffffffffffffffffULL, T0 + 10, W, &u), AFF_OK);
    AFF_CHECK_INT(u, 0);
    /* a zero window: every click is unique */
    AFF_CHECK_INT(seen_via_store(ts.st, 3, 42, T0, 0, &u), AFF_OK);
    AFF_CHECK_INT(u, 1);
    AFF_CHECK_INT(seen_via_store(ts.st, 3, 42, T0, 0, &u), AFF_OK);
    AFF_CHECK_INT(u, 1);
    aff_test_store_close(&ts);
}

/* ---- conversions, customers, ledger ---------------------------------------------------------- */

AFF_TEST(store_conversion_roundtrip_find_unique)
{
    aff_test_store ts;
    OPEN_OR_RETURN(&ts);
    int64_t id1;
    AFF_CHECK_INT(add_conversion_rc(ts.st, 1, "sale", "o-1", 4990, "pending", 10, 0, 0, &id1), AFF_OK);
    /* (program, event, order_id) is unique */
    AFF_CHECK_INT(add_conversion_rc(ts.st, 1, "sale", "o-1", 1, "approved", 11, 0, 0, NULL), AFF_EEXIST);
    AFF_CHECK_INT(add_conversion_rc(ts.st, 1, "lead", "o-1", 0, "approved", 10, 0, 0, NULL), AFF_OK);
    AFF_CHECK_INT(add_conversion_rc(ts.st, 2, "sale", "o-1", 10, "approved", 10, 0, 0, NULL), AFF_OK);
    AFF_CHECK_INT(add_conversion_rc(ts.st, 1, "sale", "O-1", 10, "approved", 10, 0, 0, NULL), AFF_OK);

    aff_conversion_row *c = calloc(1, sizeof(*c));
    AFF_CHECK_INT(aff_store_conversion_get(ts.st, id1, c), AFF_OK);
    AFF_CHECK_INT(c->id, id1);
    AFF_CHECK_INT(c->program_id, 1);
    AFF_CHECK_STR(c->event, "sale");
    AFF_CHECK_STR(c->order_id, "o-1");
    AFF_CHECK_INT(c->amount_minor, 4990);
    AFF_CHECK_STR(c->currency, "EUR");
    AFF_CHECK_STR(c->status, "pending");
    AFF_CHECK_STR(c->method, "coupon");
    AFF_CHECK_STR(c->click_id, "");
    AFF_CHECK_INT(c->affiliate_id, 10);
    AFF_CHECK_INT(c->link_id, 0);
    AFF_CHECK_INT(c->coupon_id, 9);
    AFF_CHECK_STR(c->coupon, "SAVE10");
    AFF_CHECK_STR(c->customer_id, "cust-o-1");
    AFF_CHECK_INT(strlen(c->email_hash), 64);
    AFF_CHECK_INT(c->test, 0);
    AFF_CHECK_INT(c->refunded_minor, 0);
    AFF_CHECK_STR(c->items_json, "[{\"sku\":\"A\",\"qty\":1}]");
    AFF_CHECK_INT(c->created_ms, T0 + 5);

    memset(c, 0, sizeof(*c));
    AFF_CHECK_INT(aff_store_conversion_find(ts.st, 1, "sale", "o-1", c), AFF_OK);
    AFF_CHECK_INT(c->id, id1);
    AFF_CHECK_INT(aff_store_conversion_find(ts.st, 1, "sale", "o-2", c), AFF_ENOTFOUND);
    AFF_CHECK_INT(aff_store_conversion_find(ts.st, 3, "sale", "o-1", c), AFF_ENOTFOUND);
    AFF_CHECK_INT(aff_store_conversion_get(ts.st, 999, c), AFF_ENOTFOUND);

    AFF_CHECK_INT(aff_store_conversion_set_refund(ts.st, id1, 1000, "pending"), AFF_OK);
    AFF_CHECK_INT(aff_store_conversion_get(ts.st, id1, c), AFF_OK);
    AFF_CHECK_INT(c->refunded_minor, 1000);
    AFF_CHECK_STR(c->status, "pending");
    AFF_CHECK_INT(aff_store_conversion_set_refund(ts.st, id1, 4990, "reversed"), AFF_OK);
    AFF_CHECK_INT(aff_store_conversion_get(ts.st, id1, c), AFF_OK);
    AFF_CHECK_INT(c->refunded_minor, 4990);
    AFF_CHECK_STR(c->status, "reversed");
    free(c);
    aff_test_store_close(&ts);
}

AFF_TEST(store_conversion_list_filters_paging)
{
    aff_test_store ts;
    OPEN_OR_RETURN(&ts);
    int64_t id[6];
    AFF_CHECK_INT(add_conversion_rc(ts.st, 1, "sale", "a", 100, "pending", 10, 0, 0, &id[0]), AFF_OK);
    AFF_CHECK_INT(add_conversion_rc(ts.st, 1, "sale", "b", 100, "approved", 11, 0, 0, &id[1]), AFF_OK);
    AFF_CHECK_INT(add_conversion_rc(ts.st, 2, "sale", "c", 100, "pending", 10, 0, 0, &id[2]), AFF_OK);
    AFF_CHECK_INT(add_conversion_rc(ts.st, 1, "sale", "d", 100, "rejected", 10, 0, 0, &id[3]), AFF_OK);
    AFF_CHECK_INT(add_conversion_rc(ts.st, 1, "sale", "e", 100, "pending", 10, 1, 0, &id[4]), AFF_OK);
    AFF_CHECK_INT(add_conversion_rc(ts.st, 2, "sale", "f", 100, "approved", 11, 0, 0, &id[5]), AFF_OK);
    ids got = {0};
    aff_list_query q = q_page(0, 0);
    AFF_CHECK_INT(aff_store_conversion_list(ts.st, &q, cb_conversion, &got), AFF_OK);
    EXPECT_IDS(&got, id[0], id[1], id[2], id[3], id[4], id[5]);
    memset(&got, 0, sizeof(got));
    q.program_id = 1;
    AFF_CHECK_INT(aff_store_conversion_list(ts.st, &q, cb_conversion, &got), AFF_OK);
    EXPECT_IDS(&got, id[0], id[1], id[3], id[4]);
    memset(&got, 0, sizeof(got));
    q.affiliate_id = 10;
    AFF_CHECK_INT(aff_store_conversion_list(ts.st, &q, cb_conversion, &got), AFF_OK);
    EXPECT_IDS(&got, id[0], id[3], id[4]);
    memset(&got, 0, sizeof(got));
    q.status = "pending";
    AFF_CHECK_INT(aff_store_conversion_list(ts.st, &q, cb_conversion, &got), AFF_OK);
    EXPECT_IDS(&got, id[0], id[4]);
    memset(&got, 0, sizeof(got));
    q = q_page(0, 0);
    q.status = "approved";
    AFF_CHECK_INT(aff_store_conversion_list(ts.st, &q, cb_conversion, &got), AFF_OK);
    EXPECT_IDS(&got, id[1], id[5]);
    memset(&got, 0, sizeof(got));
    q = q_page(id[1], 3);
    AFF_CHECK_INT(aff_store_conversion_list(ts.st, &q, cb_conversion, &got), AFF_OK);
    EXPECT_IDS(&got, id[2], id[3], id[4]);
    memset(&got, 0, sizeof(got));
    q = q_page(id[4], 3);
    AFF_CHECK_INT(aff_store_conversion_list(ts.st, &q, cb_conversion, &got), AFF_OK);
    EXPECT_IDS(&got, id[5]);
    aff_test_store_close(&ts);
}

AFF_TEST(store_customer_put_get)
{
    aff_test_store ts;
    OPEN_OR_RETURN(&ts);
    int64_t aff = -1, link = -1;
    AFF_CHECK_INT(aff_store_customer_get(ts.st, 1, "c:42", &aff, &link), AFF_ENOTFOUND);
    AFF_CHECK_INT(aff_store_customer_put(ts.st, 1, "c:42", 10, 100, T0), AFF_OK);
    AFF_CHECK_INT(aff_store_customer_get(ts.st, 1, "c:42", &aff, &link), AFF_OK);
    AFF_CHECK_INT(aff, 10);
    AFF_CHECK_INT(link, 100);
    /* per program */
    AFF_CHECK_INT(aff_store_customer_get(ts.st, 2, "c:42", &aff, &link), AFF_ENOTFOUND);
    /* upsert */
    AFF_CHECK_INT(aff_store_customer_put(ts.st, 1, "c:42", 11, 0, T0 + 5), AFF_OK);
    AFF_CHECK_INT(aff_store_customer_get(ts.st, 1, "c:42", &aff, &link), AFF_OK);
    AFF_CHECK_INT(aff, 11);
    AFF_CHECK_INT(link, 0);
    AFF_CHECK_INT(aff_store_customer_get(ts.st, 1, "e:42", &aff, &link), AFF_ENOTFOUND);
    aff_test_store_close(&ts);
}

static int cb_payout_count(void *ud, const aff_payout_row *r)
{
    (void)r;
    (*(int *)ud)++;
    return 0;
}

AFF_TEST(store_ledger_insert_list_filters)
{
    aff_test_store ts;
    OPEN_OR_RETURN(&ts);
    int64_t l1 = add_ledger(ts.st, 1, 1, 10, 499, "commission", "pending");
    int64_t l2 = add_ledger(ts.st, 2, 1, 11, 200, "commission", "approved");
    int64_t l3 = add_ledger(ts.st, 1, 1, 10, -100, "reversal", "pending");
    int64_t l4 = add_ledger(ts.st, 3, 2, 10, 50, "commission", "rejected");
    int64_t l5 = add_ledger(ts.st, 1, 1, 10, -399, "reversal", "pending");
    AFF_CHECK(l1 > 0 && l2 > l1 && l3 > l2 && l4 > l3 && l5 > l4);

    ids got = {0};
    aff_list_query q = q_page(0, 0);
    q.conversion_id = 1;
    AFF_CHECK_INT(aff_store_ledger_list(ts.st, &q, cb_ledger, &got), AFF_OK);
    EXPECT_IDS(&got, l1, l3, l5);
    memset(&got, 0, sizeof(got));
    q = q_page(0, 0);
    q.affiliate_id = 10;
    AFF_CHECK_INT(aff_store_ledger_list(ts.st, &q, cb_ledger, &got), AFF_OK);
    EXPECT_IDS(&got, l1, l3, l4, l5);
    memset(&got, 0, sizeof(got));
    q.program_id = 1;
    AFF_CHECK_INT(aff_store_ledger_list(ts.st, &q, cb_ledger, &got), AFF_OK);
    EXPECT_IDS(&got, l1, l3, l5);
    memset(&got, 0, sizeof(got));
    q = q_page(0, 0);
    q.status = "pending";
    AFF_CHECK_INT(aff_store_ledger_list(ts.st, &q, cb_ledger, &got), AFF_OK);
    EXPECT_IDS(&got, l1, l3, l5);
    memset(&got, 0, sizeof(got));
    q = q_page(l1, 2);
    AFF_CHECK_INT(aff_store_ledger_list(ts.st, &q, cb_ledger, &got), AFF_OK);
    EXPECT_IDS(&got, l2, l3);

    /* payouts belong to the payout engine: the list exists and is empty */
    int npayouts = 0;
    q = q_page(0, 0);
    AFF_CHECK_INT(aff_store_payout_list(ts.st, &q, cb_payout_count, &npayouts), AFF_OK);
    AFF_CHECK_INT(npayouts, 0);

    aff_test_store_close(&ts);
}

static int cb_ledger_copy(void *ud, const aff_ledger_row *r)
{
    *(aff_ledger_row *)ud = *r;
    return 1;
}

AFF_TEST(store_ledger_row_roundtrip)
{
    aff_test_store ts;
    OPEN_OR_RETURN(&ts);
    int64_t id = add_ledger(ts.st, 7, 3, 12, -42, "reversal", "approved");
    aff_ledger_row r;
    memset(&r, 0, sizeof(r));
    aff_list_query q = q_page(0, 1);
    AFF_CHECK_INT(aff_store_ledger_list(ts.st, &q, cb_ledger_copy, &r), AFF_OK);
    AFF_CHECK_INT(r.id, id);
    AFF_CHECK_INT(r.conversion_id, 7);
    AFF_CHECK_INT(r.program_id, 3);
    AFF_CHECK_INT(r.affiliate_id, 12);
    AFF_CHECK_INT(r.amount_minor, -42);
    AFF_CHECK_STR(r.currency, "EUR");
    AFF_CHECK_STR(r.kind, "reversal");
    AFF_CHECK_STR(r.rule, "sale:percent");
    AFF_CHECK_INT(r.plan_version, 3);
    AFF_CHECK_STR(r.status, "approved");
    AFF_CHECK_INT(r.payout_id, 0);
    AFF_CHECK_INT(r.created_ms, T0 + 6);
    aff_test_store_close(&ts);
}

/* The multi-row insert writes plain chunks without the screening columns and chunks
 * holding a screened or located click with them: every field reads back either way. */
/* 32 + 32 + 16 + 8 + 4 + 2 + 1 rows, some wide (screened, with asn and country): each
 * statement size once plain and once wide over the two layouts. */
static void insert_many_and_read_back(const int *wide, size_t nwide)
{
    aff_test_store ts;
    OPEN_OR_RETURN(&ts);
    enum { N = 95 };
    aff_click_row *rows = calloc(N, sizeof(*rows));
    const aff_click_row *ptrs[N];
    for (int n = 0; n < N; n++) {
        aff_click_row *c = &rows[n];
        click_id_for(n + 1, c->click_id);
        c->ts_ms = T0 + n;
        c->program_id = 1;
        c->affiliate_id = 10;
        c->link_id = 100;
        snprintf(c->ip, sizeof(c->ip), "127.0.0.%d", n + 1);
        snprintf(c->user_agent, sizeof(c->user_agent), "agent/%d", n % 3);
        c->flags = n % 2 ? AFF_CLICK_UNIQUE : 0;
        for (size_t w = 0; w < nwide; w++)
            if (wide[w] == n) {
                c->flags |= AFF_CLICK_BOT;
                c->reason = 101;
                c->asn = 16509;
                memcpy(c->country, "DE", 3);
            }
        ptrs[n] = c;
    }
    AFF_CHECK_INT(aff_store_click_insert_many(ts.st, ptrs, N), AFF_OK);
    aff_click_row *got = calloc(1, sizeof(*got));
    for (int n = 0; n < N; n++) {
        AFF_CHECK_INT(aff_store_click_get(ts.st, rows[n].click_id, got), AFF_OK);
        AFF_CHECK_INT(got->ts_ms, T0 + n);
        AFF_CHECK_STR(got->ip, rows[n].ip);
        AFF_CHECK_INT(got->flags, rows[n].flags);
        AFF_CHECK_INT(got->reason, rows[n].reason);
        AFF_CHECK_INT(got->asn, rows[n].asn);
        AFF_CHECK_STR(got->country, rows[n].country);
        AFF_CHECK_STR(got->user_agent, rows[n].user_agent);
    }
    free(got);
    free(rows);
    aff_test_store_close(&ts);
}

AFF_TEST(store_click_insert_many_plain_and_wide_chunks)
{
    /* chunks: 0-31, 32-63 (32 rows), 64-79 (16), 80-87 (8), 88-91 (4), 92-93 (2), 94 */
    const int a[] = {40, 66, 85, 93, 94}; /* wide 32, 16, 8, 2, 1; plain 32, 4 */
    const int b[] = {10, 90};             /* wide 32, 4; plain 32, 16, 8, 2, 1 */
    insert_many_and_read_back(a, sizeof(a) / sizeof(a[0]));
    insert_many_and_read_back(b, sizeof(b) / sizeof(b[0]));
}

/* Click n with user agent ua: insert, or read back its user agent. */
static int click_with_ua(aff_store *st, int n, const char *ua)
{
    aff_click_row *c = calloc(1, sizeof(*c));
    click_id_for(n, c->click_id);
    c->ts_ms = T0 + n * 1000;
    c->program_id = c->affiliate_id = c->link_id = 1;
    snprintf(c->ip, sizeof(c->ip), "198.51.100.1");
    snprintf(c->user_agent, sizeof(c->user_agent), "%s", ua);
    int rc = aff_store_click_insert(st, c);
    free(c);
    return rc;
}

static void check_click_ua(aff_store *st, int n, const char *want)
{
    aff_click_row *c = calloc(1, sizeof(*c));
    char id[AFF_CLICK_ID_LEN + 1];
    click_id_for(n, id);
    AFF_CHECK_INT(aff_store_click_get(st, id, c), AFF_OK);
    AFF_CHECK_STR(c->user_agent, want);
    free(c);
}

/* The user-agent cache must not keep ids whose rows a rollback undid: the next new agent
 * reuses such an id, and a stale entry would file clicks under the wrong agent. */
AFF_TEST(store_user_agent_ids_survive_commits_and_forget_rollbacks)
{
    aff_test_store ts;
    OPEN_OR_RETURN(&ts);
    aff_store *st = ts.st;
    AFF_CHECK_INT(aff_store_begin(st), AFF_OK);
    AFF_CHECK_INT(click_with_ua(st, 1, "agent/kept"), AFF_OK);
    AFF_CHECK_INT(aff_store_commit(st), AFF_OK);
    /* a whole transaction undone */
    AFF_CHECK_INT(aff_store_begin(st), AFF_OK);
    AFF_CHECK_INT(click_with_ua(st, 2, "agent/undone"), AFF_OK);
    AFF_CHECK_INT(aff_store_rollback(st), AFF_OK);
    AFF_CHECK_INT(aff_store_begin(st), AFF_OK);
    AFF_CHECK_INT(click_with_ua(st, 3, "agent/other"), AFF_OK); /* takes the undone id */
    AFF_CHECK_INT(click_with_ua(st, 4, "agent/undone"), AFF_OK);
    AFF_CHECK_INT(click_with_ua(st, 5, "agent/kept"), AFF_OK);
    AFF_CHECK_INT(aff_store_commit(st), AFF_OK);
    /* a savepoint undone inside a transaction that commits */
    AFF_CHECK_INT(aff_store_begin(st), AFF_OK);
    AFF_CHECK_INT(aff_store_savepoint(st), AFF_OK);
    AFF_CHECK_INT(click_with_ua(st, 6, "agent/job"), AFF_OK);
    AFF_CHECK_INT(aff_store_rollback_to(st), AFF_OK);
    AFF_CHECK_INT(aff_store_release(st), AFF_OK);
    AFF_CHECK_INT(click_with_ua(st, 7, "agent/next"), AFF_OK);
    AFF_CHECK_INT(click_with_ua(st, 8, "agent/job"), AFF_OK);
    AFF_CHECK_INT(aff_store_commit(st), AFF_OK);
    /* after a rollback that added nothing, committed agents still resolve */
    AFF_CHECK_INT(aff_store_begin(st), AFF_OK);
    AFF_CHECK_INT(click_with_ua(st, 9, "agent/kept"), AFF_OK);
    AFF_CHECK_INT(aff_store_rollback(st), AFF_OK);
    AFF_CHECK_INT(click_with_ua(st, 10, "agent/kept"), AFF_OK);
    /* an agent inserted, the cache emptied by a ROLLBACK TO, the agent found again in the
     * store (uncommitted), then the whole transaction undone */
    AFF_CHECK_INT(aff_store_begin(st), AFF_OK);
    AFF_CHECK_INT(click_with_ua(st, 11, "agent/x"), AFF_OK);
    AFF_CHECK_INT(aff_store_savepoint(st), AFF_OK);
    AFF_CHECK_INT(click_with_ua(st, 12, "agent/y"), AFF_OK);
    AFF_CHECK_INT(aff_store_rollback_to(st), AFF_OK);
    AFF_CHECK_INT(aff_store_release(st), AFF_OK);
    AFF_CHECK_INT(click_with_ua(st, 13, "agent/x"), AFF_OK);
    AFF_CHECK_INT(aff_store_rollback(st), AFF_OK);
    AFF_CHECK_INT(aff_store_begin(st), AFF_OK);
    AFF_CHECK_INT(click_with_ua(st, 14, "agent/z"), AFF_OK); /* takes agent/x's undone id */
    AFF_CHECK_INT(click_with_ua(st, 15, "agent/x"), AFF_OK);
    AFF_CHECK_INT(aff_store_commit(st), AFF_OK);
    static const struct {
        int n;
        const char *ua;
    } want[] = {{1, "agent/kept"}, {3, "agent/other"}, {4, "agent/undone"}, {5, "agent/kept"}, {7, "agent/next"},
                {8, "agent/job"},  {10, "agent/kept"}, {14, "agent/z"},     {15, "agent/x"}};
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        check_click_ua(st, want[i].n, want[i].ua);
    aff_test_store_close(&ts);
}
