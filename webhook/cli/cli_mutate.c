/*
 * cli_mutate.c - `gomemlimit-webhook mutate`: the admission engine offline.
 *
 *   mutate --review -f FILE|- [--config FILE]
 *       Reads one AdmissionReview and prints the AdmissionReview response exactly as
 *       `serve` answers it (the same gmw_review_handle bytes plus a newline).
 *
 *   mutate -f FILE|- [--config FILE] [--namespace NS] [-o yaml|json|preserve]
 *       Reads YAML or JSON manifests (multi-document, List), mutates Pods and the pod
 *       templates of workloads, prints the result; see docs/cli.md.
 *
 *   mutate --check [--strict] ... / mutate --in-place -f FILE ...
 *       The preview for CI and the text-preserving rewrite: cli_check.c, cli_edit.c.
 *
 * This file is the thin I/O shell: reading files, options, exit codes, stderr.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli_check.h"
#include "cliopt.h"
#include "config.h"
#include "config_file.h"
#include "manifest.h"
#include "readfile.h"
#include "review.h"
#include "workload.h"

#define MUTATE_EXIT_OK 0
#define MUTATE_EXIT_FAIL 1
#define MUTATE_EXIT_USAGE 2

/* Manifests larger than this are refused (the apiserver's own request limit is 3 MiB
 * per object; a multi-document file of many objects stays far below this). */
#define MUTATE_MAX_MANIFEST_BYTES ((size_t)64 << 20)
/* Lists inside Lists are followed this deep. */
#define MUTATE_MAX_LIST_DEPTH 4

/* The options of `mutate`: the parser and the help are both made from this table. */
static const gmw_cliopt mutate_options[] = {
    {'f', 'f', "filename", "FILE", "input file, '-' for standard input (required)"},
    {'c', 'c', "config", "FILE", "webhook config file (YAML); default: built-in defaults"},
    {'n', 'n', "namespace", "NS",
     "namespace to assume for every object (default: the\nobject's metadata.namespace, else "
     "\"default\")"},
    {'o', 'o', "output", "FORMAT",
     "yaml (default), json, or preserve: the input text with\nonly the inserted lines (YAML "
     "input; docs/cli.md)"},
    {0, 'I', "in-place", NULL, "write -o preserve back to FILE (atomically)"},
    {0, 'C', "check", NULL,
     "print the preview (what Pods will get, advice); exit 1\nwhen a Pod would be denied or a "
     "container would abort\nat start; -o json: one record per container"},
    {0, 'S', "strict", NULL, "with --check: exit 1 on any advice warning too"},
    {0, 'r', "review", NULL,
     "input is an AdmissionReview; print the AdmissionReview\nresponse exactly as 'serve' "
     "answers it"},
    {'h', 'h', "help", NULL, "print this help"},
};
#define MUTATE_OPTIONS (sizeof mutate_options / sizeof mutate_options[0])

static void mutate_usage(FILE *out)
{
    fputs("Usage: gomemlimit-webhook mutate -f FILE|- [options]\n"
          "       gomemlimit-webhook mutate --check [--strict] -f FILE|- [options]\n"
          "       gomemlimit-webhook mutate --in-place -f FILE [options]\n"
          "       gomemlimit-webhook mutate --review -f FILE|- [--config FILE]\n"
          "\n"
          "Apply the webhook's mutation offline.\n"
          "\n"
          "Options:\n",
          out);
    gmw_cliopt_help(out, mutate_options, MUTATE_OPTIONS, 24);
    fputs("\n"
          "Input is YAML or JSON (a JSON stream when the first non-blank character is\n"
          "'{'), with any number of documents; a List's items are handled one by one.\n"
          "Pods and the pod templates of Deployment, StatefulSet, DaemonSet, ReplicaSet,\n"
          "ReplicationController, Job and CronJob are mutated; other kinds pass through.\n"
          "The decision is taken on the Pod as the apiserver defaults it (a resource with\n"
          "a limit and no request gets request = limit), so the output is what the server\n"
          "will do. mutate cannot see namespace labels: it mutates what it is given, also\n"
          "in a namespace the webhook would never be called for (see docs/install.md).\n"
          "\n"
          "Exit status: 0 success (--check: nothing wrong); 1 a Pod or template was denied\n"
          "(--check: or would abort at start, or --strict and advice), or the input or config\n"
          "could not be read or parsed; 2 usage error. With --review: 0 whenever a\n"
          "response was printed (also when it denies), 1 when the input is not an\n"
          "AdmissionReview.\n",
          out);
}

/* -o: how the manifests are printed. */
typedef enum { OUTPUT_YAML = 0, OUTPUT_JSON } output_format;

/* Parse an -o value ("yaml" or "json"). Returns 0 or -EINVAL. */
static int output_format_parse(const char *s, output_format *out)
{
    if (strcmp(s, "yaml") == 0)
        *out = OUTPUT_YAML;
    else if (strcmp(s, "json") == 0)
        *out = OUTPUT_JSON;
    else
        return -EINVAL;
    return 0;
}

/* Point at --help after a usage message; returns the usage exit code. */
static int usage_error(void)
{
    fputs("Run 'gomemlimit-webhook mutate --help' for the options.\n", stderr);
    return MUTATE_EXIT_USAGE;
}

/*
 * Read all of `path` ("-" = stdin) into a malloc'd NUL-terminated buffer of at most
 * `cap` bytes (readfile.h). Returns 0 with *buf (caller frees) and *len, or -errno with a
 * one-line message in err: -EFBIG when the input exceeds cap.
 */
static int read_input(const char *path, size_t cap, char **buf, size_t *len, char *err,
                      size_t errcap)
{
    bool is_stdin = strcmp(path, "-") == 0;
    const char *shown = is_stdin ? "<stdin>" : path;
    int rc = is_stdin ? gmw_read_fd(STDIN_FILENO, shown, cap, buf, len, err, errcap)
                      : gmw_read_file(path, cap, buf, len, err, errcap);

    if (rc == -EFBIG)
        snprintf(err, errcap, "%s: input larger than %zu bytes", shown, cap);
    return rc;
}

/* --review: one AdmissionReview in, the server's response bytes out. */
static int mutate_review(const gmw_config *cfg, const char *path)
{
    char err[512];
    char *body = NULL, *response = NULL;
    size_t len = 0, response_len = 0;
    gmw_review_outcome outcome;
    int rc = MUTATE_EXIT_FAIL;
    size_t cap = cfg->max_body_bytes > 0 ? (size_t)cfg->max_body_bytes : (size_t)8 << 20;

    if (read_input(path, cap, &body, &len, err, sizeof(err)) != 0) {
        fprintf(stderr, "gomemlimit-webhook mutate: %s\n", err);
        goto out;
    }
    memset(&outcome, 0, sizeof(outcome));
    err[0] = '\0';
    if (gmw_review_handle(cfg, body, len, &response, &response_len, &outcome, err, sizeof(err)) !=
        0) {
        fprintf(stderr, "gomemlimit-webhook mutate: %s: %s\n",
                strcmp(path, "-") == 0 ? "<stdin>" : path,
                err[0] ? err : "invalid AdmissionReview");
        goto out;
    }
    if (fwrite(response, 1, response_len, stdout) != response_len || fputc('\n', stdout) == EOF ||
        fflush(stdout) != 0) {
        fprintf(stderr, "gomemlimit-webhook mutate: writing standard output: %s\n",
                strerror(errno));
        goto out;
    }
    rc = MUTATE_EXIT_OK;
out:
    free(body);
    free(response);
    return rc;
}

/* What happened across all documents. */
typedef struct {
    const gmw_config *cfg;
    const char *ns;
    size_t denied;
    size_t failed;
} mutate_run;

static void process_object(mutate_run *run, json_t *parent, size_t index, size_t docno,
                           unsigned depth);

/* Each item of a List; items of a typed list (PodList) may lack their kind. */
// NOLINTNEXTLINE(misc-no-recursion): lists nest at most MUTATE_MAX_LIST_DEPTH deep
static void process_list(mutate_run *run, json_t *items, const char *item_kind, size_t docno,
                         unsigned depth)
{
    size_t i;
    json_t *item;

    json_array_foreach(items, i, item)
    {
        int added_kind = 0;
        if (json_is_object(item) && json_object_get(item, "kind") == NULL && item_kind[0] != '\0') {
            if (json_object_set_new(item, "kind", json_string(item_kind)) != 0) {
                fprintf(stderr, "Error: document %zu: out of memory\n", docno);
                run->failed++;
                continue;
            }
            added_kind = 1;
        }
        process_object(run, items, i, docno, depth + 1);
        if (added_kind) /* from the item now in place, maybe the mutated copy */
            json_object_del(json_array_get(items, i), "kind");
    }
}

/*
 * The object at parent[index]: a List, a Pod, a workload or something passed through.
 * A mutated object replaces the original in parent (json_array_set does not allocate).
 */
// NOLINTNEXTLINE(misc-no-recursion): lists nest at most MUTATE_MAX_LIST_DEPTH deep
static void process_object(mutate_run *run, json_t *parent, size_t index, size_t docno,
                           unsigned depth)
{
    json_t *obj = json_array_get(parent, index);
    char label[384];
    char item_kind[128];
    gmw_workload_result res;
    json_t *items = gmw_cli_list_items(obj, item_kind, sizeof(item_kind));

    gmw_cli_object_label(obj, docno, label, sizeof(label));
    if (!json_is_object(obj)) {
        fprintf(stderr, "Error: document %zu: a list item is not an object\n", docno);
        run->failed++;
        return;
    }
    if (items != NULL) {
        if (depth >= MUTATE_MAX_LIST_DEPTH) {
            fprintf(stderr, "Error: %s: lists nested more than %d deep\n", label,
                    MUTATE_MAX_LIST_DEPTH);
            run->failed++;
            return;
        }
        process_list(run, items, item_kind, docno, depth);
        return;
    }
    if (json_object_get(obj, "kind") == NULL)
        fprintf(stderr, "Warning: %s: no kind; passed through unchanged\n", label);

    int rc = gmw_workload_mutate(run->cfg, obj, run->ns, &res);
    size_t i;
    json_t *w;
    json_array_foreach(res.warnings, i, w)
    {
        fprintf(stderr, "Warning: %s: %s\n", label, json_string_value(w));
    }
    if (rc != 0) {
        fprintf(stderr, "Error: %s: %s\n", label, res.error);
        run->failed++;
    } else if (res.denied) {
        fprintf(stderr, "Error: %s: denied: %s\n", label, res.message);
        run->denied++;
    } else if (res.changed && json_array_set(parent, index, res.object) != 0) {
        fprintf(stderr, "Error: %s: internal error replacing the object\n", label);
        run->failed++;
    }
    gmw_workload_result_free(&res);
}

/* Print docs (borrowed) as YAML or JSON on stdout. Returns 0 or -1 (message printed). */
static int write_documents(const json_t *docs, output_format format)
{
    char err[256];
    char *text = NULL;
    size_t len = 0;
    json_t *list = NULL;

    int rc = -ENOMEM;

    if (format == OUTPUT_YAML) {
        rc = gmw_yaml_emit(docs, &text, &len, err, sizeof(err));
    } else if (json_array_size(docs) == 1) {
        rc = gmw_json_emit(json_array_get(docs, 0), &text, &len, err, sizeof(err));
    } else {
        list = json_pack("{s:s, s:s, s:O}", "apiVersion", "v1", "kind", "List", "items", docs);
        if (list == NULL)
            snprintf(err, sizeof(err), "out of memory");
        else
            rc = gmw_json_emit(list, &text, &len, err, sizeof(err));
    }
    json_decref(list);
    if (rc != 0) {
        fprintf(stderr, "gomemlimit-webhook mutate: cannot write the result: %s\n", err);
        return -1;
    }
    int ok = fwrite(text, 1, len, stdout) == len && fflush(stdout) == 0;
    free(text);
    if (!ok) {
        fprintf(stderr, "gomemlimit-webhook mutate: writing standard output: %s\n",
                strerror(errno));
        return -1;
    }
    return 0;
}

/* Manifest mode: read, mutate every Pod and pod template, write. */
static int mutate_manifests(const gmw_config *cfg, const char *path, const char *ns,
                            output_format format)
{
    char err[512];
    char *buf = NULL;
    size_t len = 0;
    json_t *docs = NULL;
    const char *shown = strcmp(path, "-") == 0 ? "<stdin>" : path;
    mutate_run run = {cfg, ns, 0, 0};
    int rc = MUTATE_EXIT_FAIL;
    size_t i;

    if (read_input(path, MUTATE_MAX_MANIFEST_BYTES, &buf, &len, err, sizeof(err)) != 0) {
        fprintf(stderr, "gomemlimit-webhook mutate: %s\n", err);
        goto out;
    }
    if (gmw_cli_parse_documents(buf, len, shown, NULL, &docs) != 0)
        goto out;
    for (i = 0; i < json_array_size(docs); i++)
        process_object(&run, docs, i, i + 1, 0);
    if (write_documents(docs, format) != 0)
        goto out;
    rc = run.denied > 0 || run.failed > 0 ? MUTATE_EXIT_FAIL : MUTATE_EXIT_OK;
out:
    json_decref(docs);
    free(buf);
    return rc;
}

/* Usage errors among --review, --check, --strict, --in-place and -o; 0 when consistent. */
static int mutate_mode_conflict(int review, int check, int strict, int in_place, const char *file,
                                const char *output)
{
    const char *why = NULL;
    if (review && (check || in_place))
        why = "--review does not combine with --check or --in-place";
    else if (check && in_place)
        why = "--check does not combine with --in-place";
    else if (strict && !check)
        why = "--strict needs --check";
    else if (check && strcmp(output, "preserve") == 0)
        why = "--check prints the preview: -o yaml or json only";
    else if (in_place && strcmp(output, "json") == 0)
        why = "--in-place keeps the file's YAML: -o json does not apply";
    else if (in_place && strcmp(file, "-") == 0)
        why = "--in-place needs a file, not standard input";
    if (why == NULL)
        return 0;
    fprintf(stderr, "gomemlimit-webhook mutate: %s\n", why);
    return -1;
}

/* --check, -o preserve and --in-place (cli_check.h): read the input, hand it over. */
static int mutate_issue10(const gmw_config *cfg, const char *path, const char *ns, int check,
                          int strict, int in_place, const char *output)
{
    char err[512];
    char *buf = NULL;
    size_t len = 0;
    const char *shown = strcmp(path, "-") == 0 ? "<stdin>" : path;
    int rc;

    if (read_input(path, MUTATE_MAX_MANIFEST_BYTES, &buf, &len, err, sizeof(err)) != 0) {
        fprintf(stderr, "gomemlimit-webhook mutate: %s\n", err);
        return MUTATE_EXIT_FAIL;
    }
    if (check)
        rc = gmw_cli_check(cfg, buf, len, shown, ns, strict != 0, strcmp(output, "json") == 0);
    else
        rc = gmw_cli_edit(cfg, buf, len, path, ns, in_place != 0);
    free(buf);
    return rc;
}

int gmw_cmd_mutate(int argc, char **argv)
{
    const char *file = NULL, *config_path = NULL, *ns = NULL, *output = "yaml";
    int review = 0, check = 0, strict = 0, in_place = 0;
    gmw_config cfg;
    char err[GMW_CONFIG_ERR];
    int opt;

    gmw_cliopt_parser parser;
    if (gmw_cliopt_init(&parser, mutate_options, MUTATE_OPTIONS) != 0) {
        fputs("gomemlimit-webhook mutate: internal error: bad option table\n", stderr);
        return MUTATE_EXIT_USAGE;
    }
    while ((opt = gmw_cliopt_next(&parser, argc, argv)) != -1) {
        switch (opt) {
        case 'f':
            file = optarg;
            break;
        case 'c':
            config_path = optarg;
            break;
        case 'n':
            ns = optarg;
            break;
        case 'o':
            output = optarg;
            break;
        case 'r':
            review = 1;
            break;
        case 'C':
            check = 1;
            break;
        case 'S':
            strict = 1;
            break;
        case 'I':
            in_place = 1;
            break;
        case 'h':
            mutate_usage(stdout);
            return MUTATE_EXIT_OK;
        case ':':
            fprintf(stderr, "gomemlimit-webhook mutate: option '%s' needs a value\n",
                    argv[optind - 1]);
            return usage_error();
        default:
            fprintf(stderr, "gomemlimit-webhook mutate: unknown option '%s'\n", argv[optind - 1]);
            return usage_error();
        }
    }
    if (optind < argc) {
        fprintf(stderr, "gomemlimit-webhook mutate: unexpected argument '%s' (use -f FILE)\n",
                argv[optind]);
        return MUTATE_EXIT_USAGE;
    }
    if (file == NULL) {
        fputs("gomemlimit-webhook mutate: -f FILE|- is required\n", stderr);
        return usage_error();
    }
    output_format format = OUTPUT_YAML;
    bool preserve = strcmp(output, "preserve") == 0;
    if (!preserve && output_format_parse(output, &format) != 0) {
        fprintf(stderr, "gomemlimit-webhook mutate: -o must be yaml, json or preserve, not '%s'\n",
                output);
        return MUTATE_EXIT_USAGE;
    }
    if (mutate_mode_conflict(review, check, strict, in_place, file, output) != 0)
        return MUTATE_EXIT_USAGE;
    if (review && ns != NULL) {
        fputs("gomemlimit-webhook mutate: --namespace does not apply to --review (the review"
              " carries request.namespace)\n",
              stderr);
        return MUTATE_EXIT_USAGE;
    }

    if (config_path != NULL) {
        if (gmw_config_load_file(config_path, &cfg, err, sizeof(err)) != 0) {
            fprintf(stderr, "gomemlimit-webhook mutate: %s\n", err);
            return MUTATE_EXIT_FAIL;
        }
    } else {
        gmw_config_defaults(&cfg);
    }

    if (review)
        return mutate_review(&cfg, file);
    if (check || in_place || preserve)
        return mutate_issue10(&cfg, file, ns, check, strict, in_place, output);
    return mutate_manifests(&cfg, file, ns, format);
}
