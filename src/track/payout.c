/* payout.c - payout runs, marking payouts and their export; see payout.h. */
#include "track/payout.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/money.h"
#include "core/str.h"
#include "track/commission.h"
#include "track/ledger.h"

/* ---- runs ---------------------------------------------------------------------------- */

typedef struct due {
    aff_balance_row *rows;
    size_t n, cap;
} due;

static int collect_due(void *ud, const aff_balance_row *b)
{
    due *d = ud;
    if (b->payable <= 0)
        return 0;
    if (d->n == d->cap) {
        size_t cap = d->cap ? 2 * d->cap : 64;
        aff_balance_row *r = realloc(d->rows, cap * sizeof(*r));
        if (r == NULL)
            return AFF_ENOMEM;
        d->rows = r;
        d->cap = cap;
    }
    d->rows[d->n++] = *b;
    return 0;
}

typedef struct line_sum {
    int64_t sum, n;
} line_sum;

static int add_line(void *ud, const aff_ledger_row *l)
{
    line_sum *s = ud;
    s->sum += l->amount_minor;
    s->n++;
    return 0;
}

/* One payout from an affiliate's payable balance b: its lines move to in_payout. */
static int pay_one(aff_store *st, const aff_balance_row *b, int64_t run_id, int64_t now_ms, aff_errinfo *err)
{
    aff_payout_row p = {.affiliate_id = b->affiliate_id,
                        .program_id = b->program_id,
                        .run_id = run_id,
                        .amount_minor = b->payable,
                        .created_ms = now_ms};
    memcpy(p.currency, b->currency, sizeof(p.currency));
    aff_str_copy(p.status, sizeof(p.status), "pending");
    int rc = aff_store_payout_insert(st, &p);
    if (rc != 0)
        return rc;
    aff_ledger_move m = {.by = AFF_LEDGER_BY_AFFILIATE,
                         .key = b->affiliate_id,
                         .program_id = b->program_id,
                         .from = {"payable"},
                         .to = "in_payout",
                         .payout_id = p.id,
                         .now_ms = now_ms};
    int64_t moved = 0;
    if ((rc = aff_store_ledger_move(st, &m, &moved)) != 0)
        return rc;
    line_sum s = {0, 0};
    aff_list_query q = {.payout_id = p.id};
    if ((rc = aff_store_ledger_list(st, &q, add_line, &s)) != 0)
        return rc;
    if (s.sum != p.amount_minor || s.n != moved)
        return aff_fail(err, AFF_EINVARIANT, NULL, "payout for affiliate %lld: lines sum to %lld, balance said %lld",
                        (long long)b->affiliate_id, (long long)s.sum, (long long)p.amount_minor);
    p.lines = s.n;
    return aff_store_payout_set_status(st, &p);
}

int aff_payout_run(aff_store *st, int64_t program_id, const char *cause, int64_t now_ms, aff_payout_run_result *out,
                   aff_errinfo *err)
{
    memset(out, 0, sizeof(*out));
    int rc = aff_ledger_release(st, program_id, now_ms, &out->released);
    if (rc != 0)
        return rc;
    int64_t bad = 0;
    if ((rc = aff_store_balance_check(st, &bad)) != 0)
        return rc;
    if (bad != 0) /* never pay from balances that do not match their lines */
        return aff_fail(err, AFF_EINVARIANT, NULL, "%lld balances differ from their ledger lines", (long long)bad);
    aff_payout_run_row *run = &out->run;
    run->program_id = program_id;
    aff_str_copy(run->cause, sizeof(run->cause), cause);
    run->created_ms = now_ms;
    due d = {0};
    aff_list_query bq = {.program_id = program_id};
    if ((rc = aff_store_balance_list(st, &bq, collect_due, &d)) != 0)
        goto out;
    aff_program_row *prog = malloc(sizeof(*prog));
    if (prog == NULL) {
        rc = AFF_ENOMEM;
        goto out;
    }
    aff_affiliate_row *aff = malloc(sizeof(*aff));
    if (aff == NULL) {
        free(prog);
        rc = AFF_ENOMEM;
        goto out;
    }
    /* Who is paid is decided first: the run row carries the count, payouts its id. */
    size_t npay = 0;
    for (size_t i = 0; i < d.n; i++) {
        if ((rc = aff_store_program_get(st, d.rows[i].program_id, prog)) != 0 ||
            (rc = aff_store_affiliate_get(st, d.rows[i].affiliate_id, aff)) != 0)
            break;
        if (d.rows[i].payable < prog->min_payout_minor || strcmp(aff->status, "approved") != 0) {
            d.rows[i].payable = 0; /* below the minimum, or not approved: stays payable for a later run */
            continue;
        }
        npay++;
    }
    free(prog);
    free(aff);
    run->payouts = (int64_t)npay;
    if (rc == 0)
        rc = aff_store_payout_run_insert(st, run);
    for (size_t i = 0; rc == 0 && i < d.n; i++)
        if (d.rows[i].payable > 0)
            rc = pay_one(st, &d.rows[i], run->id, now_ms, err);
out:
    free(d.rows);
    return rc;
}

/* ---- marking -------------------------------------------------------------------------- */

static int mark(aff_store *st, int64_t id, const char *to, const char *line_to, const char *reference, int64_t now_ms,
                aff_payout_row *p, aff_errinfo *err)
{
    int rc = aff_store_payout_get(st, id, p);
    if (rc == AFF_ENOTFOUND)
        return aff_fail(err, rc, NULL, "no such payout");
    if (rc != 0)
        return rc;
    if (strcmp(p->status, "pending") != 0)
        return aff_fail(err, AFF_ECONFLICT, NULL, "payout %lld is already %s", (long long)id, p->status);
    aff_str_copy(p->status, sizeof(p->status), to);
    aff_str_copy(p->reference, sizeof(p->reference), reference != NULL ? reference : "");
    p->updated_ms = now_ms;
    if ((rc = aff_store_payout_set_status(st, p)) != 0)
        return rc;
    aff_ledger_move m = {.by = AFF_LEDGER_BY_PAYOUT,
                         .key = id,
                         .from = {"in_payout"},
                         .to = line_to,
                         .payout_id = strcmp(line_to, "paid") == 0 ? -1 : 0,
                         .now_ms = now_ms};
    int64_t moved = 0;
    if ((rc = aff_store_ledger_move(st, &m, &moved)) != 0)
        return rc;
    if (moved != p->lines && p->lines != 0)
        return aff_fail(err, AFF_EINVARIANT, NULL, "payout %lld had %lld lines in payout, expected %lld", (long long)id,
                        (long long)moved, (long long)p->lines);
    return 0;
}

int aff_payout_mark_paid(aff_store *st, int64_t id, const char *reference, int64_t now_ms, aff_payout_row *out,
                         aff_errinfo *err)
{
    return mark(st, id, "paid", "paid", reference, now_ms, out, err);
}

int aff_payout_mark_failed(aff_store *st, int64_t id, const char *reason, int64_t now_ms, aff_payout_row *out,
                           aff_errinfo *err)
{
    return mark(st, id, "failed", "payable", reason, now_ms, out, err);
}

/* ---- schedules ------------------------------------------------------------------------- */

typedef struct sched {
    aff_store *st;
    int64_t now_ms;
    int runs;
    int64_t ids[256];
    aff_period periods[256];
    int n;
} sched;

static int collect_scheduled(void *ud, const aff_program_row *p)
{
    sched *s = ud;
    if (s->n == (int)(sizeof(s->ids) / sizeof(s->ids[0])))
        return 1;
    if (strcmp(p->payout_schedule, "weekly") == 0)
        s->periods[s->n] = (aff_period){.kind = AFF_PERIOD_WEEK};
    else if (strcmp(p->payout_schedule, "monthly") == 0)
        s->periods[s->n] = (aff_period){.kind = AFF_PERIOD_MONTH};
    else
        return 0;
    s->ids[s->n++] = p->id;
    return 0;
}

int aff_payout_run_scheduled(aff_store *st, int64_t now_ms, int *runs)
{
    sched *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return AFF_ENOMEM;
    s->st = st;
    aff_list_query all = {0};
    int rc = aff_store_program_list(st, &all, collect_scheduled, s);
    for (int i = 0; rc == 0 && i < s->n; i++) {
        char key[48];
        snprintf(key, sizeof(key), "payout_schedule:%lld", (long long)s->ids[i]);
        int64_t last = 0, start = aff_period_start(&s->periods[i], now_ms);
        size_t len = 0;
        int grc = aff_store_meta_get(st, key, &last, sizeof(last), &len);
        if (grc != 0 && grc != AFF_ENOTFOUND) {
            rc = grc;
            break;
        }
        if (grc == 0 && len == sizeof(last) && last >= start)
            continue; /* already ran in this week / month */
        aff_payout_run_result res;
        aff_errinfo err = {0};
        const char *cause = s->periods[i].kind == AFF_PERIOD_WEEK ? "weekly" : "monthly";
        if ((rc = aff_payout_run(st, s->ids[i], cause, now_ms, &res, &err)) == 0 &&
            (rc = aff_store_meta_put(st, key, &start, sizeof(start))) == 0)
            s->runs++;
    }
    *runs = s->runs;
    free(s);
    return rc;
}

/* ---- export --------------------------------------------------------------------------- */

typedef struct buf {
    char *p;
    size_t n, cap;
    int oom;
} buf;

static void put(buf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (b->n + n + 1 > cap)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (p == NULL) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

static void puts_(buf *b, const char *s)
{
    put(b, s, strlen(s));
}

/* One CSV field: quoted when it holds a comma, quote or line break; a leading = + - @
 * tab or CR gets a ' so spreadsheets do not run it as a formula (CSV injection). */
static void csv_field(buf *b, const char *s, int last)
{
    int quote = strpbrk(s, ",\"\r\n") != NULL;
    if (quote)
        put(b, "\"", 1);
    if (s[0] != '\0' && strchr("=+-@\t\r", s[0]) != NULL)
        put(b, "'", 1);
    for (const char *c = s; *c; c++) {
        put(b, c, 1);
        if (*c == '"')
            put(b, "\"", 1);
    }
    if (quote)
        put(b, "\"", 1);
    put(b, last ? "\r\n" : ",", last ? 2 : 1);
}

typedef struct export
{
    aff_store *st;
    int format;
    buf out;
    json_t *arr;
    int rc;
}
export;

static int export_one(void *ud, const aff_payout_row *p)
{
    export *x = ud;
    aff_affiliate_row *a = calloc(1, sizeof(*a));
    if (a == NULL)
        return AFF_ENOMEM;
    int rc = aff_store_affiliate_get(x->st, p->affiliate_id, a);
    if (rc != 0 && rc != AFF_ENOTFOUND) {
        free(a);
        return rc;
    }
    int exp = 2;
    aff_currency_exponent(p->currency, &exp);
    char amount[48], id[24], aff[24];
    aff_money_format(p->amount_minor, exp, amount, sizeof(amount));
    snprintf(id, sizeof(id), "%lld", (long long)p->id);
    snprintf(aff, sizeof(aff), "%lld", (long long)p->affiliate_id);
    const char *receiver = a->payout_account[0] ? a->payout_account : a->email;
    if (x->format == AFF_EXPORT_JSON) {
        json_array_append_new(
            x->arr,
            json_pack("{s:I,s:I,s:s,s:s,s:o,s:s,s:I,s:s,s:s,s:s,s:o}", "payout_id", (json_int_t)p->id, "affiliate_id",
                      (json_int_t)p->affiliate_id, "name", a->name, "email", a->email, "payout_method",
                      a->payout_method[0] ? json_string(a->payout_method) : json_null(), "payout_account", receiver,
                      "amount_minor", (json_int_t)p->amount_minor, "amount", amount, "currency", p->currency, "status",
                      p->status, "reference", p->reference[0] ? json_string(p->reference) : json_null()));
    } else if (x->format == AFF_EXPORT_PAYPAL) {
        char note[64];
        snprintf(note, sizeof(note), "Affiliate payout %lld", (long long)p->id);
        csv_field(&x->out, receiver, 0);
        csv_field(&x->out, amount, 0);
        csv_field(&x->out, p->currency, 0);
        csv_field(&x->out, id, 0);
        csv_field(&x->out, note, 1);
    } else {
        const char *fields[] = {id,       aff,    a->name,     a->email,  a->payout_method,
                                receiver, amount, p->currency, p->status, p->reference};
        for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
            csv_field(&x->out, fields[i], i + 1 == sizeof(fields) / sizeof(fields[0]));
    }
    free(a);
    return 0;
}

int aff_payout_export(aff_store *st, int64_t run_id, int format, char **out, size_t *len)
{
    aff_payout_run_row run;
    int rc = aff_store_payout_run_get(st, run_id, &run);
    if (rc != 0)
        return rc;
    export x = {.st = st, .format = format};
    if (format == AFF_EXPORT_JSON)
        x.arr = json_array();
    else if (format == AFF_EXPORT_CSV)
        puts_(&x.out,
              "payout_id,affiliate_id,name,email,payout_method,payout_account,amount,currency,status,reference\r\n");
    aff_list_query q = {.run_id = run_id};
    rc = aff_store_payout_list(st, &q, export_one, &x);
    if (rc == 0 && format == AFF_EXPORT_JSON) {
        char *s = json_dumps(x.arr, JSON_COMPACT);
        if (s == NULL)
            rc = AFF_ENOMEM;
        else
            puts_(&x.out, s);
        free(s);
    }
    json_decref(x.arr);
    if (rc == 0 && x.out.p == NULL)
        puts_(&x.out, "");
    if (rc == 0 && x.out.oom)
        rc = AFF_ENOMEM;
    if (rc != 0) {
        free(x.out.p);
        return rc;
    }
    *out = x.out.p;
    *len = x.out.n;
    return 0;
}
