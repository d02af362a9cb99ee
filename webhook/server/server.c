/*
 * server.c - libmicrohttpd wiring, routes and the three-phase POST handler; see server.h.
 */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
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

#include "dynbuf.h"
#include "log.h"
#include "review.h"
#include "tlsstore.h"

/* A reference-counted, immutable config snapshot. */
typedef struct {
    atomic_int refs;
    gmw_config cfg;
} config_snap;

struct gmw_server {
    struct MHD_Daemon *daemon;
    int listen_fd;       /* ours to close only when owns_listen_fd */
    bool owns_listen_fd; /* MHD closes a given socket at stop unless it was quiesced */
    uint16_t port;
    unsigned idle_timeout_s; /* the connection timeout outside a request body */
    gmw_metrics *metrics;
    atomic_bool shutting_down;
    atomic_int_fast64_t in_flight; /* POST /mutate requests between headers and completion */
    pthread_mutex_t cfg_lock;
    config_snap *cfg; /* guarded by cfg_lock; holds one reference */
};

/* Per-request state of POST /mutate, owned by the connection's worker thread. */
typedef struct {
    gmw_server *srv;
    gmw_dynbuf body;
    bool too_large;
    size_t discarded;   /* bytes thrown away since too_large was set */
    size_t drain_limit; /* close the connection when discarded exceeds this */
    size_t received;    /* body bytes seen so far (stored or discarded) */
    unsigned request_timeout_s; /* the whole body must be in by start + this */
    bool body_complete; /* phase 3 reached: requestTimeout no longer applies */
    bool timed_out;     /* aborted for requestTimeout (already logged and counted) */
    struct timespec start;
} mutate_req;

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
    gmw_log_fields(GMW_LOG_WARN, "request body not received within requestTimeout: connection "
                                 "closed", f, 3);
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

static gmw_metric_route route_of(const char *url)
{
    if (strcmp(url, "/mutate") == 0)
        return GMW_ROUTE_MUTATE;
    if (strcmp(url, "/healthz") == 0)
        return GMW_ROUTE_HEALTHZ;
    if (strcmp(url, "/readyz") == 0)
        return GMW_ROUTE_READYZ;
    if (strcmp(url, "/metrics") == 0)
        return GMW_ROUTE_METRICS;
    return GMW_ROUTE_OTHER;
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
static void record_admission(gmw_server *srv, const gmw_review_outcome *o, unsigned code,
                             double seconds, const char *error)
{
    gmw_metric_op op = gmw_metrics_op_from_string(o != NULL ? o->operation : NULL);
    gmw_metric_result res = gmw_metrics_result_from_string(o != NULL ? o->decision : NULL);
    gmw_metrics_admission(srv->metrics, op, res, seconds);
    if (o != NULL)
        gmw_metrics_injection(srv->metrics, o->ns, res); /* counts Pod CREATEs only */
    if (o != NULL) {
        size_t n = o->container_count < GMW_MAX_CONTAINER_OUTCOMES ? o->container_count
                                                                   : GMW_MAX_CONTAINER_OUTCOMES;
        for (size_t i = 0; i < n; i++)
            gmw_metrics_container(srv->metrics, o->containers[i].action, o->containers[i].reason);
    }
    gmw_log_field f[9];
    size_t nf = 0;
    if (o != NULL) {
        f[nf++] = GMW_LOG_STR("uid", o->uid);
        f[nf++] = GMW_LOG_STR("namespace", o->ns);
        f[nf++] = GMW_LOG_STR("name", o->name);
        f[nf++] = GMW_LOG_STR("operation", o->operation);
        f[nf++] = GMW_LOG_STR("decision", o->decision != NULL ? o->decision : "error");
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
        return respond_error(srv, c, GMW_ROUTE_MUTATE, MHD_HTTP_CONTENT_TOO_LARGE, msg, NULL, true);
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
    int rc = gmw_review_handle(&s->cfg, gmw_dynbuf_ptr(&req->body), gmw_dynbuf_len(&req->body),
                               &resp, &resp_len, outcome, err, sizeof err);
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
        record_admission(srv, NULL, status, secs, err);
        ret = respond_error(srv, c, GMW_ROUTE_MUTATE, status, err, NULL, false);
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
        gmw_metrics_http(srv->metrics, GMW_ROUTE_MUTATE, MHD_HTTP_OK);
        record_admission(srv, outcome, MHD_HTTP_OK, secs, NULL);
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
    if (req == NULL) {
        /* Phase 1: headers only. Errors are answered now (the connection then closes). */
        gmw_metric_route route = route_of(url);
        bool is_get =
            strcmp(method, MHD_HTTP_METHOD_GET) == 0 || strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
        if (gmw_log_enabled(GMW_LOG_DEBUG)) {
            gmw_log_field f[2] = {GMW_LOG_STR("method", method), GMW_LOG_STR("path", url)};
            gmw_log_fields(GMW_LOG_DEBUG, "request", f, 2);
        }
        if (route == GMW_ROUTE_OTHER)
            return respond_error(srv, c, route, MHD_HTTP_NOT_FOUND, "no such path", NULL, false);
        if (route != GMW_ROUTE_MUTATE) {
            if (!is_get)
                return respond_error(srv, c, route, MHD_HTTP_METHOD_NOT_ALLOWED,
                                     "method not allowed", "GET, HEAD", false);
            *con_cls = (void *)&get_tokens[route];
            return MHD_YES;
        }
        if (strcmp(method, MHD_HTTP_METHOD_POST) != 0)
            return respond_error(srv, c, route, MHD_HTTP_METHOD_NOT_ALLOWED,
                                 "method not allowed; use POST", "POST", false);
        const char *ct =
            MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
        if (!is_json_content_type(ct))
            return respond_error(srv, c, route, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
                                 "Content-Type must be application/json", NULL, false);
        config_snap *s = snap_acquire(srv);
        int64_t max_body = s->cfg.max_body_bytes;
        unsigned request_timeout = s->cfg.request_timeout_s;
        snap_release(s);
        const char *cl =
            MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        bool discard = false;
        if (cl != NULL) {
            char *end = NULL;
            errno = 0;
            unsigned long long n = strtoull(cl, &end, 10);
            const char *expect =
                MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_EXPECT);
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
                discard = true;
            else if (errno != 0 || end == cl || n > (unsigned long long)max_body) {
                char msg[128];
                snprintf(msg, sizeof msg, "request body larger than maxBody (%lld bytes)",
                         (long long)max_body);
                gmw_log_field f[1] = {GMW_LOG_STR("contentLength", cl)};
                gmw_log_fields(GMW_LOG_WARN, "request body too large", f, 1);
                return respond_error(srv, c, route, MHD_HTTP_CONTENT_TOO_LARGE, msg, NULL, true);
            }
        }
        req = calloc(1, sizeof *req);
        if (req == NULL)
            return MHD_NO;
        req->srv = srv;
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
    if (*upload_size != 0) {
        /* Phase 2: body bytes. No response may be queued here. */
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
                gmw_log_fields(GMW_LOG_WARN,
                               "request body far over maxBody: closing the connection", NULL, 0);
                gmw_metrics_http(srv->metrics, GMW_ROUTE_MUTATE, MHD_HTTP_CONTENT_TOO_LARGE);
                return MHD_NO;
            }
        }
        *upload_size = 0;
        return MHD_YES;
    }
    /* Phase 3: the whole body is here; back to the idle timeout for keep-alive. */
    req->body_complete = true;
    if (req->request_timeout_s != 0)
        (void)MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT, srv->idle_timeout_s);
    return finish_mutate(srv, c, req);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    gmw_server *srv = cls;
    (void)c;
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
    gmw_dynbuf_free(&req->body);
    free(req);
    *con_cls = NULL;
    gmw_metrics_in_flight_add(srv->metrics, -1);
    atomic_fetch_sub(&srv->in_flight, 1);
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

/* ---- listen socket ------------------------------------------------------------------ */

/* Create, bind and listen; returns the fd or -1 with err set. */
static int open_listener(const char *listen_addr, uint16_t *bound_port, char *err, size_t errcap)
{
    char host[256];
    uint16_t port;
    const char *why = NULL;
    if (gmw_listen_parse(listen_addr, host, sizeof host, &port, &why) != 0) {
        snprintf(err, errcap, "invalid listen address '%s': %s", listen_addr, why);
        return -1;
    }
    char portstr[8];
    snprintf(portstr, sizeof portstr, "%u", (unsigned)port);
    struct addrinfo hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    hints.ai_family = host[0] == '\0' ? AF_INET6 : AF_UNSPEC;
    int last_errno = 0;
    for (int attempt = 0; attempt < 2; attempt++) {
        if (attempt == 1) {
            if (host[0] != '\0')
                break;
            hints.ai_family = AF_INET; /* no IPv6 here: all IPv4 interfaces */
        }
        struct addrinfo *res = NULL;
        int gai = getaddrinfo(host[0] != '\0' ? host : NULL, portstr, &hints, &res);
        if (gai != 0) {
            if (attempt == 0 && host[0] == '\0')
                continue;
            snprintf(err, errcap, "listen %s: %s", listen_addr, gai_strerror(gai));
            return -1;
        }
        for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
            int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                            ai->ai_protocol);
            if (fd == -1) {
                last_errno = errno;
                continue;
            }
            int one = 1, zero = 0;
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
            if (ai->ai_family == AF_INET6 && host[0] == '\0')
                setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
            if (bind(fd, ai->ai_addr, ai->ai_addrlen) == -1 || listen(fd, 511) == -1) {
                last_errno = errno;
                close(fd);
                continue;
            }
            struct sockaddr_storage ss;
            memset(&ss, 0, sizeof ss);
            socklen_t sl = sizeof ss;
            *bound_port = port;
            if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
                if (ss.ss_family == AF_INET)
                    *bound_port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
                else if (ss.ss_family == AF_INET6)
                    *bound_port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
            }
            freeaddrinfo(res);
            return fd;
        }
        freeaddrinfo(res);
    }
    snprintf(err, errcap, "listen %s: %s", listen_addr,
             last_errno != 0 ? strerror(last_errno) : "no usable address");
    return -1;
}

/* ---- lifecycle ---------------------------------------------------------------------- */

int gmw_server_start(const gmw_server_options *opt, const gmw_config *cfg, gmw_server **out,
                     char *err, size_t errcap)
{
    gmw_server *srv = calloc(1, sizeof *srv);
    if (srv == NULL) {
        snprintf(err, errcap, "out of memory");
        return -1;
    }
    srv->listen_fd = -1;
    srv->metrics = opt->metrics;
    srv->idle_timeout_s = opt->idle_timeout_s;
    atomic_init(&srv->shutting_down, false);
    atomic_init(&srv->in_flight, 0);
    pthread_mutex_init(&srv->cfg_lock, NULL);
    if (gmw_server_set_config(srv, cfg) != 0) {
        snprintf(err, errcap, "out of memory");
        goto fail;
    }
    srv->listen_fd = open_listener(opt->listen, &srv->port, err, errcap);
    if (srv->listen_fd == -1)
        goto fail;
    srv->owns_listen_fd = true;
    unsigned threads = opt->threads < 1 ? 1 : opt->threads;
    unsigned limit = opt->connection_limit < threads ? threads : opt->connection_limit;
    unsigned flags = MHD_USE_TLS | MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG;
    /* From here MHD may own the socket (it closes it on stop, maybe on failure too). */
    srv->owns_listen_fd = false;
    /* Options are passed as varargs: 0.9.75 does not accept the certificate callback
     * inside MHD_OPTION_ARRAY. A pool size of 1 means no pool, so it is always given. */
    srv->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
        MHD_OPTION_LISTEN_SOCKET, (MHD_socket)srv->listen_fd, MHD_OPTION_HTTPS_CERT_CALLBACK2,
        gmw_tlsstore_retrieve, MHD_OPTION_HTTPS_PRIORITIES, GMW_TLS_PRIORITIES,
        MHD_OPTION_CONNECTION_LIMIT, limit, MHD_OPTION_CONNECTION_TIMEOUT, opt->idle_timeout_s,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv, MHD_OPTION_THREAD_POOL_SIZE, threads,
        MHD_OPTION_END);
    if (srv->daemon == NULL) {
        snprintf(err, errcap, "libmicrohttpd failed to start on %s (see the log above)",
                 opt->listen);
        goto fail;
    }
    *out = srv;
    return 0;
fail:
    if (srv->listen_fd != -1 && srv->owns_listen_fd)
        close(srv->listen_fd);
    snap_release(srv->cfg);
    pthread_mutex_destroy(&srv->cfg_lock);
    free(srv);
    return -1;
}

uint16_t gmw_server_port(const gmw_server *srv)
{
    return srv->port;
}

void gmw_server_quiesce(gmw_server *srv)
{
    if (atomic_exchange(&srv->shutting_down, true))
        return;
    MHD_socket fd = MHD_quiesce_daemon(srv->daemon);
    if (fd == MHD_INVALID_SOCKET) {
        gmw_log(GMW_LOG_WARN, "could not stop accepting connections");
        return;
    }
    /* Now ours (MHD will not close it). Close it at once so new connections are refused
     * instead of waiting in the backlog until the drain ends. */
    close(fd);
    srv->listen_fd = -1;
}

int64_t gmw_server_drain(gmw_server *srv, unsigned grace_ms)
{
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        int64_t n = (int64_t)atomic_load(&srv->in_flight);
        if (n <= 0)
            return 0;
        if (elapsed_seconds(&start) * 1000.0 >= (double)grace_ms)
            return n;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

void gmw_server_stop(gmw_server *srv)
{
    if (srv == NULL)
        return;
    if (srv->daemon != NULL)
        MHD_stop_daemon(srv->daemon);
    if (srv->listen_fd != -1 && srv->owns_listen_fd)
        close(srv->listen_fd);
    snap_release(srv->cfg);
    pthread_mutex_destroy(&srv->cfg_lock);
    free(srv);
}
