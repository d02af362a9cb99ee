/*
 * warnings.c - sanitized, capped, de-duplicated admission warnings (see warnings.h).
 */
#include "warnings.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "messages.h"
#include "sanitize.h"

void gmw_warnings_init(gmw_warnings *w)
{
    w->list = NULL;
    w->dropped = 0;
    w->oom = 0;
}

/* Is text already in the list? */
static int warnings_contains(const json_t *list, const char *text)
{
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item)
    {
        if (strcmp(json_string_value(item), text) == 0)
            return 1;
    }
    return 0;
}

static void add_clean(gmw_warnings *w, const char *clean);

void gmw_warnings_add(gmw_warnings *w, const char *fmt, ...)
{
    char raw[512];
    char clean[GMW_WARNING_MAX + 1];
    va_list ap;

    va_start(ap, fmt);
    int len = vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    if (len <= 0)
        return;
    gmw_sanitize(clean, sizeof clean, raw, GMW_WARNING_MAX);
    add_clean(w, clean);
}

/* Append `clean` (sanitized already: printable ASCII, at most GMW_WARNING_MAX characters)
 * unless it is empty, already listed, or over the count (then counted as dropped). */
static void add_clean(gmw_warnings *w, const char *clean)
{
    if (clean[0] == '\0')
        return;
    if (w->list == NULL) {
        w->list = json_array();
        if (w->list == NULL) {
            w->oom = 1;
            return;
        }
    }
    if (warnings_contains(w->list, clean))
        return;
    if (json_array_size(w->list) >= GMW_WARNINGS_MAX_COUNT) {
        w->dropped++;
        return;
    }
    /* gmw_sanitize leaves printable ASCII only: valid UTF-8 without jansson's check */
    if (json_array_append_new(w->list, json_stringn_nocheck(clean, strlen(clean))) != 0)
        w->oom = 1;
}

void gmw_warnings_prepend(gmw_warnings *w, gmw_warnings *front)
{
    json_t *rest = w->list; /* owned here until the end */
    size_t i;
    json_t *text;

    w->list = front->list;
    w->dropped += front->dropped;
    w->oom |= front->oom;
    front->list = NULL;
    front->dropped = 0;
    front->oom = 0;
    json_array_foreach(rest, i, text)
    {
        add_clean(w, json_string_value(text)); /* as gmw_warnings_add left it */
    }
    json_decref(rest);
}

json_t *gmw_warnings_take(gmw_warnings *w)
{
    json_t *out = w->list != NULL ? w->list : json_array();
    w->list = NULL;
    if (out == NULL)
        return NULL;
    if (w->dropped > 0) {
        char summary[GMW_WARNING_MAX + 1];
        snprintf(summary, sizeof summary, GMW_MSG_WARNINGS_DROPPED, w->dropped,
                 GMW_WARNINGS_MAX_COUNT);
        if (json_array_append_new(out, json_string(summary)) != 0)
            w->oom = 1;
        w->dropped = 0;
    }
    return out;
}

void gmw_warnings_free(gmw_warnings *w)
{
    json_decref(w->list);
    w->list = NULL;
    w->dropped = 0;
}
