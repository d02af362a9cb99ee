/*
 * status.c - the gomemlimit.io/status annotation format (see status.h).
 */
#include "status.h"

#include <stdlib.h>
#include <string.h>

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

char *gmw_status_format(const json_t *status)
{
    /* json_dumpb, not json_dumps: the text is malloc'd here whatever allocator jansson uses
     * (inside a jarena scope json_dumps' result could not be freed with free()) */
    size_t n = json_dumpb(status, NULL, 0, JSON_COMPACT);
    char *text = n > 0 ? malloc(n + 1) : NULL;
    if (text == NULL || json_dumpb(status, text, n, JSON_COMPACT) != n) {
        free(text);
        return NULL;
    }
    text[n] = '\0';
    return text;
}
