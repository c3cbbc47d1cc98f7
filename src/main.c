/*
 * main.c - argv -> config -> subcommand. `serve` starts the writer, the readers and the
 * HTTP loops and runs until SIGTERM; `init` prepares a store and prints an admin key;
 * `demo` seeds demo data into an empty store; `verify` recounts raw events against the
 * rollups and the ledger; `user create` adds a dashboard user. Every subcommand explains
 * itself with --help.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/api.h"
#include "core/clock.h"
#include "core/crypto.h"
#include "core/log.h"
#include "core/map.h"
#include "cli/money.h"
#include "core/password.h"
#include "core/str.h"
#include "net/proxy.h"
#include "net/server.h"
#include "net/session.h"
#include "track/catalog.h"
#include "track/click.h"
#include "track/cap.h"
#include "track/clickcap.h"
#include "track/conversion.h"
#include "track/fraud.h"
#include "track/generate.h"
#include "track/verify.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: afftrack COMMAND [options]\n\n"
                 "commands:\n"
                 "  serve    run the tracking server (afftrack serve --listen HOST:PORT --data DIR [--config FILE])\n"
                 "  init     create the store in --data DIR and print a new admin API key\n"
                 "  demo     seed an empty store in --data DIR with a demo program, affiliates, links and traffic\n"
                 "  verify   recount raw events against rollups and the ledger; exit 1 on any mismatch\n"
                 "  generate add synthetic clicks and conversions to --data DIR (benchmarks)\n"
                 "  payout   run payouts and export the mass-payment file; mark payouts paid or failed\n"
                 "  replay   recompute a period's commissions under another plan (what-if); writes nothing\n"
                 "  user     create a dashboard user (afftrack user create --data DIR --admin --email E)\n"
                 "  config   print an example configuration file with every key (--markdown: a table)\n"
                 "  help     this text; `afftrack COMMAND --help` explains a command\n");
}

static void command_help(const char *cmd)
{
    if (strcmp(cmd, "serve") == 0) {
        printf("usage: afftrack serve [--config FILE] [--KEY VALUE ...]\n\n"
               "Serves the HTTP API of docs/api.md. Settings come from the defaults, then FILE, then flags.\n"
               "Environment: AFFTRACK_BOOTSTRAP_ADMIN_KEY - when the store has no admin key yet, this key\n"
               "becomes the first one. SIGTERM/SIGINT drain accepted work, commit it and exit 0.\n\nflags:\n");
        aff_config_print_flags(stdout);
    } else if (strcmp(cmd, "init") == 0) {
        printf("usage: afftrack init --data DIR\n\nCreates the store if needed and prints a new admin API key "
               "(shown once; only its SHA-256 is kept).\n");
    } else if (strcmp(cmd, "demo") == 0) {
        printf("usage: afftrack demo --data DIR\n\nWhen the store has no program yet: creates a demo program, three "
               "affiliates, links, a coupon\nand two weeks of clicks and conversions, and an admin key saved in "
               "DIR/admin.key (demo only).\nPrints the admin key and example URLs either way.\n");
    } else if (strcmp(cmd, "user") == 0) {
        printf(
            "usage: afftrack user create --data DIR (--admin | --affiliate-id N) --email EMAIL [--password-stdin]\n\n"
            "Creates a user of the dashboard: an admin, or the portal login of affiliate N. With\n"
            "--password-stdin the password is the first line of standard input (%d to %d bytes);\n"
            "otherwise one is generated and printed once. Only its argon2id hash is stored.\n"
            "Works while the server runs. Then open the server's URL and sign in.\n",
            AFF_PASSWORD_MIN, AFF_PASSWORD_MAX);
    } else if (strcmp(cmd, "generate") == 0) {
        printf("usage: afftrack generate --data DIR --clicks N [--days 30] [--affiliates 100] [--links 5]\n"
               "                         [--conversion-permille 20] [--seed 1]\n\n"
               "Adds N clicks spread over the last D days, and conversions on about P per 1000 of them,\n"
               "through the same code the server's writer runs (rollups, uniqueness, commissions), in\n"
               "transactions of 20,000 clicks. Creates a program with A affiliates of K links each when the\n"
               "store has no program. Run it while no server writes to DIR. Shows progress on a terminal.\n"
               "Writes are not synced to disk while it runs (synthetic data can be made again): a machine\n"
               "crash during a run may lose or damage the store.\n");
    } else if (strcmp(cmd, "verify") == 0) {
        printf("usage: afftrack verify --data DIR\n\nRecounts clicks, conversions, revenue, refunds and commission "
               "from the raw tables, compares\nthem with the hourly rollups, checks every conversion's ledger "
               "lines against the invariants of\ndocs/commissions.md, checks every conversion's items against "
               "the API's bounds, recounts\nbalances from the lines and replays every program under the plan "
               "versions its\nconversions recorded. Prints one JSON object; "
               "exit status 0 when everything agrees, 1 otherwise.\n");
    } else {
        usage(stdout);
    }
}

/* Parse [--config FILE] [--key value]... into cfg. Returns 0, 1 for --help, or -1. */
static int parse_args(int argc, char **argv, aff_config *cfg, const char *cmd)
{
    char err[512];
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            command_help(cmd);
            return 1;
        }
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            if (aff_config_load_file(cfg, argv[++i], err, sizeof(err)) != 0) {
                fprintf(stderr, "afftrack: %s\n", err);
                return -1;
            }
            continue;
        }
        if (strcmp(argv[i], "--markdown") == 0)
            continue;
        if (strncmp(argv[i], "--", 2) != 0 || i + 1 >= argc || !aff_config_has_key(argv[i] + 2)) {
            fprintf(stderr, "afftrack %s: unknown or incomplete option \"%s\" (see afftrack %s --help)\n", cmd, argv[i],
                    cmd);
            return -1;
        }
        if (aff_config_set(cfg, argv[i] + 2, argv[i + 1], err, sizeof(err)) != 0) {
            fprintf(stderr, "afftrack: --%s\n", err);
            return -1;
        }
        i++;
    }
    aff_log_level = cfg->log_level;
    return 0;
}

/* Load (or create on first use) the click-id secret, and apply the bootstrap admin key. */
static int prepare_store(const aff_config *cfg, aff_click_id_key *key)
{
    aff_store *st;
    int rc = aff_store_sqlite_open(cfg->data_dir, AFF_STORE_WRITER, cfg->synchronous == AFF_SYNC_FULL, &st);
    if (rc != 0) {
        fprintf(stderr, "afftrack: cannot open the store in %s: %s\n", cfg->data_dir, aff_strerror(rc));
        return rc;
    }
    size_t len = 0;
    key->node_id = (unsigned)cfg->node_id;
    rc = aff_store_meta_get(st, "click_secret", key->secret, sizeof(key->secret), &len);
    if (rc == AFF_ENOTFOUND || (rc == 0 && len != sizeof(key->secret))) {
        if ((rc = aff_random_bytes(key->secret, sizeof(key->secret))) == 0)
            rc = aff_store_meta_put(st, "click_secret", key->secret, sizeof(key->secret));
    }
    const char *boot = getenv("AFFTRACK_BOOTSTRAP_ADMIN_KEY");
    int64_t admins = 0;
    if (rc == 0 && boot != NULL && boot[0] != '\0' && (rc = aff_store_key_count(st, "admin", &admins)) == 0 &&
        admins == 0) {
        aff_key_row k = {.affiliate_id = 0};
        aff_sha256(boot, strlen(boot), k.hash);
        snprintf(k.role, sizeof(k.role), "admin");
        rc = aff_store_key_insert(st, &k);
    }
    aff_store_close(st);
    if (rc != 0)
        fprintf(stderr, "afftrack: preparing the store failed: %s\n", aff_strerror(rc));
    return rc;
}

static void default_public_url(const aff_config *cfg, int port, char *out, size_t cap)
{
    if (cfg->public_url[0]) {
        snprintf(out, cap, "%s", cfg->public_url);
        size_t n = strlen(out);
        if (n > 0 && out[n - 1] == '/')
            out[n - 1] = '\0';
        return;
    }
    char host[256];
    snprintf(host, sizeof(host), "%s", cfg->listen);
    char *colon = strrchr(host, ':');
    if (colon != NULL)
        *colon = '\0';
    if (strcmp(host, "0.0.0.0") == 0 || host[0] == '\0')
        snprintf(host, sizeof(host), "127.0.0.1");
    snprintf(out, cap, "http://%s:%d", host, port);
}

/* The public URL needs the bound port (--listen HOST:0): filled before serving starts. */
static void on_bound(int port)
{
    default_public_url(aff_server.cfg, port, aff_server.public_url, sizeof(aff_server.public_url));
}

/* Say which screening rules run, and why those that cannot are off (docs/fraud.md). */
static void log_fraud_rules(void)
{
    aff_fraud_rule_info r[16];
    size_t n = aff_fraud_rules(r, 16);
    for (size_t i = 0; i < n && i < 16; i++) {
        if (r[i].action == AFF_ACTION_OFF)
            AFF_LOG(AFF_LOG_INFO, "fraud rule %d %s: off", r[i].code, r[i].name);
        else if (r[i].inactive != NULL)
            AFF_LOG(AFF_LOG_INFO, "fraud rule %d %s: inactive (%s)", r[i].code, r[i].name, r[i].inactive);
        else
            AFF_LOG(AFF_LOG_INFO, "fraud rule %d %s: %s", r[i].code, r[i].name, aff_fraud_action_name(r[i].action));
    }
}

typedef struct seeding {
    aff_store *st;
    int64_t now_ms;
    int rc;
} seeding;

static int seed_program(void *ud, const aff_program_row *p)
{
    seeding *s = ud;
    aff_caps caps;
    if (aff_caps_parse(p->caps, &caps, NULL, 0, NULL) == 0 && caps.n > 0) {
        snprintf(caps.time_zone, sizeof(caps.time_zone), "%s", p->time_zone);
        s->rc = aff_clickcap_seed(s->st, p->id, &caps, s->now_ms);
    }
    return s->rc != 0 ? s->rc : 0;
}

/* Click caps' counters start from the clicks stored this day and month. */
static int seed_click_caps(const aff_config *cfg)
{
    int rc = aff_clickcap_open(20);
    seeding s = {.now_ms = aff_clock_now_ms()};
    if (rc == 0)
        rc = aff_store_sqlite_open(cfg->data_dir, AFF_STORE_READER, 0, &s.st);
    if (rc != 0)
        return rc;
    aff_list_query all = {0};
    rc = aff_store_program_list(s.st, &all, seed_program, &s);
    aff_store_close(s.st);
    return rc;
}

/* Sessions survive restarts: the loops' registry starts with the stored ones. */
static int load_sessions(const aff_config *cfg)
{
    aff_store *st;
    int rc = aff_store_sqlite_open(cfg->data_dir, AFF_STORE_READER, 1, &st);
    if (rc == 0) {
        rc = aff_sessions_load(st, aff_clock_now_ms());
        aff_store_close(st);
    }
    if (rc != 0)
        fprintf(stderr, "afftrack: loading sessions failed: %s\n", aff_strerror(rc));
    return rc;
}

static int cmd_serve(aff_config *cfg)
{
    static aff_click_id_key key;
    char err[256];
    int rc;
    if (aff_proxy_configure(cfg->trusted_proxies, err, sizeof(err)) != 0) {
        fprintf(stderr, "afftrack: %s\n", err);
        return 2;
    }
    if (prepare_store(cfg, &key) != 0 || load_sessions(cfg) != 0)
        return 1;
    if (aff_fraud_open(cfg, &key, err, sizeof(err)) != 0) {
        fprintf(stderr, "afftrack: %s\n", err);
        return 2;
    }
    log_fraud_rules();
    if ((rc = seed_click_caps(cfg)) != 0) {
        fprintf(stderr, "afftrack: cannot count click caps: %s\n", aff_strerror(rc));
        return 1;
    }
    aff_server.cfg = cfg;
    aff_server.key = &key;
    aff_pool_set_done_flush(aff_pending_flush);
    rc = aff_writer_start(cfg, &key);
    if (rc == 0)
        rc = aff_readers_start(cfg, &key);
    if (rc != 0) {
        fprintf(stderr, "afftrack: cannot start: %s\n", aff_strerror(rc));
        return 1;
    }
    rc = aff_server_run(cfg, aff_api_routes(), on_bound);
    return rc == 0 ? 0 : 1;
}

static int cmd_init(aff_config *cfg)
{
    aff_click_id_key key;
    if (prepare_store(cfg, &key) != 0)
        return 1;
    aff_store *st;
    char admin[AFF_API_KEY_LEN];
    int rc = aff_store_sqlite_open(cfg->data_dir, AFF_STORE_WRITER, 1, &st);
    if (rc != 0)
        return 1;
    aff_ctx ctx = {.st = st, .cfg = cfg, .key = &key};
    if ((rc = aff_catalog_new_key(admin)) == 0)
        rc = aff_catalog_key_add(&ctx, admin, "admin", 0);
    aff_store_close(st);
    if (rc != 0) {
        fprintf(stderr, "afftrack: init failed: %s\n", aff_strerror(rc));
        return 1;
    }
    printf("store ready in %s\nadmin API key (shown once): %s\n", cfg->data_dir, admin);
    return 0;
}

/* ---- users ------------------------------------------------------------------------------ */

/* Hash password and insert the user (email lower-cased). Prints why on failure. */
static int add_user(aff_store *st, const char *email, const char *role, int64_t affiliate_id, const char *password)
{
    aff_user_row u = {.affiliate_id = affiliate_id, .created_ms = aff_clock_now_ms()};
    size_t n = strlen(email);
    if (n == 0 || n > AFF_EMAIL_MAX || strchr(email, '@') == NULL) {
        fprintf(stderr, "afftrack user: --email: not an email address\n");
        return AFF_EINVAL;
    }
    for (size_t i = 0; i <= n; i++)
        u.email[i] = (char)((email[i] >= 'A' && email[i] <= 'Z') ? email[i] + 32 : email[i]);
    snprintf(u.role, sizeof(u.role), "%s", role);
    int rc = 0;
    if (affiliate_id != 0) {
        aff_affiliate_row a;
        if ((rc = aff_store_affiliate_get(st, affiliate_id, &a)) != 0) {
            fprintf(stderr, "afftrack user: affiliate %lld: %s\n", (long long)affiliate_id, aff_strerror(rc));
            return rc;
        }
    }
    if ((rc = aff_password_hash(password, strlen(password), u.password_hash, sizeof(u.password_hash))) != 0) {
        fprintf(stderr, "afftrack user: password: %s\n",
                rc == AFF_EINVAL ? "length must be 8 to 1024 bytes" : aff_strerror(rc));
        return rc;
    }
    if ((rc = aff_store_user_insert(st, &u)) != 0)
        fprintf(stderr, "afftrack user: %s\n", rc == AFF_EEXIST ? "a user with this email exists" : aff_strerror(rc));
    return rc;
}

static int cmd_user(int argc, char **argv, aff_config *cfg)
{
    const char *email = NULL;
    int admin = 0, from_stdin = 0;
    int64_t affiliate_id = 0;
    char err[512];
    if (argc < 3 || strcmp(argv[2], "create") != 0) {
        command_help("user");
        return argc >= 3 && (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0) ? 0 : 2;
    }
    for (int i = 3; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            command_help("user");
            return 0;
        } else if (strcmp(a, "--admin") == 0) {
            admin = 1;
        } else if (strcmp(a, "--password-stdin") == 0) {
            from_stdin = 1;
        } else if (strcmp(a, "--email") == 0 && i + 1 < argc) {
            email = argv[++i];
        } else if (strcmp(a, "--affiliate-id") == 0 && i + 1 < argc) {
            const char *v = argv[++i];
            if (aff_str_to_int64(v, strlen(v), 1, INT64_MAX, &affiliate_id) != 0) {
                fprintf(stderr,
                        "afftrack user: --affiliate-id: \"%s\" is not an id: a positive integer of digits only, at "
                        "most %lld\n",
                        v, (long long)INT64_MAX);
                return 2;
            }
        } else if (strcmp(a, "--config") == 0 && i + 1 < argc) {
            if (aff_config_load_file(cfg, argv[++i], err, sizeof(err)) != 0) {
                fprintf(stderr, "afftrack: %s\n", err);
                return 2;
            }
        } else if (strncmp(a, "--", 2) == 0 && i + 1 < argc && aff_config_has_key(a + 2)) {
            if (aff_config_set(cfg, a + 2, argv[++i], err, sizeof(err)) != 0) {
                fprintf(stderr, "afftrack: --%s\n", err);
                return 2;
            }
        } else {
            fprintf(stderr, "afftrack user: unknown or incomplete option \"%s\" (see afftrack user --help)\n", a);
            return 2;
        }
    }
    if (email == NULL || admin == (affiliate_id != 0)) {
        fprintf(stderr, "afftrack user create: needs --email and one of --admin or --affiliate-id N\n");
        return 2;
    }
    char password[AFF_PASSWORD_MAX + 2] = "";
    if (from_stdin) {
        if (fgets(password, sizeof(password), stdin) == NULL) {
            fprintf(stderr, "afftrack user: no password on standard input\n");
            return 2;
        }
        password[strcspn(password, "\r\n")] = '\0';
    } else if (aff_random_token("", 15, password, sizeof(password)) != 0) {
        return 1;
    }
    aff_click_id_key key;
    if (prepare_store(cfg, &key) != 0)
        return 1;
    aff_store *st;
    if (aff_store_sqlite_open(cfg->data_dir, AFF_STORE_WRITER, 1, &st) != 0)
        return 1;
    int rc = add_user(st, email, admin ? "admin" : "affiliate", affiliate_id, password);
    aff_store_close(st);
    if (rc == 0) {
        printf("user %s created (%s)\n", email, admin ? "admin" : "affiliate");
        if (!from_stdin)
            printf("password (shown once): %s\n", password);
    }
    explicit_bzero(password, sizeof(password));
    return rc == 0 ? 0 : 1;
}

/* ---- demo ------------------------------------------------------------------------------ */

static int rebuild(aff_ctx *ctx)
{
    return aff_snapshot_refresh(ctx->st, &ctx->snap);
}

static int first_link_affiliate(void *ud, const aff_link_row *row)
{
    *(int64_t *)ud = row->affiliate_id;
    return 1;
}

static int count_program(void *ud, const aff_program_row *row)
{
    (void)row;
    (*(int *)ud)++;
    return 1;
}

/* The demo program's page (terms, open to applications), a text creative and an
 * announcement, so the portal's content pages have something to show. */
static int seed_content(aff_store *st, int64_t program_id)
{
    static const char terms[] = "1. Promote Demo Shop honestly: no fake reviews, no misleading claims.\n"
                                "2. No paid search ads on the brand name \"Demo Shop\".\n"
                                "3. No coupon or cashback sites without written approval.\n"
                                "4. Commission: 10 % of each sale, 2.00 per lead, approved after 30 days.";
    aff_terms_row *t = calloc(1, sizeof(*t));
    aff_creative_row *c = calloc(1, sizeof(*c));
    aff_announcement_row *a = calloc(1, sizeof(*a));
    int rc = t == NULL || c == NULL || a == NULL ? AFF_ENOMEM : 0;
    int64_t now = aff_clock_now_ms();
    if (rc == 0) {
        t->program_id = program_id;
        snprintf(t->description, sizeof(t->description), "Everyday goods with free shipping over 30.00.");
        snprintf(t->terms, sizeof(t->terms), "%s", terms);
        t->version = 1;
        aff_sha256_hex(t->terms, strlen(t->terms), t->hash);
        t->applications_open = 1;
        t->updated_ms = now;
        rc = aff_store_terms_put(st, t);
    }
    if (rc == 0) {
        c->program_id = program_id;
        snprintf(c->kind, sizeof(c->kind), "text");
        snprintf(c->name, sizeof(c->name), "Newsletter blurb");
        snprintf(c->body, sizeof(c->body), "Everything you need, shipped free over 30.00: {link}");
        c->created_ms = now;
        rc = aff_store_creative_insert(st, c);
    }
    if (rc == 0) {
        snprintf(a->title, sizeof(a->title), "Welcome to the Demo Shop program");
        snprintf(a->body, sizeof(a->body), "Your creatives are on the Creatives page, with your own link in them.");
        a->created_ms = now;
        rc = aff_store_announcement_insert(st, a);
    }
    free(a);
    free(c);
    free(t);
    return rc;
}

static int seed_catalog(aff_ctx *ctx, int64_t link_ids[3])
{
    static const char *const names[3] = {"Alice Blogs", "Bob Deals", "Carol Video"};
    static const char *const codes[3] = {"alice", "bob", "carol"};
    aff_errinfo err = {0};
    aff_program_row *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return AFF_ENOMEM;
    snprintf(p->name, sizeof(p->name), "Demo Shop");
    snprintf(p->kind, sizeof(p->kind), "affiliate");
    snprintf(p->currency, sizeof(p->currency), "USD");
    snprintf(p->destination_url, sizeof(p->destination_url), "https://shop.example.com/");
    snprintf(p->allowed_domains, sizeof(p->allowed_domains), "shop.example.com,*.shop.example.com");
    p->cookie_days = 30;
    snprintf(p->attribution, sizeof(p->attribution), "last_click");
    snprintf(p->click_id_param, sizeof(p->click_id_param), "click_id");
    p->hold_days = 30;
    aff_plan plan;
    int rc = aff_plan_parse("{\"sale\":{\"percent\":\"10\"},\"lead\":{\"flat_minor\":200}}", &plan, p->plan_json,
                            sizeof(p->plan_json), &err);
    if (rc == 0)
        rc = aff_catalog_program_create(ctx, p, &err);
    int64_t program_id = p->id;
    free(p);
    if (rc == 0)
        rc = seed_content(ctx->st, program_id);
    if (rc != 0 || (rc = rebuild(ctx)) != 0)
        return rc;
    for (int i = 0; i < 3 && rc == 0; i++) {
        aff_affiliate_row a = {0};
        char key[AFF_API_KEY_LEN];
        snprintf(a.name, sizeof(a.name), "%s", names[i]);
        snprintf(a.email, sizeof(a.email), "%s@example.com", codes[i]);
        snprintf(a.status, sizeof(a.status), "approved");
        if ((rc = aff_catalog_affiliate_create(ctx, &a, key, &err)) != 0 || (rc = rebuild(ctx)) != 0)
            break;
        aff_link_row *l = calloc(1, sizeof(*l));
        if (l == NULL)
            return AFF_ENOMEM;
        l->program_id = program_id;
        l->affiliate_id = a.id;
        snprintf(l->code, sizeof(l->code), "%s", codes[i]);
        rc = aff_catalog_link_create(ctx, l, &err);
        link_ids[i] = l->id;
        free(l);
        if (rc == 0 && i == 0) {
            aff_coupon_row c = {.program_id = program_id, .affiliate_id = a.id};
            snprintf(c.code, sizeof(c.code), "ALICE10");
            rc = aff_catalog_coupon_create(ctx, &c, &err);
        }
        printf("  affiliate %-12s API key: %s\n", names[i], key);
    }
    return rc == 0 ? rebuild(ctx) : rc;
}

#define DEMO_ADMIN_EMAIL "admin@example.com"
#define DEMO_AFFILIATE_EMAIL "alice@example.com"
#define DEMO_PASSWORD "demo-password"

/* The demo's dashboard users (demo stores only): an admin, and the portal login of the
 * first affiliate (Alice Blogs, whose link is "alice"). Created when missing. */
static int demo_users(aff_store *st)
{
    aff_user_row u;
    int rc = 0;
    if (aff_store_user_get_by_email(st, DEMO_ADMIN_EMAIL, &u) == AFF_ENOTFOUND)
        rc = add_user(st, DEMO_ADMIN_EMAIL, "admin", 0, DEMO_PASSWORD);
    if (rc == 0 && aff_store_user_get_by_email(st, DEMO_AFFILIATE_EMAIL, &u) == AFF_ENOTFOUND) {
        aff_list_query q = {.limit = 1};
        int64_t affiliate_id = 0;
        if (aff_store_link_list(st, &q, first_link_affiliate, &affiliate_id) == 0 && affiliate_id != 0)
            rc = add_user(st, DEMO_AFFILIATE_EMAIL, "affiliate", affiliate_id, DEMO_PASSWORD);
    }
    return rc;
}

static int cmd_demo(aff_config *cfg)
{
    aff_click_id_key key;
    if (prepare_store(cfg, &key) != 0)
        return 1;
    aff_store *st;
    if (aff_store_sqlite_open(cfg->data_dir, AFF_STORE_WRITER, 1, &st) != 0)
        return 1;
    aff_ctx ctx = {.st = st, .cfg = cfg, .key = &key};
    char path[1200], admin[AFF_API_KEY_LEN] = "";
    snprintf(path, sizeof(path), "%s/admin.key", cfg->data_dir);
    int programs = 0;
    aff_list_query all = {.limit = 1};
    int rc = aff_store_program_list(st, &all, count_program, &programs);
    if (rc == 0 && programs == 0) {
        printf("seeding demo data into %s\n", cfg->data_dir);
        int64_t links[3];
        if ((rc = aff_store_begin(st)) == 0 && (rc = rebuild(&ctx)) == 0 && (rc = seed_catalog(&ctx, links)) == 0 &&
            (rc = aff_catalog_new_key(admin)) == 0 && (rc = aff_catalog_key_add(&ctx, admin, "admin", 0)) == 0)
            rc = aff_store_commit(st);
        if (rc != 0)
            aff_store_rollback(st);
        /* two weeks of traffic on those links, through the writer's own code */
        aff_generate_opts traffic = {.clicks = 600, .days = 14, .conversion_permille = 120, .seed = 42};
        aff_generate_stats made;
        aff_snapshot_free(ctx.snap);
        ctx.snap = NULL;
        if (rc == 0)
            rc = aff_generate(&ctx, &traffic, &made);
        if (rc == 0) {
            int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
            if (fd < 0 || write(fd, admin, strlen(admin)) != (ssize_t)strlen(admin))
                rc = AFF_EIO;
            if (fd >= 0)
                close(fd);
        }
    } else if (rc == 0) {
        FILE *f = fopen(path, "r");
        if (f != NULL) {
            if (fgets(admin, sizeof(admin), f) == NULL)
                admin[0] = '\0';
            fclose(f);
        }
    }
    if (rc == 0 && admin[0] != '\0')
        rc = demo_users(st);
    aff_snapshot_free(ctx.snap);
    aff_store_close(st);
    if (rc != 0) {
        fprintf(stderr, "afftrack: demo seeding failed: %s\n", aff_strerror(rc));
        return 1;
    }
    const char *base = "http://127.0.0.1:8080";
    printf("\ndashboard: %s/\n  admin:     %s / %s\n  affiliate: %s / %s (Alice Blogs' portal)\n"
           "  apply:     %s/#/apply/1 (the demo program's public application page)\n",
           base, DEMO_ADMIN_EMAIL, DEMO_PASSWORD, DEMO_AFFILIATE_EMAIL, DEMO_PASSWORD, base);
    printf("\nadmin API key: %s\n", admin[0] ? admin : "(not from the demo: use the one `afftrack init` printed)");
    printf("try:\n  curl -i %s/r/alice?sub1=hello\n"
           "  curl -H 'Authorization: Bearer %s' '%s/v1/reports?group_by=day,affiliate'\n"
           "  curl -H 'Authorization: Bearer %s' %s/v1/programs\n\n",
           base, admin, base, admin, base);
    return 0;
}

/* ---- verify ----------------------------------------------------------------------------- */

/* A verify problem about conversions: how many, and the first ids (at most
 * AFF_VERIFY_LIST_MAX). Nothing when there are none. */
static void add_conversion_problem(json_t *problems, const char *metric, int64_t count, const int64_t *first)
{
    if (count <= 0)
        return;
    json_t *ids = json_array();
    for (int64_t i = 0; i < count && i < AFF_VERIFY_LIST_MAX; i++)
        json_array_append_new(ids, json_integer(first[i]));
    json_array_append_new(
        problems, json_pack("{s:s, s:I, s:o}", "metric", metric, "conversions", (json_int_t)count, "first_ids", ids));
}
static int cmd_verify(aff_config *cfg)
{
    aff_store *st;
    if (aff_store_sqlite_open(cfg->data_dir, AFF_STORE_READER, 1, &st) != 0) {
        fprintf(stderr, "afftrack: cannot open the store in %s\n", cfg->data_dir);
        return 2;
    }
    aff_verify_report v;
    int rc = aff_verify_run(st, &v);
    aff_store_close(st);
    if (rc == 0)
        rc = aff_verify_plans(cfg->data_dir, &v);
    if (rc != 0) {
        fprintf(stderr, "afftrack: verify failed: %s\n", aff_strerror(rc));
        return 2;
    }
    const aff_verify_counts *c = &v.counts;
    json_t *problems = json_array(), *out = json_object();
    const char *names[] = {"clicks",          "unique_clicks",        "bot_clicks",       "rejected_clicks",
                           "conversions",     "revenue_minor",        "commission_minor", "refunds_minor",
                           "overrides_minor", "override_income_minor"};
#define METRICS(m)                                                                           \
    {m.clicks,        m.unique_clicks,    m.bot_clicks,    m.rejected_clicks, m.conversions, \
     m.revenue_minor, m.commission_minor, m.refunds_minor, m.overrides_minor, m.override_income_minor}
    int64_t raw[] = METRICS(c->raw), roll[] = METRICS(c->rollup), daily[] = METRICS(c->daily), sub[] = METRICS(c->sub);
#undef METRICS
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        json_object_set_new(out, names[i], json_integer(raw[i]));
        if (raw[i] != roll[i] || roll[i] != daily[i] || daily[i] != sub[i])
            json_array_append_new(problems, json_pack("{s:s, s:I, s:I, s:I, s:I}", "metric", names[i], "raw",
                                                      (json_int_t)raw[i], "rollup", (json_int_t)roll[i], "daily",
                                                      (json_int_t)daily[i], "sub1", (json_int_t)sub[i]));
    }
    if (c->sub_mismatches > 0)
        json_array_append_new(
            problems, json_pack("{s:s, s:I}", "metric", "sub1_rows", "mismatches", (json_int_t)c->sub_mismatches));
    if (c->override_mismatches > 0)
        json_array_append_new(problems, json_pack("{s:s, s:I}", "metric", "override_rows", "mismatches",
                                                  (json_int_t)c->override_mismatches));
    add_conversion_problem(problems, "ledger", v.ledger_mismatches, v.bad_ids);
    add_conversion_problem(problems, "items", v.items_out_of_bounds, v.items_bad_ids);
    if (v.balance_mismatches > 0)
        json_array_append_new(
            problems, json_pack("{s:s, s:I}", "metric", "balances", "mismatches", (json_int_t)v.balance_mismatches));
    add_conversion_problem(problems, "plans", v.plan_mismatches, v.plan_bad_ids);
    json_object_set_new(out, "programs_replayed", json_integer(v.programs_replayed));
    int ok = aff_verify_ok(&v);
    json_object_set_new(out, "conversions_checked", json_integer(v.conversions_checked));
    json_object_set_new(out, "problems", problems);
    json_object_set_new(out, "ok", json_boolean(ok));
    char *text = json_dumps(out, JSON_COMPACT | JSON_SORT_KEYS);
    printf("%s\n", text ? text : "{}");
    free(text);
    json_decref(out);
    return ok ? 0 : 1;
}

/* ---- generate ------------------------------------------------------------------------- */

typedef struct progress_state {
    int tty;
    int64_t started_ms;
    int last_decile;
} progress_state;

static void show_progress(void *ud, int64_t done, int64_t total)
{
    progress_state *ps = ud;
    int64_t elapsed = aff_clock_now_ms() - ps->started_ms;
    long long rate = elapsed > 0 ? (long long)(done * 1000 / elapsed) : 0;
    int pct = total > 0 ? (int)(done * 100 / total) : 100;
    if (ps->tty) {
        char bar[41];
        int filled = pct * 40 / 100;
        for (int i = 0; i < 40; i++)
            bar[i] = i < filled ? '#' : '.';
        bar[40] = '\0';
        fprintf(stderr, "\r[%s] %3d%% %lld/%lld clicks, %lld/s", bar, pct, (long long)done, (long long)total, rate);
        if (done == total)
            fputc('\n', stderr);
    } else if (pct / 10 != ps->last_decile || done == total) {
        ps->last_decile = pct / 10;
        fprintf(stderr, "generate: %d%% %lld/%lld clicks, %lld/s\n", pct, (long long)done, (long long)total, rate);
    }
}

static int cmd_generate(int argc, char **argv, aff_config *cfg)
{
    static const struct {
        const char *flag;
        int64_t min, max;
    } flags[] = {{"--clicks", 0, 10000000000LL},     {"--days", 1, 3650},
                 {"--affiliates", 1, 100000},        {"--links", 1, 1000},
                 {"--conversion-permille", 0, 1000}, {"--seed", 0, INT64_MAX}};
    int64_t v[6] = {-1, 30, 100, 5, 20, 1};
    char err[512];
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            command_help("generate");
            return 0;
        }
        size_t k;
        for (k = 0; k < 6; k++)
            if (strcmp(argv[i], flags[k].flag) == 0)
                break;
        if (i + 1 >= argc) {
            fprintf(stderr, "afftrack generate: %s needs a value\n", argv[i]);
            return 2;
        }
        if (k < 6) {
            const char *s = argv[++i];
            if (aff_str_to_int64(s, strlen(s), flags[k].min, flags[k].max, &v[k]) != 0) {
                fprintf(stderr, "afftrack generate: %s: \"%s\" is not an integer from %lld to %lld (digits only)\n",
                        flags[k].flag, s, (long long)flags[k].min, (long long)flags[k].max);
                return 2;
            }
        } else if (strncmp(argv[i], "--", 2) == 0 && aff_config_has_key(argv[i] + 2)) {
            if (aff_config_set(cfg, argv[i] + 2, argv[i + 1], err, sizeof(err)) != 0) {
                fprintf(stderr, "afftrack: --%s\n", err);
                return 2;
            }
            i++;
        } else {
            fprintf(stderr, "afftrack generate: unknown option \"%s\" (see afftrack generate --help)\n", argv[i]);
            return 2;
        }
    }
    if (v[0] < 0) {
        fprintf(stderr, "afftrack generate: --clicks is required\n");
        return 2;
    }
    aff_click_id_key key;
    if (prepare_store(cfg, &key) != 0)
        return 1;
    aff_store *st;
    if (aff_store_sqlite_open(cfg->data_dir, AFF_STORE_WRITER, cfg->synchronous == AFF_SYNC_FULL, &st) != 0)
        return 1;
    progress_state ps = {.tty = isatty(2), .started_ms = aff_clock_now_ms(), .last_decile = -1};
    aff_generate_opts o = {.clicks = v[0],
                           .days = (int)v[1],
                           .affiliates = (int)v[2],
                           .links_per_affiliate = (int)v[3],
                           .conversion_permille = (int)v[4],
                           .seed = (uint64_t)v[5],
                           .progress = show_progress,
                           .ud = &ps};
    aff_ctx ctx = {.st = st, .cfg = cfg, .key = &key};
    aff_generate_stats stats;
    int rc = aff_generate(&ctx, &o, &stats);
    aff_store_close(st);
    int64_t ms = aff_clock_now_ms() - ps.started_ms;
    if (rc != 0) {
        fprintf(stderr, "afftrack generate: stopped after %lld clicks: %s\n", (long long)stats.clicks,
                aff_strerror(rc));
        return 1;
    }
    printf("{\"clicks\":%lld,\"conversions\":%lld,\"program_id\":%lld,\"seconds\":%.1f}\n", (long long)stats.clicks,
           (long long)stats.conversions, (long long)stats.program_id, (double)ms / 1000.0);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *cmd = argv[1];
    aff_config cfg;
    aff_config_defaults(&cfg);
    uint64_t seed;
    if (aff_random_bytes(&seed, sizeof(seed)) == 0)
        aff_hash_seed(seed);
    if (strcmp(cmd, "config") == 0) {
        if (argc > 2 && strcmp(argv[2], "--markdown") == 0)
            aff_config_print_markdown(stdout);
        else
            aff_config_print_example(stdout);
        return 0;
    }
    if (strcmp(cmd, "generate") == 0)
        return cmd_generate(argc, argv, &cfg);
    if (strcmp(cmd, "payout") == 0)
        return aff_cli_payout(argc, argv, &cfg);
    if (strcmp(cmd, "replay") == 0)
        return aff_cli_replay(argc, argv, &cfg);
    if (strcmp(cmd, "user") == 0)
        return cmd_user(argc, argv, &cfg);
    static const struct {
        const char *name;
        int (*fn)(aff_config *);
    } commands[] = {{"serve", cmd_serve}, {"init", cmd_init}, {"demo", cmd_demo}, {"verify", cmd_verify}};
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(cmd, commands[i].name) != 0)
            continue;
        int rc = parse_args(argc, argv, &cfg, cmd);
        if (rc != 0)
            return rc > 0 ? 0 : 2;
        return commands[i].fn(&cfg);
    }
    fprintf(stderr, "afftrack: unknown command \"%s\"\n\n", cmd);
    usage(stderr);
    return 2;
}
