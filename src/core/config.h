/*
 * config.h - every setting of afftrack, declared once in a table (config.c): name,
 * type, default, bounds and doc string. The same table parses the config file
 * ("key = value" lines, '#' comments), command-line flags ("--key-name value"),
 * prints afftrack.conf.example and docs/config.md, and checks bounds. Errors name the
 * file, the line and the key.
 */
#ifndef AFF_CORE_CONFIG_H
#define AFF_CORE_CONFIG_H

#include <stdio.h>

enum { AFF_DURABILITY_COMMIT = 0, AFF_DURABILITY_ASYNC = 1 };
enum { AFF_SYNC_FULL = 0, AFF_SYNC_NORMAL = 1 };
/* What a click-time fraud rule does to a click it matches (docs/fraud.md). */
enum { AFF_ACTION_OFF = 0, AFF_ACTION_FLAG = 1, AFF_ACTION_REJECT = 2, AFF_ACTION_BLOCK = 3 };

typedef struct aff_config {
    char listen[128];
    char data_dir[1024];
    char public_url[512];
    int workers;
    int read_threads;
    int click_durability;
    int group_commit_ms;
    int max_batch;
    int queue_limit;
    int background_nice;
    int unique_window_hours;
    char trusted_proxies[1024];
    int max_body_bytes;
    int node_id;
    int log_level;
    int synchronous;
    int shutdown_timeout_ms;
    int maintenance_interval_ms;
    /* Click-time fraud screening (docs/fraud.md): one AFF_ACTION_* per rule, then the
     * rules' thresholds and lists. */
    int fraud_bot_user_agent, fraud_empty_user_agent, fraud_blocked_cidr, fraud_blocked_country;
    int fraud_hosting_asn, fraud_ip_velocity, fraud_ip_link_velocity, fraud_duplicate_click;
    int fraud_non_interactive;
    int ip_velocity_max, ip_link_velocity_max, velocity_window_s;
    int duplicate_click_max, duplicate_click_window_s;
    char asn_db[1024], country_db[1024];
    char hosting_asns[1024];
    char blocked_cidrs[4096], blocked_cidrs_file[1024];
    char blocked_countries[512];
    int session_hours;
    int signin_attempts_per_minute;
    int affiliate_signup;
} aff_config;

/* Fill c with every default. */
void aff_config_defaults(aff_config *c);

/* Apply one setting by name ("click_durability" or "click-durability"). On error
 * writes a message to err and returns AFF_EINVAL (unknown key, bad value, out of
 * bounds). */
int aff_config_set(aff_config *c, const char *key, const char *value, char *err, size_t errcap);

/* Read a config file; errors are "FILE:LINE: key: message". */
int aff_config_load_file(aff_config *c, const char *path, char *err, size_t errcap);

/* Is name a config key (dashes or underscores)? */
int aff_config_has_key(const char *name);

/* Print every key with its doc and default as a commented example config file. */
void aff_config_print_example(FILE *out);
/* Print the keys as a Markdown table (docs/config.md). */
void aff_config_print_markdown(FILE *out);
/* Print "  --key-name VALUE   doc (default)" lines for --help. */
void aff_config_print_flags(FILE *out);

#endif
