/*
 * acceptor.h - one thread that accepts the connections of a listening socket and hands each
 * to a callback, pausing while the callback's side is full.
 *
 * Why not libmicrohttpd's own accept: with a worker pool, every worker polls the shared
 * listening socket and the first to wake accepts a whole burst (up to 64 in a row), so the
 * apiserver's connections, opened together, all land on one worker and one core does all
 * the work while the others idle (docs/benchmarks.md, "Connections on one worker"). Handed
 * over one at a time with MHD_add_connection, libmicrohttpd places each connection on the
 * worker its descriptor number selects (skipping full workers), which spreads a burst
 * evenly.
 *
 * Every function returns 0 or a negative errno.
 */
#ifndef GMW_ACCEPTOR_H
#define GMW_ACCEPTOR_H

#include <stdbool.h>
#include <sys/socket.h>

#include "compiler.h" /* GMW_MUST_CHECK */

/* Takes ownership of conn_fd (non-blocking, close-on-exec): it serves it or closes it. */
typedef void (*gmw_acceptor_hand_fn)(void *ctx, int conn_fd, const struct sockaddr *addr,
                                     socklen_t addrlen);
/* True while no connection should be accepted (they wait in the kernel's backlog). May be
 * NULL (never full). Called on the acceptor thread. */
typedef bool (*gmw_acceptor_full_fn)(void *ctx);

typedef struct gmw_acceptor gmw_acceptor;

/*
 * Start the thread on listen_fd (a non-blocking listening socket, still the caller's: the
 * acceptor never closes it). While full(ctx) is true the thread looks again every
 * GMW_ACCEPTOR_FULL_RECHECK_MS instead of accepting. Returns 0 with *out (free it with
 * gmw_acceptor_stop), -ENOMEM, or the errno of eventfd/pthread_create.
 */
#define GMW_ACCEPTOR_FULL_RECHECK_MS 20
GMW_MUST_CHECK int gmw_acceptor_start(int listen_fd, gmw_acceptor_hand_fn hand,
                                      gmw_acceptor_full_fn full, void *ctx, gmw_acceptor **out);

/*
 * Stop the thread and free acc (NULL: nothing). When it returns no callback is running or
 * will run; the socket is still listening, so connections arriving from now on wait in
 * its backlog for the caller (gmw_listen_socket_accept, gmw_listen_socket_refuse).
 */
void gmw_acceptor_stop(gmw_acceptor *acc);

/* Connections handed over so far (for tests). */
unsigned long gmw_acceptor_handed(const gmw_acceptor *acc);

#endif
