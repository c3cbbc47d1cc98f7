/* test_store_content.c - unit tests for src/store/sqlite_content.c through the store.h
 * wrappers: program terms (defaults, replace), applications (the affiliate's status and
 * filters), which programs an affiliate belongs to, creatives (the image bytes apart from
 * the row, delete), announcements (newest first, "all programs" rows, membership). */
#include "store_rows.h"

static int64_t add_application_kind(aff_store *st, int64_t aff, int64_t program, int signup)
{
    aff_application_row a;
    memset(&a, 0, sizeof(a));
    a.signup = signup;
    a.affiliate_id = aff;
    a.program_id = program;
    snprintf(a.website, sizeof(a.website), "https://blog.example/%lld", (long long)aff);
    snprintf(a.promotion, sizeof(a.promotion), "line 1\nline 2");
    a.terms_version = 3;
    snprintf(a.terms_hash, sizeof(a.terms_hash), "%064d", 7);
    a.terms_accepted_ms = T0 + 5;
    a.created_ms = T0 + 6;
    AFF_CHECK_INT(aff_store_application_insert(st, &a), AFF_OK);
    AFF_CHECK(a.id > 0);
    return a.id;
}

/* A sign-up's application (decided by its affiliate's status). */
static int64_t add_application(aff_store *st, int64_t aff, int64_t program)
{
    return add_application_kind(st, aff, program, 1);
}

typedef struct cids {
    int64_t v[16];
    int n;
} cids;

static int collect_app(void *ud, const aff_application_row *r)
{
    cids *x = ud;
    if (x->n < 16)
        x->v[x->n++] = r->id;
    return 0;
}
static int collect_creative(void *ud, const aff_creative_row *r)
{
    cids *x = ud;
    if (x->n < 16)
        x->v[x->n++] = r->id;
    return 0;
}
static int collect_announcement(void *ud, const aff_announcement_row *r)
{
    cids *x = ud;
    if (x->n < 16)
        x->v[x->n++] = r->id;
    return 0;
}
static int collect_member(void *ud, int64_t program_id, int64_t link_id)
{
    cids *x = ud;
    if (x->n < 15) {
        x->v[x->n++] = program_id;
        x->v[x->n++] = link_id;
    }
    return 0;
}

AFF_TEST(store_terms_default_then_replace)
{
    aff_test_store ts;
    OPEN_OR_RETURN(&ts);
    int64_t pid = add_program(ts.st, "Shop", "tok-t", "{}");
    aff_terms_row *t = calloc(1, sizeof(*t));
    memset(t, 0x5a, sizeof(*t));
    AFF_CHECK_INT(aff_store_terms_get(ts.st, pid, t), AFF_OK);
    AFF_CHECK(t->program_id == pid);
    AFF_CHECK_INT(t->version, 0);
    AFF_CHECK_INT(t->applications_open, 0);
    AFF_CHECK_STR(t->terms, "");
    AFF_CHECK_STR(t->description, "");
    snprintf(t->terms, sizeof(t->terms), "No spam.\nNo bidding.");
    snprintf(t->description, sizeof(t->description), "Shoes");
    snprintf(t->hash, sizeof(t->hash), "%064d", 1);
    t->version = 1;
    t->applications_open = 1;
    t->updated_ms = T0 + 9;
    AFF_CHECK_INT(aff_store_terms_put(ts.st, t), AFF_OK);
    t->version = 2; /* replaced, not added */
    AFF_CHECK_INT(aff_store_terms_put(ts.st, t), AFF_OK);
    aff_terms_row *u = calloc(1, sizeof(*u));
    AFF_CHECK_INT(aff_store_terms_get(ts.st, pid, u), AFF_OK);
    AFF_CHECK_STR(u->terms, "No spam.\nNo bidding.");
    AFF_CHECK_STR(u->description, "Shoes");
    AFF_CHECK_INT(u->version, 2);
    AFF_CHECK_INT(u->applications_open, 1);
    AFF_CHECK(u->updated_ms == T0 + 9);
    AFF_CHECK_STR(u->hash, t->hash);
    free(u);
    free(t);
    aff_test_store_close(&ts);
}

AFF_TEST(store_applications_list_filters_and_membership)
{
    aff_test_store ts;
    OPEN_OR_RETURN(&ts);
    int64_t p1 = add_program(ts.st, "One", "tok-a1", "{}");
    int64_t p2 = add_program(ts.st, "Two", "tok-a2", "{}");
    int64_t p3 = add_program(ts.st, "Three", "tok-a3", "{}");
    int64_t ann = add_affiliate(ts.st, "ann", "pending", 0);
    int64_t bob = add_affiliate(ts.st, "bob", "approved", 0);
    int64_t a1 = add_application(ts.st, ann, p1);
    int64_t a2 = add_application(ts.st, bob, p2);
    int64_t link = 0;
    AFF_CHECK_INT(add_link_rc(ts.st, "bob-three", p3, bob, &link), AFF_OK);

    aff_list_query q = {.limit = 10};
    cids x = {0};
    AFF_CHECK_INT(aff_store_application_list(ts.st, &q, collect_app, &x), AFF_OK);
    AFF_CHECK_INT(x.n, 2);
    AFF_CHECK(x.v[0] == a1 && x.v[1] == a2);
    q.status = "pending";
    x.n = 0;
    AFF_CHECK_INT(aff_store_application_list(ts.st, &q, collect_app, &x), AFF_OK);
    AFF_CHECK(x.n == 1 && x.v[0] == a1);
    q.status = NULL;
    q.program_id = p2;
    x.n = 0;
    AFF_CHECK_INT(aff_store_application_list(ts.st, &q, collect_app, &x), AFF_OK);
    AFF_CHECK(x.n == 1 && x.v[0] == a2);
    q.program_id = 0;
    q.after = a1;
    x.n = 0;
    AFF_CHECK_INT(aff_store_application_list(ts.st, &q, collect_app, &x), AFF_OK);
    AFF_CHECK(x.n == 1 && x.v[0] == a2);

    /* Bob belongs to p2 (applied, no link) and p3 (a link); Ann to p1 only. */
    x.n = 0;
    AFF_CHECK_INT(aff_store_member_list(ts.st, bob, collect_member, &x), AFF_OK);
    AFF_CHECK_INT(x.n, 4);
    AFF_CHECK(x.v[0] == p2 && x.v[1] == 0 && x.v[2] == p3 && x.v[3] == link);
    x.n = 0;
    AFF_CHECK_INT(aff_store_member_list(ts.st, ann, collect_member, &x), AFF_OK);
    AFF_CHECK(x.n == 2 && x.v[0] == p1 && x.v[1] == 0);
    aff_test_store_close(&ts);
}

AFF_TEST(store_creatives_image_apart_list_membership_delete)
{
    aff_test_store ts;
    OPEN_OR_RETURN(&ts);
    int64_t p1 = add_program(ts.st, "One", "tok-c1", "{}");
    int64_t p2 = add_program(ts.st, "Two", "tok-c2", "{}");
    int64_t ann = add_affiliate(ts.st, "ann", "approved", 0);
    int64_t link = 0;
    AFF_CHECK_INT(add_link_rc(ts.st, "ann-one", p1, ann, &link), AFF_OK);

    static const unsigned char bytes[] = {0x89, 'P', 'N', 'G', 0, 1, 2, 0, 255};
    aff_creative_row *c = calloc(1, sizeof(*c));
    c->program_id = p1;
    snprintf(c->kind, sizeof(c->kind), "image");
    snprintf(c->name, sizeof(c->name), "Banner");
    snprintf(c->mime, sizeof(c->mime), "image/png");
    c->width = 300, c->height = 250, c->bytes = sizeof(bytes);
    snprintf(c->sha256, sizeof(c->sha256), "%064d", 42);
    c->image = bytes;
    c->created_ms = T0 + 3;
    AFF_CHECK_INT(aff_store_creative_insert(ts.st, c), AFF_OK);
    int64_t img = c->id;
    memset(c, 0, sizeof(*c));
    c->program_id = p2;
    snprintf(c->kind, sizeof(c->kind), "text");
    snprintf(c->name, sizeof(c->name), "Tweet");
    snprintf(c->body, sizeof(c->body), "Buy at {link}");
    AFF_CHECK_INT(aff_store_creative_insert(ts.st, c), AFF_OK);
    int64_t txt = c->id;

    aff_creative_row *g = calloc(1, sizeof(*g));
    AFF_CHECK_INT(aff_store_creative_get(ts.st, img, g), AFF_OK);
    AFF_CHECK_STR(g->name, "Banner");
    AFF_CHECK_STR(g->mime, "image/png");
    AFF_CHECK(g->width == 300 && g->height == 250 && g->bytes == (int64_t)sizeof(bytes) && g->image == NULL);
    unsigned char *data = NULL;
    size_t len = 0;
    char mime[16], sha[65];
    AFF_CHECK_INT(aff_store_creative_image(ts.st, img, &data, &len, mime, sha), AFF_OK);
    AFF_CHECK(len == sizeof(bytes) && data != NULL && memcmp(data, bytes, len) == 0);
    AFF_CHECK_STR(mime, "image/png");
    AFF_CHECK_STR(sha, g->sha256);
    free(data);
    data = NULL;
    AFF_CHECK_INT(aff_store_creative_image(ts.st, txt, &data, &len, mime, sha), AFF_ENOTFOUND);
    AFF_CHECK(data == NULL);
    AFF_CHECK_INT(aff_store_creative_get(ts.st, txt, g), AFF_OK);
    AFF_CHECK_STR(g->body, "Buy at {link}");

    aff_list_query q = {.limit = 10};
    cids x = {0};
    AFF_CHECK_INT(aff_store_creative_list(ts.st, &q, collect_creative, &x), AFF_OK);
    AFF_CHECK(x.n == 2 && x.v[0] == img && x.v[1] == txt);
    q.affiliate_id = ann; /* ann belongs to p1 only */
    x.n = 0;
    AFF_CHECK_INT(aff_store_creative_list(ts.st, &q, collect_creative, &x), AFF_OK);
    AFF_CHECK(x.n == 1 && x.v[0] == img);
    q.program_id = p2;
    x.n = 0;
    AFF_CHECK_INT(aff_store_creative_list(ts.st, &q, collect_creative, &x), AFF_OK);
    AFF_CHECK_INT(x.n, 0);

    AFF_CHECK_INT(aff_store_creative_delete(ts.st, img), AFF_OK);
    AFF_CHECK_INT(aff_store_creative_delete(ts.st, img), AFF_ENOTFOUND);
    AFF_CHECK_INT(aff_store_creative_get(ts.st, img, g), AFF_ENOTFOUND);
    AFF_CHECK_INT(aff_store_creative_image(ts.st, img, &data, &len, mime, sha), AFF_ENOTFOUND);
    free(g);
    free(c);
    aff_test_store_close(&ts);
}

static int64_t add_announcement(aff_store *st, int64_t program, const char *title)
{
    aff_announcement_row a;
    memset(&a, 0, sizeof(a));
    a.program_id = program;
    snprintf(a.title, sizeof(a.title), "%s", title);
    snprintf(a.body, sizeof(a.body), "body of %s", title);
    a.created_ms = T0 + 7;
    AFF_CHECK_INT(aff_store_announcement_insert(st, &a), AFF_OK);
    return a.id;
}

AFF_TEST(store_announcements_sort_both_ways_and_membership)
{
    aff_test_store ts;
    OPEN_OR_RETURN(&ts);
    int64_t p1 = add_program(ts.st, "One", "tok-n1", "{}");
    int64_t p2 = add_program(ts.st, "Two", "tok-n2", "{}");
    int64_t ann = add_affiliate(ts.st, "ann", "approved", 0);
    add_application(ts.st, ann, p1);
    int64_t all = add_announcement(ts.st, 0, "all");
    int64_t one = add_announcement(ts.st, p1, "one");
    int64_t two = add_announcement(ts.st, p2, "two");

    aff_list_query q = {.limit = 10};
    cids x = {0};
    AFF_CHECK_INT(aff_store_announcement_list(ts.st, &q, collect_announcement, &x), AFF_OK);
    AFF_CHECK(x.n == 3 && x.v[0] == all && x.v[1] == one && x.v[2] == two); /* id order, like every list */
    q.after = all;
    x.n = 0;
    AFF_CHECK_INT(aff_store_announcement_list(ts.st, &q, collect_announcement, &x), AFF_OK);
    AFF_CHECK(x.n == 2 && x.v[0] == one && x.v[1] == two);
    q.desc = 1; /* newest first (the API's default), the next page older than the last shown */
    q.after = one;
    x.n = 0;
    AFF_CHECK_INT(aff_store_announcement_list(ts.st, &q, collect_announcement, &x), AFF_OK);
    AFF_CHECK(x.n == 1 && x.v[0] == all);
    q.after = 0;
    q.program_id = p2; /* the admin's filter: that program only */
    x.n = 0;
    AFF_CHECK_INT(aff_store_announcement_list(ts.st, &q, collect_announcement, &x), AFF_OK);
    AFF_CHECK(x.n == 1 && x.v[0] == two);
    q.program_id = 0;
    q.affiliate_id = ann; /* ann: its program and the ones to all */
    x.n = 0;
    AFF_CHECK_INT(aff_store_announcement_list(ts.st, &q, collect_announcement, &x), AFF_OK);
    AFF_CHECK(x.n == 2 && x.v[0] == one && x.v[1] == all);
    q.program_id = p2; /* not ann's program: only the ones to all */
    x.n = 0;
    AFF_CHECK_INT(aff_store_announcement_list(ts.st, &q, collect_announcement, &x), AFF_OK);
    AFF_CHECK(x.n == 1 && x.v[0] == all);

    aff_announcement_row g;
    AFF_CHECK_INT(aff_store_announcement_get(ts.st, one, &g), AFF_OK);
    AFF_CHECK_STR(g.title, "one");
    AFF_CHECK_STR(g.body, "body of one");
    AFF_CHECK(g.program_id == p1);
    AFF_CHECK_INT(aff_store_announcement_delete(ts.st, one), AFF_OK);
    AFF_CHECK_INT(aff_store_announcement_delete(ts.st, one), AFF_ENOTFOUND);
    AFF_CHECK_INT(aff_store_announcement_get(ts.st, one, &g), AFF_ENOTFOUND);
    aff_test_store_close(&ts);
}

AFF_TEST(store_application_of_an_existing_affiliate_is_decided_by_itself)
{
    aff_test_store ts;
    OPEN_OR_RETURN(&ts);
    int64_t p1 = add_program(ts.st, "One", "tok-d1", "{}");
    int64_t p2 = add_program(ts.st, "Two", "tok-d2", "{}");
    int64_t ann = add_affiliate(ts.st, "ann", "approved", 0);
    int64_t link = 0;
    AFF_CHECK_INT(add_link_rc(ts.st, "ann-d", p1, ann, &link), AFF_OK);
    int64_t later = add_application_kind(ts.st, ann, p2, 0);
    int64_t signup = add_application(ts.st, add_affiliate(ts.st, "cid", "pending", 0), p2);

    aff_application_row *r = calloc(1, sizeof(*r));
    AFF_CHECK_INT(aff_store_application_get(ts.st, later, r), AFF_OK);
    AFF_CHECK_STR(r->status, "pending"); /* its own, though ann is approved */
    AFF_CHECK_INT(r->signup, 0);
    AFF_CHECK_STR(r->promotion, "line 1\nline 2");
    AFF_CHECK_STR(r->name, "ann");
    AFF_CHECK_INT(aff_store_application_get(ts.st, signup, r), AFF_OK);
    AFF_CHECK_STR(r->status, "pending"); /* the affiliate's */
    AFF_CHECK_INT(r->signup, 1);
    AFF_CHECK_INT(aff_store_application_get(ts.st, 999, r), AFF_ENOTFOUND);

    /* pending: not a member of p2 yet */
    cids x = {0};
    AFF_CHECK_INT(aff_store_member_list(ts.st, ann, collect_member, &x), AFF_OK);
    AFF_CHECK(x.n == 2 && x.v[0] == p1 && x.v[1] == link);
    AFF_CHECK_INT(aff_store_application_set_status(ts.st, later, "approved", T0 + 8), AFF_OK);
    AFF_CHECK_INT(aff_store_application_set_status(ts.st, signup, "approved", T0 + 8), AFF_ENOTFOUND);
    x.n = 0;
    AFF_CHECK_INT(aff_store_member_list(ts.st, ann, collect_member, &x), AFF_OK);
    AFF_CHECK(x.n == 4 && x.v[0] == p1 && x.v[2] == p2 && x.v[3] == 0);
    AFF_CHECK_INT(aff_store_application_get(ts.st, later, r), AFF_OK);
    AFF_CHECK_STR(r->status, "approved");
    AFF_CHECK(r->decided_ms == T0 + 8);

    /* the status filter reads the effective status of both kinds */
    aff_list_query q = {.limit = 10, .status = "approved"};
    x.n = 0;
    AFF_CHECK_INT(aff_store_application_list(ts.st, &q, collect_app, &x), AFF_OK);
    AFF_CHECK(x.n == 1 && x.v[0] == later);
    q.status = "pending";
    x.n = 0;
    AFF_CHECK_INT(aff_store_application_list(ts.st, &q, collect_app, &x), AFF_OK);
    AFF_CHECK(x.n == 1 && x.v[0] == signup);
    AFF_CHECK_INT(aff_store_application_set_status(ts.st, later, "rejected", T0 + 9), AFF_OK);
    x.n = 0;
    AFF_CHECK_INT(aff_store_member_list(ts.st, ann, collect_member, &x), AFF_OK);
    AFF_CHECK_INT(x.n, 2);
    free(r);
    aff_test_store_close(&ts);
}
