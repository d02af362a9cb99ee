/*
 * advice.c - the pitfall advice (see advice.h).
 */
#include "advice.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memlimit.h"
#include "messages.h"
#include "quantity.h"
#include "sanitize.h"

/* The last env entries called GOMEMLIMIT and GOGC, or NULL (a later definition hides
 * earlier ones); one pass over env for both. */
typedef struct {
    const json_t *gomemlimit, *gogc;
} go_env;

static go_env env_last(const json_t *container)
{
    go_env e = {NULL, NULL};
    const json_t *item;
    size_t i;
    json_array_foreach(json_object_get(container, "env"), i, item)
    {
        const char *n = json_string_value(json_object_get(item, "name"));
        if (n != NULL && strcmp(n, "GOMEMLIMIT") == 0)
            e.gomemlimit = item;
        else if (n != NULL && strcmp(n, "GOGC") == 0)
            e.gogc = item;
    }
    return e;
}

/* A quantity as JSON string or integer; false when absent or invalid. */
static bool quantity_of(const json_t *v, int64_t *bytes)
{
    char text[32];
    if (json_is_string(v))
        return gmw_quantity_parse(json_string_value(v), json_string_length(v), bytes) == GMW_QTY_OK;
    if (json_is_integer(v)) {
        snprintf(text, sizeof text, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return gmw_quantity_parse_cstr(text, bytes) == GMW_QTY_OK;
    }
    return false;
}

/* The effective GOMEMLIMIT of a container. */
typedef struct {
    bool set;        /* a value Go will use (literal, or resolved from limits.memory) */
    bool unknown;    /* set from somewhere we cannot see (configMap, other resource...) */
    bool from_limit; /* valueFrom.resourceFieldRef limits.memory */
    int64_t bytes;   /* INT64_MAX for "off" */
    char text[40];   /* as shown in the advice */
} gml_value;

static gml_value effective_gml(const json_t *e, const char *name, bool have_limit, int64_t limit)
{
    gml_value g;
    memset(&g, 0, sizeof g);
    if (e == NULL)
        return g;
    const json_t *from = json_object_get(e, "valueFrom");
    if (from != NULL && !json_is_null(from)) {
        const json_t *ref = json_object_get(from, "resourceFieldRef");
        const char *res = json_string_value(json_object_get(ref, "resource"));
        const char *cn = json_string_value(json_object_get(ref, "containerName"));
        int64_t div = 1;
        const json_t *dv = json_object_get(ref, "divisor");
        if (res == NULL || strcmp(res, "limits.memory") != 0 ||
            (cn != NULL && cn[0] != '\0' && strcmp(cn, name) != 0) || !have_limit ||
            (dv != NULL && !json_is_null(dv) && (!quantity_of(dv, &div) || div <= 0))) {
            g.set = g.unknown = true;
            return g;
        }
        /* the kubelet writes ceil(limit / divisor); Go reads the number as bytes */
        g.set = g.from_limit = true;
        g.bytes = limit / div + (limit % div != 0);
        snprintf(g.text, sizeof g.text, "limits.memory");
        return g;
    }
    const char *v = json_string_value(json_object_get(e, "value"));
    if (v == NULL || v[0] == '\0' || !gmw_gomemlimit_parse(v, &g.bytes))
        return g; /* unset for Go, or malformed (the engine warns: Go aborts) */
    g.set = true;
    gmw_sanitize(g.text, sizeof g.text, v, 24);
    return g;
}

/* GOGC as Go reads it: -1 off, 0.. the percentage, 100 when unset or not understood. */
static long effective_gogc(const json_t *e, bool *literal)
{
    const char *v = json_string_value(json_object_get(e, "value"));
    const json_t *from = json_object_get(e, "valueFrom");
    *literal = false;
    if (e == NULL || (from != NULL && !json_is_null(from)) || v == NULL || v[0] == '\0' ||
        !gmw_gogc_go_understands(v))
        return 100;
    *literal = true;
    if (strcmp(v, "off") == 0)
        return -1;
    errno = 0;
    long n = strtol(v, NULL, 10);
    if (errno != 0)
        return n < 0 ? -1 : 100;
    return n < 0 ? -1 : n;
}

void gmw_advice_container(gmw_warnings *w, const json_t *container, uint32_t ratio_e4)
{
    char name[64], limit_text[40], req_text[40], gogc_text[24];
    const json_t *resources = json_object_get(container, "resources");
    const json_t *limit_json = json_object_get(json_object_get(resources, "limits"), "memory");
    const json_t *requests = json_object_get(resources, "requests");
    const json_t *req_json = json_object_get(requests, "memory");
    int64_t limit = 0, request = 0;
    bool literal = false;

    if (!json_is_object(container))
        return;
    gmw_sanitize(name, sizeof name, json_string_value(json_object_get(container, "name")), 63);
    bool have_limit = quantity_of(limit_json, &limit);
    if (have_limit)
        gmw_sanitize(limit_text, sizeof limit_text,
                     json_is_string(limit_json) ? json_string_value(limit_json) : "", 24);
    if (have_limit && !json_is_string(limit_json))
        snprintf(limit_text, sizeof limit_text, "%" JSON_INTEGER_FORMAT,
                 json_integer_value(limit_json));
    go_env env = env_last(container);
    gml_value g = effective_gml(env.gomemlimit, name, have_limit, limit);
    long gogc = effective_gogc(env.gogc, &literal);
    gmw_sanitize(gogc_text, sizeof gogc_text, json_string_value(json_object_get(env.gogc, "value")),
                 12);

    /* near-limit */
    if (g.set && !g.unknown && have_limit && g.bytes != INT64_MAX && limit > 0) {
        bool near = ratio_e4 > 0 ? ratio_e4 >= GMW_ADVICE_NEAR_LIMIT_E4
                                 : (__int128)g.bytes * 100 >= (__int128)limit * 95;
        if (near) {
            char pct[16];
            if (ratio_e4 > 0) {
                unsigned whole = ratio_e4 / 100, frac = ratio_e4 % 100;
                if (frac == 0)
                    snprintf(pct, sizeof pct, "%u%%", whole);
                else if (frac % 10 == 0)
                    snprintf(pct, sizeof pct, "%u.%u%%", whole, frac / 10);
                else
                    snprintf(pct, sizeof pct, "%u.%02u%%", whole, frac);
            } else {
                snprintf(pct, sizeof pct, "%" PRId64 "%%",
                         (int64_t)((__int128)g.bytes * 100 / limit));
            }
            gmw_warnings_add(w, GMW_MSG_ADVICE_NEAR_LIMIT, name, g.text, pct, limit_text);
        }
    }
    /* low-gogc */
    if (literal && gogc >= 0 && gogc < 25)
        gmw_warnings_add(w, GMW_MSG_ADVICE_LOW_GOGC, name, gogc_text);
    /* gogc-off without a memory limit for Go */
    if (literal && gogc < 0 && (!g.set || (!g.unknown && g.bytes == INT64_MAX)))
        gmw_warnings_add(w, GMW_MSG_ADVICE_GOGC_OFF, name, gogc_text);
    /* low-request: an absent request is defaulted to the limit by the apiserver */
    bool have_request = quantity_of(req_json, &request);
    if (g.set && !g.unknown && g.bytes != INT64_MAX && have_request &&
        (__int128)request * 2 < (__int128)g.bytes) {
        gmw_sanitize(req_text, sizeof req_text,
                     json_is_string(req_json) ? json_string_value(req_json) : "", 24);
        if (!json_is_string(req_json))
            snprintf(req_text, sizeof req_text, "%" JSON_INTEGER_FORMAT,
                     json_integer_value(req_json));
        gmw_warnings_add(w, GMW_MSG_ADVICE_LOW_REQUEST, name, req_text);
    }
    /* tiny-heap */
    if (g.set && !g.unknown && g.bytes < GMW_ADVICE_TINY_HEAP)
        gmw_warnings_add(w, GMW_MSG_ADVICE_TINY_HEAP, name, g.text);
}
