/* geo.c - ASN and country lookups through libmaxminddb; see geo.h. */
#include "track/geo.h"

#include <maxminddb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"

static MMDB_s asn_db, country_db;
static int have_asn, have_country;

static int open_one(const char *key, const char *path, MMDB_s *db, char *err, size_t errcap)
{
    int rc = MMDB_open(path, MMDB_MODE_MMAP, db);
    if (rc == MMDB_SUCCESS)
        return 0;
    snprintf(err, errcap, "%s: %s: %s", key, path, MMDB_strerror(rc));
    return AFF_EINVAL;
}

int aff_geo_open(const char *asn_path, const char *country_path, char *err, size_t errcap)
{
    aff_geo_close();
    if (asn_path != NULL && asn_path[0] != '\0') {
        if (open_one("asn_db", asn_path, &asn_db, err, errcap) != 0)
            return AFF_EINVAL;
        have_asn = 1;
    }
    if (country_path != NULL && country_path[0] != '\0') {
        if (open_one("country_db", country_path, &country_db, err, errcap) != 0) {
            aff_geo_close();
            return AFF_EINVAL;
        }
        have_country = 1;
    }
    return 0;
}

void aff_geo_close(void)
{
    if (have_asn)
        MMDB_close(&asn_db);
    if (have_country)
        MMDB_close(&country_db);
    have_asn = have_country = 0;
}

int aff_geo_has_asn(void)
{
    return have_asn;
}

int aff_geo_has_country(void)
{
    return have_country;
}

static int lookup(MMDB_s *db, const unsigned char addr[16], MMDB_lookup_result_s *res)
{
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    int mmdb_err = 0;
    if (memcmp(addr, mapped, 12) == 0) {
        struct sockaddr_in sin = {.sin_family = AF_INET};
        memcpy(&sin.sin_addr, addr + 12, 4);
        *res = MMDB_lookup_sockaddr(db, (const struct sockaddr *)&sin, &mmdb_err);
    } else {
        struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6};
        memcpy(&sin6.sin6_addr, addr, 16);
        *res = MMDB_lookup_sockaddr(db, (const struct sockaddr *)&sin6, &mmdb_err);
    }
    return mmdb_err == MMDB_SUCCESS && res->found_entry;
}

static uint32_t read_asn(MMDB_entry_s *e)
{
    MMDB_entry_data_s d;
    if (MMDB_get_value(e, &d, "autonomous_system_number", NULL) != MMDB_SUCCESS || !d.has_data)
        return 0;
    switch (d.type) {
    case MMDB_DATA_TYPE_UINT16:
        return d.uint16;
    case MMDB_DATA_TYPE_UINT32:
        return d.uint32;
    case MMDB_DATA_TYPE_INT32:
        return d.int32 > 0 ? (uint32_t)d.int32 : 0;
    case MMDB_DATA_TYPE_UINT64:
        return d.uint64 <= UINT32_MAX ? (uint32_t)d.uint64 : 0;
    default:
        return 0;
    }
}

static void read_country(MMDB_entry_s *e, char out[3])
{
    MMDB_entry_data_s d;
    if ((MMDB_get_value(e, &d, "country_code", NULL) != MMDB_SUCCESS || !d.has_data) &&
        (MMDB_get_value(e, &d, "country", "iso_code", NULL) != MMDB_SUCCESS || !d.has_data))
        return;
    if (d.type != MMDB_DATA_TYPE_UTF8_STRING || d.data_size != 2)
        return;
    char cc[3] = {0};
    for (int i = 0; i < 2; i++) {
        char c = d.utf8_string[i];
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        if (c < 'A' || c > 'Z')
            return;
        cc[i] = c;
    }
    memcpy(out, cc, 3);
}

void aff_geo_lookup(const unsigned char addr[16], uint32_t *asn, char country[3])
{
    MMDB_lookup_result_s res;
    *asn = 0;
    country[0] = '\0';
    if (have_asn && lookup(&asn_db, addr, &res))
        *asn = read_asn(&res.entry);
    if (have_country && lookup(&country_db, addr, &res))
        read_country(&res.entry, country);
}
