/*
 * store_sqlite.c - the embedded SQLite backend of store.h.
 *
 * Owns: the schema and its migrations, the SQL of every store call, statement caching.
 * Does not own: transactions' scope (the writer decides), any domain rule.
 * Invariants: WAL mode; the writer connection opens BEGIN IMMEDIATE transactions and
 * with synchronous=FULL every COMMIT is fsynced before it returns, so whatever the
 * writer acknowledges after commit survives kill -9 and power loss. Readers are
 * query_only connections and never block the writer (WAL).
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/clock.h"
#include "core/crypto.h"
#include "core/err.h"
#include "core/map.h"
#include "store/sqlite_int.h"
#include "store/store.h"

/* ---- schema ---------------------------------------------------------------- */

/* Each migration runs once, in order, in its own transaction; user_version records
 * how many ran. Never edit a shipped migration: append a new one. */
static const char *const migrations[] = {
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value BLOB NOT NULL);"
    "CREATE TABLE program(id INTEGER PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL,"
    " currency TEXT NOT NULL, destination_url TEXT NOT NULL, allowed_domains TEXT NOT NULL,"
    " cookie_days INTEGER NOT NULL, attribution TEXT NOT NULL, click_id_param TEXT NOT NULL,"
    " commission_version INTEGER NOT NULL, hold_days INTEGER NOT NULL, min_payout_minor INTEGER NOT NULL,"
    " postback_token TEXT NOT NULL UNIQUE, created_ms INTEGER NOT NULL);"
    "CREATE TABLE program_plan(program_id INTEGER NOT NULL, version INTEGER NOT NULL, plan TEXT NOT NULL,"
    " created_ms INTEGER NOT NULL, PRIMARY KEY(program_id, version)) WITHOUT ROWID;"
    "CREATE TABLE affiliate(id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL,"
    " status TEXT NOT NULL, parent_id INTEGER, created_ms INTEGER NOT NULL);"
    "CREATE TABLE api_key(hash BLOB PRIMARY KEY, role TEXT NOT NULL, affiliate_id INTEGER,"
    " created_ms INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE link(id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE, program_id INTEGER NOT NULL,"
    " affiliate_id INTEGER NOT NULL, destination_url TEXT NOT NULL, sub1 TEXT NOT NULL, sub2 TEXT NOT NULL,"
    " sub3 TEXT NOT NULL, sub4 TEXT NOT NULL, sub5 TEXT NOT NULL, created_ms INTEGER NOT NULL);"
    "CREATE INDEX link_affiliate ON link(affiliate_id, id);"
    "CREATE TABLE coupon(id INTEGER PRIMARY KEY, code TEXT NOT NULL, program_id INTEGER NOT NULL,"
    " affiliate_id INTEGER NOT NULL, created_ms INTEGER NOT NULL, UNIQUE(program_id, code));"
    /* click_id: the 20 raw bytes of the id (core/id.h), whose time prefix keeps inserts
     * append-mostly; user agents are interned in user_agent. */
    "CREATE TABLE click(click_id BLOB PRIMARY KEY, ts_ms INTEGER NOT NULL, program_id INTEGER NOT NULL,"
    " affiliate_id INTEGER NOT NULL, link_id INTEGER NOT NULL, ip TEXT NOT NULL, ua_id INTEGER NOT NULL,"
    " referer TEXT NOT NULL, sub1 TEXT NOT NULL, sub2 TEXT NOT NULL, sub3 TEXT NOT NULL, sub4 TEXT NOT NULL,"
    " sub5 TEXT NOT NULL, source_id TEXT NOT NULL, flags INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE user_agent(id INTEGER PRIMARY KEY, ua TEXT NOT NULL UNIQUE);"
    "CREATE TABLE click_seen(link_id INTEGER NOT NULL, fp INTEGER NOT NULL, unique_ms INTEGER NOT NULL,"
    " PRIMARY KEY(link_id, fp)) WITHOUT ROWID;"
    "CREATE TABLE conversion(id INTEGER PRIMARY KEY, program_id INTEGER NOT NULL, event TEXT NOT NULL,"
    " order_id TEXT NOT NULL, amount_minor INTEGER NOT NULL, currency TEXT NOT NULL, status TEXT NOT NULL,"
    " method TEXT NOT NULL, click_id TEXT NOT NULL, affiliate_id INTEGER NOT NULL, link_id INTEGER NOT NULL,"
    " coupon_id INTEGER NOT NULL, coupon TEXT NOT NULL, customer_id TEXT NOT NULL, email_hash TEXT NOT NULL,"
    " test INTEGER NOT NULL, refunded_minor INTEGER NOT NULL, items TEXT NOT NULL, created_ms INTEGER NOT NULL,"
    " UNIQUE(program_id, event, order_id));"
    "CREATE INDEX conversion_affiliate ON conversion(affiliate_id, id);"
    "CREATE TABLE customer(program_id INTEGER NOT NULL, customer_key TEXT NOT NULL, affiliate_id INTEGER NOT NULL,"
    " link_id INTEGER NOT NULL, first_ms INTEGER NOT NULL, last_ms INTEGER NOT NULL,"
    " PRIMARY KEY(program_id, customer_key)) WITHOUT ROWID;"
    "CREATE TABLE ledger(id INTEGER PRIMARY KEY, conversion_id INTEGER NOT NULL, program_id INTEGER NOT NULL,"
    " affiliate_id INTEGER NOT NULL, amount_minor INTEGER NOT NULL, currency TEXT NOT NULL, kind TEXT NOT NULL,"
    " rule TEXT NOT NULL, plan_version INTEGER NOT NULL, status TEXT NOT NULL, payout_id INTEGER NOT NULL,"
    " created_ms INTEGER NOT NULL);"
    "CREATE INDEX ledger_conversion ON ledger(conversion_id, id);"
    "CREATE INDEX ledger_affiliate ON ledger(affiliate_id, id);"
    "CREATE TABLE payout(id INTEGER PRIMARY KEY, affiliate_id INTEGER NOT NULL, program_id INTEGER NOT NULL,"
    " amount_minor INTEGER NOT NULL, currency TEXT NOT NULL, status TEXT NOT NULL, created_ms INTEGER NOT NULL);"
    "CREATE TABLE stats_hourly(hour INTEGER NOT NULL, program_id INTEGER NOT NULL, affiliate_id INTEGER NOT NULL,"
    " link_id INTEGER NOT NULL, clicks INTEGER NOT NULL DEFAULT 0, unique_clicks INTEGER NOT NULL DEFAULT 0,"
    " bot_clicks INTEGER NOT NULL DEFAULT 0, rejected_clicks INTEGER NOT NULL DEFAULT 0,"
    " conversions INTEGER NOT NULL DEFAULT 0, revenue_minor INTEGER NOT NULL DEFAULT 0,"
    " commission_minor INTEGER NOT NULL DEFAULT 0, refunds_minor INTEGER NOT NULL DEFAULT 0,"
    " PRIMARY KEY(hour, program_id, affiliate_id, link_id)) WITHOUT ROWID;"
    /* The same counters per UTC day, kept in the same statement as the hourly rows:
     * reports cover whole days, and a 30-day report then reads 30 rows per link, not 720. */
    "CREATE TABLE stats_daily(day INTEGER NOT NULL, program_id INTEGER NOT NULL, affiliate_id INTEGER NOT NULL,"
    " link_id INTEGER NOT NULL, clicks INTEGER NOT NULL DEFAULT 0, unique_clicks INTEGER NOT NULL DEFAULT 0,"
    " bot_clicks INTEGER NOT NULL DEFAULT 0, rejected_clicks INTEGER NOT NULL DEFAULT 0,"
    " conversions INTEGER NOT NULL DEFAULT 0, revenue_minor INTEGER NOT NULL DEFAULT 0,"
    " commission_minor INTEGER NOT NULL DEFAULT 0, refunds_minor INTEGER NOT NULL DEFAULT 0,"
    " PRIMARY KEY(day, program_id, affiliate_id, link_id)) WITHOUT ROWID;",
    /* 2: the commission engine (track/commission.h, track/ledger.h): conversion facts the
     * plan reads, the gross each ledger share is owed, hold dates, counting periods for
     * tiers, bonuses and caps, balances kept on every line insert (sqlite_ledger.c) and
     * status change (trigger), payout runs. Ledger amounts and owners are made immutable
     * here. */
    "ALTER TABLE conversion ADD COLUMN shipping_minor INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE conversion ADD COLUMN tax_minor INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE conversion ADD COLUMN renewal INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE conversion ADD COLUMN origin_id INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE conversion ADD COLUMN plan_version INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE conversion ADD COLUMN earned_minor INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE conversion ADD COLUMN hold_until_ms INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE conversion ADD COLUMN reason TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE conversion ADD COLUMN tier INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE conversion ADD COLUMN counted INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE conversion ADD COLUMN ip TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE conversion ADD COLUMN score INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE conversion ADD COLUMN screening TEXT NOT NULL DEFAULT '';"
    "CREATE INDEX conversion_screened ON conversion(program_id, id) WHERE score > 0;"
    "ALTER TABLE program ADD COLUMN screening TEXT NOT NULL DEFAULT '{}';"
    "ALTER TABLE program ADD COLUMN caps TEXT NOT NULL DEFAULT '[]';"
    "ALTER TABLE program ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';"
    "CREATE TABLE cr_outlier(program_id INTEGER NOT NULL, affiliate_id INTEGER NOT NULL, z_milli INTEGER NOT NULL,"
    " computed_ms INTEGER NOT NULL, PRIMARY KEY(program_id, affiliate_id)) WITHOUT ROWID;"
    "UPDATE conversion SET counted = 1 WHERE test = 0 AND status <> 'rejected';"
    "UPDATE conversion SET"
    " earned_minor = coalesce((SELECT sum(amount_minor) FROM ledger l WHERE l.conversion_id = conversion.id"
    "   AND l.kind = 'commission'), 0),"
    " plan_version = coalesce((SELECT max(plan_version) FROM ledger l WHERE l.conversion_id = conversion.id), 0),"
    " hold_until_ms = created_ms + 86400000 * coalesce((SELECT hold_days FROM program p"
    "   WHERE p.id = conversion.program_id), 0);"
    "CREATE INDEX conversion_pending ON conversion(hold_until_ms) WHERE status = 'pending';"
    "CREATE INDEX conversion_customer ON conversion(program_id, customer_id, id) WHERE customer_id <> '';"
    "CREATE INDEX conversion_email ON conversion(program_id, email_hash, id) WHERE email_hash <> '';"
    "CREATE INDEX conversion_period ON conversion(program_id, affiliate_id, created_ms);"
    "ALTER TABLE ledger ADD COLUMN slot TEXT NOT NULL DEFAULT 'commission';"
    "ALTER TABLE ledger ADD COLUMN gross_minor INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE ledger ADD COLUMN hold_until_ms INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE ledger ADD COLUMN updated_ms INTEGER NOT NULL DEFAULT 0;"
    "UPDATE ledger SET gross_minor = (SELECT earned_minor FROM conversion c WHERE c.id = ledger.conversion_id),"
    " hold_until_ms = (SELECT hold_until_ms FROM conversion c WHERE c.id = ledger.conversion_id), updated_ms = created_ms;"
    "CREATE INDEX ledger_pending ON ledger(hold_until_ms) WHERE status = 'pending';"
    "CREATE INDEX ledger_payout ON ledger(payout_id) WHERE payout_id <> 0;"
    "CREATE TABLE balance(program_id INTEGER NOT NULL, affiliate_id INTEGER NOT NULL, status TEXT NOT NULL,"
    " currency TEXT NOT NULL, amount_minor INTEGER NOT NULL, lines INTEGER NOT NULL,"
    " PRIMARY KEY(program_id, affiliate_id, status)) WITHOUT ROWID;"
    "INSERT INTO balance SELECT program_id, affiliate_id, status, max(currency), sum(amount_minor), count(*)"
    " FROM ledger GROUP BY program_id, affiliate_id, status;"
    /* (a new line's balance is added by the insert itself, sqlite_ledger.c: an insert
     * trigger cost ~80k instructions a line, a statement journal each; status moves,
     * rarer and in bulk, keep the trigger) */
    "CREATE TRIGGER ledger_balance_move AFTER UPDATE OF status ON ledger WHEN OLD.status <> NEW.status BEGIN"
    " UPDATE balance SET amount_minor = amount_minor - OLD.amount_minor, lines = lines - 1"
    "  WHERE program_id = OLD.program_id AND affiliate_id = OLD.affiliate_id AND status = OLD.status;"
    " INSERT INTO balance VALUES(NEW.program_id, NEW.affiliate_id, NEW.status, NEW.currency, NEW.amount_minor, 1)"
    " ON CONFLICT(program_id, affiliate_id, status) DO UPDATE SET amount_minor = amount_minor + excluded.amount_minor,"
    " lines = lines + 1; END;"
    "CREATE TRIGGER ledger_append_only BEFORE UPDATE OF conversion_id, program_id, affiliate_id, amount_minor, currency,"
    " kind, slot, gross_minor ON ledger BEGIN SELECT RAISE(ABORT, 'ledger lines are append-only'); END;"
    "CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger BEGIN"
    " SELECT RAISE(ABORT, 'ledger lines are never deleted'); END;"
    "CREATE TABLE commission_period(program_id INTEGER NOT NULL, affiliate_id INTEGER NOT NULL, counter TEXT NOT NULL,"
    " period_start_ms INTEGER NOT NULL, conversions INTEGER NOT NULL, revenue_minor INTEGER NOT NULL,"
    " commission_minor INTEGER NOT NULL, tier INTEGER NOT NULL,"
    " PRIMARY KEY(program_id, affiliate_id, counter, period_start_ms)) WITHOUT ROWID;"
    "CREATE TABLE bonus_award(program_id INTEGER NOT NULL, affiliate_id INTEGER NOT NULL, bonus TEXT NOT NULL,"
    " period_start_ms INTEGER NOT NULL, conversion_id INTEGER NOT NULL, created_ms INTEGER NOT NULL,"
    " PRIMARY KEY(program_id, affiliate_id, bonus, period_start_ms)) WITHOUT ROWID;"
    "ALTER TABLE affiliate ADD COLUMN group_name TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE affiliate ADD COLUMN payout_method TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE affiliate ADD COLUMN payout_account TEXT NOT NULL DEFAULT '';"
    "CREATE INDEX affiliate_parent ON affiliate(parent_id) WHERE parent_id <> 0;"
    "ALTER TABLE program ADD COLUMN payout_schedule TEXT NOT NULL DEFAULT 'manual';"
    "ALTER TABLE payout ADD COLUMN run_id INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE payout ADD COLUMN lines INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE payout ADD COLUMN reference TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE payout ADD COLUMN updated_ms INTEGER NOT NULL DEFAULT 0;"
    "CREATE INDEX payout_run_payouts ON payout(run_id, id);"
    "CREATE INDEX payout_affiliate ON payout(affiliate_id, id);"
    "CREATE TABLE payout_run(id INTEGER PRIMARY KEY, program_id INTEGER NOT NULL, cause TEXT NOT NULL,"
    " payouts INTEGER NOT NULL, created_ms INTEGER NOT NULL);"
    "CREATE INDEX ledger_approved ON ledger(program_id) WHERE status = 'approved';",
    /* 3: click-time fraud screening (track/fraud.h): the deciding rule's reason code, and
     * the client's autonomous system and country when the databases are configured. */
    "ALTER TABLE click ADD COLUMN reason INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE click ADD COLUMN asn INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE click ADD COLUMN country TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE program ADD COLUMN fallback_url TEXT NOT NULL DEFAULT '';",
    /* 4: dashboard users and their sessions (api/session.c). Emails are stored lower-case;
     * a session row holds the SHA-256 of its cookie token, never the token. */
    "CREATE TABLE web_user(id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, role TEXT NOT NULL,"
    " affiliate_id INTEGER NOT NULL, password_hash TEXT NOT NULL, created_ms INTEGER NOT NULL,"
    " terms_accepted_ms INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE web_session(hash BLOB PRIMARY KEY, user_id INTEGER NOT NULL, role TEXT NOT NULL,"
    " affiliate_id INTEGER NOT NULL, created_ms INTEGER NOT NULL, expires_ms INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX web_session_expiry ON web_session(expires_ms);",
    /* 5: an index for each filter of a list or report (the statements name only the
     * filters that are set, see list_stmt), so a filtered page or an affiliate's report
     * reads its own rows instead of the whole table or period. Not on click: see
     * sq_click_list for how its filters are served without a per-click index entry. */
    "CREATE INDEX link_program ON link(program_id, id);"
    "CREATE INDEX coupon_program ON coupon(program_id, id);"
    "CREATE INDEX coupon_affiliate ON coupon(affiliate_id, id);"
    "CREATE INDEX conversion_program ON conversion(program_id, id);"
    "CREATE INDEX ledger_program ON ledger(program_id, id);"
    "CREATE INDEX payout_program ON payout(program_id, id);"
    "CREATE INDEX stats_daily_affiliate ON stats_daily(affiliate_id, day);"
    "CREATE INDEX stats_daily_link ON stats_daily(link_id, day);",
    /* 6: sub-ID reports (track/rollup.h): the daily counters per (day, affiliate,
     * program, sub1), kept by the writer with the other rollups; a conversion keeps its
     * click's sub1 so that its refunds and rejection are counted under it too. No
     * secondary index: with a long tail of sub-IDs each new row would cost a second
     * b-tree insert at a random place (callgrind: 10k instructions); an affiliate's
     * report seeks its rows day by day in the primary key instead (report_stmt).
     * Earlier events: clicks by sub1 from the click table, and the rest of stats_daily
     * (conversions and money, whose clicks' sub1 was not recorded) under sub1 '', so
     * that the totals of every (day, program, affiliate) equal stats_daily's. */
    "ALTER TABLE conversion ADD COLUMN sub1 TEXT NOT NULL DEFAULT '';"
    "CREATE TABLE stats_sub_daily(day INTEGER NOT NULL, program_id INTEGER NOT NULL, affiliate_id INTEGER NOT NULL,"
    " sub1 TEXT NOT NULL, clicks INTEGER NOT NULL DEFAULT 0, unique_clicks INTEGER NOT NULL DEFAULT 0,"
    " bot_clicks INTEGER NOT NULL DEFAULT 0, rejected_clicks INTEGER NOT NULL DEFAULT 0,"
    " conversions INTEGER NOT NULL DEFAULT 0, revenue_minor INTEGER NOT NULL DEFAULT 0,"
    " commission_minor INTEGER NOT NULL DEFAULT 0, refunds_minor INTEGER NOT NULL DEFAULT 0,"
    " PRIMARY KEY(day, affiliate_id, program_id, sub1)) WITHOUT ROWID;"
    "INSERT INTO stats_sub_daily(day, program_id, affiliate_id, sub1, clicks, unique_clicks, bot_clicks,"
    " rejected_clicks) SELECT ts_ms / 86400000, program_id, affiliate_id, sub1, sum(flags & 6 = 0),"
    " sum(flags & 7 = 1), sum(flags & 2 <> 0), sum(flags & 6 = 4) FROM click GROUP BY 1, 2, 3, 4;"
    "INSERT INTO stats_sub_daily(day, program_id, affiliate_id, sub1, conversions, revenue_minor,"
    " commission_minor, refunds_minor) SELECT day, program_id, affiliate_id, '', sum(conversions),"
    " sum(revenue_minor), sum(commission_minor), sum(refunds_minor) FROM stats_daily WHERE true GROUP BY 1, 2, 3"
    " ON CONFLICT(day, affiliate_id, program_id, sub1) DO UPDATE SET conversions = excluded.conversions,"
    " revenue_minor = excluded.revenue_minor, commission_minor = excluded.commission_minor,"
    " refunds_minor = excluded.refunds_minor;",
    /* 7: affiliate-portal content (sqlite_content.c): a program's public page (terms with
     * their version and hash, whether applications are open), applications with the
     * terms accepted (a sign-up's is decided by its affiliate's status, an existing
     * affiliate's by its own), creatives (banners as blobs), announcements (program 0: all). */
    "CREATE TABLE program_terms(program_id INTEGER PRIMARY KEY, description TEXT NOT NULL, terms TEXT NOT NULL,"
    " version INTEGER NOT NULL, hash TEXT NOT NULL, applications_open INTEGER NOT NULL, updated_ms INTEGER NOT NULL);"
    "CREATE TABLE application(id INTEGER PRIMARY KEY, affiliate_id INTEGER NOT NULL, program_id INTEGER NOT NULL,"
    " website TEXT NOT NULL, promotion TEXT NOT NULL, terms_version INTEGER NOT NULL, terms_hash TEXT NOT NULL,"
    " terms_accepted_ms INTEGER NOT NULL, created_ms INTEGER NOT NULL, signup INTEGER NOT NULL,"
    " status TEXT NOT NULL, decided_ms INTEGER NOT NULL);"
    "CREATE INDEX application_program ON application(program_id, id);"
    "CREATE INDEX application_affiliate ON application(affiliate_id, program_id);"
    "CREATE TABLE creative(id INTEGER PRIMARY KEY, program_id INTEGER NOT NULL, kind TEXT NOT NULL,"
    " name TEXT NOT NULL, body TEXT NOT NULL, mime TEXT NOT NULL, width INTEGER NOT NULL, height INTEGER NOT NULL,"
    " bytes INTEGER NOT NULL, sha256 TEXT NOT NULL, image BLOB, created_ms INTEGER NOT NULL);"
    "CREATE INDEX creative_program ON creative(program_id, id);"
    "CREATE TABLE announcement(id INTEGER PRIMARY KEY, program_id INTEGER NOT NULL, title TEXT NOT NULL,"
    " body TEXT NOT NULL, created_ms INTEGER NOT NULL);"
    "CREATE INDEX announcement_program ON announcement(program_id, id);",
    /* 8: sub-affiliate overrides in the reports (docs/api.md "Reports", track/rollup.h):
     * overrides_minor, the part of a row's commission_minor paid to affiliates other than
     * the converting one (its parents' override lines and their corrections), and
     * override_income_minor, what the row's affiliate earned as a parent (its rows of
     * link 0 and sub1 ''). Earlier lines are counted as the writer counts them: in the hour
     * a line was written, under its conversion's affiliate, link and sub1, except a line of
     * a retroactive tier adjustment, which counted under the conversion that reached the
     * tier (the same affiliate's conversion recorded at the line's instant); a rejected
     * conversion's lines left the rows of the hour it was recorded, under its own link and
     * sub1 (a conversion posted as rejected: both in the same hour, nothing). */
    "ALTER TABLE stats_hourly ADD COLUMN overrides_minor INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE stats_hourly ADD COLUMN override_income_minor INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE stats_daily ADD COLUMN overrides_minor INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE stats_daily ADD COLUMN override_income_minor INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE stats_sub_daily ADD COLUMN overrides_minor INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE stats_sub_daily ADD COLUMN override_income_minor INTEGER NOT NULL DEFAULT 0;"
    "CREATE TEMP TABLE override_move AS WITH line AS (SELECT l.program_id AS p, c.affiliate_id AS a,"
    " l.affiliate_id AS payee, l.amount_minor AS v, l.created_ms AS t, l.status AS ls, c.created_ms AS ct,"
    " c.status AS cs, c.link_id AS own_link, c.sub1 AS own_sub1, coalesce(n.link_id, c.link_id) AS link,"
    " coalesce(n.sub1, c.sub1) AS sub1 FROM ledger l JOIN conversion c ON c.id = l.conversion_id"
    " LEFT JOIN conversion n ON n.id = (SELECT min(x.id) FROM conversion x WHERE l.created_ms <> c.created_ms"
    "  AND x.program_id = c.program_id AND x.affiliate_id = c.affiliate_id AND x.created_ms = l.created_ms"
    "  AND x.id <> c.id AND x.test = 0)"
    " WHERE l.affiliate_id <> c.affiliate_id AND c.test = 0)"
    " SELECT t / 3600000 AS h, p, a, link, sub1, payee, v FROM line WHERE ls <> 'rejected' OR cs = 'rejected'"
    " UNION ALL SELECT ct / 3600000, p, a, own_link, own_sub1, payee, -v FROM line"
    " WHERE ls = 'rejected' AND cs = 'rejected';"
    "INSERT INTO stats_hourly(hour, program_id, affiliate_id, link_id, overrides_minor)"
    " SELECT h, p, a, link, sum(v) FROM override_move WHERE true GROUP BY 1, 2, 3, 4 HAVING sum(v) <> 0"
    " ON CONFLICT(hour, program_id, affiliate_id, link_id) DO UPDATE SET overrides_minor = excluded.overrides_minor;"
    "INSERT INTO stats_hourly(hour, program_id, affiliate_id, link_id, override_income_minor)"
    " SELECT h, p, payee, 0, sum(v) FROM override_move WHERE true GROUP BY 1, 2, 3 HAVING sum(v) <> 0"
    " ON CONFLICT(hour, program_id, affiliate_id, link_id) DO UPDATE SET"
    " override_income_minor = excluded.override_income_minor;"
    "INSERT INTO stats_daily(day, program_id, affiliate_id, link_id, overrides_minor)"
    " SELECT h / 24, p, a, link, sum(v) FROM override_move WHERE true GROUP BY 1, 2, 3, 4 HAVING sum(v) <> 0"
    " ON CONFLICT(day, program_id, affiliate_id, link_id) DO UPDATE SET overrides_minor = excluded.overrides_minor;"
    "INSERT INTO stats_daily(day, program_id, affiliate_id, link_id, override_income_minor)"
    " SELECT h / 24, p, payee, 0, sum(v) FROM override_move WHERE true GROUP BY 1, 2, 3 HAVING sum(v) <> 0"
    " ON CONFLICT(day, program_id, affiliate_id, link_id) DO UPDATE SET"
    " override_income_minor = excluded.override_income_minor;"
    "INSERT INTO stats_sub_daily(day, program_id, affiliate_id, sub1, overrides_minor)"
    " SELECT h / 24, p, a, sub1, sum(v) FROM override_move WHERE true GROUP BY 1, 2, 3, 4 HAVING sum(v) <> 0"
    " ON CONFLICT(day, affiliate_id, program_id, sub1) DO UPDATE SET overrides_minor = excluded.overrides_minor;"
    "INSERT INTO stats_sub_daily(day, program_id, affiliate_id, sub1, override_income_minor)"
    " SELECT h / 24, p, payee, '', sum(v) FROM override_move WHERE true GROUP BY 1, 2, 3 HAVING sum(v) <> 0"
    " ON CONFLICT(day, affiliate_id, program_id, sub1) DO UPDATE SET"
    " override_income_minor = excluded.override_income_minor;"
    "DROP TABLE temp.override_move;",
};

/* ---- statements -------------------------------------------------------------- */

#define PROGRAM_COLS                                                                                        \
    "p.id, p.name, p.kind, p.currency, p.destination_url, p.allowed_domains, p.cookie_days, p.attribution," \
    " p.click_id_param, p.commission_version, pp.plan, p.hold_days, p.min_payout_minor, p.postback_token,"  \
    " p.created_ms, p.payout_schedule, p.screening, p.caps, p.fallback_url, p.time_zone FROM program p"     \
    " JOIN program_plan pp ON pp.program_id = p.id AND pp.version = p.commission_version"
#define LINK_COLS \
    "id, code, program_id, affiliate_id, destination_url, sub1, sub2, sub3, sub4, sub5, created_ms FROM link"
#define CLICK_COLS                                                                                               \
    "c.click_id, c.ts_ms, c.program_id, c.affiliate_id, c.link_id, c.ip, coalesce(u.ua, ''), c.referer, c.sub1," \
    " c.sub2, c.sub3, c.sub4, c.sub5, c.source_id, c.flags, c.reason, c.asn, c.country FROM click c"             \
    " LEFT JOIN user_agent u ON u.id = c.ua_id"
#define AFFILIATE_COLS \
    "id, name, email, status, parent_id, created_ms, group_name, payout_method, payout_account FROM affiliate"

#define CLICK_HOURS(col)                                                                                             \
    "WITH h(n) AS (VALUES(0),(1),(2),(3),(4),(5),(6),(7),(8),(9),(10),(11),(12),(13),(14),(15),(16),(17),(18),(19)," \
    "(20),(21),(22),(23)) SELECT h.n FROM stats_daily d INDEXED BY stats_daily_" col " CROSS JOIN h"                 \
    " CROSS JOIN stats_hourly s WHERE d." col "_id = ?1 AND d.day = ?2 AND s.hour = d.day * 24 + h.n"                \
    " AND s.program_id = d.program_id AND s.affiliate_id = d.affiliate_id AND s.link_id = d.link_id"                 \
    " AND " CLICK_ROWS("s") " > 0"
/* Every click row the rollups count: screened ones (bots, rejected) are rows too. */
#define CLICK_ROWS(t) "(" t ".clicks + " t ".bot_clicks + " t ".rejected_clicks)"
#define CLICK_DAYS(col, op, dir)                                      \
    "SELECT day FROM stats_daily d WHERE " col "_id = ?1 AND day " op \
    " ?2 AND " CLICK_ROWS("d") " > 0 ORDER BY day" dir " LIMIT 1"

/* clang-format off */ /* several names a line, grouped by kind */
enum {
    S_BEGIN, S_BEGIN_READ, S_COMMIT, S_ROLLBACK, S_SAVEPOINT, S_RELEASE, S_ROLLBACK_TO,
    S_META_GET, S_META_PUT,
    S_PROGRAM_INSERT, S_PROGRAM_UPDATE, S_PROGRAM_GET, S_PLAN_INSERT, S_PLAN_GET,
    S_AFFILIATE_INSERT, S_AFFILIATE_UPDATE, S_AFFILIATE_GET,
    S_KEY_INSERT, S_KEY_COUNT, S_KEY_LIST,
    S_LINK_INSERT, S_LINK_UPDATE, S_LINK_GET,
    S_COUPON_INSERT, S_COUPON_UPDATE, S_COUPON_GET,
    S_CLICK_INSERT, S_CLICK_INSERT_PLAIN, S_UA_FIND, S_UA_INSERT, S_CLICK_GET, S_CLICK_ATTR, S_CLICK_SEEN_GET, S_CLICK_SEEN_PUT,
    S_CLICK_DAYS_OF_LINK, S_CLICK_DAYS_OF_AFFILIATE, S_CLICK_DAYS_BEFORE_OF_LINK, S_CLICK_DAYS_BEFORE_OF_AFFILIATE,
    S_CLICK_HOURS_OF_LINK, S_CLICK_HOURS_OF_AFFILIATE, S_CLICK_DAY_TOTALS,
    S_CLICK_SEEN_EDGE, S_CLICK_SEEN_PRUNE,
    S_CONV_FIND, S_CONV_INSERT, S_CONV_NEXT_ID, S_CONV_GET, S_CONV_REFUND,
    S_CUSTOMER_GET, S_CUSTOMER_PUT,
    S_ROLLUP_ADD, S_ROLLUP_DAY_ADD, S_ROLLUP_SUB_ADD,
    S_COUNT
};
/* clang-format on */

/* The ten counters of the three rollup tables (hourly, daily, by sub1), bound as ?5..?14
 * and added on conflict: one list for the three UPSERTs. */
#define ROLLUP_COUNTER_COLS                                                                             \
    "clicks, unique_clicks, bot_clicks, rejected_clicks, conversions, revenue_minor, commission_minor," \
    " refunds_minor, overrides_minor, override_income_minor"
#define ROLLUP_COUNTER_VALUES "?5,?6,?7,?8,?9,?10,?11,?12,?13,?14"
#define ROLLUP_COUNTER_ADD                                                                                          \
    "clicks = clicks + excluded.clicks, unique_clicks = unique_clicks + excluded.unique_clicks,"                    \
    " bot_clicks = bot_clicks + excluded.bot_clicks, rejected_clicks = rejected_clicks + excluded.rejected_clicks," \
    " conversions = conversions + excluded.conversions, revenue_minor = revenue_minor + excluded.revenue_minor,"    \
    " commission_minor = commission_minor + excluded.commission_minor,"                                             \
    " refunds_minor = refunds_minor + excluded.refunds_minor,"                                                      \
    " overrides_minor = overrides_minor + excluded.overrides_minor,"                                                \
    " override_income_minor = override_income_minor + excluded.override_income_minor"

static const char *const sql[S_COUNT] = {
    [S_BEGIN] = "BEGIN IMMEDIATE",
    [S_BEGIN_READ] = "BEGIN",
    [S_COMMIT] = "COMMIT",
    [S_ROLLBACK] = "ROLLBACK",
    [S_SAVEPOINT] = "SAVEPOINT job",
    [S_RELEASE] = "RELEASE job",
    [S_ROLLBACK_TO] = "ROLLBACK TO job",
    [S_META_GET] = "SELECT value FROM meta WHERE key = ?1",
    [S_META_PUT] = "INSERT INTO meta(key, value) VALUES(?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    [S_PROGRAM_INSERT] =
        "INSERT INTO program(name, kind, currency, destination_url, allowed_domains, cookie_days,"
        " attribution, click_id_param, commission_version, hold_days, min_payout_minor, postback_token,"
        " created_ms, payout_schedule, screening, caps, fallback_url, time_zone) VALUES(?1,?2,?3,?4,?5,?6,?7,"
        "?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18)",
    [S_PROGRAM_UPDATE] = "UPDATE program SET name=?2, kind=?3, destination_url=?4, allowed_domains=?5, cookie_days=?6,"
                         " attribution=?7, click_id_param=?8, commission_version=?9, hold_days=?10,"
                         " min_payout_minor=?11, payout_schedule=?12, screening=?13, caps=?14, fallback_url=?15,"
                         " time_zone=?16 WHERE id=?1",
    [S_PROGRAM_GET] = "SELECT " PROGRAM_COLS " WHERE p.id = ?1",
    [S_PLAN_INSERT] = "INSERT INTO program_plan(program_id, version, plan, created_ms) VALUES(?1,?2,?3,?4)",
    [S_PLAN_GET] = "SELECT plan FROM program_plan WHERE program_id = ?1 AND version = ?2",
    [S_AFFILIATE_INSERT] =
        "INSERT INTO affiliate(name, email, status, parent_id, created_ms, group_name, payout_method,"
        " payout_account) VALUES(?1,?2,?3,?4,?5,?6,?7,?8)",
    [S_AFFILIATE_UPDATE] = "UPDATE affiliate SET name=?2, email=?3, status=?4, parent_id=?5, group_name=?6,"
                           " payout_method=?7, payout_account=?8 WHERE id=?1",
    [S_AFFILIATE_GET] = "SELECT " AFFILIATE_COLS " WHERE id = ?1",
    [S_KEY_INSERT] = "INSERT INTO api_key(hash, role, affiliate_id, created_ms) VALUES(?1,?2,?3,?4)",
    [S_KEY_COUNT] = "SELECT count(*) FROM api_key WHERE role = ?1",
    [S_KEY_LIST] = "SELECT hash, role, affiliate_id FROM api_key",
    [S_LINK_INSERT] = "INSERT INTO link(code, program_id, affiliate_id, destination_url, sub1, sub2, sub3, sub4, sub5,"
                      " created_ms) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10)",
    [S_LINK_UPDATE] = "UPDATE link SET destination_url=?2, sub1=?3, sub2=?4, sub3=?5, sub4=?6, sub5=?7 WHERE id=?1",
    [S_LINK_GET] = "SELECT " LINK_COLS " WHERE id = ?1",
    [S_COUPON_INSERT] = "INSERT INTO coupon(code, program_id, affiliate_id, created_ms) VALUES(?1,?2,?3,?4)",
    [S_COUPON_UPDATE] = "UPDATE coupon SET affiliate_id=?2 WHERE id=?1",
    [S_COUPON_GET] = "SELECT id, code, program_id, affiliate_id, created_ms FROM coupon WHERE id = ?1",
    [S_CLICK_INSERT] =
        "INSERT INTO click(click_id, ts_ms, program_id, affiliate_id, link_id, ip, ua_id, referer,"
        " sub1, sub2, sub3, sub4, sub5, source_id, flags, reason, asn, country) VALUES(?1,?2,?3,?4,?5,?6,"
        "?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18)",
    [S_CLICK_INSERT_PLAIN] = "INSERT INTO click(click_id, ts_ms, program_id, affiliate_id, link_id, ip, ua_id, referer,"
                             " sub1, sub2, sub3, sub4, sub5, source_id, flags) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,"
                             "?11,?12,?13,?14,?15)",
    [S_CLICK_GET] = "SELECT " CLICK_COLS " WHERE c.click_id = ?1",
    [S_CLICK_ATTR] = "SELECT ts_ms, program_id, affiliate_id, link_id, flags, ip, sub1, country FROM click"
                     " WHERE click_id = ?1",
    /* sq_click_list: the first day from ?2 on (newest first: the last day up to ?2) with
     * clicks of a link or an affiliate, then the hours (0..23, repeated per link) of day
     * ?2 with such clicks: for each of the day's rollup rows of the link or affiliate, 24
     * primary-key lookups of its hourly rows (CROSS JOIN keeps that order). */
    [S_CLICK_DAYS_OF_LINK] = CLICK_DAYS("link", ">=", ""),
    [S_CLICK_DAYS_OF_AFFILIATE] = CLICK_DAYS("affiliate", ">=", ""),
    [S_CLICK_DAYS_BEFORE_OF_LINK] = CLICK_DAYS("link", "<=", " DESC"),
    [S_CLICK_DAYS_BEFORE_OF_AFFILIATE] = CLICK_DAYS("affiliate", "<=", " DESC"),
    [S_CLICK_HOURS_OF_LINK] = CLICK_HOURS("link"),
    [S_CLICK_HOURS_OF_AFFILIATE] = CLICK_HOURS("affiliate"),
    /* The click rows of the days [?1, ?2) of every program, a rollup row at a time
     * (click_sort_bounded stops reading past its limit). */
    [S_CLICK_DAY_TOTALS] = "SELECT " CLICK_ROWS("d") " FROM stats_daily d WHERE day >= ?1 AND day < ?2",
    [S_UA_FIND] = "SELECT id FROM user_agent WHERE ua = ?1",
    [S_UA_INSERT] = "INSERT INTO user_agent(ua) VALUES(?1)",
    [S_CLICK_SEEN_GET] = "SELECT unique_ms FROM click_seen WHERE link_id = ?1 AND fp = ?2",
    [S_CLICK_SEEN_PUT] = "INSERT INTO click_seen(link_id, fp, unique_ms) VALUES(?1,?2,?3)"
                         " ON CONFLICT(link_id, fp) DO UPDATE SET unique_ms = excluded.unique_ms",
    /* The pruning sweep: the key max_rows rows on from the cursor, then the expired rows
     * up to it, both through the primary key. */
    [S_CLICK_SEEN_EDGE] = "SELECT link_id, fp FROM click_seen WHERE (link_id, fp) > (?1, ?2) ORDER BY link_id, fp"
                          " LIMIT 1 OFFSET ?3",
    [S_CLICK_SEEN_PRUNE] = "DELETE FROM click_seen WHERE (link_id, fp) > (?1, ?2) AND (link_id, fp) <= (?3, ?4)"
                           " AND unique_ms < ?5",
    [S_CONV_FIND] = "SELECT " AFF_SQ_CONV_COLS " WHERE program_id = ?1 AND event = ?2 AND order_id = ?3",
    [S_CONV_INSERT] =
        "INSERT INTO conversion(program_id, event, order_id, amount_minor, currency, status, method,"
        " click_id, affiliate_id, link_id, coupon_id, coupon, customer_id, email_hash, test,"
        " refunded_minor, items, created_ms, shipping_minor, tax_minor, renewal, origin_id, plan_version,"
        " earned_minor, hold_until_ms, reason, tier, counted, ip, score, screening, sub1, id) VALUES(?1,?2,?3,?4,?5,?6,"
        "?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22,?23,?24,?25,?26,?27,?28,?29,?30,?31,"
        "?32,?33)",
    [S_CONV_NEXT_ID] = "SELECT coalesce(max(id), 0) + 1 FROM conversion",
    [S_CONV_GET] = "SELECT " AFF_SQ_CONV_COLS " WHERE id = ?1",
    [S_CONV_REFUND] = "UPDATE conversion SET refunded_minor = ?2, status = ?3 WHERE id = ?1",
    [S_CUSTOMER_GET] = "SELECT affiliate_id, link_id FROM customer WHERE program_id = ?1 AND customer_key = ?2",
    [S_CUSTOMER_PUT] = "INSERT INTO customer(program_id, customer_key, affiliate_id, link_id, first_ms, last_ms)"
                       " VALUES(?1,?2,?3,?4,?5,?5) ON CONFLICT(program_id, customer_key) DO UPDATE SET"
                       " affiliate_id = excluded.affiliate_id, link_id = excluded.link_id, last_ms = excluded.last_ms",
    [S_ROLLUP_ADD] = "INSERT INTO stats_hourly(hour, program_id, affiliate_id, link_id, " ROLLUP_COUNTER_COLS ")"
                     " VALUES(?1,?2,?3,?4," ROLLUP_COUNTER_VALUES ") ON CONFLICT(hour, program_id, affiliate_id,"
                     " link_id) DO UPDATE SET " ROLLUP_COUNTER_ADD,
    [S_ROLLUP_DAY_ADD] = "INSERT INTO stats_daily(day, program_id, affiliate_id, link_id, " ROLLUP_COUNTER_COLS ")"
                         " VALUES(?1 / 24,?2,?3,?4," ROLLUP_COUNTER_VALUES ") ON CONFLICT(day, program_id,"
                         " affiliate_id, link_id) DO UPDATE SET " ROLLUP_COUNTER_ADD,
    [S_ROLLUP_SUB_ADD] = "INSERT INTO stats_sub_daily(day, program_id, affiliate_id, sub1, " ROLLUP_COUNTER_COLS ")"
                         " VALUES(?1,?2,?3,?4," ROLLUP_COUNTER_VALUES ") ON CONFLICT(day, affiliate_id, program_id,"
                         " sub1) DO UPDATE SET " ROLLUP_COUNTER_ADD,
};

/* ---- list statements ---------------------------------------------------------------- */

/* A list statement names only the filters that are set. The `(?3 = 0 OR col = ?3)` form
 * the lists used to share makes SQLite plan for "any value": it walks the table in key
 * order and tests every row, so the page of a rare affiliate read the whole table. With
 * plain equalities it picks the (column, key) index of the filter. One statement per list
 * and set of filters, built from the table below, prepared on first use and kept.
 * Parameters: ?1 the cursor, ?2 the limit, ?3.. the filters that are set, in table order.
 * Filters are listed most selective first: the first one set leads through its index,
 * the others are written `+col = ?` so that SQLite, which has no statistics, does not
 * pick a program's index over an affiliate's (a program can have every row). A filter
 * without an index of its own (a status; a click's program) is tested row by row. */
enum { LF_PROGRAM, LF_AFFILIATE, LF_LINK, LF_CONVERSION, LF_STATUS };
/* clang-format off */ /* several names a line, grouped by kind */
enum {
    L_PROGRAMS, L_AFFILIATES, L_LINKS, L_COUPONS, L_CLICKS, L_CLICKS_RANGE, L_CLICKS_RANGE_DESC, L_CONVERSIONS,
    L_COUNT
};
/* clang-format on */
#define LIST_FILTERS 4

typedef struct list_shape {
    const char *select; /* SELECT columns FROM table, without WHERE */
    const char *key;    /* the paging and ordering column */
    struct {
        const char *col;
        int field; /* LF_*: which aff_list_query member */
    } filter[LIST_FILTERS];
    int upper; /* 1: also key < ?3 (then the filters start at ?4) */
    int desc;  /* 1: descending: key < ?1 (and key > ?3) */
} list_shape;

static const list_shape lists[L_COUNT] = {
    [L_PROGRAMS] = {"SELECT " PROGRAM_COLS, "p.id", {{NULL, 0}}},
    [L_AFFILIATES] = {"SELECT " AFFILIATE_COLS, "id", {{"status", LF_STATUS}}},
    [L_LINKS] = {"SELECT " LINK_COLS, "id", {{"affiliate_id", LF_AFFILIATE}, {"program_id", LF_PROGRAM}}},
    [L_COUPONS] = {"SELECT id, code, program_id, affiliate_id, created_ms FROM coupon",
                   "id",
                   {{"affiliate_id", LF_AFFILIATE}, {"program_id", LF_PROGRAM}}},
    [L_CLICKS] = {"SELECT " CLICK_COLS,
                  "c.click_id",
                  {{"c.link_id", LF_LINK}, {"c.affiliate_id", LF_AFFILIATE}, {"c.program_id", LF_PROGRAM}}},
    /* The clicks of one hour (sq_click_list): ?1 and ?3 bound the ids by their time prefix. */
    [L_CLICKS_RANGE] = {"SELECT " CLICK_COLS,
                        "c.click_id",
                        {{"c.link_id", LF_LINK}, {"c.affiliate_id", LF_AFFILIATE}, {"c.program_id", LF_PROGRAM}},
                        1},
    /* The same, newest first: ?1 and ?3 bound the ids from above and below. */
    [L_CLICKS_RANGE_DESC] = {"SELECT " CLICK_COLS,
                             "c.click_id",
                             {{"c.link_id", LF_LINK}, {"c.affiliate_id", LF_AFFILIATE}, {"c.program_id", LF_PROGRAM}},
                             1,
                             1},
    [L_CONVERSIONS] = {"SELECT " AFF_SQ_CONV_COLS,
                       "id",
                       {{"affiliate_id", LF_AFFILIATE}, {"program_id", LF_PROGRAM}, {"status", LF_STATUS}}},
};

#define SORTED_CACHE 32   /* sorted list statements kept per connection */
#define REPORT_SHAPES 512 /* 32 group masks x (hourly, daily) x 8 sets of filters */

/* The writer's cache of interned user agents: a few thousand distinct agents make most
 * traffic, so an insert usually needs no lookup. Cleared when full; rolled-back rows are
 * never cached (see ua_cache_reset_batch). */
#define UA_CACHE_SLOTS 8192
typedef struct ua_slot {
    uint64_t hash;
    int64_t id;
    char *ua;
} ua_slot;
/* tx_inserted: the running transaction inserted user_agent rows. Until it commits, any
 * entry may name one of them (also one found again by S_UA_FIND after the cache was
 * cleared mid-transaction), so undoing it forgets the whole cache; only COMMIT and a
 * full ROLLBACK end it. One flag, not one per slot: clearing 8,192 flags at every commit
 * cost ~1k instructions a click at B1's batch sizes (callgrind). */
typedef struct ua_cache {
    ua_slot *slots;
    size_t count;
    int tx_inserted;
} ua_cache;

#define CLICK_SIZES 5 /* multi-row click INSERTs of 32 >> k rows, k < CLICK_SIZES */

typedef struct sqlite_store {
    aff_store base;
    sqlite3 *db;
    sqlite3_stmt *stmt[S_COUNT];
    sqlite3_stmt *report_stmt[REPORT_SHAPES];
    /* INSERTs of 32, 16, 8, 4 and 2 rows ([size][0] plain, [size][1] wide, click_is_plain) */
    sqlite3_stmt *click_many[CLICK_SIZES][2];
    sqlite3_stmt *ledger_stmt[AFF_SQ_LEDGER_STMTS]; /* sqlite_ledger.c's statements */
    sqlite3_stmt *user_stmt[8];                     /* dashboard users and sessions (user_sql) */
    sqlite3_stmt *list_stmt[L_COUNT][1 << LIST_FILTERS];
    sqlite3_stmt *sorted_stmt[SORTED_CACHE]; /* sorted lists' statements (aff_sq_cached_stmt) */
    int sorted_next;                         /* the slot the next new statement takes */
    sqlite3_stmt *last_query[3];             /* the statements of the last list or report call (for tests) */
    int nlast;
    int reader;
    int synchronous_full; /* as opened (sq_bulk_load restores it) */
    ua_cache uas;
    int64_t next_conv_id; /* the next conversion id, known within one write transaction; 0 unknown */
} sqlite_store;

static sqlite_store *impl(aff_store *st)
{
    return (sqlite_store *)st;
}

#define CLICK_ID_RAW 20

static void ua_cache_clear(ua_cache *c)
{
    for (size_t i = 0; c->slots != NULL && i < UA_CACHE_SLOTS; i++) {
        free(c->slots[i].ua);
        c->slots[i] = (ua_slot){0};
    }
    c->count = 0;
}

/* Work undone (a ROLLBACK, or a ROLLBACK TO inside the transaction, which goes on): ids
 * the transaction inserted may be in the cache and no longer exist. */
static void ua_cache_undo(ua_cache *c, int transaction_ends)
{
    if (c->tx_inserted)
        ua_cache_clear(c); /* rare: simplest correct answer is to start over */
    if (transaction_ends)
        c->tx_inserted = 0;
}

/* The statement for id, prepared on first use and reset for reuse. NULL on failure. */
static sqlite3_stmt *stmt(aff_store *st, int id)
{
    sqlite_store *s = impl(st);
    if (s->stmt[id] == NULL) {
        if (sqlite3_prepare_v3(s->db, sql[id], -1, SQLITE_PREPARE_PERSISTENT, &s->stmt[id], NULL) != SQLITE_OK)
            return NULL;
    } else {
        sqlite3_reset(s->stmt[id]);
        sqlite3_clear_bindings(s->stmt[id]);
    }
    return s->stmt[id];
}

sqlite3 *aff_sq_db(aff_store *st)
{
    return impl(st)->db;
}

sqlite3_stmt *aff_sq_ledger_stmt(aff_store *st, int id)
{
    sqlite_store *s = impl(st);
    if (id < 0 || id >= AFF_SQ_LEDGER_STMTS)
        return NULL;
    if (s->ledger_stmt[id] == NULL) {
        if (sqlite3_prepare_v3(s->db, aff_sq_ledger_sql(id), -1, SQLITE_PREPARE_PERSISTENT, &s->ledger_stmt[id],
                               NULL) != SQLITE_OK)
            return NULL;
    } else {
        sqlite3_reset(s->ledger_stmt[id]);
        sqlite3_clear_bindings(s->ledger_stmt[id]);
    }
    return s->ledger_stmt[id];
}

/* Remember q as a statement of the running list or report call (first: the call's first). */
static void note_query(sqlite_store *s, sqlite3_stmt *q, int first)
{
    if (first)
        s->nlast = 0;
    if (s->nlast < 3)
        s->last_query[s->nlast++] = q;
}

void aff_sq_note_list(aff_store *st, sqlite3_stmt *q)
{
    note_query(impl(st), q, 1);
}

sqlite3_stmt *aff_sq_cached_stmt(aff_store *st, const char *text)
{
    sqlite_store *s = impl(st);
    /* A statement still stepping (a list whose row callback runs another list) is neither
     * handed out again nor evicted: resetting or finalizing it would pull the rows from
     * under the outer loop. */
    for (int i = 0; i < SORTED_CACHE && s->sorted_stmt[i] != NULL; i++)
        if (!sqlite3_stmt_busy(s->sorted_stmt[i]) && strcmp(sqlite3_sql(s->sorted_stmt[i]), text) == 0) {
            sqlite3_reset(s->sorted_stmt[i]);
            sqlite3_clear_bindings(s->sorted_stmt[i]);
            return s->sorted_stmt[i];
        }
    int tries = 0;
    while (s->sorted_stmt[s->sorted_next] != NULL && sqlite3_stmt_busy(s->sorted_stmt[s->sorted_next])) {
        s->sorted_next = (s->sorted_next + 1) % SORTED_CACHE;
        if (++tries == SORTED_CACHE)
            return NULL; /* every slot is mid-step: nesting that deep is a bug */
    }
    sqlite3_stmt **slot = &s->sorted_stmt[s->sorted_next];
    s->sorted_next = (s->sorted_next + 1) % SORTED_CACHE;
    for (int i = 0; i < s->nlast; i++)
        if (s->last_query[i] == *slot)
            s->nlast = 0;
    sqlite3_finalize(*slot);
    *slot = NULL;
    if (sqlite3_prepare_v3(s->db, text, -1, SQLITE_PREPARE_PERSISTENT, slot, NULL) != SQLITE_OK)
        return NULL;
    return *slot;
}

static int filter_set(const aff_list_query *lq, int field)
{
    switch (field) {
    case LF_PROGRAM:
        return lq->program_id != 0;
    case LF_AFFILIATE:
        return lq->affiliate_id != 0;
    case LF_LINK:
        return lq->link_id != 0;
    case LF_CONVERSION:
        return lq->conversion_id != 0;
    default:
        return lq->status != NULL && lq->status[0] != '\0';
    }
}

static void bind_filter(sqlite3_stmt *q, int i, const aff_list_query *lq, int field)
{
    const int64_t ids[] = {[LF_PROGRAM] = lq->program_id,
                           [LF_AFFILIATE] = lq->affiliate_id,
                           [LF_LINK] = lq->link_id,
                           [LF_CONVERSION] = lq->conversion_id};
    if (field == LF_STATUS)
        bind_text(q, i, lq->status);
    else
        sqlite3_bind_int64(q, i, ids[field]);
}

/* The statement of list `which` for the filters lq sets, prepared on first use, with the
 * filters bound; the caller binds ?1 (cursor) and ?2 (limit). NULL on failure. */
static sqlite3_stmt *list_stmt(aff_store *st, int which, const aff_list_query *lq)
{
    sqlite_store *s = impl(st);
    const list_shape *ls = &lists[which];
    unsigned mask = 0;
    for (int k = 0; k < LIST_FILTERS && ls->filter[k].col != NULL; k++)
        if (filter_set(lq, ls->filter[k].field))
            mask |= 1u << k;
    sqlite3_stmt **slot = &s->list_stmt[which][mask];
    if (*slot != NULL) {
        sqlite3_reset(*slot);
        sqlite3_clear_bindings(*slot);
    } else {
        char text[1024];
        size_t n = (size_t)snprintf(text, sizeof(text), "%s WHERE %s %s ?1", ls->select, ls->key, ls->desc ? "<" : ">");
        if (ls->upper && n < sizeof(text))
            n += (size_t)snprintf(text + n, sizeof(text) - n, " AND %s %s ?3", ls->key, ls->desc ? ">" : "<");
        for (int k = 0, param = 3 + ls->upper, lead = 1; k < LIST_FILTERS && n < sizeof(text); k++)
            if (mask & (1u << k)) {
                n += (size_t)snprintf(text + n, sizeof(text) - n, " AND %s%s = ?%d", lead ? "" : "+", ls->filter[k].col,
                                      param++);
                lead = 0;
            }
        if (n < sizeof(text))
            n += (size_t)snprintf(text + n, sizeof(text) - n, " ORDER BY %s%s LIMIT ?2", ls->key,
                                  ls->desc ? " DESC" : "");
        if (n >= sizeof(text) ||
            sqlite3_prepare_v3(s->db, text, -1, SQLITE_PREPARE_PERSISTENT, slot, NULL) != SQLITE_OK)
            return NULL;
    }
    for (int k = 0, param = 3 + ls->upper; k < LIST_FILTERS; k++)
        if (mask & (1u << k))
            bind_filter(*slot, param++, lq, ls->filter[k].field);
    note_query(s, *slot, 1);
    return *slot;
}

/* ---- transactions -------------------------------------------------------------- */

/* Writers take the write lock up front; readers get a consistent snapshot. */
static int sq_begin(aff_store *st)
{
    impl(st)->next_conv_id = 0;
    return exec_stmt(stmt(st, impl(st)->reader ? S_BEGIN_READ : S_BEGIN));
}
static int sq_commit(aff_store *st)
{
    int rc = exec_stmt(stmt(st, S_COMMIT));
    if (rc == 0)
        impl(st)->uas.tx_inserted = 0;
    return rc;
}
static int sq_savepoint(aff_store *st)
{
    return exec_stmt(stmt(st, S_SAVEPOINT));
}
static int sq_release(aff_store *st)
{
    return exec_stmt(stmt(st, S_RELEASE));
}
static int sq_rollback_to(aff_store *st)
{
    ua_cache_undo(&impl(st)->uas, 0); /* a job's new agents may be among the undone rows */
    impl(st)->next_conv_id = 0;
    return exec_stmt(stmt(st, S_ROLLBACK_TO));
}

static int64_t sq_changes(aff_store *st)
{
    return sqlite3_total_changes64(impl(st)->db);
}

static void sq_release_memory(aff_store *st)
{
    sqlite3_db_release_memory(impl(st)->db);
}

static int sq_bulk_load(aff_store *st, int on)
{
    sqlite_store *s = impl(st);
    char text[128];
    snprintf(text, sizeof(text), "PRAGMA synchronous=%s; PRAGMA wal_autocheckpoint=%d",
             on                    ? "OFF"
             : s->synchronous_full ? "FULL"
                                   : "NORMAL",
             on ? 16384 : 1000);
    return sqlite3_exec(s->db, text, NULL, NULL, NULL) == SQLITE_OK ? 0 : AFF_ESTORE;
}

static int sq_rollback(aff_store *st)
{
    /* Also when SQLite rolled back already (a COMMIT that failed with SQLITE_FULL or an
     * I/O error ends the transaction itself): its agents are gone all the same. */
    ua_cache_undo(&impl(st)->uas, 1);
    impl(st)->next_conv_id = 0;
    if (sqlite3_get_autocommit(impl(st)->db))
        return 0;
    return exec_stmt(stmt(st, S_ROLLBACK));
}

/* ---- meta ----------------------------------------------------------------------- */

static int sq_meta_get(aff_store *st, const char *key, void *buf, size_t cap, size_t *len)
{
    sqlite3_stmt *q = stmt(st, S_META_GET);
    int rc = AFF_ENOTFOUND;
    if (q == NULL)
        return AFF_ESTORE;
    bind_text(q, 1, key);
    if (step_row(q, &rc)) {
        size_t n = (size_t)sqlite3_column_bytes(q, 0);
        rc = n > cap ? AFF_ETOOBIG : 0;
        if (rc == 0) {
            memcpy(buf, sqlite3_column_blob(q, 0), n);
            *len = n;
        }
    } else if (rc == 0) {
        rc = AFF_ENOTFOUND;
    }
    sqlite3_reset(q);
    return rc;
}

static int sq_meta_put(aff_store *st, const char *key, const void *data, size_t len)
{
    sqlite3_stmt *q = stmt(st, S_META_PUT);
    if (q == NULL)
        return AFF_ESTORE;
    bind_text(q, 1, key);
    sqlite3_bind_blob(q, 2, data, (int)len, SQLITE_STATIC);
    return exec_stmt(q);
}

/* ---- programs ------------------------------------------------------------------- */

static void read_program(sqlite3_stmt *q, aff_program_row *r)
{
    r->id = col_i64(q, 0);
    col_text(q, 1, r->name, sizeof(r->name));
    col_text(q, 2, r->kind, sizeof(r->kind));
    col_text(q, 3, r->currency, sizeof(r->currency));
    col_text(q, 4, r->destination_url, sizeof(r->destination_url));
    col_text(q, 5, r->allowed_domains, sizeof(r->allowed_domains));
    r->cookie_days = (int)col_i64(q, 6);
    col_text(q, 7, r->attribution, sizeof(r->attribution));
    col_text(q, 8, r->click_id_param, sizeof(r->click_id_param));
    r->commission_version = (int)col_i64(q, 9);
    col_text(q, 10, r->plan_json, sizeof(r->plan_json));
    r->hold_days = (int)col_i64(q, 11);
    r->min_payout_minor = col_i64(q, 12);
    col_text(q, 13, r->postback_token, sizeof(r->postback_token));
    r->created_ms = col_i64(q, 14);
    col_text(q, 15, r->payout_schedule, sizeof(r->payout_schedule));
    col_text(q, 16, r->screening, sizeof(r->screening));
    col_text(q, 17, r->caps, sizeof(r->caps));
    col_text(q, 18, r->fallback_url, sizeof(r->fallback_url));
    col_text(q, 19, r->time_zone, sizeof(r->time_zone));
}

static int sq_program_insert(aff_store *st, aff_program_row *r)
{
    sqlite3_stmt *q = stmt(st, S_PROGRAM_INSERT);
    if (q == NULL)
        return AFF_ESTORE;
    bind_text(q, 1, r->name);
    bind_text(q, 2, r->kind);
    bind_text(q, 3, r->currency);
    bind_text(q, 4, r->destination_url);
    bind_text(q, 5, r->allowed_domains);
    sqlite3_bind_int(q, 6, r->cookie_days);
    bind_text(q, 7, r->attribution);
    bind_text(q, 8, r->click_id_param);
    sqlite3_bind_int(q, 9, r->commission_version);
    sqlite3_bind_int(q, 10, r->hold_days);
    sqlite3_bind_int64(q, 11, r->min_payout_minor);
    bind_text(q, 12, r->postback_token);
    sqlite3_bind_int64(q, 13, r->created_ms);
    bind_text(q, 14, r->payout_schedule[0] ? r->payout_schedule : "manual");
    bind_text(q, 15, r->screening[0] ? r->screening : "{}");
    bind_text(q, 16, r->caps[0] ? r->caps : "[]");
    bind_text(q, 17, r->fallback_url);
    bind_text(q, 18, r->time_zone[0] ? r->time_zone : "UTC");
    int rc = exec_insert(q, &r->id);
    return rc;
}

static int sq_program_update(aff_store *st, const aff_program_row *r)
{
    sqlite3_stmt *q = stmt(st, S_PROGRAM_UPDATE);
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, r->id);
    bind_text(q, 2, r->name);
    bind_text(q, 3, r->kind);
    bind_text(q, 4, r->destination_url);
    bind_text(q, 5, r->allowed_domains);
    sqlite3_bind_int(q, 6, r->cookie_days);
    bind_text(q, 7, r->attribution);
    bind_text(q, 8, r->click_id_param);
    sqlite3_bind_int(q, 9, r->commission_version);
    sqlite3_bind_int(q, 10, r->hold_days);
    sqlite3_bind_int64(q, 11, r->min_payout_minor);
    bind_text(q, 12, r->payout_schedule[0] ? r->payout_schedule : "manual");
    bind_text(q, 13, r->screening[0] ? r->screening : "{}");
    bind_text(q, 14, r->caps[0] ? r->caps : "[]");
    bind_text(q, 15, r->fallback_url);
    bind_text(q, 16, r->time_zone[0] ? r->time_zone : "UTC");
    int rc = exec_stmt(q);
    if (rc == 0 && sqlite3_changes(impl(st)->db) == 0)
        rc = AFF_ENOTFOUND;
    return rc;
}

static int sq_program_get(aff_store *st, int64_t id, aff_program_row *r)
{
    sqlite3_stmt *q = stmt(st, S_PROGRAM_GET);
    int rc = 0;
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, id);
    if (step_row(q, &rc))
        read_program(q, r);
    else if (rc == 0)
        rc = AFF_ENOTFOUND;
    sqlite3_reset(q);
    return rc;
}

static void read_program_v(sqlite3_stmt *q, void *r)
{
    read_program(q, r);
}

#define OFF(type, member) offsetof(type, member)
static const aff_sq_shape program_shape = {
    .select = "SELECT " PROGRAM_COLS,
    .id = "p.id",
    .id_off = OFF(aff_program_row, id),
    .time = "p.created_ms",
    .search_mode = AFF_SQ_SEARCH_CONTAINS,
    .search = {"p.name"},
    .sort = {[AFF_SORT_CREATED] = {"p.created_ms", OFF(aff_program_row, created_ms)},
             [AFF_SORT_NAME] = {"p.name COLLATE NOCASE", OFF(aff_program_row, name)}},
    .read = read_program_v,
    .row_size = sizeof(aff_program_row)};

static int sq_program_list(aff_store *st, const aff_list_query *lq, aff_program_cb cb, void *ud)
{
    if (aff_list_sorted(lq))
        return aff_sq_sorted_list(st, &program_shape, lq, (int (*)(void *, const void *))cb, ud);
    sqlite3_stmt *q = list_stmt(st, L_PROGRAMS, lq);
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, lq->after);
    sqlite3_bind_int(q, 2, list_limit(lq));
    aff_program_row *row = malloc(sizeof(*row));
    if (row == NULL)
        return AFF_ENOMEM;
    int rc = run_list(q, row, read_program_v, (int (*)(void *, const void *))cb, ud);
    free(row);
    return rc;
}

static int sq_plan_insert(aff_store *st, int64_t program_id, int version, const char *plan_json, int64_t ms)
{
    sqlite3_stmt *q = stmt(st, S_PLAN_INSERT);
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, program_id);
    sqlite3_bind_int(q, 2, version);
    bind_text(q, 3, plan_json);
    sqlite3_bind_int64(q, 4, ms);
    return exec_stmt(q);
}

static int sq_plan_get(aff_store *st, int64_t program_id, int version, char *json, size_t cap)
{
    sqlite3_stmt *q = stmt(st, S_PLAN_GET);
    int rc = AFF_ENOTFOUND;
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, program_id);
    sqlite3_bind_int(q, 2, version);
    if (step_row(q, &rc)) {
        rc = (size_t)sqlite3_column_bytes(q, 0) < cap ? 0 : AFF_ETOOBIG;
        if (rc == 0)
            col_text(q, 0, json, cap);
    } else if (rc == 0) {
        rc = AFF_ENOTFOUND;
    }
    sqlite3_reset(q);
    return rc;
}

/* ---- affiliates and keys ------------------------------------------------------- */

static void read_affiliate(sqlite3_stmt *q, void *v)
{
    aff_affiliate_row *r = v;
    r->id = col_i64(q, 0);
    col_text(q, 1, r->name, sizeof(r->name));
    col_text(q, 2, r->email, sizeof(r->email));
    col_text(q, 3, r->status, sizeof(r->status));
    r->parent_id = col_i64(q, 4);
    r->created_ms = col_i64(q, 5);
    col_text(q, 6, r->group, sizeof(r->group));
    col_text(q, 7, r->payout_method, sizeof(r->payout_method));
    col_text(q, 8, r->payout_account, sizeof(r->payout_account));
}

static int sq_affiliate_insert(aff_store *st, aff_affiliate_row *r)
{
    sqlite3_stmt *q = stmt(st, S_AFFILIATE_INSERT);
    if (q == NULL)
        return AFF_ESTORE;
    bind_text(q, 1, r->name);
    bind_text(q, 2, r->email);
    bind_text(q, 3, r->status);
    sqlite3_bind_int64(q, 4, r->parent_id);
    sqlite3_bind_int64(q, 5, r->created_ms);
    bind_text(q, 6, r->group);
    bind_text(q, 7, r->payout_method);
    bind_text(q, 8, r->payout_account);
    int rc = exec_insert(q, &r->id);
    return rc;
}

static int sq_affiliate_update(aff_store *st, const aff_affiliate_row *r)
{
    sqlite3_stmt *q = stmt(st, S_AFFILIATE_UPDATE);
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, r->id);
    bind_text(q, 2, r->name);
    bind_text(q, 3, r->email);
    bind_text(q, 4, r->status);
    sqlite3_bind_int64(q, 5, r->parent_id);
    bind_text(q, 6, r->group);
    bind_text(q, 7, r->payout_method);
    bind_text(q, 8, r->payout_account);
    int rc = exec_stmt(q);
    if (rc == 0 && sqlite3_changes(impl(st)->db) == 0)
        rc = AFF_ENOTFOUND;
    return rc;
}

static int sq_affiliate_get(aff_store *st, int64_t id, aff_affiliate_row *r)
{
    sqlite3_stmt *q = stmt(st, S_AFFILIATE_GET);
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, id);
    return get_one(q, r, read_affiliate);
}

static const aff_sq_shape affiliate_shape = {
    .select = "SELECT " AFFILIATE_COLS,
    .id = "id",
    .id_off = OFF(aff_affiliate_row, id),
    .time = "created_ms",
    .filter = {{"status", AFF_SQ_F_STATUS}},
    .search_mode = AFF_SQ_SEARCH_CONTAINS,
    .search = {"name", "email"},
    .sort = {[AFF_SORT_CREATED] = {"created_ms", OFF(aff_affiliate_row, created_ms)},
             [AFF_SORT_NAME] = {"name COLLATE NOCASE", OFF(aff_affiliate_row, name)},
             [AFF_SORT_EMAIL] = {"email COLLATE NOCASE", OFF(aff_affiliate_row, email)},
             [AFF_SORT_STATUS] = {"status", OFF(aff_affiliate_row, status)}},
    .read = read_affiliate,
    .row_size = sizeof(aff_affiliate_row)};

static int sq_affiliate_list(aff_store *st, const aff_list_query *lq, aff_affiliate_cb cb, void *ud)
{
    if (aff_list_sorted(lq))
        return aff_sq_sorted_list(st, &affiliate_shape, lq, (int (*)(void *, const void *))cb, ud);
    sqlite3_stmt *q = list_stmt(st, L_AFFILIATES, lq);
    aff_affiliate_row row;
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, lq->after);
    sqlite3_bind_int(q, 2, list_limit(lq));
    return run_list(q, &row, read_affiliate, (int (*)(void *, const void *))cb, ud);
}

static int sq_key_insert(aff_store *st, const aff_key_row *r)
{
    sqlite3_stmt *q = stmt(st, S_KEY_INSERT);
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_blob(q, 1, r->hash, sizeof(r->hash), SQLITE_STATIC);
    bind_text(q, 2, r->role);
    sqlite3_bind_int64(q, 3, r->affiliate_id);
    sqlite3_bind_int64(q, 4, 0);
    return exec_stmt(q);
}

static int sq_key_count(aff_store *st, const char *role, int64_t *n)
{
    sqlite3_stmt *q = stmt(st, S_KEY_COUNT);
    int rc = 0;
    if (q == NULL)
        return AFF_ESTORE;
    bind_text(q, 1, role);
    *n = step_row(q, &rc) ? col_i64(q, 0) : 0;
    sqlite3_reset(q);
    return rc;
}

static void read_key(sqlite3_stmt *q, void *v)
{
    aff_key_row *r = v;
    memset(r->hash, 0, sizeof(r->hash));
    if (sqlite3_column_bytes(q, 0) == (int)sizeof(r->hash))
        memcpy(r->hash, sqlite3_column_blob(q, 0), sizeof(r->hash));
    col_text(q, 1, r->role, sizeof(r->role));
    r->affiliate_id = col_i64(q, 2);
}

static int sq_key_list(aff_store *st, aff_key_cb cb, void *ud)
{
    sqlite3_stmt *q = stmt(st, S_KEY_LIST);
    aff_key_row row;
    if (q == NULL)
        return AFF_ESTORE;
    return run_list(q, &row, read_key, (int (*)(void *, const void *))cb, ud);
}

/* ---- links and coupons --------------------------------------------------------- */

static void read_link(sqlite3_stmt *q, void *v)
{
    aff_link_row *r = v;
    r->id = col_i64(q, 0);
    col_text(q, 1, r->code, sizeof(r->code));
    r->program_id = col_i64(q, 2);
    r->affiliate_id = col_i64(q, 3);
    col_text(q, 4, r->destination_url, sizeof(r->destination_url));
    for (int i = 0; i < 5; i++)
        col_text(q, 5 + i, r->sub[i], sizeof(r->sub[i]));
    r->created_ms = col_i64(q, 10);
}

static int sq_link_insert(aff_store *st, aff_link_row *r)
{
    sqlite3_stmt *q = stmt(st, S_LINK_INSERT);
    if (q == NULL)
        return AFF_ESTORE;
    bind_text(q, 1, r->code);
    sqlite3_bind_int64(q, 2, r->program_id);
    sqlite3_bind_int64(q, 3, r->affiliate_id);
    bind_text(q, 4, r->destination_url);
    for (int i = 0; i < 5; i++)
        bind_text(q, 5 + i, r->sub[i]);
    sqlite3_bind_int64(q, 10, r->created_ms);
    int rc = exec_insert(q, &r->id);
    return rc;
}

static int sq_link_update(aff_store *st, const aff_link_row *r)
{
    sqlite3_stmt *q = stmt(st, S_LINK_UPDATE);
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, r->id);
    bind_text(q, 2, r->destination_url);
    for (int i = 0; i < 5; i++)
        bind_text(q, 3 + i, r->sub[i]);
    int rc = exec_stmt(q);
    if (rc == 0 && sqlite3_changes(impl(st)->db) == 0)
        rc = AFF_ENOTFOUND;
    return rc;
}

static int sq_link_get(aff_store *st, int64_t id, aff_link_row *r)
{
    sqlite3_stmt *q = stmt(st, S_LINK_GET);
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, id);
    return get_one(q, r, read_link);
}

/* A code search is a prefix: a range of the code's UNIQUE index. */
static const aff_sq_shape link_shape = {
    .select = "SELECT " LINK_COLS,
    .id = "id",
    .id_off = OFF(aff_link_row, id),
    .time = "created_ms",
    .filter = {{"affiliate_id", AFF_SQ_F_AFFILIATE}, {"program_id", AFF_SQ_F_PROGRAM}},
    .search_mode = AFF_SQ_SEARCH_PREFIX,
    .search = {"code"},
    .sort = {[AFF_SORT_CREATED] = {"created_ms", OFF(aff_link_row, created_ms)},
             [AFF_SORT_CODE] = {"code", OFF(aff_link_row, code)},
             [AFF_SORT_PROGRAM] = {"program_id", OFF(aff_link_row, program_id)},
             [AFF_SORT_AFFILIATE] = {"affiliate_id", OFF(aff_link_row, affiliate_id)}},
    .read = read_link,
    .row_size = sizeof(aff_link_row)};

static int sq_link_list(aff_store *st, const aff_list_query *lq, aff_link_cb cb, void *ud)
{
    if (aff_list_sorted(lq))
        return aff_sq_sorted_list(st, &link_shape, lq, (int (*)(void *, const void *))cb, ud);
    sqlite3_stmt *q = list_stmt(st, L_LINKS, lq);
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, lq->after);
    sqlite3_bind_int(q, 2, list_limit(lq));
    aff_link_row *row = malloc(sizeof(*row));
    if (row == NULL)
        return AFF_ENOMEM;
    int rc = run_list(q, row, read_link, (int (*)(void *, const void *))cb, ud);
    free(row);
    return rc;
}

static void read_coupon(sqlite3_stmt *q, void *v)
{
    aff_coupon_row *r = v;
    r->id = col_i64(q, 0);
    col_text(q, 1, r->code, sizeof(r->code));
    r->program_id = col_i64(q, 2);
    r->affiliate_id = col_i64(q, 3);
    r->created_ms = col_i64(q, 4);
}

static int sq_coupon_insert(aff_store *st, aff_coupon_row *r)
{
    sqlite3_stmt *q = stmt(st, S_COUPON_INSERT);
    if (q == NULL)
        return AFF_ESTORE;
    bind_text(q, 1, r->code);
    sqlite3_bind_int64(q, 2, r->program_id);
    sqlite3_bind_int64(q, 3, r->affiliate_id);
    sqlite3_bind_int64(q, 4, r->created_ms);
    int rc = exec_insert(q, &r->id);
    return rc;
}

static int sq_coupon_update(aff_store *st, const aff_coupon_row *r)
{
    sqlite3_stmt *q = stmt(st, S_COUPON_UPDATE);
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, r->id);
    sqlite3_bind_int64(q, 2, r->affiliate_id);
    int rc = exec_stmt(q);
    if (rc == 0 && sqlite3_changes(impl(st)->db) == 0)
        rc = AFF_ENOTFOUND;
    return rc;
}

static int sq_coupon_get(aff_store *st, int64_t id, aff_coupon_row *r)
{
    sqlite3_stmt *q = stmt(st, S_COUPON_GET);
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, id);
    return get_one(q, r, read_coupon);
}

/* Codes are stored upper-case; a search is their prefix, upper-cased. */
static const aff_sq_shape coupon_shape = {
    .select = "SELECT id, code, program_id, affiliate_id, created_ms FROM coupon",
    .id = "id",
    .id_off = OFF(aff_coupon_row, id),
    .time = "created_ms",
    .filter = {{"affiliate_id", AFF_SQ_F_AFFILIATE}, {"program_id", AFF_SQ_F_PROGRAM}},
    .search_mode = AFF_SQ_SEARCH_PREFIX_UPPER,
    .search = {"code"},
    .sort = {[AFF_SORT_CREATED] = {"created_ms", OFF(aff_coupon_row, created_ms)},
             [AFF_SORT_CODE] = {"code", OFF(aff_coupon_row, code)},
             [AFF_SORT_PROGRAM] = {"program_id", OFF(aff_coupon_row, program_id)},
             [AFF_SORT_AFFILIATE] = {"affiliate_id", OFF(aff_coupon_row, affiliate_id)}},
    .read = read_coupon,
    .row_size = sizeof(aff_coupon_row)};

static int sq_coupon_list(aff_store *st, const aff_list_query *lq, aff_coupon_cb cb, void *ud)
{
    if (aff_list_sorted(lq))
        return aff_sq_sorted_list(st, &coupon_shape, lq, (int (*)(void *, const void *))cb, ud);
    sqlite3_stmt *q = list_stmt(st, L_COUPONS, lq);
    aff_coupon_row row;
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, lq->after);
    sqlite3_bind_int(q, 2, list_limit(lq));
    return run_list(q, &row, read_coupon, (int (*)(void *, const void *))cb, ud);
}

/* ---- clicks -------------------------------------------------------------------- */

/* The id of user agent ua, inserting it when new. */
static int intern_ua(aff_store *st, const char *ua, int64_t *id)
{
    sqlite_store *s = impl(st);
    ua_cache *c = &s->uas;
    size_t len = strlen(ua);
    uint64_t h = aff_hash_bytes(ua, len);
    if (c->slots == NULL && (c->slots = calloc(UA_CACHE_SLOTS, sizeof(*c->slots))) == NULL)
        return AFF_ENOMEM;
    size_t j = h & (UA_CACHE_SLOTS - 1);
    for (; c->slots[j].ua != NULL; j = (j + 1) & (UA_CACHE_SLOTS - 1)) {
        if (c->slots[j].hash == h && strcmp(c->slots[j].ua, ua) == 0) {
            *id = c->slots[j].id;
            return 0;
        }
    }
    int rc = 0, batch = 0;
    sqlite3_stmt *q = stmt(st, S_UA_FIND);
    if (q == NULL)
        return AFF_ESTORE;
    bind_text(q, 1, ua);
    if (step_row(q, &rc))
        *id = col_i64(q, 0);
    else if (rc == 0) {
        sqlite3_reset(q);
        if ((q = stmt(st, S_UA_INSERT)) == NULL)
            return AFF_ESTORE;
        bind_text(q, 1, ua);
        if ((rc = exec_stmt(q)) != 0)
            return rc;
        *id = sqlite3_last_insert_rowid(s->db);
        c->tx_inserted = 1;
        batch = 1;
    }
    sqlite3_reset(q);
    if (rc != 0)
        return rc;
    if (c->count * 2 >= UA_CACHE_SLOTS) {
        if (batch || c->count == 0)
            return 0; /* keep the invariant simple: never evict within a batch */
        ua_cache_clear(c);
        j = h & (UA_CACHE_SLOTS - 1);
    }
    char *copy = malloc(len + 1);
    if (copy == NULL)
        return 0; /* caching is optional */
    memcpy(copy, ua, len + 1);
    c->slots[j] = (ua_slot){h, *id, copy};
    c->count++;
    return 0;
}

static int bind_click_id(sqlite3_stmt *q, int i, const char *text, unsigned char raw[CLICK_ID_RAW])
{
    if (aff_base32_decode(text, strlen(text), raw, CLICK_ID_RAW) != 0)
        return AFF_EINVAL;
    sqlite3_bind_blob(q, i, raw, CLICK_ID_RAW, SQLITE_STATIC);
    return 0;
}

static void read_click(sqlite3_stmt *q, void *v)
{
    aff_click_row *r = v;
    if (sqlite3_column_bytes(q, 0) == CLICK_ID_RAW)
        aff_base32_encode(sqlite3_column_blob(q, 0), CLICK_ID_RAW, r->click_id);
    else
        r->click_id[0] = '\0';
    r->ts_ms = col_i64(q, 1);
    r->program_id = col_i64(q, 2);
    r->affiliate_id = col_i64(q, 3);
    r->link_id = col_i64(q, 4);
    col_text(q, 5, r->ip, sizeof(r->ip));
    col_text(q, 6, r->user_agent, sizeof(r->user_agent));
    col_text(q, 7, r->referer, sizeof(r->referer));
    for (int i = 0; i < 5; i++)
        col_text(q, 8 + i, r->sub[i], sizeof(r->sub[i]));
    col_text(q, 13, r->source_id, sizeof(r->source_id));
    r->flags = (unsigned)col_i64(q, 14);
    r->reason = (int)col_i64(q, 15);
    r->asn = (uint32_t)col_i64(q, 16);
    col_text(q, 17, r->country, sizeof(r->country));
}

#define CLICK_COLS_N 18
#define CLICK_COLS_PLAIN 15 /* without reason, asn, country: they keep their defaults */

/* Most clicks have no screening reason and, without IP databases, no asn or country:
 * they are inserted without those columns. Binding three more columns per row of the
 * multi-row insert cost about 2,000 instructions per click (callgrind), for nothing. */
static int click_is_plain(const aff_click_row *r)
{
    return r->reason == 0 && r->asn == 0 && r->country[0] == '\0';
}
#define CLICK_MANY 32

/* Bind row r to the CLICK_COLS_N (wide) or CLICK_COLS_PLAIN parameters starting at
 * first (1-based). */
static int bind_click(aff_store *st, sqlite3_stmt *q, int first, const aff_click_row *r, int wide,
                      unsigned char raw[CLICK_ID_RAW])
{
    int64_t ua_id = 0;
    int rc = intern_ua(st, r->user_agent, &ua_id);
    if (rc != 0)
        return rc;
    if (bind_click_id(q, first, r->click_id, raw) != 0)
        return AFF_EINVAL;
    sqlite3_bind_int64(q, first + 1, r->ts_ms);
    sqlite3_bind_int64(q, first + 2, r->program_id);
    sqlite3_bind_int64(q, first + 3, r->affiliate_id);
    sqlite3_bind_int64(q, first + 4, r->link_id);
    bind_text(q, first + 5, r->ip);
    sqlite3_bind_int64(q, first + 6, ua_id);
    bind_text(q, first + 7, r->referer);
    for (int i = 0; i < 5; i++)
        bind_text(q, first + 8 + i, r->sub[i]);
    bind_text(q, first + 13, r->source_id);
    sqlite3_bind_int64(q, first + 14, r->flags);
    if (!wide)
        return 0;
    sqlite3_bind_int64(q, first + 15, r->reason);
    sqlite3_bind_int64(q, first + 16, r->asn);
    bind_text(q, first + 17, r->country);
    return 0;
}

static int sq_click_insert(aff_store *st, const aff_click_row *r)
{
    unsigned char raw[CLICK_ID_RAW];
    int wide = !click_is_plain(r);
    sqlite3_stmt *q = stmt(st, wide ? S_CLICK_INSERT : S_CLICK_INSERT_PLAIN);
    if (q == NULL)
        return AFF_ESTORE;
    int rc = bind_click(st, q, 1, r, wide, raw);
    return rc != 0 ? rc : exec_stmt(q);
}

/* The multi-row inserts: one statement runs 32 rows (or 16, 8, 4, 2 for the rest of a
 * batch), which saves most of the per-statement work (cursor set-up, step/reset,
 * transaction checks) per click. A batch smaller than 32 (commit mode on a quiet server)
 * went row by row before: 6.7k instructions a row against about 4k in a 32-row INSERT. */
static sqlite3_stmt *click_many_stmt(aff_store *st, int k, int wide)
{
    sqlite_store *s = impl(st);
    sqlite3_stmt **q = &s->click_many[k][wide];
    if (*q != NULL) {
        sqlite3_reset(*q);
        return *q;
    }
    char text[8192];
    size_t n = (size_t)snprintf(text, sizeof(text),
                                "INSERT INTO click(click_id, ts_ms, program_id, affiliate_id, link_id, ip, ua_id,"
                                " referer, sub1, sub2, sub3, sub4, sub5, source_id, flags%s) VALUES",
                                wide ? ", reason, asn, country" : "");
    for (int i = 0; i < CLICK_MANY >> k && n < sizeof(text); i++)
        n += (size_t)snprintf(text + n, sizeof(text) - n, "%s(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?%s)", i ? "," : "",
                              wide ? ",?,?,?" : "");
    if (n >= sizeof(text) || sqlite3_prepare_v3(s->db, text, -1, SQLITE_PREPARE_PERSISTENT, q, NULL) != SQLITE_OK)
        return NULL;
    return *q;
}

static int sq_click_insert_many(aff_store *st, const aff_click_row *const *rows, size_t n)
{
    unsigned char raw[CLICK_MANY][CLICK_ID_RAW];
    size_t i = 0;
    int rc = 0;
    for (int k = 0; rc == 0 && k < CLICK_SIZES; k++) {
        size_t size = CLICK_MANY >> k;
        for (; rc == 0 && n - i >= size; i += size) {
            int wide = 0;
            for (size_t r = 0; r < size && !wide; r++)
                wide = !click_is_plain(rows[i + r]);
            sqlite3_stmt *q = click_many_stmt(st, k, wide);
            if (q == NULL)
                return AFF_ESTORE;
            for (size_t r = 0; r < size && rc == 0; r++)
                rc =
                    bind_click(st, q, 1 + (int)r * (wide ? CLICK_COLS_N : CLICK_COLS_PLAIN), rows[i + r], wide, raw[r]);
            if (rc == 0)
                rc = exec_stmt(q);
        }
    }
    for (; rc == 0 && i < n; i++)
        rc = sq_click_insert(st, rows[i]);
    return rc;
}

static int sq_click_get(aff_store *st, const char *click_id, aff_click_row *r)
{
    unsigned char raw[CLICK_ID_RAW];
    sqlite3_stmt *q = stmt(st, S_CLICK_GET);
    if (q == NULL)
        return AFF_ESTORE;
    if (bind_click_id(q, 1, click_id, raw) != 0)
        return AFF_ENOTFOUND;
    return get_one(q, r, read_click);
}

static void read_click_attr(sqlite3_stmt *q, void *v)
{
    aff_click_attr *r = v;
    r->ts_ms = col_i64(q, 0);
    r->program_id = col_i64(q, 1);
    r->affiliate_id = col_i64(q, 2);
    r->link_id = col_i64(q, 3);
    r->flags = (unsigned)col_i64(q, 4);
    col_text(q, 5, r->ip, sizeof(r->ip));
    col_text(q, 6, r->sub1, sizeof(r->sub1));
    col_text(q, 7, r->country, sizeof(r->country));
}

/* Attribution's read of a click: a conversion names one on almost every postback, and
 * the full row (user agent join, referer, five sub-IDs) cost 4,300 more instructions. */
static int sq_click_attr_get(aff_store *st, const char *click_id, aff_click_attr *r)
{
    unsigned char raw[CLICK_ID_RAW];
    sqlite3_stmt *q = stmt(st, S_CLICK_ATTR);
    if (q == NULL)
        return AFF_ESTORE;
    if (bind_click_id(q, 1, click_id, raw) != 0)
        return AFF_ENOTFOUND;
    return get_one(q, r, read_click_attr);
}

/* The 6-byte big-endian time prefix of the click ids of time ms: it sorts before every
 * id of that millisecond and after every id before it (core/id.h). */
static void time_prefix(int64_t ms, unsigned char out[6])
{
    for (int i = 0; i < 6; i++)
        out[i] = (unsigned char)((uint64_t)ms >> (8 * (5 - i)));
}

static void hour_prefix(int64_t h, unsigned char out[6])
{
    time_prefix(h * 3600000, out);
}

/* Read the clicks of hour (strictly after the cursor `at`, or before it when newest
 * first, when in that hour) that pass lq's filters, handing them to cb, *left at most.
 * Sets *left to 0 when cb stops. */
static int click_hour(aff_store *st, const aff_list_query *lq, int64_t hour, const unsigned char *at, int *left,
                      aff_click_row *row, aff_click_cb cb, void *ud)
{
    unsigned char lo[6], hi[6];
    int rc = 0;
    hour_prefix(hour, lo);
    hour_prefix(hour + 1, hi);
    sqlite3_stmt *q = list_stmt(st, lq->desc ? L_CLICKS_RANGE_DESC : L_CLICKS_RANGE, lq);
    if (q == NULL)
        return AFF_ESTORE;
    const unsigned char *start = lq->desc ? hi : lo, *end = lq->desc ? lo : hi;
    int inside = at != NULL && (lq->desc ? memcmp(at, hi, 6) < 0 : memcmp(at, lo, 6) >= 0);
    if (inside)
        sqlite3_bind_blob(q, 1, at, CLICK_ID_RAW, SQLITE_STATIC);
    else
        sqlite3_bind_blob(q, 1, start, 6, SQLITE_STATIC);
    sqlite3_bind_int(q, 2, *left);
    sqlite3_bind_blob(q, 3, end, 6, SQLITE_STATIC);
    while (rc == 0 && step_row(q, &rc)) {
        read_click(q, row);
        (*left)--;
        int crc = cb(ud, row);
        if (crc != 0) {
            rc = crc < 0 ? crc : 0;
            *left = 0;
            break;
        }
    }
    sqlite3_reset(q);
    return rc;
}

/* The hours of day with clicks of lq's link or affiliate, as bits 0..23. */
static int click_hours_of_day(aff_store *st, const aff_list_query *lq, int64_t day, uint32_t *hours)
{
    int rc = 0;
    sqlite3_stmt *hq = stmt(st, lq->link_id != 0 ? S_CLICK_HOURS_OF_LINK : S_CLICK_HOURS_OF_AFFILIATE);
    if (hq == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(hq, 1, lq->link_id != 0 ? lq->link_id : lq->affiliate_id);
    sqlite3_bind_int64(hq, 2, day);
    *hours = 0;
    while (*hours != 0xffffffu && step_row(hq, &rc))
        *hours |= 1u << (col_i64(hq, 0) & 31);
    sqlite3_reset(hq);
    return rc;
}

/* The statement naming the days with clicks of lq's link or affiliate. */
static int click_days_stmt(const aff_list_query *lq)
{
    return lq->desc ? (lq->link_id != 0 ? S_CLICK_DAYS_BEFORE_OF_LINK : S_CLICK_DAYS_BEFORE_OF_AFFILIATE)
                    : (lq->link_id != 0 ? S_CLICK_DAYS_OF_LINK : S_CLICK_DAYS_OF_AFFILIATE);
}

/* The next day from `day` on (newest first: back from it) with clicks of lq's link or
 * affiliate; *found = 0 when none. */
static int click_next_day(aff_store *st, const aff_list_query *lq, int64_t day, int64_t *next, int *found)
{
    int rc = 0;
    sqlite3_stmt *dq = stmt(st, click_days_stmt(lq));
    if (dq == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(dq, 1, lq->link_id != 0 ? lq->link_id : lq->affiliate_id);
    sqlite3_bind_int64(dq, 2, day);
    *found = step_row(dq, &rc);
    *next = *found ? col_i64(dq, 0) : 0;
    sqlite3_reset(dq);
    return rc;
}

/* Clicks of a link or an affiliate. The click table has no index on either: an entry
 * per click at a random place in an index would cost every recorded click a b-tree
 * insert and, with small group-commit batches, about a page of WAL (measured with two
 * such indexes: +10 % writer instructions per index, generation 1.7x slower, a store
 * 1.5x bigger). Instead the daily rollups, through their (link_id, day) and
 * (affiliate_id, day) indexes, name the days that had such clicks, primary-key lookups
 * of the hourly rollups the hours of those days, and the id's time prefix bounds each
 * hour's clicks in the click table's primary key: only those hours are read, in either
 * direction. */
static int click_list_by_hour(aff_store *st, const aff_list_query *lq, const unsigned char *at, aff_click_row *row,
                              aff_click_cb cb, void *ud)
{
    sqlite_store *s = impl(st);
    int64_t hour = lq->desc ? INT64_MAX / 2 : 0;
    int left = lq->limit > 0 ? lq->limit : INT32_MAX, rc = 0;
    s->nlast = 0;
    if (at != NULL) {
        hour = 0;
        for (int i = 0; i < 6; i++)
            hour = (hour << 8) | at[i];
        hour /= 3600000;
    }
    while (left > 0 && rc == 0) {
        int64_t day;
        int found;
        if ((rc = click_next_day(st, lq, hour / 24, &day, &found)) != 0 || !found)
            break;
        if (lq->desc ? day < hour / 24 : day > hour / 24)
            hour = day * 24 + (lq->desc ? 23 : 0);
        uint32_t hours;
        if ((rc = click_hours_of_day(st, lq, day, &hours)) != 0)
            break;
        for (int n = (int)(hour - day * 24); n >= 0 && n < 24 && left > 0 && rc == 0; n += lq->desc ? -1 : 1) {
            if (!(hours & (1u << n)))
                continue;
            rc = click_hour(st, lq, day * 24 + n, at, &left, row, cb, ud);
            note_query(s, s->stmt[click_days_stmt(lq)], 0); /* after the hour's, which starts the list */
            note_query(s, s->stmt[lq->link_id != 0 ? S_CLICK_HOURS_OF_LINK : S_CLICK_HOURS_OF_AFFILIATE], 0);
        }
        if (lq->desc && day == 0)
            break;
        hour = lq->desc ? day * 24 - 1 : (day + 1) * 24;
    }
    return rc;
}

/* Clicks come in time order (their id starts with it), so a time range is where the
 * walk starts and where it stops: click_bounded stops it at the range's far end and
 * records where the page ended for the next cursor. */
typedef struct click_bounds {
    const aff_list_query *lq;
    aff_click_cb cb;
    void *ud;
} click_bounds;

static int click_bounded(void *ud, const aff_click_row *row)
{
    click_bounds *b = ud;
    if (b->lq->desc ? b->lq->created_from != 0 && row->ts_ms < b->lq->created_from
                    : b->lq->created_to != 0 && row->ts_ms >= b->lq->created_to)
        return 1;
    int rc = b->cb(b->ud, row);
    if (rc == 0 && b->lq->last != NULL) {
        memset(b->lq->last, 0, sizeof(*b->lq->last));
        b->lq->last->set = 1;
        snprintf(b->lq->last->tid, sizeof(b->lq->last->tid), "%s", row->click_id);
    }
    return rc;
}

/* A click's text id as its column's value (the sorted lists' cursor). */
static int click_id_raw(const char *text, unsigned char *out, size_t *len)
{
    if (strlen(text) != AFF_CLICK_ID_LEN || aff_base32_decode(text, AFF_CLICK_ID_LEN, out, CLICK_ID_RAW) != 0)
        return AFF_EINVAL;
    *len = CLICK_ID_RAW;
    return 0;
}

static void click_time_raw(int64_t ms, unsigned char *out, size_t *len)
{
    time_prefix(ms, out);
    *len = 6;
}

static void read_click_v(sqlite3_stmt *q, void *r)
{
    read_click(q, r);
}

/* Clicks sorted by time without a link or affiliate (a walk of the primary key, either
 * way, bounded by the id's time prefix), or by another column within a bounded number
 * of days (click_sort_bounded). No filter leads: the click table has only its key. */
static const aff_sq_shape click_shape = {
    .select = "SELECT " CLICK_COLS,
    .id = "c.click_id",
    .id_off = OFF(aff_click_row, click_id),
    .id_raw = click_id_raw,
    .time_raw = click_time_raw,
    .filter = {{"c.link_id", AFF_SQ_F_LINK},
               {"c.affiliate_id", AFF_SQ_F_AFFILIATE},
               {"c.program_id", AFF_SQ_F_PROGRAM}},
    .sort = {[AFF_SORT_PROGRAM] = {"c.program_id", OFF(aff_click_row, program_id)},
             [AFF_SORT_AFFILIATE] = {"c.affiliate_id", OFF(aff_click_row, affiliate_id)},
             [AFF_SORT_LINK] = {"c.link_id", OFF(aff_click_row, link_id)},
             [AFF_SORT_IP] = {"c.ip", OFF(aff_click_row, ip)},
             [AFF_SORT_SUB1] = {"c.sub1", OFF(aff_click_row, sub[0])}},
    .read = read_click_v,
    .row_size = sizeof(aff_click_row)};

/* A sort other than time reads every click of the days in lq's range and sorts them:
 * AFF_ERANGE, before reading any, when the daily rollups count more than
 * AFF_CLICK_SORT_SCAN_MAX in those days (reading at most that many rollup rows that
 * have clicks). */
static int click_sort_bounded(aff_store *st, const aff_list_query *lq)
{
    sqlite3_stmt *q = stmt(st, S_CLICK_DAY_TOTALS);
    int64_t n = 0;
    int rc = 0;
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, lq->created_from / AFF_MS_PER_DAY);
    sqlite3_bind_int64(q, 2, lq->created_to != 0 ? (lq->created_to + AFF_MS_PER_DAY - 1) / AFF_MS_PER_DAY : INT64_MAX);
    while (n <= AFF_CLICK_SORT_SCAN_MAX && step_row(q, &rc))
        n += col_i64(q, 0);
    sqlite3_reset(q);
    return rc != 0 ? rc : n > AFF_CLICK_SORT_SCAN_MAX ? AFF_ERANGE : 0;
}

/* Clicks by time either way (by link or affiliate through the rollups, see
 * click_list_by_hour; otherwise along the primary key), or by another column within
 * bounds (click_sort_bounded). The cursor's tid is the last click id. */
static int sq_click_list(aff_store *st, const aff_list_query *lq, aff_click_cb cb, void *ud)
{
    unsigned char raw[CLICK_ID_RAW];
    int rc;
    if (lq->search != NULL && lq->search[0] != '\0')
        return AFF_EINVAL;
    if (lq->sort != AFF_SORT_ID && (rc = click_sort_bounded(st, lq)) != 0)
        return rc;
    int by_hour = lq->sort == AFF_SORT_ID && (lq->link_id != 0 || lq->affiliate_id != 0);
    if (!by_hour && aff_list_sorted(lq))
        return aff_sq_sorted_list(st, &click_shape, lq, (int (*)(void *, const void *))cb, ud);
    const char *at = lq->from.set ? lq->from.tid : lq->after_click;
    int has_at = at[0] != '\0';
    if (has_at && aff_base32_decode(at, strlen(at), raw, CLICK_ID_RAW) != 0)
        return AFF_EINVAL;
    /* the walk starts at the near end of the time range */
    int64_t start = lq->desc ? lq->created_to : lq->created_from;
    if (start > 0) {
        unsigned char bound[CLICK_ID_RAW] = {0}; /* below every id of that millisecond */
        time_prefix(start, bound);
        if (!has_at || (lq->desc ? memcmp(raw, bound, CLICK_ID_RAW) > 0 : memcmp(raw, bound, CLICK_ID_RAW) < 0))
            memcpy(raw, bound, CLICK_ID_RAW);
        has_at = 1;
    }
    click_bounds bounds = {lq, cb, ud};
    cb = click_bounded;
    ud = &bounds;
    aff_click_row *row = malloc(sizeof(*row));
    if (row == NULL)
        return AFF_ENOMEM;
    if (by_hour) {
        rc = click_list_by_hour(st, lq, has_at ? raw : NULL, row, cb, ud);
    } else {
        sqlite3_stmt *q = list_stmt(st, L_CLICKS, lq);
        if (q != NULL) {
            sqlite3_bind_blob(q, 1, has_at ? (const void *)raw : "", has_at ? CLICK_ID_RAW : 0, SQLITE_STATIC);
            sqlite3_bind_int(q, 2, list_limit(lq));
            rc = run_list(q, row, read_click, (int (*)(void *, const void *))cb, ud);
        } else {
            rc = AFF_ESTORE;
        }
    }
    free(row);
    return rc;
}

static int sq_click_seen_get(aff_store *st, int64_t link_id, uint64_t fp, int64_t *unique_ms)
{
    sqlite3_stmt *q = stmt(st, S_CLICK_SEEN_GET);
    int rc = 0;
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, link_id);
    sqlite3_bind_int64(q, 2, (int64_t)fp);
    if (step_row(q, &rc))
        *unique_ms = col_i64(q, 0);
    else if (rc == 0)
        rc = AFF_ENOTFOUND;
    sqlite3_reset(q);
    return rc;
}

static int sq_click_seen_put(aff_store *st, int64_t link_id, uint64_t fp, int64_t now_ms)
{
    sqlite3_stmt *q = stmt(st, S_CLICK_SEEN_PUT);
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, link_id);
    sqlite3_bind_int64(q, 2, (int64_t)fp);
    sqlite3_bind_int64(q, 3, now_ms);
    return exec_stmt(q);
}

static int sq_click_seen_prune(aff_store *st, int64_t *link_id, int64_t *fp, int max_rows, int64_t before_ms,
                               int64_t *deleted)
{
    sqlite3_stmt *q = stmt(st, S_CLICK_SEEN_EDGE);
    int64_t end_link = INT64_MAX, end_fp = INT64_MAX;
    int rc = 0, more;
    *deleted = 0;
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, *link_id);
    sqlite3_bind_int64(q, 2, *fp);
    sqlite3_bind_int(q, 3, max_rows > 1 ? max_rows - 1 : 0);
    if ((more = step_row(q, &rc)) != 0) {
        end_link = col_i64(q, 0);
        end_fp = col_i64(q, 1);
    }
    sqlite3_reset(q);
    if (rc != 0 || (q = stmt(st, S_CLICK_SEEN_PRUNE)) == NULL)
        return rc != 0 ? rc : AFF_ESTORE;
    sqlite3_bind_int64(q, 1, *link_id);
    sqlite3_bind_int64(q, 2, *fp);
    sqlite3_bind_int64(q, 3, end_link);
    sqlite3_bind_int64(q, 4, end_fp);
    sqlite3_bind_int64(q, 5, before_ms);
    if ((rc = exec_stmt(q)) != 0)
        return rc;
    *deleted = sqlite3_changes64(impl(st)->db);
    *link_id = more ? end_link : INT64_MIN; /* past the end: start over */
    *fp = more ? end_fp : INT64_MIN;
    return 0;
}

/* ---- conversions and customers --------------------------------------------------- */

void aff_sq_read_conversion(sqlite3_stmt *q, void *v)
{
    aff_conversion_row *r = v;
    r->id = col_i64(q, 0);
    r->program_id = col_i64(q, 1);
    col_text(q, 2, r->event, sizeof(r->event));
    col_text(q, 3, r->order_id, sizeof(r->order_id));
    r->amount_minor = col_i64(q, 4);
    col_text(q, 5, r->currency, sizeof(r->currency));
    col_text(q, 6, r->status, sizeof(r->status));
    col_text(q, 7, r->method, sizeof(r->method));
    col_text(q, 8, r->click_id, sizeof(r->click_id));
    r->affiliate_id = col_i64(q, 9);
    r->link_id = col_i64(q, 10);
    r->coupon_id = col_i64(q, 11);
    col_text(q, 12, r->coupon, sizeof(r->coupon));
    col_text(q, 13, r->customer_id, sizeof(r->customer_id));
    col_text(q, 14, r->email_hash, sizeof(r->email_hash));
    r->test = (int)col_i64(q, 15);
    r->refunded_minor = col_i64(q, 16);
    col_text(q, 17, r->items_json, sizeof(r->items_json));
    r->created_ms = col_i64(q, 18);
    r->shipping_minor = col_i64(q, 19);
    r->tax_minor = col_i64(q, 20);
    r->renewal = (int)col_i64(q, 21);
    r->origin_id = col_i64(q, 22);
    r->plan_version = (int)col_i64(q, 23);
    r->earned_minor = col_i64(q, 24);
    r->hold_until_ms = col_i64(q, 25);
    col_text(q, 26, r->reason, sizeof(r->reason));
    r->tier = (int)col_i64(q, 27);
    r->counted = (int)col_i64(q, 28);
    col_text(q, 29, r->ip, sizeof(r->ip));
    r->score = (int)col_i64(q, 30);
    col_text(q, 31, r->screening, sizeof(r->screening));
    col_text(q, 32, r->sub1, sizeof(r->sub1));
}

static int sq_conversion_find(aff_store *st, int64_t program_id, const char *event, const char *order_id,
                              aff_conversion_row *r)
{
    sqlite3_stmt *q = stmt(st, S_CONV_FIND);
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, program_id);
    bind_text(q, 2, event);
    bind_text(q, 3, order_id);
    return get_one(q, r, aff_sq_read_conversion);
}

static int sq_conversion_insert(aff_store *st, aff_conversion_row *r)
{
    sqlite3_stmt *q = stmt(st, S_CONV_INSERT);
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, r->program_id);
    bind_text(q, 2, r->event);
    bind_text(q, 3, r->order_id);
    sqlite3_bind_int64(q, 4, r->amount_minor);
    bind_text(q, 5, r->currency);
    bind_text(q, 6, r->status);
    bind_text(q, 7, r->method);
    bind_text(q, 8, r->click_id);
    sqlite3_bind_int64(q, 9, r->affiliate_id);
    sqlite3_bind_int64(q, 10, r->link_id);
    sqlite3_bind_int64(q, 11, r->coupon_id);
    bind_text(q, 12, r->coupon);
    bind_text(q, 13, r->customer_id);
    bind_text(q, 14, r->email_hash);
    sqlite3_bind_int(q, 15, r->test);
    sqlite3_bind_int64(q, 16, r->refunded_minor);
    bind_text(q, 17, r->items_json);
    sqlite3_bind_int64(q, 18, r->created_ms);
    sqlite3_bind_int64(q, 19, r->shipping_minor);
    sqlite3_bind_int64(q, 20, r->tax_minor);
    sqlite3_bind_int(q, 21, r->renewal);
    sqlite3_bind_int64(q, 22, r->origin_id);
    sqlite3_bind_int(q, 23, r->plan_version);
    sqlite3_bind_int64(q, 24, r->earned_minor);
    sqlite3_bind_int64(q, 25, r->hold_until_ms);
    bind_text(q, 26, r->reason);
    sqlite3_bind_int(q, 27, r->tier);
    sqlite3_bind_int(q, 28, r->counted);
    bind_text(q, 29, r->ip);
    sqlite3_bind_int(q, 30, r->score);
    bind_text(q, 31, r->screening);
    bind_text(q, 32, r->sub1);
    if (r->id > 0)
        sqlite3_bind_int64(q, 33, r->id);
    else
        sqlite3_bind_null(q, 33);
    int rc = exec_insert(q, &r->id);
    impl(st)->next_conv_id = rc == 0 && !sqlite3_get_autocommit(impl(st)->db) ? r->id + 1 : 0;
    return rc;
}

/* max(id) + 1, which is what SQLite assigns an INTEGER PRIMARY KEY (ids are never
 * deleted); remembered until the transaction ends, or a rollback or failed insert. */
static int sq_conversion_next_id(aff_store *st, int64_t *id)
{
    sqlite_store *s = impl(st);
    if (s->next_conv_id > 0 && !sqlite3_get_autocommit(s->db)) {
        *id = s->next_conv_id;
        return 0;
    }
    sqlite3_stmt *q = stmt(st, S_CONV_NEXT_ID);
    int rc = q == NULL ? AFF_ESTORE : one_int(q, id);
    s->next_conv_id = rc == 0 && !sqlite3_get_autocommit(s->db) ? *id : 0;
    return rc;
}

static int sq_conversion_get(aff_store *st, int64_t id, aff_conversion_row *r)
{
    sqlite3_stmt *q = stmt(st, S_CONV_GET);
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, id);
    return get_one(q, r, aff_sq_read_conversion);
}

/* An order id search is a prefix; no index leads by order id alone (the UNIQUE one
 * starts with the program), so it is tested along the leading filter's rows. */
#define CONVERSION_SORTS                                                                                   \
    {                                                                                                      \
        [AFF_SORT_CREATED] = {"created_ms", OFF(aff_conversion_row, created_ms)},                          \
        [AFF_SORT_AMOUNT] = {"amount_minor", OFF(aff_conversion_row, amount_minor)},                       \
        [AFF_SORT_STATUS] = {"status", OFF(aff_conversion_row, status)},                                   \
        [AFF_SORT_ORDER_ID] = {"order_id", OFF(aff_conversion_row, order_id)},                             \
        [AFF_SORT_PROGRAM] = {"program_id", OFF(aff_conversion_row, program_id)}, [AFF_SORT_AFFILIATE] = { \
            "affiliate_id",                                                                                \
            OFF(aff_conversion_row, affiliate_id)                                                          \
        }                                                                                                  \
    }
const aff_sq_shape aff_sq_conversion_shape = {
    .select = "SELECT " AFF_SQ_CONV_COLS,
    .id = "id",
    .id_off = OFF(aff_conversion_row, id),
    .time = "created_ms",
    .filter = {{"affiliate_id", AFF_SQ_F_AFFILIATE}, {"program_id", AFF_SQ_F_PROGRAM}, {"status", AFF_SQ_F_STATUS}},
    .search_mode = AFF_SQ_SEARCH_PREFIX,
    .search = {"order_id"},
    .sort = CONVERSION_SORTS,
    .read = aff_sq_read_conversion,
    .row_size = sizeof(aff_conversion_row)};
/* The review queue: conversions a screening rule hit, through conversion_screened. */
const aff_sq_shape aff_sq_screened_shape = {
    .select = "SELECT " AFF_SQ_CONV_COLS,
    .fixed = "score > 0",
    .id = "id",
    .id_off = OFF(aff_conversion_row, id),
    .time = "created_ms",
    .filter = {{"program_id", AFF_SQ_F_PROGRAM}, {"affiliate_id", AFF_SQ_F_AFFILIATE}, {"status", AFF_SQ_F_STATUS}},
    .search_mode = AFF_SQ_SEARCH_PREFIX,
    .search = {"order_id"},
    .sort = CONVERSION_SORTS,
    .read = aff_sq_read_conversion,
    .row_size = sizeof(aff_conversion_row)};

static int sq_conversion_list(aff_store *st, const aff_list_query *lq, aff_conversion_cb cb, void *ud)
{
    if (aff_list_sorted(lq))
        return aff_sq_sorted_list(st, &aff_sq_conversion_shape, lq, (int (*)(void *, const void *))cb, ud);
    sqlite3_stmt *q = list_stmt(st, L_CONVERSIONS, lq);
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, lq->after);
    sqlite3_bind_int(q, 2, list_limit(lq));
    return run_list_alloc(q, sizeof(aff_conversion_row), aff_sq_read_conversion, (int (*)(void *, const void *))cb, ud);
}

static int sq_conversion_set_refund(aff_store *st, int64_t id, int64_t refunded_minor, const char *status)
{
    sqlite3_stmt *q = stmt(st, S_CONV_REFUND);
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, id);
    sqlite3_bind_int64(q, 2, refunded_minor);
    bind_text(q, 3, status);
    int rc = exec_stmt(q);
    if (rc == 0 && sqlite3_changes(impl(st)->db) == 0)
        rc = AFF_ENOTFOUND;
    return rc;
}

static int sq_customer_get(aff_store *st, int64_t program_id, const char *key, int64_t *affiliate_id, int64_t *link_id)
{
    sqlite3_stmt *q = stmt(st, S_CUSTOMER_GET);
    int rc = 0;
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, program_id);
    bind_text(q, 2, key);
    if (step_row(q, &rc)) {
        *affiliate_id = col_i64(q, 0);
        *link_id = col_i64(q, 1);
    } else if (rc == 0) {
        rc = AFF_ENOTFOUND;
    }
    sqlite3_reset(q);
    return rc;
}

static int sq_customer_put(aff_store *st, int64_t program_id, const char *key, int64_t affiliate_id, int64_t link_id,
                           int64_t ms)
{
    sqlite3_stmt *q = stmt(st, S_CUSTOMER_PUT);
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, program_id);
    bind_text(q, 2, key);
    sqlite3_bind_int64(q, 3, affiliate_id);
    sqlite3_bind_int64(q, 4, link_id);
    sqlite3_bind_int64(q, 5, ms);
    return exec_stmt(q);
}

/* ---- rollups, reports, verification ----------------------------------------------- */

#define ROLLUP_COUNTERS 10 /* the members of aff_rollup_delta, in column order */

static int sq_rollup_add(aff_store *st, int64_t hour, int64_t program_id, int64_t affiliate_id, int64_t link_id,
                         const aff_rollup_delta *d)
{
    const int64_t v[ROLLUP_COUNTERS] = {
        d->clicks,        d->unique_clicks,    d->bot_clicks,    d->rejected_clicks, d->conversions,
        d->revenue_minor, d->commission_minor, d->refunds_minor, d->overrides_minor, d->override_income_minor};
    int rc = 0;
    for (int s = 0; s < 2 && rc == 0; s++) { /* the hourly row, then its day's row */
        sqlite3_stmt *q = stmt(st, s == 0 ? S_ROLLUP_ADD : S_ROLLUP_DAY_ADD);
        if (q == NULL)
            return AFF_ESTORE;
        sqlite3_bind_int64(q, 1, hour);
        sqlite3_bind_int64(q, 2, program_id);
        sqlite3_bind_int64(q, 3, affiliate_id);
        sqlite3_bind_int64(q, 4, link_id);
        for (int i = 0; i < ROLLUP_COUNTERS; i++)
            sqlite3_bind_int64(q, 5 + i, v[i]);
        rc = exec_stmt(q);
    }
    return rc;
}

static int sq_rollup_sub_add(aff_store *st, int64_t day, int64_t program_id, int64_t affiliate_id, const char *sub1,
                             const aff_rollup_delta *d)
{
    const int64_t v[ROLLUP_COUNTERS] = {
        d->clicks,        d->unique_clicks,    d->bot_clicks,    d->rejected_clicks, d->conversions,
        d->revenue_minor, d->commission_minor, d->refunds_minor, d->overrides_minor, d->override_income_minor};
    sqlite3_stmt *q = stmt(st, S_ROLLUP_SUB_ADD);
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, day);
    sqlite3_bind_int64(q, 2, program_id);
    sqlite3_bind_int64(q, 3, affiliate_id);
    bind_text(q, 4, sub1);
    for (int i = 0; i < ROLLUP_COUNTERS; i++)
        sqlite3_bind_int64(q, 5 + i, v[i]);
    return exec_stmt(q);
}

#define METRIC_SUMS                                                                             \
    "sum(clicks), sum(unique_clicks), sum(bot_clicks), sum(rejected_clicks), sum(conversions)," \
    " sum(revenue_minor), sum(commission_minor), sum(refunds_minor), sum(overrides_minor),"     \
    " sum(override_income_minor)"

/* One statement per group shape (a subset of day/program/affiliate/link/sub1), table and
 * set of filters, built once. Whole-day ranges read stats_daily, anything else
 * stats_hourly; a shape with sub1 reads stats_sub_daily (whole days only, no link; an
 * affiliate's rows are found day by day by primary-key prefix (day, affiliate_id), the
 * days coming from a recursive CTE, since that table has no affiliate index). As
 * with lists, only the filters that are set are named, so that an affiliate's or a
 * link's report reads its rows through the (affiliate_id, day) or (link_id, day) index
 * instead of every row of the period. The API asks only whole days; stats_hourly has
 * no such indexes (each would cost every new hourly row two more b-tree inserts), so
 * other ranges read the period's hourly rows. Filters: ?3 program, ?4 affiliate, ?5 link.
 * Columns: day, program, affiliate, link, sub1, then the sums. */
static sqlite3_stmt *report_stmt(aff_store *st, unsigned mask, int daily, const aff_report_query *rq)
{
    sqlite_store *s = impl(st);
    unsigned filters =
        (rq->program_id != 0 ? 1u : 0u) | (rq->affiliate_id != 0 ? 2u : 0u) | (rq->link_id != 0 ? 4u : 0u);
    mask &= 31;
    int slot = (int)mask + (daily ? 32 : 0) + (int)filters * 64;
    if (s->report_stmt[slot] != NULL) {
        sqlite3_reset(s->report_stmt[slot]);
        sqlite3_clear_bindings(s->report_stmt[slot]);
        note_query(s, s->report_stmt[slot], 1);
        return s->report_stmt[slot];
    }
    int sub = (mask & AFF_GROUP_SUB1) != 0;
    const char *day = daily ? "day" : "hour / 24", *time = daily ? "day" : "hour";
    const char *table = sub ? "stats_sub_daily" : daily ? "stats_daily" : "stats_hourly";
    char cols[200], group[200], text[1200];
    snprintf(cols, sizeof(cols), "%s, %s, %s, %s, %s", mask & AFF_GROUP_DAY ? day : "0",
             mask & AFF_GROUP_PROGRAM ? "program_id" : "0", mask & AFF_GROUP_AFFILIATE ? "affiliate_id" : "0",
             mask & AFF_GROUP_LINK ? "link_id" : "0", sub ? "sub1" : "''");
    group[0] = '\0';
    size_t n = 0;
    const char *names[5] = {day, "program_id", "affiliate_id", "link_id", "sub1"};
    for (int i = 0; i < 5; i++)
        if (mask & (1u << i))
            n += (size_t)snprintf(group + n, sizeof(group) - n, "%s%s", n ? ", " : "", names[i]);
    /* The most selective filter set leads (link, then affiliate); the others are written
     * `+col` so that SQLite uses no index for them (see list_stmt). */
    if (sub && (filters & 2))
        snprintf(text, sizeof(text),
                 "WITH RECURSIVE d(x) AS (SELECT ?1 UNION ALL SELECT x + 1 FROM d WHERE x < ?2) SELECT %s, " METRIC_SUMS
                 " FROM d CROSS JOIN %s ON day = d.x AND affiliate_id = ?4%s%s%s%s%s",
                 cols, table, filters & 1 ? " AND +program_id = ?3" : "", n ? " GROUP BY " : "", group,
                 n ? " ORDER BY " : "", group);
    else
        snprintf(text, sizeof(text), "SELECT %s, " METRIC_SUMS " FROM %s WHERE %s BETWEEN ?1 AND ?2%s%s%s%s%s%s%s",
                 cols, table, time, filters & 1 ? (filters & 6 ? " AND +program_id = ?3" : " AND program_id = ?3") : "",
                 filters & 2 ? (filters & 4 ? " AND +affiliate_id = ?4" : " AND affiliate_id = ?4") : "",
                 filters & 4 ? " AND link_id = ?5" : "", n ? " GROUP BY " : "", group, n ? " ORDER BY " : "", group);
    if (sqlite3_prepare_v3(s->db, text, -1, SQLITE_PREPARE_PERSISTENT, &s->report_stmt[slot], NULL) != SQLITE_OK)
        return NULL;
    note_query(s, s->report_stmt[slot], 1);
    return s->report_stmt[slot];
}

static void read_metrics(sqlite3_stmt *q, int first, aff_rollup_delta *m)
{
    m->clicks = col_i64(q, first);
    m->unique_clicks = col_i64(q, first + 1);
    m->bot_clicks = col_i64(q, first + 2);
    m->rejected_clicks = col_i64(q, first + 3);
    m->conversions = col_i64(q, first + 4);
    m->revenue_minor = col_i64(q, first + 5);
    m->commission_minor = col_i64(q, first + 6);
    m->refunds_minor = col_i64(q, first + 7);
    m->overrides_minor = col_i64(q, first + 8);
    m->override_income_minor = col_i64(q, first + 9);
}

static int sq_report(aff_store *st, const aff_report_query *rq, aff_report_cb cb, void *ud)
{
    int daily = rq->from_hour % 24 == 0 && (rq->to_hour + 1) % 24 == 0 && rq->from_hour >= 0;
    if ((rq->group_mask & AFF_GROUP_SUB1) && (!daily || rq->link_id != 0 || (rq->group_mask & AFF_GROUP_LINK)))
        return AFF_EINVAL; /* the sub-ID rollup is daily and has no link */
    sqlite3_stmt *q = report_stmt(st, rq->group_mask, daily, rq);
    int rc = 0;
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, daily ? rq->from_hour / 24 : rq->from_hour);
    sqlite3_bind_int64(q, 2, daily ? (rq->to_hour + 1) / 24 - 1 : rq->to_hour);
    if (rq->program_id != 0)
        sqlite3_bind_int64(q, 3, rq->program_id);
    if (rq->affiliate_id != 0)
        sqlite3_bind_int64(q, 4, rq->affiliate_id);
    if (rq->link_id != 0)
        sqlite3_bind_int64(q, 5, rq->link_id);
    aff_report_row *row = malloc(sizeof(*row));
    if (row == NULL) {
        sqlite3_reset(q);
        return AFF_ENOMEM;
    }
    while (step_row(q, &rc)) {
        if (rq->group_mask != 0 && sqlite3_column_type(q, 5) == SQLITE_NULL)
            continue;
        row->day_ms = col_i64(q, 0) * 86400000LL;
        row->program_id = col_i64(q, 1);
        row->affiliate_id = col_i64(q, 2);
        row->link_id = col_i64(q, 3);
        col_text(q, 4, row->sub1, sizeof(row->sub1));
        read_metrics(q, 5, &row->m);
        int crc = cb(ud, row);
        if (crc != 0) {
            rc = crc < 0 ? crc : 0;
            break;
        }
    }
    free(row);
    sqlite3_reset(q);
    return rc;
}

static int query_metrics(sqlite3 *db, const char *text, aff_rollup_delta *m)
{
    sqlite3_stmt *q;
    int rc = 0;
    if (sqlite3_prepare_v2(db, text, -1, &q, NULL) != SQLITE_OK)
        return AFF_ESTORE;
    if (step_row(q, &rc))
        read_metrics(q, 0, m);
    sqlite3_finalize(q);
    return rc;
}

/* The one integer a verify query answers (a count of mismatches), into *out. */
static int query_count(sqlite3 *db, const char *text, int64_t *out)
{
    sqlite3_stmt *q;
    int rc = 0;
    if (sqlite3_prepare_v2(db, text, -1, &q, NULL) != SQLITE_OK)
        return AFF_ESTORE;
    if (step_row(q, &rc))
        *out = col_i64(q, 0);
    sqlite3_finalize(q);
    return rc;
}

/* The sub-ID rollup row by row: click counters, conversions and revenue against the raw
 * events by (day, program, affiliate, sub1) (commission and refunds count when the line
 * or refund was written, so only their totals can be recounted), and every (day,
 * program, affiliate) against stats_daily. Differences either way are counted. */
#define SUB_RAW                                                                                                  \
    "WITH raw(d, p, a, s, c, u, b, r, n, v) AS (SELECT ts_ms / 86400000, program_id, affiliate_id, sub1,"        \
    " sum(flags & 6 = 0), sum(flags & 7 = 1), sum(flags & 2 <> 0), sum(flags & 6 = 4), 0, 0 FROM click"          \
    " GROUP BY 1, 2, 3, 4 UNION ALL SELECT created_ms / 86400000, program_id, affiliate_id, sub1, 0, 0, 0, 0,"   \
    " count(*), sum(amount_minor) FROM conversion WHERE test = 0 AND status <> 'rejected' GROUP BY 1, 2, 3, 4)," \
    " want AS (SELECT d, p, a, s, sum(c), sum(u), sum(b), sum(r), sum(n), sum(v) FROM raw GROUP BY 1, 2, 3, 4)," \
    " have AS (SELECT day, program_id, affiliate_id, sub1, clicks, unique_clicks, bot_clicks, rejected_clicks,"  \
    " conversions, revenue_minor FROM stats_sub_daily WHERE clicks OR unique_clicks OR bot_clicks"               \
    " OR rejected_clicks OR conversions OR revenue_minor),"
#define SUB_GROUPS(t) "SELECT day, program_id, affiliate_id, " METRIC_SUMS " FROM " t " GROUP BY 1, 2, 3"
static int count_sub_mismatches(sqlite3 *db, int64_t *out)
{
    static const char text[] = SUB_RAW " daily AS (" SUB_GROUPS("stats_daily") "), sub AS (" SUB_GROUPS(
        "stats_sub_daily") ")"
                           " SELECT (SELECT count(*) FROM (SELECT * FROM want EXCEPT SELECT * FROM have))"
                           " + (SELECT count(*) FROM (SELECT * FROM have EXCEPT SELECT * FROM want))"
                           " + (SELECT count(*) FROM (SELECT * FROM daily EXCEPT SELECT * FROM sub))"
                           " + (SELECT count(*) FROM (SELECT * FROM sub EXCEPT SELECT * FROM daily))";
    return query_count(db, text, out);
}

/* Ledger lines of a conversion paid to another affiliate than the converting one (its
 * parents' overrides), as the reports count them: every line that is not rejected. */
#define OVERRIDE_LINES                                                                        \
    " FROM ledger l JOIN conversion c ON c.id = l.conversion_id WHERE l.status <> 'rejected'" \
    " AND l.affiliate_id <> c.affiliate_id"

/* overrides_minor and override_income_minor of stats_daily per (program, affiliate),
 * over all time, against the ledger: the converting affiliate's part paid to others, and
 * each payee's income. (Per day only their sums could be recounted: a line counts in the
 * hour it was written, a rejection in the hour its conversion was recorded.) */
static int count_override_mismatches(sqlite3 *db, int64_t *out)
{
    static const char text[] =
        "WITH want AS (SELECT p, a, sum(o), sum(i) FROM (SELECT l.program_id AS p, c.affiliate_id AS a,"
        " l.amount_minor AS o, 0 AS i" OVERRIDE_LINES " UNION ALL SELECT l.program_id, l.affiliate_id, 0,"
        " l.amount_minor" OVERRIDE_LINES ") GROUP BY 1, 2 HAVING sum(o) <> 0 OR sum(i) <> 0),"
        " have AS (SELECT program_id, affiliate_id, sum(overrides_minor), sum(override_income_minor) FROM stats_daily"
        " GROUP BY 1, 2 HAVING sum(overrides_minor) <> 0 OR sum(override_income_minor) <> 0)"
        " SELECT (SELECT count(*) FROM (SELECT * FROM want EXCEPT SELECT * FROM have))"
        " + (SELECT count(*) FROM (SELECT * FROM have EXCEPT SELECT * FROM want))";
    return query_count(db, text, out);
}

static int sq_verify(aff_store *st, aff_verify_counts *out)
{
    sqlite3 *db = impl(st)->db;
    memset(out, 0, sizeof(*out));
    int rc = query_metrics(db, "SELECT " METRIC_SUMS " FROM stats_hourly", &out->rollup);
    if (rc == 0)
        rc = query_metrics(db, "SELECT " METRIC_SUMS " FROM stats_daily", &out->daily);
    if (rc == 0)
        rc = query_metrics(db, "SELECT " METRIC_SUMS " FROM stats_sub_daily", &out->sub);
    if (rc == 0)
        rc = count_sub_mismatches(db, &out->sub_mismatches);
    if (rc == 0)
        rc = count_override_mismatches(db, &out->override_mismatches);
    if (rc != 0)
        return rc;
    /* The raw recount follows the report definitions in docs/api.md. */
    return query_metrics(
        db,
        "SELECT (SELECT count(*) FROM click WHERE flags & 6 = 0), (SELECT count(*) FROM click WHERE flags & 7 = 1),"
        " (SELECT count(*) FROM click WHERE flags & 2), (SELECT count(*) FROM click WHERE flags & 6 = 4),"
        " (SELECT count(*) FROM conversion WHERE test = 0 AND status <> 'rejected'),"
        " (SELECT coalesce(sum(amount_minor), 0) FROM conversion WHERE test = 0 AND status <> 'rejected'),"
        " (SELECT coalesce(sum(amount_minor), 0) FROM ledger WHERE status NOT IN ('rejected')),"
        " (SELECT coalesce(sum(refunded_minor), 0) FROM conversion WHERE test = 0 AND status <> 'rejected'),"
        " (SELECT coalesce(sum(l.amount_minor), 0)" OVERRIDE_LINES "),"
        " (SELECT coalesce(sum(l.amount_minor), 0)" OVERRIDE_LINES ")",
        &out->raw);
}

int aff_store_sqlite_last_plan(aff_store *st, char *out, size_t cap)
{
    sqlite_store *s = impl(st);
    char text[4096];
    sqlite3_stmt *q;
    size_t n = 0;
    if (cap == 0 || s->nlast == 0)
        return AFF_ENOTFOUND;
    out[0] = '\0';
    for (int i = 0; i < s->nlast && n < cap; i++) {
        if ((size_t)snprintf(text, sizeof(text), "EXPLAIN QUERY PLAN %s", sqlite3_sql(s->last_query[i])) >=
            sizeof(text))
            return AFF_ETOOBIG;
        if (sqlite3_prepare_v2(s->db, text, -1, &q, NULL) != SQLITE_OK)
            return AFF_ESTORE;
        while (sqlite3_step(q) == SQLITE_ROW && n < cap)
            n += (size_t)snprintf(out + n, cap - n, "%s\n", (const char *)sqlite3_column_text(q, 3));
        sqlite3_finalize(q);
    }
    return n < cap ? 0 : AFF_ETOOBIG;
}

/* ---- open / close / migrate ---------------------------------------------------------- */

/* ---- dashboard users and sessions ------------------------------------------------ */

/* Their statements live apart from the hot-path table above: sign-in is rare, so each is
 * prepared on first use and kept like the others. */
enum { U_INSERT, U_GET, U_BY_EMAIL, U_LIST, SE_INSERT, SE_DELETE, SE_LIST, SE_PRUNE, U_COUNT };
_Static_assert(U_COUNT <= sizeof(((sqlite_store *)0)->user_stmt) / sizeof(sqlite3_stmt *), "user_stmt too small");
static const char *const user_sql[U_COUNT] = {
    [U_INSERT] = "INSERT INTO web_user(email, role, affiliate_id, password_hash, created_ms, terms_accepted_ms)"
                 " VALUES(?1,?2,?3,?4,?5,?6)",
    [U_GET] =
        "SELECT id, email, role, affiliate_id, password_hash, created_ms, terms_accepted_ms FROM web_user WHERE id = ?1",
    [U_BY_EMAIL] =
        "SELECT id, email, role, affiliate_id, password_hash, created_ms, terms_accepted_ms FROM web_user WHERE email = ?1",
    [U_LIST] =
        "SELECT id, email, role, affiliate_id, password_hash, created_ms, terms_accepted_ms FROM web_user WHERE id > ?1"
        " AND (?3 = 0 OR affiliate_id = ?3) ORDER BY id LIMIT ?2",
    [SE_INSERT] = "INSERT INTO web_session(hash, user_id, role, affiliate_id, created_ms, expires_ms)"
                  " VALUES(?1,?2,?3,?4,?5,?6)",
    [SE_DELETE] = "DELETE FROM web_session WHERE hash = ?1",
    [SE_LIST] = "SELECT hash, user_id, role, affiliate_id, created_ms, expires_ms FROM web_session"
                " WHERE expires_ms > ?1",
    [SE_PRUNE] = "DELETE FROM web_session WHERE expires_ms <= ?1",
};

static sqlite3_stmt *user_stmt(aff_store *st, int id)
{
    sqlite_store *s = impl(st);
    if (s->user_stmt[id] == NULL) {
        if (sqlite3_prepare_v3(s->db, user_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &s->user_stmt[id], NULL) !=
            SQLITE_OK)
            return NULL;
    } else {
        sqlite3_reset(s->user_stmt[id]);
        sqlite3_clear_bindings(s->user_stmt[id]);
    }
    return s->user_stmt[id];
}

static void read_user(sqlite3_stmt *q, void *v)
{
    aff_user_row *r = v;
    r->id = col_i64(q, 0);
    col_text(q, 1, r->email, sizeof(r->email));
    col_text(q, 2, r->role, sizeof(r->role));
    r->affiliate_id = col_i64(q, 3);
    col_text(q, 4, r->password_hash, sizeof(r->password_hash));
    r->created_ms = col_i64(q, 5);
    r->terms_accepted_ms = col_i64(q, 6);
}

static int sq_user_insert(aff_store *st, aff_user_row *r)
{
    sqlite3_stmt *q = user_stmt(st, U_INSERT);
    if (q == NULL)
        return AFF_ESTORE;
    bind_text(q, 1, r->email);
    bind_text(q, 2, r->role);
    sqlite3_bind_int64(q, 3, r->affiliate_id);
    bind_text(q, 4, r->password_hash);
    sqlite3_bind_int64(q, 5, r->created_ms);
    sqlite3_bind_int64(q, 6, r->terms_accepted_ms);
    int rc = exec_insert(q, &r->id);
    return rc;
}

static int sq_user_get(aff_store *st, int64_t id, aff_user_row *r)
{
    sqlite3_stmt *q = user_stmt(st, U_GET);
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, id);
    return get_one(q, r, read_user);
}

static int sq_user_get_by_email(aff_store *st, const char *email, aff_user_row *r)
{
    sqlite3_stmt *q = user_stmt(st, U_BY_EMAIL);
    if (q == NULL)
        return AFF_ESTORE;
    bind_text(q, 1, email);
    return get_one(q, r, read_user);
}

static const aff_sq_shape user_shape = {
    .select = "SELECT id, email, role, affiliate_id, password_hash, created_ms, terms_accepted_ms FROM web_user",
    .id = "id",
    .id_off = OFF(aff_user_row, id),
    .time = "created_ms",
    .filter = {{"affiliate_id", AFF_SQ_F_AFFILIATE}},
    .search_mode = AFF_SQ_SEARCH_CONTAINS,
    .search = {"email"},
    .sort = {[AFF_SORT_CREATED] = {"created_ms", OFF(aff_user_row, created_ms)},
             [AFF_SORT_EMAIL] = {"email COLLATE NOCASE", OFF(aff_user_row, email)}},
    .read = read_user,
    .row_size = sizeof(aff_user_row)};

static int sq_user_list(aff_store *st, const aff_list_query *lq, aff_user_cb cb, void *ud)
{
    if (aff_list_sorted(lq))
        return aff_sq_sorted_list(st, &user_shape, lq, (int (*)(void *, const void *))cb, ud);
    sqlite3_stmt *q = user_stmt(st, U_LIST);
    aff_user_row row;
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, lq->after);
    sqlite3_bind_int(q, 2, list_limit(lq));
    sqlite3_bind_int64(q, 3, lq->affiliate_id);
    return run_list(q, &row, read_user, (int (*)(void *, const void *))cb, ud);
}

static int sq_session_insert(aff_store *st, const aff_session_row *r)
{
    sqlite3_stmt *q = user_stmt(st, SE_INSERT);
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_blob(q, 1, r->hash, sizeof(r->hash), SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, r->user_id);
    bind_text(q, 3, r->role);
    sqlite3_bind_int64(q, 4, r->affiliate_id);
    sqlite3_bind_int64(q, 5, r->created_ms);
    sqlite3_bind_int64(q, 6, r->expires_ms);
    return exec_stmt(q);
}

static int sq_session_delete(aff_store *st, const unsigned char hash[32])
{
    sqlite3_stmt *q = user_stmt(st, SE_DELETE);
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_blob(q, 1, hash, 32, SQLITE_STATIC);
    return exec_stmt(q);
}

static void read_session(sqlite3_stmt *q, void *v)
{
    aff_session_row *r = v;
    memset(r->hash, 0, sizeof(r->hash));
    if (sqlite3_column_bytes(q, 0) == (int)sizeof(r->hash))
        memcpy(r->hash, sqlite3_column_blob(q, 0), sizeof(r->hash));
    r->user_id = col_i64(q, 1);
    col_text(q, 2, r->role, sizeof(r->role));
    r->affiliate_id = col_i64(q, 3);
    r->created_ms = col_i64(q, 4);
    r->expires_ms = col_i64(q, 5);
}

static int sq_session_list(aff_store *st, int64_t now_ms, aff_session_cb cb, void *ud)
{
    sqlite3_stmt *q = user_stmt(st, SE_LIST);
    aff_session_row row;
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, now_ms);
    return run_list(q, &row, read_session, (int (*)(void *, const void *))cb, ud);
}

static int sq_session_prune(aff_store *st, int64_t now_ms)
{
    sqlite3_stmt *q = user_stmt(st, SE_PRUNE);
    if (q == NULL)
        return AFF_ESTORE;
    sqlite3_bind_int64(q, 1, now_ms);
    return exec_stmt(q);
}

static void sq_close(aff_store *st)
{
    sqlite_store *s = impl(st);
    for (int i = 0; i < S_COUNT; i++)
        sqlite3_finalize(s->stmt[i]);
    for (int i = 0; i < REPORT_SHAPES; i++)
        sqlite3_finalize(s->report_stmt[i]);
    for (int k = 0; k < CLICK_SIZES; k++) {
        sqlite3_finalize(s->click_many[k][0]);
        sqlite3_finalize(s->click_many[k][1]);
    }
    for (int i = 0; i < AFF_SQ_LEDGER_STMTS; i++)
        sqlite3_finalize(s->ledger_stmt[i]);
    for (int i = 0; i < U_COUNT; i++)
        sqlite3_finalize(s->user_stmt[i]);
    for (int i = 0; i < L_COUNT; i++)
        for (int k = 0; k < (1 << LIST_FILTERS); k++)
            sqlite3_finalize(s->list_stmt[i][k]);
    for (int i = 0; i < SORTED_CACHE; i++)
        sqlite3_finalize(s->sorted_stmt[i]);
    ua_cache_clear(&s->uas);
    free(s->uas.slots);
    sqlite3_close_v2(s->db);
    free(s);
}

static const aff_store_ops sqlite_ops = {
    .close = sq_close,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .savepoint = sq_savepoint,
    .release = sq_release,
    .rollback_to = sq_rollback_to,
    .changes = sq_changes,
    .release_memory = sq_release_memory,
    .bulk_load = sq_bulk_load,
    .meta_get = sq_meta_get,
    .meta_put = sq_meta_put,
    .program_insert = sq_program_insert,
    .program_update = sq_program_update,
    .program_get = sq_program_get,
    .program_list = sq_program_list,
    .plan_insert = sq_plan_insert,
    .affiliate_insert = sq_affiliate_insert,
    .affiliate_update = sq_affiliate_update,
    .affiliate_get = sq_affiliate_get,
    .affiliate_list = sq_affiliate_list,
    .key_insert = sq_key_insert,
    .key_count = sq_key_count,
    .key_list = sq_key_list,
    .link_insert = sq_link_insert,
    .link_update = sq_link_update,
    .link_get = sq_link_get,
    .link_list = sq_link_list,
    .coupon_insert = sq_coupon_insert,
    .coupon_update = sq_coupon_update,
    .coupon_get = sq_coupon_get,
    .coupon_list = sq_coupon_list,
    .click_insert = sq_click_insert,
    .click_insert_many = sq_click_insert_many,
    .click_seen_get = sq_click_seen_get,
    .click_get = sq_click_get,
    .click_attr_get = sq_click_attr_get,
    .click_list = sq_click_list,
    .click_seen_put = sq_click_seen_put,
    .click_seen_prune = sq_click_seen_prune,
    .conversion_find = sq_conversion_find,
    .conversion_insert = sq_conversion_insert,
    .conversion_next_id = sq_conversion_next_id,
    .conversion_get = sq_conversion_get,
    .conversion_list = sq_conversion_list,
    .conversion_set_refund = sq_conversion_set_refund,
    .customer_get = sq_customer_get,
    .customer_put = sq_customer_put,
    .conversion_set_state = aff_sq_conversion_set_state,
    .conversion_set_earned = aff_sq_conversion_set_earned,
    .conversion_first_of_customer = aff_sq_conversion_first_of_customer,
    .conversion_list_period = aff_sq_conversion_list_period,
    .conversion_auto_approve = aff_sq_conversion_auto_approve,
    .ledger_insert = aff_sq_ledger_insert,
    .ledger_list = aff_sq_ledger_list,
    .ledger_get = aff_sq_ledger_get,
    .ledger_move = aff_sq_ledger_move,
    .ledger_auto_approve = aff_sq_ledger_auto_approve,
    .ledger_release = aff_sq_ledger_release,
    .balance_list = aff_sq_balance_list,
    .balance_check = aff_sq_balance_check,
    .period_get = aff_sq_period_get,
    .period_put = aff_sq_period_put,
    .period_list = aff_sq_period_list,
    .bonus_award = aff_sq_bonus_award,
    .plan_get = sq_plan_get,
    .payout_list = aff_sq_payout_list,
    .payout_insert = aff_sq_payout_insert,
    .payout_get = aff_sq_payout_get,
    .payout_set_status = aff_sq_payout_set_status,
    .payout_run_insert = aff_sq_payout_run_insert,
    .payout_run_get = aff_sq_payout_run_get,
    .payout_run_list = aff_sq_payout_run_list,
    .replay_prepare = aff_sq_replay_prepare,
    .replay_totals = aff_sq_replay_totals,
    .replay_mismatches = aff_sq_replay_mismatches,
    .unique_clicks_by_affiliate = aff_sq_unique_clicks_by_affiliate,
    .conversion_count_since = aff_sq_conversion_count_since,
    .conversion_latest_ms = aff_sq_conversion_latest_ms,
    .conversion_duplicate = aff_sq_conversion_duplicate,
    .conversion_list_screened = aff_sq_conversion_list_screened,
    .conversion_hold_recent = aff_sq_conversion_hold_recent,
    .outlier_get = aff_sq_outlier_get,
    .outliers_clear = aff_sq_outliers_clear,
    .outlier_put = aff_sq_outlier_put,
    .affiliate_rates = aff_sq_affiliate_rates,
    .affiliate_rates_hours = aff_sq_affiliate_rates_hours,
    .rollup_add = sq_rollup_add,
    .rollup_sub_add = sq_rollup_sub_add,
    .report = sq_report,
    .verify = sq_verify,
    .user_insert = sq_user_insert,
    .user_get = sq_user_get,
    .user_get_by_email = sq_user_get_by_email,
    .user_list = sq_user_list,
    .session_insert = sq_session_insert,
    .session_delete = sq_session_delete,
    .session_list = sq_session_list,
    .session_prune = sq_session_prune,
    .terms_get = aff_sq_terms_get,
    .terms_put = aff_sq_terms_put,
    .application_insert = aff_sq_application_insert,
    .application_list = aff_sq_application_list,
    .application_get = aff_sq_application_get,
    .application_set_status = aff_sq_application_set_status,
    .member_list = aff_sq_member_list,
    .creative_insert = aff_sq_creative_insert,
    .creative_get = aff_sq_creative_get,
    .creative_image = aff_sq_creative_image,
    .creative_list = aff_sq_creative_list,
    .creative_delete = aff_sq_creative_delete,
    .announcement_insert = aff_sq_announcement_insert,
    .announcement_get = aff_sq_announcement_get,
    .announcement_list = aff_sq_announcement_list,
    .announcement_delete = aff_sq_announcement_delete,
};

int aff_store_sqlite_schema_version(void)
{
    return (int)(sizeof(migrations) / sizeof(migrations[0]));
}

static int migrate(sqlite3 *db)
{
    sqlite3_stmt *q;
    int version = 0;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &q, NULL) != SQLITE_OK)
        return AFF_ESTORE;
    if (sqlite3_step(q) == SQLITE_ROW)
        version = sqlite3_column_int(q, 0);
    sqlite3_finalize(q);
    const int n = (int)(sizeof(migrations) / sizeof(migrations[0]));
    for (int i = version; i < n; i++) {
        char setv[64];
        snprintf(setv, sizeof(setv), "PRAGMA user_version = %d", i + 1);
        if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
            return AFF_ESTORE;
        if (sqlite3_exec(db, migrations[i], NULL, NULL, NULL) != SQLITE_OK ||
            sqlite3_exec(db, setv, NULL, NULL, NULL) != SQLITE_OK ||
            sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
            return AFF_ESTORE;
        }
    }
    return version > n ? AFF_ESTORE : 0; /* a newer store than this binary knows */
}

/* Process-wide SQLite settings, before the first connection (sqlite3_config must precede
 * sqlite3_initialize). Memory statistics take a global mutex and update counters on every
 * allocation and free; nothing reads them, and callgrind showed them at ~6 % of a
 * conversion's instructions (docs/benchmarks.md, "B2"). */
static pthread_once_t sqlite_global_once = PTHREAD_ONCE_INIT;

static void sqlite_global_init(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int aff_store_sqlite_open(const char *dir, int role, int synchronous_full, aff_store **out)
{
    pthread_once(&sqlite_global_once, sqlite_global_init);
    char path[1200];
    int rc = AFF_ESTORE;
    if (role == AFF_STORE_WRITER && mkdir(dir, 0700) != 0) {
        struct stat sb;
        if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
            return AFF_EIO;
    }
    if ((size_t)snprintf(path, sizeof(path), "%s/afftrack.db", dir) >= sizeof(path))
        return AFF_ETOOBIG;
    sqlite_store *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return AFF_ENOMEM;
    s->base.ops = &sqlite_ops;
    s->reader = role != AFF_STORE_WRITER; /* a scratch connection reads main like a reader */
    s->synchronous_full = synchronous_full;
    int flags = SQLITE_OPEN_NOMUTEX |
                (role == AFF_STORE_WRITER ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READWRITE);
    if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK)
        goto fail_db;
    sqlite3_busy_timeout(s->db, 5000);
    char pragmas[256];
    snprintf(pragmas, sizeof(pragmas),
             "PRAGMA journal_mode=WAL; PRAGMA synchronous=%s; PRAGMA foreign_keys=OFF; PRAGMA temp_store=MEMORY;"
             " PRAGMA cache_size=-65536;%s",
             synchronous_full ? "FULL" : "NORMAL", role == AFF_STORE_READER ? " PRAGMA query_only=1;" : "");
    if (sqlite3_exec(s->db, pragmas, NULL, NULL, NULL) != SQLITE_OK)
        goto fail_db;
    if (role == AFF_STORE_WRITER && (rc = migrate(s->db)) != 0)
        goto fail_db;
    *out = &s->base;
    return 0;

fail_db:
    sqlite3_close_v2(s->db);
    free(s);
    return rc;
}
