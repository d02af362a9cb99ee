/*
 * fuzz_annotations.c - the gomemlimit.io/ annotations parser (annotations.h).
 *
 * Input: lines "KEY=VALUE" (the first '=' splits; lines that are not valid UTF-8 are
 * skipped, as the apiserver never sends them) made into metadata.annotations.
 *
 * Invariants: the counts stay within their caps; every parsed value is in its documented
 * range; for every container named in a key and a few fixed names the effective settings
 * are in range too; every issue formats to a NUL-terminated line; every issue warning is
 * printable ASCII, at most GMW_WARNING_MAX characters, and (for invalid values) still
 * holds the accepted example ('e.g. "0.9"').
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "annotations.h"
#include "fuzz_check.h"
#include "warnings.h"

static void check_values(const gmw_ann_values *v)
{
    FUZZ_CHECK(v->inject >= -1 && v->inject <= 1, "inject %d", v->inject);
    FUZZ_CHECK(v->shim >= -1 && v->shim <= 1, "shim %d", v->shim);
    if (v->has_ratio)
        FUZZ_CHECK(v->ratio_e4 >= 1 && v->ratio_e4 <= 10000, "ratio %u", v->ratio_e4);
    if (v->has_gogc)
        FUZZ_CHECK(memchr(v->gogc, '\0', sizeof v->gogc) && v->gogc[0], "gogc");
    if (v->has_memory_limit)
        FUZZ_CHECK(v->memory_limit_bytes >= 0, "memory-limit");
    if (v->has_request)
        FUZZ_CHECK(v->request <= GMW_REQUEST_KEEP, "request");
    FUZZ_CHECK(memchr(v->memory_limit_text, '\0', sizeof v->memory_limit_text), "text");
    FUZZ_CHECK(memchr(v->memory_limit_key, '\0', sizeof v->memory_limit_key), "key");
}

static void check_issue(const gmw_ann_issue *is)
{
    char line[512], warn[GMW_WARNING_MAX + 1];
    FUZZ_CHECK(is->kind <= GMW_ANN_TOO_MANY, "kind");
    FUZZ_CHECK(memchr(is->key, '\0', sizeof is->key) && memchr(is->value, '\0', sizeof is->value),
               "issue strings");
    FUZZ_CHECK(is->expected != NULL && is->expected[0] != '\0', "expected");
    if (is->kind != GMW_ANN_UNKNOWN)
        FUZZ_CHECK(strncmp(is->expected, "e.g. \"", 6) == 0, "expected: %s", is->expected);
    gmw_ann_issue_format(is, line, sizeof line);
    FUZZ_CHECK(memchr(line, '\0', sizeof line) != NULL, "format");
    const char *leads[] = {"", "ignored: "};
    for (size_t l = 0; l < 2; l++) {
        memset(warn, 'X', sizeof warn);
        gmw_ann_issue_warning(is, leads[l], warn, sizeof warn);
        size_t n = strnlen(warn, sizeof warn);
        FUZZ_CHECK(n <= GMW_WARNING_MAX, "warning longer than %d", GMW_WARNING_MAX);
        for (size_t i = 0; i < n; i++)
            FUZZ_CHECK(warn[i] >= 0x20 && warn[i] < 0x7f, "non-printable byte in: %s", warn);
        if (is->kind != GMW_ANN_UNKNOWN) {
            const char *paren = strstr(is->expected, " (");
            size_t ex = paren ? (size_t)(paren - is->expected) : strlen(is->expected);
            char example[128];
            snprintf(example, sizeof example, "%.*s", (int)ex, is->expected);
            FUZZ_CHECK(strstr(warn, example) != NULL, "the example %s was cut: %s", example, warn);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    json_t *ann = json_object();
    char **names = calloc(size + 4, sizeof(*names));
    size_t nnames = 0;
    if (ann == NULL || names == NULL)
        goto done;
    names[nnames++] = strdup("app");
    names[nnames++] = strdup("sidecar");
    names[nnames++] = strdup("");
    size_t pos = 0;
    while (pos < size) {
        const uint8_t *nl = memchr(data + pos, '\n', size - pos);
        size_t end = nl ? (size_t)(nl - data) : size;
        const uint8_t *eq = memchr(data + pos, '=', end - pos);
        if (eq != NULL && memchr(data + pos, '\0', end - pos) == NULL) {
            size_t klen = (size_t)(eq - (data + pos));
            char *key = strndup((const char *)data + pos, klen);
            json_t *val = json_stringn((const char *)eq + 1, end - klen - pos - 1);
            /* json_object_set_new takes val even when it fails (a key that is not UTF-8) */
            if (key != NULL && val != NULL && json_object_set_new(ann, key, val) == 0) {
                const char *slash = strchr(key, '/'), *dot = strrchr(key, '.');
                if (slash != NULL && dot != NULL && dot > slash)
                    names[nnames++] = strdup(dot + 1);
            } else if (key == NULL) {
                json_decref(val);
            }
            free(key);
        }
        pos = end + 1;
    }

    gmw_annotations a;
    gmw_annotations_parse(ann, &a);
    FUZZ_CHECK(a.container_count <= GMW_ANN_MAX_CONTAINERS, "containers");
    FUZZ_CHECK(a.list_count <= GMW_ANN_MAX_CONTAINERS, "list");
    FUZZ_CHECK(a.issue_count <= GMW_ANN_MAX_ISSUES, "issues");
    FUZZ_CHECK(a.invalid_dropped <= a.issues_dropped, "dropped");
    check_values(&a.pod);
    for (size_t i = 0; i < a.container_count; i++) {
        FUZZ_CHECK(memchr(a.containers[i].name, '\0', GMW_ANN_NAME_MAX), "name");
        check_values(&a.containers[i].values);
    }
    for (size_t i = 0; i < a.issue_count; i++)
        check_issue(&a.issues[i]);
    if (a.status != NULL)
        FUZZ_CHECK(json_is_string(json_object_get(ann, "gomemlimit.io/status")), "status");
    for (size_t i = 0; i < nnames; i++) {
        if (names[i] == NULL)
            continue;
        gmw_ann_values v;
        gmw_annotations_for(&a, names[i], &v);
        check_values(&v);
        (void)gmw_annotations_selects(&a, names[i]);
        if (gmw_annotations_names(&a, names[i]))
            FUZZ_CHECK(gmw_annotations_selects(&a, names[i]), "named but not selected");
    }
done:
    for (size_t i = 0; i < nnames; i++)
        free(names[i]);
    free(names);
    json_decref(ann);
    return 0;
}
