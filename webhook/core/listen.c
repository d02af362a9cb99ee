/*
 * listen.c - "host:port" / ":port" / "[v6]:port" addresses; see listen.h.
 */
#include "listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#define HOSTNAME_MAX 253
#define LABEL_MAX 63

/* A host name or dotted IPv4 address: [A-Za-z0-9-] labels separated by single dots. */
static bool host_name_valid(const char *h, size_t len)
{
    size_t label = 0;
    if (len == 0 || len > HOSTNAME_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = h[i];
        if (c == '.') {
            if (label == 0 || h[i - 1] == '-')
                return false;
            label = 0;
            continue;
        }
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && !(c == '-' && label > 0))
            return false;
        if (++label > LABEL_MAX)
            return false;
    }
    return label > 0 && h[len - 1] != '-';
}

static int fail(const char **why, const char *reason)
{
    if (why != NULL)
        *why = reason;
    return -EINVAL;
}

int gmw_listen_parse(const char *listen, char *host, size_t hostcap, uint16_t *port,
                     const char **why)
{
    const char *h = NULL;
    const char *colon = NULL;
    size_t hlen = 0;
    bool bracketed = false;

    if (listen == NULL || host == NULL || port == NULL)
        return fail(why, "no address");
    if (listen[0] == '[') {
        const char *close = strchr(listen, ']');
        if (close == NULL || close[1] != ':')
            return fail(why, "an IPv6 address is written [ADDRESS]:PORT, e.g. [::1]:8443");
        h = listen + 1;
        hlen = (size_t)(close - h);
        colon = close + 1;
        bracketed = true;
    } else {
        colon = strrchr(listen, ':');
        if (colon == NULL)
            return fail(why, "missing ':PORT' (write HOST:PORT, :PORT or [IPV6]:PORT)");
        h = listen;
        hlen = (size_t)(colon - listen);
        if (memchr(listen, ':', hlen) != NULL)
            return fail(why, "an IPv6 address needs brackets, e.g. [::1]:8443");
    }
    if (hlen >= hostcap)
        return fail(why, "host too long");

    const char *p = colon + 1;
    size_t plen = strlen(p);
    if (plen == 0 || plen > 5 || strspn(p, "0123456789") != plen)
        return fail(why, "the port must be a number from 0 to 65535");
    unsigned long v = 0;
    for (size_t i = 0; i < plen; i++)
        v = v * 10 + (unsigned long)(p[i] - '0');
    if (v > 65535)
        return fail(why, "the port must be a number from 0 to 65535");

    char tmp[256];
    if (bracketed) {
        struct in6_addr a6;
        if (hlen == 0 || hlen >= sizeof tmp)
            return fail(why, "not an IPv6 address inside the brackets");
        memcpy(tmp, h, hlen);
        tmp[hlen] = '\0';
        if (inet_pton(AF_INET6, tmp, &a6) != 1)
            return fail(why, "not an IPv6 address inside the brackets");
    } else if (hlen > 0 && !host_name_valid(h, hlen)) {
        return fail(why, "the host must be a host name or an IPv4 address");
    }
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    *port = (uint16_t)v;
    return 0;
}
