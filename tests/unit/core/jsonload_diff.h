/*
 * jsonload_diff.h - the differential check shared by test_jsonload and fuzz/fuzz_jsonload.c:
 * gmw_json_loadb against jansson's json_loadb(buf, len, 0, ...) on the same bytes.
 *
 * Returns NULL when they agree (same verdict; when accepted, the same compact dump, which
 * covers types, values, member order and duplicate keys; when rejected, the same error text,
 * line and column), else a static description of the difference. When the scanner alone
 * (gmw_json_scan) accepts, jansson must accept it and build the same tree. And for every
 * tree jansson builds, gmw_json_write must write what json_dumps(JSON_COMPACT) writes.
 * The same holds for gmw_json_loadb_pruned against jansson's tree with the pruned members
 * deleted (gmw_jsonload_diff_pruned).
 */
#ifndef GMW_JSONLOAD_DIFF_H
#define GMW_JSONLOAD_DIFF_H

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "dynbuf.h"
#include "jsonload.h"
#include "jsonwrite.h"

static int gmw_same_tree(const json_t *a, const json_t *b)
{
    const size_t flags = JSON_COMPACT | JSON_ENCODE_ANY;
    char *da = json_dumps(a, flags), *db = json_dumps(b, flags);
    int same = da != NULL && db != NULL && strcmp(da, db) == 0 && json_equal(a, b);
    free(da);
    free(db);
    return same;
}

/* gmw_json_write(v) against json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY): 1 when equal. */
static int gmw_same_text(const json_t *v)
{
    gmw_dynbuf b;
    gmw_dynbuf_init(&b, (size_t)1 << 30);
    int rc = gmw_json_write(&b, v);
    char *want = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    int same = want != NULL ? rc == 0 && strcmp(want, gmw_dynbuf_ptr(&b)) == 0 : rc != 0;
    free(want);
    gmw_dynbuf_free(&b);
    return same;
}

/*
 * The pruned loader against jansson with the same members deleted by hand. The sample trie
 * drops root member "a", member "c" of every element of root member "b", and member "d"
 * of every element of a root array; oracle_prune deletes exactly these, written out
 * instead of walking a trie (a member named "[]" is an ordinary member).
 */
static const gmw_json_prune gmw_sample_c[] = {{"c", NULL}, {NULL, NULL}};
static const gmw_json_prune gmw_sample_b[] = {{GMW_JSON_PRUNE_EACH, gmw_sample_c}, {NULL, NULL}};
static const gmw_json_prune gmw_sample_d[] = {{"d", NULL}, {NULL, NULL}};
static const gmw_json_prune gmw_sample_prune[] = {
    {"a", NULL}, {"b", gmw_sample_b}, {GMW_JSON_PRUNE_EACH, gmw_sample_d}, {NULL, NULL}};

static void gmw_oracle_prune(json_t *root)
{
    size_t i;
    json_t *el;
    if (json_is_object(root)) {
        json_object_del(root, "a");
        json_array_foreach(json_object_get(root, "b"), i, el)
        {
            if (json_is_object(el))
                json_object_del(el, "c");
        }
    }
    if (json_is_array(root)) {
        json_array_foreach(root, i, el)
        {
            if (json_is_object(el))
                json_object_del(el, "d");
        }
    }
}

static const char *gmw_jsonload_diff_pruned(const char *buf, size_t len)
{
    json_error_t e1, e2;
    const char *why = NULL;
    int oom = 0;
    json_t *want = json_loadb(buf, len, 0, &e1);
    gmw_oracle_prune(want);
    json_t *got = gmw_json_loadb_pruned(buf, len, gmw_sample_prune, &e2);
    json_t *scan = gmw_json_scan_pruned(buf, len, gmw_sample_prune, &oom);
    if ((want == NULL) != (got == NULL))
        why = want == NULL ? "pruned: jansson rejects, gmw_json_loadb_pruned accepts"
                           : "pruned: jansson accepts, gmw_json_loadb_pruned rejects";
    else if (want != NULL && !gmw_same_tree(want, got))
        why = "pruned: accepted with different trees";
    else if (want == NULL &&
             (strcmp(e1.text, e2.text) != 0 || e1.line != e2.line || e1.column != e2.column))
        why = "pruned: rejected with a different error";
    else if (scan != NULL && want == NULL)
        why = "pruned: the scanner accepts what jansson rejects";
    else if (scan != NULL && !gmw_same_tree(want, scan))
        why = "pruned: the scanner builds a different tree";
    json_decref(want);
    json_decref(got);
    json_decref(scan);
    return why;
}

static const char *gmw_jsonload_diff(const char *buf, size_t len)
{
    json_error_t e1, e2;
    const char *why = NULL;
    int oom = 0;
    json_t *want = json_loadb(buf, len, 0, &e1);
    json_t *got = gmw_json_loadb(buf, len, &e2);
    json_t *scan = gmw_json_scan(buf, len, &oom);
    if ((want == NULL) != (got == NULL))
        why = want == NULL ? "jansson rejects, gmw_json_loadb accepts"
                           : "jansson accepts, gmw_json_loadb rejects";
    else if (want != NULL && !gmw_same_tree(want, got))
        why = "accepted with different trees";
    else if (want == NULL &&
             (strcmp(e1.text, e2.text) != 0 || e1.line != e2.line || e1.column != e2.column))
        why = "rejected with a different error";
    else if (scan != NULL && want == NULL)
        why = "the scanner accepts what jansson rejects";
    else if (scan != NULL && !gmw_same_tree(want, scan))
        why = "the scanner builds a different tree";
    else if (want != NULL && !gmw_same_text(want))
        why = "gmw_json_write and json_dumps write different text";
    json_decref(want);
    json_decref(got);
    json_decref(scan);
    return why != NULL ? why : gmw_jsonload_diff_pruned(buf, len);
}

#endif
