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
 * counts it; idleTimeout (idle_timeout_s) bounds inactivity everywhere else.
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

#define GMW_TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"
/* After a body passes maxBody we discard at most this much more before closing. */
#define GMW_BODY_DRAIN_MAX (1024 * 1024)

typedef struct {
    const char *listen;        /* "host:port", ":port" (all interfaces), "[v6]:port" (listen.h) */
    unsigned threads;          /* worker threads, >= 1 */
    unsigned connection_limit; /* >= threads */
    unsigned idle_timeout_s;   /* MHD connection timeout; 0 = none */
    gmw_metrics *metrics;      /* borrowed; must outlive the server */
} gmw_server_options;

typedef struct gmw_server gmw_server;

/*
 * Bind the listen socket and start the daemon with the initial config (copied).
 * The TLS store must hold a pair before clients connect. Returns 0 and *out (free
 * with gmw_server_stop), or -1 with a message in err.
 */
int gmw_server_start(const gmw_server_options *opt, const gmw_config *cfg, gmw_server **out,
                     char *err, size_t errcap);

/* The bound TCP port (useful with port 0). */
uint16_t gmw_server_port(const gmw_server *s);

/* Replace the config used by new requests (copied). Returns 0 or -ENOMEM. */
int gmw_server_set_config(gmw_server *s, const gmw_config *cfg);

/*
 * Begin a graceful shutdown: /readyz turns 503, responses carry "Connection: close",
 * the listen socket is closed (new connections are refused) and already open
 * connections are still served.
 */
void gmw_server_quiesce(gmw_server *s);

/*
 * Wait until no request is in flight or grace_ms passed. Returns the number of
 * requests still in flight (0 = drained).
 */
int64_t gmw_server_drain(gmw_server *s, unsigned grace_ms);

/* Stop the daemon (closing remaining connections) and free s. Safe with NULL. */
void gmw_server_stop(gmw_server *s);

#endif
