/* fraud.c - click-time screening rules; see fraud.h and docs/fraud.md. */
#include "track/fraud.h"

#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cidr.h"
#include "core/crypto.h"
#include "core/err.h"
#include "store/store.h"
#include "track/botua.h"
#include "track/geo.h"
#include "track/velocity.h"

#define VELOCITY_SLOTS_LOG2 17 /* 1 MB per table: 131,072 concurrently tracked keys */
#define MAX_COUNTRIES 64
#define MAX_LIST_FILE (64u << 20)

/* What one click's screening has worked out so far, shared by the rules. */
typedef struct screen {
    const aff_fraud_click *in;
    int addr_ok;
    unsigned char addr[16];
    uint32_t asn;
    const char *country;
    int have_ip_hash;
    uint64_t ip_hash;
} screen;

static struct {
    int open;
    const aff_click_id_key *key;
    aff_cidr_set *blocked;
    char countries[MAX_COUNTRIES][2];
    size_t ncountries;
    uint32_t *hosting;
    size_t nhosting;
    aff_velocity *ip, *ip_link, *dup;
    uint32_t ip_max, ip_link_max, dup_max;
    int64_t velocity_window_ms, dup_window_ms;
    int need_addr;
} F;

/* ---- the rules
 * ------------------------------------------------------------------------- */

static int match_bot_user_agent(screen *s)
{
    return aff_botua_match(s->in->user_agent, s->in->user_agent_len);
}

static int match_empty_user_agent(screen *s)
{
    return s->in->user_agent_len == 0;
}

static int match_blocked_cidr(screen *s)
{
    return s->addr_ok && aff_cidr_set_contains(F.blocked, s->addr);
}

static int match_blocked_country(screen *s)
{
    for (size_t i = 0; s->country[0] != '\0' && i < F.ncountries; i++)
        if (memcmp(F.countries[i], s->country, 2) == 0)
            return 1;
    return 0;
}

static int match_hosting_asn(screen *s)
{
    size_t lo = 0, hi = F.nhosting;
    while (s->asn != 0 && lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (F.hosting[mid] == s->asn)
            return 1;
        if (F.hosting[mid] < s->asn)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

/* A keyed hash of the client address: velocity keys must not be aimable at one
 * slot. */
static uint64_t ip_hash(screen *s)
{
    if (!s->have_ip_hash) {
        s->ip_hash = aff_siphash(F.key->secret + AFF_SIPHASH_KEY_LEN, s->in->ip, strnlen(s->in->ip, 64));
        s->have_ip_hash = 1;
    }
    return s->ip_hash;
}

/* Mix a link id into a key (splitmix64's finalizer over the xor). */
static uint64_t with_link(uint64_t h, int64_t link_id)
{
    uint64_t z = h ^ ((uint64_t)link_id * UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static int match_ip_velocity(screen *s)
{
    return aff_velocity_hit(F.ip, ip_hash(s), s->in->now_ms, F.ip_max, F.velocity_window_ms);
}

static int match_ip_link_velocity(screen *s)
{
    return aff_velocity_hit(F.ip_link, with_link(ip_hash(s), s->in->link_id), s->in->now_ms, F.ip_link_max,
                            F.velocity_window_ms);
}

static int match_duplicate_click(screen *s)
{
    return aff_velocity_hit(F.dup, with_link(s->in->fingerprint, s->in->link_id), s->in->now_ms, F.dup_max,
                            F.dup_window_ms);
}

static int match_non_interactive(screen *s)
{
    return s->in->non_interactive;
}

typedef struct rule {
    int code;
    const char *name;
    int bot;           /* reject marks the click a bot (bot_clicks), not a rejected click */
    size_t action_off; /* its action's field in aff_config */
    int (*match)(screen *s);
} rule;

#define ACT(f) offsetof(aff_config, f)
static const rule rules[] = {
    {AFF_REASON_BOT_USER_AGENT, "bot_user_agent", 1, ACT(fraud_bot_user_agent), match_bot_user_agent},
    {AFF_REASON_EMPTY_USER_AGENT, "empty_user_agent", 1, ACT(fraud_empty_user_agent), match_empty_user_agent},
    {AFF_REASON_BLOCKED_CIDR, "blocked_cidr", 0, ACT(fraud_blocked_cidr), match_blocked_cidr},
    {AFF_REASON_BLOCKED_COUNTRY, "blocked_country", 0, ACT(fraud_blocked_country), match_blocked_country},
    {AFF_REASON_HOSTING_ASN, "hosting_asn", 0, ACT(fraud_hosting_asn), match_hosting_asn},
    {AFF_REASON_IP_VELOCITY, "ip_velocity", 0, ACT(fraud_ip_velocity), match_ip_velocity},
    {AFF_REASON_IP_LINK_VELOCITY, "ip_link_velocity", 0, ACT(fraud_ip_link_velocity), match_ip_link_velocity},
    {AFF_REASON_DUPLICATE_CLICK, "duplicate_click", 0, ACT(fraud_duplicate_click), match_duplicate_click},
    {AFF_REASON_NON_INTERACTIVE, "non_interactive", 0, ACT(fraud_non_interactive), match_non_interactive},
};
#undef ACT
#define NRULES (sizeof(rules) / sizeof(rules[0]))

static int action[NRULES];           /* configured */
static const char *inactive[NRULES]; /* why a configured rule cannot run */
static _Atomic uint64_t hits[NRULES];

/* ---- configuration
 * ----------------------------------------------------------------------- */

static int is_sep(char c)
{
    return c == ',' || c == ' ' || c == '\t';
}

static int parse_asns(const char *list, char *err, size_t errcap)
{
    size_t cap = strlen(list) / 2 + 1;
    F.hosting = calloc(cap, sizeof(*F.hosting));
    if (F.hosting == NULL)
        return AFF_ENOMEM;
    for (const char *p = list; *p;) {
        if (is_sep(*p)) {
            p++;
            continue;
        }
        const char *q = p;
        if ((q[0] == 'A' || q[0] == 'a') && (q[1] == 'S' || q[1] == 's'))
            q += 2;
        uint64_t v = 0;
        int digits = 0;
        for (; *q >= '0' && *q <= '9' && digits < 11; q++, digits++)
            v = v * 10 + (uint64_t)(*q - '0');
        if (digits == 0 || v == 0 || v > UINT32_MAX || (*q != '\0' && !is_sep(*q))) {
            snprintf(err, errcap, "hosting_asns: \"%.*s\" is not an AS number", (int)strcspn(p, ", \t"), p);
            return AFF_EINVAL;
        }
        F.hosting[F.nhosting++] = (uint32_t)v;
        p = q;
    }
    for (size_t i = 1; i < F.nhosting; i++) /* insertion sort: short list */
        for (size_t j = i; j > 0 && F.hosting[j - 1] > F.hosting[j]; j--) {
            uint32_t t = F.hosting[j];
            F.hosting[j] = F.hosting[j - 1];
            F.hosting[j - 1] = t;
        }
    return 0;
}

static int parse_countries(const char *list, char *err, size_t errcap)
{
    for (const char *p = list; *p;) {
        if (is_sep(*p)) {
            p++;
            continue;
        }
        size_t n = strcspn(p, ", \t");
        char a = (char)(p[0] & ~0x20), b = (char)(n > 1 ? p[1] & ~0x20 : 0);
        if (n != 2 || a < 'A' || a > 'Z' || b < 'A' || b > 'Z' || F.ncountries == MAX_COUNTRIES) {
            snprintf(err, errcap,
                     "blocked_countries: \"%.*s\" is not a two-letter country code "
                     "(at most %d)",
                     (int)n, p, MAX_COUNTRIES);
            return AFF_EINVAL;
        }
        F.countries[F.ncountries][0] = a;
        F.countries[F.ncountries][1] = b;
        F.ncountries++;
        p += n;
    }
    return 0;
}

static int read_list_file(const char *path, char *err, size_t errcap)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(err, errcap, "blocked_cidrs_file: %s: %s", path, strerror(errno));
        return AFF_EIO;
    }
    long size = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    char *buf = NULL;
    size_t n = 0;
    int rc = 0;
    if (size < 0 || (unsigned long)size >= MAX_LIST_FILE || fseek(f, 0, SEEK_SET) != 0) {
        snprintf(err, errcap, "blocked_cidrs_file: %s: unreadable or larger than %u bytes", path, MAX_LIST_FILE - 1);
        rc = AFF_EIO;
    } else if ((buf = malloc((size_t)size + 1)) == NULL) {
        rc = AFF_ENOMEM;
    } else if ((n = fread(buf, 1, (size_t)size, f)) != (size_t)size) {
        snprintf(err, errcap, "blocked_cidrs_file: %s: %s", path, ferror(f) ? strerror(errno) : "changed while read");
        rc = AFF_EIO;
    }
    fclose(f);
    char what[1100];
    snprintf(what, sizeof(what), "blocked_cidrs_file %s", path);
    if (rc == 0)
        rc = aff_cidr_set_add_list(F.blocked, buf, n, what, err, errcap);
    free(buf);
    return rc;
}

static int load_lists(const aff_config *cfg, char *err, size_t errcap)
{
    int rc;
    if ((F.blocked = aff_cidr_set_new()) == NULL)
        return AFF_ENOMEM;
    if ((rc = aff_cidr_set_add_list(F.blocked, cfg->blocked_cidrs, strlen(cfg->blocked_cidrs), "blocked_cidrs", err,
                                    errcap)) != 0)
        return rc;
    if (cfg->blocked_cidrs_file[0] != '\0' && (rc = read_list_file(cfg->blocked_cidrs_file, err, errcap)) != 0)
        return rc;
    if ((rc = parse_countries(cfg->blocked_countries, err, errcap)) != 0)
        return rc;
    if ((rc = parse_asns(cfg->hosting_asns, err, errcap)) != 0)
        return rc;
    if ((rc = aff_geo_open(cfg->asn_db, cfg->country_db, err, errcap)) != 0)
        return rc;
    F.ip = aff_velocity_new(VELOCITY_SLOTS_LOG2);
    F.ip_link = aff_velocity_new(VELOCITY_SLOTS_LOG2);
    F.dup = aff_velocity_new(VELOCITY_SLOTS_LOG2);
    if (F.ip == NULL || F.ip_link == NULL || F.dup == NULL)
        return AFF_ENOMEM;
    F.ip_max = (uint32_t)cfg->ip_velocity_max;
    F.ip_link_max = (uint32_t)cfg->ip_link_velocity_max;
    F.dup_max = (uint32_t)cfg->duplicate_click_max;
    F.velocity_window_ms = (int64_t)cfg->velocity_window_s * 1000;
    F.dup_window_ms = (int64_t)cfg->duplicate_click_window_s * 1000;
    return 0;
}

/* Why rule i cannot run with what was loaded, or NULL. */
static const char *missing_input(int code)
{
    switch (code) {
    case AFF_REASON_BLOCKED_CIDR:
        return aff_cidr_set_size(F.blocked) == 0 ? "no blocked_cidrs or blocked_cidrs_file" : NULL;
    case AFF_REASON_BLOCKED_COUNTRY:
        return !aff_geo_has_country() ? "no country_db" : F.ncountries == 0 ? "no blocked_countries" : NULL;
    case AFF_REASON_HOSTING_ASN:
        return !aff_geo_has_asn() ? "no asn_db" : F.nhosting == 0 ? "no hosting_asns" : NULL;
    default:
        return NULL;
    }
}

int aff_fraud_open(const aff_config *cfg, const aff_click_id_key *key, char *err, size_t errcap)
{
    aff_fraud_close();
    F.key = key;
    int rc = load_lists(cfg, err, errcap);
    if (rc == 0 && *(const int *)((const char *)cfg + rules[0].action_off) != AFF_ACTION_OFF)
        rc = aff_botua_open(err, errcap);
    if (rc != 0) {
        aff_fraud_close();
        return rc;
    }
    for (size_t i = 0; i < NRULES; i++) {
        action[i] = *(const int *)((const char *)cfg + rules[i].action_off);
        inactive[i] = action[i] != AFF_ACTION_OFF ? missing_input(rules[i].code) : NULL;
        atomic_store(&hits[i], 0);
    }
    F.need_addr = aff_cidr_set_size(F.blocked) > 0 || aff_geo_has_asn() || aff_geo_has_country();
    F.open = 1;
    return 0;
}

void aff_fraud_close(void)
{
    aff_cidr_set_free(F.blocked);
    free(F.hosting);
    aff_velocity_free(F.ip);
    aff_velocity_free(F.ip_link);
    aff_velocity_free(F.dup);
    aff_geo_close();
    aff_botua_close();
    memset(&F, 0, sizeof(F));
}

/* ---- screening
 * ----------------------------------------------------------------------------
 */

void aff_fraud_screen(const aff_fraud_click *in, aff_fraud_verdict *out)
{
    memset(out, 0, sizeof(*out));
    if (!F.open)
        return;
    screen s = {.in = in, .country = out->country};
    if (F.need_addr && aff_cidr_parse_addr(in->ip, s.addr) == 0) {
        s.addr_ok = 1;
        aff_geo_lookup(s.addr, &out->asn, out->country);
        s.asn = out->asn;
    }
    int best = -1;
    for (size_t i = 0; i < NRULES; i++) {
        if (action[i] == AFF_ACTION_OFF || inactive[i] != NULL || !rules[i].match(&s))
            continue;
        atomic_fetch_add_explicit(&hits[i], 1, memory_order_relaxed);
        if (best < 0 || action[i] > action[best])
            best = (int)i;
    }
    if (best < 0)
        return;
    out->action = action[best];
    out->reason = rules[best].code;
    if (out->action == AFF_ACTION_REJECT)
        out->flags = rules[best].bot ? AFF_CLICK_BOT : AFF_CLICK_REJECTED;
    else if (out->action == AFF_ACTION_FLAG)
        out->flags = AFF_CLICK_FLAGGED;
}

size_t aff_fraud_rules(aff_fraud_rule_info *out, size_t cap)
{
    for (size_t i = 0; i < NRULES && i < cap; i++)
        out[i] = (aff_fraud_rule_info){rules[i].code, rules[i].name, action[i], inactive[i],
                                       atomic_load_explicit(&hits[i], memory_order_relaxed)};
    return NRULES;
}

const char *aff_fraud_action_name(int a)
{
    static const char *const names[] = {"off", "flag", "reject", "block"};
    return a >= 0 && a < 4 ? names[a] : "off";
}

const char *aff_fraud_reason_name(int code)
{
    for (size_t i = 0; i < NRULES; i++)
        if (rules[i].code == code)
            return rules[i].name;
    return NULL;
}
