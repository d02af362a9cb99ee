/*
 * test_advice.c - the pitfall advice (webhook/engine/advice.h), from the rules of issue 10:
 * ratio >= 0.95 or GOMEMLIMIT >= 95 % of the limit (incl. resourceFieldRef limits.memory),
 * GOGC < 25, GOGC=off without GOMEMLIMIT, a request below half of GOMEMLIMIT, GOMEMLIMIT
 * below 32 MiB. Each case lists the exact warnings expected, in order.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "advice.h"
#include "test_json.h"

typedef struct {
    const char *container; /* JSON with ' for " */
    uint32_t ratio_e4;
    const char *want[4];
} advice_case;

#define P "gomemlimit: container a: advice: "

static const advice_case cases[] = {
    /* the webhook's 0.9: nothing */
    {"{'name':'a','env':[{'name':'GOMEMLIMIT','value':'460MiB'},{'name':'GOGC','value':'100'}],"
     "'resources':{'limits':{'memory':'512Mi'},'requests':{'memory':'460Mi'}}}",
     9000,
     {NULL}},
    /* ratio 0.95 counts even though 486MiB is 94.9 % of 512Mi */
    {"{'name':'a','env':[{'name':'GOMEMLIMIT','value':'486MiB'}],"
     "'resources':{'limits':{'memory':'512Mi'}}}",
     9500,
     {P "GOMEMLIMIT=486MiB is 95% of limit 512Mi, GC thrashes; use <= 90%", NULL}},
    {"{'name':'a','env':[{'name':'GOMEMLIMIT','value':'499MiB'}],"
     "'resources':{'limits':{'memory':'512Mi'}}}",
     9750,
     {P "GOMEMLIMIT=499MiB is 97.5% of limit 512Mi, GC thrashes; use <= 90%", NULL}},
    /* a user value in bytes: 486MiB of 512Mi is below 95 %, 487MiB is 95.1 % */
    {"{'name':'a','env':[{'name':'GOMEMLIMIT','value':'486MiB'}],"
     "'resources':{'limits':{'memory':'512Mi'}}}",
     0,
     {NULL}},
    {"{'name':'a','env':[{'name':'GOMEMLIMIT','value':'487MiB'}],"
     "'resources':{'limits':{'memory':'512Mi'}}}",
     0,
     {P "GOMEMLIMIT=487MiB is 95% of limit 512Mi, GC thrashes; use <= 90%", NULL}},
    /* resourceFieldRef limits.memory: 100 %; with divisor 1Mi Go reads 512 bytes */
    {"{'name':'a','env':[{'name':'GOMEMLIMIT','valueFrom':{'resourceFieldRef':"
     "{'resource':'limits.memory'}}}],'resources':{'limits':{'memory':'512Mi'}}}",
     0,
     {P "GOMEMLIMIT=limits.memory is 100% of limit 512Mi, GC thrashes; use <= 90%", NULL}},
    {"{'name':'a','env':[{'name':'GOMEMLIMIT','valueFrom':{'resourceFieldRef':"
     "{'resource':'limits.memory','divisor':'1Mi'}}}],'resources':{'limits':{'memory':'512Mi'}}}",
     0,
     {P "GOMEMLIMIT=limits.memory < 32MiB: GC runs nonstop; raise limits.memory", NULL}},
    /* another container's limit, another resource, a configMap: not judged */
    {"{'name':'a','env':[{'name':'GOMEMLIMIT','valueFrom':{'resourceFieldRef':"
     "{'resource':'limits.memory','containerName':'b'}}},{'name':'GOGC','value':'off'}],"
     "'resources':{'limits':{'memory':'512Mi'}}}",
     0,
     {NULL}},
    /* GOGC */
    {"{'name':'a','env':[{'name':'GOGC','value':'24'}]}",
     0,
     {P "GOGC=24 < 25 makes the GC run nonstop; use 50-100", NULL}},
    {"{'name':'a','env':[{'name':'GOGC','value':'0'}]}",
     0,
     {P "GOGC=0 < 25 makes the GC run nonstop; use 50-100", NULL}},
    {"{'name':'a','env':[{'name':'GOGC','value':'25'}]}", 0, {NULL}},
    {"{'name':'a','env':[{'name':'GOGC','value':'+5'}]}", 0, {NULL}}, /* Go: 100 */
    {"{'name':'a','env':[{'name':'GOGC','value':'off'}]}",
     0,
     {P "GOGC=off, no GOMEMLIMIT: heap grows to OOM kill; set limits.memory", NULL}},
    {"{'name':'a','env':[{'name':'GOGC','value':'-1'}]}",
     0,
     {P "GOGC=-1, no GOMEMLIMIT: heap grows to OOM kill; set limits.memory", NULL}},
    {"{'name':'a','env':[{'name':'GOGC','value':'off'},{'name':'GOMEMLIMIT','value':'off'}]}",
     0,
     {P "GOGC=off, no GOMEMLIMIT: heap grows to OOM kill; set limits.memory", NULL}},
    {"{'name':'a','env':[{'name':'GOGC','value':'off'},{'name':'GOMEMLIMIT','value':'400MiB'}],"
     "'resources':{'limits':{'memory':'512Mi'}}}",
     0,
     {NULL}},
    /* requests: below half of GOMEMLIMIT; absent = the limit */
    {"{'name':'a','env':[{'name':'GOMEMLIMIT','value':'460MiB'}],"
     "'resources':{'limits':{'memory':'512Mi'},'requests':{'memory':'229Mi'}}}",
     9000,
     {P "requests.memory 229Mi < GOMEMLIMIT/2: evicted first; raise it", NULL}},
    {"{'name':'a','env':[{'name':'GOMEMLIMIT','value':'460MiB'}],"
     "'resources':{'limits':{'memory':'512Mi'},'requests':{'memory':'230Mi'}}}",
     9000,
     {NULL}},
    {"{'name':'a','env':[{'name':'GOMEMLIMIT','value':'460MiB'}],"
     "'resources':{'limits':{'memory':'512Mi'}}}",
     9000,
     {NULL}},
    /* tiny heap, and several at once in rule order */
    {"{'name':'a','env':[{'name':'GOMEMLIMIT','value':'31MiB'},{'name':'GOGC','value':'10'}],"
     "'resources':{'limits':{'memory':'32Mi'},'requests':{'memory':'1Mi'}}}",
     0,
     {P "GOMEMLIMIT=31MiB is 96% of limit 32Mi, GC thrashes; use <= 90%",
      P "GOGC=10 < 25 makes the GC run nonstop; use 50-100",
      P "requests.memory 1Mi < GOMEMLIMIT/2: evicted first; raise it",
      P "GOMEMLIMIT=31MiB < 32MiB: GC runs nonstop; raise limits.memory"}},
    {"{'name':'a','env':[{'name':'GOMEMLIMIT','value':'32MiB'}],"
     "'resources':{'limits':{'memory':'64Mi'}}}",
     0,
     {NULL}},
    /* not a container, no env, env of the wrong shape: nothing, no crash */
    {"[]", 0, {NULL}},
    {"{'name':'a'}", 0, {NULL}},
    {"{'name':'a','env':{'GOGC':'1'},'resources':{'limits':'x'}}", 0, {NULL}},
};

static void test_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gmw_warnings w;
        gmw_warnings_init(&w);
        json_t *ct = gmw_test_json_sq(cases[i].container);
        gmw_advice_container(&w, ct, cases[i].ratio_e4);
        json_t *got = gmw_warnings_take(&w);
        size_t nwant = 0;
        while (nwant < 4 && cases[i].want[nwant] != NULL)
            nwant++;
        if (json_array_size(got) != nwant) {
            char *dump = json_dumps(got, 0);
            fail_msg("case %zu: %zu warnings, want %zu: %s", i, json_array_size(got), nwant, dump);
        }
        for (size_t k = 0; k < nwant; k++)
            assert_string_equal(json_string_value(json_array_get(got, k)), cases[i].want[k]);
        json_decref(got);
        json_decref(ct);
        gmw_warnings_free(&w);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
