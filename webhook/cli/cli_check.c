/*
 * cli_check.c - `mutate --check` (see cli_check.h): the workload preview for CI.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_check.h"
#include "manifest.h"
#include "preview.h"
#include "sanitize.h"

#define CHECK_MAX_LIST_DEPTH 4

typedef struct {
    const gmw_config *cfg;
    const char *ns;
    bool as_json;
    json_t *records; /* JSON output */
    size_t denied, malformed, advice, failed, previewed;
} check_run;

/* Does warning w concern container `name` ("container NAME:" / "container NAME ")? */
static bool about_container(const char *w, const char *name)
{
    char a[96], b[96];
    snprintf(a, sizeof a, "container %s:", name);
    snprintf(b, sizeof b, "container %s ", name);
    return strstr(w, a) != NULL || strstr(w, b) != NULL;
}

/* The JSON records of one previewed object: one per container, or one without container. */
static int add_records(check_run *run, const char *label, const json_t *obj, size_t docno,
                       const char *ns, const gmw_preview_result *pv)
{
    size_t n = pv->container_count < GMW_MAX_CONTAINER_OUTCOMES ? pv->container_count
                                                                : GMW_MAX_CONTAINER_OUTCOMES;
    const json_t *meta = json_object_get(obj, "metadata");
    const char *obj_ns =
        ns != NULL && ns[0] != '\0' ? ns : json_string_value(json_object_get(meta, "namespace"));
    for (size_t k = 0; k < (n > 0 ? n : 1); k++) {
        const gmw_preview_container *pc = n > 0 ? &pv->containers[k] : NULL;
        json_t *warnings = json_array(), *advice = json_array();
        json_t *rec = json_pack(
            "{s:s,s:s?,s:s?,s:s,s:I,s:o?,s:b}", "object", label, "kind",
            json_string_value(json_object_get(obj, "kind")), "name",
            json_string_value(json_object_get(meta, "name")), "namespace",
            obj_ns != NULL && obj_ns[0] != '\0' ? obj_ns : "default", "document", (json_int_t)docno,
            "container", pc != NULL ? json_string(pc->name) : json_null(), "denied", pv->denied);
        if (rec == NULL || warnings == NULL || advice == NULL)
            goto fail;
        if (pv->denied && json_object_set_new(rec, "message", json_string(pv->message)) != 0)
            goto fail;
        if (pc != NULL) {
            json_t *more =
                json_pack("{s:s,s:s,s:s?,s:s?,s:s?,s:b,s:b}", "action", pc->action, "reason",
                          pc->reason, "GOMEMLIMIT", pc->gomemlimit[0] ? pc->gomemlimit : NULL,
                          "GOGC", pc->gogc[0] ? pc->gogc : NULL, "requestsMemory",
                          pc->request[0] ? pc->request : NULL, "userGOMEMLIMIT",
                          pc->user_gomemlimit, "abortsAtStart", pc->malformed);
            if (more == NULL || json_object_update(rec, more) != 0) {
                json_decref(more);
                goto fail;
            }
            json_decref(more);
        }
        size_t i;
        json_t *w;
        json_array_foreach(pv->warnings, i, w)
        {
            const char *text = json_string_value(w);
            if (pc != NULL && !about_container(text, pc->name))
                continue;
            if (json_array_append(strstr(text, ": advice: ") != NULL ? advice : warnings, w) != 0)
                goto fail;
        }
        if (json_object_set_new(rec, "advice", advice) != 0) {
            advice = NULL;
            goto fail;
        }
        advice = NULL;
        if (json_object_set_new(rec, "warnings", warnings) != 0) {
            warnings = NULL;
            goto fail;
        }
        warnings = NULL;
        if (json_array_append_new(run->records, rec) != 0)
            return -ENOMEM;
        continue;
    fail:
        json_decref(rec);
        json_decref(warnings);
        json_decref(advice);
        return -ENOMEM;
    }
    return 0;
}

static void check_object(check_run *run, const json_t *obj, size_t docno, unsigned depth);

/* A List's items; items of a typed list (PodList) may lack their kind. */
// NOLINTNEXTLINE(misc-no-recursion): lists nest at most CHECK_MAX_LIST_DEPTH deep
static void check_list(check_run *run, const json_t *items, const char *item_kind, size_t docno,
                       unsigned depth)
{
    size_t i;
    const json_t *item;
    json_array_foreach(items, i, item)
    {
        json_t *obj = gmw_cli_list_item(item, item_kind);
        if (obj == NULL) {
            run->failed++;
            continue;
        }
        check_object(run, obj, docno, depth + 1);
        json_decref(obj);
    }
}

// NOLINTNEXTLINE(misc-no-recursion): lists nest at most CHECK_MAX_LIST_DEPTH deep
static void check_object(check_run *run, const json_t *obj, size_t docno, unsigned depth)
{
    char label[384], item_kind[128];
    const json_t *items = gmw_cli_list_items(obj, item_kind, sizeof item_kind);
    gmw_preview_result pv;

    gmw_cli_object_label(obj, docno, label, sizeof label);
    if (items != NULL) {
        if (depth >= CHECK_MAX_LIST_DEPTH) {
            fprintf(stderr, "Error: %s: lists nested more than %d deep\n", label,
                    CHECK_MAX_LIST_DEPTH);
            run->failed++;
            return;
        }
        check_list(run, items, item_kind, docno, depth);
        return;
    }
    if (gmw_preview_object(run->cfg, obj, run->ns, &pv) != 0) {
        fprintf(stderr, "Error: %s: out of memory\n", label);
        run->failed++;
        gmw_preview_result_free(&pv);
        return;
    }
    if (pv.cls != GMW_OBJECT_OTHER) {
        run->previewed++;
        run->denied += pv.denied;
        run->malformed += pv.malformed_count;
        run->advice += pv.advice_count;
        if (run->as_json) {
            if (add_records(run, label, obj, docno, run->ns, &pv) != 0) {
                fprintf(stderr, "Error: %s: out of memory\n", label);
                run->failed++;
            }
        } else {
            size_t i;
            json_t *w;
            if (pv.denied)
                printf("%s: denied: %s\n", label, pv.message);
            json_array_foreach(pv.warnings, i, w)
            {
                printf("%s: %s\n", label, json_string_value(w));
            }
        }
    }
    gmw_preview_result_free(&pv);
}

int gmw_cli_check(const gmw_config *cfg, const char *buf, size_t len, const char *shown,
                  const char *ns, bool strict, bool as_json)
{
    check_run run = {cfg, ns, as_json, NULL, 0, 0, 0, 0, 0};
    int rc = GMW_CHECK_EXIT_FAIL;
    size_t i;
    json_t *doc;

    json_t *docs = NULL;
    if (gmw_cli_parse_documents(buf, len, shown, NULL, &docs) != 0)
        goto out;
    run.records = json_array();
    if (run.records == NULL) {
        fprintf(stderr, "gomemlimit-webhook mutate: out of memory\n");
        goto out;
    }
    json_array_foreach(docs, i, doc)
    {
        check_object(&run, doc, i + 1, 0);
    }
    if (as_json) {
        char *text = json_dumps(run.records, JSON_INDENT(2));
        if (text == NULL || printf("%s\n", text) < 0) {
            free(text);
            fprintf(stderr, "gomemlimit-webhook mutate: cannot write the result\n");
            goto out;
        }
        free(text);
    }
    if (fflush(stdout) != 0) {
        fprintf(stderr, "gomemlimit-webhook mutate: writing standard output: %s\n",
                strerror(errno));
        goto out;
    }
    /* the summary goes to stderr, so stdout stays the preview (or pure JSON) */
    fprintf(stderr,
            "gomemlimit-webhook mutate --check: %zu objects previewed, %zu denied, %zu "
            "containers abort at start, %zu advice%s\n",
            run.previewed, run.denied, run.malformed, run.advice,
            strict ? " (--strict: advice fails)" : "");
    bool bad = run.denied > 0 || run.malformed > 0 || run.failed > 0 || (strict && run.advice > 0);
    rc = bad ? GMW_CHECK_EXIT_FAIL : GMW_CHECK_EXIT_OK;
out:
    json_decref(run.records);
    json_decref(docs);
    return rc;
}
