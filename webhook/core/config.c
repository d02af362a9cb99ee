/*
 * config.c - the YAML configuration file (libyaml), strictly validated.
 *
 * Two passes over the text:
 *   1. the event parser, to report syntax errors with libyaml's problem mark and to
 *      reject aliases (libyaml's loader would silently share the node) and extra
 *      documents at the place they occur;
 *   2. the document loader, whose nodes carry marks for "FILE:LINE:COL" messages.
 * libyaml resolves no types (every plain scalar is a string) and does not detect
 * duplicate keys, so both are done here, by a walk driven by one schema table (each key:
 * its kind, field, bounds and default; the defaults come from the same table). The result
 * is built in a local copy and only stored in *cfg when the whole file is valid. No I/O:
 * the file loader is webhook/server/config_file.c.
 */
#include "config.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "duration.h"
#include "imageref.h"
#include "intparse.h"
#include "k8sname.h"
#include "listen.h"
#include "memlimit.h"
#include "quantity.h"
#include "sanitize.h"
#include "yamlerr.h"

#ifndef GMW_VERSION
#define GMW_VERSION "0.0.0"
#endif

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

/* Write "FILE:LINE:COL: message" (1-based) into the caller's buffer; returns -EINVAL. */
static int error_at(cfg_ctx *c, size_t line0, size_t col0, const char *fmt, ...)
{
    char msg[GMW_CONFIG_ERR];
    va_list ap;

    if (c->err == NULL || c->errcap == 0)
        return -EINVAL;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(c->err, c->errcap, "%s:%zu:%zu: %s", c->filename, line0 + 1, col0 + 1, msg);
    return -EINVAL;
}

/* A short printable rendering of a scalar for messages: at most 48 characters. */
static const char *show(const yaml_node_t *n, char *buf, size_t cap)
{
    return gmw_sanitize_prefix(buf, cap, (const char *)n->data.scalar.value, n->data.scalar.length,
                               48);
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
    /* error_at always fails; `return -EINVAL` says so to the analyzers */
    if (n->type != YAML_SCALAR_NODE) {
        error_at(c, n->start_mark.line, n->start_mark.column, "%s: expected %s, found %s", key,
                 what, node_kind(n));
        return -EINVAL;
    }
    if (strlen((const char *)n->data.scalar.value) != n->data.scalar.length) {
        error_at(c, n->start_mark.line, n->start_mark.column, "%s: value contains a NUL character",
                 key);
        return -EINVAL;
    }
    *out = (const char *)n->data.scalar.value;
    return 0;
}

static int read_string(cfg_ctx *c, const char *key, const yaml_node_t *n, char *dst, size_t cap)
{
    const char *s = NULL;
    if (want_scalar(c, key, n, "a string", &s) != 0)
        return -EINVAL;
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
        return -EINVAL;
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

static int read_uint(cfg_ctx *c, const char *key, const yaml_node_t *n, unsigned min, unsigned max,
                     unsigned *dst)
{
    const char *s = NULL;
    char shown[64];
    if (want_scalar(c, key, n, "an integer", &s) != 0)
        return -EINVAL;
    if (gmw_parse_unsigned(s, min, max, dst) != 0)
        return error_at(c, n->start_mark.line, n->start_mark.column,
                        "%s: expected an integer from %u to %u, got '%s'", key, min, max,
                        show(n, shown, sizeof shown));
    return 0;
}

/* A duration (duration.h) of whole seconds within [min, max]. */
static int read_duration(cfg_ctx *c, const char *key, const yaml_node_t *n, unsigned min,
                         unsigned max, unsigned *dst)
{
    const char *s = NULL;
    char shown[64];
    if (want_scalar(c, key, n, "a duration", &s) != 0)
        return -EINVAL;
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
        return -EINVAL;
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
        return -EINVAL;
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
            return -EINVAL;
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

/* ---- the schema: one table ------------------------------------------------- */

#define COUNT(a) (sizeof(a) / sizeof(a)[0])

static const char *const request_policy_words[] = {"match", "limit", "keep"};
static const char *const invalid_mode_words[] = {"deny", "warn"};
static const char *const preview_mode_words[] = {"dry-run", "always", "off"};
static const char *const log_level_words[] = {"debug", "info", "warn", "error"};
static const char *const pull_policy_words[] = {"Always", "IfNotPresent", "Never"};
static const char *const default_excludes[] = {"kube-system", "kube-public", "kube-node-lease"};
static const char *const malformed_mode_words[] = {"repair", "keep", "deny"};

typedef enum {
    KEY_MAP,        /* a nested mapping: the keys of `section` */
    KEY_STRING,     /* char[size]; then `check` (when set) on the value */
    KEY_BOOL,       /* bool */
    KEY_UINT,       /* unsigned in [min, max] (intparse.h) */
    KEY_DURATION,   /* unsigned seconds in [min, max] (duration.h) */
    KEY_QUANTITY,   /* int64_t bytes in [min, max] (quantity.h) */
    KEY_ENUM,       /* an enum field: the index of the word in `words` */
    KEY_WORD,       /* char[size]: one of `words`, stored as written */
    KEY_RATIO,      /* uint32_t ratio x 10^4 (memlimit.h) */
    KEY_GOGC,       /* char[size]: a GOGC value (memlimit.h) */
    KEY_NAMESPACES, /* excludeNamespaces: the list replaces the defaults */
    KEY_IMAGES,     /* exclude.images: fnmatch(3) patterns, default none */
} key_kind;

typedef struct cfg_key cfg_key;

/* Extra validation of a KEY_STRING once stored (value is the stored text). */
typedef int (*key_check)(cfg_ctx *c, const cfg_key *k, const yaml_node_t *n, const char *value);

struct cfg_key {
    const char *name; /* the key as written in its mapping */
    const char *path; /* its name in messages: "defaults.ratio", "minLimit" */
    key_kind kind;
    size_t offset;            /* offsetof(gmw_config, field); unused for KEY_MAP */
    size_t size;              /* sizeof the field (KEY_STRING, KEY_WORD, KEY_GOGC) */
    int64_t min, max;         /* bounds of KEY_UINT, KEY_DURATION, KEY_QUANTITY */
    const char *const *words; /* KEY_ENUM, KEY_WORD */
    size_t nwords;
    const char *example;    /* KEY_QUANTITY: shown in errors */
    key_check check;        /* KEY_STRING: NULL or a validator */
    int64_t def;            /* default of a number, bool or enum index */
    const char *def_text;   /* default of a text field */
    const cfg_key *section; /* KEY_MAP: its keys */
    size_t nsection;
};

static int check_image(cfg_ctx *c, const cfg_key *k, const yaml_node_t *n, const char *value);
static int check_listen(cfg_ctx *c, const cfg_key *k, const yaml_node_t *n, const char *value);

#define FIELD(f) offsetof(gmw_config, f), sizeof((gmw_config *)0)->f
#define WORDS(w) (w), COUNT(w)

static const cfg_key defaults_section[] = {
    {.name = "ratio", .path = "defaults.ratio", .kind = KEY_RATIO, FIELD(ratio_e4), .def = 9000},
    {.name = "gogc", .path = "defaults.gogc", .kind = KEY_GOGC, FIELD(gogc), .def_text = "100"},
    {.name = "requestPolicy",
     .path = "defaults.requestPolicy",
     .kind = KEY_ENUM,
     FIELD(request_policy),
     .words = WORDS(request_policy_words),
     .def = GMW_REQUEST_MATCH},
};

static const cfg_key shim_section[] = {
    {.name = "enabled", .path = "shim.enabled", .kind = KEY_BOOL, FIELD(shim_enabled), .def = 0},
    {.name = "image",
     .path = "shim.image",
     .kind = KEY_STRING,
     FIELD(shim_image),
     .check = check_image,
     .def_text = "gomemlimit-webhook:" GMW_VERSION},
    {.name = "imagePullPolicy",
     .path = "shim.imagePullPolicy",
     .kind = KEY_WORD,
     FIELD(shim_pull_policy),
     .words = WORDS(pull_policy_words),
     .def_text = "IfNotPresent"},
};

static const cfg_key tls_section[] = {
    {.name = "certFile",
     .path = "tls.certFile",
     .kind = KEY_STRING,
     FIELD(tls_cert_file),
     .def_text = "/etc/webhook/tls/tls.crt"},
    {.name = "keyFile",
     .path = "tls.keyFile",
     .kind = KEY_STRING,
     FIELD(tls_key_file),
     .def_text = "/etc/webhook/tls/tls.key"},
};

static const cfg_key exclude_section[] = {
    {.name = "images", .path = "exclude.images", .kind = KEY_IMAGES},
};

/* The top level, in the order "allowed: ..." lists the keys. */
static const cfg_key top_section[] = {
    {.name = "defaults",
     .path = "defaults",
     .kind = KEY_MAP,
     .section = defaults_section,
     .nsection = COUNT(defaults_section)},
    {.name = "minLimit",
     .path = "minLimit",
     .kind = KEY_QUANTITY,
     FIELD(min_limit_bytes),
     .min = 0,
     .max = INT64_MAX,
     .example = "16Mi",
     .def = 16 * GMW_MIB},
    {.name = "excludeNamespaces", .path = "excludeNamespaces", .kind = KEY_NAMESPACES},
    {.name = "invalidAnnotations",
     .path = "invalidAnnotations",
     .kind = KEY_ENUM,
     FIELD(invalid_annotations),
     .words = WORDS(invalid_mode_words),
     .def = GMW_INVALID_DENY},
    {.name = "preview",
     .path = "preview",
     .kind = KEY_ENUM,
     FIELD(preview),
     .words = WORDS(preview_mode_words),
     .def = GMW_PREVIEW_DRY_RUN},
    {.name = "malformedGOMEMLIMIT",
     .path = "malformedGOMEMLIMIT",
     .kind = KEY_ENUM,
     FIELD(malformed_gomemlimit),
     .words = WORDS(malformed_mode_words),
     .def = GMW_MALFORMED_REPAIR},
    {.name = "exclude",
     .path = "exclude",
     .kind = KEY_MAP,
     .section = exclude_section,
     .nsection = COUNT(exclude_section)},
    {.name = "shim",
     .path = "shim",
     .kind = KEY_MAP,
     .section = shim_section,
     .nsection = COUNT(shim_section)},
    {.name = "listen",
     .path = "listen",
     .kind = KEY_STRING,
     FIELD(listen),
     .check = check_listen,
     .def_text = ":8443"},
    {.name = "tls",
     .path = "tls",
     .kind = KEY_MAP,
     .section = tls_section,
     .nsection = COUNT(tls_section)},
    {.name = "threads",
     .path = "threads",
     .kind = KEY_UINT,
     FIELD(threads),
     .min = 0,
     .max = 1024,
     .def = 0},
    {.name = "connectionLimit",
     .path = "connectionLimit",
     .kind = KEY_UINT,
     FIELD(connection_limit),
     .min = 1,
     .max = 1000000,
     .def = 1024},
    {.name = "perIpConnectionLimit",
     .path = "perIpConnectionLimit",
     .kind = KEY_UINT,
     FIELD(per_ip_connection_limit),
     .min = 0,
     .max = 1000000,
     .def = 512},
    {.name = "headerTimeout",
     .path = "headerTimeout",
     .kind = KEY_DURATION,
     FIELD(header_timeout_s),
     .min = GMW_HEADER_TIMEOUT_MIN_S,
     .max = GMW_HEADER_TIMEOUT_MAX_S,
     .def = 10},
    {.name = "idleTimeout",
     .path = "idleTimeout",
     .kind = KEY_DURATION,
     FIELD(idle_timeout_s),
     .min = GMW_IDLE_TIMEOUT_MIN_S,
     .max = GMW_IDLE_TIMEOUT_MAX_S,
     .def = 120},
    {.name = "requestTimeout",
     .path = "requestTimeout",
     .kind = KEY_DURATION,
     FIELD(request_timeout_s),
     .min = GMW_REQUEST_TIMEOUT_MIN_S,
     .max = GMW_REQUEST_TIMEOUT_MAX_S,
     .def = 10},
    {.name = "shutdownGracePeriod",
     .path = "shutdownGracePeriod",
     .kind = KEY_DURATION,
     FIELD(shutdown_grace_s),
     .min = GMW_SHUTDOWN_GRACE_MIN_S,
     .max = GMW_SHUTDOWN_GRACE_MAX_S,
     .def = 20},
    {.name = "maxBody",
     .path = "maxBody",
     .kind = KEY_QUANTITY,
     FIELD(max_body_bytes),
     .min = 4096,
     .max = (int64_t)1 << 30,
     .example = "8Mi",
     .def = 8 * GMW_MIB},
    {.name = "logLevel",
     .path = "logLevel",
     .kind = KEY_ENUM,
     FIELD(log_level),
     .words = WORDS(log_level_words),
     .def = GMW_LOG_INFO},
};

_Static_assert(sizeof(gmw_request_policy) == sizeof(int) &&
                   sizeof(gmw_invalid_mode) == sizeof(int) &&
                   sizeof(gmw_log_level) == sizeof(int) &&
                   sizeof(gmw_malformed_mode) == sizeof(int),
               "KEY_ENUM stores enum fields as int");

static void *field_of(gmw_config *cfg, const cfg_key *k)
{
    return (char *)cfg + k->offset;
}

/* Store a default for every key of a section (and its nested sections). */
// NOLINTNEXTLINE(misc-no-recursion): the schema is three levels deep at most
static void apply_defaults(gmw_config *cfg, const cfg_key *section, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const cfg_key *k = &section[i];
        void *f = field_of(cfg, k);
        switch (k->kind) {
        case KEY_MAP:
            apply_defaults(cfg, k->section, k->nsection);
            break;
        case KEY_STRING:
        case KEY_WORD:
        case KEY_GOGC:
            snprintf(f, k->size, "%s", k->def_text);
            break;
        case KEY_BOOL:
            *(bool *)f = k->def != 0;
            break;
        case KEY_UINT:
        case KEY_DURATION:
            *(unsigned *)f = (unsigned)k->def;
            break;
        case KEY_QUANTITY:
            *(int64_t *)f = k->def;
            break;
        case KEY_ENUM: /* every enum field of gmw_config is an int-sized enum */
            *(int *)f = (int)k->def;
            break;
        case KEY_RATIO:
            *(uint32_t *)f = (uint32_t)k->def;
            break;
        case KEY_NAMESPACES:
            for (size_t j = 0; j < COUNT(default_excludes); j++)
                snprintf(cfg->exclude_namespaces[j], sizeof cfg->exclude_namespaces[j], "%s",
                         default_excludes[j]);
            cfg->exclude_count = COUNT(default_excludes);
            break;
        case KEY_IMAGES:
            cfg->exclude_image_count = 0;
            break;
        }
    }
}

void gmw_config_defaults(gmw_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    apply_defaults(cfg, top_section, COUNT(top_section));
}

/* ---- checks beyond the type --------------------------------------------------- */

static int read_ratio(cfg_ctx *c, const cfg_key *k, const yaml_node_t *v, uint32_t *dst)
{
    const char *s = NULL;
    char shown[64];
    if (want_scalar(c, k->path, v, "a ratio", &s) != 0)
        return -EINVAL;
    // NOLINTNEXTLINE(clang-analyzer-core.NonNullParamChecker): set when want_scalar returns 0
    if (gmw_ratio_parse(s, dst) != 0)
        return error_at(c, v->start_mark.line, v->start_mark.column,
                        "%s: invalid ratio '%s': expected a decimal in (0, 1] with at most 4 "
                        "decimals, e.g. 0.9",
                        k->path, show(v, shown, sizeof shown));
    return 0;
}

static int read_gogc(cfg_ctx *c, const cfg_key *k, const yaml_node_t *v, char *dst)
{
    const char *s = NULL;
    char shown[64];
    if (want_scalar(c, k->path, v, "a GOGC value", &s) != 0)
        return -EINVAL;
    // NOLINTNEXTLINE(clang-analyzer-core.NonNullParamChecker): set when want_scalar returns 0
    if (!gmw_gogc_valid(s))
        return error_at(c, v->start_mark.line, v->start_mark.column,
                        "%s: invalid GOGC '%s': expected an integer from 1 to 100000 or off, "
                        "e.g. \"100\"",
                        k->path, show(v, shown, sizeof shown));
    snprintf(dst, k->size, "%s", s);
    return 0;
}

static int check_image(cfg_ctx *c, const cfg_key *k, const yaml_node_t *n, const char *value)
{
    const char *why = NULL;
    char shown[64];
    if (gmw_image_ref_check(value, &why) != 0)
        return error_at(c, n->start_mark.line, n->start_mark.column,
                        "%s: '%s' is not an image reference: %s (expected "
                        "[REGISTRY[:PORT]/]PATH[:TAG][@sha256:DIGEST], e.g. "
                        "ghcr.io/example/gomemlimit-webhook:0.1.0)",
                        k->path, show(n, shown, sizeof shown), why);
    return 0;
}

static int check_listen(cfg_ctx *c, const cfg_key *k, const yaml_node_t *n, const char *value)
{
    char host[GMW_CONFIG_STR];
    uint16_t port = 0;
    const char *why = NULL;
    char shown[64];
    if (gmw_listen_parse(value, host, sizeof host, &port, &why) != 0)
        return error_at(c, n->start_mark.line, n->start_mark.column, "%s: invalid address '%s': %s",
                        k->path, show(n, shown, sizeof shown), why);
    return 0;
}

/* ---- schema walk ------------------------------------------------------------ */

static int walk_mapping(cfg_ctx *c, const yaml_node_t *map, const char *where,
                        const cfg_key *section, size_t n);

/*
 * exclude.images: a sequence of fnmatch(3) patterns, 1..255 printable ASCII characters
 * without spaces, with balanced [ ] classes (an unclosed '[' would match only itself,
 * which is never what was meant).
 */
static int read_image_patterns(cfg_ctx *c, const char *key, const yaml_node_t *n)
{
    gmw_config *cfg = c->cfg;
    char shown[64];
    if (n->type != YAML_SEQUENCE_NODE)
        return error_at(c, n->start_mark.line, n->start_mark.column,
                        "%s: expected a sequence of image patterns, found %s", key, node_kind(n));
    cfg->exclude_image_count = 0;
    for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
         it++) {
        const yaml_node_t *item = yaml_document_get_node(c->doc, *it);
        const char *s = NULL;
        if (item == NULL)
            continue;
        if (want_scalar(c, key, item, "an image pattern", &s) != 0 || s == NULL)
            return -EINVAL; /* want_scalar said why */
        if (cfg->exclude_image_count == GMW_CONFIG_MAX_IMAGE_PATTERNS)
            return error_at(c, item->start_mark.line, item->start_mark.column,
                            "%s: too many patterns (at most %d)", key,
                            GMW_CONFIG_MAX_IMAGE_PATTERNS);
        size_t len = strlen(s);
        bool ok = len > 0 && len < GMW_CONFIG_IMAGE_PATTERN && len == item->data.scalar.length;
        int open = 0;
        for (size_t i = 0; ok && i < len; i++) {
            unsigned char ch = (unsigned char)s[i];
            if (ch <= 0x20 || ch >= 0x7f)
                ok = false;
            else if (ch == '\\' && i + 1 < len)
                i++;
            else if (ch == '[')
                open = 1;
            else if (ch == ']')
                open = 0;
        }
        if (!ok || open)
            return error_at(c, item->start_mark.line, item->start_mark.column,
                            "%s: '%s' is not an image pattern (1-255 printable characters, no "
                            "spaces, [ ] balanced), e.g. \"docker.io/library/nginx*\"",
                            key, show(item, shown, sizeof shown));
        memcpy(cfg->exclude_images[cfg->exclude_image_count], s, len + 1);
        cfg->exclude_image_count++;
    }
    return 0;
}

/* Read the value of one known key into its field, as its kind says. */
// NOLINTNEXTLINE(misc-no-recursion): the schema is three levels deep at most
static int read_key(cfg_ctx *c, const cfg_key *k, const yaml_node_t *v)
{
    void *f = field_of(c->cfg, k);
    int idx = 0;
    int rc = 0;

    switch (k->kind) {
    case KEY_MAP:
        return walk_mapping(c, v, k->path, k->section, k->nsection);
    case KEY_STRING:
        rc = read_string(c, k->path, v, f, k->size);
        if (rc == 0 && k->check != NULL)
            rc = k->check(c, k, v, f);
        return rc;
    case KEY_BOOL:
        return read_bool(c, k->path, v, f);
    case KEY_UINT:
        return read_uint(c, k->path, v, (unsigned)k->min, (unsigned)k->max, f);
    case KEY_DURATION:
        return read_duration(c, k->path, v, (unsigned)k->min, (unsigned)k->max, f);
    case KEY_QUANTITY:
        return read_quantity(c, k->path, v, k->min, k->max, k->example, f);
    case KEY_ENUM:
        rc = read_enum(c, k->path, v, k->words, k->nwords, &idx);
        if (rc == 0)
            *(int *)f = idx;
        return rc;
    case KEY_WORD:
        rc = read_enum(c, k->path, v, k->words, k->nwords, &idx);
        if (rc == 0)
            snprintf(f, k->size, "%s", k->words[idx]);
        return rc;
    case KEY_RATIO:
        return read_ratio(c, k, v, f);
    case KEY_GOGC:
        return read_gogc(c, k, v, f);
    case KEY_NAMESPACES:
        return read_namespaces(c, k->path, v);
    case KEY_IMAGES:
        return read_image_patterns(c, k->path, v);
    }
    return -EINVAL;
}

/* "unknown key 'x' in WHERE (allowed: a, b, c)" */
static int unknown_key(cfg_ctx *c, const yaml_node_t *key, const char *where,
                       const cfg_key *section, size_t n)
{
    char list[256] = "";
    char shown[64];
    size_t used = 0;
    for (size_t j = 0; j < n && used < sizeof list; j++) {
        int w = snprintf(list + used, sizeof list - used, "%s%s", j ? ", " : "", section[j].name);
        if (w < 0)
            break;
        used += (size_t)w;
    }
    return error_at(c, key->start_mark.line, key->start_mark.column,
                    "unknown key '%s' in %s (allowed: %s)", show(key, shown, sizeof shown), where,
                    list);
}

/*
 * Walk a mapping: keys must be plain strings of `section`, each at most once; each
 * value is read into its field. `where` names the mapping in messages ("defaults", ...).
 */
// NOLINTNEXTLINE(misc-no-recursion): the schema is three levels deep at most
static int walk_mapping(cfg_ctx *c, const yaml_node_t *map, const char *where,
                        const cfg_key *section, size_t n)
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
        while (i < n && strcmp(name, section[i].name) != 0)
            i++;
        if (i == n)
            return unknown_key(c, k, where, section, n);
        int rc = read_key(c, &section[i], v);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* ---- pass 1: syntax, aliases, documents --------------------------------------- */

static int syntax_error(cfg_ctx *c, const yaml_parser_t *p, const char *buf, size_t len)
{
    gmw_yaml_error e;

    gmw_yaml_error_of(p, buf, len, &e);
    const char *problem = e.problem != NULL ? e.problem : "unknown error";
    if (e.oom) {
        error_at(c, 0, 0, "out of memory while parsing YAML");
        return -ENOMEM;
    }
    if (e.reader)
        return error_at(c, e.line - 1, e.column - 1, "invalid YAML input: %s", problem);
    if (e.context != NULL)
        return error_at(c, e.line - 1, e.column - 1,
                        "YAML syntax error: %s (%s started at line %zu, column %zu)", problem,
                        e.context, e.context_line, e.context_column);
    return error_at(c, e.line - 1, e.column - 1, "YAML syntax error: %s", problem);
}

static int prescan(cfg_ctx *c, const char *buf, size_t len)
{
    yaml_parser_t parser;
    yaml_event_t ev;
    int rc = 0;
    int documents = 0;

    if (!yaml_parser_initialize(&parser)) {
        error_at(c, 0, 0, "out of memory");
        return -ENOMEM;
    }
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
    int rc = -EINVAL;
    cfg_ctx c = {filename != NULL ? filename : "<config>", err, errcap, NULL, NULL};

    if (err != NULL && errcap > 0)
        err[0] = '\0';
    if (cfg == NULL || (buf == NULL && len > 0))
        return error_at(&c, 0, 0, "invalid arguments");
    work = malloc(sizeof *work);
    if (work == NULL) {
        error_at(&c, 0, 0, "out of memory");
        return -ENOMEM;
    }
    gmw_config_defaults(work);
    c.cfg = work;
    if (len == 0)
        goto done; /* empty file: defaults */
    rc = prescan(&c, buf, len);
    if (rc != 0)
        goto fail;

    if (!yaml_parser_initialize(&parser)) {
        error_at(&c, 0, 0, "out of memory");
        rc = -ENOMEM;
        goto fail;
    }
    parser_ok = true;
    yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
    if (!yaml_parser_load(&parser, &doc)) {
        rc = syntax_error(&c, &parser, buf, len);
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
        rc = error_at(&c, root->start_mark.line, root->start_mark.column,
                      "the top level must be a mapping of config keys, found %s", node_kind(root));
        goto fail;
    }
    rc = walk_mapping(&c, root, "the top level", top_section, COUNT(top_section));
    if (rc != 0)
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

const char *gmw_preview_mode_name(gmw_preview_mode m)
{
    if ((size_t)m < COUNT(preview_mode_words))
        return preview_mode_words[m];
    return "unknown";
}

const char *gmw_malformed_mode_name(gmw_malformed_mode m)
{
    if ((size_t)m < COUNT(malformed_mode_words))
        return malformed_mode_words[m];
    return "unknown";
}

const char *gmw_config_image_excluded(const gmw_config *cfg, const char *image)
{
    if (cfg == NULL || image == NULL)
        return NULL;
    for (size_t i = 0; i < cfg->exclude_image_count && i < GMW_CONFIG_MAX_IMAGE_PATTERNS; i++) {
        if (fnmatch(cfg->exclude_images[i], image, 0) == 0)
            return cfg->exclude_images[i];
    }
    return NULL;
}
