/*
 * cidr.h - sets of IP networks (IPv4 and IPv6 CIDRs or single addresses) and
 * the test "is this address in the set" (docs/fraud.md, rule blocked_cidr).
 *
 * Owns: parsing a list ("192.0.2.0/24, 2001:db8::/32 198.51.100.7", separated
 * by commas, spaces or new lines; '#' starts a comment to the end of the line)
 * into ranges sorted for binary search. Does not own: where lists come from
 * (config keys, files: track/fraud.c) or what a match means.
 *
 * Addresses are kept as 128-bit values, IPv4 as IPv4-mapped IPv6
 * (::ffff:a.b.c.d), so one search serves both families. Immutable after
 * aff_cidr_set_add_list returns; lookups are then safe from any thread and
 * never allocate.
 */
#ifndef AFF_CORE_CIDR_H
#define AFF_CORE_CIDR_H

#include <stddef.h>
#include <stdint.h>

typedef struct aff_cidr_set aff_cidr_set;

aff_cidr_set *aff_cidr_set_new(void);
void aff_cidr_set_free(aff_cidr_set *s);

/* Add every network of text[0..len) (see above). Returns 0, AFF_ENOMEM, or
 * AFF_EINVAL with "WHAT: \"ENTRY\" is not an IP address or CIDR" in err (what
 * names the source, e.g. the config key or "FILE:LINE"). Nothing is added on
 * error. */
int aff_cidr_set_add_list(aff_cidr_set *s, const char *text, size_t len, const char *what, char *err, size_t errcap);

/* Parse an address (IPv4 dotted quad or IPv6 text) into the 16-byte form above.
 * Returns 0 or AFF_EINVAL. */
int aff_cidr_parse_addr(const char *text, unsigned char out[16]);

/* Is addr (16-byte form) inside a network of s? */
int aff_cidr_set_contains(const aff_cidr_set *s, const unsigned char addr[16]);

/* Number of ranges after merging overlaps. */
size_t aff_cidr_set_size(const aff_cidr_set *s);

#endif
