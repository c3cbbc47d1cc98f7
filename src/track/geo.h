/*
 * geo.h - autonomous system number and country of an IP address, from MaxMind
 * DB
 * (.mmdb) files read with libmaxminddb (docs/fraud.md: hosting_asn,
 * blocked_country; the click's asn and country columns).
 *
 * Owns: the two optional databases (config asn_db, country_db). Either may be
 * absent: then its lookups answer 0 / "" and the rules needing it are off. The
 * databases are memory-mapped at aff_geo_open and read-only afterwards; lookups
 * are safe from any thread, never block on I/O beyond page faults of the
 * mapping, and never allocate.
 *
 * Fields read: the ASN from "autonomous_system_number" (GeoLite2-ASN,
 * ip-location-db ASN databases); the country from "country_code"
 * (ip-location-db country databases) or "country" -> "iso_code"
 * (GeoLite2/GeoIP2 Country).
 */
#ifndef AFF_TRACK_GEO_H
#define AFF_TRACK_GEO_H

#include <stddef.h>
#include <stdint.h>

/* Open the databases named (NULL or "" = none). Returns 0, or AFF_EINVAL with
 * "asn_db: PATH: reason" in err; nothing stays open on error. */
int aff_geo_open(const char *asn_path, const char *country_path, char *err, size_t errcap);
void aff_geo_close(void);

int aff_geo_has_asn(void);
int aff_geo_has_country(void);

/* Look addr (16 bytes, IPv4 as IPv4-mapped IPv6: core/cidr.h) up. *asn = 0 and
 * country = "" when unknown or when the database is absent. */
void aff_geo_lookup(const unsigned char addr[16], uint32_t *asn, char country[3]);

#endif
