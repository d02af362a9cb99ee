/*
 * test_defaulting.c - the apiserver's request-from-limit defaulting (webhook/engine/defaulting.h).
 * Expectations come from Kubernetes SetDefaults_Pod (pkg/apis/core/v1/defaults.go): for each
 * container and init container, every resource with a limit and no request gets request = limit;
 * the same for the pod-level spec.resources. Each case is written out as the JSON the apiserver
 * stores, and compared with json_equal.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "defaulting.h"

#include "failing_alloc.h"
#include "test_json.h"

static const struct {
    const char *in, *want;
} cases[] = {
    /* memory limit, no requests: request = limit, exactly as written (string) */
    {"{\"containers\":[{\"name\":\"a\",\"resources\":{\"limits\":{\"memory\":\"512Mi\"}}}]}",
     "{\"containers\":[{\"name\":\"a\",\"resources\":{\"limits\":{\"memory\":\"512Mi\"},"
     "\"requests\":{\"memory\":\"512Mi\"}}}]}"},
    /* per resource: cpu gets its limit, the memory request stays */
    {"{\"containers\":[{\"name\":\"a\",\"resources\":{\"limits\":{\"memory\":\"1Gi\",\"cpu\":\"2\"}"
     ","
     "\"requests\":{\"memory\":\"100Mi\"}}}]}",
     "{\"containers\":[{\"name\":\"a\",\"resources\":{\"limits\":{\"memory\":\"1Gi\",\"cpu\":\"2\"}"
     ","
     "\"requests\":{\"memory\":\"100Mi\",\"cpu\":\"2\"}}}]}"},
    /* requests: null is treated as absent; integer quantities are copied as integers */
    {"{\"containers\":[{\"name\":\"a\",\"resources\":{\"limits\":{\"memory\":536870912},"
     "\"requests\":null}}]}",
     "{\"containers\":[{\"name\":\"a\",\"resources\":{\"limits\":{\"memory\":536870912},"
     "\"requests\":{\"memory\":536870912}}}]}"},
    /* init containers, hugepages and extended resources too; pod-level resources */
    {"{\"initContainers\":[{\"name\":\"i\",\"resources\":{\"limits\":{\"hugepages-2Mi\":\"4Mi\","
     "\"example.com/"
     "gpu\":\"1\"}}}],\"containers\":[],\"resources\":{\"limits\":{\"memory\":\"2Gi\"}}}",
     "{\"initContainers\":[{\"name\":\"i\",\"resources\":{\"limits\":{\"hugepages-2Mi\":\"4Mi\","
     "\"example.com/gpu\":\"1\"},\"requests\":{\"hugepages-2Mi\":\"4Mi\",\"example.com/"
     "gpu\":\"1\"}}}],"
     "\"containers\":[],\"resources\":{\"limits\":{\"memory\":\"2Gi\"},\"requests\":{\"memory\":"
     "\"2Gi\"}}}"},
    /* nothing to do: no limits, empty limits, no resources */
    {"{\"containers\":[{\"name\":\"a\"},{\"name\":\"b\",\"resources\":{\"limits\":{}}},"
     "{\"name\":\"c\",\"resources\":{\"requests\":{\"memory\":\"1Gi\"}}}]}",
     "{\"containers\":[{\"name\":\"a\"},{\"name\":\"b\",\"resources\":{\"limits\":{}}},"
     "{\"name\":\"c\",\"resources\":{\"requests\":{\"memory\":\"1Gi\"}}}]}"},
    /* wrong shapes are left alone (the apiserver would reject them) */
    {"{\"containers\":[1,{\"name\":\"a\",\"resources\":{\"limits\":{\"memory\":\"1Gi\"},"
     "\"requests\":\"x\"}},{\"name\":\"b\",\"resources\":{\"limits\":[]}}]}",
     "{\"containers\":[1,{\"name\":\"a\",\"resources\":{\"limits\":{\"memory\":\"1Gi\"},"
     "\"requests\":\"x\"}},{\"name\":\"b\",\"resources\":{\"limits\":[]}}]}"},
    {"{\"containers\":\"nope\"}", "{\"containers\":\"nope\"}"},
};

static void test_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *spec = gmw_test_json(cases[i].in), *want = gmw_test_json(cases[i].want);
        assert_int_equal(gmw_apply_pod_defaults(spec), 0);
        if (!json_equal(spec, want)) {
            char *got = json_dumps(spec, JSON_COMPACT);
            fail_msg("case %zu: got %s\nwant %s", i, got, cases[i].want);
        }
        /* idempotent: a second pass changes nothing */
        assert_int_equal(gmw_apply_pod_defaults(spec), 0);
        assert_true(json_equal(spec, want));
        json_decref(spec);
        json_decref(want);
    }
}

static void test_not_an_object(void **state)
{
    (void)state;
    json_t *a = json_array();
    assert_int_equal(gmw_apply_pod_defaults(NULL), 0);
    assert_int_equal(gmw_apply_pod_defaults(a), 0);
    assert_int_equal(json_array_size(a), 0);
    json_decref(a);
}

/* Every allocation failure: -ENOMEM or 0, never a crash; with enough budget the result. */
static void test_out_of_memory(void **state)
{
    (void)state;
    json_t *want = gmw_test_json(cases[3].want);
    int ok = 0;
    for (long budget = 0; budget < 64 && !ok; budget++) {
        json_t *spec = gmw_test_json(cases[3].in);
        gmw_test_fail_allocs_after(budget);
        int rc = gmw_apply_pod_defaults(spec);
        gmw_test_fail_allocs_after(-1);
        assert_true(rc == 0 || rc == -ENOMEM);
        if (rc == 0) {
            assert_true(json_equal(spec, want));
            ok = 1;
        }
        json_decref(spec);
    }
    assert_true(ok);
    json_decref(want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_not_an_object),
        cmocka_unit_test(test_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
