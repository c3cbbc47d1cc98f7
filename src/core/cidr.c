/* cidr.c - IP network sets; see cidr.h. */
#include "core/cidr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"

typedef struct range {
    unsigned char lo[16], hi[16]; /* inclusive, big-endian */
} range;

struct aff_cidr_set {
    range *r;
    size_t n, cap;
};

aff_cidr_set *aff_cidr_set_new(void)
{
    return calloc(1, sizeof(aff_cidr_set));
}

void aff_cidr_set_free(aff_cidr_set *s)
{
    if (s != NULL)
        free(s->r);
    free(s);
}

size_t aff_cidr_set_size(const aff_cidr_set *s)
{
    return s ? s->n : 0;
}

int aff_cidr_parse_addr(const char *text, unsigned char out[16])
{
    struct in_addr a4;
    if (inet_pton(AF_INET, text, &a4) == 1) {
        memset(out, 0, 10);
        out[10] = out[11] = 0xff;
        memcpy(out + 12, &a4, 4);
        return 0;
    }
    return inet_pton(AF_INET6, text, out) == 1 ? 0 : AFF_EINVAL;
}

/* "ADDR" or "ADDR/PREFIX" -> range; 0 or AFF_EINVAL. */
static int parse_entry(const char *item, range *out)
{
    char addr[64];
    const char *slash = strchr(item, '/');
    size_t alen = slash ? (size_t)(slash - item) : strlen(item);
    if (alen == 0 || alen >= sizeof(addr))
        return AFF_EINVAL;
    memcpy(addr, item, alen);
    addr[alen] = '\0';
    int v4 = strchr(addr, ':') == NULL;
    if (aff_cidr_parse_addr(addr, out->lo) != 0)
        return AFF_EINVAL;
    int bits = 128;
    if (slash != NULL) {
        const char *p = slash + 1;
        int v = 0, digits = 0;
        for (; *p >= '0' && *p <= '9' && digits < 4; p++, digits++)
            v = v * 10 + (*p - '0');
        if (digits == 0 || *p != '\0' || v > (v4 ? 32 : 128))
            return AFF_EINVAL;
        bits = v + (v4 ? 96 : 0);
    }
    memcpy(out->hi, out->lo, 16);
    for (int i = bits; i < 128; i++) {
        unsigned char m = (unsigned char)(0x80u >> (i % 8));
        out->lo[i / 8] &= (unsigned char)~m;
        out->hi[i / 8] |= m;
    }
    return 0;
}

static int by_lo(const void *a, const void *b)
{
    return memcmp(((const range *)a)->lo, ((const range *)b)->lo, 16);
}

/* hi + 1 >= lo (adjacent or overlapping), for merging. */
static int touches(const unsigned char hi[16], const unsigned char lo[16])
{
    unsigned char next[16];
    memcpy(next, hi, 16);
    int i = 15;
    while (i >= 0 && ++next[i] == 0)
        i--;
    return i < 0 || memcmp(next, lo, 16) >= 0;
}

static void sort_and_merge(aff_cidr_set *s)
{
    if (s->n == 0)
        return;
    qsort(s->r, s->n, sizeof(*s->r), by_lo);
    size_t w = 0;
    for (size_t i = 1; i < s->n; i++) {
        if (touches(s->r[w].hi, s->r[i].lo)) {
            if (memcmp(s->r[i].hi, s->r[w].hi, 16) > 0)
                memcpy(s->r[w].hi, s->r[i].hi, 16);
        } else {
            s->r[++w] = s->r[i];
        }
    }
    s->n = w + 1;
}

static int is_sep(char c)
{
    return c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int aff_cidr_set_add_list(aff_cidr_set *s, const char *text, size_t len, const char *what, char *err, size_t errcap)
{
    size_t n0 = s->n, i = 0;
    while (i < len) {
        if (is_sep(text[i])) {
            i++;
            continue;
        }
        if (text[i] == '#') {
            while (i < len && text[i] != '\n')
                i++;
            continue;
        }
        size_t j = i;
        while (j < len && !is_sep(text[j]) && text[j] != '#')
            j++;
        char item[80];
        range r;
        size_t n = j - i;
        if (n >= sizeof(item) || (memcpy(item, text + i, n), item[n] = '\0', parse_entry(item, &r) != 0)) {
            snprintf(err, errcap, "%s: \"%.*s\" is not an IP address or CIDR", what, (int)(n > 60 ? 60 : n), text + i);
            s->n = n0;
            return AFF_EINVAL;
        }
        if (s->n == s->cap) {
            size_t cap = s->cap ? s->cap * 2 : 16;
            range *nr = realloc(s->r, cap * sizeof(*nr));
            if (nr == NULL) {
                s->n = n0;
                return AFF_ENOMEM;
            }
            s->r = nr;
            s->cap = cap;
        }
        s->r[s->n++] = r;
        i = j;
    }
    sort_and_merge(s);
    return 0;
}

int aff_cidr_set_contains(const aff_cidr_set *s, const unsigned char addr[16])
{
    if (s == NULL || s->n == 0)
        return 0;
    /* The last range whose lo <= addr. */
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (memcmp(s->r[mid].lo, addr, 16) <= 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo > 0 && memcmp(addr, s->r[lo - 1].hi, 16) <= 0;
}
