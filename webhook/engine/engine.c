/*
 * engine.c - the admission decision for one Pod or pod template (see engine.h and
 * docs/annotations.md for the user-facing rules).
 *
 * Order of work: namespace exclusion, annotation parsing, then each candidate container
 * (containers, then initContainers) decides GOMEMLIMIT / GOGC / requests.memory and
 * appends its ops, then the status annotation, then the pod-level shim ops (LAST, see
 * shim_delivery.h). Invalid annotations (deny mode) throw the patch away at the end.
 */
#include "engine.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>

#include "advice.h"
#include "annotations.h"
#include "jsonpatch.h"
#include "memlimit.h"
#include "messages.h"
#include "quantity.h"
#include "sanitize.h"
#include "shim_delivery.h"
#include "status.h"
#include "warnings.h"

#define AUDIT_MAX 1024 /* characters per auditAnnotations value */
#define PTR_MAX 256

typedef enum { KIND_CONTAINER, KIND_SIDECAR, KIND_INIT } container_kind;

/* The scalars come first: engine_ctx_init zeroes them; the buffers after `ann` are strings
 * (emptied) and annotation tables (valid up to their counts), never cleared whole. */
typedef struct {
    const gmw_config *cfg;
    const json_t *pod;
    json_t *disposable_pod; /* pod, when the caller lets the engine change it (else NULL) */
    gmw_pod_result *res;
    gmw_warnings warnings;
    json_t *own_status; /* parsed existing gomemlimit.io/status (owned) or NULL */
    json_t *new_status; /* the status being built (owned) */
    bool pod_resources; /* spec.resources set: container requests left alone */
    bool pod_resources_warned;
    bool shim_used;
    bool oom;
    json_t *advised; /* container name -> ratio (x 10000) of the webhook's GOMEMLIMIT, or 0 */
    size_t malformed_denied;
    gmw_warnings malformed_warnings; /* the same items as warnings */
    /* buffers: */
    gmw_annotations ann;
    char audit_injected[AUDIT_MAX];
    char audit_unchanged[AUDIT_MAX];
    char audit_skipped[AUDIT_MAX];
    /* malformedGOMEMLIMIT: deny: the items of the denial ("container ...; use ...") */
    char malformed_denial[GMW_DENIAL_MESSAGE_MAX];
} engine_ctx;

/* A context as calloc would give it, without clearing its 30 KB of buffers. */
static void engine_ctx_init(engine_ctx *c)
{
    memset(c, 0, offsetof(engine_ctx, ann));
    memset(&c->ann, 0, offsetof(gmw_annotations, containers));
    c->audit_injected[0] = c->audit_unchanged[0] = c->audit_skipped[0] = '\0';
    c->malformed_denial[0] = '\0';
}

/* Append "item" to a comma-separated list capped at AUDIT_MAX (silently truncated). */
static void list_append(char *list, const char *item)
{
    size_t len = strlen(list);
    if (len + 1 >= AUDIT_MAX)
        return;
    snprintf(list + len, AUDIT_MAX - len, "%s%s", len > 0 ? "," : "", item);
}

/* Write bytes as a short Kubernetes quantity: "<n>Gi", "<n>Mi", "<n>Ki" or plain bytes. */
static void format_bytes(int64_t bytes, char *buf, size_t cap)
{
    if (bytes > 0 && bytes % ((int64_t)1 << 30) == 0)
        snprintf(buf, cap, "%" PRId64 "Gi", bytes >> 30);
    else if (bytes > 0 && bytes % ((int64_t)1 << 20) == 0)
        snprintf(buf, cap, "%" PRId64 "Mi", bytes >> 20);
    else if (bytes > 0 && bytes % 1024 == 0)
        snprintf(buf, cap, "%" PRId64 "Ki", bytes >> 10);
    else
        snprintf(buf, cap, "%" PRId64, bytes);
}

/* Write a ratio as a percentage: 9000 -> "90%", 8751 -> "87.51%", 8750 -> "87.5%". */
static void format_percent(uint32_t ratio_e4, char *buf, size_t cap)
{
    unsigned whole = ratio_e4 / 100, frac = ratio_e4 % 100;
    if (frac == 0)
        snprintf(buf, cap, "%u%%", whole);
    else if (frac % 10 == 0)
        snprintf(buf, cap, "%u.%u%%", whole, frac / 10);
    else
        snprintf(buf, cap, "%u.%02u%%", whole, frac);
}

/* Write a ratio as the annotation spells it: 9000 -> "0.9", 160 -> "0.016", 10000 -> "1". */
static char *format_ratio(uint32_t ratio_e4, char *buf, size_t cap)
{
    if (ratio_e4 >= 10000) {
        snprintf(buf, cap, "%u", ratio_e4 / 10000);
        return buf;
    }
    snprintf(buf, cap, "0.%04u", ratio_e4);
    for (size_t n = strlen(buf); n > 2 && buf[n - 1] == '0'; n--)
        buf[n - 1] = '\0';
    return buf;
}

/*
 * The fix for a limit x ratio below 1 MiB (GOMEMLIMIT is whole MiB of limit x ratio / 10000,
 * so at least 1 MiB needs limit x ratio >= 2^20 x 10000): the smallest ratio that gives it,
 * else (the limit itself is too small) the smallest limit in whole Mi that does at this ratio.
 */
static void below_mib_fix(int64_t limit, uint32_t ratio_e4, char *fix, size_t cap)
{
    const int64_t need = GMW_MIB * 10000;
    char text[32];
    int64_t r = limit > 0 ? (need + limit - 1) / limit : 10001;
    if (r <= 10000) {
        snprintf(fix, cap, GMW_MSG_FIX_RATIO, format_ratio((uint32_t)r, text, sizeof text));
        return;
    }
    int64_t bytes = (need + ratio_e4 - 1) / ratio_e4;
    snprintf(fix, cap, GMW_MSG_FIX_LIMIT, (bytes + GMW_MIB - 1) / GMW_MIB);
}

/*
 * Parse a quantity that is a JSON string or a JSON integer (the apiserver accepts both).
 * Echo it (sanitized, short) into text. Returns the gmw_qty_status.
 */
static gmw_qty_status quantity_from_json(const json_t *v, int64_t *bytes, char *text, size_t cap)
{
    if (json_is_string(v)) {
        gmw_sanitize(text, cap, json_string_value(v), 24);
        return gmw_quantity_parse(json_string_value(v), json_string_length(v), bytes);
    }
    if (json_is_integer(v)) {
        snprintf(text, cap, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return gmw_quantity_parse_cstr(text, bytes);
    }
    gmw_sanitize(text, cap, GMW_MSG_NOT_A_QUANTITY, 24);
    return GMW_QTY_SYNTAX;
}

/* Record the outcome of one container in res (the array is capped, the count is not). */
static void record_outcome(engine_ctx *c, const char *name, const char *action, const char *reason)
{
    gmw_pod_result *res = c->res;
    if (res->container_count < GMW_MAX_CONTAINER_OUTCOMES) {
        gmw_container_outcome *o = &res->containers[res->container_count];
        gmw_sanitize(o->name, sizeof o->name, name, sizeof o->name - 1);
        o->action = action;
        o->reason = reason;
    }
    res->container_count++;
}

/* Add a member to the status being built (steals entry). */
static void status_set(engine_ctx *c, const char *name, json_t *entry)
{
    json_t *note = json_object_get(entry, "malformed");
    if (note == NULL)
        note = json_object_get(json_object_get(c->own_status, name), "malformed");
    if (json_is_string(note)) { /* always the last member, so the text is stable */
        json_incref(note);
        json_object_del(entry, "malformed");
        if (json_object_set_new(entry, "malformed", note) != 0)
            c->oom = true;
    }
    if (entry == NULL || json_object_set_new(c->new_status, name, entry) != 0)
        c->oom = true;
}

/* A skipped container: outcome, status entry and audit (the caller warns when it should). */
static void skip_container(engine_ctx *c, const char *name, const char *reason)
{
    char item[GMW_ANN_NAME_MAX + 32];
    record_outcome(c, name, "skipped", reason);
    status_set(c, name, json_pack("{s:s}", "reason", reason));
    snprintf(item, sizeof item, "%s=%s", name, reason);
    list_append(c->audit_skipped, item);
}

/* Append an op; path is copied, value stolen. */
static void add_op(engine_ctx *c, const char *op, const char *path, json_t *value)
{
    if (gmw_patch_add_op(c->res->patch, op, path, value) != 0)
        c->oom = true;
}

/* Find the LAST env entry called `name` (Kubernetes: a later definition hides earlier ones). */
static json_t *env_find(const json_t *env, const char *name, size_t *index)
{
    json_t *found = NULL, *item;
    size_t i;
    json_array_foreach(env, i, item)
    {
        const char *n = json_string_value(json_object_get(item, "name"));
        if (n != NULL && strcmp(n, name) == 0) {
            found = item;
            *index = i;
        }
    }
    return found;
}

/*
 * State of one env var in a container. ENV_EMPTY: a literal empty value (or none, and no
 * valueFrom), which Go treats as unset; the webhook fills it in like an absent variable.
 */
typedef enum { ENV_ABSENT, ENV_OWN, ENV_USER, ENV_EMPTY } env_state;

typedef struct {
    env_state state;
    size_t index;
    const char *value; /* literal value (borrowed) or NULL (valueFrom / none) */
    bool value_from;
} env_var;

static env_var env_inspect(engine_ctx *c, const json_t *env, const char *container, const char *var)
{
    env_var ev = {ENV_ABSENT, 0, NULL, false};
    json_t *item = env != NULL ? env_find(env, var, &ev.index) : NULL;
    if (item == NULL)
        return ev;
    json_t *value = json_object_get(item, "value");
    json_t *from = json_object_get(item, "valueFrom");
    ev.value = json_string_value(value);
    ev.value_from = from != NULL && !json_is_null(from);
    if (!ev.value_from && (ev.value == NULL || ev.value[0] == '\0')) {
        ev.state = ENV_EMPTY;
        return ev;
    }
    if (!ev.value_from && gmw_status_is_own(c->own_status, container, var, ev.value))
        ev.state = ENV_OWN;
    else
        ev.state = ENV_USER;
    return ev;
}

/* Warn about a (valid) user GOMEMLIMIT that exceeds the container limit; `example` is the
 * webhook's value for the container. */
static void check_user_gomemlimit(engine_ctx *c, const char *name, const char *value, int64_t limit,
                                  const char *limit_text, const char *example)
{
    char val[48];
    int64_t bytes = 0;
    if (value == NULL || value[0] == '\0' || !gmw_gomemlimit_parse(value, &bytes))
        return; /* resolved at run time, empty (Go: unset), or malformed (handled before) */
    gmw_sanitize(val, sizeof val, value, 24);
    if (bytes != INT64_MAX && bytes > limit)
        gmw_warnings_add(&c->warnings, GMW_MSG_USER_ABOVE_LIMIT, name, val, limit_text, example);
}

/* Is the user's literal GOMEMLIMIT one that Go cannot parse (it aborts at start)? */
static bool user_gomemlimit_malformed(const env_var *ev)
{
    return ev->state == ENV_USER && !ev->value_from && ev->value != NULL && ev->value[0] != '\0' &&
           !gmw_gomemlimit_parse(ev->value, NULL);
}

typedef enum { MAL_LEFT, MAL_REPAIRED, MAL_REPLACE, MAL_REMOVED } malformed_action;

/* The webhook's own value for a container that is not skipped (see resolve_target). */
typedef struct {
    const char *gml_text;   /* "460MiB" */
    const char *limit_text; /* "512Mi" */
    uint32_t ratio;
    bool from_memory_limit;
} computed_value;

/*
 * A user GOMEMLIMIT Go cannot parse, by config malformedGOMEMLIMIT (see config.h). `cv` is
 * the webhook's value for the container, NULL when it is skipped (no usable limit). Emits
 * the ops, the warning or the denial item, and notes it in *entry (the status entry, may be
 * NULL: noted by the caller). Returns what the caller must do: MAL_REPLACE: inject cv in its
 * place (the caller's warning names the old value); MAL_REPAIRED: *repaired holds the Go value
 * that replaced it (still the user's value).
 */
static malformed_action handle_malformed(engine_ctx *c, const char *name, const char *cpath,
                                         const env_var *ev, const computed_value *cv,
                                         char *repaired, size_t repaired_cap, json_t *entry)
{
    char val[48], fix[96], path[PTR_MAX], idx[32], item[400], note[64];
    bool quantity = gmw_gomemlimit_repair(ev->value, repaired, repaired_cap);
    gmw_malformed_mode mode = c->cfg->malformed_gomemlimit;

    gmw_sanitize(val, sizeof val, ev->value, 24);
    if (quantity)
        snprintf(fix, sizeof fix, GMW_MSG_FIX_USE, repaired);
    else if (cv != NULL)
        snprintf(fix, sizeof fix, GMW_MSG_FIX_EXAMPLE, cv->gml_text);
    else
        snprintf(fix, sizeof fix, GMW_MSG_FIX_REMOVE);
    snprintf(idx, sizeof idx, "%zu", ev->index);
    if (gmw_pointer_join(path, sizeof path, cpath, "env") != 0 ||
        gmw_pointer_append(path, sizeof path, idx) != 0)
        return MAL_LEFT;

    if (mode == GMW_MALFORMED_DENY) {
        snprintf(item, sizeof item, GMW_MSG_MALFORMED_DENIED, name, val, fix);
        gmw_warnings_add(&c->malformed_warnings, GMW_MSG_PREFIX "%s", item);
        if (c->malformed_denied == 0)
            snprintf(c->malformed_denial, sizeof c->malformed_denial, "%s", item);
        else if (strlen(c->malformed_denial) + 2 + strlen(item) < sizeof c->malformed_denial)
            snprintf(c->malformed_denial + strlen(c->malformed_denial),
                     sizeof c->malformed_denial - strlen(c->malformed_denial), "; %s", item);
        c->malformed_denied++;
        return MAL_LEFT;
    }
    malformed_action act = MAL_LEFT;
    if (mode == GMW_MALFORMED_KEEP) {
        gmw_warnings_add(&c->warnings, GMW_MSG_MALFORMED_KEPT, name, val, fix);
        snprintf(note, sizeof note, "kept %s", val);
    } else if (quantity) {
        if (gmw_pointer_append(path, sizeof path, "value") != 0)
            return MAL_LEFT;
        add_op(c, "replace", path, json_string(repaired));
        gmw_warnings_add(&c->warnings, GMW_MSG_MALFORMED_REPAIRED, name, val, repaired);
        snprintf(note, sizeof note, "repaired %s", val);
        act = MAL_REPAIRED;
    } else if (cv != NULL) {
        snprintf(note, sizeof note, "replaced %s", val);
        act = MAL_REPLACE; /* the caller's injection warning says so */
    } else {
        add_op(c, "remove", path, NULL);
        gmw_warnings_add(&c->warnings, GMW_MSG_MALFORMED_REMOVED, name, val);
        snprintf(note, sizeof note, "removed %s", val);
        act = MAL_REMOVED;
    }
    if (entry != NULL && json_object_set_new(entry, "malformed", json_string(note)) != 0)
        c->oom = true;
    return act;
}

/* A container skipped for want of a usable limit: as skip_container, and its malformed user
 * GOMEMLIMIT handled (repaired, removed, kept or denied) and noted in its status entry. */
static void skip_without_limit(engine_ctx *c, const json_t *container, const char *cpath,
                               const char *name, const char *reason);

/* A skipped container (no usable limit): its malformed user GOMEMLIMIT, noted in the status. */
static void malformed_in_skipped(engine_ctx *c, const json_t *container, const char *cpath,
                                 const char *name, json_t *entry)
{
    char repaired[GMW_MEMLIMIT_TEXT_MAX];
    const json_t *env = json_object_get(container, "env");
    if (!json_is_array(env))
        return;
    env_var ev = env_inspect(c, env, name, "GOMEMLIMIT");
    if (user_gomemlimit_malformed(&ev))
        (void)handle_malformed(c, name, cpath, &ev, NULL, repaired, sizeof repaired, entry);
}

static void skip_without_limit(engine_ctx *c, const json_t *container, const char *cpath,
                               const char *name, const char *reason)
{
    char item[GMW_ANN_NAME_MAX + 32];
    json_t *entry = json_pack("{s:s}", "reason", reason);
    if (entry != NULL)
        malformed_in_skipped(c, container, cpath, name, entry);
    record_outcome(c, name, "skipped", reason);
    status_set(c, name, entry);
    snprintf(item, sizeof item, "%s=%s", name, reason);
    list_append(c->audit_skipped, item);
}

/*
 * Apply the requests.memory policy for a container whose GOMEMLIMIT is the webhook's
 * (gml bytes). Appends ops and describes the change in `change` ("" when none).
 */
static void apply_request_policy(engine_ctx *c, const char *name, const json_t *container,
                                 const char *cpath, gmw_request_policy policy, int64_t gml,
                                 int64_t limit, const json_t *limit_json, char *change,
                                 size_t change_cap)
{
    char path[PTR_MAX], text[48], newtext[GMW_MEMLIMIT_TEXT_MAX];
    json_t *resources = json_object_get(container, "resources");
    json_t *requests = json_object_get(resources, "requests");
    json_t *current = json_object_get(requests, "memory");
    int64_t cur = 0;
    json_t *newval = NULL;

    change[0] = '\0';
    if (policy == GMW_REQUEST_KEEP)
        return;
    if (c->pod_resources) {
        if (!c->pod_resources_warned)
            gmw_warnings_add(&c->warnings, GMW_MSG_POD_RESOURCES, gmw_request_policy_name(policy));
        c->pod_resources_warned = true;
        return;
    }
    if (requests != NULL && !json_is_null(requests) && !json_is_object(requests)) {
        gmw_warnings_add(&c->warnings, GMW_MSG_REQUESTS_NOT_OBJECT, name);
        return;
    }
    if (current != NULL && quantity_from_json(current, &cur, text, sizeof text) != GMW_QTY_OK) {
        gmw_warnings_add(&c->warnings, GMW_MSG_REQUEST_INVALID, name, text);
        return;
    }
    if (current == NULL)
        snprintf(text, sizeof text, GMW_MSG_REQUEST_NONE);
    if (policy == GMW_REQUEST_MATCH) {
        if (current != NULL && cur >= gml)
            return;
        gmw_format_mi(gml, newtext, sizeof newtext);
        newval = json_string(newtext);
    } else { /* GMW_REQUEST_LIMIT */
        if (current != NULL && cur == limit)
            return;
        newval = json_deep_copy(limit_json);
        quantity_from_json(limit_json, &cur, newtext, sizeof newtext);
    }
    if (newval == NULL) {
        c->oom = true;
        return;
    }
    if (requests == NULL || json_is_null(requests)) {
        if (gmw_pointer_join(path, sizeof path, cpath, "resources") != 0 ||
            gmw_pointer_append(path, sizeof path, "requests") != 0) {
            json_decref(newval);
            return;
        }
        add_op(c, "add", path, json_pack("{s:o}", "memory", newval));
    } else {
        if (gmw_pointer_join(path, sizeof path, cpath, "resources") != 0 ||
            gmw_pointer_append(path, sizeof path, "requests") != 0 ||
            gmw_pointer_append(path, sizeof path, "memory") != 0) {
            json_decref(newval);
            return;
        }
        add_op(c, current != NULL ? "replace" : "add", path, newval);
    }
    snprintf(change, change_cap, GMW_MSG_REQUEST_CHANGE, text, newtext);
}

/* {"name": name, "value": value}, as json_pack("{s:s,s:s}") builds it (and checks UTF-8),
 * without parsing a format per entry; NULL when out of memory or not UTF-8. */
static json_t *env_entry(const char *name, const char *value)
{
    json_t *e = json_object();
    if (e == NULL || json_object_set_new_nocheck(e, "name", json_string(name)) != 0 ||
        json_object_set_new_nocheck(e, "value", json_string(value)) != 0) {
        json_decref(e);
        return NULL;
    }
    return e;
}

/*
 * Set env var `var` to `value` in the container at cpath: replace the value when the
 * entry is the webhook's own, add it when the entry is empty ("add" also replaces an
 * existing "value": ""), else queue a new entry in *pending (flushed by env_flush).
 */
static void env_set(engine_ctx *c, const char *cpath, json_t **pending, const env_var *ev,
                    const char *var, const char *value)
{
    char path[PTR_MAX], idx[32];
    if (ev->state == ENV_OWN || ev->state == ENV_EMPTY) {
        snprintf(idx, sizeof idx, "%zu", ev->index);
        if (gmw_pointer_join(path, sizeof path, cpath, "env") != 0 ||
            gmw_pointer_append(path, sizeof path, idx) != 0 ||
            gmw_pointer_append(path, sizeof path, "value") != 0)
            return;
        add_op(c, ev->state == ENV_OWN ? "replace" : "add", path, json_string(value));
        return;
    }
    if (*pending == NULL)
        *pending = json_array();
    if (*pending == NULL || json_array_append_new(*pending, env_entry(var, value)) != 0)
        c->oom = true;
}

/*
 * Append the queued env entries (stolen): one "add /env" with the whole array when the
 * container has no env (JSON Patch add does not create parents), else "add /env/-" each.
 */
static void env_flush(engine_ctx *c, const char *cpath, const json_t *env, json_t *pending)
{
    char path[PTR_MAX];
    size_t i;
    json_t *item;
    if (pending == NULL)
        return;
    if (gmw_pointer_join(path, sizeof path, cpath, "env") != 0) {
        json_decref(pending);
        return;
    }
    if (env == NULL || json_is_null(env)) {
        add_op(c, "add", path, pending);
        return;
    }
    if (gmw_pointer_append(path, sizeof path, "-") != 0) {
        json_decref(pending);
        return;
    }
    json_array_foreach(pending, i, item)
    {
        add_op(c, "add", path, json_incref(item));
    }
    json_decref(pending);
}

/* A container that passed every check: what the webhook will set for it. */
typedef struct {
    char name[GMW_ANN_NAME_MAX];
    gmw_ann_values v;         /* merged annotations for the container */
    const json_t *limit_json; /* resources.limits.memory (borrowed) */
    int64_t limit;            /* its Value() in bytes */
    char limit_text[48];      /* sanitized, for warnings */
    uint32_t ratio;           /* effective ratio */
    bool from_memory_limit;   /* GOMEMLIMIT from the memory-limit annotation */
    int64_t gml;              /* GOMEMLIMIT in bytes (whole MiB) */
    char gml_text[GMW_MEMLIMIT_TEXT_MAX];
    const char *gogc;  /* GOGC to set (borrowed from cfg or t->v) */
    const json_t *env; /* env array, or NULL/null when absent (borrowed) */
} target;

/*
 * Check one candidate container: selection, opt-out, memory limit, minLimit, the
 * memory-limit annotation, the 1 MiB floor and the env shape. Returns true with *t
 * filled, or false when the container is skipped (outcome, status, audit and warning
 * already recorded).
 */
static bool resolve_target(engine_ctx *c, const json_t *container, const char *cpath, target *t)
{
    const gmw_config *cfg = c->cfg;
    char minl[32];

    memset(t, 0, sizeof *t);
    gmw_sanitize(t->name, sizeof t->name, json_string_value(json_object_get(container, "name")),
                 sizeof t->name - 1);
    const char *name = t->name;
    if (!gmw_annotations_selects(&c->ann, name)) {
        record_outcome(c, name, "skipped", "not-selected");
        status_set(c, name, json_pack("{s:s}", "reason", "not-selected"));
        return false;
    }
    gmw_annotations_for(&c->ann, name, &t->v);
    if (t->v.inject == 0) {
        if (c->ann.pod.inject != 0)
            gmw_warnings_add(&c->warnings, GMW_MSG_CONTAINER_OPT_OUT, name, name);
        skip_container(c, name, "opt-out");
        return false;
    }
    const char *image = json_string_value(json_object_get(container, "image"));
    const char *pattern = gmw_config_image_excluded(cfg, image);
    if (pattern != NULL) {
        char img[48];
        gmw_warnings_add(&c->warnings, GMW_MSG_IMAGE_EXCLUDED, name,
                         gmw_sanitize(img, sizeof img, image, 40));
        skip_container(c, name, "image-excluded");
        return false;
    }
    json_t *resources = json_object_get(container, "resources");
    t->limit_json = json_object_get(json_object_get(resources, "limits"), "memory");
    if (t->limit_json == NULL || json_is_null(t->limit_json)) {
        gmw_warnings_add(&c->warnings, GMW_MSG_NO_LIMIT, name);
        skip_without_limit(c, container, cpath, name, "no-memory-limit");
        return false;
    }
    gmw_qty_status qs =
        quantity_from_json(t->limit_json, &t->limit, t->limit_text, sizeof t->limit_text);
    if (qs != GMW_QTY_OK) {
        gmw_warnings_add(&c->warnings,
                         qs == GMW_QTY_NEGATIVE || qs == GMW_QTY_OVERFLOW
                             ? GMW_MSG_LIMIT_OUT_OF_RANGE
                             : GMW_MSG_LIMIT_INVALID,
                         name, t->limit_text);
        skip_without_limit(c, container, cpath, name, "invalid-limit");
        return false;
    }
    if (t->limit < cfg->min_limit_bytes) {
        format_bytes(cfg->min_limit_bytes, minl, sizeof minl);
        gmw_warnings_add(&c->warnings, GMW_MSG_LIMIT_BELOW_MIN, name, t->limit_text, minl);
        skip_without_limit(c, container, cpath, name, "below-min-limit");
        return false;
    }
    t->ratio = t->v.has_ratio ? t->v.ratio_e4 : cfg->ratio_e4;
    if (t->v.has_memory_limit && t->v.memory_limit_bytes > t->limit) {
        /* a range error for this container: its limit, and an example valid for it */
        char detail[200], example[48];
        int64_t g = gmw_gomemlimit_from_limit(t->limit, t->ratio);
        if (g >= GMW_MIB)
            gmw_format_mi(g, example, sizeof example);
        else
            snprintf(example, sizeof example, "%.40s", t->limit_text);
        snprintf(detail, sizeof detail, GMW_MSG_MEMORY_LIMIT_ABOVE, name, t->limit_text, example);
        gmw_annotations_add_detail_issue(&c->ann, t->v.memory_limit_key, t->v.memory_limit_text,
                                         detail);
        t->v.has_memory_limit = false; /* warn mode: ignored, the ratio applies */
    }

    if (t->v.has_memory_limit) {
        t->gml = t->v.memory_limit_bytes / GMW_MIB * GMW_MIB;
        t->from_memory_limit = true;
    } else {
        t->gml = gmw_gomemlimit_from_limit(t->limit, t->ratio);
    }
    if (t->gml < GMW_MIB && t->from_memory_limit) {
        /* the annotation's own value is what is too small: quote it, with a valid example */
        char example[32];
        int64_t g = gmw_gomemlimit_from_limit(t->limit, t->ratio);
        if (g >= GMW_MIB)
            gmw_format_mi(g, example, sizeof example);
        else
            snprintf(example, sizeof example, "1Mi");
        gmw_warnings_add(&c->warnings, GMW_MSG_MEMORY_LIMIT_BELOW_MIB, name, t->v.memory_limit_key,
                         t->v.memory_limit_text, example);
        skip_without_limit(c, container, cpath, name, "below-one-mib");
        return false;
    }
    if (t->gml < GMW_MIB) {
        char ratio[16], fix[64];
        below_mib_fix(t->limit, t->ratio, fix, sizeof fix);
        gmw_warnings_add(&c->warnings, GMW_MSG_GOMEMLIMIT_BELOW_MIB, name,
                         format_ratio(t->ratio, ratio, sizeof ratio), t->limit_text, fix);
        skip_without_limit(c, container, cpath, name, "below-one-mib");
        return false;
    }
    gmw_format_gomemlimit(t->gml, t->gml_text, sizeof t->gml_text);
    t->gogc = t->v.has_gogc ? t->v.gogc : cfg->gogc;
    t->env = json_object_get(container, "env");
    if (t->env != NULL && !json_is_null(t->env) && !json_is_array(t->env)) {
        gmw_warnings_add(&c->warnings, GMW_MSG_ENV_NOT_LIST, name);
        skip_container(c, name, "invalid-spec");
        return false;
    }
    return true;
}

/* What the webhook does to one target container, built up step by step. */
typedef struct {
    env_var gml;                          /* GOMEMLIMIT as found */
    env_var gogc;                         /* GOGC as found */
    json_t *entry;                        /* its status entry (owned until status_set) */
    bool changed;                         /* ops were appended for it */
    bool injected_gml;                    /* GOMEMLIMIT set by these ops */
    bool injected_gogc;                   /* GOGC set by these ops */
    char change[128];                     /* ", request A -> B" or "" */
    malformed_action mal;                 /* what was done to a malformed user GOMEMLIMIT */
    char repaired[GMW_MEMLIMIT_TEXT_MAX]; /* MAL_REPAIRED: the Go value now in the env */
    char malformed[48];                   /* the malformed value as found (sanitized) */
} container_plan;

/* Record `value` for var in the status entry. */
static void entry_set(engine_ctx *c, container_plan *p, const char *var, const char *value)
{
    if (json_object_set_new(p->entry, var, json_string(value)) != 0)
        c->oom = true;
}

/* GOMEMLIMIT and GOGC: keep the user's (warning when Go would reject it), else set ours. */
static void plan_env(engine_ctx *c, const target *tg, const char *cpath, container_plan *p)
{
    json_t *pending = NULL;

    /* a malformed user value first (malformedGOMEMLIMIT) */
    if (user_gomemlimit_malformed(&p->gml)) {
        computed_value cv = {tg->gml_text, tg->limit_text, tg->ratio, tg->from_memory_limit};
        gmw_sanitize(p->malformed, sizeof p->malformed, p->gml.value, 24);
        p->mal = handle_malformed(c, tg->name, cpath, &p->gml, &cv, p->repaired, sizeof p->repaired,
                                  p->entry);
        if (p->mal == MAL_REPLACE)
            p->gml.state = ENV_EMPTY; /* "add" at its index: the computed value replaces it */
        else if (p->mal == MAL_REPAIRED)
            p->changed = true;
    }
    if (p->gml.state == ENV_USER) {
        check_user_gomemlimit(c, tg->name, p->mal == MAL_REPAIRED ? p->repaired : p->gml.value,
                              tg->limit, tg->limit_text, tg->gml_text);
    } else {
        if (p->gml.state != ENV_OWN || strcmp(p->gml.value, tg->gml_text) != 0) {
            env_set(c, cpath, &pending, &p->gml, "GOMEMLIMIT", tg->gml_text);
            p->changed = p->injected_gml = true;
        }
        entry_set(c, p, "GOMEMLIMIT", tg->gml_text);
    }
    if (p->gogc.state == ENV_USER) {
        char val[32];
        if (!p->gogc.value_from && p->gogc.value != NULL && p->gogc.value[0] != '\0' &&
            !gmw_gogc_go_understands(p->gogc.value))
            gmw_warnings_add(&c->warnings, GMW_MSG_GOGC_NOT_UNDERSTOOD, tg->name,
                             gmw_sanitize(val, sizeof val, p->gogc.value, 16));
    } else {
        if (p->gogc.state != ENV_OWN || strcmp(p->gogc.value, tg->gogc) != 0) {
            env_set(c, cpath, &pending, &p->gogc, "GOGC", tg->gogc);
            p->changed = p->injected_gogc = true;
        }
        entry_set(c, p, "GOGC", tg->gogc);
    }
    env_flush(c, cpath, tg->env, pending);
}

/* A new env entry hides the same name from envFrom: warn, naming only those added. */
static void warn_env_from(engine_ctx *c, const target *tg, const json_t *container,
                          const container_plan *p)
{
    bool new_gml = p->injected_gml && p->gml.state == ENV_ABSENT;
    bool new_gogc = p->injected_gogc && p->gogc.state == ENV_ABSENT;
    if ((new_gml || new_gogc) && json_array_size(json_object_get(container, "envFrom")) > 0)
        gmw_warnings_add(&c->warnings, GMW_MSG_ENV_FROM, tg->name,
                         new_gml && new_gogc ? GMW_MSG_ENV_FROM_BOTH
                         : new_gml           ? GMW_MSG_ENV_FROM_GOMEMLIMIT
                                             : GMW_MSG_ENV_FROM_GOGC);
}

/* requests.memory, only next to the webhook's own GOMEMLIMIT. */
static void plan_requests(engine_ctx *c, const target *tg, const json_t *container,
                          const char *cpath, container_plan *p)
{
    p->change[0] = '\0';
    if (p->gml.state == ENV_USER)
        return;
    gmw_request_policy policy = tg->v.has_request ? tg->v.request : c->cfg->request_policy;
    apply_request_policy(c, tg->name, container, cpath, policy, tg->gml, tg->limit, tg->limit_json,
                         p->change, sizeof p->change);
    if (p->change[0] != '\0')
        p->changed = true;
}

/* Outcome, status entry (handed over) and audit list for the container. */
static void record_plan(engine_ctx *c, const target *tg, container_plan *p)
{
    char item[GMW_ANN_NAME_MAX + 40];

    if (p->gml.state == ENV_USER) {
        entry_set(c, p, "reason", "user-value");
        record_outcome(c, tg->name, p->mal == MAL_REPAIRED ? "repaired" : "unchanged",
                       "user-value");
        snprintf(item, sizeof item, "%s=user-value", tg->name);
        list_append(c->audit_unchanged, item);
    } else {
        record_outcome(c, tg->name, p->changed ? "injected" : "unchanged",
                       p->mal == MAL_REPLACE ? "malformed-replaced"
                       : p->changed          ? "ok"
                                             : "already-mutated");
        snprintf(item, sizeof item, "%s=%s", tg->name, tg->gml_text);
        list_append(c->audit_injected, item);
    }
    status_set(c, tg->name, p->entry);
    p->entry = NULL;
}

/* The one warning that says what changed in the container (none when nothing did). */
static void warn_change(engine_ctx *c, const target *tg, const container_plan *p)
{
    char pct[16], what[160];

    if (!p->changed)
        return;
    if (p->gml.state == ENV_USER) /* first: the user's value is what stays */
        snprintf(what, sizeof what, GMW_MSG_WHAT_KEPT);
    else if (tg->from_memory_limit)
        snprintf(what, sizeof what, GMW_MSG_WHAT_ANNOTATION, tg->gml_text);
    else {
        format_percent(tg->ratio, pct, sizeof pct);
        snprintf(what, sizeof what, GMW_MSG_WHAT_RATIO, tg->gml_text, pct, tg->limit_text);
    }
    if (p->mal == MAL_REPLACE) /* Go aborts on the user's value: replaced */
        snprintf(what + strlen(what), sizeof what - strlen(what), GMW_MSG_MALFORMED_REPLACED_SUFFIX,
                 p->malformed);
    else if (p->gml.state == ENV_EMPTY) /* Go ignores an empty value: filled in */
        snprintf(what + strlen(what), sizeof what - strlen(what), GMW_MSG_REPLACING_EMPTY);
    gmw_warnings_add(&c->warnings, GMW_MSG_CHANGE, tg->name, what,
                     p->gogc.state == ENV_USER ? "kept" : tg->gogc, p->change);
}

/* The runtime shim, when enabled for the container: wrap its command. */
static void plan_shim(engine_ctx *c, const target *tg, const json_t *container, const char *cpath,
                      const container_plan *p)
{
    gmw_shim_container_status st = GMW_SHIM_WRAPPED;
    bool shim = tg->v.shim >= 0 ? tg->v.shim == 1 : c->cfg->shim_enabled;

    if (!shim)
        return;
    bool force = p->gml.state != ENV_USER && !tg->from_memory_limit;
    if (gmw_shim_patch_container(c->res->patch, container, cpath, tg->ratio, force, &st) != 0)
        c->oom = true;
    else if (st == GMW_SHIM_NO_COMMAND)
        gmw_warnings_add(&c->warnings, GMW_MSG_SHIM_NO_COMMAND, tg->name);
    else if (st == GMW_SHIM_CONFLICT)
        gmw_warnings_add(&c->warnings, GMW_MSG_SHIM_CONFLICT, tg->name);
    else
        c->shim_used = true;
}

/* Decide and patch one candidate container found at cpath. */
static void process_container(engine_ctx *c, const json_t *container, const char *cpath)
{
    target tg;
    container_plan plan;

    const char *raw_name = json_string_value(json_object_get(container, "name"));
    if (raw_name != NULL && gmw_annotations_selects(&c->ann, raw_name) &&
        json_object_set_new(c->advised, raw_name, json_integer(0)) != 0)
        c->oom = true;
    if (!resolve_target(c, container, cpath, &tg))
        return;
    memset(&plan, 0, sizeof plan);
    plan.gml = env_inspect(c, tg.env, tg.name, "GOMEMLIMIT");
    plan.gogc = env_inspect(c, tg.env, tg.name, "GOGC");
    plan.entry = json_object();
    if (plan.entry == NULL) {
        c->oom = true;
        return;
    }
    plan_env(c, &tg, cpath, &plan);
    warn_env_from(c, &tg, container, &plan);
    plan_requests(c, &tg, container, cpath, &plan);
    /* the advice (advise) judges the webhook's ratio, not the rounded bytes */
    if (raw_name != NULL && plan.gml.state != ENV_USER && !tg.from_memory_limit &&
        json_object_set_new(c->advised, raw_name, json_integer(tg.ratio)) != 0)
        c->oom = true;
    record_plan(c, &tg, &plan);
    warn_change(c, &tg, &plan);
    plan_shim(c, &tg, container, cpath, &plan);
}

/* Does `name` appear among the pod's containers or init containers? */
static bool pod_has_container(const json_t *spec, const char *name)
{
    static const char *const lists[] = {"containers", "initContainers"};
    for (size_t l = 0; l < 2; l++) {
        size_t i;
        json_t *ct;
        json_array_foreach(json_object_get(spec, lists[l]), i, ct)
        {
            const char *n = json_string_value(json_object_get(ct, "name"));
            if (n != NULL && strcmp(n, name) == 0)
                return true;
        }
    }
    return false;
}

/* Warn about per-container annotations and `containers` names matching no container. */
static void check_names(engine_ctx *c, const json_t *spec)
{
    for (size_t i = 0; i < c->ann.container_count; i++) {
        if (!pod_has_container(spec, c->ann.containers[i].name))
            gmw_warnings_add(&c->warnings, GMW_MSG_ANN_NO_SUCH_CONTAINER,
                             c->ann.containers[i].name);
    }
    for (size_t i = 0; i < c->ann.list_count; i++) {
        if (!pod_has_container(spec, c->ann.list[i]))
            gmw_warnings_add(&c->warnings, GMW_MSG_CONTAINERS_NO_SUCH, c->ann.list[i]);
    }
}

/* Visit every candidate container: containers, then sidecars and named init containers. */
static void process_containers(engine_ctx *c, const json_t *spec)
{
    char path[PTR_MAX], idx[32];
    size_t i;
    json_t *ct;
    json_array_foreach(json_object_get(spec, "containers"), i, ct)
    {
        if (!json_is_object(ct))
            continue;
        snprintf(idx, sizeof idx, "%zu", i);
        if (gmw_pointer_join(path, sizeof path, "/spec", "containers") != 0 ||
            gmw_pointer_append(path, sizeof path, idx) != 0)
            continue;
        process_container(c, ct, path);
    }
    json_array_foreach(json_object_get(spec, "initContainers"), i, ct)
    {
        if (!json_is_object(ct))
            continue;
        const char *rp = json_string_value(json_object_get(ct, "restartPolicy"));
        const char *n = json_string_value(json_object_get(ct, "name"));
        bool sidecar = rp != NULL && strcmp(rp, "Always") == 0;
        if (!sidecar && (n == NULL || !gmw_annotations_names(&c->ann, n)))
            continue; /* plain init containers only when named in gomemlimit.io/containers */
        snprintf(idx, sizeof idx, "%zu", i);
        if (gmw_pointer_join(path, sizeof path, "/spec", "initContainers") != 0 ||
            gmw_pointer_append(path, sizeof path, idx) != 0)
            continue;
        process_container(c, ct, path);
    }
}

/*
 * Do the container ops of the patch touch only a container's env and resources (what
 * process_container writes)? Then a view that copies just those members is enough to apply
 * them on (advice_view).
 */
static bool ops_touch_env_and_resources_only(const json_t *patch)
{
    static const char *const lists[] = {"/spec/containers/", "/spec/initContainers/"};
    size_t i;
    const json_t *op;
    json_array_foreach(patch, i, op)
    {
        const char *path = json_string_value(json_object_get(op, "path"));
        const char *rest = NULL;
        for (size_t l = 0; l < 2 && rest == NULL && path != NULL; l++) {
            size_t n = strlen(lists[l]);
            if (strncmp(path, lists[l], n) == 0)
                rest = path + n;
        }
        if (rest == NULL)
            return false;
        rest += strspn(rest, "0123456789");
        if (strncmp(rest, "/env", 4) != 0 && strncmp(rest, "/resources", 10) != 0)
            return false;
        rest += rest[1] == 'e' ? 4 : 10;
        if (*rest != '\0' && *rest != '/')
            return false;
    }
    return true;
}

/*
 * {"spec": {"containers": [...], "initContainers": [...]}} where each container shares every
 * member with spec's but env and resources, which are copies: the container ops can be
 * applied to it without touching the Pod, at a fraction of a deep copy (probes, ports,
 * volumes and the rest are not copied). New reference, NULL when out of memory.
 */
static json_t *advice_view(const json_t *spec)
{
    static const char *const lists[] = {"containers", "initContainers"};
    json_t *vspec = json_object();
    json_t *view = json_pack("{s:o}", "spec", vspec);
    if (view == NULL)
        return NULL;
    for (size_t l = 0; l < 2; l++) {
        const json_t *arr = json_object_get(spec, lists[l]);
        if (!json_is_array(arr))
            continue;
        json_t *varr = json_array();
        if (json_object_set_new(vspec, lists[l], varr) != 0)
            goto oom;
        size_t i;
        const json_t *ct;
        json_array_foreach(arr, i, ct)
        {
            json_t *vct;
            if (json_is_object(ct)) {
                const char *key;
                json_t *member;
                vct = json_object();
                json_object_foreach((json_t *)ct, key, member)
                {
                    bool copied = strcmp(key, "env") == 0 || strcmp(key, "resources") == 0;
                    if (vct != NULL && json_object_set_new(vct, key,
                                                           copied ? json_deep_copy(member)
                                                                  : json_incref(member)) != 0) {
                        json_decref(vct);
                        vct = NULL;
                    }
                }
            } else
                vct = json_incref((json_t *)ct);
            if (json_array_append_new(varr, vct) != 0)
                goto oom;
        }
    }
    return view;
oom:
    json_decref(view);
    return NULL;
}

/*
 * The pitfall advice (advice.h) for every container process_container looked at, judged on
 * the containers as they will run: the container ops applied to a view of the spec (only
 * /spec container ops exist at this point: status and shim ops come later; anything else
 * falls back to a deep copy).
 */
static void advise(engine_ctx *c, const json_t *spec)
{
    static const char *const lists[] = {"containers", "initContainers"};
    char err[128];
    if (json_object_size(c->advised) == 0)
        return;
    /* A disposable pod takes the ops itself: nothing after this step reads the containers'
     * env or resources (shim delivery, status and issues read other members). */
    json_t *after = c->disposable_pod != NULL ? json_incref(c->disposable_pod)
                    : ops_touch_env_and_resources_only(c->res->patch)
                        ? advice_view(spec)
                        : json_pack("{s:o}", "spec", json_deep_copy(spec));
    if (after == NULL) {
        c->oom = true;
        return;
    }
    if (json_array_size(c->res->patch) > 0 &&
        gmw_jsonpatch_apply(after, c->res->patch, err, sizeof err) != 0) {
        c->oom = true; /* our own ops on our own copy: only allocation can fail */
        json_decref(after);
        return;
    }
    for (size_t l = 0; l < 2; l++) {
        size_t i;
        json_t *ct;
        json_array_foreach(json_object_get(json_object_get(after, "spec"), lists[l]), i, ct)
        {
            const json_t *r =
                json_object_get(c->advised, json_string_value(json_object_get(ct, "name")));
            if (json_is_object(ct) && r != NULL)
                gmw_advice_container(&c->warnings, ct, (uint32_t)json_integer_value(r));
        }
    }
    json_decref(after);
}

/* Record every container of the pod as skipped for `reason` (no status, no warning). */
static void skip_all(engine_ctx *c, const json_t *spec, const char *reason)
{
    static const char *const lists[] = {"containers", "initContainers"};
    for (size_t l = 0; l < 2; l++) {
        size_t i;
        json_t *ct;
        json_array_foreach(json_object_get(spec, lists[l]), i, ct)
        {
            char name[GMW_ANN_NAME_MAX];
            gmw_sanitize(name, sizeof name, json_string_value(json_object_get(ct, "name")),
                         sizeof name - 1);
            record_outcome(c, name, "skipped", reason);
        }
    }
}

/* Write the status annotation when something changed or a stale one is present. */
static void write_status(engine_ctx *c)
{
    const json_t *metadata = json_object_get(c->pod, "metadata");
    const json_t *annotations = json_object_get(metadata, "annotations");
    char path[PTR_MAX];

    if (json_array_size(c->res->patch) == 0 && c->ann.status == NULL)
        return;
    char *text = gmw_status_format(c->new_status);
    if (text == NULL) {
        c->oom = true;
        return;
    }
    if (c->ann.status != NULL && strcmp(c->ann.status, text) == 0) {
        free(text);
        return;
    }
    json_t *value = json_string(text);
    free(text);
    if (value == NULL) {
        c->oom = true;
        return;
    }
    if (!json_is_object(metadata)) {
        add_op(c, "add", "/metadata",
               json_pack("{s:{s:o}}", "annotations", GMW_STATUS_ANNOTATION, value));
    } else if (!json_is_object(annotations)) {
        add_op(c, "add", "/metadata/annotations", json_pack("{s:o}", GMW_STATUS_ANNOTATION, value));
    } else {
        snprintf(path, sizeof path, "/metadata/annotations");
        if (gmw_pointer_append(path, sizeof path, GMW_STATUS_ANNOTATION) != 0) {
            json_decref(value);
            return;
        }
        add_op(c, "add", path, value);
    }
}

/* Set an auditAnnotations entry when the value is not empty. */
static void audit_set(engine_ctx *c, const char *key, const char *value)
{
    if (value[0] != '\0' && json_object_set_new(c->res->audit, key, json_string(value)) != 0)
        c->oom = true;
}

/*
 * Append to the denial message: "; " before all but the first item, and the item only
 * when it fits whole. Returns false (message unchanged) when it does not fit.
 */
static bool message_append(char *msg, size_t cap, const char *item)
{
    size_t len = strlen(msg);
    size_t sep = strcmp(msg, GMW_MSG_PREFIX) == 0 ? 0 : 2;
    size_t n = strlen(item);
    if (len + sep + n >= cap)
        return false;
    /* Copied, not formatted: the lengths are checked (gcc -O2 -Wformat-truncation cannot
     * follow that check through snprintf). */
    memcpy(msg + len, "; ", sep);
    memcpy(msg + len + sep, item, n + 1);
    return true;
}

/* Turn annotation issues into warnings (warn mode) or a denial (deny mode). */
static void handle_issues(engine_ctx *c, const json_t *spec)
{
    char text[512], warning[GMW_WARNING_MAX + 1];
    size_t invalid = c->ann.invalid_dropped;
    gmw_pod_result *res = c->res;

    for (size_t i = 0; i < c->ann.issue_count; i++)
        invalid += gmw_ann_issue_is_invalid(&c->ann.issues[i]);
    if (invalid == 0 || c->cfg->invalid_annotations == GMW_INVALID_WARN) {
        /* Annotation problems go first, so per-container warnings can never push an
         * ignored invalid annotation (or a lost opt-out) out of the capped list. */
        gmw_warnings issues;
        gmw_warnings_init(&issues);
        for (size_t i = 0; i < c->ann.issue_count; i++) {
            const gmw_ann_issue *is = &c->ann.issues[i];
            gmw_warnings_add(&issues, "%s",
                             gmw_ann_issue_warning(
                                 is, is->kind == GMW_ANN_UNKNOWN ? "" : GMW_MSG_ANN_LEAD_IGNORED,
                                 warning, sizeof warning));
        }
        if (c->ann.issues_dropped > 0)
            gmw_warnings_add(&issues, GMW_MSG_ANN_ISSUES_DROPPED, c->ann.issues_dropped,
                             c->ann.invalid_dropped);
        gmw_warnings_prepend(&c->warnings, &issues);
        gmw_warnings_free(&issues);
        return;
    }
    /* deny: no patch, the issues as message and as warnings */
    res->allowed = false;
    res->code = 400;
    json_array_clear(res->patch);
    json_object_clear(res->audit);
    gmw_warnings_free(&c->warnings);
    snprintf(res->message, sizeof res->message, GMW_MSG_PREFIX);
    size_t left = c->ann.invalid_dropped;
    for (size_t i = 0; i < c->ann.issue_count; i++) {
        const gmw_ann_issue *is = &c->ann.issues[i];
        if (!gmw_ann_issue_is_invalid(is))
            continue;
        gmw_warnings_add(&c->warnings, "%s",
                         gmw_ann_issue_warning(is, "", warning, sizeof warning));
        if (!message_append(res->message, sizeof res->message,
                            gmw_ann_issue_format(is, text, sizeof text)))
            left++;
    }
    if (left > 0) {
        snprintf(text, sizeof text, GMW_MSG_DENIAL_MORE, left);
        gmw_warnings_add(&c->warnings, GMW_MSG_PREFIX "%s", text);
        (void)message_append(res->message, sizeof res->message, text); /* fits: engine.h */
    }
    audit_set(c, "denied", "invalid-annotation");
    res->container_count = 0;
    skip_all(c, spec, "invalid-annotation");
}

/*
 * malformedGOMEMLIMIT: deny: refuse the Pod, naming every container, its value and the fix.
 * After handle_issues: when invalid annotations already denied it, the items are added.
 */
static void deny_malformed(engine_ctx *c, const json_t *spec)
{
    gmw_pod_result *res = c->res;
    if (c->malformed_denied == 0)
        return;
    if (res->allowed) {
        res->allowed = false;
        res->code = 400;
        json_array_clear(res->patch);
        json_object_clear(res->audit);
        snprintf(res->message, sizeof res->message, GMW_MSG_PREFIX);
        res->container_count = 0;
        skip_all(c, spec, "malformed-gomemlimit");
        audit_set(c, "denied", "malformed-gomemlimit");
        gmw_warnings_free(&c->warnings); /* no injection happens: only the denial items */
    }
    size_t i;
    json_t *w;
    json_array_foreach(c->malformed_warnings.list, i, w)
    {
        gmw_warnings_add(&c->warnings, "%s", json_string_value(w));
    }
    if (c->malformed_warnings.oom)
        c->oom = true;
    (void)message_append(res->message, sizeof res->message, c->malformed_denial);
}

/* The decision proper, on a prepared context; problems are flagged in c->oom. */
static void decide(engine_ctx *c, const char *ns)
{
    const json_t *spec = json_object_get(c->pod, "spec");
    const json_t *metadata = json_object_get(c->pod, "metadata");
    if (!json_is_object(spec))
        return; /* nothing to look at: allowed, no patch */

    if (ns != NULL && ns[0] != '\0' && gmw_config_namespace_excluded(c->cfg, ns)) {
        char nsbuf[72];
        gmw_warnings_add(&c->warnings, GMW_MSG_NAMESPACE_EXCLUDED,
                         gmw_sanitize(nsbuf, sizeof nsbuf, ns, 63));
        skip_all(c, spec, "namespace-excluded");
        audit_set(c, "skipped", "namespace-excluded");
        return;
    }

    gmw_annotations_parse(json_object_get(metadata, "annotations"), &c->ann);
    c->own_status = gmw_status_parse(c->ann.status);
    const json_t *pod_resources = json_object_get(spec, "resources");
    c->pod_resources = pod_resources != NULL && !json_is_null(pod_resources);
    if (c->ann.pod.inject == 0) {
        bool reenabled = false; /* a container's inject.<name>=true overrides the pod's false */
        for (size_t i = 0; i < c->ann.container_count; i++)
            reenabled = reenabled || c->ann.containers[i].values.inject == 1;
        if (reenabled)
            gmw_warnings_add(&c->warnings, GMW_MSG_POD_OPT_OUT_EXCEPT);
        else
            gmw_warnings_add(&c->warnings, GMW_MSG_POD_OPT_OUT);
    }

    check_names(c, spec);
    process_containers(c, spec);
    advise(c, spec);
    write_status(c);
    if (c->shim_used && gmw_shim_patch_pod(c->res->patch, c->pod, c->cfg) != 0)
        c->oom = true;
    audit_set(c, "injected", c->audit_injected);
    audit_set(c, "unchanged", c->audit_unchanged);
    audit_set(c, "skipped", c->audit_skipped);
    handle_issues(c, spec);
    deny_malformed(c, spec);
}

static int mutate(const gmw_config *cfg, const json_t *pod, json_t *disposable_pod, const char *ns,
                  gmw_pod_result *res)
{
    engine_ctx *c = NULL;
    int rc = -ENOMEM;

    memset(res, 0, offsetof(gmw_pod_result, message)); /* not the buffers */
    res->message[0] = '\0';
    res->allowed = true;
    res->code = 200;
    res->patch = json_array();
    res->audit = json_object();
    if (res->patch == NULL || res->audit == NULL)
        goto fail;

    c = malloc(sizeof *c); /* large (annotations tables): keep it off the stack */
    if (c == NULL)
        goto fail;
    engine_ctx_init(c);
    c->cfg = cfg;
    c->pod = pod;
    c->disposable_pod = disposable_pod;
    c->res = res;
    gmw_warnings_init(&c->warnings);
    gmw_warnings_init(&c->malformed_warnings);
    c->new_status = json_object();
    c->advised = json_object();
    if (c->new_status == NULL || c->advised == NULL)
        goto fail;

    decide(c, ns);
    if (c->oom || c->warnings.oom)
        goto fail;
    res->warnings = gmw_warnings_take(&c->warnings);
    if (res->warnings == NULL)
        goto fail;
    rc = 0;
fail:
    if (rc != 0) {
        /* out of memory: an empty, allowed result */
        json_array_clear(res->patch);
        json_object_clear(res->audit);
        res->allowed = true;
        res->code = 200;
        res->message[0] = '\0';
        if (res->warnings == NULL)
            res->warnings = json_array();
    }
    if (c != NULL) {
        gmw_warnings_free(&c->warnings);
        gmw_warnings_free(&c->malformed_warnings);
        json_decref(c->own_status);
        json_decref(c->new_status);
        json_decref(c->advised);
        free(c);
    }
    return rc;
}

int gmw_engine_mutate_pod(const gmw_config *cfg, const json_t *pod, const char *ns,
                          gmw_pod_result *res)
{
    return mutate(cfg, pod, NULL, ns, res);
}

int gmw_engine_mutate_disposable_pod(const gmw_config *cfg, json_t *pod, const char *ns,
                                     gmw_pod_result *res)
{
    return mutate(cfg, pod, pod, ns, res);
}

void gmw_pod_result_free(gmw_pod_result *res)
{
    json_decref(res->patch);
    json_decref(res->warnings);
    json_decref(res->audit);
    res->patch = NULL;
    res->warnings = NULL;
    res->audit = NULL;
}
