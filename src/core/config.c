/* config.c - the settings table and its parsers; see config.h. */
#include "core/config.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"

enum { T_INT, T_STR, T_ENUM };

typedef struct setting {
    const char *name;
    int type;
    size_t offset;
    size_t size; /* for T_STR: buffer size */
    const char *def;
    long min, max;          /* T_INT bounds */
    const char *choices[5]; /* T_ENUM: value names, index is the stored int */
    const char *doc;
} setting;

#define OFF(f) offsetof(aff_config, f)
#define SZ(f) sizeof(((aff_config *)0)->f)

/* clang-format off */ /* one setting per entry, its doc string under it */
static const setting settings[] = {
    {"listen", T_STR, OFF(listen), SZ(listen), "127.0.0.1:8080", 0, 0, {0},
     "HOST:PORT to serve HTTP on (port 0 picks a free port and prints it)"},
    {"data", T_STR, OFF(data_dir), SZ(data_dir), "./data", 0, 0, {0},
     "directory of the embedded store (created if missing)"},
    {"public_url", T_STR, OFF(public_url), SZ(public_url), "", 0, 0, {0},
     "base URL of tracking links in API answers; empty: http://LISTEN"},
    {"workers", T_INT, OFF(workers), 0, "1", 1, 64, {0}, "HTTP event loops (threads), one per core is the most useful"},
    {"read_threads", T_INT, OFF(read_threads), 0, "2", 1, 64, {0}, "threads answering reports and listings"},
    {"click_durability", T_ENUM, OFF(click_durability), 0, "commit", 0, 0, {"commit", "async"},
     "commit: answer a click after it is committed; async: answer first and commit within group_commit_ms,"
     " while the writer is less than max_batch events behind (then clicks wait for their commit)"},
    {"group_commit_ms", T_INT, OFF(group_commit_ms), 0, "2", 0, 1000, {0},
     "longest the writer waits to fill a batch when nobody is waiting for it"},
    {"max_batch", T_INT, OFF(max_batch), 0, "1024", 1, 100000, {0}, "most events applied in one transaction"},
    {"queue_limit", T_INT, OFF(queue_limit), 0, "100000", 16, 10000000, {0},
     "events waiting for the writer before new ones get 503"},
    {"background_nice", T_INT, OFF(background_nice), 0, "0", 0, 19, {0},
     "how much nicer than the event loops the writer and reader threads run; 10 on a shared core: async"
     " clicks answered sooner, keep-alive commit +7 %, one-request connections -6 % (docs/benchmarks.md)"},
    {"unique_window_hours", T_INT, OFF(unique_window_hours), 0, "24", 0, 8760, {0},
     "the same link, IP and user agent within this window count once as a unique click"},
    {"trusted_proxies", T_STR, OFF(trusted_proxies), SZ(trusted_proxies), "", 0, 0, {0},
     "comma-separated IPs/CIDRs whose X-Forwarded-For and X-Forwarded-Proto are believed"},
    {"max_body_bytes", T_INT, OFF(max_body_bytes), 0, "65536", 1024, 16777216, {0},
     "largest request body accepted; larger gets 413"},
    {"node_id", T_INT, OFF(node_id), 0, "0", 0, 255, {0}, "this node's id inside click ids (unique per node)"},
    {"log_level", T_ENUM, OFF(log_level), 0, "info", 0, 0, {"debug", "info", "warn", "error"},
     "least severe log level written"},
    {"synchronous", T_ENUM, OFF(synchronous), 0, "full", 0, 0, {"full", "normal"},
     "SQLite fsync policy: full survives power loss; normal survives process crashes only"},
    {"shutdown_timeout_ms", T_INT, OFF(shutdown_timeout_ms), 0, "10000", 0, 600000, {0},
     "on SIGTERM, longest wait for accepted work to be committed and answered"},
    {"maintenance_interval_ms", T_INT, OFF(maintenance_interval_ms), 0, "60000", 50, 86400000, {0},
     "how often the writer charges cost per click, approves commissions whose hold ended, makes approved lines"
     " payable and runs scheduled payouts"},
    /* Click-time fraud screening: docs/fraud.md. flag: recorded and attributable, marked
     * with the rule's reason; reject: recorded, not attributable, counted apart (bots in
     * bot_clicks, others in rejected_clicks); block: 403, nothing recorded. */
#define ACTIONS {"off", "flag", "reject", "block"}
    {"fraud_bot_user_agent", T_ENUM, OFF(fraud_bot_user_agent), 0, "reject", 0, 0, ACTIONS,
     "rule 101: User-Agent of a known bot or crawler (npm crawler-user-agents); reject counts it in bot_clicks"},
    {"fraud_empty_user_agent", T_ENUM, OFF(fraud_empty_user_agent), 0, "reject", 0, 0, ACTIONS,
     "rule 102: no or empty User-Agent; reject counts it in bot_clicks"},
    {"fraud_blocked_cidr", T_ENUM, OFF(fraud_blocked_cidr), 0, "block", 0, 0, ACTIONS,
     "rule 103: client IP in blocked_cidrs or blocked_cidrs_file"},
    {"fraud_blocked_country", T_ENUM, OFF(fraud_blocked_country), 0, "block", 0, 0, ACTIONS,
     "rule 104: client country (country_db) in blocked_countries"},
    {"fraud_hosting_asn", T_ENUM, OFF(fraud_hosting_asn), 0, "flag", 0, 0, ACTIONS,
     "rule 105: client network (asn_db) in hosting_asns: datacenter or hosting traffic"},
    {"fraud_ip_velocity", T_ENUM, OFF(fraud_ip_velocity), 0, "reject", 0, 0, ACTIONS,
     "rule 106: more than ip_velocity_max clicks from one IP per velocity_window_s, on any links"},
    {"fraud_ip_link_velocity", T_ENUM, OFF(fraud_ip_link_velocity), 0, "reject", 0, 0, ACTIONS,
     "rule 107: more than ip_link_velocity_max clicks from one IP on one link per velocity_window_s"},
    {"fraud_duplicate_click", T_ENUM, OFF(fraud_duplicate_click), 0, "flag", 0, 0, ACTIONS,
     "rule 108: more than duplicate_click_max clicks of one visitor (IP and User-Agent) on one link per"
     " duplicate_click_window_s"},
    {"fraud_non_interactive", T_ENUM, OFF(fraud_non_interactive), 0, "reject", 0, 0, ACTIONS,
     "rule 109: the browser says the link was loaded as an image, frame, script or other subresource"
     " (Sec-Fetch-Dest, or Accept: image/...), not followed by a person: cookie stuffing"},
#undef ACTIONS
    {"ip_velocity_max", T_INT, OFF(ip_velocity_max), 0, "60", 1, 1000000, {0},
     "clicks one IP may make per velocity_window_s before rule 106 matches"},
    {"ip_link_velocity_max", T_INT, OFF(ip_link_velocity_max), 0, "60", 1, 1000000, {0},
     "clicks one IP may make on one link per velocity_window_s before rule 107 matches"},
    {"velocity_window_s", T_INT, OFF(velocity_window_s), 0, "60", 1, 86400, {0},
     "the window of rules 106 and 107 (a sliding rate that refills evenly over the window; clicks over the limit count, so a flood stays over)"},
    {"duplicate_click_max", T_INT, OFF(duplicate_click_max), 0, "5", 1, 1000000, {0},
     "clicks one visitor may make on one link per duplicate_click_window_s before rule 108 matches"},
    {"duplicate_click_window_s", T_INT, OFF(duplicate_click_window_s), 0, "600", 1, 86400, {0},
     "the window of rule 108"},
    {"asn_db", T_STR, OFF(asn_db), SZ(asn_db), "", 0, 0, {0},
     "MaxMind DB file mapping IPs to autonomous_system_number; empty: no ASN, rule 105 off"},
    {"country_db", T_STR, OFF(country_db), SZ(country_db), "", 0, 0, {0},
     "MaxMind DB file mapping IPs to country_code (or country.iso_code); empty: no country, rule 104 off"},
    {"hosting_asns", T_STR, OFF(hosting_asns), SZ(hosting_asns),
     "16509,14618,8075,15169,396982,14061,24940,16276,20473,63949,45102,31898", 0, 0, {0},
     "comma-separated ASNs of hosting and cloud networks for rule 105 (default: AWS, Microsoft, Google,"
     " DigitalOcean, Hetzner, OVH, Vultr, Linode, Alibaba, Oracle)"},
    {"blocked_cidrs", T_STR, OFF(blocked_cidrs), SZ(blocked_cidrs), "", 0, 0, {0},
     "comma-separated IPs and CIDRs (IPv4, IPv6) for rule 103"},
    {"blocked_cidrs_file", T_STR, OFF(blocked_cidrs_file), SZ(blocked_cidrs_file), "", 0, 0, {0},
     "file of IPs and CIDRs for rule 103, one or more a line, '#' comments; read at start"},
    {"blocked_countries", T_STR, OFF(blocked_countries), SZ(blocked_countries), "", 0, 0, {0},
     "comma-separated ISO 3166 country codes for rule 104 (needs country_db)"},
    {"session_hours", T_INT, OFF(session_hours), 0, "12", 1, 8760, {0},
     "a dashboard sign-in lasts this long, then the user signs in again"},
    {"signin_attempts_per_minute", T_INT, OFF(signin_attempts_per_minute), 0, "10", 1, 100000, {0},
     "sign-in attempts allowed per client IP and per email each minute; more get 429"},
    {"affiliate_signup", T_ENUM, OFF(affiliate_signup), 0, "off", 0, 0, {"off", "on"},
     "on: anyone may apply as an affiliate on the dashboard's server-wide sign-up page (POST /v1/signup);"
     " applicants start pending until an admin approves them. Programs open to applications take them"
     " on their own page either way"},
};
/* clang-format on */

#define NSETTINGS (sizeof(settings) / sizeof(settings[0]))

static const setting *find_setting(const char *key)
{
    char norm[64];
    size_t n = strlen(key);
    if (n >= sizeof(norm))
        return NULL;
    for (size_t i = 0; i <= n; i++)
        norm[i] = key[i] == '-' ? '_' : key[i];
    for (size_t i = 0; i < NSETTINGS; i++)
        if (strcmp(settings[i].name, norm) == 0)
            return &settings[i];
    return NULL;
}

int aff_config_has_key(const char *name)
{
    return find_setting(name) != NULL;
}

static int apply(aff_config *c, const setting *s, const char *value, char *err, size_t errcap)
{
    char *base = (char *)c + s->offset;
    switch (s->type) {
    case T_INT: {
        char *end;
        errno = 0;
        long v = strtol(value, &end, 10);
        int digits = (value[0] >= '0' && value[0] <= '9') || (value[0] == '-' && value[1] >= '0' && value[1] <= '9');
        if (!digits || errno != 0 || end == value || *end != '\0') {
            snprintf(err, errcap, "%s: not an integer: \"%s\"", s->name, value);
            return AFF_EINVAL;
        }
        if (v < s->min || v > s->max) {
            snprintf(err, errcap, "%s: %ld is outside %ld..%ld", s->name, v, s->min, s->max);
            return AFF_EINVAL;
        }
        *(int *)base = (int)v;
        return 0;
    }
    case T_STR:
        if (strlen(value) >= s->size) {
            snprintf(err, errcap, "%s: longer than %zu bytes", s->name, s->size - 1);
            return AFF_EINVAL;
        }
        snprintf(base, s->size, "%s", value);
        return 0;
    case T_ENUM:
        for (int i = 0; i < 5 && s->choices[i] != NULL; i++) {
            if (strcmp(s->choices[i], value) == 0) {
                *(int *)base = i;
                return 0;
            }
        }
        snprintf(err, errcap, "%s: \"%s\" is not one of the allowed values", s->name, value);
        return AFF_EINVAL;
    }
    return AFF_EINVAL;
}

void aff_config_defaults(aff_config *c)
{
    char err[128];
    memset(c, 0, sizeof(*c));
    for (size_t i = 0; i < NSETTINGS; i++)
        apply(c, &settings[i], settings[i].def, err, sizeof(err));
}

int aff_config_set(aff_config *c, const char *key, const char *value, char *err, size_t errcap)
{
    const setting *s = find_setting(key);
    if (s == NULL) {
        snprintf(err, errcap, "%s: unknown setting", key);
        return AFF_EINVAL;
    }
    return apply(c, s, value, err, errcap);
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    char *e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
        *--e = '\0';
    return s;
}

int aff_config_load_file(aff_config *c, const char *path, char *err, size_t errcap)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        snprintf(err, errcap, "%s: cannot open: %s", path, strerror(errno));
        return AFF_EIO;
    }
    char line[2048], msg[256];
    int lineno = 0, rc = 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        lineno++;
        size_t got = strlen(line);
        if (got + 1 < sizeof(line) && got > 0 && line[got - 1] != '\n' && !feof(f)) {
            snprintf(err, errcap, "%s:%d: NUL byte in the line", path, lineno);
            rc = AFF_EINVAL;
            break;
        }
        if (strchr(line, '\n') == NULL && !feof(f)) {
            snprintf(err, errcap, "%s:%d: line longer than %zu bytes", path, lineno, sizeof(line) - 2);
            rc = AFF_EINVAL;
            break;
        }
        char *p = trim(line);
        if (*p == '\0' || *p == '#')
            continue;
        char *eq = strchr(p, '=');
        if (eq == NULL) {
            snprintf(err, errcap, "%s:%d: expected \"key = value\"", path, lineno);
            rc = AFF_EINVAL;
            break;
        }
        *eq = '\0';
        char *key = trim(p), *value = trim(eq + 1);
        if ((rc = aff_config_set(c, key, value, msg, sizeof(msg))) != 0) {
            snprintf(err, errcap, "%s:%d: %s", path, lineno, msg);
            break;
        }
    }
    fclose(f);
    return rc;
}

static void choices_text(const setting *s, char *buf, size_t cap)
{
    buf[0] = '\0';
    size_t n = 0;
    for (int i = 0; i < 5 && s->choices[i] != NULL; i++)
        n += (size_t)snprintf(buf + n, n < cap ? cap - n : 0, "%s%s", i ? "|" : "", s->choices[i]);
}

void aff_config_print_example(FILE *out)
{
    fprintf(out, "# afftrack configuration. Every key, its meaning and its default.\n"
                 "# Command-line flags (--key-name value) override this file.\n\n");
    for (size_t i = 0; i < NSETTINGS; i++) {
        const setting *s = &settings[i];
        char ch[128];
        choices_text(s, ch, sizeof(ch));
        fprintf(out, "# %s", s->doc);
        if (s->type == T_INT)
            fprintf(out, " (%ld..%ld)", s->min, s->max);
        else if (s->type == T_ENUM)
            fprintf(out, " (%s)", ch);
        fprintf(out, "\n# %s = %s\n\n", s->name, s->def);
    }
}

void aff_config_print_markdown(FILE *out)
{
    fprintf(out, "| key | flag | default | allowed | meaning |\n|---|---|---|---|---|\n");
    for (size_t i = 0; i < NSETTINGS; i++) {
        const setting *s = &settings[i];
        char flag[64], ch[128] = "string";
        snprintf(flag, sizeof(flag), "--%s", s->name);
        for (char *p = flag; *p; p++)
            if (*p == '_')
                *p = '-';
        if (s->type == T_INT)
            snprintf(ch, sizeof(ch), "%ld..%ld", s->min, s->max);
        else if (s->type == T_ENUM)
            choices_text(s, ch, sizeof(ch));
        fprintf(out, "| `%s` | `%s` | `%s` | %s | %s |\n", s->name, flag, s->def[0] ? s->def : "(empty)", ch, s->doc);
    }
}

void aff_config_print_flags(FILE *out)
{
    for (size_t i = 0; i < NSETTINGS; i++) {
        const setting *s = &settings[i];
        char flag[64];
        snprintf(flag, sizeof(flag), "--%s", s->name);
        for (char *p = flag; *p; p++)
            if (*p == '_')
                *p = '-';
        fprintf(out, "  %-24s %s (default: %s)\n", flag, s->doc, s->def[0] ? s->def : "empty");
    }
}
