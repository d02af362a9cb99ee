/*
 * fuzz_manifest.c - the manifest reader and writers (manifest.h).
 *
 * Invariants: parse returns an array or NULL with a NUL-terminated "fuzz.yaml:LINE:COL: ..."
 * message; what parses is a fixed point of write + read: parse(emit_yaml(docs)) and
 * parse(emit_json(doc)) give back exactly the same documents (json_equal), and writing the
 * result again gives the same bytes.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fuzz_check.h"
#include "manifest.h"

static json_t *reparse(const char *text, size_t len, const char *what)
{
    char err[512];
    json_t *docs = NULL;
    int rc = gmw_manifest_parse(text, len, "fuzz.out", NULL, &docs, err, sizeof err);
    FUZZ_CHECK(rc == 0 && docs != NULL, "the %s we wrote does not read back: %s\n%.2000s", what,
               err, text);
    return docs;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    if (size > (256u << 10))
        return 0;
    memset(err, 'X', sizeof err);
    gmw_manifest_format fmt;
    json_t *docs = NULL;
    int prc =
        gmw_manifest_parse((const char *)data, size, "fuzz.yaml", &fmt, &docs, err, sizeof err);
    if (prc != 0) {
        FUZZ_CHECK(docs == NULL && (prc == -EINVAL || prc == -ENOMEM), "rc %d", prc);
        FUZZ_CHECK(memchr(err, '\0', sizeof err) != NULL, "err not terminated");
        FUZZ_CHECK(strncmp(err, "fuzz.yaml", 9) == 0, "err: %s", err);
        return 0;
    }
    FUZZ_CHECK(json_is_array(docs), "not an array");

    /* YAML: write, read back, write again */
    size_t ylen = 0, ylen2 = 0;
    char *yaml = NULL;
    if (gmw_yaml_emit(docs, &yaml, &ylen, err, sizeof err) == 0) {
        json_t *back = reparse(yaml, ylen, "YAML");
        if (!json_equal(back, docs)) {
            char *a = json_dumps(docs, JSON_COMPACT | JSON_ENCODE_ANY);
            char *b = json_dumps(back, JSON_COMPACT | JSON_ENCODE_ANY);
            FUZZ_CHECK(
                0,
                "YAML round trip changed the documents:\n%.2000s\nbefore: %.2000s\nafter:  %.2000s",
                yaml, a ? a : "?", b ? b : "?");
        }
        char *yaml2 = NULL;
        int erc = gmw_yaml_emit(back, &yaml2, &ylen2, err, sizeof err);
        FUZZ_CHECK(erc == 0 && yaml2 != NULL && ylen2 == ylen && memcmp(yaml, yaml2, ylen) == 0,
                   "YAML output is not a fixed point");
        free(yaml2);
        json_decref(back);
        free(yaml);
    }

    /* JSON: each document */
    size_t i;
    json_t *doc;
    json_array_foreach(docs, i, doc)
    {
        size_t jlen = 0;
        char *js = NULL;
        if (gmw_json_emit(doc, &js, &jlen, err, sizeof err) != 0)
            continue;
        json_t *back = reparse(js, jlen, "JSON");
        if (json_array_size(back) != 1 || !json_equal(json_array_get(back, 0), doc)) {
            char *b = json_dumps(back, JSON_COMPACT | JSON_ENCODE_ANY);
            FUZZ_CHECK(0, "JSON round trip changed the document:\n%.2000s\nafter: %.2000s", js,
                       b ? b : "?");
        }
        json_decref(back);
        free(js);
    }
    json_decref(docs);
    return 0;
}
