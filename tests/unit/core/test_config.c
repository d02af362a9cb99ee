/*
 * test_config.c - the YAML config: defaults, every key, and errors with exact
 * FILE:LINE:COLUMN positions (1-based).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"

#ifndef GMW_TEST_CONFIG_DIR
#error "GMW_TEST_CONFIG_DIR must point at tests/unit/core/config"
#endif

#define MiB ((int64_t)1 << 20)

static int parse(const char *yaml, gmw_config *cfg, char *err)
{
    return gmw_config_parse(yaml, strlen(yaml), "t.yaml", cfg, err, GMW_CONFIG_ERR);
}

static void assert_defaults(const gmw_config *cfg)
{
    assert_int_equal(cfg->ratio_e4, 9000);
    assert_string_equal(cfg->gogc, "100");
    assert_int_equal(cfg->request_policy, GMW_REQUEST_MATCH);
    assert_int_equal(cfg->min_limit_bytes, 16 * MiB);
    assert_int_equal(cfg->exclude_count, 3);
    assert_string_equal(cfg->exclude_namespaces[0], "kube-system");
    assert_string_equal(cfg->exclude_namespaces[1], "kube-public");
    assert_string_equal(cfg->exclude_namespaces[2], "kube-node-lease");
    assert_int_equal(cfg->invalid_annotations, GMW_INVALID_DENY);
    assert_int_equal(cfg->malformed_gomemlimit, GMW_MALFORMED_REPAIR);
    assert_int_equal(cfg->exclude_image_count, 0);
    assert_false(cfg->shim_enabled);
    assert_string_equal(cfg->shim_image, "gomemlimit-webhook:" GMW_VERSION);
    assert_string_equal(cfg->shim_pull_policy, "IfNotPresent");
    assert_string_equal(cfg->listen, ":8443");
    assert_string_equal(cfg->tls_cert_file, "/etc/webhook/tls/tls.crt");
    assert_string_equal(cfg->tls_key_file, "/etc/webhook/tls/tls.key");
    assert_int_equal(cfg->threads, 0);
    assert_int_equal(cfg->connection_limit, 1024);
    assert_int_equal(cfg->idle_timeout_s, 120);
    assert_int_equal(cfg->request_timeout_s, 10);
    assert_int_equal(cfg->shutdown_grace_s, 20);
    assert_int_equal(cfg->max_body_bytes, 8 * MiB);
    assert_int_equal(cfg->log_level, GMW_LOG_INFO);
    assert_int_equal(cfg->preview, GMW_PREVIEW_DRY_RUN);
}

static void test_defaults(void **state)
{
    (void)state;
    gmw_config cfg;
    char err[GMW_CONFIG_ERR];
    gmw_config_defaults(&cfg);
    assert_defaults(&cfg);
    assert_true(gmw_config_namespace_excluded(&cfg, "kube-system"));
    assert_false(gmw_config_namespace_excluded(&cfg, "default"));
    assert_false(gmw_config_namespace_excluded(&cfg, ""));
    assert_false(gmw_config_namespace_excluded(&cfg, NULL));

    /* documents without content give the defaults */
    static const char *const empty[] = {"",     "# only a comment\n", "---\n",         "~\n",
                                        "null", "\n\n   \n",          "--- # c\n...\n"};
    for (size_t i = 0; i < sizeof empty / sizeof empty[0]; i++) {
        memset(&cfg, 0x5a, sizeof cfg);
        if (parse(empty[i], &cfg, err) != 0) {
            print_error("\"%s\": %s\n", empty[i], err);
            fail();
        }
        assert_defaults(&cfg);
    }
    assert_int_equal(gmw_config_parse(NULL, 0, "x", &cfg, err, sizeof err), 0);
}

static void test_every_key(void **state)
{
    (void)state;
    gmw_config cfg;
    char err[GMW_CONFIG_ERR] = "";
    char path[1024];
    snprintf(path, sizeof path, "%s/example.yaml", GMW_TEST_CONFIG_DIR);
    /* read here: the file loader is the server layer's (tests/unit/server/test_config_file.c) */
    static char text[64 * 1024];
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(text, 1, sizeof text - 1, f);
    (void)fclose(f); /* read-only */
    if (gmw_config_parse(text, n, path, &cfg, err, sizeof err) != 0) {
        print_error("%s\n", err);
        fail();
    }
    assert_string_equal(err, "");
    assert_int_equal(cfg.ratio_e4, 8500);
    assert_string_equal(cfg.gogc, "150");
    assert_int_equal(cfg.request_policy, GMW_REQUEST_LIMIT);
    assert_int_equal(cfg.min_limit_bytes, 32 * MiB);
    assert_int_equal(cfg.exclude_count, 2);
    assert_string_equal(cfg.exclude_namespaces[0], "kube-system");
    assert_string_equal(cfg.exclude_namespaces[1], "monitoring");
    assert_true(gmw_config_namespace_excluded(&cfg, "monitoring"));
    assert_false(gmw_config_namespace_excluded(&cfg, "kube-public")); /* replaced */
    assert_int_equal(cfg.invalid_annotations, GMW_INVALID_WARN);
    assert_int_equal(cfg.preview, GMW_PREVIEW_ALWAYS);
    assert_string_equal(gmw_preview_mode_name(cfg.preview), "always");
    assert_string_equal(gmw_preview_mode_name(GMW_PREVIEW_OFF), "off");
    assert_string_equal(gmw_preview_mode_name((gmw_preview_mode)9), "unknown");
    assert_true(cfg.shim_enabled);
    assert_string_equal(cfg.shim_image, "registry.example.com/gomemlimit-webhook:0.1.0");
    assert_string_equal(cfg.shim_pull_policy, "Always");
    assert_string_equal(cfg.listen, "127.0.0.1:9443");
    assert_string_equal(cfg.tls_cert_file, "/run/tls/tls.crt");
    assert_string_equal(cfg.tls_key_file, "/run/tls/tls.key");
    assert_int_equal(cfg.threads, 4);
    assert_int_equal(cfg.connection_limit, 512);
    assert_int_equal(cfg.idle_timeout_s, 120);
    assert_int_equal(cfg.request_timeout_s, 15);
    assert_int_equal(cfg.shutdown_grace_s, 30);
    assert_int_equal(cfg.max_body_bytes, 4 * MiB);
    assert_int_equal(cfg.log_level, GMW_LOG_DEBUG);
}

static void test_value_forms(void **state)
{
    (void)state;
    gmw_config cfg;
    char err[GMW_CONFIG_ERR];

    /* ratio plain or quoted, gogc number, string or off, flow style */
    assert_int_equal(parse("defaults: {ratio: \"0.9\", gogc: 100}", &cfg, err), 0);
    assert_int_equal(cfg.ratio_e4, 9000);
    assert_string_equal(cfg.gogc, "100");
    assert_int_equal(parse("defaults:\n  ratio: .75\n  gogc: off\n", &cfg, err), 0);
    assert_int_equal(cfg.ratio_e4, 7500);
    assert_string_equal(cfg.gogc, "off");
    assert_int_equal(parse("defaults: {ratio: 1, gogc: '100000', requestPolicy: keep}", &cfg, err),
                     0);
    assert_int_equal(cfg.ratio_e4, 10000);
    assert_string_equal(cfg.gogc, "100000");
    assert_int_equal(cfg.request_policy, GMW_REQUEST_KEEP);
    /* quantities in every form, durations in every form */
    assert_int_equal(parse("minLimit: 0\nmaxBody: 1048576\nidleTimeout: 90\n"
                           "requestTimeout: \"1m\"\nshutdownGracePeriod: 0s\n",
                           &cfg, err),
                     0);
    assert_int_equal(cfg.min_limit_bytes, 0);
    assert_int_equal(cfg.max_body_bytes, MiB);
    assert_int_equal(cfg.idle_timeout_s, 90);
    assert_int_equal(cfg.request_timeout_s, 60);
    assert_int_equal(cfg.shutdown_grace_s, 0);
    /* the same duration grammar as the serve flags: ms, s, m, h (whole seconds) */
    assert_int_equal(
        parse("idleTimeout: 2h\nrequestTimeout: 2000ms\nshutdownGracePeriod: 1m\n", &cfg, err), 0);
    assert_int_equal(cfg.idle_timeout_s, 7200);
    assert_int_equal(cfg.request_timeout_s, 2);
    assert_int_equal(cfg.shutdown_grace_s, 60);
    assert_int_equal(parse("idleTimeout: 24h\nrequestTimeout: 1h\n", &cfg, err), 0);
    assert_int_equal(cfg.idle_timeout_s, 86400);
    assert_int_equal(cfg.request_timeout_s, 3600);
    /* the slow-client bounds: headerTimeout and the per-address connection cap */
    gmw_config_defaults(&cfg);
    assert_int_equal(cfg.header_timeout_s, 10);
    assert_int_equal(cfg.per_ip_connection_limit, 512);
    assert_int_equal(parse("headerTimeout: 3s\nperIpConnectionLimit: 0\n", &cfg, err), 0);
    assert_int_equal(cfg.header_timeout_s, 3);
    assert_int_equal(cfg.per_ip_connection_limit, 0);
    assert_int_equal(parse("headerTimeout: 1h\nperIpConnectionLimit: 1000000\n", &cfg, err), 0);
    assert_int_equal(cfg.header_timeout_s, 3600);
    assert_int_equal(cfg.per_ip_connection_limit, 1000000);
    /* listen addresses: every form the server binds */
    static const char *const listens[] = {"\":8443\"",     "\"127.0.0.1:0\"", "\"[::1]:65535\"",
                                          "localhost:443", "\"[::]:8443\"",   "0.0.0.0:8443"};
    for (size_t i = 0; i < sizeof listens / sizeof listens[0]; i++) {
        char y[64];
        snprintf(y, sizeof y, "listen: %s\n", listens[i]);
        if (parse(y, &cfg, err) != 0) {
            print_error("%s: %s\n", y, err);
            fail();
        }
    }
    /* image references */
    assert_int_equal(parse("shim: {image: \"registry.example.com:5000/team/app:1.0@sha256:"
                           "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"}",
                           &cfg, err),
                     0);
    assert_int_equal(parse("shim: {image: busybox}", &cfg, err), 0);
    assert_string_equal(cfg.shim_image, "busybox");
    assert_int_equal(parse("minLimit: 1.5Gi\nmaxBody: 8e6", &cfg, err), 0);
    assert_int_equal(cfg.min_limit_bytes, 1610612736);
    assert_int_equal(cfg.max_body_bytes, 8000000);
    /* an empty list switches exclusions off */
    assert_int_equal(parse("excludeNamespaces: []", &cfg, err), 0);
    assert_int_equal(cfg.exclude_count, 0);
    assert_false(gmw_config_namespace_excluded(&cfg, "kube-system"));
    /* booleans, quoted or not; anchors without aliases are harmless */
    assert_int_equal(parse("shim: &s {enabled: \"false\", imagePullPolicy: Never}", &cfg, err), 0);
    assert_false(cfg.shim_enabled);
    assert_string_equal(cfg.shim_pull_policy, "Never");
    /* 64 namespaces is the maximum */
    char big[64 * 16 + 64];
    size_t used = (size_t)snprintf(big, sizeof big, "excludeNamespaces:\n");
    for (int i = 0; i < GMW_CONFIG_MAX_EXCLUDES; i++)
        used += (size_t)snprintf(big + used, sizeof big - used, "- ns-%d\n", i);
    assert_true(used < sizeof big);
    assert_int_equal(parse(big, &cfg, err), 0);
    assert_int_equal(cfg.exclude_count, GMW_CONFIG_MAX_EXCLUDES);
    assert_string_equal(cfg.exclude_namespaces[63], "ns-63");
    /* names for enums */
    assert_string_equal(gmw_request_policy_name(GMW_REQUEST_MATCH), "match");
    assert_string_equal(gmw_request_policy_name(GMW_REQUEST_LIMIT), "limit");
    assert_string_equal(gmw_request_policy_name(GMW_REQUEST_KEEP), "keep");
    assert_string_equal(gmw_log_level_name(GMW_LOG_DEBUG), "debug");
    assert_string_equal(gmw_log_level_name(GMW_LOG_WARN), "warn");
    assert_string_equal(gmw_log_level_name(GMW_LOG_ERROR), "error");
    assert_string_equal(gmw_log_level_name((gmw_log_level)42), "unknown");
}

typedef struct {
    const char *yaml;
    const char *want; /* the exact message */
} error_case;

static const error_case exact_errors[] = {
    {"defaults:\n  ratio: 0.9\nratoi: 1\n",
     "t.yaml:3:1: unknown key 'ratoi' in the top level (allowed: defaults, minLimit, "
     "excludeNamespaces, invalidAnnotations, preview, malformedGOMEMLIMIT, exclude, shim, listen, "
     "tls, threads, connectionLimit, perIpConnectionLimit, headerTimeout, idleTimeout, "
     "requestTimeout, shutdownGracePeriod, maxBody, logLevel)"},
    {"malformedGOMEMLIMIT: fix\n",
     "t.yaml:1:22: malformedGOMEMLIMIT: unknown value 'fix' (allowed: repair, keep, deny)"},
    {"exclude:\n  image: [a]\n", "t.yaml:2:3: unknown key 'image' in exclude (allowed: images)"},
    {"exclude:\n  images: nginx\n",
     "t.yaml:2:11: exclude.images: expected a sequence of image patterns, found a scalar"},
    {"exclude:\n  images: [\"a[b\"]\n",
     "t.yaml:2:12: exclude.images: 'a[b' is not an image pattern (1-255 printable characters, no "
     "spaces, [ ] balanced), e.g. \"docker.io/library/nginx*\""},
    {"exclude:\n  images: [\"\"]\n",
     "t.yaml:2:12: exclude.images: '' is not an image pattern (1-255 printable characters, no "
     "spaces, [ ] balanced), e.g. \"docker.io/library/nginx*\""},
    {"exclude:\n  images: [\"a b\"]\n",
     "t.yaml:2:12: exclude.images: 'a b' is not an image pattern (1-255 printable characters, no "
     "spaces, [ ] balanced), e.g. \"docker.io/library/nginx*\""},
    {"defaults:\n  ratio: 0.9\n  gogcc: 50\n",
     "t.yaml:3:3: unknown key 'gogcc' in defaults (allowed: ratio, gogc, requestPolicy)"},
    {"minLimit: 16Mi\nlogLevel: info\nminLimit: 32Mi\n",
     "t.yaml:3:1: the top level: duplicate key 'minLimit' (first at line 1)"},
    {"shim:\n  enabled: true\n  image: a\n  enabled: false\n",
     "t.yaml:4:3: shim: duplicate key 'enabled' (first at line 2)"},
    {"listen:\n  - a\n  - b\n", "t.yaml:2:3: listen: expected a string, found a sequence"},
    {"defaults: 0.9\n", "t.yaml:1:11: defaults: expected a mapping, found a scalar"},
    {"defaults: {ratio: 1.5}\n",
     "t.yaml:1:19: defaults.ratio: invalid ratio '1.5': expected a decimal in (0, 1] with at "
     "most 4 decimals, e.g. 0.9"},
    {"defaults:\n  gogc: 0\n",
     "t.yaml:2:9: defaults.gogc: invalid GOGC '0': expected an integer from 1 to 100000 or off, "
     "e.g. \"100\""},
    {"defaults:\n  requestPolicy: Match\n",
     "t.yaml:2:18: defaults.requestPolicy: unknown value 'Match' (allowed: match, limit, keep)"},
    {"preview: dryRun\n",
     "t.yaml:1:10: preview: unknown value 'dryRun' (allowed: dry-run, always, off)"},
    {"invalidAnnotations: ignore\n",
     "t.yaml:1:21: invalidAnnotations: unknown value 'ignore' (allowed: deny, warn)"},
    {"logLevel: verbose\n",
     "t.yaml:1:11: logLevel: unknown value 'verbose' (allowed: debug, info, warn, error)"},
    {"shim:\n  imagePullPolicy: always\n",
     "t.yaml:2:20: shim.imagePullPolicy: unknown value 'always' (allowed: Always, "
     "IfNotPresent, Never)"},
    {"shim:\n  enabled: yes\n",
     "t.yaml:2:12: shim.enabled: expected true or false, got 'yes' (booleans are only "
     "true/false)"},
    {"minLimit: 16MB\n",
     "t.yaml:1:11: minLimit: invalid quantity '16MB': not a Kubernetes quantity (example: 16Mi)"},
    {"maxBody: 2Gi\n", "t.yaml:1:10: maxBody: 2Gi is out of range (4096 to 1073741824 bytes)"},
    {"idleTimeout: 2d\n",
     "t.yaml:1:14: idleTimeout: expected a duration from 1s to 86400s (integer seconds or <n>ms, "
     "<n>s, <n>m, <n>h, whole seconds), got '2d'"},
    {"headerTimeout: 0s\n",
     "t.yaml:1:16: headerTimeout: expected a duration from 1s to 3600s (integer seconds or <n>ms, "
     "<n>s, <n>m, <n>h, whole seconds), got '0s'"},
    {"perIpConnectionLimit: -1\n",
     "t.yaml:1:23: perIpConnectionLimit: expected an integer from 0 to 1000000, got '-1'"},
    {"idleTimeout: 25h\n",
     "t.yaml:1:14: idleTimeout: expected a duration from 1s to 86400s (integer seconds or <n>ms, "
     "<n>s, <n>m, <n>h, whole seconds), got '25h'"},
    {"listen: \":99999\"\n",
     "t.yaml:1:9: listen: invalid address ':99999': the port must be a number from 0 to 65535"},
    {"tls: {certFile: /a}\nlisten: 8443\n",
     "t.yaml:2:9: listen: invalid address '8443': missing ':PORT' (write HOST:PORT, :PORT or "
     "[IPV6]:PORT)"},
    {"listen: \"::1:8443\"\n",
     "t.yaml:1:9: listen: invalid address '::1:8443': an IPv6 address needs brackets, e.g. "
     "[::1]:8443"},
    {"shim:\n  enabled: true\n  image: x y\n",
     "t.yaml:3:10: shim.image: 'x y' is not an image reference: contains whitespace or a control "
     "character (expected [REGISTRY[:PORT]/]PATH[:TAG][@sha256:DIGEST], e.g. "
     "ghcr.io/example/gomemlimit-webhook:0.1.0)"},
    {"threads: 1.5\n", "t.yaml:1:10: threads: expected an integer from 0 to 1024, got '1.5'"},
    {"tls:\n  certFile: \"\"\n", "t.yaml:2:13: tls.certFile: must not be empty"},
    {"defaults: &d {ratio: 0.9}\nshim: *d\n",
     "t.yaml:2:7: YAML aliases (*d) are not allowed in the config"},
    {"- a\n- b\n", "t.yaml:1:1: the top level must be a mapping of config keys, found a sequence"},
    {"logLevel: info\n---\nlogLevel: debug\n",
     "t.yaml:2:1: only one YAML document is allowed in the config"},
    {"excludeNamespaces: [default, Kube-System]\n",
     "t.yaml:1:30: excludeNamespaces: 'Kube-System' is not a namespace name (lower-case RFC 1123 "
     "label, at most 63 characters)"},
    {"excludeNamespaces:\n", "t.yaml:1:19: excludeNamespaces: expected a sequence of namespace "
                             "names, found a scalar"},
    {"a: b: c\n", "t.yaml:1:5: YAML syntax error: mapping values are not allowed in this context"},
};

/* Errors whose text comes partly from libyaml: check the position and a substring. */
static const error_case prefix_errors[] = {
    {"defaults: {ratio: 0.9\n", "t.yaml:2:1: YAML syntax error: did not find expected ',' or '}' "
                                "(while parsing a flow mapping started at line 1, column 11)"},
    {"logLevel: \xff\n", "t.yaml:1:11: invalid YAML input: invalid leading UTF-8 octet"},
    {"listen: \"a\\0b\"\n", "t.yaml:1:9: listen: value contains a NUL character"},
    {"listen: \"a\\tb\"\n", "t.yaml:1:9: listen: value contains a control character"},
    {"? [a]\n: b\n", "t.yaml:1:3: the top level: keys must be plain strings"},
    {"just a string\n",
     "t.yaml:1:1: the top level must be a mapping of config keys, found a scalar"},
    {"shim:\n  enabled: True\n", "t.yaml:2:12: shim.enabled: expected true or false, got 'True'"},
    {"threads: -1\n", "t.yaml:1:10: threads: expected an integer from 0 to 1024, got '-1'"},
    {"threads: 0x10\n", "t.yaml:1:10: threads: expected an integer"},
    {"threads: 1025\n", "t.yaml:1:10: threads: expected an integer from 0 to 1024"},
    {"connectionLimit: 0\n", "t.yaml:1:18: connectionLimit: expected an integer from 1 to"},
    {"connectionLimit: 99999999999999999999999\n", "t.yaml:1:18: connectionLimit: expected an "
                                                   "integer"},
    {"requestTimeout: 0\n", "t.yaml:1:17: requestTimeout: expected a duration from 1s"},
    {"requestTimeout: 1.5s\n", "t.yaml:1:17: requestTimeout: expected a duration"},
    {"requestTimeout: 1500ms\n", "t.yaml:1:17: requestTimeout: expected a duration from 1s"},
    {"requestTimeout: 1m30s\n", "t.yaml:1:17: requestTimeout: expected a duration from 1s"},
    {"requestTimeout: 2h\n", "t.yaml:1:17: requestTimeout: expected a duration from 1s to 3600s"},
    {"shutdownGracePeriod: -1\n", "t.yaml:1:22: shutdownGracePeriod: expected a duration"},
    {"listen: \"[::1]8443\"\n", "t.yaml:1:9: listen: invalid address '[::1]8443': an IPv6"},
    {"listen: \"[nope]:8443\"\n", "t.yaml:1:9: listen: invalid address '[nope]:8443': not an"},
    {"listen: \"my host:8443\"\n", "t.yaml:1:9: listen: invalid address 'my host:8443': the "
                                   "host must be"},
    {"listen: \":-1\"\n", "t.yaml:1:9: listen: invalid address ':-1': the port must be"},
    {"shim: {image: \"App:1\"}\n", "t.yaml:1:15: shim.image: 'App:1' is not an image "
                                   "reference: the repository path must be lower-case"},
    {"shim: {image: \"app:\"}\n", "t.yaml:1:15: shim.image: 'app:' is not an image reference: "
                                  "the tag must be"},
    {"shim: {image: \"app@sha256:abc\"}\n", "t.yaml:1:15: shim.image: 'app@sha256:abc' is not "
                                            "an image reference: the digest must be"},
    {"shim:\n  image: \"caf\u00e9\"\n", "t.yaml:2:10: shim.image: 'caf?"
                                        "?' is not an image "
                                        "reference: contains a non-ASCII character"},
    {"idleTimeout: s\n", "t.yaml:1:14: idleTimeout: expected a duration"},
    {"idleTimeout: 99999999999m\n", "t.yaml:1:14: idleTimeout: expected a duration"},
    {"shutdownGracePeriod: [1]\n", "t.yaml:1:22: shutdownGracePeriod: expected a duration, "
                                   "found a sequence"},
    {"maxBody: -1Mi\n", "t.yaml:1:10: maxBody: invalid quantity '-1Mi': negative quantity"},
    {"maxBody: 100\n", "t.yaml:1:10: maxBody: 100 is out of range"},
    {"minLimit: 8Ei\n", "t.yaml:1:11: minLimit: invalid quantity '8Ei': quantity too large"},
    {"minLimit: {a: 1}\n", "t.yaml:1:11: minLimit: expected a Kubernetes quantity, found a "
                           "mapping"},
    {"defaults:\n  ratio: 0\n", "t.yaml:2:10: defaults.ratio: invalid ratio '0'"},
    {"defaults:\n  ratio: 0.12345\n", "t.yaml:2:10: defaults.ratio: invalid ratio '0.12345'"},
    {"defaults:\n  ratio:\n", "t.yaml:2:9: defaults.ratio: invalid ratio ''"},
    {"defaults:\n  ratio: [0.9]\n", "t.yaml:2:10: defaults.ratio: expected a ratio, found a "
                                    "sequence"},
    {"defaults:\n  gogc: \"-1\"\n", "t.yaml:2:9: defaults.gogc: invalid GOGC '-1'"},
    {"defaults:\n  gogc: 100000000000000000\n", "t.yaml:2:9: defaults.gogc: invalid GOGC"},
    {"tls: {certFile: /a, key: /b}\n", "t.yaml:1:21: unknown key 'key' in tls (allowed: "
                                       "certFile, keyFile)"},
    {"shim: [enabled]\n", "t.yaml:1:7: shim: expected a mapping, found a sequence"},
    {"excludeNamespaces: [[a]]\n", "t.yaml:1:21: excludeNamespaces: expected a namespace name, "
                                   "found a sequence"},
    {"excludeNamespaces: [-a]\n", "t.yaml:1:21: excludeNamespaces: '-a' is not a namespace"},
    {"%YAML 1.1\n---\nlogLevel: info\n--- \nlogLevel: info\n", "t.yaml:4:1: only one YAML"},
    {"x: &a 1\ny: *a\n", "t.yaml:2:4: YAML aliases (*a) are not allowed"},
    {"<<: *base\n", "t.yaml:1:5: YAML aliases (*base) are not allowed"}, /* merge key */
};

static void run_error_case(const error_case *c, bool exact, size_t *failures)
{
    gmw_config cfg;
    gmw_config before;
    char err[GMW_CONFIG_ERR] = "untouched";
    gmw_config_defaults(&cfg);
    cfg.threads = 77; /* a marker: *cfg must stay unchanged on error */
    /* A byte copy, padding included (an assignment need not copy padding). */
    memcpy(&before, &cfg, sizeof before);
    int rc = parse(c->yaml, &cfg, err);
    bool ok = rc == -EINVAL &&
              (exact ? strcmp(err, c->want) == 0 : strncmp(err, c->want, strlen(c->want)) == 0);
    /* Byte for byte on purpose: *cfg must not be written at all on error. */
    // NOLINTNEXTLINE(bugprone-suspicious-memory-comparison,cert-exp42-c,cert-flp37-c)
    if (!ok || memcmp(&cfg, &before, sizeof cfg) != 0) {
        print_error("yaml \"%s\":\n  got  rc %d \"%s\"\n  want \"%s\"%s\n", c->yaml, rc, err,
                    c->want, exact ? "" : "...");
        (*failures)++;
    }
}

static void test_errors(void **state)
{
    (void)state;
    size_t failures = 0;
    for (size_t i = 0; i < sizeof exact_errors / sizeof exact_errors[0]; i++)
        run_error_case(&exact_errors[i], true, &failures);
    for (size_t i = 0; i < sizeof prefix_errors / sizeof prefix_errors[0]; i++)
        run_error_case(&prefix_errors[i], false, &failures);
    assert_int_equal(failures, 0);
}

static void test_limits(void **state)
{
    (void)state;
    gmw_config cfg;
    char err[GMW_CONFIG_ERR];

    /* 65 namespaces: the 65th is reported */
    char big[65 * 16 + 64];
    size_t used = (size_t)snprintf(big, sizeof big, "excludeNamespaces:\n");
    for (int i = 0; i < GMW_CONFIG_MAX_EXCLUDES + 1; i++)
        used += (size_t)snprintf(big + used, sizeof big - used, "- ns-%d\n", i);
    assert_true(used < sizeof big);
    assert_int_equal(parse(big, &cfg, err), -EINVAL);
    assert_string_equal(err, "t.yaml:66:3: excludeNamespaces: too many namespaces (at most 64)");

    /* strings too long */
    char yaml[2048];
    char longval[300];
    memset(longval, 'a', sizeof longval - 1);
    longval[sizeof longval - 1] = '\0';
    snprintf(yaml, sizeof yaml, "listen: %s\n", longval);
    assert_int_equal(parse(yaml, &cfg, err), -EINVAL);
    assert_string_equal(err, "t.yaml:1:9: listen: value too long (299 characters, at most 255)");
    snprintf(yaml, sizeof yaml, "shim:\n  image: '%s'\n", longval);
    assert_int_equal(parse(yaml, &cfg, err), -EINVAL);
    assert_string_equal(err,
                        "t.yaml:2:10: shim.image: value too long (299 characters, at most 255)");
    char ns[80];
    memset(ns, 'n', 64);
    ns[64] = '\0';
    snprintf(yaml, sizeof yaml, "excludeNamespaces: [%s]\n", ns);
    assert_int_equal(parse(yaml, &cfg, err), -EINVAL);
    assert_non_null(strstr(err, "t.yaml:1:21: excludeNamespaces: 'nnnn"));
    assert_non_null(strstr(err, "...' is not a namespace name"));
    /* 255 characters fit exactly (a valid image name of that length) */
    longval[255] = '\0';
    snprintf(yaml, sizeof yaml, "shim: {image: %s}\n", longval);
    if (parse(yaml, &cfg, err) != 0) {
        print_error("%s\n", err);
        fail();
    }
    assert_int_equal(strlen(cfg.shim_image), 255);

    /* a tiny error buffer gets a truncated, terminated message */
    char tiny[12];
    assert_int_equal(gmw_config_parse("x: 1", 4, "t.yaml", &cfg, tiny, sizeof tiny), -EINVAL);
    assert_string_equal(tiny, "t.yaml:1:1:");
    assert_int_equal(gmw_config_parse("x: 1", 4, "t.yaml", &cfg, NULL, 0), -EINVAL);
    /* the length is honoured: the text need not be NUL-terminated */
    assert_int_equal(gmw_config_parse("logLevel: warnXXXX", 14, "t.yaml", &cfg, err, sizeof err),
                     0);
    assert_int_equal(cfg.log_level, GMW_LOG_WARN);
    /* no filename */
    assert_int_equal(gmw_config_parse("x: 1", 4, NULL, &cfg, err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "<config>:1:1: unknown key 'x'"));
}

/* The example in docs/config.md claims to show every key with its default: check it. */
/* malformedGOMEMLIMIT and exclude.images: values, and fnmatch semantics of the patterns. */
static void test_malformed_and_exclude_images(void **state)
{
    (void)state;
    static const char *const modes[] = {"repair", "keep", "deny"};
    for (size_t i = 0; i < 3; i++) {
        char text[64], err[GMW_CONFIG_ERR];
        gmw_config cfg;
        snprintf(text, sizeof text, "malformedGOMEMLIMIT: %s\n", modes[i]);
        assert_int_equal(gmw_config_parse(text, strlen(text), "t.yaml", &cfg, err, sizeof err), 0);
        assert_int_equal((int)cfg.malformed_gomemlimit, (int)i);
        assert_string_equal(gmw_malformed_mode_name(cfg.malformed_gomemlimit), modes[i]);
    }
    const char *text = "exclude:\n  images:\n  - \"docker.io/library/nginx*\"\n"
                       "  - \"*/ingress-nginx/controller:v1.[0-9]*\"\n  - \"redis\"\n";
    gmw_config cfg;
    char err[GMW_CONFIG_ERR];
    assert_int_equal(gmw_config_parse(text, strlen(text), "t.yaml", &cfg, err, sizeof err), 0);
    assert_int_equal(cfg.exclude_image_count, 3);
    static const struct {
        const char *image, *pattern; /* NULL: not excluded */
    } cases[] = {
        {"docker.io/library/nginx:1.27", "docker.io/library/nginx*"},
        {"docker.io/library/nginx", "docker.io/library/nginx*"},
        {"nginx:1.27", NULL}, /* patterns match the image string as written */
        {"registry.k8s.io/ingress-nginx/controller:v1.11.2@sha256:abc",
         "*/ingress-nginx/controller:v1.[0-9]*"},
        {"registry.k8s.io/ingress-nginx/controller:v2.0", NULL},
        {"redis", "redis"},
        {"redis:7", NULL},
        {"ghcr.io/example/api:1", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *got = gmw_config_image_excluded(&cfg, cases[i].image);
        if (cases[i].pattern == NULL)
            assert_null(got);
        else
            assert_string_equal(got, cases[i].pattern);
    }
    assert_null(gmw_config_image_excluded(&cfg, NULL));
    /* at most 64 patterns */
    char big[64 * 8 + 32];
    size_t used = (size_t)snprintf(big, sizeof big, "exclude:\n  images:\n");
    for (int i = 0; i < 65; i++)
        used += (size_t)snprintf(big + used, sizeof big - used, "  - a%d\n", i % 10);
    assert_true(gmw_config_parse(big, used, "t.yaml", &cfg, err, sizeof err) < 0);
    assert_non_null(strstr(err, "too many patterns (at most 64)"));
}

static void test_docs_example(void **state)
{
    (void)state;
    char path[1024];
    snprintf(path, sizeof path, "%s/../../../../docs/config.md", GMW_TEST_CONFIG_DIR);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    static char doc[256 * 1024];
    size_t n = fread(doc, 1, sizeof doc - 1, f);
    (void)fclose(f); /* read-only */
    doc[n] = '\0';
    const char *start = strstr(doc, "```yaml\n");
    assert_non_null(start);
    start += strlen("```yaml\n");
    const char *end = strstr(start, "\n```");
    assert_non_null(end);

    gmw_config cfg;
    char err[GMW_CONFIG_ERR];
    if (gmw_config_parse(start, (size_t)(end - start) + 1, "docs/config.md", &cfg, err,
                         sizeof err) != 0) {
        print_error("%s\n", err);
        fail();
    }
    assert_defaults(&cfg);
    /* every top-level key appears in the example */
    static const char *const keys[] = {
        "\ndefaults:",
        "\n  ratio:",
        "\n  gogc:",
        "\n  requestPolicy:",
        "\nminLimit:",
        "\nexcludeNamespaces:",
        "\ninvalidAnnotations:",
        "\npreview:",
        "\nmalformedGOMEMLIMIT:",
        "\nexclude:",
        "\n  images:",
        "\nshim:",
        "\n  enabled:",
        "\n  image:",
        "\n  imagePullPolicy:",
        "\nlisten:",
        "\ntls:",
        "\n  certFile:",
        "\n  keyFile:",
        "\nthreads:",
        "\nconnectionLimit:",
        "\nidleTimeout:",
        "\nrequestTimeout:",
        "\nshutdownGracePeriod:",
        "\nmaxBody:",
        "\nlogLevel:",
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const char *hit = strstr(start - 1, keys[i]);
        assert_true(hit != NULL && hit < end);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),     cmocka_unit_test(test_every_key),
        cmocka_unit_test(test_value_forms),  cmocka_unit_test(test_errors),
        cmocka_unit_test(test_limits),       cmocka_unit_test(test_malformed_and_exclude_images),
        cmocka_unit_test(test_docs_example),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
