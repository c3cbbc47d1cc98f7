/*
 * money.c - the command-line side of commissions: `afftrack payout ...` and
 * `afftrack replay ...` (docs/commissions.md). Argument parsing and printing only: the
 * work is track/payout.c and track/replay.c's.
 *
 * Payout commands open the store as a writer in their own transaction, so they may run
 * while a server serves the same directory (SQLite serialises the writers; the server's
 * writer waits up to its busy timeout). Replay only reads.
 */
#include "cli/money.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/money.h"
#include "core/str.h"
#include "track/commission.h"
#include "track/payout.h"
#include "track/replay.h"

/* ---- options -------------------------------------------------------------------------- */

enum { OPT_ID, OPT_TEXT, OPT_DAY, OPT_FLAG };

typedef struct opt {
    const char *flag;
    int kind;
    void *out; /* int64_t* for OPT_ID and OPT_DAY, const char** for OPT_TEXT, int* for OPT_FLAG (no value) */
    int seen;
} opt;

/* --flag VALUE pairs into opts; config keys (--data, --synchronous...) into cfg. */
static int parse_opts(int argc, char **argv, int first, opt *opts, size_t n, aff_config *cfg, const char *cmd)
{
    char err[512];
    for (int i = first; i < argc; i++) {
        size_t k = 0;
        while (k < n && strcmp(argv[i], opts[k].flag) != 0)
            k++;
        if (k < n && opts[k].kind == OPT_FLAG) {
            opts[k].seen = 1;
            *(int *)opts[k].out = 1;
            continue;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "afftrack %s: %s needs a value\n", cmd, argv[i]);
            return -1;
        }
        const char *v = argv[++i];
        if (k == n) {
            if (strncmp(argv[i - 1], "--", 2) != 0 || !aff_config_has_key(argv[i - 1] + 2) ||
                aff_config_set(cfg, argv[i - 1] + 2, v, err, sizeof(err)) != 0) {
                fprintf(stderr, "afftrack %s: unknown option or bad value \"%s\" (see afftrack %s --help)\n", cmd,
                        argv[i - 1], cmd);
                return -1;
            }
            continue;
        }
        opts[k].seen = 1;
        if (opts[k].kind == OPT_TEXT) {
            *(const char **)opts[k].out = v;
        } else if (opts[k].kind == OPT_DAY) {
            if (aff_clock_parse_day(v, strlen(v), opts[k].out) != 0) {
                fprintf(stderr, "afftrack %s: %s: a day YYYY-MM-DD\n", cmd, opts[k].flag);
                return -1;
            }
        } else if (aff_str_to_int64(v, strlen(v), 1, INT64_MAX, opts[k].out) != 0) {
            fprintf(stderr, "afftrack %s: %s: \"%s\" is not an id: a positive integer of digits only, at most %lld\n",
                    cmd, opts[k].flag, v, (long long)INT64_MAX);
            return -1;
        }
    }
    return 0;
}

static int wants_help(int argc, char **argv)
{
    for (int i = 2; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return 1;
    return 0;
}

/* ---- payout ------------------------------------------------------------------------------ */

static const char payout_help[] =
    "usage: afftrack payout run    --data DIR [--program ID] [--format csv|paypal|json] [--out FILE]\n"
    "       afftrack payout paid   --data DIR --id PAYOUT [--reference TEXT]\n"
    "       afftrack payout failed --data DIR --id PAYOUT [--reason TEXT]\n\n"
    "run: makes approved lines of approved affiliates payable, then pays every affiliate whose payable\n"
    "balance reaches the program's min_payout_minor (one payout each) and writes the run's mass-payment\n"
    "file (csv with a header, PayPal Payouts CSV, or JSON) to FILE or standard output; the summary goes to\n"
    "standard error. paid / failed: settle a pending payout (failed returns its lines to payable).\n";

static int open_writer(aff_config *cfg, aff_store **st)
{
    int rc = aff_store_sqlite_open(cfg->data_dir, AFF_STORE_WRITER, cfg->synchronous == AFF_SYNC_FULL, st);
    if (rc != 0)
        fprintf(stderr, "afftrack: cannot open the store in %s: %s\n", cfg->data_dir, aff_strerror(rc));
    return rc;
}

static int finish(aff_store *st, int rc, const aff_errinfo *err)
{
    if (rc == 0)
        rc = aff_store_commit(st);
    if (rc != 0) {
        aff_store_rollback(st);
        fprintf(stderr, "afftrack: %s\n", err->msg[0] ? err->msg : aff_strerror(rc));
    }
    aff_store_close(st);
    return rc == 0 ? 0 : 1;
}

static int payout_run(int argc, char **argv, aff_config *cfg)
{
    int64_t program = 0;
    const char *format = "csv", *out = NULL;
    opt opts[] = {{"--program", OPT_ID, &program, 0}, {"--format", OPT_TEXT, &format, 0}, {"--out", OPT_TEXT, &out, 0}};
    if (parse_opts(argc, argv, 3, opts, 3, cfg, "payout run") != 0)
        return 2;
    int fmt = strcmp(format, "csv") == 0      ? AFF_EXPORT_CSV
              : strcmp(format, "paypal") == 0 ? AFF_EXPORT_PAYPAL
              : strcmp(format, "json") == 0   ? AFF_EXPORT_JSON
                                              : -1;
    if (fmt < 0) {
        fprintf(stderr, "afftrack payout run: --format: csv, paypal or json\n");
        return 2;
    }
    aff_store *st;
    if (open_writer(cfg, &st) != 0)
        return 1;
    aff_errinfo err = {0};
    aff_payout_run_result res;
    char *text = NULL;
    size_t len = 0;
    int rc = aff_store_begin(st);
    if (rc == 0)
        rc = aff_payout_run(st, program, "cli", aff_clock_now_ms(), &res, &err);
    if (rc == 0)
        rc = aff_payout_export(st, res.run.id, fmt, &text, &len);
    if (finish(st, rc, &err) != 0) {
        free(text);
        return 1;
    }
    FILE *f = out != NULL ? fopen(out, "w") : stdout;
    if (f == NULL || fwrite(text, 1, len, f) != len || (out != NULL && fclose(f) != 0)) {
        fprintf(stderr,
                "afftrack payout run: cannot write %s (the run %lld is recorded; export it again with\n"
                "GET /v1/payout-runs/%lld/export)\n",
                out != NULL ? out : "standard output", (long long)res.run.id, (long long)res.run.id);
        free(text);
        return 1;
    }
    fprintf(stderr, "afftrack: payout run %lld: %lld payouts, %lld lines made payable first\n", (long long)res.run.id,
            (long long)res.run.payouts, (long long)res.released);
    free(text);
    return 0;
}

static int payout_mark(int argc, char **argv, aff_config *cfg, int paid)
{
    int64_t id = 0;
    const char *text = "";
    opt opts[] = {{"--id", OPT_ID, &id, 0}, {paid ? "--reference" : "--reason", OPT_TEXT, &text, 0}};
    if (parse_opts(argc, argv, 3, opts, 2, cfg, paid ? "payout paid" : "payout failed") != 0)
        return 2;
    if (!opts[0].seen) {
        fprintf(stderr, "afftrack payout: --id is required\n");
        return 2;
    }
    if (strlen(text) > AFF_REASON_MAX) {
        fprintf(stderr, "afftrack payout: %s: at most %d bytes\n", opts[1].flag, AFF_REASON_MAX);
        return 2;
    }
    aff_store *st;
    if (open_writer(cfg, &st) != 0)
        return 1;
    aff_errinfo err = {0};
    aff_payout_row p;
    int rc = aff_store_begin(st);
    if (rc == 0)
        rc = paid ? aff_payout_mark_paid(st, id, text, aff_clock_now_ms(), &p, &err)
                  : aff_payout_mark_failed(st, id, text, aff_clock_now_ms(), &p, &err);
    if (finish(st, rc, &err) != 0)
        return 1;
    printf("{\"id\":%lld,\"status\":\"%s\",\"amount_minor\":%lld,\"lines\":%lld}\n", (long long)p.id, p.status,
           (long long)p.amount_minor, (long long)p.lines);
    return 0;
}

int aff_cli_payout(int argc, char **argv, aff_config *cfg)
{
    if (argc < 3 || wants_help(argc, argv)) {
        fputs(payout_help, argc < 3 ? stderr : stdout);
        return argc < 3 ? 2 : 0;
    }
    if (strcmp(argv[2], "run") == 0)
        return payout_run(argc, argv, cfg);
    if (strcmp(argv[2], "paid") == 0 || strcmp(argv[2], "failed") == 0)
        return payout_mark(argc, argv, cfg, strcmp(argv[2], "paid") == 0);
    fprintf(stderr, "afftrack payout: unknown subcommand \"%s\"\n\n%s", argv[2], payout_help);
    return 2;
}

/* ---- replay ------------------------------------------------------------------------------ */

static const char replay_help[] =
    "usage: afftrack replay --data DIR --program ID --from YYYY-MM-DD --to YYYY-MM-DD\n"
    "                       [--plan FILE.json | --version N] [--json]\n\n"
    "Re-prices every conversion of the program created from --from to --to (whole UTC days) under\n"
    "another plan (a JSON file in the grammar of docs/commissions.md, or a stored version) and prints,\n"
    "per affiliate, its conversions, the commission recorded today, under the other plan, and the\n"
    "difference. Without --plan or --version, under the versions they recorded (a check: every\n"
    "conversion should match). Writes nothing.\n";

static int read_file(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return AFF_EIO;
    size_t n = fread(buf, 1, cap - 1, f);
    int big = n == cap - 1 && fgetc(f) != EOF;
    fclose(f);
    if (big)
        return AFF_ETOOBIG;
    buf[n] = '\0';
    return 0;
}

static void print_replay(const aff_replay_result *r, int json, const char *currency)
{
    int exp = 2;
    aff_currency_exponent(currency, &exp);
    int64_t cur = 0, rep = 0, conv = 0;
    if (json) {
        json_t *rows = json_array();
        for (size_t i = 0; i < r->n; i++) {
            const aff_replay_row *x = &r->rows[i];
            json_array_append_new(rows, json_pack("{s:I,s:I,s:I,s:I,s:I}", "affiliate_id", (json_int_t)x->affiliate_id,
                                                  "conversions", (json_int_t)x->conversions, "current_minor",
                                                  (json_int_t)x->current_minor, "replayed_minor",
                                                  (json_int_t)x->replayed_minor, "difference_minor",
                                                  (json_int_t)(x->replayed_minor - x->current_minor)));
        }
        json_t *o = json_pack("{s:s,s:o,s:I,s:I}", "currency", currency, "affiliates", rows, "conversions_repriced",
                              (json_int_t)r->conversions, "mismatches", (json_int_t)r->mismatches);
        char *s = json_dumps(o, JSON_COMPACT);
        printf("%s\n", s ? s : "{}");
        free(s);
        json_decref(o);
        return;
    }
    printf("%-12s %11s %16s %16s %16s\n", "affiliate", "conversions", "current", "replayed", "difference");
    for (size_t i = 0; i < r->n; i++) {
        const aff_replay_row *x = &r->rows[i];
        char a[40], b[40], d[40];
        aff_money_format(x->current_minor, exp, a, sizeof(a));
        aff_money_format(x->replayed_minor, exp, b, sizeof(b));
        aff_money_format(x->replayed_minor - x->current_minor, exp, d, sizeof(d));
        printf("%-12lld %11lld %16s %16s %16s\n", (long long)x->affiliate_id, (long long)x->conversions, a, b, d);
        cur += x->current_minor;
        rep += x->replayed_minor;
        conv += x->conversions;
    }
    char a[40], b[40], d[40];
    aff_money_format(cur, exp, a, sizeof(a));
    aff_money_format(rep, exp, b, sizeof(b));
    aff_money_format(rep - cur, exp, d, sizeof(d));
    printf("%-12s %11lld %16s %16s %16s   (%s)\n", "total", (long long)conv, a, b, d, currency);
}

int aff_cli_replay(int argc, char **argv, aff_config *cfg)
{
    if (wants_help(argc, argv)) {
        fputs(replay_help, stdout);
        return 0;
    }
    int64_t program = 0, from = 0, to = 0, version = 0;
    const char *plan_file = NULL;
    int json = 0;
    opt opts[] = {{"--program", OPT_ID, &program, 0}, {"--from", OPT_DAY, &from, 0},
                  {"--to", OPT_DAY, &to, 0},          {"--plan", OPT_TEXT, &plan_file, 0},
                  {"--version", OPT_ID, &version, 0}, {"--json", OPT_FLAG, &json, 0}};
    if (parse_opts(argc, argv, 2, opts, 6, cfg, "replay") != 0)
        return 2;
    if (!opts[0].seen || !opts[1].seen || !opts[2].seen || to < from || (opts[3].seen && opts[4].seen)) {
        fprintf(stderr,
                "afftrack replay: --program, --from and --to are required (from <= to), and at most one of\n"
                "--plan and --version\n\n%s",
                replay_help);
        return 2;
    }
    aff_store *st;
    int rc = aff_store_sqlite_open(cfg->data_dir, AFF_STORE_READER, 0, &st);
    if (rc != 0) {
        fprintf(stderr, "afftrack: cannot open the store in %s: %s\n", cfg->data_dir, aff_strerror(rc));
        return 1;
    }
    aff_program_row *p = malloc(sizeof(*p));
    aff_plan *plan = malloc(sizeof(*plan));
    char *text = malloc(AFF_PLAN_MAX + 1);
    aff_errinfo err = {0};
    if (p == NULL || plan == NULL || text == NULL)
        rc = AFF_ENOMEM;
    if (rc == 0 && (rc = aff_store_program_get(st, program, p)) == AFF_ENOTFOUND)
        fprintf(stderr, "afftrack replay: no program %lld\n", (long long)program);
    if (rc == 0 && opts[3].seen && (rc = read_file(plan_file, text, AFF_PLAN_MAX + 1)) != 0)
        fprintf(stderr, "afftrack replay: cannot read %s: %s\n", plan_file, aff_strerror(rc));
    if (rc == 0 && opts[4].seen && (rc = aff_store_plan_get(st, program, (int)version, text, AFF_PLAN_MAX + 1)) != 0)
        fprintf(stderr, "afftrack replay: program %lld has no plan version %lld\n", (long long)program,
                (long long)version);
    if (rc == 0 && (opts[3].seen || opts[4].seen) && (rc = aff_plan_parse(text, plan, NULL, 0, &err)) != 0)
        fprintf(stderr, "afftrack replay: %s\n", err.msg);
    aff_store_close(st);
    aff_replay_result res = {0};
    int replay_rc = 0;
    if (rc == 0) {
        int v = opts[4].seen ? (int)version : p->commission_version + 1; /* a file is a would-be next version */
        replay_rc = aff_replay_run(cfg->data_dir, program, from, to + AFF_MS_PER_DAY,
                                   opts[3].seen || opts[4].seen ? plan : NULL, v, &res);
        if (replay_rc != 0)
            fprintf(stderr, "afftrack replay: %s\n", aff_strerror(replay_rc));
        else
            print_replay(&res, json, p->currency);
    }
    int mismatched = rc == 0 && replay_rc == 0 && !opts[3].seen && !opts[4].seen && res.mismatches > 0;
    if (mismatched)
        fprintf(stderr, "afftrack replay: %lld conversions do not match their recorded plan\n",
                (long long)res.mismatches);
    aff_replay_result_free(&res);
    free(p);
    free(plan);
    free(text);
    return rc != 0 || replay_rc != 0 ? 1 : mismatched ? 1 : 0;
}
