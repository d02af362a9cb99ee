/*
 * config.c - the YAML configuration file (libyaml), strictly validated.
 *
 * Two passes over the text:
 *   1. the event parser, to report syntax errors with libyaml's problem mark and to
 *      reject aliases (libyaml's loader would silently share the node) and extra
 *      documents at the place they occur;
 *   2. the document loader, whose nodes carry marks for "FILE:LINE:COL" messages.
 * libyaml resolves no types (every plain scalar is a string) and does not detect
 * duplicate keys, so both are done here, by a small schema walk. The result is built
 * in a local copy and only stored in *cfg when the whole file is valid.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "duration.h"
#include "imageref.h"
#include "k8sname.h"
#include "listen.h"
#include "memlimit.h"
#include "quantity.h"

#ifndef GMW_VERSION
#define GMW_VERSION "0.0.0"
#endif

#define CONFIG_FILE_MAX ((size_t)1 << 20)

void gmw_config_defaults(gmw_config *cfg)
{
    static const char *const default_excludes[] = {"kube-system", "kube-public", "kube-node-lease"};

    memset(cfg, 0, sizeof *cfg);
    cfg->ratio_e4 = 9000;
    snprintf(cfg->gogc, sizeof cfg->gogc, "%s", "100");
    cfg->request_policy = GMW_REQUEST_MATCH;
    cfg->min_limit_bytes = 16 * GMW_MIB;
    for (size_t i = 0; i < sizeof default_excludes / sizeof default_excludes[0]; i++)
        snprintf(cfg->exclude_namespaces[i], sizeof cfg->exclude_namespaces[i], "%s",
                 default_excludes[i]);
    cfg->exclude_count = sizeof default_excludes / sizeof default_excludes[0];
    cfg->invalid_annotations = GMW_INVALID_DENY;
    cfg->shim_enabled = false;
    snprintf(cfg->shim_image, sizeof cfg->shim_image, "%s", "gomemlimit-webhook:" GMW_VERSION);
    snprintf(cfg->shim_pull_policy, sizeof cfg->shim_pull_policy, "%s", "IfNotPresent");
    snprintf(cfg->listen, sizeof cfg->listen, "%s", ":8443");
    snprintf(cfg->tls_cert_file, sizeof cfg->tls_cert_file, "%s", "/etc/webhook/tls/tls.crt");
    snprintf(cfg->tls_key_file, sizeof cfg->tls_key_file, "%s", "/etc/webhook/tls/tls.key");
    cfg->threads = 0;
    cfg->connection_limit = 1024;
    cfg->per_ip_connection_limit = 512;
    cfg->header_timeout_s = 10;
    cfg->idle_timeout_s = 120;
    cfg->request_timeout_s = 10;
    cfg->shutdown_grace_s = 20;
    cfg->max_body_bytes = 8 * GMW_MIB;
    cfg->log_level = GMW_LOG_INFO;
}

/* ---- error reporting ------------------------------------------------------- */

typedef struct {
    const char *filename;
    char *err;
    size_t errcap;
    yaml_document_t *doc;
    gmw_config *cfg;
} cfg_ctx;

static int error_at(cfg_ctx *c, size_t line0, size_t col0, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Write "FILE:LINE:COL: message" (1-based) into the caller's buffer; returns -1. */
static int error_at(cfg_ctx *c, size_t line0, size_t col0, const char *fmt, ...)
{
    char msg[GMW_CONFIG_ERR];
    va_list ap;

    if (c->err == NULL || c->errcap == 0)
        return -1;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(c->err, c->errcap, "%s:%zu:%zu: %s", c->filename, line0 + 1, col0 + 1, msg);
    return -1;
}

/* A short printable rendering of a scalar for messages: at most 48 characters. */
static const char *show(const yaml_node_t *n, char *buf, size_t cap)
{
    const unsigned char *s = n->data.scalar.value;
    size_t len = n->data.scalar.length;
    size_t w = 0;
    for (size_t i = 0; i < len && w + 4 < cap && i < 48; i++)
        buf[w++] = (s[i] >= 0x20 && s[i] < 0x7f) ? (char)s[i] : '?';
    if (len > 48 && w + 4 < cap) {
        memcpy(buf + w, "...", 3);
        w += 3;
    }
    buf[w] = '\0';
    return buf;
}

static const char *node_kind(const yaml_node_t *n)
{
    switch (n->type) {
    case YAML_MAPPING_NODE:
        return "a mapping";
    case YAML_SEQUENCE_NODE:
        return "a sequence";
    case YAML_SCALAR_NODE:
        return "a scalar";
    default:
        return "nothing";
    }
}

/* ---- typed scalar readers ---------------------------------------------------- */

/* The node as a NUL-terminated scalar string, or an error naming what was expected. */
static int want_scalar(cfg_ctx *c, const char *key, const yaml_node_t *n, const char *what,
                       const char **out)
{
    if (n->type != YAML_SCALAR_NODE)
        return error_at(c, n->start_mark.line, n->start_mark.column, "%s: expected %s, found %s",
                        key, what, node_kind(n));
    if (strlen((const char *)n->data.scalar.value) != n->data.scalar.length)
        return error_at(c, n->start_mark.line, n->start_mark.column,
                        "%s: value contains a NUL character", key);
    *out = (const char *)n->data.scalar.value;
    return 0;
}

static int read_string(cfg_ctx *c, const char *key, const yaml_node_t *n, char *dst, size_t cap)
{
    const char *s = NULL;
    if (want_scalar(c, key, n, "a string", &s) != 0)
        return -1;
    if (s[0] == '\0')
        return error_at(c, n->start_mark.line, n->start_mark.column, "%s: must not be empty", key);
    if (strlen(s) >= cap)
        return error_at(c, n->start_mark.line, n->start_mark.column,
                        "%s: value too long (%zu characters, at most %zu)", key, strlen(s),
                        cap - 1);
    for (const char *p = s; *p != '\0'; p++) {
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return error_at(c, n->start_mark.line, n->start_mark.column,
                            "%s: value contains a control character", key);
    }
    snprintf(dst, cap, "%s", s);
    return 0;
}

static int read_bool(cfg_ctx *c, const char *key, const yaml_node_t *n, bool *dst)
{
    const char *s = NULL;
    char shown[64];
    if (want_scalar(c, key, n, "true or false", &s) != 0)
        return -1;
    /* want_scalar set s (it returns 0 only then); the analyzer does not follow the
     * variadic error_at's constant -1. */
    // NOLINTNEXTLINE(clang-analyzer-core.NonNullParamChecker)
    if (strcmp(s, "true") == 0) {
        *dst = true;
        return 0;
    }
    if (strcmp(s, "false") == 0) {
        *dst = false;
        return 0;
    }
    return error_at(c, n->start_mark.line, n->start_mark.column,
                    "%s: expected true or false, got '%s' (booleans are only true/false)", key,
                    show(n, shown, sizeof shown));
}

/* Decimal digits only, within [min, max]. */
static bool parse_uint(const char *s, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    if (*s == '\0')
        return false;
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9')
            return false;
        v = v * 10u + (uint64_t)(*s - '0');
        if (v > max)
            return false;
    }
    *out = v;
    return true;
}

static int read_uint(cfg_ctx *c, const char *key, const yaml_node_t *n, unsigned min, unsigned max,
                     unsigned *dst)
{
    const char *s = NULL;
    char shown[64];
    uint64_t v = 0;
    if (want_scalar(c, key, n, "an integer", &s) != 0)
        return -1;
    if (!parse_uint(s, max, &v) || v < min)
        return error_at(c, n->start_mark.line, n->start_mark.column,
                        "%s: expected an integer from %u to %u, got '%s'", key, min, max,
                        show(n, shown, sizeof shown));
    *dst = (unsigned)v;
    return 0;
}

/* A duration (duration.h) of whole seconds within [min, max]. */
static int read_duration(cfg_ctx *c, const char *key, const yaml_node_t *n, unsigned min,
                         unsigned max, unsigned *dst)
{
    const char *s = NULL;
    char shown[64];
    if (want_scalar(c, key, n, "a duration", &s) != 0)
        return -1;
    // NOLINTNEXTLINE(clang-analyzer-core.NonNullParamChecker): set when want_scalar returns 0
    if (gmw_duration_parse_seconds(s, min, max, dst) != 0)
        return error_at(c, n->start_mark.line, n->start_mark.column,
                        "%s: expected a duration from %us to %us (" GMW_DURATION_SYNTAX
                        ", whole seconds), got '%s'",
                        key, min, max, show(n, shown, sizeof shown));
    return 0;
}

static int read_quantity(cfg_ctx *c, const char *key, const yaml_node_t *n, int64_t min,
                         int64_t max, const char *example, int64_t *dst)
{
    const char *s = NULL;
    char shown[64];
    int64_t v = 0;
    if (want_scalar(c, key, n, "a Kubernetes quantity", &s) != 0)
        return -1;
    gmw_qty_status st = gmw_quantity_parse_cstr(s, &v);
    if (st != GMW_QTY_OK)
        return error_at(c, n->start_mark.line, n->start_mark.column,
                        "%s: invalid quantity '%s': %s (example: %s)", key,
                        show(n, shown, sizeof shown), gmw_qty_strerror(st), example);
    if (v < min || v > max)
        return error_at(c, n->start_mark.line, n->start_mark.column,
                        "%s: %s is out of range (%lld to %lld bytes)", key,
                        show(n, shown, sizeof shown), (long long)min, (long long)max);
    *dst = v;
    return 0;
}

/* One of a fixed list of words; *dst gets its index. */
static int read_enum(cfg_ctx *c, const char *key, const yaml_node_t *n, const char *const *words,
                     size_t nwords, int *dst)
{
    const char *s = NULL;
    char shown[64];
    char allowed[128] = "";
    if (want_scalar(c, key, n, "a word", &s) != 0)
        return -1;
    for (size_t i = 0; i < nwords; i++) {
        if (strcmp(s, words[i]) == 0) {
            *dst = (int)i;
            return 0;
        }
    }
    size_t used = 0;
    for (size_t i = 0; i < nwords && used < sizeof allowed; i++) {
        int w = snprintf(allowed + used, sizeof allowed - used, "%s%s", i ? ", " : "", words[i]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
    return error_at(c, n->start_mark.line, n->start_mark.column,
                    "%s: unknown value '%s' (allowed: %s)", key, show(n, shown, sizeof shown),
                    allowed);
}

static int read_namespaces(cfg_ctx *c, const char *key, const yaml_node_t *n)
{
    gmw_config *cfg = c->cfg;
    char shown[64];
    if (n->type != YAML_SEQUENCE_NODE)
        return error_at(c, n->start_mark.line, n->start_mark.column,
                        "%s: expected a sequence of namespace names, found %s", key, node_kind(n));
    cfg->exclude_count = 0; /* the list replaces the defaults */
    for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
         it++) {
        const yaml_node_t *item = yaml_document_get_node(c->doc, *it);
        const char *s = NULL;
        if (item == NULL)
            continue;
        if (want_scalar(c, key, item, "a namespace name", &s) != 0)
            return -1;
        if (cfg->exclude_count == GMW_CONFIG_MAX_EXCLUDES)
            return error_at(c, item->start_mark.line, item->start_mark.column,
                            "%s: too many namespaces (at most %d)", key, GMW_CONFIG_MAX_EXCLUDES);
        if (!gmw_dns1123_label_valid(s, strlen(s)))
            return error_at(c, item->start_mark.line, item->start_mark.column,
                            "%s: '%s' is not a namespace name (lower-case RFC 1123 label, at "
                            "most 63 characters)",
                            key, show(item, shown, sizeof shown));
        snprintf(cfg->exclude_namespaces[cfg->exclude_count], sizeof cfg->exclude_namespaces[0],
                 "%s", s);
        cfg->exclude_count++;
    }
    return 0;
}

/* ---- schema walk ------------------------------------------------------------ */

typedef int (*key_handler)(cfg_ctx *c, const char *key, const yaml_node_t *value);

/*
 * Walk a mapping: keys must be plain strings from `allowed`, each at most once; call
 * handle for each pair. `where` names the mapping in messages ("defaults", ...).
 */
static int walk_mapping(cfg_ctx *c, const yaml_node_t *map, const char *where,
                        const char *const *allowed, size_t nallowed, key_handler handle)
{
    char shown[64];
    if (map->type != YAML_MAPPING_NODE)
        return error_at(c, map->start_mark.line, map->start_mark.column,
                        "%s: expected a mapping, found %s", where, node_kind(map));
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        const yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
        const yaml_node_t *v = yaml_document_get_node(c->doc, p->value);
        const char *name = NULL;
        if (k == NULL || v == NULL)
            continue;
        if (k->type != YAML_SCALAR_NODE ||
            strlen((const char *)k->data.scalar.value) != k->data.scalar.length)
            return error_at(c, k->start_mark.line, k->start_mark.column,
                            "%s: keys must be plain strings", where);
        name = (const char *)k->data.scalar.value;
        /* duplicate keys: libyaml keeps both, so look back */
        for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < p; q++) {
            const yaml_node_t *k2 = yaml_document_get_node(c->doc, q->key);
            if (k2 != NULL && k2->type == YAML_SCALAR_NODE &&
                strcmp((const char *)k2->data.scalar.value, name) == 0)
                return error_at(c, k->start_mark.line, k->start_mark.column,
                                "%s: duplicate key '%s' (first at line %zu)", where,
                                show(k, shown, sizeof shown), k2->start_mark.line + 1);
        }
        size_t i = 0;
        while (i < nallowed && strcmp(name, allowed[i]) != 0)
            i++;
        if (i == nallowed) {
            char list[256] = "";
            size_t used = 0;
            for (size_t j = 0; j < nallowed && used < sizeof list; j++) {
                int w =
                    snprintf(list + used, sizeof list - used, "%s%s", j ? ", " : "", allowed[j]);
                if (w < 0)
                    break;
                used += (size_t)w;
            }
            return error_at(c, k->start_mark.line, k->start_mark.column,
                            "unknown key '%s' in %s (allowed: %s)", show(k, shown, sizeof shown),
                            where, list);
        }
        if (handle(c, name, v) != 0)
            return -1;
    }
    return 0;
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *const request_policy_words[] = {"match", "limit", "keep"};
static const char *const invalid_mode_words[] = {"deny", "warn"};
static const char *const log_level_words[] = {"debug", "info", "warn", "error"};
static const char *const pull_policy_words[] = {"Always", "IfNotPresent", "Never"};

static int handle_defaults(cfg_ctx *c, const char *key, const yaml_node_t *v)
{
    gmw_config *cfg = c->cfg;
    const char *s = NULL;
    char shown[64];
    if (strcmp(key, "ratio") == 0) {
        if (want_scalar(c, "defaults.ratio", v, "a ratio", &s) != 0)
            return -1;
        if (gmw_ratio_parse(s, &cfg->ratio_e4) != 0)
            return error_at(c, v->start_mark.line, v->start_mark.column,
                            "defaults.ratio: invalid ratio '%s': expected a decimal in (0, 1] "
                            "with at most 4 decimals, e.g. 0.9",
                            show(v, shown, sizeof shown));
        return 0;
    }
    if (strcmp(key, "gogc") == 0) {
        if (want_scalar(c, "defaults.gogc", v, "a GOGC value", &s) != 0)
            return -1;
        if (!gmw_gogc_valid(s))
            return error_at(c, v->start_mark.line, v->start_mark.column,
                            "defaults.gogc: invalid GOGC '%s': expected an integer from 1 to "
                            "100000 or off, e.g. \"100\"",
                            show(v, shown, sizeof shown));
        snprintf(cfg->gogc, sizeof cfg->gogc, "%s", s);
        return 0;
    }
    /* requestPolicy */
    int idx = 0;
    if (read_enum(c, "defaults.requestPolicy", v, request_policy_words, COUNT(request_policy_words),
                  &idx) != 0)
        return -1;
    cfg->request_policy = (gmw_request_policy)idx;
    return 0;
}

static int handle_shim(cfg_ctx *c, const char *key, const yaml_node_t *v)
{
    gmw_config *cfg = c->cfg;
    if (strcmp(key, "enabled") == 0)
        return read_bool(c, "shim.enabled", v, &cfg->shim_enabled);
    if (strcmp(key, "image") == 0) {
        const char *why = NULL;
        char shown[64];
        if (read_string(c, "shim.image", v, cfg->shim_image, sizeof cfg->shim_image) != 0)
            return -1;
        if (gmw_image_ref_check(cfg->shim_image, &why) != 0)
            return error_at(c, v->start_mark.line, v->start_mark.column,
                            "shim.image: '%s' is not an image reference: %s (expected "
                            "[REGISTRY[:PORT]/]PATH[:TAG][@sha256:DIGEST], e.g. "
                            "ghcr.io/example/gomemlimit-webhook:0.1.0)",
                            show(v, shown, sizeof shown), why);
        return 0;
    }
    int idx = 0;
    if (read_enum(c, "shim.imagePullPolicy", v, pull_policy_words, COUNT(pull_policy_words),
                  &idx) != 0)
        return -1;
    snprintf(cfg->shim_pull_policy, sizeof cfg->shim_pull_policy, "%s", pull_policy_words[idx]);
    return 0;
}

static int handle_tls(cfg_ctx *c, const char *key, const yaml_node_t *v)
{
    gmw_config *cfg = c->cfg;
    if (strcmp(key, "certFile") == 0)
        return read_string(c, "tls.certFile", v, cfg->tls_cert_file, sizeof cfg->tls_cert_file);
    return read_string(c, "tls.keyFile", v, cfg->tls_key_file, sizeof cfg->tls_key_file);
}

static const char *const defaults_keys[] = {"ratio", "gogc", "requestPolicy"};
static const char *const shim_keys[] = {"enabled", "image", "imagePullPolicy"};
static const char *const tls_keys[] = {"certFile", "keyFile"};
static const char *const top_keys[] = {
    "defaults",
    "minLimit",
    "excludeNamespaces",
    "invalidAnnotations",
    "shim",
    "listen",
    "tls",
    "threads",
    "connectionLimit",
    "perIpConnectionLimit",
    "headerTimeout",
    "idleTimeout",
    "requestTimeout",
    "shutdownGracePeriod",
    "maxBody",
    "logLevel",
};

static int handle_top(cfg_ctx *c, const char *key, const yaml_node_t *v)
{
    gmw_config *cfg = c->cfg;
    int idx = 0;

    if (strcmp(key, "defaults") == 0)
        return walk_mapping(c, v, "defaults", defaults_keys, COUNT(defaults_keys), handle_defaults);
    if (strcmp(key, "minLimit") == 0)
        return read_quantity(c, key, v, 0, INT64_MAX, "16Mi", &cfg->min_limit_bytes);
    if (strcmp(key, "excludeNamespaces") == 0)
        return read_namespaces(c, key, v);
    if (strcmp(key, "invalidAnnotations") == 0) {
        if (read_enum(c, key, v, invalid_mode_words, COUNT(invalid_mode_words), &idx) != 0)
            return -1;
        cfg->invalid_annotations = (gmw_invalid_mode)idx;
        return 0;
    }
    if (strcmp(key, "shim") == 0)
        return walk_mapping(c, v, "shim", shim_keys, COUNT(shim_keys), handle_shim);
    if (strcmp(key, "listen") == 0) {
        char host[GMW_CONFIG_STR];
        uint16_t port = 0;
        const char *why = NULL;
        char shown[64];
        if (read_string(c, key, v, cfg->listen, sizeof cfg->listen) != 0)
            return -1;
        if (gmw_listen_parse(cfg->listen, host, sizeof host, &port, &why) != 0)
            return error_at(c, v->start_mark.line, v->start_mark.column,
                            "listen: invalid address '%s': %s", show(v, shown, sizeof shown),
                            why);
        return 0;
    }
    if (strcmp(key, "tls") == 0)
        return walk_mapping(c, v, "tls", tls_keys, COUNT(tls_keys), handle_tls);
    if (strcmp(key, "threads") == 0)
        return read_uint(c, key, v, 0, 1024, &cfg->threads);
    if (strcmp(key, "connectionLimit") == 0)
        return read_uint(c, key, v, 1, 1000000, &cfg->connection_limit);
    if (strcmp(key, "perIpConnectionLimit") == 0)
        return read_uint(c, key, v, 0, 1000000, &cfg->per_ip_connection_limit);
    if (strcmp(key, "headerTimeout") == 0)
        return read_duration(c, key, v, GMW_HEADER_TIMEOUT_MIN_S, GMW_HEADER_TIMEOUT_MAX_S,
                             &cfg->header_timeout_s);
    if (strcmp(key, "idleTimeout") == 0)
        return read_duration(c, key, v, GMW_IDLE_TIMEOUT_MIN_S, GMW_IDLE_TIMEOUT_MAX_S,
                             &cfg->idle_timeout_s);
    if (strcmp(key, "requestTimeout") == 0)
        return read_duration(c, key, v, GMW_REQUEST_TIMEOUT_MIN_S, GMW_REQUEST_TIMEOUT_MAX_S,
                             &cfg->request_timeout_s);
    if (strcmp(key, "shutdownGracePeriod") == 0)
        return read_duration(c, key, v, GMW_SHUTDOWN_GRACE_MIN_S, GMW_SHUTDOWN_GRACE_MAX_S,
                             &cfg->shutdown_grace_s);
    if (strcmp(key, "maxBody") == 0)
        return read_quantity(c, key, v, 4096, (int64_t)1 << 30, "8Mi", &cfg->max_body_bytes);
    /* logLevel */
    if (read_enum(c, key, v, log_level_words, COUNT(log_level_words), &idx) != 0)
        return -1;
    cfg->log_level = (gmw_log_level)idx;
    return 0;
}

/* ---- pass 1: syntax, aliases, documents --------------------------------------- */

/* 0-based line and column of byte offset off in buf (for reader errors). */
static void offset_to_mark(const char *buf, size_t len, size_t off, size_t *line, size_t *col)
{
    *line = 0;
    *col = 0;
    for (size_t i = 0; i < off && i < len; i++) {
        if (buf[i] == '\n') {
            (*line)++;
            *col = 0;
        } else if (((unsigned char)buf[i] & 0xc0) != 0x80) {
            (*col)++;
        }
    }
}

static int syntax_error(cfg_ctx *c, const yaml_parser_t *p, const char *buf, size_t len)
{
    const char *problem = p->problem != NULL ? p->problem : "unknown error";
    if (p->error == YAML_MEMORY_ERROR)
        return error_at(c, 0, 0, "out of memory while parsing YAML");
    if (p->error == YAML_READER_ERROR) {
        size_t line = 0, col = 0;
        offset_to_mark(buf, len, p->problem_offset, &line, &col);
        return error_at(c, line, col, "invalid YAML input: %s", problem);
    }
    if (p->context != NULL)
        return error_at(c, p->problem_mark.line, p->problem_mark.column,
                        "YAML syntax error: %s (%s started at line %zu, column %zu)", problem,
                        p->context, p->context_mark.line + 1, p->context_mark.column + 1);
    return error_at(c, p->problem_mark.line, p->problem_mark.column, "YAML syntax error: %s",
                    problem);
}

static int prescan(cfg_ctx *c, const char *buf, size_t len)
{
    yaml_parser_t parser;
    yaml_event_t ev;
    int rc = 0;
    int documents = 0;

    if (!yaml_parser_initialize(&parser))
        return error_at(c, 0, 0, "out of memory");
    yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
    for (;;) {
        if (!yaml_parser_parse(&parser, &ev)) {
            rc = syntax_error(c, &parser, buf, len);
            break;
        }
        yaml_event_type_t type = ev.type;
        if (type == YAML_ALIAS_EVENT) {
            rc = error_at(c, ev.start_mark.line, ev.start_mark.column,
                          "YAML aliases (*%.64s) are not allowed in the config",
                          (const char *)ev.data.alias.anchor);
        } else if (type == YAML_DOCUMENT_START_EVENT && ++documents > 1) {
            rc = error_at(c, ev.start_mark.line, ev.start_mark.column,
                          "only one YAML document is allowed in the config");
        }
        yaml_event_delete(&ev);
        if (rc != 0 || type == YAML_STREAM_END_EVENT)
            break;
    }
    yaml_parser_delete(&parser);
    return rc;
}

/* ---- entry points ------------------------------------------------------------- */

int gmw_config_parse(const char *buf, size_t len, const char *filename, gmw_config *cfg, char *err,
                     size_t errcap)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    bool parser_ok = false;
    bool doc_ok = false;
    gmw_config *work = NULL;
    int rc = -1;
    cfg_ctx c = {filename != NULL ? filename : "<config>", err, errcap, NULL, NULL};

    if (err != NULL && errcap > 0)
        err[0] = '\0';
    if (cfg == NULL || (buf == NULL && len > 0)) {
        error_at(&c, 0, 0, "invalid arguments");
        return -1;
    }
    work = malloc(sizeof *work);
    if (work == NULL) {
        error_at(&c, 0, 0, "out of memory");
        return -1;
    }
    gmw_config_defaults(work);
    c.cfg = work;
    if (len == 0)
        goto done; /* empty file: defaults */
    if (prescan(&c, buf, len) != 0)
        goto fail;

    if (!yaml_parser_initialize(&parser)) {
        error_at(&c, 0, 0, "out of memory");
        goto fail;
    }
    parser_ok = true;
    yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
    if (!yaml_parser_load(&parser, &doc)) {
        syntax_error(&c, &parser, buf, len);
        goto fail;
    }
    doc_ok = true;
    c.doc = &doc;
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (root == NULL)
        goto done; /* only comments */
    if (root->type == YAML_SCALAR_NODE && root->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
        (root->data.scalar.length == 0 || strcmp((char *)root->data.scalar.value, "~") == 0 ||
         strcmp((char *)root->data.scalar.value, "null") == 0))
        goto done; /* "---" alone, or an explicit null */
    if (root->type != YAML_MAPPING_NODE) {
        error_at(&c, root->start_mark.line, root->start_mark.column,
                 "the top level must be a mapping of config keys, found %s", node_kind(root));
        goto fail;
    }
    if (walk_mapping(&c, root, "the top level", top_keys, COUNT(top_keys), handle_top) != 0)
        goto fail;
done:
    *cfg = *work;
    rc = 0;
fail:
    if (doc_ok)
        yaml_document_delete(&doc);
    if (parser_ok)
        yaml_parser_delete(&parser);
    free(work);
    return rc;
}

int gmw_config_load_file(const char *path, gmw_config *cfg, char *err, size_t errcap)
{
    char *buf = NULL;
    size_t len = 0;
    int fd = -1;
    int rc = -1;
    char ebuf[128];

    if (err != NULL && errcap > 0)
        err[0] = '\0';
    if (path == NULL) {
        if (err != NULL && errcap > 0)
            snprintf(err, errcap, "no config file given");
        return -1;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd == -1)
        goto sys_fail;
    buf = malloc(CONFIG_FILE_MAX + 1);
    if (buf == NULL) {
        errno = ENOMEM;
        goto sys_fail;
    }
    /* Read at most 1 MiB + 1 byte: one more than allowed tells "too large". */
    while (len < CONFIG_FILE_MAX + 1) {
        ssize_t n = read(fd, buf + len, CONFIG_FILE_MAX + 1 - len);
        if (n == -1) {
            if (errno == EINTR)
                continue;
            goto sys_fail;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    if (len > CONFIG_FILE_MAX) {
        if (err != NULL && errcap > 0)
            snprintf(err, errcap, "%s: file is larger than 1 MiB, refusing to parse it", path);
        goto out;
    }
    rc = gmw_config_parse(buf, len, path, cfg, err, errcap);
    goto out;
sys_fail:
    if (err != NULL && errcap > 0)
        snprintf(err, errcap, "%s: %s", path, strerror_r(errno, ebuf, sizeof ebuf));
out:
    if (fd != -1)
        close(fd);
    free(buf);
    return rc;
}

bool gmw_config_namespace_excluded(const gmw_config *cfg, const char *ns)
{
    if (cfg == NULL || ns == NULL)
        return false;
    for (size_t i = 0; i < cfg->exclude_count && i < GMW_CONFIG_MAX_EXCLUDES; i++) {
        if (strcmp(cfg->exclude_namespaces[i], ns) == 0)
            return true;
    }
    return false;
}

const char *gmw_request_policy_name(gmw_request_policy p)
{
    if ((size_t)p < COUNT(request_policy_words))
        return request_policy_words[p];
    return "unknown";
}

const char *gmw_log_level_name(gmw_log_level l)
{
    if ((size_t)l < COUNT(log_level_words))
        return log_level_words[l];
    return "unknown";
}
