/*
 * proxy.h - which peers are trusted proxies (config trusted_proxies: IPs and CIDRs,
 * IPv4 and IPv6) and the client address they report in X-Forwarded-For: the right-most
 * entry that is not itself a trusted proxy (entries to its left are client-supplied
 * and can be forged). Configured once at start-up, read-only afterwards.
 */
#ifndef AFF_NET_PROXY_H
#define AFF_NET_PROXY_H

#include <stddef.h>
#include <sys/socket.h>

/* Parse "127.0.0.1, 10.0.0.0/8, ::1" and make it the trusted set. Returns 0 or
 * AFF_EINVAL with a message in err. */
int aff_proxy_configure(const char *list, char *err, size_t errcap);
int aff_proxy_is_trusted_sa(const struct sockaddr *sa);
/* Text form of sa's address (IPv4-mapped IPv6 shown as IPv4). */
void aff_proxy_addr_text(const struct sockaddr *sa, char *out, size_t cap);
/* Pick the client from an X-Forwarded-For value; leaves out untouched when no usable
 * entry exists. */
void aff_proxy_client_from_xff(const char *xff, size_t len, char *out, size_t cap);

#endif
