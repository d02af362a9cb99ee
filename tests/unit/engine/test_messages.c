/*
 * test_messages.c - the table of every warning and denial text (webhook/engine/messages.h).
 *
 * 1. The table: every GMW_MSG_ text, formatted with realistic worst-case values (a
 *    20-character container name, the longest values the engine echoes for that case, every
 *    fragment in its parent text), is at most GMW_WARNING_MAX (120) characters of printable
 *    ASCII and names what issue 9 asks for: the container, the annotation and its value, the
 *    bound and a valid example, where they apply. With a 63-character container name (the
 *    longest DNS label) the warning as sent still names the whole container. The budget
 *    (docs/annotations.md, Decisions): a 20-character name; a 16-character one for the
 *    change line with both a replaced malformed value and a raised request.
 *    tests/messages/check_literals.py checks that every GMW_MSG_ macro of messages.h appears
 *    here, and that no engine source holds a "gomemlimit: " literal outside the table.
 * 2. The engine says exactly the table's texts: Pods (and workloads) built to reach each
 *    case go through gmw_engine_mutate_pod (gmw_preview_object, gmw_workload_mutate), and
 *    each expected warning, formatted here from the macro with the values worked out by
 *    hand, must be among the warnings sent (or be the denial message), so a text written
 *    elsewhere than in the table fails.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "messages.h"
#include "preview.h"
#include "warnings.h"
#include "workload.h"
#include "test_json.h"

#define NAME "payments-api-server1" /* 20 characters */
#define NAME63 "payments-api-server-with-a-very-long-name-for-the-dns-label-max"
_Static_assert(sizeof NAME - 1 == 20, "20 characters");
_Static_assert(sizeof NAME63 - 1 == 63, "63 characters");

/* ---- 1. the table ------------------------------------------------------------------------ */

typedef struct {
    const char *id;  /* the macro */
    char text[1024]; /* formatted */
    const char *must[8];
} entry;

#define TABLE_MAX 96
static entry table[TABLE_MAX];
static size_t table_len;

/* Add an entry: the formatted text of macro `id` and the parts it must contain (NULL-ended). */
static void add_entry(const char *id, const char *text, const char *const *must)
{
    assert_true(table_len < TABLE_MAX);
    entry *e = &table[table_len++];
    memset(e, 0, sizeof *e);
    e->id = id;
    snprintf(e->text, sizeof e->text, "%s", text);
    for (size_t i = 0; i < 7 && must[i] != NULL; i++)
        e->must[i] = must[i];
}
#define add(id, text, ...) add_entry(id, text, (const char *const[]){__VA_ARGS__})

static char buf[1024], frag[512], frag2[256];
#define F(...) (snprintf(buf, sizeof buf, __VA_ARGS__), buf)

/* The table for container name `n`: every text, each fragment inside its parent. */
static void build(const char *n)
{
    table_len = 0;
    add("GMW_MSG_PREFIX", GMW_MSG_PREFIX "x", "gomemlimit: ", NULL);
    /* skipped */
    add("GMW_MSG_CONTAINER_OPT_OUT", F(GMW_MSG_CONTAINER_OPT_OUT, n, n), n, "gomemlimit.io/inject.",
        "=false", NULL);
    add("GMW_MSG_IMAGE_EXCLUDED",
        F(GMW_MSG_IMAGE_EXCLUDED, n, "registry.k8s.io/ingress-nginx/control..."), n,
        "exclude.images", "registry.k8s.io", NULL);
    add("GMW_MSG_NO_LIMIT", F(GMW_MSG_NO_LIMIT, n), n, "resources.limits.memory", NULL);
    add("GMW_MSG_LIMIT_INVALID", F(GMW_MSG_LIMIT_INVALID, n, "1.5GB"), n, "\"1.5GB\"", "is invalid",
        "e.g. 512Mi", NULL);
    add("GMW_MSG_LIMIT_OUT_OF_RANGE", F(GMW_MSG_LIMIT_OUT_OF_RANGE, n, "9223372036854775808"), n,
        "\"9223372036854775808\"", "out of range", "8Ei", NULL);
    add("GMW_MSG_LIMIT_BELOW_MIN", F(GMW_MSG_LIMIT_BELOW_MIN, n, "15999999", "16Mi"), n, "15999999",
        "minLimit 16Mi", NULL);
    /* 2^20 x 10000 / 1500000000 = 6.99: ratio 0.0007; 2^20 x 10000 / 9000 = 1165085.6 bytes */
    snprintf(frag, sizeof frag, GMW_MSG_FIX_RATIO, "0.0007");
    add("GMW_MSG_FIX_RATIO", F(GMW_MSG_GOMEMLIMIT_BELOW_MIB, n, "0.0001", "1500000000", frag), n,
        "ratio 0.0001", "limit 1500000000", "< 1MiB", "use e.g. ratio 0.0007", NULL);
    snprintf(frag, sizeof frag, GMW_MSG_FIX_LIMIT, (int64_t)2);
    add("GMW_MSG_FIX_LIMIT", F(GMW_MSG_GOMEMLIMIT_BELOW_MIB, n, "0.9", "1048575", frag), n,
        "ratio 0.9", "limit 1048575", "< 1MiB", "use e.g. limit 2Mi", NULL);
    add("GMW_MSG_ENV_NOT_LIST", F(GMW_MSG_ENV_NOT_LIST, n), n, "env", NULL);
    /* the change line with each of its fragments; a replaced value and a raised request
     * together are budgeted for a 16-character name (see the top of this file) */
    snprintf(frag, sizeof frag, GMW_MSG_WHAT_RATIO, "1843MiB", "87.51%", "1500000000");
    snprintf(frag2, sizeof frag2, GMW_MSG_REQUEST_CHANGE, "256Mi", "1843Mi");
    add("GMW_MSG_CHANGE+GMW_MSG_WHAT_RATIO+GMW_MSG_REQUEST_CHANGE",
        F(GMW_MSG_CHANGE, n, frag, "100", frag2), n, "GOMEMLIMIT=1843MiB", "87.51% of 1500000000",
        "GOGC=100", "request 256Mi -> 1843Mi", NULL);
    snprintf(frag, sizeof frag, GMW_MSG_WHAT_ANNOTATION, "1843MiB");
    add("GMW_MSG_WHAT_ANNOTATION", F(GMW_MSG_CHANGE, n, frag, "100", frag2), n,
        "GOMEMLIMIT=1843MiB (memory-limit)", "request 256Mi -> 1843Mi", NULL);
    snprintf(frag, sizeof frag, GMW_MSG_WHAT_RATIO GMW_MSG_MALFORMED_REPLACED_SUFFIX, "1843MiB",
             "87.51%", "2Gi", "100 MiB");
    add("GMW_MSG_MALFORMED_REPLACED_SUFFIX", F(GMW_MSG_CHANGE, n, frag, "100", ""), n,
        "GOMEMLIMIT=1843MiB", "87.51% of 2Gi", "replacing \"100 MiB\"", NULL);
    snprintf(frag, sizeof frag, GMW_MSG_WHAT_RATIO GMW_MSG_REPLACING_EMPTY, "1843MiB", "90%",
             "1500000000");
    add("GMW_MSG_REPLACING_EMPTY", F(GMW_MSG_CHANGE, n, frag, "kept", ""), n, "replacing \"\"",
        "GOGC=kept", NULL);
    const char *n16 = strlen(n) > 16 ? "payments-api-srv" : n;
    snprintf(frag, sizeof frag, GMW_MSG_WHAT_RATIO GMW_MSG_MALFORMED_REPLACED_SUFFIX, "921MiB",
             "90%", "1Gi", "1GB");
    snprintf(frag2, sizeof frag2, GMW_MSG_REQUEST_CHANGE, GMW_MSG_REQUEST_NONE, "921Mi");
    add("GMW_MSG_REQUEST_NONE", F(GMW_MSG_CHANGE, n16, frag, "100", frag2), n16,
        "replacing \"1GB\"", "request none -> 921Mi", NULL);
    add("GMW_MSG_WHAT_KEPT", F(GMW_MSG_CHANGE, n, GMW_MSG_WHAT_KEPT, "100", ""), n,
        "GOMEMLIMIT kept", "GOGC=100", NULL);
    add("GMW_MSG_USER_ABOVE_LIMIT",
        F(GMW_MSG_USER_ABOVE_LIMIT, n, "1953125KiB", "1500000000", "1287MiB"), n,
        "GOMEMLIMIT=1953125KiB", "limit 1500000000", "e.g. 1287MiB", NULL);
    add("GMW_MSG_GOGC_NOT_UNDERSTOOD", F(GMW_MSG_GOGC_NOT_UNDERSTOOD, n, "0x64-percent-of"), n,
        "GOGC=\"0x64-percent-of\"", "100", NULL);
    add("GMW_MSG_ENV_FROM_BOTH", F(GMW_MSG_ENV_FROM, n, GMW_MSG_ENV_FROM_BOTH), n, "envFrom",
        "GOMEMLIMIT and GOGC", NULL);
    add("GMW_MSG_ENV_FROM_GOMEMLIMIT", F(GMW_MSG_ENV_FROM, n, GMW_MSG_ENV_FROM_GOMEMLIMIT), n,
        "GOMEMLIMIT overrides", NULL);
    add("GMW_MSG_ENV_FROM_GOGC", F(GMW_MSG_ENV_FROM, n, GMW_MSG_ENV_FROM_GOGC), n, "GOGC overrides",
        NULL);
    add("GMW_MSG_POD_RESOURCES", F(GMW_MSG_POD_RESOURCES, "match"), "spec.resources",
        "policy match", NULL);
    add("GMW_MSG_REQUESTS_NOT_OBJECT", F(GMW_MSG_REQUESTS_NOT_OBJECT, n), n, "resources.requests",
        NULL);
    add("GMW_MSG_REQUEST_INVALID", F(GMW_MSG_REQUEST_INVALID, n, "1.5 gigabytes"), n,
        "requests.memory \"1.5 gigabytes\"", NULL);
    add("GMW_MSG_SHIM_NO_COMMAND", F(GMW_MSG_SHIM_NO_COMMAND, n), n, "docs/shim.md", NULL);
    add("GMW_MSG_SHIM_CONFLICT", F(GMW_MSG_SHIM_CONFLICT, n), n, "/gomemlimit", NULL);
    /* malformed user GOMEMLIMIT */
    add("GMW_MSG_MALFORMED_REPAIRED", F(GMW_MSG_MALFORMED_REPAIRED, n, "1000000k", "1000000000"), n,
        "GOMEMLIMIT=\"1000000k\"", "set to 1000000000", NULL);
    add("GMW_MSG_MALFORMED_REMOVED", F(GMW_MSG_MALFORMED_REMOVED, n, "100 MiB"), n,
        "GOMEMLIMIT=\"100 MiB\"", "removed", "no limit", NULL);
    static const char *const fixes[] = {"GMW_MSG_FIX_USE", "GMW_MSG_FIX_EXAMPLE",
                                        "GMW_MSG_FIX_REMOVE"};
    for (size_t i = 0; i < 3; i++) {
        static char fix[3][64];
        if (i == 0)
            snprintf(fix[i], sizeof fix[i], GMW_MSG_FIX_USE, "1000000000");
        else if (i == 1)
            snprintf(fix[i], sizeof fix[i], GMW_MSG_FIX_EXAMPLE, "1843MiB");
        else
            snprintf(fix[i], sizeof fix[i], GMW_MSG_FIX_REMOVE);
        add(fixes[i], F(GMW_MSG_MALFORMED_KEPT, n, "100 MiB", fix[i]), n, "GOMEMLIMIT=\"100 MiB\"",
            fix[i], NULL);
        snprintf(frag, sizeof frag, GMW_MSG_MALFORMED_DENIED, n, "100 MiB", fix[i]);
        add("GMW_MSG_MALFORMED_DENIED", F(GMW_MSG_PREFIX "%s", frag), n, "GOMEMLIMIT=\"100 MiB\"",
            fix[i], NULL);
        add("GMW_MSG_PREVIEW_MALFORMED", F(GMW_MSG_PREVIEW_MALFORMED, n, "100 MiB", fix[i]), n,
            "GOMEMLIMIT=\"100 MiB\"", fix[i], NULL);
    }
    /* annotations: the container-specific ones (per-container keys name the container too) */
    snprintf(frag, sizeof frag, GMW_MSG_MEMORY_LIMIT_ABOVE, n, "64Mi", "57Mi");
    add("GMW_MSG_MEMORY_LIMIT_ABOVE",
        F(GMW_MSG_ANN_DETAIL_WARNING, "", "gomemlimit.io/memory-limit", "300Mi", frag), n,
        "gomemlimit.io/memory-limit=\"300Mi\"", "limit 64Mi", "e.g. \"57Mi\"", NULL);
    add("GMW_MSG_MEMORY_LIMIT_BELOW_MIB",
        F(GMW_MSG_MEMORY_LIMIT_BELOW_MIB, n, "gomemlimit.io/memory-limit", "1048575", "1843Mi"), n,
        "gomemlimit.io/memory-limit=\"1048575\"", "< 1MiB", "e.g. \"1843Mi\"", NULL);
    add("GMW_MSG_POD_OPT_OUT", GMW_MSG_POD_OPT_OUT, "gomemlimit.io/inject=false", NULL);
    add("GMW_MSG_POD_OPT_OUT_EXCEPT", GMW_MSG_POD_OPT_OUT_EXCEPT, "gomemlimit.io/inject=false",
        "inject.<name>=true", NULL);
    add("GMW_MSG_ANN_NO_SUCH_CONTAINER", F(GMW_MSG_ANN_NO_SUCH_CONTAINER, n), n, NULL);
    add("GMW_MSG_CONTAINERS_NO_SUCH", F(GMW_MSG_CONTAINERS_NO_SUCH, n), n,
        "gomemlimit.io/containers", NULL);
    add("GMW_MSG_ANN_ISSUES_DROPPED", F(GMW_MSG_ANN_ISSUES_DROPPED, (size_t)1000, (size_t)1000),
        "1000 more", NULL);
    /* annotation problems: the denial items (at most ~270 characters, engine.h: not warnings)
     * and their warnings, each syntax / range / too-many problem with each expected text */
    static const struct {
        const char *id, *key, *value, *problem, *expected, *example, *bound;
    } ann[] = {
        {"GMW_MSG_EXPECTED_BOOL", "gomemlimit.io/inject", "yes", GMW_MSG_ANN_PROBLEM_SYNTAX,
         GMW_MSG_EXPECTED_BOOL, "e.g. \"false\"", "true or false"},
        {"GMW_MSG_EXPECTED_RATIO", "gomemlimit.io/ratio", "90%", GMW_MSG_ANN_PROBLEM_SYNTAX,
         GMW_MSG_EXPECTED_RATIO, "e.g. \"0.9\"", "(0, 1]"},
        {"GMW_MSG_ANN_PROBLEM_RANGE", "gomemlimit.io/ratio", "1.5", GMW_MSG_ANN_PROBLEM_RANGE,
         GMW_MSG_EXPECTED_RATIO, "e.g. \"0.9\"", "(0, 1]"},
        {"GMW_MSG_EXPECTED_GOGC", "gomemlimit.io/gogc", "200000", GMW_MSG_ANN_PROBLEM_RANGE,
         GMW_MSG_EXPECTED_GOGC, "e.g. \"100\"", "1-100000"},
        {"GMW_MSG_EXPECTED_REQUEST", "gomemlimit.io/request", "raise", GMW_MSG_ANN_PROBLEM_SYNTAX,
         GMW_MSG_EXPECTED_REQUEST, "e.g. \"match\"", "match, limit or keep"},
        {"GMW_MSG_EXPECTED_CONTAINERS", "gomemlimit.io/containers", "App_1",
         GMW_MSG_ANN_PROBLEM_SYNTAX, GMW_MSG_EXPECTED_CONTAINERS, "e.g. \"app,sidecar\"",
         "at most 64"},
        {"GMW_MSG_EXPECTED_MEMORY_LIMIT", "gomemlimit.io/memory-limit", "400 MiB",
         GMW_MSG_ANN_PROBLEM_SYNTAX, GMW_MSG_EXPECTED_MEMORY_LIMIT, "e.g. \"400Mi\"", "400MiB"},
        {"GMW_MSG_ANN_NOT_STRING", "gomemlimit.io/memory-limit", GMW_MSG_ANN_NOT_STRING,
         GMW_MSG_ANN_PROBLEM_SYNTAX, GMW_MSG_EXPECTED_MEMORY_LIMIT, "e.g. \"400Mi\"", "400MiB"},
        {"GMW_MSG_EXPECTED_TOO_MANY", "gomemlimit.io/gogc.c65", "50", GMW_MSG_ANN_PROBLEM_TOO_MANY,
         GMW_MSG_EXPECTED_TOO_MANY("gogc"), "e.g. \"gomemlimit.io/gogc\"", "over 64"},
    };
    for (size_t i = 0; i < sizeof ann / sizeof ann[0]; i++) {
        static char want_kv[16][96];
        snprintf(want_kv[i], sizeof want_kv[i], "%s=\"%s\"", ann[i].key, ann[i].value);
        add(ann[i].id,
            F(GMW_MSG_ANN_ISSUE_WARNING, GMW_MSG_ANN_LEAD_IGNORED, ann[i].key, ann[i].value,
              ann[i].problem, ann[i].expected),
            want_kv[i], ann[i].problem, ann[i].example, ann[i].bound, NULL);
        assert_true(strlen(F(GMW_MSG_ANN_ISSUE, ann[i].key, ann[i].value, ann[i].problem,
                             ann[i].expected)) < 270);
    }
    add("GMW_MSG_ANN_ISSUE_DETAIL", F(GMW_MSG_ANN_ISSUE_DETAIL, "k", "v", "d"), "k=\"v\" d", NULL);
    add("GMW_MSG_ANN_ISSUE", F(GMW_MSG_ANN_ISSUE, "k", "v", "p", "e"), "k=\"v\" p e", NULL);
    add("GMW_MSG_ANN_UNKNOWN",
        F(GMW_MSG_ANN_UNKNOWN, "gomemlimit.io/memory-limt", GMW_MSG_EXPECTED_UNKNOWN),
        "gomemlimit.io/memory-limt", "memory-limit", NULL);
    add("GMW_MSG_ANN_UNKNOWN_WARNING",
        F(GMW_MSG_ANN_UNKNOWN_WARNING,
          "gomemlimit.io/memory-limit-for-the-main-container.payments-api-server1"),
        "gomemlimit.io/memory-limit-for-the-main-container", NULL);
    add("GMW_MSG_EXPECTED_UNKNOWN", GMW_MSG_EXPECTED_UNKNOWN, "containers", NULL);
    /* the pod, the denial */
    add("GMW_MSG_NAMESPACE_EXCLUDED",
        F(GMW_MSG_NAMESPACE_EXCLUDED, "payments-production-eu-west-1"),
        "payments-production-eu-west-1", "excludeNamespaces", NULL);
    add("GMW_MSG_DENIAL_MORE", F(GMW_MSG_PREFIX GMW_MSG_DENIAL_MORE, (size_t)1000), "1000 more",
        NULL);
    add("GMW_MSG_WARNINGS_DROPPED", F(GMW_MSG_WARNINGS_DROPPED, (size_t)100000, 24), "100000 more",
        "24", NULL);
    /* advice */
    add("GMW_MSG_ADVICE_NEAR_LIMIT", F(GMW_MSG_ADVICE_NEAR_LIMIT, n, "1997MiB", "97.51%", "2Gi"), n,
        "GOMEMLIMIT=1997MiB", "97.51% of limit 2Gi", "<= 90%", NULL);
    add("GMW_MSG_ADVICE_LOW_GOGC", F(GMW_MSG_ADVICE_LOW_GOGC, n, "24"), n, "GOGC=24", "< 25",
        "50-100", NULL);
    add("GMW_MSG_ADVICE_GOGC_OFF", F(GMW_MSG_ADVICE_GOGC_OFF, n, "off"), n, "GOGC=off",
        "limits.memory", NULL);
    add("GMW_MSG_ADVICE_LOW_REQUEST", F(GMW_MSG_ADVICE_LOW_REQUEST, n, "1500000000"), n,
        "requests.memory 1500000000", "GOMEMLIMIT/2", NULL);
    add("GMW_MSG_ADVICE_TINY_HEAP", F(GMW_MSG_ADVICE_TINY_HEAP, n, "33554431"), n,
        "GOMEMLIMIT=33554431", "< 32MiB", "limits.memory", NULL);
    /* preview, mutate */
    add("GMW_MSG_PREVIEW_LINE",
        F(GMW_MSG_PREVIEW_LINE, n, "1953125KiB", GMW_MSG_PREVIEW_USER, "100", "1500000000"), n,
        "GOMEMLIMIT=1953125KiB (user)", "requests.memory=1500000000", NULL);
    add("GMW_MSG_PREVIEW_UNSET",
        F(GMW_MSG_PREVIEW_LINE, n, GMW_MSG_PREVIEW_UNSET, "", GMW_MSG_PREVIEW_UNSET,
          GMW_MSG_REQUEST_NONE),
        n, "GOMEMLIMIT=(unset)", "requests.memory=none", NULL);
    add("GMW_MSG_PREVIEW_SKIPPED", F(GMW_MSG_PREVIEW_SKIPPED, n, "malformed-gomemlimit"), n,
        "malformed-gomemlimit", NULL);
    add("GMW_MSG_PREVIEW_MORE",
        F(GMW_MSG_PREVIEW_MORE, (size_t)1000, (size_t)1000, (size_t)1000, (size_t)1000),
        "1000 more", NULL);
    add("GMW_MSG_PREVIEW_NO_TEMPLATE",
        F(GMW_MSG_PREVIEW_NO_TEMPLATE, "spec.jobTemplate.spec.template"),
        "spec.jobTemplate.spec.template", NULL);
    add("GMW_MSG_WORKLOAD_NO_TEMPLATE",
        F(GMW_MSG_WORKLOAD_NO_TEMPLATE, "spec.jobTemplate.spec.template"),
        "spec.jobTemplate.spec.template", NULL);
}

static void test_every_text_fits_and_names_its_parts(void **state)
{
    (void)state;
    size_t bad = 0;
    build(NAME);
    for (size_t k = 0; k < table_len; k++) { /* every problem reported, then the verdict */
        const entry *e = &table[k];
        size_t n = strlen(e->text);
        if (n > GMW_WARNING_MAX && ++bad)
            print_error("%s: %zu characters: %s\n", e->id, n, e->text);
        for (const char *c = e->text; *c; c++)
            if ((*c < 0x20 || *c >= 0x7f) && ++bad)
                print_error("%s: not printable ASCII: %s\n", e->id, e->text);
        for (size_t i = 0; e->must[i] != NULL; i++)
            if (strstr(e->text, e->must[i]) == NULL && ++bad)
                print_error("%s: '%s' does not name '%s'\n", e->id, e->text, e->must[i]);
    }
    assert_int_equal(bad, 0);
}

/* With the longest container name, the warning as sent (cut to 120 characters) still names
 * the whole container: every container text names it first. */
static void test_longest_container_name_survives(void **state)
{
    (void)state;
    char want[96];
    snprintf(want, sizeof want, "container %s", NAME63);
    build(NAME63);
    for (size_t k = 0; k < table_len; k++) {
        const entry *e = &table[k];
        if (strstr(e->text, NAME63) == NULL || strstr(e->id, "MEMORY_LIMIT_ABOVE") != NULL)
            continue; /* not about a container; the annotation warning is checked below */
        gmw_warnings w;
        gmw_warnings_init(&w);
        gmw_warnings_add(&w, "%s", e->text);
        json_t *list = gmw_warnings_take(&w);
        assert_non_null(list);
        const char *sent = json_string_value(json_array_get(list, 0));
        assert_non_null(sent);
        assert_true(strlen(sent) <= GMW_WARNING_MAX);
        if (strncmp(e->text, GMW_MSG_PREFIX "container ", 22) == 0 && strstr(sent, want) == NULL)
            fail_msg("%s: '%s' lost the container name", e->id, sent);
        json_decref(list);
        gmw_warnings_free(&w);
    }
}

/* preview.c finds the engine's lines by GMW_MSG_CONTAINER: the change line starts with it
 * and GOMEMLIMIT, every skip line with it and "skipped". */
static void test_container_prefix(void **state)
{
    (void)state;
    static const char *const skips[] = {
        GMW_MSG_CONTAINER_OPT_OUT,    GMW_MSG_IMAGE_EXCLUDED,     GMW_MSG_NO_LIMIT,
        GMW_MSG_LIMIT_INVALID,        GMW_MSG_LIMIT_OUT_OF_RANGE, GMW_MSG_LIMIT_BELOW_MIN,
        GMW_MSG_GOMEMLIMIT_BELOW_MIB, GMW_MSG_ENV_NOT_LIST,       GMW_MSG_MEMORY_LIMIT_BELOW_MIB,
    };
    char skipped[64];
    snprintf(skipped, sizeof skipped, "%s", GMW_MSG_CONTAINER "skipped");
    for (size_t i = 0; i < sizeof skips / sizeof skips[0]; i++)
        assert_memory_equal(skips[i], skipped, strlen(skipped));
    assert_memory_equal(GMW_MSG_CHANGE, GMW_MSG_CONTAINER, strlen(GMW_MSG_CONTAINER));
    char line[128];
    snprintf(line, sizeof line, GMW_MSG_CHANGE, "a", GMW_MSG_WHAT_KEPT, "100", "");
    assert_memory_equal(line, "gomemlimit: container a: GOMEMLIMIT", 35);
    /* the value shown for a limit that is no quantity: in the syntax error's text */
    snprintf(line, sizeof line, GMW_MSG_LIMIT_INVALID, "a", GMW_MSG_NOT_A_QUANTITY);
    assert_true(strlen(line) <= GMW_WARNING_MAX);
}

/* Syntax and range errors never share a text. */
static void test_syntax_and_range_differ(void **state)
{
    (void)state;
    assert_string_not_equal(GMW_MSG_ANN_PROBLEM_SYNTAX, GMW_MSG_ANN_PROBLEM_RANGE);
    assert_string_not_equal(GMW_MSG_LIMIT_INVALID, GMW_MSG_LIMIT_OUT_OF_RANGE);
    assert_null(strstr(GMW_MSG_ANN_PROBLEM_SYNTAX, "range"));
    assert_null(strstr(GMW_MSG_LIMIT_INVALID, "range"));
    /* what a fix tells the user to write, Go accepts (GOMEMLIMIT: a number with a B, KiB,
     * MiB, GiB or TiB suffix) */
    assert_string_equal(GMW_MSG_FIX_REMOVE, "remove it or use e.g. 400MiB");
}

/* ---- 2. the engine says exactly the table's texts ------------------------------------ */

static gmw_config cfg;

static void list_contains(const json_t *warnings, const char *want)
{
    size_t i;
    json_t *w;
    json_array_foreach(warnings, i, w)
    {
        if (strcmp(json_string_value(w), want) == 0)
            return;
    }
    char *all = json_dumps(warnings, JSON_INDENT(1));
    fail_msg("warning not sent: '%s'\nsent: %s", want, all);
    free(all);
}

/* Run the engine on pod (' for ") in ns and require `want` among its warnings (exactly). */
static void expect_ns(const char *pod, const char *ns, const char *want)
{
    gmw_pod_result res;
    json_t *p = gmw_test_json_sq(pod);
    assert_int_equal(gmw_engine_mutate_pod(&cfg, p, ns, &res), 0);
    list_contains(res.warnings, want);
    gmw_pod_result_free(&res);
    json_decref(p);
}

static void expect(const char *pod, const char *want)
{
    expect_ns(pod, "default", want);
}

/* As expect, for a denial: the message and its warning. */
static void expect_denial(const char *pod, const char *message, const char *warning)
{
    gmw_pod_result res;
    json_t *p = gmw_test_json_sq(pod);
    assert_int_equal(gmw_engine_mutate_pod(&cfg, p, "default", &res), 0);
    assert_false(res.allowed);
    assert_string_equal(res.message, message);
    list_contains(res.warnings, warning);
    gmw_pod_result_free(&res);
    json_decref(p);
}

static int setup(void **state)
{
    (void)state;
    gmw_config_defaults(&cfg);
    return 0;
}

#define C(name, rest) "{'name':'" name "','image':'ghcr.io/x/app:1'" rest "}"
#define POD(containers) "{'apiVersion':'v1','kind':'Pod','spec':{'containers':[" containers "]}}"
#define LIM(mem) ",'resources':{'limits':{'memory':'" mem "'}}"
#define ANNPOD(ann, containers)                                                                    \
    "{'metadata':{'annotations':{" ann "}},'spec':{'containers':[" containers "]}}"

static void test_engine_skips(void **state)
{
    (void)state;
    expect(ANNPOD("'gomemlimit.io/inject.app':'false'", C("app", LIM("1Gi"))),
           F(GMW_MSG_CONTAINER_OPT_OUT, "app", "app"));
    expect(POD(C("app", "")), F(GMW_MSG_NO_LIMIT, "app"));
    expect(POD(C("app", LIM("1.5GB"))), F(GMW_MSG_LIMIT_INVALID, "app", "1.5GB"));
    expect(POD(C("app", LIM("-1Gi"))), F(GMW_MSG_LIMIT_OUT_OF_RANGE, "app", "-1Gi"));
    expect(POD(C("app", ",'resources':{'limits':{'memory':true}}")),
           F(GMW_MSG_LIMIT_INVALID, "app", GMW_MSG_NOT_A_QUANTITY));
    expect(POD(C("app", LIM("9223372036854775808"))),
           F(GMW_MSG_LIMIT_OUT_OF_RANGE, "app", "9223372036854775808"));
    expect(POD(C("app", LIM("8Mi"))), F(GMW_MSG_LIMIT_BELOW_MIN, "app", "8Mi", "16Mi"));
    /* 0.01 x 64Mi = 0.64 MiB; 2^20 x 10000 / 2^26 = 156.25: ratio 0.0157 is the smallest
     * that gives 1 MiB (and it does: injected with GOMEMLIMIT=1MiB) */
    snprintf(frag2, sizeof frag2, GMW_MSG_FIX_RATIO, "0.0157");
    expect(ANNPOD("'gomemlimit.io/ratio':'0.01'", C("app", LIM("64Mi"))),
           F(GMW_MSG_GOMEMLIMIT_BELOW_MIB, "app", "0.01", "64Mi", frag2));
    snprintf(frag, sizeof frag, GMW_MSG_WHAT_RATIO, "1MiB", "1.57%", "64Mi");
    expect(ANNPOD("'gomemlimit.io/ratio':'0.0157','gomemlimit.io/request':'keep'",
                  C("app", LIM("64Mi"))),
           F(GMW_MSG_CHANGE, "app", frag, "100", ""));
    snprintf(frag2, sizeof frag2, GMW_MSG_FIX_RATIO, "0.0157"); /* and 0.0156 is too small */
    expect(ANNPOD("'gomemlimit.io/ratio':'0.0156'", C("app", LIM("64Mi"))),
           F(GMW_MSG_GOMEMLIMIT_BELOW_MIB, "app", "0.0156", "64Mi", frag2));
    /* a limit no ratio can help (minLimit 0): 500Ki x 0.9; 2^20 x 10000 / 9000 = 1165085.6
     * bytes, 2Mi in whole Mi (0.9 x 2Mi = 1.8 MiB) */
    cfg.min_limit_bytes = 0;
    snprintf(frag2, sizeof frag2, GMW_MSG_FIX_LIMIT, (int64_t)2);
    expect(POD(C("app", LIM("500Ki"))),
           F(GMW_MSG_GOMEMLIMIT_BELOW_MIB, "app", "0.9", "500Ki", frag2));
    gmw_config_defaults(&cfg);
    expect(POD(C("app", LIM("1Gi") ",'env':{'A':'b'}")), F(GMW_MSG_ENV_NOT_LIST, "app"));
    char config[] = "exclude:\n  images: [\"docker.io/library/nginx*\"]\n";
    char err[GMW_CONFIG_ERR];
    assert_int_equal(gmw_config_parse(config, strlen(config), "t.yaml", &cfg, err, sizeof err), 0);
    expect(POD("{'name':'web','image':'docker.io/library/nginx:1.27'" LIM("1Gi") "}"),
           F(GMW_MSG_IMAGE_EXCLUDED, "web", "docker.io/library/nginx:1.27"));
    gmw_config_defaults(&cfg);
    expect_ns(POD(C("app", LIM("1Gi"))), "kube-system",
              F(GMW_MSG_NAMESPACE_EXCLUDED, "kube-system"));
}

static void test_engine_changes(void **state)
{
    (void)state;
    /* 0.9 x 1Gi = 921.6 MiB -> 921MiB; requests none -> 921Mi */
    snprintf(frag, sizeof frag, GMW_MSG_WHAT_RATIO, "921MiB", "90%", "1Gi");
    snprintf(frag2, sizeof frag2, GMW_MSG_REQUEST_CHANGE, GMW_MSG_REQUEST_NONE, "921Mi");
    expect(POD(C("app", LIM("1Gi"))), F(GMW_MSG_CHANGE, "app", frag, "100", frag2));
    /* 0.8751 x 2Gi = 1792.22 MiB -> 1792MiB; the request 256Mi raised */
    snprintf(frag, sizeof frag, GMW_MSG_WHAT_RATIO, "1792MiB", "87.51%", "2Gi");
    snprintf(frag2, sizeof frag2, GMW_MSG_REQUEST_CHANGE, "256Mi", "1792Mi");
    expect(
        ANNPOD("'gomemlimit.io/ratio':'0.8751'",
               C("app", ",'resources':{'limits':{'memory':'2Gi'},'requests':{'memory':'256Mi'}}")),
        F(GMW_MSG_CHANGE, "app", frag, "100", frag2));
    /* the memory-limit annotation; an empty GOMEMLIMIT filled in; request keep */
    snprintf(frag, sizeof frag, GMW_MSG_WHAT_ANNOTATION GMW_MSG_REPLACING_EMPTY, "300MiB");
    expect(ANNPOD("'gomemlimit.io/memory-limit':'300Mi','gomemlimit.io/request':'keep'",
                  C("app", LIM("1Gi") ",'env':[{'name':'GOMEMLIMIT','value':''}]")),
           F(GMW_MSG_CHANGE, "app", frag, "100", ""));
    /* the user's GOMEMLIMIT kept, GOGC added */
    expect(POD(C("app", LIM("1Gi") ",'env':[{'name':'GOMEMLIMIT','value':'800MiB'}]")),
           F(GMW_MSG_CHANGE, "app", GMW_MSG_WHAT_KEPT, "100", ""));
    /* above the limit: the example is the webhook's value (921MiB) */
    expect(POD(C("app", LIM("1Gi") ",'env':[{'name':'GOMEMLIMIT','value':'2GiB'}]")),
           F(GMW_MSG_USER_ABOVE_LIMIT, "app", "2GiB", "1Gi", "921MiB"));
    expect(POD(C("app", LIM("1Gi") ",'env':[{'name':'GOGC','value':'fast'}]")),
           F(GMW_MSG_GOGC_NOT_UNDERSTOOD, "app", "fast"));
    expect(POD(C("app", LIM("1Gi") ",'envFrom':[{'configMapRef':{'name':'x'}}]")),
           F(GMW_MSG_ENV_FROM, "app", GMW_MSG_ENV_FROM_BOTH));
    expect(POD(C("app", LIM("1Gi") ",'envFrom':[{'configMapRef':{'name':'x'}}],"
                                   "'env':[{'name':'GOGC','value':'50'}]")),
           F(GMW_MSG_ENV_FROM, "app", GMW_MSG_ENV_FROM_GOMEMLIMIT));
    expect(POD(C("app", LIM("1Gi") ",'envFrom':[{'configMapRef':{'name':'x'}}],"
                                   "'env':[{'name':'GOMEMLIMIT','value':'800MiB'}]")),
           F(GMW_MSG_ENV_FROM, "app", GMW_MSG_ENV_FROM_GOGC));
    expect("{'spec':{'resources':{'limits':{'memory':'2Gi'}},'containers':[" C("app",
                                                                               LIM("1Gi")) "]}}",
           F(GMW_MSG_POD_RESOURCES, "match"));
    expect(POD(C("app", ",'resources':{'limits':{'memory':'1Gi'},'requests':[]}")),
           F(GMW_MSG_REQUESTS_NOT_OBJECT, "app"));
    expect(POD(C("app", ",'resources':{'limits':{'memory':'1Gi'},'requests':{'memory':'lots'}}")),
           F(GMW_MSG_REQUEST_INVALID, "app", "lots"));
    cfg.shim_enabled = true;
    expect(POD(C("app", LIM("1Gi"))), F(GMW_MSG_SHIM_NO_COMMAND, "app"));
    expect("{'spec':{'volumes':[{'name':'other','emptyDir':{}}],'containers':[" C(
               "app", LIM("1Gi") ",'command':['/app'],'volumeMounts':[{'name':'other',"
                                 "'mountPath':'/gomemlimit'}]") "]}}",
           F(GMW_MSG_SHIM_CONFLICT, "app"));
    gmw_config_defaults(&cfg);
}

static void test_engine_malformed(void **state)
{
    (void)state;
    char fix[64], item[256];
    /* repair: 1.5Gi = 1536 MiB exactly */
    expect(POD(C("app", LIM("1Gi") ",'env':[{'name':'GOMEMLIMIT','value':'1.5Gi'}]")),
           F(GMW_MSG_MALFORMED_REPAIRED, "app", "1.5Gi", "1536MiB"));
    /* repair, not a quantity: replaced by 921MiB */
    snprintf(frag, sizeof frag, GMW_MSG_WHAT_RATIO GMW_MSG_MALFORMED_REPLACED_SUFFIX, "921MiB",
             "90%", "1Gi", "1GB");
    snprintf(frag2, sizeof frag2, GMW_MSG_REQUEST_CHANGE, GMW_MSG_REQUEST_NONE, "921Mi");
    expect(POD(C("app", LIM("1Gi") ",'env':[{'name':'GOMEMLIMIT','value':'1GB'}]")),
           F(GMW_MSG_CHANGE, "app", frag, "100", frag2));
    /* repair, no limit: removed */
    expect(POD(C("app", ",'env':[{'name':'GOMEMLIMIT','value':'lots'}]")),
           F(GMW_MSG_MALFORMED_REMOVED, "app", "lots"));
    /* keep: each fix */
    cfg.malformed_gomemlimit = GMW_MALFORMED_KEEP;
    snprintf(fix, sizeof fix, GMW_MSG_FIX_USE, "512MiB");
    expect(POD(C("app", LIM("1Gi") ",'env':[{'name':'GOMEMLIMIT','value':'512Mi'}]")),
           F(GMW_MSG_MALFORMED_KEPT, "app", "512Mi", fix));
    snprintf(fix, sizeof fix, GMW_MSG_FIX_EXAMPLE, "921MiB");
    expect(POD(C("app", LIM("1Gi") ",'env':[{'name':'GOMEMLIMIT','value':'lots'}]")),
           F(GMW_MSG_MALFORMED_KEPT, "app", "lots", fix));
    expect(POD(C("app", ",'env':[{'name':'GOMEMLIMIT','value':'lots'}]")),
           F(GMW_MSG_MALFORMED_KEPT, "app", "lots", GMW_MSG_FIX_REMOVE));
    /* deny: the message is the prefix and the item; the warning the same */
    cfg.malformed_gomemlimit = GMW_MALFORMED_DENY;
    snprintf(fix, sizeof fix, GMW_MSG_FIX_EXAMPLE, "921MiB");
    snprintf(item, sizeof item, GMW_MSG_MALFORMED_DENIED, "app", "lots", fix);
    snprintf(frag, sizeof frag, GMW_MSG_PREFIX "%s", item);
    expect_denial(POD(C("app", LIM("1Gi") ",'env':[{'name':'GOMEMLIMIT','value':'lots'}]")), frag,
                  frag);
    gmw_config_defaults(&cfg);
}

static void test_engine_annotations(void **state)
{
    (void)state;
    char detail[160], msg[512];
    /* memory-limit above a sidecar's limit: 0.9 x 64Mi = 57.6 MiB -> 57Mi (deny, the default) */
    snprintf(detail, sizeof detail, GMW_MSG_MEMORY_LIMIT_ABOVE, "sidecar", "64Mi", "57Mi");
    snprintf(msg, sizeof msg, GMW_MSG_PREFIX GMW_MSG_ANN_ISSUE_DETAIL, "gomemlimit.io/memory-limit",
             "300Mi", detail);
    expect_denial(ANNPOD("'gomemlimit.io/memory-limit':'300Mi'",
                         C("app", LIM("1Gi")) "," C("sidecar", LIM("64Mi"))),
                  msg,
                  F(GMW_MSG_ANN_DETAIL_WARNING, "", "gomemlimit.io/memory-limit", "300Mi", detail));
    /* below 1 MiB: the annotation's own value, 0.9 x 512Mi = 460.8 -> 460Mi as the example */
    expect(
        ANNPOD("'gomemlimit.io/memory-limit':'500Ki'", C("app", LIM("512Mi"))),
        F(GMW_MSG_MEMORY_LIMIT_BELOW_MIB, "app", "gomemlimit.io/memory-limit", "500Ki", "460Mi"));
    expect(ANNPOD("'gomemlimit.io/inject':'false'", C("app", LIM("1Gi"))), GMW_MSG_POD_OPT_OUT);
    expect(ANNPOD("'gomemlimit.io/inject':'false','gomemlimit.io/inject.app':'true'",
                  C("app", LIM("1Gi"))),
           GMW_MSG_POD_OPT_OUT_EXCEPT);
    expect(ANNPOD("'gomemlimit.io/gogc.ghost':'50'", C("app", LIM("1Gi"))),
           F(GMW_MSG_ANN_NO_SUCH_CONTAINER, "ghost"));
    expect(ANNPOD("'gomemlimit.io/containers':'app,ghost'", C("app", LIM("1Gi"))),
           F(GMW_MSG_CONTAINERS_NO_SUCH, "ghost"));
    /* syntax and range errors (warn mode: "ignored: " first) */
    cfg.invalid_annotations = GMW_INVALID_WARN;
    expect(ANNPOD("'gomemlimit.io/ratio':'1.5'", C("app", LIM("1Gi"))),
           F(GMW_MSG_ANN_ISSUE_WARNING, GMW_MSG_ANN_LEAD_IGNORED, "gomemlimit.io/ratio", "1.5",
             GMW_MSG_ANN_PROBLEM_RANGE, GMW_MSG_EXPECTED_RATIO));
    expect(ANNPOD("'gomemlimit.io/ratio':'high'", C("app", LIM("1Gi"))),
           F(GMW_MSG_ANN_ISSUE_WARNING, GMW_MSG_ANN_LEAD_IGNORED, "gomemlimit.io/ratio", "high",
             GMW_MSG_ANN_PROBLEM_SYNTAX, GMW_MSG_EXPECTED_RATIO));
    expect(ANNPOD("'gomemlimit.io/gogc':'0'", C("app", LIM("1Gi"))),
           F(GMW_MSG_ANN_ISSUE_WARNING, GMW_MSG_ANN_LEAD_IGNORED, "gomemlimit.io/gogc", "0",
             GMW_MSG_ANN_PROBLEM_RANGE, GMW_MSG_EXPECTED_GOGC));
    expect(ANNPOD("'gomemlimit.io/inject':'yes'", C("app", LIM("1Gi"))),
           F(GMW_MSG_ANN_ISSUE_WARNING, GMW_MSG_ANN_LEAD_IGNORED, "gomemlimit.io/inject", "yes",
             GMW_MSG_ANN_PROBLEM_SYNTAX, GMW_MSG_EXPECTED_BOOL));
    expect(ANNPOD("'gomemlimit.io/request':'raise'", C("app", LIM("1Gi"))),
           F(GMW_MSG_ANN_ISSUE_WARNING, GMW_MSG_ANN_LEAD_IGNORED, "gomemlimit.io/request", "raise",
             GMW_MSG_ANN_PROBLEM_SYNTAX, GMW_MSG_EXPECTED_REQUEST));
    expect(ANNPOD("'gomemlimit.io/memory-limit':'-1Gi'", C("app", LIM("1Gi"))),
           F(GMW_MSG_ANN_ISSUE_WARNING, GMW_MSG_ANN_LEAD_IGNORED, "gomemlimit.io/memory-limit",
             "-1Gi", GMW_MSG_ANN_PROBLEM_RANGE, GMW_MSG_EXPECTED_MEMORY_LIMIT));
    expect(ANNPOD("'gomemlimit.io/memory-limit':1", C("app", LIM("1Gi"))),
           F(GMW_MSG_ANN_ISSUE_WARNING, GMW_MSG_ANN_LEAD_IGNORED, "gomemlimit.io/memory-limit",
             GMW_MSG_ANN_NOT_STRING, GMW_MSG_ANN_PROBLEM_SYNTAX, GMW_MSG_EXPECTED_MEMORY_LIMIT));
    expect(ANNPOD("'gomemlimit.io/memory-limt':'1Gi'", C("app", LIM("1Gi"))),
           F(GMW_MSG_ANN_UNKNOWN_WARNING, "gomemlimit.io/memory-limt"));
    gmw_config_defaults(&cfg);
    /* deny: the message holds the whole item */
    snprintf(msg, sizeof msg, GMW_MSG_PREFIX GMW_MSG_ANN_ISSUE, "gomemlimit.io/containers", "App_1",
             GMW_MSG_ANN_PROBLEM_SYNTAX, GMW_MSG_EXPECTED_CONTAINERS);
    expect_denial(ANNPOD("'gomemlimit.io/containers':'App_1'", C("app", LIM("1Gi"))), msg,
                  F(GMW_MSG_ANN_ISSUE_WARNING, "", "gomemlimit.io/containers", "App_1",
                    GMW_MSG_ANN_PROBLEM_SYNTAX, GMW_MSG_EXPECTED_CONTAINERS));
}

/* More than GMW_WARNINGS_MAX_COUNT warnings: 30 containers without a limit. */
static void test_engine_summaries(void **state)
{
    (void)state;
    char pod[4096] = "{'spec':{'containers':[";
    for (int i = 0; i < 30; i++)
        snprintf(pod + strlen(pod), sizeof pod - strlen(pod), "%s{'name':'c%d'}", i ? "," : "", i);
    snprintf(pod + strlen(pod), sizeof pod - strlen(pod), "]}}");
    expect(pod, F(GMW_MSG_WARNINGS_DROPPED, (size_t)6, GMW_WARNINGS_MAX_COUNT));
    /* 17 invalid annotations: one more than GMW_ANN_MAX_ISSUES */
    char ann[4096] = "{'metadata':{'annotations':{";
    for (int i = 0; i < 17; i++)
        snprintf(ann + strlen(ann), sizeof ann - strlen(ann), "%s'gomemlimit.io/gogc.c%d':'x'",
                 i ? "," : "", i);
    snprintf(ann + strlen(ann), sizeof ann - strlen(ann), "%s",
             "}},'spec':{'containers':[" C("app", LIM("1Gi")) "]}}");
    expect(ann, F(GMW_MSG_PREFIX GMW_MSG_DENIAL_MORE, (size_t)1));
    cfg.invalid_annotations = GMW_INVALID_WARN;
    expect(ann, F(GMW_MSG_ANN_ISSUES_DROPPED, (size_t)1, (size_t)1));
    gmw_config_defaults(&cfg);
}

static void test_engine_advice(void **state)
{
    (void)state;
    /* ratio 0.97: 993.28 -> 993MiB of 1Gi */
    expect(ANNPOD("'gomemlimit.io/ratio':'0.97'", C("app", LIM("1Gi"))),
           F(GMW_MSG_ADVICE_NEAR_LIMIT, "app", "993MiB", "97%", "1Gi"));
    expect(POD(C("app", LIM("1Gi") ",'env':[{'name':'GOGC','value':'10'}]")),
           F(GMW_MSG_ADVICE_LOW_GOGC, "app", "10"));
    expect(POD(C("app", ",'env':[{'name':'GOGC','value':'off'}]")),
           F(GMW_MSG_ADVICE_GOGC_OFF, "app", "off"));
    /* request 100Mi kept, GOMEMLIMIT 921MiB */
    expect(
        ANNPOD("'gomemlimit.io/request':'keep'",
               C("app", ",'resources':{'limits':{'memory':'1Gi'},'requests':{'memory':'100Mi'}}")),
        F(GMW_MSG_ADVICE_LOW_REQUEST, "app", "100Mi"));
    /* 0.9 x 20Mi = 18MiB < 32MiB */
    expect(POD(C("app", LIM("20Mi"))), F(GMW_MSG_ADVICE_TINY_HEAP, "app", "18MiB"));
}

static void preview(const char *obj, const char *want)
{
    gmw_preview_result pv;
    json_t *o = gmw_test_json_sq(obj);
    assert_int_equal(gmw_preview_object(&cfg, o, NULL, &pv), 0);
    list_contains(pv.warnings, want);
    gmw_preview_result_free(&pv);
    json_decref(o);
}

static void test_preview_and_mutate(void **state)
{
    (void)state;
    char fix[64];
    const char *deploy =
        "{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'d'},"
        "'spec':{'template':{'metadata':{'annotations':{'gomemlimit.io/"
        "containers':'app'}},'spec':{'containers':[" C("app", LIM("1Gi")) "," C(
            "side", LIM("1Gi") ",'env':[{'name':'GOMEMLIMIT','value':'lots'}]") "]}}}}";
    /* the request is defaulted to the limit (1Gi >= 921MiB: kept) */
    preview(deploy, F(GMW_MSG_PREVIEW_LINE, "app", "921MiB", "", "100", "1Gi"));
    preview(deploy, F(GMW_MSG_PREVIEW_SKIPPED, "side", "not-selected"));
    preview(deploy, F(GMW_MSG_PREVIEW_MALFORMED, "side", "lots", GMW_MSG_FIX_REMOVE));
    preview(POD(C("app", LIM("1Gi") ",'env':[{'name':'GOMEMLIMIT','value':'800MiB'}]")),
            F(GMW_MSG_PREVIEW_LINE, "app", "800MiB", GMW_MSG_PREVIEW_USER, "100", "1Gi"));
    snprintf(fix, sizeof fix, GMW_MSG_FIX_USE, "512MiB");
    preview(POD(C("app", LIM("1Gi") ",'env':[{'name':'GOMEMLIMIT','value':'512Mi'}]")),
            F(GMW_MSG_PREVIEW_MALFORMED, "app", "512Mi", fix));
    snprintf(fix, sizeof fix, GMW_MSG_FIX_EXAMPLE, "921MiB");
    preview(POD(C("app", LIM("1Gi") ",'env':[{'name':'GOMEMLIMIT','value':'1GB'}]")),
            F(GMW_MSG_PREVIEW_MALFORMED, "app", "1GB", fix));
    const char *job = "{'apiVersion':'batch/v1','kind':'CronJob','metadata':{'name':'j'},"
                      "'spec':{'jobTemplate':{'spec':{}}}}";
    preview(job, F(GMW_MSG_PREVIEW_NO_TEMPLATE, "spec.jobTemplate.spec.template"));
    gmw_workload_result wr;
    json_t *o = gmw_test_json_sq(job);
    assert_int_equal(gmw_workload_mutate(&cfg, o, NULL, &wr), 0);
    list_contains(wr.warnings, F(GMW_MSG_WORKLOAD_NO_TEMPLATE, "spec.jobTemplate.spec.template"));
    gmw_workload_result_free(&wr);
    json_decref(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_text_fits_and_names_its_parts),
        cmocka_unit_test(test_longest_container_name_survives),
        cmocka_unit_test(test_syntax_and_range_differ),
        cmocka_unit_test(test_container_prefix),
        cmocka_unit_test_setup(test_engine_skips, setup),
        cmocka_unit_test_setup(test_engine_changes, setup),
        cmocka_unit_test_setup(test_engine_malformed, setup),
        cmocka_unit_test_setup(test_engine_annotations, setup),
        cmocka_unit_test_setup(test_engine_summaries, setup),
        cmocka_unit_test_setup(test_engine_advice, setup),
        cmocka_unit_test_setup(test_preview_and_mutate, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
