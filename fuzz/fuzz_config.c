/*
 * fuzz_config.c - the YAML configuration parser (config.h).
 *
 * Invariants: 0, -EINVAL or -ENOMEM; on error *cfg is untouched and err is a NUL-terminated single
 * line "fuzz.yaml:LINE:COL: ..." within errcap; on success every value is within its documented
 * range and every string field is NUL-terminated inside its array.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "config.h"
#include "fuzz_check.h"

#define TERMINATED(arr) (memchr((arr), '\0', sizeof(arr)) != NULL)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static gmw_config cfg, before;
    char err[GMW_CONFIG_ERR];
    if (size > (1u << 20))
        return 0;
    memset(&cfg, 0xA5, sizeof cfg);
    memcpy(&before, &cfg, sizeof cfg);
    memset(err, 'X', sizeof err);
    int rc = gmw_config_parse((const char *)data, size, "fuzz.yaml", &cfg, err, sizeof err);
    FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -ENOMEM, "rc %d", rc);
    if (rc != 0) {
        /* both were filled byte for byte with the same pattern, padding included */
        // NOLINTNEXTLINE(bugprone-suspicious-memory-comparison,cert-exp42-c,cert-flp37-c)
        FUZZ_CHECK(memcmp(&cfg, &before, sizeof cfg) == 0, "cfg changed on error: %s", err);
        FUZZ_CHECK(TERMINATED(err), "err not terminated");
        FUZZ_CHECK(strncmp(err, "fuzz.yaml:", 10) == 0, "err: %s", err);
        FUZZ_CHECK(strchr(err, '\n') == NULL, "multi-line err: %s", err);
        return 0;
    }
    FUZZ_CHECK(cfg.ratio_e4 >= 1 && cfg.ratio_e4 <= 10000, "ratio %u", cfg.ratio_e4);
    FUZZ_CHECK(TERMINATED(cfg.gogc) && cfg.gogc[0] != '\0', "gogc");
    FUZZ_CHECK(cfg.request_policy <= GMW_REQUEST_KEEP, "policy");
    FUZZ_CHECK(cfg.min_limit_bytes >= 0, "minLimit");
    FUZZ_CHECK(cfg.exclude_count <= GMW_CONFIG_MAX_EXCLUDES, "excludes");
    for (size_t i = 0; i < cfg.exclude_count; i++)
        FUZZ_CHECK(TERMINATED(cfg.exclude_namespaces[i]), "exclude %zu", i);
    FUZZ_CHECK(cfg.invalid_annotations <= GMW_INVALID_WARN, "invalidAnnotations");
    FUZZ_CHECK(TERMINATED(cfg.shim_image) && TERMINATED(cfg.shim_pull_policy), "shim");
    FUZZ_CHECK(TERMINATED(cfg.listen) && TERMINATED(cfg.tls_cert_file) &&
                   TERMINATED(cfg.tls_key_file),
               "server strings");
    FUZZ_CHECK(cfg.idle_timeout_s >= GMW_IDLE_TIMEOUT_MIN_S &&
                   cfg.idle_timeout_s <= GMW_IDLE_TIMEOUT_MAX_S,
               "idleTimeout %u", cfg.idle_timeout_s);
    FUZZ_CHECK(cfg.request_timeout_s >= GMW_REQUEST_TIMEOUT_MIN_S &&
                   cfg.request_timeout_s <= GMW_REQUEST_TIMEOUT_MAX_S,
               "requestTimeout %u", cfg.request_timeout_s);
    FUZZ_CHECK(cfg.shutdown_grace_s <= GMW_SHUTDOWN_GRACE_MAX_S, "grace %u", cfg.shutdown_grace_s);
    FUZZ_CHECK(cfg.max_body_bytes >= 4096 && cfg.max_body_bytes <= (INT64_C(1) << 30), "maxBody");
    FUZZ_CHECK(cfg.threads <= 1024, "threads %u", cfg.threads);
    FUZZ_CHECK(cfg.connection_limit >= 1 && cfg.connection_limit <= 1000000, "connectionLimit");
    FUZZ_CHECK(cfg.log_level <= GMW_LOG_ERROR, "logLevel");
    return 0;
}
