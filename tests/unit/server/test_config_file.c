/*
 * test_config_file.c - the config file loader (config_file.h): errors that come from
 * the file (missing, a directory, over 1 MiB) and a parse error positioned in the file.
 * Moved from tests/unit/core/test_config.c with the loader; assertions unchanged.
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

#include "config_file.h"

#ifndef GMW_TEST_CONFIG_DIR
#error "GMW_TEST_CONFIG_DIR must point at tests/unit/core/config"
#endif

#define MiB ((int64_t)1 << 20)

/* As in tests/unit/core/test_config.c. */
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
}

static void test_load_file(void **state)
{
    (void)state;
    gmw_config cfg;
    char err[GMW_CONFIG_ERR];
    char path[1024];

    snprintf(path, sizeof path, "%s/bad-nested-key.yaml", GMW_TEST_CONFIG_DIR);
    assert_int_equal(gmw_config_load_file(path, &cfg, err, sizeof err), -EINVAL);
    char want[1200];
    snprintf(want, sizeof want,
             "%s:7:3: unknown key 'pullPolicy' in shim (allowed: enabled, image, imagePullPolicy)",
             path);
    assert_string_equal(err, want);

    snprintf(path, sizeof path, "%s/does-not-exist.yaml", GMW_TEST_CONFIG_DIR);
    assert_int_equal(gmw_config_load_file(path, &cfg, err, sizeof err), -ENOENT);
    snprintf(want, sizeof want, "%s: No such file or directory", path);
    assert_string_equal(err, want);

    assert_int_equal(gmw_config_load_file(GMW_TEST_CONFIG_DIR, &cfg, err, sizeof err), -EISDIR);
    snprintf(want, sizeof want, "%s: Is a directory", GMW_TEST_CONFIG_DIR);
    assert_string_equal(err, want);
    assert_int_equal(gmw_config_load_file(NULL, &cfg, err, sizeof err), -EINVAL);

    /* exactly 1 MiB of comments is fine; one byte more is refused */
    char tmp[] = "/tmp/gmw-config-test-XXXXXX";
    int fd = mkstemp(tmp);
    assert_true(fd >= 0);
    char *buf = malloc(MiB + 1);
    assert_non_null(buf);
    memset(buf, ' ', MiB + 1);
    buf[0] = '#';
    buf[MiB - 1] = '\n';
    assert_int_equal(write(fd, buf, MiB), MiB);
    assert_int_equal(gmw_config_load_file(tmp, &cfg, err, sizeof err), 0);
    assert_defaults(&cfg);
    assert_int_equal(write(fd, "\n", 1), 1);
    assert_int_equal(gmw_config_load_file(tmp, &cfg, err, sizeof err), -EFBIG);
    snprintf(want, sizeof want, "%s: file is larger than 1 MiB, refusing to parse it", tmp);
    assert_string_equal(err, want);
    close(fd);
    unlink(tmp);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
