/*
 * status.c - the gomemlimit.io/status annotation format (see status.h).
 */
#include "status.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dynbuf.h"
#include "jsonwrite.h"

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
    /* malloc'd here whatever allocator jansson uses (inside a jarena scope json_dumps' result
     * could not be freed with free()); the same bytes as json_dumps(status, JSON_COMPACT) */
    gmw_dynbuf b;
    gmw_dynbuf_init(&b, SIZE_MAX / 2);
    if (gmw_json_write(&b, status) != 0) {
        gmw_dynbuf_free(&b);
        return NULL;
    }
    return gmw_dynbuf_take(&b, NULL);
}
