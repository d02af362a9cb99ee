/*
 * server.h - the HTTPS admission server on libmicrohttpd (TLS by GnuTLS).
 *
 * Routes:
 *   POST /mutate    AdmissionReview in, AdmissionReview out (gmw_review_handle);
 *                   a query string (?timeout=10s) is accepted and ignored
 *   POST /validate  workloads: preview warnings or the Pod denial, never a patch
 *                   (gmw_validate_handle, validate.h)
 *   GET  /healthz   200 while the process runs
 *   GET  /readyz    200 when a certificate and a config are loaded and no shutdown
 *                   has begun, else 503
 *   GET  /metrics   Prometheus text format (metrics.h)
 * Errors (small JSON body {"error":"..."}): 404 unknown path, 405 wrong method (with
 * Allow), 415 Content-Type not application/json, 413 body over maxBody (refused from
 * Content-Length before reading when more than GMW_BODY_DRAIN_MAX over or when the
 * client expects 100-continue; otherwise read, discarded and refused at the end, as
 * are chunked bodies, whose connection is closed when they keep going), 400 not JSON /
 * not an AdmissionReview. TLS 1.2 and 1.3 only; the certificate comes from tlsstore.h.
 * requestTimeout (config) bounds the time from the end of the headers to the end of the
 * body: past it the connection is closed without an answer and request_timeouts_total
 * counts it; headerTimeout (header_timeout_s) bounds inactivity from the accept through
 * the TLS handshake to the end of the first request's headers; idleTimeout
 * (idle_timeout_s) bounds inactivity after that (between keep-alive requests).
 * per_ip_connection_limit caps the connections one client address may hold.
 *
 * Threads: an epoll-based MHD worker pool; per-request state is owned by the worker
 * thread of its connection. The config is swapped as a reference-counted snapshot.
 */
#ifndef GMW_SERVER_H
#define GMW_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "listen.h" /* gmw_listen_parse: the listen syntax, shared with config.c */
#include "metrics.h"

#include "compiler.h" /* GMW_MUST_CHECK */

#define GMW_TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"
/* After a body passes maxBody we discard at most this much more before closing. */
#define GMW_BODY_DRAIN_MAX (1024 * 1024)
/* During a shutdown, a connection quiet this long (ms) has no request arriving. */
#define GMW_DRAIN_IDLE_MS 1000
/* ... and the drain ends once every connection stayed so for this long (ms). */
#define GMW_DRAIN_SETTLE_MS 200

typedef struct {
    const char *listen;        /* "host:port", ":port" (all interfaces), "[v6]:port" (listen.h) */
    unsigned threads;          /* worker threads, >= 1 */
    unsigned connection_limit; /* >= threads */
    unsigned idle_timeout_s;   /* MHD connection timeout between requests; 0 = none */
    unsigned header_timeout_s; /* until the first request's headers are in; 0 = idle_timeout_s */
    unsigned per_ip_connection_limit; /* open connections per client IP; 0 = no cap */
    gmw_metrics *metrics;             /* borrowed; must outlive the server */
} gmw_server_options;

typedef struct gmw_server gmw_server;

/*
 * Bind the listen socket and start the daemon with the initial config (copied).
 * The TLS store must hold a pair before clients connect. Returns 0 and *out (free
 * with gmw_server_stop), or -errno with a message in err: -ENOMEM, -EINVAL (bad
 * listen address), a socket errno (e.g. -EADDRINUSE), -EIO (libmicrohttpd refused
 * to start; its reason is logged).
 * Also fixes glibc's mmap threshold (process-wide) so the buffers of an outsized
 * review are given back when freed, and memory is trimmed after such a review.
 */
GMW_MUST_CHECK int gmw_server_start(const gmw_server_options *opt, const gmw_config *cfg,
                                    gmw_server **out, char *err, size_t errcap);

/* The bound TCP port (useful with port 0). */
uint16_t gmw_server_port(const gmw_server *s);

/* Replace the config used by new requests (copied). Returns 0 or -ENOMEM. */
GMW_MUST_CHECK int gmw_server_set_config(gmw_server *s, const gmw_config *cfg);

/*
 * Begin a graceful shutdown: /readyz turns 503 and every response carries
 * "Connection: close". Connections are still accepted and served (gmw_server_drain
 * decides when to stop listening).
 */
void gmw_server_quiesce(gmw_server *s);

/*
 * Finish the work of a shutdown begun by gmw_server_quiesce, within grace_ms of it:
 * 1. keep listening until the server is quiet (no request being read or answered, no
 *    unread bytes on any connection, no connection opened, request begun or ended for
 *    GMW_DRAIN_IDLE_MS) or half the grace period passed;
 * 2. stop listening: connections already in the kernel's backlog are still taken and
 *    served, new ones are refused;
 * 3. wait until no connection could have a request arriving (each is idle: nothing
 *    being read or answered, no unread bytes, quiet for GMW_DRAIN_IDLE_MS) for
 *    GMW_DRAIN_SETTLE_MS, or the grace period is over.
 * Idle keep-alive connections are left open meanwhile (a request may still come on
 * them); gmw_server_stop closes them. Returns the number of connections on which a
 * request was still arriving or being answered at the end (0 = drained).
 */
int64_t gmw_server_drain(gmw_server *s, unsigned grace_ms);

/* Stop the daemon (closing remaining connections) and free s. Safe with NULL. */
void gmw_server_stop(gmw_server *s);

#endif
