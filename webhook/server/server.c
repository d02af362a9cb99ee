/*
 * server.c - libmicrohttpd wiring, routes and the three-phase POST handler; see server.h.
 */
#include "server.h"

#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "acceptor.h"
#include "dynbuf.h"
#include "listen_socket.h"
#include "log.h"
#include "review.h"
#include "validate.h"
#include "tlsstore.h"

/* A reference-counted, immutable config snapshot. */
typedef struct {
    atomic_int refs;
    gmw_config cfg;
} config_snap;

/*
 * Per-connection state (libmicrohttpd's socket_context), so the drain can tell a
 * connection on which a request may be arriving from an idle one.
 */
typedef struct conn_state {
    struct conn_state *prev, *next; /* srv->conns, guarded by conns_lock */
    int fd;
    bool had_request;            /* worker thread only: headers of a request were complete */
    atomic_bool active;          /* a request is being read or answered */
    atomic_int_fast64_t last_ms; /* monotonic ms of the last start, request begin or end */
} conn_state;

struct gmw_server {
    struct MHD_Daemon *daemon;
    int listen_fd;          /* ours: libmicrohttpd never sees it */
    gmw_acceptor *acceptor; /* accepts on listen_fd and hands connections to the daemon */
    bool listening;         /* main thread only: the acceptor runs */
    unsigned connection_limit;
    atomic_int open_conns; /* connections libmicrohttpd has started and not yet closed */
    uint16_t port;
    unsigned idle_timeout_s;   /* the connection timeout between requests */
    unsigned header_timeout_s; /* the timeout until a connection's first request headers */
    gmw_metrics *metrics;
    atomic_bool shutting_down;
    atomic_int_fast64_t in_flight;     /* POST /mutate requests between headers and completion */
    atomic_int_fast64_t last_event_ms; /* the last connection start, request begin or end */
    atomic_int untracked;              /* connections without a conn_state (out of memory) */
    struct timespec drain_start;       /* set by gmw_server_quiesce */
    pthread_mutex_t conns_lock;
    conn_state *conns; /* open connections, guarded by conns_lock */
    pthread_mutex_t cfg_lock;
    config_snap *cfg; /* guarded by cfg_lock; holds one reference */
};

/* Per-request state of POST /mutate, owned by the connection's worker thread. */
typedef struct {
    gmw_server *srv;
    gmw_dynbuf body;
    bool too_large;
    size_t discarded;           /* bytes thrown away since too_large was set */
    size_t drain_limit;         /* close the connection when discarded exceeds this */
    size_t received;            /* body bytes seen so far (stored or discarded) */
    unsigned request_timeout_s; /* the whole body must be in by start + this */
    bool body_complete;         /* phase 3 reached: requestTimeout no longer applies */
    bool timed_out;             /* aborted for requestTimeout (already logged and counted) */
    struct timespec start;
    gmw_metric_route route; /* GMW_ROUTE_MUTATE or GMW_ROUTE_VALIDATE */
} mutate_req;

/* After a request body this large, freed memory is handed back to the system. */
#define GMW_TRIM_AFTER_BODY_BYTES (256 * 1024)

static void snap_release(config_snap *s)
{
    if (s != NULL && atomic_fetch_sub(&s->refs, 1) == 1)
        free(s);
}

static config_snap *snap_acquire(gmw_server *srv)
{
    pthread_mutex_lock(&srv->cfg_lock);
    config_snap *s = srv->cfg;
    atomic_fetch_add(&s->refs, 1);
    pthread_mutex_unlock(&srv->cfg_lock);
    return s;
}

int gmw_server_set_config(gmw_server *srv, const gmw_config *cfg)
{
    config_snap *s = malloc(sizeof *s);
    if (s == NULL)
        return -ENOMEM;
    atomic_init(&s->refs, 1);
    s->cfg = *cfg;
    pthread_mutex_lock(&srv->cfg_lock);
    config_snap *old = srv->cfg;
    srv->cfg = s;
    pthread_mutex_unlock(&srv->cfg_lock);
    snap_release(old);
    gmw_metrics_set_config(srv->metrics, cfg->ratio_e4, cfg->gogc,
                           gmw_request_policy_name(cfg->request_policy));
    return 0;
}

static double elapsed_seconds(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

static int64_t monotonic_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* ---- connections -------------------------------------------------------------------- */

static conn_state *conn_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return info != NULL ? info->socket_context : NULL;
}

/* A request starts (its request line arrived) or ends (answered or aborted) on c. */
static void conn_request_mark(gmw_server *srv, struct MHD_Connection *c, bool active)
{
    int64_t now = monotonic_ms();
    atomic_store(&srv->last_event_ms, now);
    conn_state *cs = conn_of(c);
    if (cs == NULL)
        return;
    atomic_store(&cs->active, active);
    atomic_store(&cs->last_ms, now);
}

/*
 * The connection's headers are complete. Until the first request's are, the connection
 * is on headerTimeout (set when it was accepted); from then on idleTimeout applies.
 */
static void conn_headers_complete(gmw_server *srv, struct MHD_Connection *c)
{
    conn_state *cs = conn_of(c);
    if (cs == NULL || cs->had_request)
        return;
    cs->had_request = true;
    if (srv->header_timeout_s != srv->idle_timeout_s)
        (void)MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT, srv->idle_timeout_s);
}

/* MHD_OPTION_NOTIFY_CONNECTION: keep the list of open connections for the drain. */
static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    gmw_server *srv = cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        atomic_fetch_add(&srv->open_conns, 1);
        atomic_store(&srv->last_event_ms, monotonic_ms());
        /* Runs after libmicrohttpd linked the connection into its timeout list. */
        if (srv->header_timeout_s != srv->idle_timeout_s)
            (void)MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT,
                                            srv->header_timeout_s);
        conn_state *cs = calloc(1, sizeof *cs);
        const union MHD_ConnectionInfo *info =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        if (cs == NULL || info == NULL) {
            free(cs);
            atomic_fetch_add(&srv->untracked, 1);
            *socket_context = NULL;
            return;
        }
        cs->fd = info->connect_fd;
        atomic_init(&cs->active, false);
        atomic_init(&cs->last_ms, monotonic_ms());
        pthread_mutex_lock(&srv->conns_lock);
        cs->next = srv->conns;
        if (srv->conns != NULL)
            srv->conns->prev = cs;
        srv->conns = cs;
        pthread_mutex_unlock(&srv->conns_lock);
        *socket_context = cs;
        return;
    }
    /* MHD_CONNECTION_NOTIFY_CLOSED (before the socket is closed) */
    atomic_fetch_sub(&srv->open_conns, 1);
    conn_state *cs = *socket_context;
    if (cs == NULL) {
        atomic_fetch_sub(&srv->untracked, 1);
        return;
    }
    pthread_mutex_lock(&srv->conns_lock);
    if (cs->prev != NULL)
        cs->prev->next = cs->next;
    else
        srv->conns = cs->next;
    if (cs->next != NULL)
        cs->next->prev = cs->prev;
    pthread_mutex_unlock(&srv->conns_lock);
    free(cs);
    *socket_context = NULL;
}

/* MHD_OPTION_URI_LOG_CALLBACK: the first sign of a request (its request line). */
static void *on_request_line(void *cls, const char *uri, struct MHD_Connection *c)
{
    (void)uri;
    conn_request_mark(cls, c, true);
    return NULL; /* the request's con_cls starts empty (on_request's first phase) */
}

/* ---- requestTimeout ----------------------------------------------------------------- */

/*
 * requestTimeout bounds the time from the end of the headers to the end of the body.
 * libmicrohttpd only has an inactivity timeout per connection, so while a body is
 * arriving that timeout is set to the time left until the deadline (whole seconds,
 * rounded up; never more than idleTimeout), and each arriving piece checks the deadline
 * itself: a client trickling bytes is cut off at most about a second after the
 * deadline, a silent one by libmicrohttpd's timeout. Returns false when the deadline
 * has passed.
 */
static bool arm_body_deadline(gmw_server *srv, struct MHD_Connection *c, const mutate_req *req)
{
    if (req->request_timeout_s == 0)
        return true;
    double left = (double)req->request_timeout_s - elapsed_seconds(&req->start);
    if (left <= 0.0)
        return false;
    unsigned secs = (unsigned)left;
    if ((double)secs < left)
        secs++;
    if (srv->idle_timeout_s != 0 && srv->idle_timeout_s < secs)
        secs = srv->idle_timeout_s;
    (void)MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT, secs);
    return true;
}

/* Log and count a request whose body was not in within requestTimeout. */
static void record_request_timeout(gmw_server *srv, mutate_req *req)
{
    if (req->timed_out)
        return;
    req->timed_out = true;
    gmw_metrics_request_timeout(srv->metrics);
    gmw_log_field f[3] = {GMW_LOG_INT("requestTimeoutSeconds", req->request_timeout_s),
                          GMW_LOG_INT("receivedBytes", (int64_t)req->received),
                          GMW_LOG_NUM("durationMs", elapsed_seconds(&req->start) * 1000.0)};
    gmw_log_fields(GMW_LOG_WARN,
                   "request body not received within requestTimeout: connection "
                   "closed",
                   f, 3);
}

/* ---- responses ---------------------------------------------------------------------- */

/*
 * Queue a response with the given body (copied) and content type, plus "Connection:
 * close" when close_conn or during shutdown, and extra header allow (may be NULL).
 */
static enum MHD_Result respond(gmw_server *srv, struct MHD_Connection *c, gmw_metric_route route,
                               unsigned code, const char *body, size_t len, const char *ctype,
                               const char *allow, bool close_conn)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (r == NULL)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    if (allow != NULL)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    if (close_conn || atomic_load(&srv->shutting_down))
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result ret = MHD_queue_response(c, code, r);
    MHD_destroy_response(r);
    gmw_metrics_http(srv->metrics, route, code);
    return ret;
}

/* Queue {"error": msg} with the given status. */
static enum MHD_Result respond_error(gmw_server *srv, struct MHD_Connection *c,
                                     gmw_metric_route route, unsigned code, const char *msg,
                                     const char *allow, bool close_conn)
{
    char escaped[768];
    char body[800];
    gmw_json_escape(escaped, sizeof escaped, msg, NULL);
    int n = snprintf(body, sizeof body, "{\"error\":\"%s\"}\n", escaped);
    if (n < 0 || (size_t)n >= sizeof body)
        n = snprintf(body, sizeof body, "{\"error\":\"error\"}\n");
    return respond(srv, c, route, code, body, (size_t)n, "application/json", allow, close_conn);
}

/* ---- routing ------------------------------------------------------------------------ */

/* The routes: one line each. GET routes also answer HEAD. */
typedef enum { ROUTE_GET = 0, ROUTE_POST_REVIEW } route_kind;

typedef struct {
    const char *path;
    gmw_metric_route metric;
    route_kind kind;
} route_def;

static const route_def routes[] = {
    {"/mutate", GMW_ROUTE_MUTATE, ROUTE_POST_REVIEW},
    {"/healthz", GMW_ROUTE_HEALTHZ, ROUTE_GET},
    {"/readyz", GMW_ROUTE_READYZ, ROUTE_GET},
    {"/metrics", GMW_ROUTE_METRICS, ROUTE_GET},
    {"/validate", GMW_ROUTE_VALIDATE, ROUTE_POST_REVIEW},
};

/* The route serving url (exact match), or NULL. */
static const route_def *route_of(const char *url)
{
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
        if (strcmp(url, routes[i].path) == 0)
            return &routes[i];
    return NULL;
}

/* Is the Content-Type header application/json (case-insensitive, parameters allowed)? */
static bool is_json_content_type(const char *ct)
{
    static const char want[] = "application/json";
    if (ct == NULL)
        return false;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    if (strncasecmp(ct, want, sizeof want - 1) != 0)
        return false;
    const char *rest = ct + sizeof want - 1;
    while (*rest == ' ' || *rest == '\t')
        rest++;
    return *rest == '\0' || *rest == ';';
}

static enum MHD_Result serve_get(gmw_server *srv, struct MHD_Connection *c, gmw_metric_route route)
{
    if (route == GMW_ROUTE_HEALTHZ)
        return respond(srv, c, route, MHD_HTTP_OK, "ok\n", 3, "text/plain; charset=utf-8", NULL,
                       false);
    if (route == GMW_ROUTE_READYZ) {
        const char *why = NULL;
        if (atomic_load(&srv->shutting_down))
            why = "not ready: shutting down\n";
        else if (!gmw_tlsstore_loaded())
            why = "not ready: no serving certificate\n";
        if (why != NULL)
            return respond(srv, c, route, MHD_HTTP_SERVICE_UNAVAILABLE, why, strlen(why),
                           "text/plain; charset=utf-8", NULL, false);
        return respond(srv, c, route, MHD_HTTP_OK, "ok\n", 3, "text/plain; charset=utf-8", NULL,
                       false);
    }
    /* /metrics */
    gmw_dynbuf out;
    gmw_dynbuf_init(&out, 4 * 1024 * 1024);
    if (gmw_metrics_render(srv->metrics, &out) != 0) {
        gmw_dynbuf_free(&out);
        return respond_error(srv, c, route, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot render metrics",
                             NULL, false);
    }
    enum MHD_Result ret =
        respond(srv, c, route, MHD_HTTP_OK, gmw_dynbuf_ptr(&out), gmw_dynbuf_len(&out),
                "text/plain; version=0.0.4; charset=utf-8", NULL, false);
    gmw_dynbuf_free(&out);
    return ret;
}

/* Log and count one answered AdmissionReview. */
static void record_admission(gmw_server *srv, gmw_metric_route route, const gmw_review_outcome *o,
                             unsigned code, double seconds, const char *error)
{
    gmw_metric_op op = gmw_metrics_op_from_string(o != NULL ? o->operation : NULL);
    gmw_metric_result res = gmw_metrics_result_of(o);
    /* /validate (workload previews) is logged and counted in http_requests_total only:
     * the admission, injection and container series stay about Pods */
    if (route == GMW_ROUTE_MUTATE)
        gmw_metrics_admission(srv->metrics, op, res, seconds);
    if (o != NULL && route == GMW_ROUTE_MUTATE)
        gmw_metrics_injection(srv->metrics, o->ns, res); /* counts Pod CREATEs only */
    if (o != NULL && route == GMW_ROUTE_MUTATE) {
        size_t n = o->container_count < GMW_MAX_CONTAINER_OUTCOMES ? o->container_count
                                                                   : GMW_MAX_CONTAINER_OUTCOMES;
        for (size_t i = 0; i < n; i++)
            gmw_metrics_container(srv->metrics, o->containers[i].action, o->containers[i].reason);
    }
    gmw_log_field f[10];
    size_t nf = 0;
    if (route == GMW_ROUTE_VALIDATE)
        f[nf++] = GMW_LOG_STR("route", "/validate");
    if (o != NULL) {
        f[nf++] = GMW_LOG_STR("uid", o->uid);
        f[nf++] = GMW_LOG_STR("namespace", o->ns);
        f[nf++] = GMW_LOG_STR("name", o->name);
        f[nf++] = GMW_LOG_STR("operation", o->operation);
        f[nf++] = GMW_LOG_STR("decision", gmw_review_decision_name(o->decision));
        f[nf++] = GMW_LOG_INT("containers", o->container_count);
    } else {
        f[nf++] = GMW_LOG_STR("decision", "error");
        f[nf++] = GMW_LOG_STR("error", error != NULL ? error : "");
    }
    f[nf++] = GMW_LOG_INT("status", code);
    f[nf++] = GMW_LOG_NUM("durationMs", seconds * 1000.0);
    gmw_log_fields(o != NULL ? GMW_LOG_INFO : GMW_LOG_WARN, "admission", f, nf);
}

static enum MHD_Result finish_mutate(gmw_server *srv, struct MHD_Connection *c, mutate_req *req)
{
    if (req->too_large) {
        config_snap *s = snap_acquire(srv);
        char msg[128];
        snprintf(msg, sizeof msg, "request body larger than maxBody (%lld bytes)",
                 (long long)s->cfg.max_body_bytes);
        snap_release(s);
        gmw_log_fields(GMW_LOG_WARN, "request body too large", NULL, 0);
        return respond_error(srv, c, req->route, MHD_HTTP_CONTENT_TOO_LARGE, msg, NULL, true);
    }
    config_snap *s = snap_acquire(srv);
    char *resp = NULL;
    size_t resp_len = 0;
    char err[256] = "";
    gmw_review_outcome *outcome = calloc(1, sizeof *outcome);
    if (outcome == NULL) {
        snap_release(s);
        return MHD_NO;
    }
    int rc = (req->route == GMW_ROUTE_VALIDATE ? gmw_validate_handle : gmw_review_handle)(
        &s->cfg, gmw_dynbuf_ptr(&req->body), gmw_dynbuf_len(&req->body), &resp, &resp_len, outcome,
        err, sizeof err);
    unsigned request_timeout = s->cfg.request_timeout_s;
    snap_release(s);
    gmw_dynbuf_free(&req->body);
    double secs = elapsed_seconds(&req->start);
    enum MHD_Result ret;
    if (rc != 0 || resp == NULL) {
        free(resp);
        /* review.h: -ENOMEM is ours (500), anything else is the request's fault (400) */
        unsigned status = rc == -ENOMEM ? MHD_HTTP_INTERNAL_SERVER_ERROR : MHD_HTTP_BAD_REQUEST;
        if (rc == -ENOMEM)
            snprintf(err, sizeof err, "out of memory");
        else if (err[0] == '\0')
            snprintf(err, sizeof err, "not an AdmissionReview");
        record_admission(srv, req->route, NULL, status, secs, err);
        ret = respond_error(srv, c, req->route, status, err, NULL, false);
    } else {
        struct MHD_Response *r =
            MHD_create_response_from_buffer(resp_len, resp, MHD_RESPMEM_MUST_FREE);
        if (r == NULL) {
            free(resp);
            free(outcome);
            return MHD_NO;
        }
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
        if (atomic_load(&srv->shutting_down))
            MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
        ret = MHD_queue_response(c, MHD_HTTP_OK, r);
        MHD_destroy_response(r);
        gmw_metrics_http(srv->metrics, req->route, MHD_HTTP_OK);
        record_admission(srv, req->route, outcome, MHD_HTTP_OK, secs, NULL);
    }
    if (request_timeout != 0 && secs > (double)request_timeout)
        gmw_log(GMW_LOG_WARN, "request took %.3fs, longer than requestTimeout %us", secs,
                request_timeout);
    free(outcome);
    return ret;
}

/*
 * GET/HEAD routes are answered on the last call, not the first: a response queued
 * before the request is complete makes libmicrohttpd close the connection, and
 * keep-alive should work for every route. The per-request marker is one of these.
 */
static const char get_tokens[GMW_ROUTE_COUNT];

static bool is_get_token(const void *p)
{
    return p >= (const void *)&get_tokens[0] && p < (const void *)&get_tokens[GMW_ROUTE_COUNT];
}

/*
 * Check Content-Length against maxBody. Returns 0 to read the body (*discard: read it
 * only to throw it away and answer 413 at the end), or -EFBIG to answer 413 now.
 */
static int check_content_length(struct MHD_Connection *c, int64_t max_body, bool *discard)
{
    *discard = false;
    const char *cl =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl == NULL)
        return 0; /* chunked: counted while it arrives */
    char *end = NULL;
    errno = 0;
    unsigned long long n = strtoull(cl, &end, 10);
    const char *expect = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_EXPECT);
    bool continue_expected = expect != NULL && strcasestr(expect, "100-continue") != NULL;
    /*
     * Slightly too large and the client is already sending: read and discard
     * (at most GMW_BODY_DRAIN_MAX) and answer at the end, because closing a
     * socket with unread data makes the kernel reset the connection and the
     * client may never see the 413. Far too large, or the client waits for
     * "100 Continue": answer now without reading the body.
     */
    if (errno == 0 && end != cl && n > (unsigned long long)max_body && !continue_expected &&
        n - (unsigned long long)max_body <= GMW_BODY_DRAIN_MAX)
        *discard = true;
    else if (errno != 0 || end == cl || n > (unsigned long long)max_body) {
        gmw_log_field f[1] = {GMW_LOG_STR("contentLength", cl)};
        gmw_log_fields(GMW_LOG_WARN, "request body too large", f, 1);
        return -EFBIG;
    }
    return 0;
}

/* Phase 1 of a POST review: headers checked, per-request state created. */
static enum MHD_Result begin_review(gmw_server *srv, struct MHD_Connection *c,
                                    const route_def *route, void **con_cls)
{
    const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (!is_json_content_type(ct))
        return respond_error(srv, c, route->metric, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
                             "Content-Type must be application/json", NULL, false);
    config_snap *s = snap_acquire(srv);
    int64_t max_body = s->cfg.max_body_bytes;
    unsigned request_timeout = s->cfg.request_timeout_s;
    snap_release(s);
    bool discard = false;
    if (check_content_length(c, max_body, &discard) != 0) {
        char msg[128];
        snprintf(msg, sizeof msg, "request body larger than maxBody (%lld bytes)",
                 (long long)max_body);
        return respond_error(srv, c, route->metric, MHD_HTTP_CONTENT_TOO_LARGE, msg, NULL, true);
    }
    mutate_req *req = calloc(1, sizeof *req);
    if (req == NULL)
        return MHD_NO;
    req->srv = srv;
    req->route = route->metric;
    req->too_large = discard;
    req->drain_limit = GMW_BODY_DRAIN_MAX + (discard ? (size_t)max_body : 0);
    req->request_timeout_s = request_timeout;
    gmw_dynbuf_init(&req->body, max_body > 0 ? (size_t)max_body : 0);
    clock_gettime(CLOCK_MONOTONIC, &req->start);
    (void)arm_body_deadline(srv, c, req);
    atomic_fetch_add(&srv->in_flight, 1);
    gmw_metrics_in_flight_add(srv->metrics, 1);
    *con_cls = req;
    return MHD_YES;
}

/* Phase 1: the headers are in. Errors are answered now (the connection then closes). */
static enum MHD_Result begin_request(gmw_server *srv, struct MHD_Connection *c, const char *url,
                                     const char *method, void **con_cls)
{
    conn_headers_complete(srv, c);
    if (gmw_log_enabled(GMW_LOG_DEBUG)) {
        gmw_log_field f[2] = {GMW_LOG_STR("method", method), GMW_LOG_STR("path", url)};
        gmw_log_fields(GMW_LOG_DEBUG, "request", f, 2);
    }
    const route_def *route = route_of(url);
    if (route == NULL)
        return respond_error(srv, c, GMW_ROUTE_OTHER, MHD_HTTP_NOT_FOUND, "no such path", NULL,
                             false);
    if (route->kind == ROUTE_GET) {
        if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
            return respond_error(srv, c, route->metric, MHD_HTTP_METHOD_NOT_ALLOWED,
                                 "method not allowed", "GET, HEAD", false);
        *con_cls = (void *)&get_tokens[route->metric];
        return MHD_YES;
    }
    if (strcmp(method, MHD_HTTP_METHOD_POST) != 0)
        return respond_error(srv, c, route->metric, MHD_HTTP_METHOD_NOT_ALLOWED,
                             "method not allowed; use POST", "POST", false);
    return begin_review(srv, c, route, con_cls);
}

/* Phase 2: a piece of the body. No response may be queued here. */
static enum MHD_Result receive_body(gmw_server *srv, struct MHD_Connection *c, mutate_req *req,
                                    const char *upload, size_t *upload_size)
{
    req->received += *upload_size;
    if (!arm_body_deadline(srv, c, req)) {
        record_request_timeout(srv, req);
        return MHD_NO; /* closes the connection */
    }
    if (!req->too_large) {
        int rc = gmw_dynbuf_add(&req->body, upload, *upload_size);
        if (rc == -E2BIG) {
            req->too_large = true;
            req->discarded = *upload_size;
        } else if (rc != 0) {
            return MHD_NO;
        }
    } else {
        req->discarded += *upload_size;
        if (req->discarded > req->drain_limit) {
            gmw_log_fields(GMW_LOG_WARN, "request body far over maxBody: closing the connection",
                           NULL, 0);
            gmw_metrics_http(srv->metrics, req->route, MHD_HTTP_CONTENT_TOO_LARGE);
            return MHD_NO;
        }
    }
    *upload_size = 0;
    return MHD_YES;
}

/* Phase 3: the whole body is here; back to the idle timeout for keep-alive. */
static enum MHD_Result complete_body(gmw_server *srv, struct MHD_Connection *c, mutate_req *req)
{
    req->body_complete = true;
    if (req->request_timeout_s != 0)
        (void)MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT, srv->idle_timeout_s);
    return finish_mutate(srv, c, req);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    gmw_server *srv = cls;
    (void)version;
    if (is_get_token(*con_cls)) {
        if (*upload_size != 0) { /* a body on a GET: ignored */
            *upload_size = 0;
            return MHD_YES;
        }
        return serve_get(srv, c, (gmw_metric_route)((const char *)*con_cls - get_tokens));
    }
    mutate_req *req = *con_cls;
    if (req == NULL)
        return begin_request(srv, c, url, method, con_cls);
    if (*upload_size != 0)
        return receive_body(srv, c, req, upload, upload_size);
    return complete_body(srv, c, req);
}

/* Hand freed memory back to the system after an outsized request (glibc keeps it). */
static void trim_after(size_t body_bytes)
{
#ifdef __GLIBC__
    if (body_bytes >= GMW_TRIM_AFTER_BODY_BYTES)
        (void)malloc_trim(0); /* returns whether memory was released: nothing to handle */
#else
    (void)body_bytes;
#endif
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    gmw_server *srv = cls;
    conn_request_mark(srv, c, false);
    if (is_get_token(*con_cls)) {
        *con_cls = NULL;
        return;
    }
    mutate_req *req = *con_cls;
    if (req == NULL)
        return;
    /* libmicrohttpd's timeout fired while the body was arriving: the deadline armed by
     * arm_body_deadline (or idleTimeout, when shorter, for a silent client). */
    if (toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED && !req->body_complete &&
        req->request_timeout_s != 0 &&
        elapsed_seconds(&req->start) >= (double)req->request_timeout_s)
        record_request_timeout(srv, req);
    if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK && gmw_log_enabled(GMW_LOG_DEBUG)) {
        gmw_log_field f[1] = {GMW_LOG_INT("terminationCode", (int)toe)};
        gmw_log_fields(GMW_LOG_DEBUG, "request ended early", f, 1);
    }
    size_t received = req->received;
    gmw_dynbuf_free(&req->body);
    free(req);
    *con_cls = NULL;
    gmw_metrics_in_flight_add(srv->metrics, -1);
    atomic_fetch_sub(&srv->in_flight, 1);
    trim_after(received);
}

/* MHD's own messages (TLS handshake failures, bind errors...) as warn log lines. */
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    gmw_log_field f[1] = {GMW_LOG_STR("component", "libmicrohttpd")};
    gmw_log_fields(GMW_LOG_WARN, msg, f, 1);
}

/* ---- lifecycle ---------------------------------------------------------------------- */

/*
 * glibc raises its mmap threshold after a large block is freed (up to 32 MiB), so the
 * buffers of one outsized review would afterwards come from the heap and stay there.
 * A fixed threshold keeps large buffers in their own mappings, returned when freed.
 */
static void tune_allocator(void)
{
#ifdef __GLIBC__
    if (mallopt(M_MMAP_THRESHOLD, 128 * 1024) != 1)
        gmw_log(GMW_LOG_WARN, "mallopt(M_MMAP_THRESHOLD) failed: memory may not be returned");
#endif
}

/* The connection limit in effect: at least one connection per worker thread. */
static unsigned effective_connection_limit(const gmw_server_options *opt)
{
    unsigned threads = opt->threads < 1 ? 1 : opt->threads;
    return opt->connection_limit < threads ? threads : opt->connection_limit;
}

static struct MHD_Daemon *start_daemon(gmw_server *srv, const gmw_server_options *opt)
{
    unsigned threads = opt->threads < 1 ? 1 : opt->threads;
    unsigned limit = srv->connection_limit;
    /* No listening socket: the acceptor hands every connection over (acceptor.h). */
    unsigned flags = MHD_USE_TLS | MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC |
                     MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ERROR_LOG;
    /* Options are passed as varargs: 0.9.75 does not accept the certificate callback
     * inside MHD_OPTION_ARRAY. A pool size of 1 means no pool, so it is always given.
     * A per-IP limit of 0 means none. */
    return MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
        MHD_OPTION_HTTPS_CERT_CALLBACK2, gmw_tlsstore_retrieve, MHD_OPTION_HTTPS_PRIORITIES,
        GMW_TLS_PRIORITIES, MHD_OPTION_CONNECTION_LIMIT, limit, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        opt->per_ip_connection_limit, MHD_OPTION_CONNECTION_TIMEOUT, opt->idle_timeout_s,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv, MHD_OPTION_URI_LOG_CALLBACK,
        on_request_line, srv, MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
        MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_END);
}

/* The acceptor's callbacks: libmicrohttpd places the connection on a worker with room (by
 * descriptor number) or closes it; full while connectionLimit connections are open. */
static void hand_to_daemon(void *ctx, int fd, const struct sockaddr *addr, socklen_t len)
{
    gmw_server *srv = ctx;
    (void)MHD_add_connection(srv->daemon, fd, addr, len); /* closes fd when it fails */
}

static bool daemon_full(void *ctx)
{
    gmw_server *srv = ctx;
    return (unsigned)atomic_load(&srv->open_conns) >= srv->connection_limit;
}

int gmw_server_start(const gmw_server_options *opt, const gmw_config *cfg, gmw_server **out,
                     char *err, size_t errcap)
{
    int rc;
    gmw_server *srv = calloc(1, sizeof *srv);
    if (srv == NULL) {
        snprintf(err, errcap, "out of memory");
        return -ENOMEM;
    }
    srv->listen_fd = -1;
    srv->metrics = opt->metrics;
    srv->idle_timeout_s = opt->idle_timeout_s;
    srv->header_timeout_s =
        opt->header_timeout_s != 0 ? opt->header_timeout_s : opt->idle_timeout_s;
    atomic_init(&srv->shutting_down, false);
    atomic_init(&srv->in_flight, 0);
    atomic_init(&srv->last_event_ms, monotonic_ms());
    atomic_init(&srv->untracked, 0);
    atomic_init(&srv->open_conns, 0);
    pthread_mutex_init(&srv->conns_lock, NULL);
    pthread_mutex_init(&srv->cfg_lock, NULL);
    rc = gmw_server_set_config(srv, cfg);
    if (rc != 0) {
        snprintf(err, errcap, "out of memory");
        goto fail;
    }
    tune_allocator();
    rc = gmw_listen_socket_open(opt->listen, &srv->listen_fd, &srv->port, err, errcap);
    if (rc != 0)
        goto fail;
    srv->connection_limit = effective_connection_limit(opt);
    srv->daemon = start_daemon(srv, opt);
    if (srv->daemon == NULL) {
        snprintf(err, errcap, "libmicrohttpd failed to start on %s (see the log above)",
                 opt->listen);
        rc = -EIO;
        goto fail;
    }
    rc = gmw_acceptor_start(srv->listen_fd, hand_to_daemon, daemon_full, srv, &srv->acceptor);
    if (rc != 0) {
        snprintf(err, errcap, "could not start the accepting thread: %s", strerror(-rc));
        goto fail;
    }
    srv->listening = true;
    *out = srv;
    return 0;
fail:
    if (srv->daemon != NULL)
        MHD_stop_daemon(srv->daemon);
    if (srv->listen_fd != -1)
        close(srv->listen_fd);
    snap_release(srv->cfg);
    pthread_mutex_destroy(&srv->cfg_lock);
    pthread_mutex_destroy(&srv->conns_lock);
    free(srv);
    return rc;
}

uint16_t gmw_server_port(const gmw_server *srv)
{
    return srv->port;
}

void gmw_server_quiesce(gmw_server *srv)
{
    if (atomic_exchange(&srv->shutting_down, true))
        return;
    clock_gettime(CLOCK_MONOTONIC, &srv->drain_start);
}

/* ---- drain -------------------------------------------------------------------------- */

/*
 * Could a request be arriving on connection cs at time now? It could while a request
 * is being read or answered, while unread bytes wait in the socket, and until the
 * connection has been quiet for GMW_DRAIN_IDLE_MS (bytes the worker has read but not
 * yet parsed).
 */
static bool conn_busy(const conn_state *cs, int64_t now)
{
    if (atomic_load(&cs->active))
        return true;
    if (now - atomic_load(&cs->last_ms) < GMW_DRAIN_IDLE_MS)
        return true;
    size_t unread = 0;
    if (gmw_socket_unread(cs->fd, &unread) != 0)
        return true; /* cannot tell: assume so */
    return unread > 0;
}

/* The number of connections on which a request could be arriving. */
static int64_t busy_connections(gmw_server *srv)
{
    int64_t now = monotonic_ms();
    int64_t busy = atomic_load(&srv->untracked);
    pthread_mutex_lock(&srv->conns_lock);
    for (const conn_state *cs = srv->conns; cs != NULL; cs = cs->next)
        if (conn_busy(cs, now))
            busy++;
    pthread_mutex_unlock(&srv->conns_lock);
    return busy;
}

/* Nothing is arriving and nothing started or ended for GMW_DRAIN_IDLE_MS. */
static bool server_quiet(gmw_server *srv)
{
    if (monotonic_ms() - atomic_load(&srv->last_event_ms) < GMW_DRAIN_IDLE_MS)
        return false;
    return atomic_load(&srv->in_flight) == 0 && busy_connections(srv) == 0;
}

/*
 * Stop listening: the acceptor stops, the connections already waiting in the backlog are
 * accepted here and handed to libmicrohttpd (whatever its connection limit), then the
 * socket refuses new ones (shutdown; it is closed when the server stops).
 */
static void stop_listening(gmw_server *srv)
{
    srv->listening = false;
    gmw_acceptor_stop(srv->acceptor);
    srv->acceptor = NULL;
    int fd = srv->listen_fd;
    int handed = 0;
    for (;;) {
        struct sockaddr_storage addr;
        socklen_t len = sizeof addr;
        int cfd = -1;
        int rc = gmw_listen_socket_accept(fd, &cfd, (struct sockaddr *)&addr, &len);
        if (rc == -EAGAIN || rc == -ECONNABORTED)
            break;
        if (rc != 0) {
            gmw_log(GMW_LOG_WARN, "accepting the backlog at shutdown: %s", strerror(-rc));
            break;
        }
        /* MHD closes cfd when it cannot take it. */
        if (MHD_add_connection(srv->daemon, cfd, (struct sockaddr *)&addr, len) == MHD_YES)
            handed++;
    }
    int rc = gmw_listen_socket_refuse(fd);
    if (rc != 0)
        gmw_log(GMW_LOG_WARN, "could not refuse new connections: %s", strerror(-rc));
    gmw_log_field f[1] = {GMW_LOG_INT("acceptedFromBacklog", handed)};
    gmw_log_fields(GMW_LOG_INFO, "stopped listening: new connections are refused", f, 1);
}

int64_t gmw_server_drain(gmw_server *srv, unsigned grace_ms)
{
    const struct timespec tick = {0, 10 * 1000 * 1000};
    double idle_since = -1.0; /* ms since drain_start when no connection was last busy */
    for (;;) {
        double ms = elapsed_seconds(&srv->drain_start) * 1000.0;
        if (srv->listening && (ms >= (double)grace_ms / 2.0 || server_quiet(srv)))
            stop_listening(srv);
        if (!srv->listening) {
            int64_t busy = busy_connections(srv);
            if (busy != 0)
                idle_since = -1.0;
            else if (idle_since < 0.0)
                idle_since = ms;
            /* Idle on every look for a while: a worker that had read a request but was
             * descheduled before parsing it has had time to mark its connection. */
            if (busy == 0 && (ms - idle_since >= GMW_DRAIN_SETTLE_MS || ms >= (double)grace_ms))
                return 0;
            if (ms >= (double)grace_ms)
                return busy;
        }
        nanosleep(&tick, NULL);
    }
}

void gmw_server_stop(gmw_server *srv)
{
    if (srv == NULL)
        return;
    gmw_acceptor_stop(srv->acceptor); /* before the daemon it hands connections to */
    if (srv->daemon != NULL)
        MHD_stop_daemon(srv->daemon);
    if (srv->listen_fd != -1)
        close(srv->listen_fd);
    snap_release(srv->cfg);
    pthread_mutex_destroy(&srv->cfg_lock);
    pthread_mutex_destroy(&srv->conns_lock);
    free(srv);
}
