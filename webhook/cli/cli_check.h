/*
 * cli_check.h - `mutate --check` and `mutate [--in-place]` with the text-preserving
 * rewrite: the parts of `mutate` added by issue 10, called by cli_mutate.c once the input
 * is read. Each returns the command's exit code and prints its own messages.
 */
#ifndef GMW_CLI_CHECK_H
#define GMW_CLI_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "config.h"
#include "manifest.h"

#define GMW_CHECK_EXIT_OK 0
#define GMW_CHECK_EXIT_FAIL 1

/*
 * The object's label in messages: "Kind/name", "Kind/generateName*" or "Kind (document N)",
 * printable (sanitize.h), written to buf (always terminated). (cli_docs.c)
 */
void gmw_cli_object_label(const json_t *obj, size_t docno, char *buf, size_t cap);

/*
 * When obj is a Kubernetes list (a kind ending in "List": List, PodList, ...; with an
 * "items" array), its items (borrowed), and in item_kind the kind its items have when they
 * omit it ("Pod" for a PodList, "" for List); else NULL. (cli_docs.c)
 */
json_t *gmw_cli_list_items(const json_t *obj, char *item_kind, size_t cap);

/*
 * A list item ready to be handled as an object: a new reference to item itself, or to a
 * shallow copy with "kind" set to item_kind when item is an object that omits its kind and
 * item_kind is not empty. NULL when out of memory. (cli_docs.c)
 */
json_t *gmw_cli_list_item(const json_t *item, const char *item_kind);

/*
 * Parse buf[0..len) as a manifest stream (manifest.h; `shown` names the input) whose every
 * document is a Kubernetes object (a mapping). Returns 0 with *docs a new reference (and
 * *format when format is non-NULL), or -1 after printing the reason on stderr.
 */
GMW_MUST_CHECK int gmw_cli_parse_documents(const char *buf, size_t len, const char *shown,
                                           gmw_manifest_format *format, json_t **docs);

/*
 * --check: preview every Pod and workload of the manifests in buf[0..len) (`shown` names
 * the input in messages; ns overrides the namespace when non-NULL). Text: one line per
 * preview warning, "Kind/name: warning", on stdout; JSON (as_json): an array with one
 * record per container (docs/cli.md). Exit 0 when nothing is wrong; 1 when a Pod would be
 * denied, a container would abort at start (malformed GOMEMLIMIT), the input cannot be
 * read, or (strict) any advice warning was given.
 */
int gmw_cli_check(const gmw_config *cfg, const char *buf, size_t len, const char *shown,
                  const char *ns, bool strict, bool as_json);

/*
 * The text-preserving rewrite of a YAML manifest file (yamledit.h): print the result on
 * stdout, or (in_place) replace the file at `path` atomically. Exit 0, or 1 when an object
 * is denied (the file is then left as it was) or the input is not YAML that can be edited.
 */
int gmw_cli_edit(const gmw_config *cfg, const char *buf, size_t len, const char *path,
                 const char *ns, bool in_place);

#endif
