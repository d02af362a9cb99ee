/*
 * listen_socket.c - create, bind and listen; accept the backlog; refuse; see listen_socket.h.
 */
#include "listen_socket.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/sockios.h>

#include "listen.h"

/* The port a bound socket actually got (port 0 asks the kernel for one). */
static int bound_port(int fd, uint16_t *port)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    socklen_t sl = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == -1)
        return -errno;
    if (ss.ss_family == AF_INET)
        *port = ntohs(((const struct sockaddr_in *)&ss)->sin_port);
    else if (ss.ss_family == AF_INET6)
        *port = ntohs(((const struct sockaddr_in6 *)&ss)->sin6_port);
    else
        return -EAFNOSUPPORT;
    return 0;
}

/*
 * One candidate address: socket, options, bind, listen. Returns 0 with *fd, or -errno
 * with the failing step in *step.
 */
static int try_address(const struct addrinfo *ai, bool dual_stack, int *fd, const char **step)
{
    int one = 1, zero = 0;
    int s = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
    if (s == -1) {
        *step = "socket";
        return -errno;
    }
    if (setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == -1) {
        *step = "setsockopt(SO_REUSEADDR)";
        goto fail;
    }
    /* ":port" promises IPv4 too: the system default (net.ipv6.bindv6only) may say otherwise. */
    if (dual_stack && ai->ai_family == AF_INET6 &&
        setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero) == -1) {
        *step = "setsockopt(IPV6_V6ONLY)";
        goto fail;
    }
    if (bind(s, ai->ai_addr, ai->ai_addrlen) == -1) {
        *step = "bind";
        goto fail;
    }
    if (listen(s, GMW_LISTEN_BACKLOG) == -1) {
        *step = "listen";
        goto fail;
    }
    *fd = s;
    return 0;
fail:;
    int e = errno;
    close(s);
    return -e;
}

/* Try every address of host:port for one family; 0 with *fd, or -errno with err set. */
static int open_family(const char *listen_addr, const char *host, const char *portstr, int family,
                       int *fd, char *err, size_t errcap)
{
    struct addrinfo hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = family;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    struct addrinfo *res = NULL;
    int gai = getaddrinfo(host[0] != '\0' ? host : NULL, portstr, &hints, &res);
    if (gai != 0) {
        snprintf(err, errcap, "listen %s: %s", listen_addr, gai_strerror(gai));
        return gai == EAI_MEMORY ? -ENOMEM : gai == EAI_SYSTEM ? -errno : -EINVAL;
    }
    int rc = -EADDRNOTAVAIL;
    const char *step = "resolve";
    for (const struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
        rc = try_address(ai, host[0] == '\0', fd, &step);
        if (rc == 0)
            break;
    }
    freeaddrinfo(res);
    if (rc != 0)
        snprintf(err, errcap, "listen %s: %s: %s", listen_addr, step, strerror(-rc));
    return rc;
}

int gmw_listen_socket_open(const char *listen_addr, int *fd, uint16_t *port, char *err,
                           size_t errcap)
{
    char host[256];
    uint16_t want = 0;
    const char *why = NULL;
    if (gmw_listen_parse(listen_addr, host, sizeof host, &want, &why) != 0) {
        snprintf(err, errcap, "invalid listen address '%s': %s", listen_addr, why);
        return -EINVAL;
    }
    char portstr[8];
    snprintf(portstr, sizeof portstr, "%u", (unsigned)want);
    int s = -1;
    int rc;
    if (host[0] != '\0') {
        rc = open_family(listen_addr, host, portstr, AF_UNSPEC, &s, err, errcap);
    } else {
        /* All interfaces: the IPv6 wildcard (dual stack), else the IPv4 one. */
        rc = open_family(listen_addr, host, portstr, AF_INET6, &s, err, errcap);
        if (rc != 0 && rc != -ENOMEM)
            rc = open_family(listen_addr, host, portstr, AF_INET, &s, err, errcap);
    }
    if (rc != 0)
        return rc;
    rc = bound_port(s, port);
    if (rc != 0) {
        snprintf(err, errcap, "listen %s: getsockname: %s", listen_addr, strerror(-rc));
        close(s);
        return rc;
    }
    *fd = s;
    return 0;
}

int gmw_listen_socket_accept(int fd, int *conn_fd, struct sockaddr *addr, socklen_t *addrlen)
{
    for (;;) {
        int c = accept4(fd, addr, addrlen, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (c != -1) {
            *conn_fd = c;
            return 0;
        }
        if (errno == EINTR)
            continue;
        /* EWOULDBLOCK is EAGAIN on Linux. */
        return -errno;
    }
}

int gmw_listen_socket_refuse(int fd)
{
    if (shutdown(fd, SHUT_RDWR) == -1)
        return -errno;
    return 0;
}

int gmw_socket_unread(int fd, size_t *bytes)
{
    int n = 0;
    if (ioctl(fd, SIOCINQ, &n) == -1)
        return -errno;
    *bytes = n > 0 ? (size_t)n : 0;
    return 0;
}
