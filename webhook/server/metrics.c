/*
 * metrics.c - Prometheus metrics; see metrics.h.
 */
#include "metrics.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PREFIX "gomemlimit_webhook_"

const double gmw_metrics_bucket_bounds[GMW_METRICS_BUCKETS] = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
static const char *const bucket_labels[GMW_METRICS_BUCKETS] = {
    "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05",
    "0.1",    "0.25",  "0.5",    "1",     "2.5",  "5",     "10"};

static const char *const op_names[GMW_OP_COUNT] = {"CREATE", "UPDATE", "DELETE", "CONNECT",
                                                   "unknown"};
static const char *const result_names[GMW_RESULT_COUNT] = {"patched", "allowed", "denied",
                                                           "ignored", "error"};
static const char *const route_names[GMW_ROUTE_COUNT] = {"/mutate",  "/healthz",  "/readyz",
                                                         "/metrics", "/validate", "other"};
static const char *const reload_names[GMW_RELOAD_COUNT] = {"failure", "success"};
static const unsigned tracked_codes[GMW_METRICS_CODES] = {200, 400, 404, 405, 408,
                                                          413, 415, 431, 500, 503};

void gmw_metrics_init(gmw_metrics *m, int64_t start_time, const char *version)
{
    memset(m, 0, sizeof *m);
    for (int o = 0; o < GMW_OP_COUNT; o++)
        for (int r = 0; r < GMW_RESULT_COUNT; r++)
            atomic_init(&m->admissions[o][r], 0);
    for (int b = 0; b < GMW_METRICS_BUCKETS; b++)
        atomic_init(&m->duration_buckets[b], 0);
    atomic_init(&m->duration_count, 0);
    atomic_init(&m->duration_sum_ns, 0);
    for (int r = 0; r < GMW_ROUTE_COUNT; r++)
        for (int c = 0; c <= GMW_METRICS_CODES; c++)
            atomic_init(&m->http[r][c], 0);
    atomic_init(&m->in_flight, 0);
    atomic_init(&m->cert_expiry, 0);
    for (int i = 0; i < GMW_RELOAD_COUNT; i++) {
        atomic_init(&m->cert_reloads[i], 0);
        atomic_init(&m->config_reloads[i], 0);
    }
    atomic_init(&m->request_timeouts, 0);
    m->start_time = start_time;
    size_t vl = strlen(version);
    if (vl >= sizeof m->version)
        vl = sizeof m->version - 1;
    memcpy(m->version, version, vl);
    m->version[vl] = '\0';
    pthread_mutex_init(&m->containers_lock, NULL);
    pthread_mutex_init(&m->labels_lock, NULL);
    m->ns_limit = GMW_METRICS_NAMESPACES_DEFAULT;
}

void gmw_metrics_destroy(gmw_metrics *m)
{
    pthread_mutex_destroy(&m->containers_lock);
    pthread_mutex_destroy(&m->labels_lock);
}

const char *gmw_metrics_op_name(gmw_metric_op op)
{
    return op_names[(unsigned)op < GMW_OP_COUNT ? op : GMW_OP_UNKNOWN];
}

const char *gmw_metrics_result_name(gmw_metric_result result)
{
    return result_names[(unsigned)result < GMW_RESULT_COUNT ? result : GMW_RESULT_ERROR];
}

const char *gmw_metrics_route_name(gmw_metric_route route)
{
    return route_names[(unsigned)route < GMW_ROUTE_COUNT ? route : GMW_ROUTE_OTHER];
}

const char *gmw_metrics_reload_result_name(gmw_reload_result result)
{
    return reload_names[(unsigned)result < GMW_RELOAD_COUNT ? result : GMW_RELOAD_FAILURE];
}

gmw_metric_op gmw_metrics_op_from_string(const char *op)
{
    if (op == NULL)
        return GMW_OP_UNKNOWN;
    for (int i = 0; i < GMW_OP_UNKNOWN; i++)
        if (strcmp(op, gmw_metrics_op_name((gmw_metric_op)i)) == 0)
            return (gmw_metric_op)i;
    return GMW_OP_UNKNOWN;
}

gmw_metric_result gmw_metrics_result_of(const gmw_review_outcome *outcome)
{
    if (outcome == NULL)
        return GMW_RESULT_ERROR;
    switch (outcome->decision) {
    case GMW_DECISION_PATCHED:
        return GMW_RESULT_PATCHED;
    case GMW_DECISION_ALLOWED:
        return GMW_RESULT_ALLOWED;
    case GMW_DECISION_DENIED:
        return GMW_RESULT_DENIED;
    case GMW_DECISION_IGNORED:
        return GMW_RESULT_IGNORED;
    }
    return GMW_RESULT_ERROR;
}

/* The counter index of a reload result: anything but FAILURE is a success. */
static int reload_index(gmw_reload_result result)
{
    return result == GMW_RELOAD_FAILURE ? GMW_RELOAD_FAILURE : GMW_RELOAD_SUCCESS;
}

void gmw_metrics_admission(gmw_metrics *m, gmw_metric_op op, gmw_metric_result result,
                           double seconds)
{
    if ((unsigned)op >= GMW_OP_COUNT)
        op = GMW_OP_UNKNOWN;
    if ((unsigned)result >= GMW_RESULT_COUNT)
        result = GMW_RESULT_ERROR;
    atomic_fetch_add(&m->admissions[op][result], 1);
    if (!(seconds >= 0))
        seconds = 0;
    int b = 0;
    while (b < GMW_METRICS_BUCKETS && seconds > gmw_metrics_bucket_bounds[b])
        b++;
    if (b < GMW_METRICS_BUCKETS)
        atomic_fetch_add(&m->duration_buckets[b], 1);
    atomic_fetch_add(&m->duration_count, 1);
    double ns = seconds * 1e9;
    atomic_fetch_add(&m->duration_sum_ns, ns > 1e18 ? (uint64_t)1e18 : (uint64_t)(ns + 0.5));
}

/* Copy a label value into dst (cap GMW_METRICS_LABEL_MAX), truncated. */
static void copy_label(char *dst, const char *src)
{
    size_t n = strlen(src);
    if (n >= GMW_METRICS_LABEL_MAX)
        n = GMW_METRICS_LABEL_MAX - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

void gmw_metrics_container(gmw_metrics *m, const char *action, const char *reason)
{
    char a[GMW_METRICS_LABEL_MAX], r[GMW_METRICS_LABEL_MAX];
    copy_label(a, action != NULL ? action : "unknown");
    copy_label(r, reason != NULL ? reason : "unknown");
    pthread_mutex_lock(&m->containers_lock);
    for (int pass = 0; pass < 2; pass++) {
        for (unsigned i = 0; i < m->container_series; i++) {
            gmw_container_series *s = &m->containers[i];
            if (strcmp(s->action, a) == 0 && strcmp(s->reason, r) == 0) {
                s->count++;
                goto out;
            }
        }
        /* Keep the last slot for the overflow series reason="other". */
        if (m->container_series < GMW_METRICS_CONTAINER_SERIES - 1 ||
            (pass == 1 && m->container_series < GMW_METRICS_CONTAINER_SERIES)) {
            gmw_container_series *s = &m->containers[m->container_series++];
            memcpy(s->action, a, sizeof a);
            memcpy(s->reason, r, sizeof r);
            s->count = 1;
            goto out;
        }
        copy_label(a, "other");
        copy_label(r, "other");
    }
out:
    pthread_mutex_unlock(&m->containers_lock);
}

/* injections_total's decisions are the first GMW_METRICS_DECISIONS results, named by
 * gmw_metrics_result_name. */
_Static_assert(GMW_RESULT_PATCHED == 0 && GMW_RESULT_ALLOWED == 1 && GMW_RESULT_DENIED == 2 &&
                   GMW_METRICS_DECISIONS == 3,
               "injections_total decisions index the first results");

void gmw_metrics_set_namespace_limit(gmw_metrics *m, unsigned limit)
{
    pthread_mutex_lock(&m->labels_lock);
    m->ns_limit = limit > GMW_METRICS_NAMESPACES_MAX ? GMW_METRICS_NAMESPACES_MAX : limit;
    pthread_mutex_unlock(&m->labels_lock);
}

void gmw_metrics_injection(gmw_metrics *m, const char *ns, gmw_metric_result result)
{
    int d;
    if (result == GMW_RESULT_PATCHED)
        d = 0;
    else if (result == GMW_RESULT_ALLOWED)
        d = 1;
    else if (result == GMW_RESULT_DENIED)
        d = 2;
    else
        return;
    char name[GMW_METRICS_NS_LEN];
    size_t n = ns != NULL ? strlen(ns) : 0;
    if (n == 0) {
        memcpy(name, GMW_METRICS_NS_NONE, sizeof GMW_METRICS_NS_NONE);
    } else {
        if (n >= sizeof name)
            n = sizeof name - 1;
        memcpy(name, ns, n);
        name[n] = '\0';
    }
    pthread_mutex_lock(&m->labels_lock);
    for (unsigned i = 0; i < m->ns_series; i++) {
        if (strcmp(m->ns[i].name, name) == 0) {
            m->ns[i].count[d]++;
            goto out;
        }
    }
    if (m->ns_series < m->ns_limit) {
        gmw_namespace_series *s = &m->ns[m->ns_series++];
        memcpy(s->name, name, sizeof name);
        memset(s->count, 0, sizeof s->count);
        s->count[d] = 1;
    } else {
        m->ns_other[d]++;
    }
out:
    pthread_mutex_unlock(&m->labels_lock);
}

void gmw_metrics_format_ratio(uint32_t ratio_e4, char out[8])
{
    if (ratio_e4 >= 10000) {
        memcpy(out, "1", 2);
        return;
    }
    /* "0." and four digits, then drop trailing zeros (ratio_e4 > 0 keeps one digit). */
    snprintf(out, 8, "0.%04u", (unsigned)ratio_e4);
    size_t len = strlen(out);
    while (len > 2 && out[len - 1] == '0')
        out[--len] = '\0';
    if (len == 2)
        memcpy(out, "0", 2);
}

void gmw_metrics_set_config(gmw_metrics *m, uint32_t ratio_e4, const char *gogc,
                            const char *request_policy)
{
    char ratio[8];
    gmw_metrics_format_ratio(ratio_e4, ratio);
    pthread_mutex_lock(&m->labels_lock);
    memcpy(m->config_ratio, ratio, sizeof ratio);
    snprintf(m->config_gogc, sizeof m->config_gogc, "%s", gogc != NULL ? gogc : "");
    snprintf(m->config_policy, sizeof m->config_policy, "%s",
             request_policy != NULL ? request_policy : "");
    m->config_set = true;
    pthread_mutex_unlock(&m->labels_lock);
}

void gmw_metrics_http(gmw_metrics *m, gmw_metric_route route, unsigned code)
{
    if ((unsigned)route >= GMW_ROUTE_COUNT)
        route = GMW_ROUTE_OTHER;
    int idx = GMW_METRICS_CODES;
    for (int i = 0; i < GMW_METRICS_CODES; i++)
        if (tracked_codes[i] == code)
            idx = i;
    atomic_fetch_add(&m->http[route][idx], 1);
}

void gmw_metrics_in_flight_add(gmw_metrics *m, int delta)
{
    atomic_fetch_add(&m->in_flight, delta);
}

int64_t gmw_metrics_in_flight(gmw_metrics *m)
{
    return (int64_t)atomic_load(&m->in_flight);
}

void gmw_metrics_cert_expiry(gmw_metrics *m, int64_t not_after)
{
    atomic_store(&m->cert_expiry, not_after);
}

void gmw_metrics_cert_reload(gmw_metrics *m, gmw_reload_result result)
{
    atomic_fetch_add(&m->cert_reloads[reload_index(result)], 1);
}

void gmw_metrics_config_reload(gmw_metrics *m, gmw_reload_result result)
{
    atomic_fetch_add(&m->config_reloads[reload_index(result)], 1);
}

void gmw_metrics_request_timeout(gmw_metrics *m)
{
    atomic_fetch_add(&m->request_timeouts, 1);
}

int gmw_metrics_escape_label(gmw_dynbuf *out, const char *value)
{
    for (const char *p = value; *p != '\0'; p++) {
        int rc;
        if (*p == '\\')
            rc = gmw_dynbuf_add(out, "\\\\", 2);
        else if (*p == '"')
            rc = gmw_dynbuf_add(out, "\\\"", 2);
        else if (*p == '\n')
            rc = gmw_dynbuf_add(out, "\\n", 2);
        else
            rc = gmw_dynbuf_add(out, p, 1);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int header(gmw_dynbuf *out, const char *name, const char *type, const char *help)
{
    return gmw_dynbuf_addf(out, "# HELP " PREFIX "%s %s\n# TYPE " PREFIX "%s %s\n", name, help,
                           name, type);
}

/* "name{k1="v1",k2="v2"} value\n" with escaped label values (k2 may be NULL). */
static int series2(gmw_dynbuf *out, const char *name, const char *k1, const char *v1,
                   const char *k2, const char *v2, uint64_t value)
{
    int rc = gmw_dynbuf_addf(out, PREFIX "%s{%s=\"", name, k1);
    if (rc == 0)
        rc = gmw_metrics_escape_label(out, v1);
    if (rc == 0 && k2 != NULL) {
        rc = gmw_dynbuf_addf(out, "\",%s=\"", k2);
        if (rc == 0)
            rc = gmw_metrics_escape_label(out, v2);
    }
    if (rc == 0)
        rc = gmw_dynbuf_addf(out, "\"} %llu\n", (unsigned long long)value);
    return rc;
}

/* injections_total, config_info and config_ratio from a snapshot taken under labels_lock. */
static int render_labelled(gmw_metrics *m, gmw_dynbuf *out)
{
    gmw_namespace_series *snap = malloc(GMW_METRICS_NAMESPACES_MAX * sizeof *snap);
    if (snap == NULL)
        return -ENOMEM;
    uint64_t other[GMW_METRICS_DECISIONS];
    char ratio[8], gogc[16], policy[16];
    pthread_mutex_lock(&m->labels_lock);
    unsigned nseries = m->ns_series;
    memcpy(snap, m->ns, nseries * sizeof snap[0]);
    memcpy(other, m->ns_other, sizeof other);
    bool config_set = m->config_set;
    memcpy(ratio, m->config_ratio, sizeof ratio);
    memcpy(gogc, m->config_gogc, sizeof gogc);
    memcpy(policy, m->config_policy, sizeof policy);
    unsigned limit = m->ns_limit;
    pthread_mutex_unlock(&m->labels_lock);

    char help[256];
    snprintf(
        help, sizeof help,
        "Pod CREATE admissions by namespace and decision (patched = settings injected). "
        "The first %u namespaces get their own series, later ones count as pod_namespace=\"%s\".",
        limit, GMW_METRICS_NS_OTHER);
    int rc = header(out, "injections_total", "counter", help);
    for (unsigned i = 0; rc == 0 && i < nseries; i++)
        for (int d = 0; rc == 0 && d < GMW_METRICS_DECISIONS; d++)
            rc = series2(out, "injections_total", "pod_namespace", snap[i].name, "decision",
                         gmw_metrics_result_name((gmw_metric_result)d), snap[i].count[d]);
    if (rc == 0 && (other[0] | other[1] | other[2]) != 0)
        for (int d = 0; rc == 0 && d < GMW_METRICS_DECISIONS; d++)
            rc = series2(out, "injections_total", "pod_namespace", GMW_METRICS_NS_OTHER, "decision",
                         gmw_metrics_result_name((gmw_metric_result)d), other[d]);
    if (rc != 0 || !config_set)
        goto out;
    rc = header(out, "config_info", "gauge",
                "The running defaults (defaults.ratio, defaults.gogc, defaults.requestPolicy); "
                "always 1.");
    if (rc == 0)
        rc = gmw_dynbuf_addf(out, PREFIX "config_info{ratio=\"");
    if (rc == 0)
        rc = gmw_metrics_escape_label(out, ratio);
    if (rc == 0)
        rc = gmw_dynbuf_addf(out, "\",gogc=\"");
    if (rc == 0)
        rc = gmw_metrics_escape_label(out, gogc);
    if (rc == 0)
        rc = gmw_dynbuf_addf(out, "\",request_policy=\"");
    if (rc == 0)
        rc = gmw_metrics_escape_label(out, policy);
    if (rc == 0)
        rc = gmw_dynbuf_addf(out, "\"} 1\n");
    if (rc == 0)
        rc = header(out, "config_ratio", "gauge",
                    "defaults.ratio: GOMEMLIMIT = ratio x limits.memory.");
    if (rc == 0)
        rc = gmw_dynbuf_addf(out, PREFIX "config_ratio %s\n", ratio);
out:
    free(snap);
    return rc;
}

/* The two series of a reload counter: success first, then failure. */
static int reload_series(gmw_dynbuf *out, const char *name, atomic_uint_fast64_t *counts)
{
    static const gmw_reload_result order[2] = {GMW_RELOAD_SUCCESS, GMW_RELOAD_FAILURE};
    for (int i = 0; i < 2; i++) {
        int rc = series2(out, name, "result", gmw_metrics_reload_result_name(order[i]), NULL, NULL,
                         atomic_load(&counts[order[i]]));
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* Append expr's output; on failure return its error from the enclosing function. */
#define TRY(expr)                                                                                  \
    do {                                                                                           \
        rc = (expr);                                                                               \
        if (rc != 0)                                                                               \
            return rc;                                                                             \
    } while (0)

/* admission_requests_total{operation,result}: only series seen. */
static int render_admissions(gmw_metrics *m, gmw_dynbuf *out)
{
    int rc;
    TRY(header(out, "admission_requests_total", "counter",
               "AdmissionReview requests answered, by operation and result."));
    for (int o = 0; o < GMW_OP_COUNT; o++)
        for (int r = 0; r < GMW_RESULT_COUNT; r++) {
            uint64_t v = atomic_load(&m->admissions[o][r]);
            if (v != 0)
                TRY(series2(out, "admission_requests_total", "operation",
                            gmw_metrics_op_name((gmw_metric_op)o), "result",
                            gmw_metrics_result_name((gmw_metric_result)r), v));
        }
    return 0;
}

/* admission_duration_seconds: cumulative buckets, sum, count. */
static int render_duration(gmw_metrics *m, gmw_dynbuf *out)
{
    int rc;
    TRY(header(out, "admission_duration_seconds", "histogram",
               "Time to decide one AdmissionReview (parse, engine, encode)."));
    uint64_t cumulative = 0;
    for (int b = 0; b < GMW_METRICS_BUCKETS; b++) {
        cumulative += atomic_load(&m->duration_buckets[b]);
        TRY(gmw_dynbuf_addf(out, PREFIX "admission_duration_seconds_bucket{le=\"%s\"} %llu\n",
                            bucket_labels[b], (unsigned long long)cumulative));
    }
    uint64_t count = atomic_load(&m->duration_count);
    TRY(gmw_dynbuf_addf(out, PREFIX "admission_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
                        (unsigned long long)count));
    uint64_t sum_ns = atomic_load(&m->duration_sum_ns);
    TRY(gmw_dynbuf_addf(out, PREFIX "admission_duration_seconds_sum %llu.%09llu\n",
                        (unsigned long long)(sum_ns / 1000000000u),
                        (unsigned long long)(sum_ns % 1000000000u)));
    TRY(gmw_dynbuf_addf(out, PREFIX "admission_duration_seconds_count %llu\n",
                        (unsigned long long)count));
    return 0;
}

/* containers_total{action,reason} from a snapshot of the table. */
static int render_containers(gmw_metrics *m, gmw_dynbuf *out)
{
    int rc;
    TRY(header(out, "containers_total", "counter",
               "Containers looked at in Pod CREATE requests, by action and reason."));
    gmw_container_series snap[GMW_METRICS_CONTAINER_SERIES];
    pthread_mutex_lock(&m->containers_lock);
    unsigned nseries = m->container_series;
    memcpy(snap, m->containers, nseries * sizeof snap[0]);
    pthread_mutex_unlock(&m->containers_lock);
    for (unsigned i = 0; i < nseries; i++)
        TRY(series2(out, "containers_total", "action", snap[i].action, "reason", snap[i].reason,
                    snap[i].count));
    return 0;
}

/* http_requests_total{route,code}: only series seen. */
static int render_http(gmw_metrics *m, gmw_dynbuf *out)
{
    int rc;
    TRY(header(out, "http_requests_total", "counter", "HTTP responses, by route and status code."));
    for (int r = 0; r < GMW_ROUTE_COUNT; r++)
        for (int c = 0; c <= GMW_METRICS_CODES; c++) {
            uint64_t v = atomic_load(&m->http[r][c]);
            if (v == 0)
                continue;
            char code[16];
            if (c == GMW_METRICS_CODES)
                memcpy(code, "other", 6);
            else
                snprintf(code, sizeof code, "%u", tracked_codes[c]);
            TRY(series2(out, "http_requests_total", "route",
                        gmw_metrics_route_name((gmw_metric_route)r), "code", code, v));
        }
    return 0;
}

/* The single-series gauges and counters, and the reload counters. */
static int render_gauges_and_counters(gmw_metrics *m, gmw_dynbuf *out)
{
    int rc;
    TRY(header(out, "in_flight_requests", "gauge", "HTTP requests being received or answered."));
    TRY(gmw_dynbuf_addf(out, PREFIX "in_flight_requests %lld\n",
                        (long long)atomic_load(&m->in_flight)));

    TRY(header(out, "cert_expiry_timestamp_seconds", "gauge",
               "notAfter of the serving certificate, UNIX seconds."));
    TRY(gmw_dynbuf_addf(out, PREFIX "cert_expiry_timestamp_seconds %lld\n",
                        (long long)atomic_load(&m->cert_expiry)));

    TRY(header(out, "cert_reloads_total", "counter",
               "Serving certificate reloads after a file change, by result."));
    TRY(reload_series(out, "cert_reloads_total", m->cert_reloads));

    TRY(header(out, "config_reloads_total", "counter",
               "Configuration file reloads after a file change, by result."));
    TRY(reload_series(out, "config_reloads_total", m->config_reloads));

    TRY(header(out, "request_timeouts_total", "counter",
               "Requests aborted because the body had not arrived within requestTimeout."));
    TRY(gmw_dynbuf_addf(out, PREFIX "request_timeouts_total %llu\n",
                        (unsigned long long)atomic_load(&m->request_timeouts)));

    return 0;
}

/* build_info and process_start_time_seconds. */
static int render_process(gmw_metrics *m, gmw_dynbuf *out)
{
    int rc;
    TRY(header(out, "build_info", "gauge", "Build information; the value is always 1."));
    TRY(series2(out, "build_info", "version", m->version, NULL, NULL, 1));

    TRY(header(out, "process_start_time_seconds", "gauge",
               "Start time of the process, UNIX seconds."));
    TRY(gmw_dynbuf_addf(out, PREFIX "process_start_time_seconds %lld\n", (long long)m->start_time));
    return 0;
}

int gmw_metrics_render(gmw_metrics *m, gmw_dynbuf *out)
{
    int rc;
    TRY(render_admissions(m, out));
    TRY(render_duration(m, out));
    TRY(render_containers(m, out));
    TRY(render_http(m, out));
    TRY(render_gauges_and_counters(m, out));
    TRY(render_labelled(m, out));
    TRY(render_process(m, out));
    return 0;
}
#undef TRY
