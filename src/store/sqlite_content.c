/*
 * sqlite_content.c - the SQLite backend's affiliate-portal content: a program's public
 * page (description, terms, applications open), applications, creatives (banners as
 * blobs, texts) and announcements (docs/api.md "Portal content").
 *
 * Owns: the SQL of the tables of migration 7 and the rule of which programs an
 * affiliate belongs to (MEMBER_OF below: it has a link in them or applied to them).
 * Does not own: validation (api/content.c bounds every field to store.h's sizes first),
 * image sniffing (core/image.c), who may see what beyond that membership rule.
 *
 * These calls are rare (admin edits, portal page loads, a banner fetch that browsers
 * cache), so each prepares its statement, runs it and finalizes it instead of keeping
 * a statement table in store_sqlite.c; sorted, searched or cursor-paged lists go
 * through their shapes (sqlite_sorted.c) and its statement cache. Writes run in the
 * writer's transaction.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "store/sqlite_int.h"

/* Programs of affiliate ?N: one with a link in it, the one it applied to when it signed
 * up (the affiliate's own status gates what it sees), or one whose later application
 * an admin approved. */
#define MEMBER_PROGRAMS(n)                                                                             \
    "SELECT program_id FROM link WHERE affiliate_id = ?" n " UNION SELECT program_id FROM application" \
    " WHERE affiliate_id = ?" n " AND (signup = 1 OR status = 'approved')"
#define MEMBER_OF(n) "program_id IN (" MEMBER_PROGRAMS(n) ")"
/* The same as a filter of a sorted list's shape (each `?` is the affiliate). */
#define MEMBER_FILTER                                                                                \
    "program_id IN (SELECT program_id FROM link WHERE affiliate_id = ? UNION SELECT program_id FROM" \
    " application WHERE affiliate_id = ? AND (signup = 1 OR status = 'approved'))"
#define OFF(type, member) offsetof(type, member)

static sqlite3_stmt *prepare(aff_store *st, const char *sql)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(aff_sq_db(st), sql, -1, &q, NULL) != SQLITE_OK) {
        sqlite3_finalize(q);
        return NULL;
    }
    return q;
}

/* Run a statement that returns no rows, then finalize it. */
static int exec_once(sqlite3_stmt *q)
{
    int rc = exec_stmt(q);
    sqlite3_finalize(q);
    return rc;
}

static int get_once(sqlite3_stmt *q, void *row, void (*read)(sqlite3_stmt *, void *))
{
    int rc = get_one(q, row, read);
    sqlite3_finalize(q);
    return rc;
}

static int list_once(sqlite3_stmt *q, size_t size, void (*read)(sqlite3_stmt *, void *),
                     int (*cb)(void *, const void *), void *ud)
{
    int rc = run_list_alloc(q, size, read, cb, ud);
    sqlite3_finalize(q);
    return rc;
}

static int delete_by_id(aff_store *st, const char *sql, int64_t id)
{
    sqlite3_stmt *q = prepare(st, sql);
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, id);
    int rc = exec_once(q);
    if (rc == 0 && sqlite3_changes(aff_sq_db(st)) == 0)
        rc = AFF_ENOTFOUND;
    return rc;
}

/* ---- program terms ------------------------------------------------------------------- */

static void read_terms(sqlite3_stmt *q, void *v)
{
    aff_terms_row *r = v;
    r->program_id = col_i64(q, 0);
    col_text(q, 1, r->description, sizeof(r->description));
    col_text(q, 2, r->terms, sizeof(r->terms));
    r->version = (int)col_i64(q, 3);
    col_text(q, 4, r->hash, sizeof(r->hash));
    r->applications_open = (int)col_i64(q, 5);
    r->updated_ms = col_i64(q, 6);
}

int aff_sq_terms_get(aff_store *st, int64_t program_id, aff_terms_row *r)
{
    sqlite3_stmt *q = prepare(st, "SELECT program_id, description, terms, version, hash, applications_open, updated_ms"
                                  " FROM program_terms WHERE program_id = ?1");
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, program_id);
    int rc = get_once(q, r, read_terms);
    if (rc == AFF_ENOTFOUND) {
        memset(r, 0, sizeof(*r));
        r->program_id = program_id;
        rc = 0;
    }
    return rc;
}

int aff_sq_terms_put(aff_store *st, const aff_terms_row *r)
{
    sqlite3_stmt *q = prepare(st, "INSERT OR REPLACE INTO program_terms(program_id, description, terms, version, hash,"
                                  " applications_open, updated_ms) VALUES(?1,?2,?3,?4,?5,?6,?7)");
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, r->program_id);
    bind_text(q, 2, r->description);
    bind_text(q, 3, r->terms);
    sqlite3_bind_int(q, 4, r->version);
    bind_text(q, 5, r->hash);
    sqlite3_bind_int(q, 6, r->applications_open != 0);
    sqlite3_bind_int64(q, 7, r->updated_ms);
    return exec_once(q);
}

/* ---- applications -------------------------------------------------------------------- */

int aff_sq_application_insert(aff_store *st, aff_application_row *r)
{
    sqlite3_stmt *q = prepare(st, "INSERT INTO application(affiliate_id, program_id, website, promotion, terms_version,"
                                  " terms_hash, terms_accepted_ms, created_ms, signup, status, decided_ms)"
                                  " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,'pending',0)");
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, r->affiliate_id);
    sqlite3_bind_int64(q, 2, r->program_id);
    bind_text(q, 3, r->website);
    bind_text(q, 4, r->promotion);
    sqlite3_bind_int(q, 5, r->terms_version);
    bind_text(q, 6, r->terms_hash);
    sqlite3_bind_int64(q, 7, r->terms_accepted_ms);
    sqlite3_bind_int64(q, 8, r->created_ms);
    sqlite3_bind_int(q, 9, r->signup != 0);
    int rc = exec_once(q);
    if (rc == 0)
        r->id = sqlite3_last_insert_rowid(aff_sq_db(st));
    return rc;
}

static void read_application(sqlite3_stmt *q, void *v)
{
    aff_application_row *r = v;
    r->id = col_i64(q, 0);
    r->affiliate_id = col_i64(q, 1);
    r->program_id = col_i64(q, 2);
    col_text(q, 3, r->website, sizeof(r->website));
    col_text(q, 4, r->promotion, sizeof(r->promotion));
    r->terms_version = (int)col_i64(q, 5);
    col_text(q, 6, r->terms_hash, sizeof(r->terms_hash));
    r->terms_accepted_ms = col_i64(q, 7);
    r->created_ms = col_i64(q, 8);
    col_text(q, 9, r->name, sizeof(r->name));
    col_text(q, 10, r->email, sizeof(r->email));
    col_text(q, 11, r->status, sizeof(r->status));
    r->signup = (int)col_i64(q, 12);
    r->decided_ms = col_i64(q, 13);
}

/* The effective status: a sign-up's application is decided by its affiliate. */
#define APPLICATION_COLS                                                                                           \
    "a.id, a.affiliate_id, a.program_id, a.website, a.promotion, a.terms_version, a.terms_hash,"                   \
    " a.terms_accepted_ms, a.created_ms, f.name, f.email, CASE WHEN a.signup = 1 THEN f.status ELSE a.status END," \
    " a.signup, a.decided_ms FROM application a JOIN affiliate f ON f.id = a.affiliate_id"

int aff_sq_application_get(aff_store *st, int64_t id, aff_application_row *r)
{
    sqlite3_stmt *q = prepare(st, "SELECT " APPLICATION_COLS " WHERE a.id = ?1");
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, id);
    return get_once(q, r, read_application);
}

int aff_sq_application_set_status(aff_store *st, int64_t id, const char *status, int64_t decided_ms)
{
    sqlite3_stmt *q = prepare(st, "UPDATE application SET status = ?2, decided_ms = ?3 WHERE id = ?1 AND signup = 0");
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, id);
    bind_text(q, 2, status);
    sqlite3_bind_int64(q, 3, decided_ms);
    int rc = exec_once(q);
    if (rc == 0 && sqlite3_changes(aff_sq_db(st)) == 0)
        rc = AFF_ENOTFOUND;
    return rc;
}

#define APPLICATION_STATUS "CASE WHEN a.signup = 1 THEN f.status ELSE a.status END"
static const aff_sq_shape application_shape = {
    .select = "SELECT " APPLICATION_COLS,
    .id = "a.id",
    .id_off = OFF(aff_application_row, id),
    .time = "a.created_ms",
    .filter = {{"a.affiliate_id", AFF_SQ_F_AFFILIATE},
               {"a.program_id", AFF_SQ_F_PROGRAM},
               {APPLICATION_STATUS " = ?", AFF_SQ_F_STATUS}},
    .search_mode = AFF_SQ_SEARCH_CONTAINS,
    .search = {"f.name", "f.email"},
    .sort = {[AFF_SORT_CREATED] = {"a.created_ms", OFF(aff_application_row, created_ms)},
             [AFF_SORT_NAME] = {"f.name COLLATE NOCASE", OFF(aff_application_row, name)},
             [AFF_SORT_EMAIL] = {"f.email COLLATE NOCASE", OFF(aff_application_row, email)},
             [AFF_SORT_STATUS] = {APPLICATION_STATUS, OFF(aff_application_row, status)}},
    .read = read_application,
    .row_size = sizeof(aff_application_row)};

int aff_sq_application_list(aff_store *st, const aff_list_query *lq, aff_application_cb cb, void *ud)
{
    if (aff_list_sorted(lq))
        return aff_sq_sorted_list(st, &application_shape, lq, (int (*)(void *, const void *))cb, ud);
    sqlite3_stmt *q = prepare(st, "SELECT " APPLICATION_COLS " WHERE a.id > ?1"
                                  " AND (?3 = 0 OR a.program_id = ?3) AND (?4 = 0 OR a.affiliate_id = ?4)"
                                  " AND (?5 IS NULL OR CASE WHEN a.signup = 1 THEN f.status ELSE a.status END = ?5)"
                                  " ORDER BY a.id LIMIT ?2");
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, lq->after);
    sqlite3_bind_int(q, 2, list_limit(lq));
    sqlite3_bind_int64(q, 3, lq->program_id);
    sqlite3_bind_int64(q, 4, lq->affiliate_id);
    bind_opt_text(q, 5, lq->status);
    return list_once(q, sizeof(aff_application_row), read_application, (int (*)(void *, const void *))cb, ud);
}

int aff_sq_member_list(aff_store *st, int64_t affiliate_id, aff_member_cb cb, void *ud)
{
    sqlite3_stmt *q =
        prepare(st, "SELECT m.program_id, coalesce((SELECT min(l.id) FROM link l WHERE l.affiliate_id = ?1"
                    " AND l.program_id = m.program_id), 0) FROM (" MEMBER_PROGRAMS("1") ") m"
                                                                                        " ORDER BY m.program_id");
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, affiliate_id);
    int rc = 0;
    while (step_row(q, &rc)) {
        int crc = cb(ud, col_i64(q, 0), col_i64(q, 1));
        if (crc != 0) {
            rc = crc < 0 ? crc : 0;
            break;
        }
    }
    sqlite3_finalize(q);
    return rc;
}

/* ---- creatives ------------------------------------------------------------------------ */

#define CREATIVE_COLS "id, program_id, kind, name, body, mime, width, height, bytes, sha256, created_ms FROM creative"

static void read_creative(sqlite3_stmt *q, void *v)
{
    aff_creative_row *r = v;
    r->id = col_i64(q, 0);
    r->program_id = col_i64(q, 1);
    col_text(q, 2, r->kind, sizeof(r->kind));
    col_text(q, 3, r->name, sizeof(r->name));
    col_text(q, 4, r->body, sizeof(r->body));
    col_text(q, 5, r->mime, sizeof(r->mime));
    r->width = (int)col_i64(q, 6);
    r->height = (int)col_i64(q, 7);
    r->bytes = col_i64(q, 8);
    col_text(q, 9, r->sha256, sizeof(r->sha256));
    r->created_ms = col_i64(q, 10);
    r->image = NULL;
}

int aff_sq_creative_insert(aff_store *st, aff_creative_row *r)
{
    sqlite3_stmt *q =
        prepare(st, "INSERT INTO creative(program_id, kind, name, body, mime, width, height, bytes, sha256,"
                    " image, created_ms) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)");
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, r->program_id);
    bind_text(q, 2, r->kind);
    bind_text(q, 3, r->name);
    bind_text(q, 4, r->body);
    bind_text(q, 5, r->mime);
    sqlite3_bind_int(q, 6, r->width);
    sqlite3_bind_int(q, 7, r->height);
    sqlite3_bind_int64(q, 8, r->bytes);
    bind_text(q, 9, r->sha256);
    if (r->image != NULL)
        sqlite3_bind_blob64(q, 10, r->image, (sqlite3_uint64)r->bytes, SQLITE_STATIC);
    sqlite3_bind_int64(q, 11, r->created_ms);
    int rc = exec_once(q);
    if (rc == 0)
        r->id = sqlite3_last_insert_rowid(aff_sq_db(st));
    return rc;
}

int aff_sq_creative_get(aff_store *st, int64_t id, aff_creative_row *r)
{
    sqlite3_stmt *q = prepare(st, "SELECT " CREATIVE_COLS " WHERE id = ?1");
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, id);
    return get_once(q, r, read_creative);
}

int aff_sq_creative_image(aff_store *st, int64_t id, unsigned char **data, size_t *len, char mime[16], char sha256[65])
{
    sqlite3_stmt *q = prepare(st, "SELECT image, mime, sha256 FROM creative WHERE id = ?1 AND kind = 'image'");
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, id);
    int rc = 0;
    *data = NULL;
    *len = 0;
    if (step_row(q, &rc)) {
        size_t n = (size_t)sqlite3_column_bytes(q, 0);
        const void *b = sqlite3_column_blob(q, 0);
        *data = malloc(n ? n : 1);
        if (*data == NULL) {
            rc = AFF_ENOMEM;
        } else {
            if (n)
                memcpy(*data, b, n);
            *len = n;
            col_text(q, 1, mime, 16);
            col_text(q, 2, sha256, 65);
        }
    } else if (rc == 0) {
        rc = AFF_ENOTFOUND;
    }
    sqlite3_finalize(q);
    return rc;
}

static const aff_sq_shape creative_shape = {
    .select = "SELECT " CREATIVE_COLS,
    .id = "id",
    .id_off = OFF(aff_creative_row, id),
    .time = "created_ms",
    .filter = {{"program_id", AFF_SQ_F_PROGRAM}, {MEMBER_FILTER, AFF_SQ_F_AFFILIATE}},
    .search_mode = AFF_SQ_SEARCH_CONTAINS,
    .search = {"name"},
    .sort = {[AFF_SORT_CREATED] = {"created_ms", OFF(aff_creative_row, created_ms)},
             [AFF_SORT_NAME] = {"name COLLATE NOCASE", OFF(aff_creative_row, name)}},
    .read = read_creative,
    .row_size = sizeof(aff_creative_row)};

int aff_sq_creative_list(aff_store *st, const aff_list_query *lq, aff_creative_cb cb, void *ud)
{
    if (aff_list_sorted(lq))
        return aff_sq_sorted_list(st, &creative_shape, lq, (int (*)(void *, const void *))cb, ud);
    sqlite3_stmt *q = prepare(st, "SELECT " CREATIVE_COLS " WHERE id > ?1 AND (?3 = 0 OR program_id = ?3)"
                                  " AND (?4 = 0 OR " MEMBER_OF("4") ") ORDER BY id LIMIT ?2");
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, lq->after);
    sqlite3_bind_int(q, 2, list_limit(lq));
    sqlite3_bind_int64(q, 3, lq->program_id);
    sqlite3_bind_int64(q, 4, lq->affiliate_id);
    return list_once(q, sizeof(aff_creative_row), read_creative, (int (*)(void *, const void *))cb, ud);
}

int aff_sq_creative_delete(aff_store *st, int64_t id)
{
    return delete_by_id(st, "DELETE FROM creative WHERE id = ?1", id);
}

/* ---- announcements --------------------------------------------------------------------- */

#define ANNOUNCEMENT_COLS "id, program_id, title, body, created_ms FROM announcement"

static void read_announcement(sqlite3_stmt *q, void *v)
{
    aff_announcement_row *r = v;
    r->id = col_i64(q, 0);
    r->program_id = col_i64(q, 1);
    col_text(q, 2, r->title, sizeof(r->title));
    col_text(q, 3, r->body, sizeof(r->body));
    r->created_ms = col_i64(q, 4);
}

int aff_sq_announcement_insert(aff_store *st, aff_announcement_row *r)
{
    sqlite3_stmt *q = prepare(st, "INSERT INTO announcement(program_id, title, body, created_ms) VALUES(?1,?2,?3,?4)");
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, r->program_id);
    bind_text(q, 2, r->title);
    bind_text(q, 3, r->body);
    sqlite3_bind_int64(q, 4, r->created_ms);
    int rc = exec_once(q);
    if (rc == 0)
        r->id = sqlite3_last_insert_rowid(aff_sq_db(st));
    return rc;
}

int aff_sq_announcement_get(aff_store *st, int64_t id, aff_announcement_row *r)
{
    sqlite3_stmt *q = prepare(st, "SELECT " ANNOUNCEMENT_COLS " WHERE id = ?1");
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, id);
    return get_once(q, r, read_announcement);
}

#define ANNOUNCEMENT_SHAPE(...)                                                                     \
    {                                                                                               \
        .select = "SELECT " ANNOUNCEMENT_COLS, .id = "id", .id_off = OFF(aff_announcement_row, id), \
        .time = "created_ms", .filter = {__VA_ARGS__}, .search_mode = AFF_SQ_SEARCH_CONTAINS,       \
        .search = {"title", "body"},                                                                \
        .sort = {[AFF_SORT_CREATED] = {"created_ms", OFF(aff_announcement_row, created_ms)},        \
                 [AFF_SORT_TITLE] = {"title COLLATE NOCASE", OFF(aff_announcement_row, title)},     \
                 [AFF_SORT_PROGRAM] = {"program_id", OFF(aff_announcement_row, program_id)}},       \
        .read = read_announcement, .row_size = sizeof(aff_announcement_row)                         \
    }
/* The admin's: a program's own. An affiliate's: its programs' and those to all (0),
 * with a program filter that program's and those to all. */
static const aff_sq_shape announcement_shape = ANNOUNCEMENT_SHAPE({"program_id", AFF_SQ_F_PROGRAM});
static const aff_sq_shape announcement_member_shape =
    ANNOUNCEMENT_SHAPE({"(program_id = ? OR program_id = 0)", AFF_SQ_F_PROGRAM},
                       {"(program_id = 0 OR " MEMBER_FILTER ")", AFF_SQ_F_AFFILIATE});

/* Every order through a shape (few rows; the API asks newest first); `after`, when
 * the query has no cursor, is where the default order resumes. */
int aff_sq_announcement_list(aff_store *st, const aff_list_query *lq, aff_announcement_cb cb, void *ud)
{
    aff_list_query q = *lq;
    if (!q.from.set && q.after != 0)
        q.from = (aff_list_key){.set = 1, .id = q.after, .ival = q.after};
    q.after = 0;
    return aff_sq_sorted_list(st, q.affiliate_id != 0 ? &announcement_member_shape : &announcement_shape, &q,
                              (int (*)(void *, const void *))cb, ud);
}

int aff_sq_announcement_delete(aff_store *st, int64_t id)
{
    return delete_by_id(st, "DELETE FROM announcement WHERE id = ?1", id);
}
