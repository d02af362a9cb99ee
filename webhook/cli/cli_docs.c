/*
 * cli_docs.c - what the manifest forms of `mutate` (-o yaml/json, --check, -o preserve,
 * --in-place) share: reading the document stream and naming an object (cli_check.h).
 */
#include <stdio.h>
#include <string.h>

#include "cli_check.h"
#include "sanitize.h"

void gmw_cli_object_label(const json_t *obj, size_t docno, char *buf, size_t cap)
{
    const json_t *meta = json_object_get(obj, "metadata");
    const char *kind = json_string_value(json_object_get(obj, "kind"));
    const char *name = json_string_value(json_object_get(meta, "name"));
    const char *gen = json_string_value(json_object_get(meta, "generateName"));
    char k[64], n[256];
    gmw_sanitize(k, sizeof k, kind != NULL ? kind : "<no kind>", 48);
    if (name != NULL && name[0] != '\0')
        snprintf(buf, cap, "%s/%s", k, gmw_sanitize(n, sizeof n, name, 253));
    else if (gen != NULL && gen[0] != '\0')
        snprintf(buf, cap, "%s/%s*", k, gmw_sanitize(n, sizeof n, gen, 253));
    else
        snprintf(buf, cap, "%s (document %zu)", k, docno);
}

json_t *gmw_cli_list_items(const json_t *obj, char *item_kind, size_t cap)
{
    const char *kind = json_string_value(json_object_get(obj, "kind"));
    json_t *items = json_object_get(obj, "items");
    size_t n = kind != NULL ? strlen(kind) : 0;
    if (!json_is_array(items) || n < 4 || strcmp(kind + n - 4, "List") != 0)
        return NULL;
    snprintf(item_kind, cap, "%.*s", (int)(n - 4), kind);
    return items;
}

json_t *gmw_cli_list_item(const json_t *item, const char *item_kind)
{
    if (!json_is_object(item) || json_object_get(item, "kind") != NULL || item_kind[0] == '\0')
        return json_incref((json_t *)item);
    json_t *copy = json_copy((json_t *)item);
    if (copy == NULL || json_object_set_new(copy, "kind", json_string(item_kind)) != 0) {
        json_decref(copy);
        return NULL;
    }
    return copy;
}

int gmw_cli_parse_documents(const char *buf, size_t len, const char *shown,
                            gmw_manifest_format *format, json_t **docs)
{
    char err[512];
    size_t i;
    json_t *doc;

    *docs = NULL;
    if (gmw_manifest_parse(buf, len, shown, format, docs, err, sizeof err) != 0) {
        fprintf(stderr, "gomemlimit-webhook mutate: %s\n", err);
        return -1;
    }
    json_array_foreach(*docs, i, doc)
    {
        if (!json_is_object(doc)) {
            fprintf(stderr,
                    "gomemlimit-webhook mutate: %s: document %zu is not a Kubernetes object "
                    "(a mapping)\n",
                    shown, i + 1);
            json_decref(*docs);
            *docs = NULL;
            return -1;
        }
    }
    return 0;
}
