/*
 * test_config_oom.c - gmw_config_parse tells out of memory (-ENOMEM) from bad input
 * (-EINVAL). The test binary is linked with -Wl,--wrap=malloc,--wrap=calloc, so every
 * allocation made by our own code (config.c, not libyaml) goes through the wrappers,
 * which fail while fail_malloc is set. (calloc too: GCC may turn malloc + memset into
 * calloc.)
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"

/* The names are the linker's (ld --wrap), reserved or not. */
// NOLINTBEGIN(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp)
void *__real_malloc(size_t size);
void *__wrap_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__wrap_calloc(size_t n, size_t size);

static bool fail_malloc;

void *__wrap_malloc(size_t size)
{
    return fail_malloc ? NULL : __real_malloc(size);
}

void *__wrap_calloc(size_t n, size_t size)
{
    return fail_malloc ? NULL : __real_calloc(n, size);
}
// NOLINTEND(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp)

static void test_out_of_memory_is_enomem(void **state)
{
    (void)state;
    static const char text[] = "threads: 4\n";
    char err[GMW_CONFIG_ERR];
    gmw_config cfg;

    gmw_config_defaults(&cfg);
    fail_malloc = true;
    int rc = gmw_config_parse(text, sizeof text - 1, "t.yaml", &cfg, err, sizeof err);
    fail_malloc = false;
    assert_int_equal(rc, -ENOMEM);
    assert_string_equal(err, "t.yaml:1:1: out of memory");
    assert_int_equal(cfg.threads, 0); /* untouched */

    /* the same text with memory: parsed; a bad value: -EINVAL */
    assert_int_equal(gmw_config_parse(text, sizeof text - 1, "t.yaml", &cfg, err, sizeof err), 0);
    assert_int_equal(cfg.threads, 4);
    assert_int_equal(gmw_config_parse("threads: x\n", 11, "t.yaml", &cfg, err, sizeof err),
                     -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_out_of_memory_is_enomem),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
