/*
 * metrics.h - the webhook's Prometheus metrics and their text exposition format
 * (version 0.0.4).
 *
 * A gmw_metrics holds fixed, preallocated series updated with atomics, so the request
 * path never allocates or takes a lock (except the small container-outcome table,
 * guarded by a mutex). The server keeps one process-wide instance; tests make their
 * own. Metric names (all prefixed gomemlimit_webhook_):
 *
 *   admission_requests_total{operation,result}   counter
 *   admission_duration_seconds                     histogram (engine + encode time)
 *   containers_total{action,reason}                counter
 *   http_requests_total{route,code}                counter
 *   in_flight_requests                             gauge
 *   cert_expiry_timestamp_seconds                  gauge (notAfter of the served cert)
 *   cert_reloads_total{result}                     counter (success|failure)
 *   config_reloads_total{result}                   counter (success|failure)
 *   request_timeouts_total                         counter (bodies not in by requestTimeout)
 *   injections_total{pod_namespace,decision}       counter (Pod CREATEs reaching the engine;
 *                                                  bounded: see gmw_metrics_injection)
 *   config_info{ratio,gogc,request_policy}         gauge, always 1 (the running defaults)
 *   config_ratio                                   gauge (defaults.ratio)
 *   build_info{version}                            gauge, always 1
 *   process_start_time_seconds                     gauge
 */
#ifndef GMW_METRICS_H
#define GMW_METRICS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "compiler.h"
#include "dynbuf.h"
#include "review.h"

/* Label values of admission_requests_total. */
typedef enum {
    GMW_OP_CREATE = 0,
    GMW_OP_UPDATE,
    GMW_OP_DELETE,
    GMW_OP_CONNECT,
    GMW_OP_UNKNOWN,
    GMW_OP_COUNT
} gmw_metric_op;
typedef enum {
    GMW_RESULT_PATCHED = 0, /* allowed with a patch */
    GMW_RESULT_ALLOWED,     /* allowed, no change */
    GMW_RESULT_DENIED,      /* allowed: false */
    GMW_RESULT_IGNORED,     /* not a Pod CREATE */
    GMW_RESULT_ERROR,       /* request rejected with 400 (not an AdmissionReview) */
    GMW_RESULT_COUNT
} gmw_metric_result;

/* Label values of cert_reloads_total and config_reloads_total. FAILURE is 0 so that a
 * truth value (ok != 0) passed for it keeps its meaning. */
typedef enum { GMW_RELOAD_FAILURE = 0, GMW_RELOAD_SUCCESS, GMW_RELOAD_COUNT } gmw_reload_result;

/* Label values of http_requests_total. */
typedef enum {
    GMW_ROUTE_MUTATE = 0,
    GMW_ROUTE_HEALTHZ,
    GMW_ROUTE_READYZ,
    GMW_ROUTE_METRICS,
    GMW_ROUTE_VALIDATE,
    GMW_ROUTE_OTHER,
    GMW_ROUTE_COUNT
} gmw_metric_route;

#define GMW_METRICS_CODES 10 /* distinct HTTP codes tracked; others count as code="other" */
#define GMW_METRICS_BUCKETS 14
#define GMW_METRICS_CONTAINER_SERIES 64
#define GMW_METRICS_LABEL_MAX 48
/* Namespaces with their own injections_total series: at most GMW_METRICS_NAMESPACES_MAX,
 * GMW_METRICS_NAMESPACES_DEFAULT unless gmw_metrics_set_namespace_limit says otherwise. */
#define GMW_METRICS_NAMESPACES_MAX 256
#define GMW_METRICS_NAMESPACES_DEFAULT 64
#define GMW_METRICS_NS_LEN 64 /* a namespace is a DNS label: at most 63 characters */
/* Label values that no Kubernetes namespace can have (DNS labels have no '_'). */
#define GMW_METRICS_NS_OTHER "_other" /* namespaces beyond the limit */
#define GMW_METRICS_NS_NONE "_none"   /* a request without a namespace */

typedef struct {
    char action[GMW_METRICS_LABEL_MAX];
    char reason[GMW_METRICS_LABEL_MAX];
    uint64_t count;
} gmw_container_series;

/* injections_total decisions, in label order: patched, allowed, denied. */
#define GMW_METRICS_DECISIONS 3

typedef struct {
    char name[GMW_METRICS_NS_LEN];
    uint64_t count[GMW_METRICS_DECISIONS];
} gmw_namespace_series;

typedef struct {
    atomic_uint_fast64_t admissions[GMW_OP_COUNT][GMW_RESULT_COUNT];
    atomic_uint_fast64_t duration_buckets[GMW_METRICS_BUCKETS]; /* non-cumulative */
    atomic_uint_fast64_t duration_count;
    atomic_uint_fast64_t duration_sum_ns;
    atomic_uint_fast64_t http[GMW_ROUTE_COUNT][GMW_METRICS_CODES + 1];
    atomic_int_fast64_t in_flight;
    atomic_int_fast64_t cert_expiry;                     /* UNIX seconds; 0 = no certificate */
    atomic_uint_fast64_t cert_reloads[GMW_RELOAD_COUNT]; /* by gmw_reload_result */
    atomic_uint_fast64_t config_reloads[GMW_RELOAD_COUNT];
    atomic_uint_fast64_t request_timeouts;
    int64_t start_time; /* UNIX seconds */
    char version[32];
    pthread_mutex_t containers_lock;
    gmw_container_series containers[GMW_METRICS_CONTAINER_SERIES];
    unsigned container_series;
    /* injections_total and config_info: guarded by labels_lock. */
    pthread_mutex_t labels_lock;
    unsigned ns_limit, ns_series;
    gmw_namespace_series ns[GMW_METRICS_NAMESPACES_MAX];
    uint64_t ns_other[GMW_METRICS_DECISIONS];
    bool config_set;
    char config_ratio[8]; /* "0.9", "1", "0.0001" */
    char config_gogc[16];
    char config_policy[16];
} gmw_metrics;

/* Zero everything, record start_time and version (borrowed, copied). */
void gmw_metrics_init(gmw_metrics *m, int64_t start_time, const char *version);
void gmw_metrics_destroy(gmw_metrics *m);

/*
 * The label value of each enum (static strings): the one place a value is named. Out of
 * range gives the catch-all (GMW_OP_UNKNOWN "unknown", GMW_RESULT_ERROR "error",
 * GMW_ROUTE_OTHER "other", GMW_RELOAD_FAILURE "failure").
 */
const char *gmw_metrics_op_name(gmw_metric_op op);
const char *gmw_metrics_result_name(gmw_metric_result result);
const char *gmw_metrics_route_name(gmw_metric_route route);
const char *gmw_metrics_reload_result_name(gmw_reload_result result);

/* Map an AdmissionReview operation string ("CREATE", ...; NULL or "" -> unknown), the
 * inverse of gmw_metrics_op_name. */
gmw_metric_op gmw_metrics_op_from_string(const char *op);
/* The result label of an answered review: its decision (NULL, i.e. no answer -> error). */
gmw_metric_result gmw_metrics_result_of(const gmw_review_outcome *outcome);

/* Count one admission and observe its duration in seconds. */
void gmw_metrics_admission(gmw_metrics *m, gmw_metric_op op, gmw_metric_result result,
                           double seconds);
/* Count one container outcome; action/reason are copied (truncated to the label max).
 * When the table is full, new pairs are counted under reason="other". */
void gmw_metrics_container(gmw_metrics *m, const char *action, const char *reason);
/*
 * Count one Pod CREATE the engine decided, in injections_total{pod_namespace,decision}: result
 * GMW_RESULT_PATCHED, _ALLOWED or _DENIED (others are not counted). ns is copied (NULL or ""
 * counts as "_none"). The first ns_limit distinct namespaces get their own series, kept for
 * the life of the process (so every series is a monotonic counter); later namespaces count
 * under pod_namespace="_other" ("_none" takes a slot like any namespace), so the output has at
 * most 3 x (limit + 1) series. (The label is not "namespace": Prometheus' target label of
 * that name would rename it to exported_namespace.)
 */
void gmw_metrics_injection(gmw_metrics *m, const char *ns, gmw_metric_result result);
/* Set the namespace limit (clamped to GMW_METRICS_NAMESPACES_MAX; 0 = every namespace under
 * "_other"). Call before counting: namespaces already seen keep their series. */
void gmw_metrics_set_namespace_limit(gmw_metrics *m, unsigned limit);
/* Record the running defaults for config_info and config_ratio: ratio in 1/10000
 * (1..10000), gogc ("100", "off") and request policy ("match", ...) copied (truncated). */
void gmw_metrics_set_config(gmw_metrics *m, uint32_t ratio_e4, const char *gogc,
                            const char *request_policy);
/* Format ratio_e4 (1..10000) as the shortest decimal ("0.9", "0.0001", "1") into out[8]. */
void gmw_metrics_format_ratio(uint32_t ratio_e4, char out[8]);

/* Count one HTTP response. */
void gmw_metrics_http(gmw_metrics *m, gmw_metric_route route, unsigned code);
void gmw_metrics_in_flight_add(gmw_metrics *m, int delta);
int64_t gmw_metrics_in_flight(gmw_metrics *m);
void gmw_metrics_cert_expiry(gmw_metrics *m, int64_t not_after);
/* Count one reload of the certificate pair / the config file (result out of range counts
 * as GMW_RELOAD_SUCCESS, as any true value did). */
void gmw_metrics_cert_reload(gmw_metrics *m, gmw_reload_result result);
void gmw_metrics_config_reload(gmw_metrics *m, gmw_reload_result result);
/* Count one request aborted because its body had not arrived within requestTimeout. */
void gmw_metrics_request_timeout(gmw_metrics *m);

/*
 * Append the whole exposition text to out. Returns 0 or the dynbuf error (-E2BIG,
 * -ENOMEM; out is then empty).
 */
GMW_MUST_CHECK int gmw_metrics_render(gmw_metrics *m, gmw_dynbuf *out);

/* Append a Prometheus label value, escaped (\\, \", \n), without quotes. */
GMW_MUST_CHECK int gmw_metrics_escape_label(gmw_dynbuf *out, const char *value);

/* Upper bounds (seconds) of the duration histogram buckets, ascending (+Inf implied). */
extern const double gmw_metrics_bucket_bounds[GMW_METRICS_BUCKETS];

#endif
