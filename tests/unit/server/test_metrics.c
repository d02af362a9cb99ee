/* test_metrics.c - Prometheus exposition text: names, labels, escaping, histogram. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "metrics.h"

static int setup(void **state)
{
    static gmw_metrics m;
    gmw_metrics_init(&m, 1764100000, "1.2.3");
    *state = &m;
    return 0;
}

static int teardown(void **state)
{
    gmw_metrics_destroy(*state);
    return 0;
}

/* Render m and return a static copy of the text (room for 256 namespaces x 3 decisions). */
static const char *render(gmw_metrics *m)
{
    static char text[1 << 20];
    gmw_dynbuf out;
    gmw_dynbuf_init(&out, sizeof text - 1);
    assert_int_equal(gmw_metrics_render(m, &out), 0);
    memcpy(text, gmw_dynbuf_ptr(&out), gmw_dynbuf_len(&out) + 1);
    gmw_dynbuf_free(&out);
    return text;
}

/* Does text contain line as a whole line? */
static bool has_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
        if ((p == text || p[-1] == '\n') && p[n] == '\n')
            return true;
    return false;
}

static void assert_line(const char *text, const char *line)
{
    if (!has_line(text, line))
        fail_msg("missing line '%s' in:\n%s", line, text);
}

static void test_empty_registry(void **state)
{
    const char *t = render(*state);
    assert_line(t, "# TYPE gomemlimit_webhook_admission_requests_total counter");
    assert_line(t, "# TYPE gomemlimit_webhook_admission_duration_seconds histogram");
    assert_line(t, "gomemlimit_webhook_admission_duration_seconds_bucket{le=\"+Inf\"} 0");
    assert_line(t, "gomemlimit_webhook_admission_duration_seconds_count 0");
    assert_line(t, "gomemlimit_webhook_admission_duration_seconds_sum 0.000000000");
    assert_line(t, "gomemlimit_webhook_build_info{version=\"1.2.3\"} 1");
    assert_line(t, "gomemlimit_webhook_process_start_time_seconds 1764100000");
    assert_line(t, "gomemlimit_webhook_cert_reloads_total{result=\"failure\"} 0");
    assert_line(t, "gomemlimit_webhook_config_reloads_total{result=\"success\"} 0");
    assert_line(t, "gomemlimit_webhook_in_flight_requests 0");
    assert_line(t, "# TYPE gomemlimit_webhook_request_timeouts_total counter");
    assert_line(t, "gomemlimit_webhook_request_timeouts_total 0");
    /* No admission series before the first request. */
    assert_null(strstr(t, "gomemlimit_webhook_admission_requests_total{"));
    /* Every line ends with a newline, the text too. */
    assert_int_equal(t[strlen(t) - 1], '\n');
}

static void test_admissions_and_histogram(void **state)
{
    gmw_metrics *m = *state;
    gmw_review_outcome o;
    memset(&o, 0, sizeof o);
    o.decision = GMW_DECISION_PATCHED;
    gmw_metrics_admission(m, gmw_metrics_op_from_string("CREATE"), gmw_metrics_result_of(&o),
                          0.0003);
    gmw_metrics_admission(m, GMW_OP_CREATE, GMW_RESULT_PATCHED, 0.003);
    o.decision = GMW_DECISION_IGNORED;
    gmw_metrics_admission(m, gmw_metrics_op_from_string("UPDATE"), gmw_metrics_result_of(&o), 0.5);
    gmw_metrics_admission(m, gmw_metrics_op_from_string(NULL), gmw_metrics_result_of(NULL), 20);
    gmw_metrics_admission(m, gmw_metrics_op_from_string("PATCH?"), GMW_RESULT_ERROR, 0.001);
    const char *t = render(m);
    assert_line(t, "gomemlimit_webhook_admission_requests_total{operation=\"CREATE\","
                   "result=\"patched\"} 2");
    assert_line(t, "gomemlimit_webhook_admission_requests_total{operation=\"UPDATE\","
                   "result=\"ignored\"} 1");
    assert_line(t, "gomemlimit_webhook_admission_requests_total{operation=\"unknown\","
                   "result=\"error\"} 2");
    /* Cumulative buckets: 0.0003 <= 0.0005; 0.001 <= 0.001 (le is inclusive); 0.003
     * <= 0.005; 0.5 <= 0.5; 20 only in +Inf. */
    assert_line(t, "gomemlimit_webhook_admission_duration_seconds_bucket{le=\"0.0005\"} 1");
    assert_line(t, "gomemlimit_webhook_admission_duration_seconds_bucket{le=\"0.001\"} 2");
    assert_line(t, "gomemlimit_webhook_admission_duration_seconds_bucket{le=\"0.0025\"} 2");
    assert_line(t, "gomemlimit_webhook_admission_duration_seconds_bucket{le=\"0.005\"} 3");
    assert_line(t, "gomemlimit_webhook_admission_duration_seconds_bucket{le=\"0.5\"} 4");
    assert_line(t, "gomemlimit_webhook_admission_duration_seconds_bucket{le=\"10\"} 4");
    assert_line(t, "gomemlimit_webhook_admission_duration_seconds_bucket{le=\"+Inf\"} 5");
    assert_line(t, "gomemlimit_webhook_admission_duration_seconds_count 5");
    assert_line(t, "gomemlimit_webhook_admission_duration_seconds_sum 20.504300000");
}

static void test_containers_and_escaping(void **state)
{
    gmw_metrics *m = *state;
    gmw_metrics_container(m, "injected", "ok");
    gmw_metrics_container(m, "injected", "ok");
    gmw_metrics_container(m, "skipped", "no-memory-limit");
    gmw_metrics_container(m, "skipped", "we\"ird\\reason\nx");
    const char *t = render(m);
    assert_line(t, "gomemlimit_webhook_containers_total{action=\"injected\",reason=\"ok\"} 2");
    assert_line(t, "gomemlimit_webhook_containers_total{action=\"skipped\","
                   "reason=\"no-memory-limit\"} 1");
    assert_line(t, "gomemlimit_webhook_containers_total{action=\"skipped\","
                   "reason=\"we\\\"ird\\\\reason\\nx\"} 1");
}

static void test_container_table_overflow(void **state)
{
    gmw_metrics *m = *state;
    char reason[32];
    for (int i = 0; i < GMW_METRICS_CONTAINER_SERIES + 10; i++) {
        snprintf(reason, sizeof reason, "r%d", i);
        gmw_metrics_container(m, "skipped", reason);
    }
    const char *t = render(m);
    assert_line(t, "gomemlimit_webhook_containers_total{action=\"skipped\",reason=\"r0\"} 1");
    /* 63 distinct series fit; the rest are folded into the last slot. */
    assert_line(t, "gomemlimit_webhook_containers_total{action=\"other\",reason=\"other\"} 11");
    assert_null(strstr(t, "reason=\"r63\""));
}

static void test_gauges_http_reloads(void **state)
{
    gmw_metrics *m = *state;
    gmw_metrics_http(m, GMW_ROUTE_MUTATE, 200);
    gmw_metrics_http(m, GMW_ROUTE_MUTATE, 413);
    gmw_metrics_http(m, GMW_ROUTE_OTHER, 404);
    gmw_metrics_http(m, GMW_ROUTE_OTHER, 418);
    gmw_metrics_in_flight_add(m, 3);
    gmw_metrics_in_flight_add(m, -1);
    gmw_metrics_cert_expiry(m, 1800000000);
    gmw_metrics_cert_reload(m, GMW_RELOAD_SUCCESS);
    gmw_metrics_cert_reload(m, GMW_RELOAD_FAILURE);
    gmw_metrics_cert_reload(m, GMW_RELOAD_FAILURE);
    gmw_metrics_config_reload(m, GMW_RELOAD_SUCCESS);
    gmw_metrics_request_timeout(m);
    gmw_metrics_request_timeout(m);
    const char *t = render(m);
    assert_line(t, "gomemlimit_webhook_http_requests_total{route=\"/mutate\",code=\"200\"} 1");
    assert_line(t, "gomemlimit_webhook_http_requests_total{route=\"/mutate\",code=\"413\"} 1");
    assert_line(t, "gomemlimit_webhook_http_requests_total{route=\"other\",code=\"404\"} 1");
    assert_line(t, "gomemlimit_webhook_http_requests_total{route=\"other\",code=\"other\"} 1");
    assert_line(t, "gomemlimit_webhook_in_flight_requests 2");
    assert_line(t, "gomemlimit_webhook_cert_expiry_timestamp_seconds 1800000000");
    assert_line(t, "gomemlimit_webhook_cert_reloads_total{result=\"success\"} 1");
    assert_line(t, "gomemlimit_webhook_cert_reloads_total{result=\"failure\"} 2");
    assert_line(t, "gomemlimit_webhook_config_reloads_total{result=\"success\"} 1");
    assert_line(t, "gomemlimit_webhook_request_timeouts_total 2");
}

/* Every label value has one name (the documented metric labels, docs/server.md), the
 * operation mapping is its inverse; out-of-range values fall into the catch-all. */
static void test_label_names(void **state)
{
    (void)state;
    static const char *const ops[] = {"CREATE", "UPDATE", "DELETE", "CONNECT", "unknown"};
    static const char *const results[] = {"patched", "allowed", "denied", "ignored", "error"};
    static const char *const routes[] = {"/mutate",  "/healthz",  "/readyz",
                                         "/metrics", "/validate", "other"};
    for (int i = 0; i < GMW_OP_COUNT; i++) {
        assert_string_equal(gmw_metrics_op_name((gmw_metric_op)i), ops[i]);
        assert_int_equal(gmw_metrics_op_from_string(ops[i]), i);
    }
    for (int i = 0; i < GMW_RESULT_COUNT; i++)
        assert_string_equal(gmw_metrics_result_name((gmw_metric_result)i), results[i]);
    for (int i = 0; i < GMW_ROUTE_COUNT; i++)
        assert_string_equal(gmw_metrics_route_name((gmw_metric_route)i), routes[i]);
    assert_string_equal(gmw_metrics_reload_result_name(GMW_RELOAD_SUCCESS), "success");
    assert_string_equal(gmw_metrics_reload_result_name(GMW_RELOAD_FAILURE), "failure");
    assert_string_equal(gmw_metrics_op_name((gmw_metric_op)99), "unknown");
    assert_string_equal(gmw_metrics_result_name((gmw_metric_result)-1), "error");
    assert_string_equal(gmw_metrics_route_name(GMW_ROUTE_COUNT), "other");
    assert_string_equal(gmw_metrics_reload_result_name(GMW_RELOAD_COUNT), "failure");
    assert_int_equal(gmw_metrics_op_from_string(""), GMW_OP_UNKNOWN);
}

/* Lines starting with prefix. */
static unsigned count_lines(const char *text, const char *prefix)
{
    unsigned n = 0;
    size_t len = strlen(prefix);
    for (const char *p = text; *p != '\0';) {
        if (strncmp(p, prefix, len) == 0)
            n++;
        const char *nl = strchr(p, '\n');
        if (nl == NULL)
            break;
        p = nl + 1;
    }
    return n;
}

static void test_injections_by_namespace(void **state)
{
    gmw_metrics *m = *state;
    gmw_metrics_injection(m, "apps", GMW_RESULT_PATCHED);
    gmw_metrics_injection(m, "apps", GMW_RESULT_PATCHED);
    gmw_metrics_injection(m, "apps", GMW_RESULT_DENIED);
    gmw_metrics_injection(m, "batch", GMW_RESULT_ALLOWED);
    /* Not Pod CREATEs the engine decided: not counted, no series. */
    gmw_metrics_injection(m, "ignored-ns", GMW_RESULT_IGNORED);
    gmw_metrics_injection(m, "error-ns", GMW_RESULT_ERROR);
    gmw_metrics_injection(m, "", GMW_RESULT_ALLOWED);
    gmw_metrics_injection(m, NULL, GMW_RESULT_ALLOWED);
    const char *t = render(m);
    assert_line(t, "# TYPE gomemlimit_webhook_injections_total counter");
    assert_line(
        t, "gomemlimit_webhook_injections_total{pod_namespace=\"apps\",decision=\"patched\"} 2");
    assert_line(
        t, "gomemlimit_webhook_injections_total{pod_namespace=\"apps\",decision=\"allowed\"} 0");
    assert_line(
        t, "gomemlimit_webhook_injections_total{pod_namespace=\"apps\",decision=\"denied\"} 1");
    assert_line(
        t, "gomemlimit_webhook_injections_total{pod_namespace=\"batch\",decision=\"patched\"} 0");
    assert_line(
        t, "gomemlimit_webhook_injections_total{pod_namespace=\"batch\",decision=\"allowed\"} 1");
    assert_line(
        t, "gomemlimit_webhook_injections_total{pod_namespace=\"_none\",decision=\"allowed\"} 2");
    assert_null(strstr(t, "ignored-ns"));
    assert_null(strstr(t, "error-ns"));
    assert_null(strstr(t, "injections_total{pod_namespace=\"_other\""));
    assert_int_equal(count_lines(t, "gomemlimit_webhook_injections_total{"), 9);
}

static void test_injections_namespace_escaping(void **state)
{
    gmw_metrics *m = *state;
    /* Request data is untrusted: escaped, and cut at 63 bytes. */
    gmw_metrics_injection(m, "a\"b\\c\nd", GMW_RESULT_PATCHED);
    char long_ns[200];
    memset(long_ns, 'x', sizeof long_ns - 1);
    long_ns[sizeof long_ns - 1] = '\0';
    gmw_metrics_injection(m, long_ns, GMW_RESULT_PATCHED);
    const char *t = render(m);
    assert_line(t, "gomemlimit_webhook_injections_total{pod_namespace=\"a\\\"b\\\\c\\nd\","
                   "decision=\"patched\"} 1");
    char want[256];
    snprintf(want, sizeof want,
             "gomemlimit_webhook_injections_total{pod_namespace=\"%.63s\",decision=\"patched\"} 1",
             long_ns);
    assert_line(t, want);
}

static void test_injections_namespace_limit(void **state)
{
    gmw_metrics *m = *state;
    gmw_metrics_set_namespace_limit(m, 2);
    gmw_metrics_injection(m, "one", GMW_RESULT_PATCHED);
    gmw_metrics_injection(m, "two", GMW_RESULT_PATCHED);
    gmw_metrics_injection(m, "three", GMW_RESULT_PATCHED);
    gmw_metrics_injection(m, "four", GMW_RESULT_DENIED);
    gmw_metrics_injection(m, "one", GMW_RESULT_PATCHED); /* keeps its own series */
    const char *t = render(m);
    assert_line(
        t, "gomemlimit_webhook_injections_total{pod_namespace=\"one\",decision=\"patched\"} 2");
    assert_line(
        t, "gomemlimit_webhook_injections_total{pod_namespace=\"two\",decision=\"patched\"} 1");
    assert_line(
        t, "gomemlimit_webhook_injections_total{pod_namespace=\"_other\",decision=\"patched\"} 1");
    assert_line(
        t, "gomemlimit_webhook_injections_total{pod_namespace=\"_other\",decision=\"denied\"} 1");
    assert_line(
        t, "gomemlimit_webhook_injections_total{pod_namespace=\"_other\",decision=\"allowed\"} 0");
    assert_null(strstr(t, "pod_namespace=\"three\""));
    assert_null(strstr(t, "namespace=\"four\""));
    assert_non_null(strstr(t, "The first 2 namespaces get their own series"));
}

static void test_injections_limit_zero_and_max(void **state)
{
    gmw_metrics *m = *state;
    gmw_metrics_set_namespace_limit(m, 0);
    gmw_metrics_injection(m, "apps", GMW_RESULT_ALLOWED);
    const char *t = render(m);
    assert_line(
        t, "gomemlimit_webhook_injections_total{pod_namespace=\"_other\",decision=\"allowed\"} 1");
    assert_null(strstr(t, "namespace=\"apps\""));

    gmw_metrics fresh;
    gmw_metrics_init(&fresh, 1, "v");
    gmw_metrics_set_namespace_limit(&fresh, 100000); /* clamped */
    char ns[32];
    for (unsigned i = 0; i < GMW_METRICS_NAMESPACES_MAX + 44; i++) {
        snprintf(ns, sizeof ns, "ns-%u", i);
        gmw_metrics_injection(&fresh, ns, GMW_RESULT_PATCHED);
    }
    const char *big = render(&fresh);
    assert_int_equal(count_lines(big, "gomemlimit_webhook_injections_total{"),
                     3 * (GMW_METRICS_NAMESPACES_MAX + 1));
    assert_line(
        big,
        "gomemlimit_webhook_injections_total{pod_namespace=\"ns-255\",decision=\"patched\"} 1");
    assert_line(
        big,
        "gomemlimit_webhook_injections_total{pod_namespace=\"_other\",decision=\"patched\"} 44");
    assert_null(strstr(big, "namespace=\"ns-256\""));
    gmw_metrics_destroy(&fresh);

    /* The default limit. */
    gmw_metrics_init(&fresh, 1, "v");
    for (unsigned i = 0; i < GMW_METRICS_NAMESPACES_DEFAULT + 1; i++) {
        snprintf(ns, sizeof ns, "ns-%u", i);
        gmw_metrics_injection(&fresh, ns, GMW_RESULT_PATCHED);
    }
    big = render(&fresh);
    assert_line(
        big,
        "gomemlimit_webhook_injections_total{pod_namespace=\"_other\",decision=\"patched\"} 1");
    assert_int_equal(count_lines(big, "gomemlimit_webhook_injections_total{"),
                     3 * (GMW_METRICS_NAMESPACES_DEFAULT + 1));
    gmw_metrics_destroy(&fresh);
}

static void test_config_info(void **state)
{
    gmw_metrics *m = *state;
    const char *t = render(m);
    assert_null(strstr(t, "config_info"));
    assert_null(strstr(t, "config_ratio"));
    gmw_metrics_set_config(m, 9000, "100", "match");
    t = render(m);
    assert_line(t, "# TYPE gomemlimit_webhook_config_info gauge");
    assert_line(
        t, "gomemlimit_webhook_config_info{ratio=\"0.9\",gogc=\"100\",request_policy=\"match\"} 1");
    assert_line(t, "# TYPE gomemlimit_webhook_config_ratio gauge");
    assert_line(t, "gomemlimit_webhook_config_ratio 0.9");
    /* A live reload replaces the series. */
    gmw_metrics_set_config(m, 8050, "off", "keep");
    t = render(m);
    assert_line(
        t,
        "gomemlimit_webhook_config_info{ratio=\"0.805\",gogc=\"off\",request_policy=\"keep\"} 1");
    assert_line(t, "gomemlimit_webhook_config_ratio 0.805");
    assert_int_equal(count_lines(t, "gomemlimit_webhook_config_info{"), 1);
    assert_null(strstr(t, "ratio=\"0.9\""));
}

static void test_format_ratio(void **state)
{
    (void)state;
    static const struct {
        uint32_t e4;
        const char *want;
    } cases[] = {{10000, "1"},     {9000, "0.9"}, {8500, "0.85"}, {8050, "0.805"}, {1, "0.0001"},
                 {1234, "0.1234"}, {100, "0.01"}, {12000, "1"},   {0, "0"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[8];
        gmw_metrics_format_ratio(cases[i].e4, out);
        assert_string_equal(out, cases[i].want);
    }
}

static void test_render_cap(void **state)
{
    gmw_dynbuf out;
    gmw_dynbuf_init(&out, 100);
    assert_int_not_equal(gmw_metrics_render(*state, &out), 0);
    assert_int_equal(gmw_dynbuf_len(&out), 0);
    gmw_dynbuf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_empty_registry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_admissions_and_histogram, setup, teardown),
        cmocka_unit_test_setup_teardown(test_containers_and_escaping, setup, teardown),
        cmocka_unit_test_setup_teardown(test_container_table_overflow, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gauges_http_reloads, setup, teardown),
        cmocka_unit_test(test_label_names),
        cmocka_unit_test_setup_teardown(test_render_cap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_injections_by_namespace, setup, teardown),
        cmocka_unit_test_setup_teardown(test_injections_namespace_escaping, setup, teardown),
        cmocka_unit_test_setup_teardown(test_injections_namespace_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_injections_limit_zero_and_max, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_info, setup, teardown),
        cmocka_unit_test(test_format_ratio),
    };
    return cmocka_run_group_tests_name("metrics", tests, NULL, NULL);
}
