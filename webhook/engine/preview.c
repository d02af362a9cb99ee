/*
 * preview.c - the workload preview (see preview.h).
 */
#include "preview.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "defaulting.h"
#include "jsonpatch.h"
#include "memlimit.h"
#include "messages.h"
#include "sanitize.h"
#include "warnings.h"

void gmw_preview_result_free(gmw_preview_result *res)
{
    if (res == NULL)
        return;
    json_decref(res->warnings);
    res->warnings = NULL;
}

/* The container called `name` in spec (containers, then initContainers), or NULL. */
static const json_t *find_container(const json_t *spec, const char *name)
{
    static const char *const lists[] = {"containers", "initContainers"};
    char clean[64];
    for (size_t l = 0; l < 2; l++) {
        size_t i;
        const json_t *ct;
        json_array_foreach(json_object_get(spec, lists[l]), i, ct)
        {
            gmw_sanitize(clean, sizeof clean, json_string_value(json_object_get(ct, "name")),
                         sizeof clean - 1);
            if (strcmp(clean, name) == 0)
                return ct;
        }
    }
    return NULL;
}

/* The last env entry `var` of ct, sanitized into buf: "" absent, "(valueFrom)" not literal. */
static const json_t *env_text(const json_t *ct, const char *var, char *buf, size_t cap)
{
    const json_t *found = NULL, *e;
    size_t i;
    json_array_foreach(json_object_get(ct, "env"), i, e)
    {
        const char *n = json_string_value(json_object_get(e, "name"));
        if (n != NULL && strcmp(n, var) == 0)
            found = e;
    }
    buf[0] = '\0';
    if (found == NULL)
        return NULL;
    const json_t *from = json_object_get(found, "valueFrom");
    if (from != NULL && !json_is_null(from))
        gmw_sanitize(buf, cap, "(valueFrom)", cap - 1);
    else
        gmw_sanitize(buf, cap, json_string_value(json_object_get(found, "value")), 24);
    return found;
}

/* Is the literal GOMEMLIMIT of ct one Go rejects (the container aborts at start)? */
static bool gomemlimit_malformed(const json_t *ct, char *shown, size_t cap)
{
    const json_t *e = env_text(ct, "GOMEMLIMIT", shown, cap);
    const json_t *from = json_object_get(e, "valueFrom");
    const char *v = json_string_value(json_object_get(e, "value"));
    return e != NULL && (from == NULL || json_is_null(from)) && v != NULL && v[0] != '\0' &&
           !gmw_gomemlimit_parse(v, NULL);
}

/* Append a sanitized line unless present; returns 0 or -ENOMEM. */
static int lines_add(json_t *lines, const char *text)
{
    char clean[GMW_WARNING_MAX + 1];
    size_t i;
    json_t *v;
    gmw_sanitize(clean, sizeof clean, text, GMW_WARNING_MAX);
    if (clean[0] == '\0')
        return 0;
    json_array_foreach(lines, i, v)
    {
        if (strcmp(json_string_value(v), clean) == 0)
            return 0;
    }
    return json_array_append_new(lines, json_string(clean)) == 0 ? 0 : -ENOMEM;
}

/* Is w the engine's injection line for container `name` (the preview line replaces it)? */
static bool is_injection_line(const char *w, const char *name)
{
    char prefix[GMW_WARNING_MAX + 1];
    snprintf(prefix, sizeof prefix, GMW_MSG_CONTAINER "GOMEMLIMIT", name);
    return strncmp(w, prefix, strlen(prefix)) == 0 && strstr(w, ", GOGC=") != NULL;
}

/* Does the engine already say "gomemlimit: container NAME: skipped, ..."? */
static bool engine_says_skipped(const json_t *warnings, const char *name)
{
    char prefix[GMW_WARNING_MAX + 1];
    size_t i;
    json_t *w;
    snprintf(prefix, sizeof prefix, GMW_MSG_CONTAINER "skipped", name);
    json_array_foreach(warnings, i, w)
    {
        if (strncmp(json_string_value(w), prefix, strlen(prefix)) == 0)
            return true;
    }
    return false;
}

/* Fill the per-container records and lines from the patched pod-like object. */
static int describe_containers(gmw_preview_result *res, const gmw_pod_result *pr,
                               const json_t *spec, json_t *lines)
{
    char line[256], shown[40];
    size_t n = pr->container_count < GMW_MAX_CONTAINER_OUTCOMES ? pr->container_count
                                                                : GMW_MAX_CONTAINER_OUTCOMES;
    res->container_count = pr->container_count;
    for (size_t k = 0; k < n; k++) {
        const gmw_container_outcome *o = &pr->containers[k];
        gmw_preview_container *pc = &res->containers[k];
        const json_t *ct = find_container(spec, o->name);
        snprintf(pc->name, sizeof pc->name, "%s", o->name);
        pc->action = o->action;
        pc->reason = o->reason;
        env_text(ct, "GOMEMLIMIT", pc->gomemlimit, sizeof pc->gomemlimit);
        env_text(ct, "GOGC", pc->gogc, sizeof pc->gogc);
        const json_t *req = json_object_get(
            json_object_get(json_object_get(ct, "resources"), "requests"), "memory");
        if (json_is_string(req))
            gmw_sanitize(pc->request, sizeof pc->request, json_string_value(req), 24);
        else if (json_is_integer(req))
            snprintf(pc->request, sizeof pc->request, "%" JSON_INTEGER_FORMAT,
                     json_integer_value(req));
        pc->user_gomemlimit = strcmp(o->reason, "user-value") == 0;
        pc->malformed = ct != NULL && gomemlimit_malformed(ct, shown, sizeof shown);
        if (strcmp(o->action, "skipped") == 0) {
            if (engine_says_skipped(pr->warnings, pc->name))
                continue; /* the engine's line says it, with the reason in words */
            snprintf(line, sizeof line, GMW_MSG_PREVIEW_SKIPPED, pc->name, pc->reason);
        } else
            snprintf(line, sizeof line, GMW_MSG_PREVIEW_LINE, pc->name,
                     pc->gomemlimit[0] ? pc->gomemlimit : GMW_MSG_PREVIEW_UNSET,
                     pc->user_gomemlimit ? GMW_MSG_PREVIEW_USER : "",
                     pc->gogc[0] ? pc->gogc : GMW_MSG_PREVIEW_UNSET,
                     pc->request[0] ? pc->request : GMW_MSG_REQUEST_NONE);
        if (lines_add(lines, line) != 0)
            return -ENOMEM;
    }
    return 0;
}

/*
 * The fix for ct's malformed GOMEMLIMIT (messages.h GMW_MSG_FIX_*): a quantity's exact Go
 * value; else the value the webhook sets in its place (found in `after`, the spec after the
 * engine's patch); else (no usable limit, not selected, kept) remove it or a fixed example.
 */
static void malformed_fix(const json_t *ct, const char *name, const json_t *after, char *fix,
                          size_t cap)
{
    char value[GMW_MEMLIMIT_TEXT_MAX], now[40];
    const json_t *e = env_text(ct, "GOMEMLIMIT", now, sizeof now);
    const char *raw = json_string_value(json_object_get(e, "value"));
    const json_t *act = find_container(after, name);
    if (raw != NULL && gmw_gomemlimit_repair(raw, value, sizeof value)) {
        snprintf(fix, cap, GMW_MSG_FIX_USE, value);
        return;
    }
    e = act != NULL ? env_text(act, "GOMEMLIMIT", now, sizeof now) : NULL;
    raw = json_string_value(json_object_get(e, "value"));
    if (raw != NULL && raw[0] != '\0' && gmw_gomemlimit_parse(raw, NULL))
        snprintf(fix, cap, GMW_MSG_FIX_EXAMPLE, now);
    else
        snprintf(fix, cap, GMW_MSG_FIX_REMOVE);
}

/* Every container (looked at or not) of spec whose GOMEMLIMIT makes Go abort: counted and said. */
static int check_malformed(gmw_preview_result *res, const json_t *spec, const json_t *after,
                           json_t *lines)
{
    static const char *const lists[] = {"containers", "initContainers"};
    char line[320], shown[40], name[64], fix[96];
    for (size_t l = 0; l < 2; l++) {
        size_t i;
        const json_t *ct;
        json_array_foreach(json_object_get(spec, lists[l]), i, ct)
        {
            if (!gomemlimit_malformed(ct, shown, sizeof shown))
                continue;
            res->malformed_count++;
            gmw_sanitize(name, sizeof name, json_string_value(json_object_get(ct, "name")),
                         sizeof name - 1);
            malformed_fix(ct, name, after, fix, sizeof fix);
            snprintf(line, sizeof line, GMW_MSG_PREVIEW_MALFORMED, name, shown, fix);
            if (lines_add(lines, line) != 0)
                return -ENOMEM;
        }
    }
    return 0;
}

/* Move lines into res->warnings within GMW_PREVIEW_BUDGET characters, summarising the rest. */
static int summarise(gmw_preview_result *res, json_t *lines)
{
    size_t total = 0, all = 0, kept = 0, i;
    json_t *v;
    json_array_foreach(lines, i, v)
    {
        all += json_string_length(v);
    }
    json_array_foreach(lines, i, v)
    {
        size_t len = json_string_length(v);
        bool fits =
            all <= GMW_PREVIEW_BUDGET ? true : total + len <= GMW_PREVIEW_BUDGET - GMW_WARNING_MAX;
        if (!fits)
            break;
        if (json_array_append(res->warnings, v) != 0)
            return -ENOMEM;
        total += len;
        kept++;
    }
    if (kept < json_array_size(lines)) {
        char summary[GMW_WARNING_MAX + 1];
        size_t injected = 0, skipped = 0;
        size_t n = res->container_count < GMW_MAX_CONTAINER_OUTCOMES ? res->container_count
                                                                     : GMW_MAX_CONTAINER_OUTCOMES;
        for (size_t k = 0; k < n; k++) {
            injected += strcmp(res->containers[k].action, "injected") == 0;
            skipped += strcmp(res->containers[k].action, "skipped") == 0;
        }
        snprintf(summary, sizeof summary, GMW_MSG_PREVIEW_MORE, json_array_size(lines) - kept,
                 res->container_count, injected, skipped);
        if (lines_add(res->warnings, summary) != 0)
            return -ENOMEM;
    }
    return 0;
}

int gmw_preview_object(const gmw_config *cfg, const json_t *obj, const char *ns,
                       gmw_preview_result *res)
{
    gmw_pod_result pr;
    json_t *tmpl = NULL, *podlike = NULL, *lines = NULL;
    const char *where = NULL;
    char err[256];
    int rc = -ENOMEM;

    memset(res, 0, sizeof *res);
    memset(&pr, 0, sizeof pr);
    res->code = 200;
    res->warnings = json_array();
    lines = json_array();
    if (res->warnings == NULL || lines == NULL)
        goto fail;
    res->cls = gmw_workload_classify(obj, &tmpl, &where);
    if (res->cls == GMW_OBJECT_OTHER) {
        rc = 0;
        goto fail;
    }
    if (res->cls == GMW_OBJECT_WORKLOAD && tmpl == NULL) {
        snprintf(err, sizeof err, GMW_MSG_PREVIEW_NO_TEMPLATE, where);
        rc = lines_add(res->warnings, err);
        goto fail;
    }
    const json_t *src = res->cls == GMW_OBJECT_POD ? obj : tmpl;
    if (ns == NULL || ns[0] == '\0')
        ns = json_string_value(json_object_get(json_object_get(obj, "metadata"), "namespace"));
    if (ns == NULL || ns[0] == '\0')
        ns = "default";
    /* a private {metadata, spec} copy: the apiserver's defaulting first, as the Pod gets it */
    podlike = json_object();
    if (podlike == NULL)
        goto fail;
    const json_t *meta = json_object_get(src, "metadata");
    const json_t *spec = json_object_get(src, "spec");
    if ((meta != NULL && json_object_set_new(podlike, "metadata", json_deep_copy(meta)) != 0) ||
        (spec != NULL && json_object_set_new(podlike, "spec", json_deep_copy(spec)) != 0) ||
        gmw_apply_pod_defaults(json_object_get(podlike, "spec")) != 0)
        goto fail;

    if (gmw_engine_mutate_pod(cfg, podlike, ns, &pr) != 0)
        goto fail;
    res->code = pr.code;
    if (!pr.allowed) {
        size_t i;
        json_t *w;
        res->denied = true;
        snprintf(res->message, sizeof res->message, "%s", pr.message);
        json_array_foreach(pr.warnings, i, w)
        {
            if (json_array_append(res->warnings, w) != 0)
                goto fail;
        }
        rc = 0;
        goto fail;
    }
    if (json_array_size(pr.patch) > 0 &&
        gmw_jsonpatch_apply(podlike, pr.patch, err, sizeof err) != 0)
        goto fail; /* the engine's ops on our own copy: only allocation can fail */
    const json_t *after = json_object_get(podlike, "spec");
    /* malformed GOMEMLIMITs are judged in the object as written: even one the webhook would
     * repair makes the container abort wherever the webhook is not reached (fail-open, a
     * namespace not opted in), so the file itself is wrong (docs/cli.md, --check) */
    if (describe_containers(res, &pr, after, lines) != 0 ||
        check_malformed(res, spec, after, lines) != 0)
        goto fail;
    size_t i;
    json_t *w;
    json_array_foreach(pr.warnings, i, w)
    {
        const char *text = json_string_value(w);
        bool injection = false;
        size_t n = pr.container_count < GMW_MAX_CONTAINER_OUTCOMES ? pr.container_count
                                                                   : GMW_MAX_CONTAINER_OUTCOMES;
        for (size_t k = 0; k < n && !injection; k++)
            injection = is_injection_line(text, pr.containers[k].name);
        if (injection)
            continue;
        if (strstr(text, ": advice: ") != NULL)
            res->advice_count++;
        if (lines_add(lines, text) != 0)
            goto fail;
    }
    rc = summarise(res, lines);
fail:
    if (rc != 0)
        json_array_clear(res->warnings);
    gmw_pod_result_free(&pr);
    json_decref(podlike);
    json_decref(lines);
    return rc;
}
