/*
 * annotations.c - parsing and validation of gomemlimit.io/ annotations (see annotations.h).
 */
#include "annotations.h"

#include <stdio.h>
#include <stddef.h>
#include <string.h>

#include "k8sname.h"
#include "memlimit.h"
#include "messages.h"
#include "quantity.h"
#include "sanitize.h"
#include "warnings.h"

#define PREFIX "gomemlimit.io/"
#define PREFIX_LEN (sizeof PREFIX - 1)

/* Each accepted-value text starts with its example, so a shortened warning keeps it. */
static const char expected_bool[] = GMW_MSG_EXPECTED_BOOL;
static const char expected_ratio[] = GMW_MSG_EXPECTED_RATIO;
static const char expected_gogc[] = GMW_MSG_EXPECTED_GOGC;
static const char expected_request[] = GMW_MSG_EXPECTED_REQUEST;
static const char expected_containers[] = GMW_MSG_EXPECTED_CONTAINERS;
static const char expected_unknown[] = GMW_MSG_EXPECTED_UNKNOWN;
const char gmw_ann_expected_memory_limit[] = GMW_MSG_EXPECTED_MEMORY_LIMIT;

/* The settable keys; `per_container` says whether "<key>.<name>" exists. */
typedef enum { KEY_INJECT, KEY_SHIM, KEY_RATIO, KEY_GOGC, KEY_MEMORY_LIMIT, KEY_REQUEST } key_id;

/* too_many: the accepted-value text of a GMW_ANN_TOO_MANY issue for the key. */
static const struct {
    const char *name;
    key_id id;
    const char *too_many;
} known_keys[] = {
    {"inject", KEY_INJECT, GMW_MSG_EXPECTED_TOO_MANY("inject")},
    {"shim", KEY_SHIM, GMW_MSG_EXPECTED_TOO_MANY("shim")},
    {"ratio", KEY_RATIO, GMW_MSG_EXPECTED_TOO_MANY("ratio")},
    {"gogc", KEY_GOGC, GMW_MSG_EXPECTED_TOO_MANY("gogc")},
    {"memory-limit", KEY_MEMORY_LIMIT, GMW_MSG_EXPECTED_TOO_MANY("memory-limit")},
    {"request", KEY_REQUEST, GMW_MSG_EXPECTED_TOO_MANY("request")},
};

void gmw_ann_values_init(gmw_ann_values *v)
{
    memset(v, 0, sizeof *v);
    v->inject = -1;
    v->shim = -1;
}

bool gmw_ann_issue_is_invalid(const gmw_ann_issue *issue)
{
    return issue->kind != GMW_ANN_UNKNOWN;
}

static void add_issue(gmw_annotations *a, gmw_ann_issue_kind kind, const char *key,
                      const char *value, const char *expected, bool range, const char *detail)
{
    gmw_ann_issue is;
    if (value == NULL)
        value = GMW_MSG_ANN_NOT_STRING;
    is.kind = kind;
    gmw_sanitize(is.key, sizeof is.key, key, sizeof is.key - 1);
    gmw_sanitize(is.value, sizeof is.value, value, 40);
    is.expected = expected;
    is.range = range;
    gmw_sanitize(is.detail, sizeof is.detail, detail, sizeof is.detail - 1);
    for (size_t i = 0; i < a->issue_count; i++) {
        const gmw_ann_issue *o = &a->issues[i];
        if (o->kind == kind && strcmp(o->key, is.key) == 0 && strcmp(o->value, is.value) == 0 &&
            strcmp(o->detail, is.detail) == 0)
            return; /* the same problem found again (a pod-level key, several containers) */
    }
    if (a->issue_count < GMW_ANN_MAX_ISSUES) {
        a->issues[a->issue_count++] = is;
        return;
    }
    a->issues_dropped++;
    if (!gmw_ann_issue_is_invalid(&is)) {
        return;
    }
    for (size_t i = a->issue_count; i-- > 0;) {
        if (!gmw_ann_issue_is_invalid(&a->issues[i])) {
            a->issues[i] = is; /* an invalid issue evicts an unknown one */
            return;
        }
    }
    a->invalid_dropped++;
}

void gmw_annotations_add_issue(gmw_annotations *a, gmw_ann_issue_kind kind, const char *key,
                               const char *value, const char *expected)
{
    add_issue(a, kind, key, value, expected, false, "");
}

void gmw_annotations_add_range_issue(gmw_annotations *a, const char *key, const char *value,
                                     const char *expected)
{
    add_issue(a, GMW_ANN_INVALID, key, value, expected, true, "");
}

void gmw_annotations_add_detail_issue(gmw_annotations *a, const char *key, const char *value,
                                      const char *detail)
{
    add_issue(a, GMW_ANN_INVALID, key, value, "", false, detail);
}

_Static_assert(GMW_ANN_MAX_CONTAINERS == 64, "issue_problem names the container cap");

/* The text between the subject (key and value) and the expected text, per kind. */
static const char *issue_problem(const gmw_ann_issue *issue)
{
    return issue->kind == GMW_ANN_TOO_MANY ? GMW_MSG_ANN_PROBLEM_TOO_MANY
           : issue->range                  ? GMW_MSG_ANN_PROBLEM_RANGE
                                           : GMW_MSG_ANN_PROBLEM_SYNTAX;
}

char *gmw_ann_issue_format(const gmw_ann_issue *issue, char *buf, size_t cap)
{
    if (issue->kind == GMW_ANN_UNKNOWN)
        snprintf(buf, cap, GMW_MSG_ANN_UNKNOWN, issue->key, issue->expected);
    else if (issue->detail[0] != '\0')
        snprintf(buf, cap, GMW_MSG_ANN_ISSUE_DETAIL, issue->key, issue->value, issue->detail);
    else
        snprintf(buf, cap, GMW_MSG_ANN_ISSUE, issue->key, issue->value, issue_problem(issue),
                 issue->expected);
    return buf;
}

char *gmw_ann_issue_warning(const gmw_ann_issue *issue, const char *lead, char *buf, size_t cap)
{
    char key[sizeof issue->key], value[24];
    if (issue->kind == GMW_ANN_UNKNOWN) {
        snprintf(buf, cap, GMW_MSG_ANN_UNKNOWN_WARNING, issue->key);
        return buf;
    }
    if (issue->detail[0] != '\0') { /* container-specific: the whole text, the key shortened */
        char full[512];
        gmw_sanitize(value, sizeof value, issue->value, 16);
        /* the text without the key */
        size_t fixed =
            (size_t)snprintf(NULL, 0, GMW_MSG_ANN_DETAIL_WARNING, lead, "", value, issue->detail);
        gmw_sanitize(key, sizeof key, issue->key,
                     fixed + 20 < GMW_WARNING_MAX ? GMW_WARNING_MAX - fixed : 20);
        snprintf(full, sizeof full, GMW_MSG_ANN_DETAIL_WARNING, lead, key, value, issue->detail);
        gmw_sanitize(buf, cap, full, GMW_WARNING_MAX);
        return buf;
    }
    /* what must fit: everything up to the end of the example ('e.g. "0.9"') */
    const char *paren = strstr(issue->expected, " (");
    size_t example = paren != NULL ? (size_t)(paren - issue->expected) : strlen(issue->expected);
    gmw_sanitize(value, sizeof value, issue->value, 16);
    /* the text without the key and with the example only, and "..." when the rest is cut */
    size_t fixed = (size_t)snprintf(NULL, 0, GMW_MSG_ANN_ISSUE_WARNING, lead, "", value,
                                    issue_problem(issue), "") +
                   example + strlen("...");
    /* A long lead, problem and example (ignored: + over the container limit + the
     * memory-limit key as the example) leave no room for 8 characters of key: shorten the
     * value first, down to "...", so the example still fits (found by fuzz_annotations). */
    if (fixed + 8 > GMW_WARNING_MAX) {
        size_t over = fixed + 8 - GMW_WARNING_MAX, vlen = strlen(value);
        gmw_sanitize(value, sizeof value, issue->value, vlen > over + 3 ? vlen - over : 3);
        fixed = fixed - vlen + strlen(value);
    }
    size_t key_room = fixed + 8 < GMW_WARNING_MAX ? GMW_WARNING_MAX - fixed : 8;
    gmw_sanitize(key, sizeof key, issue->key, key_room);
    char full[512];
    snprintf(full, sizeof full, GMW_MSG_ANN_ISSUE_WARNING, lead, key, value, issue_problem(issue),
             issue->expected);
    gmw_sanitize(buf, cap, full, GMW_WARNING_MAX);
    return buf;
}

/* A plain decimal number: digits with at most one '.', at least one digit ("1.5", ".5", "0"). */
static bool is_decimal(const char *s)
{
    bool digit = false, dot = false;
    for (; *s; s++) {
        if (*s >= '0' && *s <= '9')
            digit = true;
        else if (*s == '.' && !dot)
            dot = true;
        else
            return false;
    }
    return digit;
}

/* Parse "true"/"false" into 1/0; -1 otherwise. */
static int parse_bool(const char *s)
{
    if (strcmp(s, "true") == 0)
        return 1;
    if (strcmp(s, "false") == 0)
        return 0;
    return -1;
}

/* Parse gomemlimit.io/containers into a->list. Returns false when invalid. */
static bool parse_container_list(gmw_annotations *a, const char *s)
{
    size_t count = 0;
    const char *p = s;
    while (*p != '\0') {
        const char *comma = strchr(p, ',');
        const char *end = comma != NULL ? comma : p + strlen(p);
        const char *b = p, *e = end;
        while (b < e && (*b == ' ' || *b == '\t'))
            b++;
        while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        if (e > b) {
            if (!gmw_dns1123_label_valid(b, (size_t)(e - b)) || count >= GMW_ANN_MAX_CONTAINERS)
                return false;
            memcpy(a->list[count], b, (size_t)(e - b));
            a->list[count][e - b] = '\0';
            count++;
        }
        p = comma != NULL ? comma + 1 : end;
    }
    if (count == 0)
        return false;
    a->list_count = count;
    a->has_list = true;
    return true;
}

/* The values slot for container `name`, created on first use; NULL when full. */
static gmw_ann_values *container_slot(gmw_annotations *a, const char *name, size_t len)
{
    for (size_t i = 0; i < a->container_count; i++) {
        if (strlen(a->containers[i].name) == len && memcmp(a->containers[i].name, name, len) == 0)
            return &a->containers[i].values;
    }
    if (a->container_count >= GMW_ANN_MAX_CONTAINERS)
        return NULL;
    gmw_ann_container *c = &a->containers[a->container_count++];
    memcpy(c->name, name, len);
    c->name[len] = '\0';
    gmw_ann_values_init(&c->values);
    return &c->values;
}

/* Validate `value` for key `id` and store it in *v; record an issue when invalid. */
static void set_value(gmw_annotations *a, gmw_ann_values *v, key_id id, const char *key,
                      const char *value)
{
    int b;
    uint32_t ratio;
    int64_t bytes;
    switch (id) {
    case KEY_INJECT:
    case KEY_SHIM:
        b = parse_bool(value);
        if (b < 0) {
            gmw_annotations_add_issue(a, GMW_ANN_INVALID, key, value, expected_bool);
            return;
        }
        if (id == KEY_INJECT)
            v->inject = b;
        else
            v->shim = b;
        return;
    case KEY_RATIO:
        if (gmw_ratio_parse(value, &ratio) != 0) {
            if (is_decimal(value)) /* a number, but not in (0, 1] with <= 4 decimals */
                gmw_annotations_add_range_issue(a, key, value, expected_ratio);
            else
                gmw_annotations_add_issue(a, GMW_ANN_INVALID, key, value, expected_ratio);
            return;
        }
        v->has_ratio = true;
        v->ratio_e4 = ratio;
        return;
    case KEY_GOGC:
        if (!gmw_gogc_valid(value) || strlen(value) >= sizeof v->gogc) {
            /* a whole number out of 1..100000 (0, 200000) is a range error */
            if ((is_decimal(value) && strchr(value, '.') == NULL && value[0] != '0') ||
                strcmp(value, "0") == 0)
                gmw_annotations_add_range_issue(a, key, value, expected_gogc);
            else
                gmw_annotations_add_issue(a, GMW_ANN_INVALID, key, value, expected_gogc);
            return;
        }
        v->has_gogc = true;
        memcpy(v->gogc, value, strlen(value) + 1);
        return;
    case KEY_MEMORY_LIMIT: {
        /* a Kubernetes quantity (400Mi), or Go's own spelling (400MiB, 419430400) */
        gmw_qty_status st = gmw_quantity_parse_cstr(value, &bytes);
        if (st != GMW_QTY_OK && strcmp(value, "off") != 0 && gmw_gomemlimit_parse(value, &bytes))
            st = GMW_QTY_OK;
        if (st == GMW_QTY_NEGATIVE || st == GMW_QTY_OVERFLOW) {
            gmw_annotations_add_range_issue(a, key, value, gmw_ann_expected_memory_limit);
            return;
        }
        if (st != GMW_QTY_OK) {
            gmw_annotations_add_issue(a, GMW_ANN_INVALID, key, value,
                                      gmw_ann_expected_memory_limit);
            return;
        }
        v->has_memory_limit = true;
        v->memory_limit_bytes = bytes;
        gmw_sanitize(v->memory_limit_text, sizeof v->memory_limit_text, value, 40);
        gmw_sanitize(v->memory_limit_key, sizeof v->memory_limit_key, key,
                     sizeof v->memory_limit_key - 1);
        return;
    }
    case KEY_REQUEST:
        if (strcmp(value, "match") == 0)
            v->request = GMW_REQUEST_MATCH;
        else if (strcmp(value, "limit") == 0)
            v->request = GMW_REQUEST_LIMIT;
        else if (strcmp(value, "keep") == 0)
            v->request = GMW_REQUEST_KEEP;
        else {
            gmw_annotations_add_issue(a, GMW_ANN_INVALID, key, value, expected_request);
            return;
        }
        v->has_request = true;
        return;
    }
}

/* Look up a settable key by its exact name (len bytes). */
static int find_key(const char *s, size_t len, key_id *id)
{
    for (size_t i = 0; i < sizeof known_keys / sizeof known_keys[0]; i++) {
        if (strlen(known_keys[i].name) == len && memcmp(known_keys[i].name, s, len) == 0) {
            *id = known_keys[i].id;
            return 0;
        }
    }
    return -1;
}

/* The accepted-value text of a GMW_ANN_TOO_MANY issue for key `id`. */
static const char *too_many_text(key_id id)
{
    for (size_t i = 0; i < sizeof known_keys / sizeof known_keys[0]; i++) {
        if (known_keys[i].id == id)
            return known_keys[i].too_many;
    }
    return "";
}

void gmw_annotations_parse(const json_t *annotations, gmw_annotations *out)
{
    const char *key;
    json_t *jv;

    memset(out, 0, offsetof(gmw_annotations, containers)); /* not the tables (see .h) */
    gmw_ann_values_init(&out->pod);
    if (!json_is_object(annotations))
        return;
    json_object_foreach((json_t *)annotations, key, jv)
    {
        if (strncmp(key, PREFIX, PREFIX_LEN) != 0)
            continue;
        const char *rest = key + PREFIX_LEN;
        const char *value = json_string_value(jv);
        if (strcmp(rest, "status") == 0) {
            out->status = value;
            continue;
        }
        if (strcmp(rest, "containers") == 0) {
            if (value == NULL || !parse_container_list(out, value)) {
                out->has_list = false;
                out->list_count = 0;
                gmw_annotations_add_issue(out, GMW_ANN_INVALID, key,
                                          value != NULL ? value : GMW_MSG_ANN_NOT_STRING,
                                          expected_containers);
            }
            continue;
        }
        const char *dot = strchr(rest, '.');
        size_t keylen = dot != NULL ? (size_t)(dot - rest) : strlen(rest);
        key_id id;
        if (find_key(rest, keylen, &id) != 0) {
            gmw_annotations_add_issue(out, GMW_ANN_UNKNOWN, key, value, expected_unknown);
            continue;
        }
        gmw_ann_values *slot = &out->pod;
        if (dot != NULL) {
            const char *cname = dot + 1;
            size_t clen = strlen(cname);
            if (!gmw_dns1123_label_valid(cname, clen)) {
                gmw_annotations_add_issue(out, GMW_ANN_UNKNOWN, key, value, expected_unknown);
                continue;
            }
            slot = container_slot(out, cname, clen);
            if (slot == NULL) { /* more than GMW_ANN_MAX_CONTAINERS names: never ignored */
                gmw_annotations_add_issue(out, GMW_ANN_TOO_MANY, key, value, too_many_text(id));
                continue;
            }
        }
        if (value == NULL) {
            gmw_annotations_add_issue(out, GMW_ANN_INVALID, key, GMW_MSG_ANN_NOT_STRING,
                                      id == KEY_INJECT || id == KEY_SHIM ? expected_bool
                                      : id == KEY_RATIO                  ? expected_ratio
                                      : id == KEY_GOGC                   ? expected_gogc
                                      : id == KEY_REQUEST                ? expected_request
                                                          : gmw_ann_expected_memory_limit);
            continue;
        }
        set_value(out, slot, id, key, value);
    }
}

void gmw_annotations_for(const gmw_annotations *a, const char *container, gmw_ann_values *out)
{
    *out = a->pod;
    for (size_t i = 0; i < a->container_count; i++) {
        const gmw_ann_container *c = &a->containers[i];
        if (strcmp(c->name, container) != 0)
            continue;
        const gmw_ann_values *v = &c->values;
        if (v->inject >= 0)
            out->inject = v->inject;
        if (v->shim >= 0)
            out->shim = v->shim;
        if (v->has_ratio) {
            out->has_ratio = true;
            out->ratio_e4 = v->ratio_e4;
        }
        if (v->has_gogc) {
            out->has_gogc = true;
            memcpy(out->gogc, v->gogc, sizeof out->gogc);
        }
        if (v->has_memory_limit) {
            out->has_memory_limit = true;
            out->memory_limit_bytes = v->memory_limit_bytes;
            memcpy(out->memory_limit_text, v->memory_limit_text, sizeof out->memory_limit_text);
            memcpy(out->memory_limit_key, v->memory_limit_key, sizeof out->memory_limit_key);
        }
        if (v->has_request) {
            out->has_request = true;
            out->request = v->request;
        }
        break;
    }
}

bool gmw_annotations_names(const gmw_annotations *a, const char *container)
{
    for (size_t i = 0; i < a->list_count; i++) {
        if (strcmp(a->list[i], container) == 0)
            return true;
    }
    return false;
}

bool gmw_annotations_selects(const gmw_annotations *a, const char *container)
{
    return !a->has_list || gmw_annotations_names(a, container);
}
