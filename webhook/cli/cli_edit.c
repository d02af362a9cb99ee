/*
 * cli_edit.c - `mutate -o preserve` and `mutate --in-place` (see cli_check.h): the engine's
 * JSON Patch for each Pod or pod template, re-rooted at the document, applied as text by
 * gmw_yaml_edit (yamledit.h). The engine input is built exactly as gmw_workload_mutate
 * builds it, so the result parses to the object `mutate -o yaml` prints.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_check.h"
#include "defaulting.h"
#include "engine.h"
#include "jsonpatch.h"
#include "manifest.h"
#include "sanitize.h"
#include "workload.h"
#include "yamledit.h"

#define EDIT_MAX_LIST_DEPTH 4

typedef struct {
    const gmw_config *cfg;
    const char *ns;
    size_t denied, failed;
} edit_run;

/* Append the engine's ops to `out`, each path prefixed by `prefix` (a JSON pointer). */
static int append_ops(json_t *out, const json_t *ops, const char *prefix)
{
    size_t i;
    const json_t *op;
    json_array_foreach(ops, i, op)
    {
        char path[1024];
        json_t *copy = json_copy((json_t *)op);
        const char *p = json_string_value(json_object_get(op, "path"));
        if (copy == NULL || p == NULL ||
            (size_t)snprintf(path, sizeof path, "%s%s", prefix, p) >= sizeof path ||
            json_object_set_new(copy, "path", json_string(path)) != 0 ||
            json_array_append_new(out, copy) != 0) {
            json_decref(copy);
            return -ENOMEM;
        }
    }
    return 0;
}

static void edit_object(edit_run *run, const json_t *obj, const char *prefix, json_t *out,
                        size_t docno, unsigned depth);

/* A List: each item with prefix/items/i; a typed list's items may lack their kind. */
// NOLINTNEXTLINE(misc-no-recursion): lists nest at most EDIT_MAX_LIST_DEPTH deep
static void edit_list(edit_run *run, const json_t *items, const char *item_kind, const char *prefix,
                      json_t *out, size_t docno, unsigned depth)
{
    char p[1024];
    size_t i;
    const json_t *item;
    json_array_foreach(items, i, item)
    {
        snprintf(p, sizeof p, "%s/items/%zu", prefix, i);
        json_t *obj = gmw_cli_list_item(item, item_kind);
        if (obj == NULL) {
            run->failed++;
            continue;
        }
        edit_object(run, obj, p, out, docno, depth + 1);
        json_decref(obj);
    }
}

// NOLINTNEXTLINE(misc-no-recursion): lists nest at most EDIT_MAX_LIST_DEPTH deep
static void edit_object(edit_run *run, const json_t *obj, const char *prefix, json_t *out,
                        size_t docno, unsigned depth)
{
    char label[384], where_ptr[64], item_kind[128];
    const json_t *items = gmw_cli_list_items(obj, item_kind, sizeof item_kind);
    json_t *tmpl = NULL, *podlike = NULL, *decided = NULL;
    const char *where = NULL;
    gmw_pod_result pr;

    memset(&pr, 0, sizeof pr);
    gmw_cli_object_label(obj, docno, label, sizeof label);
    if (items != NULL) {
        if (depth >= EDIT_MAX_LIST_DEPTH) {
            fprintf(stderr, "Error: %s: lists nested more than %d deep\n", label,
                    EDIT_MAX_LIST_DEPTH);
            run->failed++;
            return;
        }
        edit_list(run, items, item_kind, prefix, out, docno, depth);
        return;
    }
    gmw_object_class cls = gmw_workload_classify(obj, &tmpl, &where);
    if (cls == GMW_OBJECT_OTHER)
        return;
    if (cls == GMW_OBJECT_WORKLOAD && tmpl == NULL) {
        fprintf(stderr, "Warning: %s: no pod template at %s; nothing to do\n", label, where);
        return;
    }
    const char *ns = run->ns;
    if (ns == NULL || ns[0] == '\0')
        ns = json_string_value(json_object_get(json_object_get(obj, "metadata"), "namespace"));
    if (ns == NULL || ns[0] == '\0')
        ns = "default";
    if (cls == GMW_OBJECT_POD) {
        podlike = json_incref((json_t *)obj);
        where_ptr[0] = '\0';
    } else {
        const json_t *meta = json_object_get(tmpl, "metadata");
        const json_t *spec = json_object_get(tmpl, "spec");
        podlike = json_object();
        if (podlike == NULL ||
            (meta != NULL && json_object_set(podlike, "metadata", (json_t *)meta) != 0) ||
            (spec != NULL && json_object_set(podlike, "spec", (json_t *)spec) != 0))
            goto oom;
        /* "spec.template" -> "/spec/template" */
        snprintf(where_ptr, sizeof where_ptr, "/%s", where);
        for (char *p = where_ptr; *p; p++)
            if (*p == '.')
                *p = '/';
    }
    /* decided on the Pod as the apiserver defaults it, like gmw_workload_mutate (workload.h):
     * the ops apply to the document as written */
    decided = json_deep_copy(podlike);
    if (decided == NULL || gmw_apply_pod_defaults(json_object_get(decided, "spec")) != 0 ||
        gmw_engine_mutate_pod(run->cfg, decided, ns, &pr) != 0)
        goto oom;
    size_t i;
    json_t *w;
    json_array_foreach(pr.warnings, i, w)
    {
        fprintf(stderr, "Warning: %s: %s\n", label, json_string_value(w));
    }
    if (!pr.allowed) {
        fprintf(stderr, "Error: %s: denied: %s\n", label, pr.message);
        run->denied++;
    } else {
        char full[1024];
        snprintf(full, sizeof full, "%s%s", prefix, where_ptr);
        if (append_ops(out, pr.patch, full) != 0)
            goto oom;
    }
    gmw_pod_result_free(&pr);
    json_decref(decided);
    json_decref(podlike);
    return;
oom:
    fprintf(stderr, "Error: %s: out of memory\n", label);
    run->failed++;
    gmw_pod_result_free(&pr);
    json_decref(decided);
    json_decref(podlike);
}

/* Replace `path` by data[0..len) atomically: a temporary file in the same directory, the
 * original's mode, fsync, rename. Returns 0 or -1 (message printed). */
static int write_in_place(const char *path, const char *data, size_t len)
{
    struct stat st;
    char *dup = strdup(path), *tmp = NULL;
    int fd = -1, rc = -1;
    if (dup == NULL || stat(path, &st) != 0) {
        fprintf(stderr, "gomemlimit-webhook mutate: %s: %s\n", path, strerror(errno));
        goto out;
    }
    const char *dir = dirname(dup);
    size_t n = strlen(dir) + 32;
    tmp = malloc(n);
    if (tmp == NULL)
        goto out;
    snprintf(tmp, n, "%s/.gmw-in-place-XXXXXX", dir);
    fd = mkstemp(tmp);
    if (fd < 0) {
        fprintf(stderr, "gomemlimit-webhook mutate: %s: cannot create a temporary file: %s\n", path,
                strerror(errno));
        goto out;
    }
    size_t done = 0;
    while (done < len) {
        ssize_t k = write(fd, data + done, len - done);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        done += (size_t)k;
    }
    if (done != len || fchmod(fd, st.st_mode & 07777) != 0 || fsync(fd) != 0 || close(fd) != 0) {
        fd = -1;
        fprintf(stderr, "gomemlimit-webhook mutate: %s: writing: %s\n", tmp, strerror(errno));
        unlink(tmp);
        goto out;
    }
    fd = -1;
    if (rename(tmp, path) != 0) {
        fprintf(stderr, "gomemlimit-webhook mutate: %s: %s\n", path, strerror(errno));
        unlink(tmp);
        goto out;
    }
    rc = 0;
out:
    if (fd >= 0) {
        close(fd);
        unlink(tmp);
    }
    free(tmp);
    free(dup);
    return rc;
}

int gmw_cli_edit(const gmw_config *cfg, const char *buf, size_t len, const char *path,
                 const char *ns, bool in_place)
{
    char err[512];
    const char *shown = strcmp(path, "-") == 0 ? "<stdin>" : path;
    gmw_manifest_format format = GMW_MANIFEST_YAML;
    edit_run run = {cfg, ns, 0, 0};
    json_t *patches = NULL;
    char *text = NULL;
    size_t text_len = 0, i;
    json_t *doc;
    int rc = GMW_CHECK_EXIT_FAIL;

    json_t *docs = NULL;
    if (gmw_cli_parse_documents(buf, len, shown, &format, &docs) != 0)
        goto out;
    if (format != GMW_MANIFEST_YAML) {
        fprintf(stderr,
                "gomemlimit-webhook mutate: %s: -o preserve and --in-place keep YAML "
                "text; this input is JSON: use -o json\n",
                shown);
        goto out;
    }
    patches = json_array();
    if (patches == NULL)
        goto out;
    json_array_foreach(docs, i, doc)
    {
        json_t *ops = json_array();
        if (ops == NULL || json_array_append_new(patches, ops) != 0) {
            fprintf(stderr, "gomemlimit-webhook mutate: out of memory\n");
            goto out;
        }
        edit_object(&run, doc, "", ops, i + 1, 0);
    }
    if (run.denied > 0 || run.failed > 0) {
        if (in_place)
            fprintf(stderr, "gomemlimit-webhook mutate: %s left unchanged\n", shown);
        goto out;
    }
    text = gmw_yaml_edit(buf, len, shown, patches, &text_len, err, sizeof err);
    if (text == NULL) {
        fprintf(stderr, "gomemlimit-webhook mutate: %s\n", err);
        goto out;
    }
    if (in_place) {
        if ((text_len != len || memcmp(text, buf, len) != 0) &&
            write_in_place(path, text, text_len) != 0)
            goto out;
    } else if (fwrite(text, 1, text_len, stdout) != text_len || fflush(stdout) != 0) {
        fprintf(stderr, "gomemlimit-webhook mutate: writing standard output: %s\n",
                strerror(errno));
        goto out;
    }
    rc = GMW_CHECK_EXIT_OK;
out:
    free(text);
    json_decref(patches);
    json_decref(docs);
    return rc;
}
