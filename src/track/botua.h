/*
 * botua.h - known bots and crawlers by User-Agent (docs/fraud.md, rule bot_user_agent).
 *
 * Owns: the pattern list of the npm package crawler-user-agents, turned into C at build
 * time (scripts/gen-botua.js -> $(BUILD)/gen/botua_list.h), and its matcher. Does not
 * own: what happens to a bot's click (track/fraud.c decides).
 *
 * Matching: each pattern is compiled by PCRE2 (JIT where available) at aff_botua_open.
 * A user agent is first scanned for the patterns' required literals (a substring every
 * match must contain, extracted by the generator); only patterns whose literal occurs
 * are run; patterns without a literal of three bytes or more (none in 1.60.0) run on
 * every user agent. The answer is the same as running every pattern, at one to two
 * thousand instructions for a browser user agent instead of 1.3 million for one
 * alternation of all patterns under JIT (callgrind, docs/fraud.md).
 *
 * Each thread also remembers the answers for recent user agents (1,024 slots, keyed
 * SipHash of the user agent -> answer): visitors share few user agents, and a repeat
 * costs one hash instead of the scan.
 *
 * State: read-only after aff_botua_open; aff_botua_match is safe from any thread (its
 * match data and answer cache are per thread).
 */
#ifndef AFF_TRACK_BOTUA_H
#define AFF_TRACK_BOTUA_H

#include <stddef.h>

/* Compile the list. Returns 0, AFF_ENOMEM, or AFF_EINVAL with a message in err (a
 * pattern PCRE2 refuses: the build's list is broken). Idempotent. */
int aff_botua_open(char *err, size_t errcap);
void aff_botua_close(void);

/* 1 when ua[0..len) matches a known bot pattern, else 0 (also before aff_botua_open,
 * and for an empty ua). Never blocks, never allocates after a thread's first call. */
int aff_botua_match(const char *ua, size_t len);

/* The same answer without the literal prefilter: every pattern runs. The reference the
 * unit tests and the fuzzer (tests/fuzz/fuzz_botua.c) hold aff_botua_match to; slow
 * (about 1,500 regex runs). */
int aff_botua_match_slow(const char *ua, size_t len);

/* How many patterns are loaded, and the list's source ("crawler-user-agents 1.60.0"). */
size_t aff_botua_count(void);
const char *aff_botua_source(void);

#endif
