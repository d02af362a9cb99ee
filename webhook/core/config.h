/*
 * config.h - the configuration file (YAML, libyaml) shared by `mutate` and `serve`.
 *
 * Example (every key optional; defaults shown):
 *
 *   defaults:
 *     ratio: 0.9            # GOMEMLIMIT = ratio x limits.memory, (0, 1], <= 4 decimals
 *     gogc: "100"           # 1..100000 or "off"
 *     requestPolicy: match  # match | limit | keep
 *   minLimit: 16Mi          # smaller memory limits are skipped (Kubernetes quantity)
 *   excludeNamespaces: [kube-system, kube-public, kube-node-lease]
 *   invalidAnnotations: deny  # deny | warn
 *   preview: dry-run        # dry-run | always | off: workload preview warnings (/validate)
 *   malformedGOMEMLIMIT: repair  # repair | keep | deny: a user GOMEMLIMIT Go cannot parse
 *   exclude:
 *     images: []            # fnmatch(3) patterns of container images never touched
 *   shim:
 *     enabled: false
 *     image: "gomemlimit-webhook:0.1.0"     # image holding /gomemlimit-shim (imageref.h)
 *     imagePullPolicy: IfNotPresent         # Always | IfNotPresent | Never
 *   # server keys (used by `serve`, accepted everywhere)
 *   listen: ":8443"         # host:port, :port or [v6]:port (listen.h)
 *   tls: {certFile: /etc/webhook/tls/tls.crt, keyFile: /etc/webhook/tls/tls.key}
 *   threads: 0              # 0 = number of CPUs
 *   connectionLimit: 1024
 *   perIpConnectionLimit: 512  # 0 = no per-address cap
 *   headerTimeout: 10s      # accept to the end of the first request's headers
 *   idleTimeout: 120s       # integer seconds or <n>ms/<n>s/<n>m/<n>h (duration.h)
 *   requestTimeout: 10s
 *   shutdownGracePeriod: 20s
 *   maxBody: 8Mi            # Kubernetes quantity
 *   logLevel: info          # debug | info | warn | error
 *
 * Unknown keys, duplicate keys, wrong types and bad values are errors reported as
 * "FILE:LINE:COLUMN: message" (1-based line and column). Aliases and more than one
 * document are rejected. excludeNamespaces, when given, replaces the default list
 * ([] excludes nothing). Booleans are exactly true or false. docs/config.md has the
 * full reference (types, ranges, defaults).
 */
#ifndef GMW_CONFIG_H
#define GMW_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compiler.h"

typedef enum { GMW_REQUEST_MATCH = 0, GMW_REQUEST_LIMIT, GMW_REQUEST_KEEP } gmw_request_policy;
typedef enum { GMW_INVALID_DENY = 0, GMW_INVALID_WARN } gmw_invalid_mode;
/* /validate preview warnings: only for request.dryRun (default), always, or never. */
typedef enum { GMW_PREVIEW_DRY_RUN = 0, GMW_PREVIEW_ALWAYS, GMW_PREVIEW_OFF } gmw_preview_mode;
typedef enum { GMW_LOG_DEBUG = 0, GMW_LOG_INFO, GMW_LOG_WARN, GMW_LOG_ERROR } gmw_log_level;
/* What to do with a user GOMEMLIMIT that Go cannot parse (it aborts at start). repair: a
 * Kubernetes quantity becomes the Go value for the same bytes, anything else is replaced by
 * the computed value (removed when there is none); keep: leave it, warn; deny: refuse. */
typedef enum {
    GMW_MALFORMED_REPAIR = 0,
    GMW_MALFORMED_KEEP,
    GMW_MALFORMED_DENY
} gmw_malformed_mode;

#define GMW_CONFIG_MAX_EXCLUDES 64
#define GMW_CONFIG_MAX_IMAGE_PATTERNS 64
#define GMW_CONFIG_IMAGE_PATTERN 256 /* capacity: at most 255 characters */
#define GMW_CONFIG_STR 256
#define GMW_CONFIG_PATH 1024
#define GMW_CONFIG_ERR 512

/* Ranges (seconds) of the duration keys, shared with the `serve` flags. */
#define GMW_HEADER_TIMEOUT_MIN_S 1u
#define GMW_HEADER_TIMEOUT_MAX_S 3600u
#define GMW_IDLE_TIMEOUT_MIN_S 1u
#define GMW_IDLE_TIMEOUT_MAX_S 86400u
#define GMW_REQUEST_TIMEOUT_MIN_S 1u
#define GMW_REQUEST_TIMEOUT_MAX_S 3600u
#define GMW_SHUTDOWN_GRACE_MIN_S 0u
#define GMW_SHUTDOWN_GRACE_MAX_S 3600u

typedef struct {
    /* engine */
    uint32_t ratio_e4; /* default 9000 */
    char gogc[16];     /* default "100" */
    gmw_request_policy request_policy;
    int64_t min_limit_bytes; /* default 16Mi */
    char exclude_namespaces[GMW_CONFIG_MAX_EXCLUDES][64];
    size_t exclude_count; /* default 3: kube-system, kube-public, kube-node-lease */
    gmw_invalid_mode invalid_annotations;
    gmw_preview_mode preview;                /* default dry-run */
    gmw_malformed_mode malformed_gomemlimit; /* default repair */
    char exclude_images[GMW_CONFIG_MAX_IMAGE_PATTERNS][GMW_CONFIG_IMAGE_PATTERN];
    size_t exclude_image_count;      /* default 0 */
    bool shim_enabled;               /* default false */
    char shim_image[GMW_CONFIG_STR]; /* default "gomemlimit-webhook:<version>" */
    char shim_pull_policy[16];       /* default "IfNotPresent" */
    /* server */
    char listen[GMW_CONFIG_STR]; /* default ":8443" */
    char tls_cert_file[GMW_CONFIG_PATH];
    char tls_key_file[GMW_CONFIG_PATH];
    unsigned threads;                 /* 0 = CPU count */
    unsigned connection_limit;        /* default 1024 */
    unsigned per_ip_connection_limit; /* default 512; 0 = none */
    unsigned header_timeout_s;        /* default 10 */
    unsigned idle_timeout_s;          /* default 120 */
    unsigned request_timeout_s;       /* default 10 */
    unsigned shutdown_grace_s;        /* default 20 */
    int64_t max_body_bytes;           /* default 8 MiB */
    gmw_log_level log_level;          /* default info */
} gmw_config;

/* Fill *cfg with the defaults above. */
void gmw_config_defaults(gmw_config *cfg);

/*
 * Parse YAML text buf[0..len) into *cfg, starting from the defaults. `filename` is
 * only used in messages. Returns 0; -EINVAL (bad input, or cfg NULL) with
 * "FILE:LINE:COL: message" in err (NUL-terminated, truncated to errcap; err may be NULL);
 * -ENOMEM when out of memory ("FILE:1:1: out of memory..."). On error *cfg is left
 * untouched. An empty document (or only comments, "---", "~") yields the defaults.
 * Pure: no I/O. *cfg owns no heap memory.
 */
GMW_MUST_CHECK int gmw_config_parse(const char *buf, size_t len, const char *filename,
                                    gmw_config *cfg, char *err, size_t errcap);

/* Is ns in cfg->exclude_namespaces? */
bool gmw_config_namespace_excluded(const gmw_config *cfg, const char *ns);

/*
 * The first exclude.images pattern that matches `image` (fnmatch(3), no flags: '*' also
 * matches '/'), borrowed from cfg; NULL when none matches or image is NULL.
 */
const char *gmw_config_image_excluded(const gmw_config *cfg, const char *image);

/* Names for enums, as written in the config file ("match", "warn", "info"...). */
const char *gmw_request_policy_name(gmw_request_policy p);
const char *gmw_log_level_name(gmw_log_level l);
const char *gmw_preview_mode_name(gmw_preview_mode m);
const char *gmw_malformed_mode_name(gmw_malformed_mode m);

#endif
