/*
 * status.c - the gomemlimit.io/status annotation format (see status.h).
 */
#include "status.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dynbuf.h"
#include "jsonwrite.h"

/* The key of the summary form: not a container name (those are DNS labels). */
#define SUMMARY_KEY "*"

/*
 * json_dumps(v, JSON_COMPACT) as malloc'd text whatever allocator jansson uses: inside a jarena
 * scope (every admission) json_dumps' result is arena memory that free() must never see.
 */
static char *dump_compact(const json_t *v)
{
    gmw_dynbuf b;
    gmw_dynbuf_init(&b, SIZE_MAX / 2);
    if (gmw_json_write(&b, v) != 0) {
        gmw_dynbuf_free(&b);
        return NULL;
    }
    return gmw_dynbuf_take(&b, NULL);
}

json_t *gmw_status_parse(const char *text)
{
    if (text == NULL)
        return NULL;
    json_t *root = json_loads(text, 0, NULL);
    if (root != NULL && !json_is_object(root)) {
        json_decref(root);
        return NULL;
    }
    return root;
}

const char *gmw_status_own_value(const json_t *status, const char *container, const char *var)
{
    if (status == NULL || container == NULL)
        return NULL;
    json_t *entry = json_object_get(status, container);
    return json_string_value(json_object_get(entry, var));
}

bool gmw_status_is_own(const json_t *status, const char *container, const char *var,
                       const char *value)
{
    if (status == NULL || value == NULL)
        return false;
    const char *own = gmw_status_own_value(status, container, var);
    if (own != NULL)
        return strcmp(own, value) == 0;
    const json_t *list = json_object_get(json_object_get(status, SUMMARY_KEY), var);
    size_t i;
    const json_t *v;
    json_array_foreach(list, i, v)
    {
        const char *s = json_string_value(v);
        if (s != NULL && strcmp(s, value) == 0)
            return true;
    }
    return false;
}

/* Append s to the array at key of obj (created on first use) unless it is already there. */
static int add_distinct(json_t *obj, const char *key, const char *s)
{
    json_t *list = json_object_get(obj, key);
    if (list == NULL) {
        list = json_array();
        if (list == NULL || json_object_set_new(obj, key, list) != 0)
            return -1;
    }
    size_t i;
    const json_t *v;
    json_array_foreach(list, i, v)
    {
        if (strcmp(json_string_value(v), s) == 0)
            return 0;
    }
    return json_array_append_new(list, json_string(s));
}

/* Count one more of reason in reasons. */
static int count_reason(json_t *reasons, const char *reason)
{
    json_t *n = json_object_get(reasons, reason);
    json_int_t was = n != NULL ? json_integer_value(n) : 0;
    return json_object_set_new(reasons, reason, json_integer(was + 1));
}

/* The summary of a status: container count, each var's distinct values, reason counts. */
static json_t *summarise(const json_t *status)
{
    json_t *sum = json_object();
    json_t *reasons = json_object();
    if (sum == NULL || reasons == NULL ||
        json_object_set_new(sum, "containers", json_integer((json_int_t)json_object_size(status))))
        goto fail;
    const char *name;
    const json_t *entry;
    json_object_foreach((json_t *)status, name, entry)
    {
        const char *var;
        const json_t *v;
        json_object_foreach((json_t *)entry, var, v)
        {
            const char *s = json_string_value(v);
            if (s == NULL)
                continue;
            int rc =
                strcmp(var, "reason") == 0 ? count_reason(reasons, s) : add_distinct(sum, var, s);
            if (rc != 0)
                goto fail;
        }
    }
    if (json_object_set_new(sum, "reasons", reasons) != 0) {
        reasons = NULL;
        goto fail;
    }
    json_t *root = json_pack("{s:o}", SUMMARY_KEY, sum);
    return root;
fail:
    json_decref(reasons);
    json_decref(sum);
    return NULL;
}

/*
 * Drop values from the end of the longest value lists of the summary until about
 * `excess` bytes of text are gone; false when no value is left to drop.
 */
static bool drop_values(json_t *sum, size_t excess)
{
    size_t dropped = 0;
    while (dropped < excess) {
        json_t *longest = NULL;
        const char *key;
        json_t *v;
        json_object_foreach(sum, key, v)
        {
            if (json_is_array(v) && json_array_size(v) > 0 &&
                (longest == NULL || json_array_size(v) > json_array_size(longest)))
                longest = v;
        }
        if (longest == NULL)
            return false;
        size_t last = json_array_size(longest) - 1;
        dropped += strlen(json_string_value(json_array_get(longest, last))) + 3; /* "", */
        json_array_remove(longest, last);
    }
    return true;
}

char *gmw_status_format(const json_t *status)
{
    char *text = dump_compact(status);
    if (text == NULL || strlen(text) <= GMW_STATUS_MAX)
        return text;
    free(text);
    json_t *root = summarise(status);
    if (root == NULL)
        return NULL;
    json_t *sum = json_object_get(root, SUMMARY_KEY);
    for (;;) {
        text = dump_compact(root);
        if (text == NULL || strlen(text) <= GMW_STATUS_MAX)
            break;
        size_t excess = strlen(text) - GMW_STATUS_MAX;
        free(text);
        text = NULL;
        /* Too many distinct values even so: cut the longest lists (rare: thousands of
         * containers with different limits). Values cut are then read back as users'. */
        if (json_object_set_new(sum, "truncated", json_true()) != 0 ||
            !drop_values(sum, excess + 16))
            break;
    }
    json_decref(root);
    return text;
}
