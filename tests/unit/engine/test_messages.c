/*
 * test_messages.c - the table of issue 9's texts (webhook/engine/messages.h): each one,
 * formatted with realistic values (a 20-character container name, the longest values the
 * engine echoes for these cases), stays within GMW_WARNING_MAX (120) characters once
 * "Warning: " is not counted, is printable ASCII, and names the container, the value and
 * the fix. The engine's own use of each text is checked in test_engine.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "messages.h"
#include "warnings.h"

#define NAME "payments-api-server1" /* 20 characters */

static void check(const char *text, const char *const *must)
{
    size_t n = strlen(text);
    if (n > GMW_WARNING_MAX)
        fail_msg("%zu characters: %s", n, text);
    for (const char *c = text; *c; c++)
        assert_true(*c >= 0x20 && *c < 0x7f);
    for (size_t i = 0; must[i] != NULL; i++)
        if (strstr(text, must[i]) == NULL)
            fail_msg("'%s' does not name '%s'", text, must[i]);
}

static void test_every_text(void **state)
{
    (void)state;
    char buf[512], fix[128];

    snprintf(buf, sizeof buf, GMW_MSG_IMAGE_EXCLUDED, NAME,
             "registry.k8s.io/ingress-nginx/control...");
    check(buf, (const char *const[]){NAME, "exclude.images", "registry.k8s.io", NULL});

    snprintf(buf, sizeof buf, GMW_MSG_MALFORMED_REPAIRED, NAME, "1.5Gi", "1536MiB");
    check(buf, (const char *const[]){NAME, "GOMEMLIMIT=\"1.5Gi\"", "1536MiB", NULL});
    snprintf(buf, sizeof buf, GMW_MSG_MALFORMED_REPAIRED, NAME, "1000000k", "1000000000");
    check(buf, (const char *const[]){NAME, "1000000k", "1000000000", NULL});

    snprintf(buf, sizeof buf,
             "gomemlimit: container %s: GOMEMLIMIT=%s (%s of %s)" GMW_MSG_MALFORMED_REPLACED_SUFFIX
             ", GOGC=100",
             NAME, "1843MiB", "90%", "2Gi", "2GB");
    check(buf, (const char *const[]){NAME, "1843MiB", "replacing \"2GB\"", NULL});

    snprintf(buf, sizeof buf, GMW_MSG_MALFORMED_REMOVED, NAME, "lots");
    check(buf, (const char *const[]){NAME, "\"lots\"", "removed", NULL});

    char detail[200];
    snprintf(detail, sizeof detail, GMW_MSG_MEMORY_LIMIT_ABOVE, NAME, "64Mi", "57Mi");
    snprintf(buf, sizeof buf, "gomemlimit: gomemlimit.io/memory-limit=\"%s\" %s", "300Mi", detail);
    check(buf, (const char *const[]){NAME, "gomemlimit.io/memory-limit", "\"300Mi\"", "64Mi",
                                     "e.g. \"57Mi\"", NULL});
    snprintf(buf, sizeof buf, GMW_MSG_MEMORY_LIMIT_BELOW_MIB, NAME, "gomemlimit.io/memory-limit",
             "500Ki", "460Mi");
    check(buf, (const char *const[]){NAME, "gomemlimit.io/memory-limit", "\"500Ki\"", "1MiB",
                                     "e.g. \"460Mi\"", NULL});
    check(GMW_MSG_POD_OPT_OUT_EXCEPT,
          (const char *const[]){"gomemlimit.io/inject=false", "inject.<name>=true", NULL});

    const char *fixes[3];
    char f0[64], f1[64], f2[64];
    snprintf(f0, sizeof f0, GMW_MSG_FIX_USE, "1536MiB");
    snprintf(f1, sizeof f1, GMW_MSG_FIX_EXAMPLE, "1843MiB");
    snprintf(f2, sizeof f2, GMW_MSG_FIX_REMOVE);
    fixes[0] = f0;
    fixes[1] = f1;
    fixes[2] = f2;
    for (size_t i = 0; i < 3; i++) {
        snprintf(fix, sizeof fix, "%s", fixes[i]);
        snprintf(buf, sizeof buf, GMW_MSG_MALFORMED_KEPT, NAME, "100 MiB", fix);
        check(buf, (const char *const[]){NAME, "\"100 MiB\"", fix, NULL});
        char item[256];
        snprintf(item, sizeof item, GMW_MSG_MALFORMED_DENIED, NAME, "100 MiB", fix);
        snprintf(buf, sizeof buf, "gomemlimit: %s", item);
        check(buf, (const char *const[]){NAME, "\"100 MiB\"", fix, NULL});
    }
}

/* The fixes are themselves valid: what they tell the user to write, Go accepts. */
static void test_fixes_are_go_values(void **state)
{
    (void)state;
    assert_string_equal(GMW_MSG_FIX_REMOVE, "remove it or use e.g. 400MiB");
    assert_non_null(strstr(GMW_MSG_FIX_USE, "%s"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_text),
        cmocka_unit_test(test_fixes_are_go_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
