/*
 * listen_socket.h - the server's listening TCP socket (in the spirit of Redis' anet):
 * resolve a listen address (listen.h syntax), create, bind and listen; accept what
 * waits in the backlog; stop taking new connections without closing the descriptor.
 *
 * Every function returns 0 or a negative errno; where a person reads why, the reason
 * is also written to err (NUL-terminated, truncated to errcap).
 */
#ifndef GMW_LISTEN_SOCKET_H
#define GMW_LISTEN_SOCKET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "compiler.h" /* GMW_MUST_CHECK */

/* The backlog passed to listen(2) (the kernel caps it at net.core.somaxconn). */
#define GMW_LISTEN_BACKLOG 511

/*
 * Open a non-blocking, close-on-exec TCP socket listening on listen_addr ("host:port",
 * ":port" for all interfaces, "[v6]:port"). ":port" binds the IPv6 wildcard with
 * IPV6_V6ONLY off (IPv4 too), or the IPv4 wildcard where the host has no IPv6.
 * Returns 0 with *fd (the caller owns it) and *port (the bound port, useful with port
 * 0), or -EINVAL (bad address, or a host that does not resolve), or the errno of
 * socket/setsockopt/bind/listen (e.g. -EADDRINUSE), with the reason in err.
 */
GMW_MUST_CHECK int gmw_listen_socket_open(const char *listen_addr, int *fd, uint16_t *port,
                                          char *err, size_t errcap);

/*
 * Accept one connection waiting in the backlog of the listening socket fd, without
 * blocking. Returns 0 with *conn_fd (non-blocking, close-on-exec; the caller owns it)
 * and the peer address in addr/addrlen (*addrlen in: capacity of addr), -EAGAIN when
 * none waits, or another -errno.
 */
GMW_MUST_CHECK int gmw_listen_socket_accept(int fd, int *conn_fd, struct sockaddr *addr,
                                            socklen_t *addrlen);

/*
 * Stop taking new connections on fd without closing it (shutdown(2) of a listening
 * socket: new connection attempts are refused and connections still in the backlog
 * are reset). The descriptor stays valid, so a thread still polling it sees an
 * error instead of a reused descriptor. Returns 0 or -errno.
 */
GMW_MUST_CHECK int gmw_listen_socket_refuse(int fd);

/* Unread bytes in the receive queue of connected TCP socket fd (SIOCINQ) into *bytes: 0 or -errno.
 */
GMW_MUST_CHECK int gmw_socket_unread(int fd, size_t *bytes);

#endif
