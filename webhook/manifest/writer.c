/*
 * writer.c - documents out: YAML with libyaml's emitter (every string a reader could
 * take for another type is quoted, reals always carry a '.') and indented JSON with
 * jansson, reals in the fewest digits that read back exactly (see manifest.h).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "dynbuf.h"
#include "manifest.h"

/* Fewest significant digits (1..17) that read back as exactly d. */
static int real_digits(double d)
{
    char buf[64];
    for (int p = 1; p < 17; p++) {
        snprintf(buf, sizeof buf, "%.*g", p, d);
        if (strtod(buf, NULL) == d)
            return p;
    }
    return 17;
}

/*
 * d as a YAML float every reader takes for a float: always with a '.' (1.0, 1.5e+300).
 * buf must hold at least 40 bytes (%.17g needs at most 24, plus ".0").
 */
static void format_real(double d, char *buf, size_t cap)
{
    int n = snprintf(buf, cap, "%.*g", real_digits(d), d);
    if (n < 0 || (size_t)n + 3 > cap || strchr(buf, '.') != NULL)
        return;
    size_t len = (size_t)n;
    char *e = strchr(buf, 'e');
    size_t at = e == NULL ? len : (size_t)(e - buf);
    memmove(buf + at + 2, buf + at, len - at + 1);
    buf[at] = '.';
    buf[at + 1] = '0';
}

/* libyaml's output handler over a capped dynbuf; rc keeps why it stopped. */
typedef struct {
    gmw_dynbuf buf;
    int rc; /* 0, -E2BIG (over GMW_MANIFEST_MAX_OUTPUT) or -ENOMEM */
} yaml_out;

static int yaml_out_write(void *ctx, unsigned char *bytes, size_t size)
{
    yaml_out *out = ctx;

    out->rc = gmw_dynbuf_add(&out->buf, bytes, size);
    return out->rc == 0;
}

static int emit_string(yaml_emitter_t *em, const char *s, size_t len)
{
    yaml_event_t ev;
    yaml_scalar_style_t style = YAML_ANY_SCALAR_STYLE;

    if (len > INT_MAX)
        return 0;
    if (gmw_yaml_plain_is_ambiguous(s, len))
        style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
    else if (memchr(s, '\n', len) != NULL)
        style = YAML_LITERAL_SCALAR_STYLE; /* libyaml falls back to quotes if it can't */
    if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)len, 1, 1, style))
        return 0;
    return yaml_emitter_emit(em, &ev);
}

static int emit_plain(yaml_emitter_t *em, const char *s)
{
    yaml_event_t ev;
    if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s), 1, 1,
                                      YAML_PLAIN_SCALAR_STYLE))
        return 0;
    return yaml_emitter_emit(em, &ev);
}

/* Emit v; returns 1 on success, 0 on failure (emitter->problem or *why says why). */
// NOLINTNEXTLINE(misc-no-recursion): refuses depth > 4096
static int emit_value(yaml_emitter_t *em, const json_t *v, unsigned depth, const char **why)
{
    yaml_event_t ev;
    char num[64];

    if (depth > 4096) {
        *why = "value nested too deeply";
        return 0;
    }
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *key;
        json_t *val;
        if (!yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE) ||
            !yaml_emitter_emit(em, &ev))
            return 0;
        json_object_foreach((json_t *)v, key, val)
        {
            if (!emit_string(em, key, strlen(key)) || !emit_value(em, val, depth + 1, why))
                return 0;
        }
        if (!yaml_mapping_end_event_initialize(&ev))
            return 0;
        return yaml_emitter_emit(em, &ev);
    }
    case JSON_ARRAY: {
        size_t i;
        json_t *val;
        if (!yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE) ||
            !yaml_emitter_emit(em, &ev))
            return 0;
        json_array_foreach(v, i, val)
        {
            if (!emit_value(em, val, depth + 1, why))
                return 0;
        }
        if (!yaml_sequence_end_event_initialize(&ev))
            return 0;
        return yaml_emitter_emit(em, &ev);
    }
    case JSON_STRING:
        return emit_string(em, json_string_value(v), json_string_length(v));
    case JSON_INTEGER:
        snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return emit_plain(em, num);
    case JSON_REAL:
        format_real(json_real_value(v), num, sizeof num);
        return emit_plain(em, num);
    case JSON_TRUE:
        return emit_plain(em, "true");
    case JSON_FALSE:
        return emit_plain(em, "false");
    case JSON_NULL:
        return emit_plain(em, "null");
    }
    return 0;
}

/* The message and code of a failed emit. */
static int emit_error(const yaml_emitter_t *em, const yaml_out *out, const char *why, char *err,
                      size_t errcap)
{
    if (out->rc == -E2BIG) {
        snprintf(err, errcap, "output larger than %zu bytes", GMW_MANIFEST_MAX_OUTPUT);
        return -E2BIG;
    }
    if (why != NULL) {
        snprintf(err, errcap, "%s", why);
        return -EINVAL;
    }
    snprintf(err, errcap, "YAML emitter: %s", em->problem != NULL ? em->problem : "out of memory");
    return out->rc == -ENOMEM || em->error == YAML_MEMORY_ERROR || em->problem == NULL ? -ENOMEM
                                                                                       : -EINVAL;
}

/* Set up an emitter as gmw_yaml_emit promises: UTF-8, block style, 2 spaces, no folding. */
static int emitter_open(yaml_emitter_t *em, yaml_out *out)
{
    if (!yaml_emitter_initialize(em))
        return -ENOMEM;
    yaml_emitter_set_output(em, yaml_out_write, out);
    yaml_emitter_set_encoding(em, YAML_UTF8_ENCODING);
    yaml_emitter_set_unicode(em, 1);
    yaml_emitter_set_width(em, -1);
    yaml_emitter_set_indent(em, 2);
    yaml_emitter_set_break(em, YAML_LN_BREAK);
    return 0;
}

/* The stream: each element of docs one document; 1 on success, 0 on failure. */
static int emit_stream(yaml_emitter_t *em, const json_t *docs, const char **why)
{
    yaml_event_t ev;
    size_t i;
    json_t *doc;

    if (!yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) || !yaml_emitter_emit(em, &ev))
        return 0;
    json_array_foreach(docs, i, doc)
    {
        /* The first document starts the stream without "---", except an empty mapping:
         * libyaml writes it as "{}", and a stream starting with '{' is read back as JSON
         * (gmw_manifest_parse), which "{}\n--- {}" is not (found by fuzz_manifest). */
        bool empty_map = json_is_object(doc) && json_object_size(doc) == 0;
        if (!yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, i == 0 && !empty_map) ||
            !yaml_emitter_emit(em, &ev))
            return 0;
        if (!emit_value(em, doc, 0, why))
            return 0;
        if (!yaml_document_end_event_initialize(&ev, 1) || !yaml_emitter_emit(em, &ev))
            return 0;
    }
    return yaml_stream_end_event_initialize(&ev) && yaml_emitter_emit(em, &ev) &&
           yaml_emitter_flush(em);
}

int gmw_yaml_emit(const json_t *docs, char **text, size_t *text_len, char *err, size_t errcap)
{
    yaml_emitter_t em;
    yaml_out out = {{NULL, 0, 0, 0}, 0};
    const char *why = NULL;
    int rc = 0;

    *text = NULL;
    if (!json_is_array(docs)) {
        snprintf(err, errcap, "internal error: documents must be an array");
        return -EINVAL;
    }
    gmw_dynbuf_init(&out.buf, GMW_MANIFEST_MAX_OUTPUT);
    if (emitter_open(&em, &out) != 0) {
        snprintf(err, errcap, "out of memory");
        return -ENOMEM;
    }
    if (!emit_stream(&em, docs, &why))
        rc = emit_error(&em, &out, why, err, errcap);
    yaml_emitter_delete(&em);
    if (rc == 0) {
        *text = gmw_dynbuf_take(&out.buf, text_len);
        if (*text == NULL) {
            snprintf(err, errcap, "out of memory");
            rc = -ENOMEM;
        }
    }
    gmw_dynbuf_free(&out.buf);
    return rc;
}

/* The largest real_digits() of any real in v. */
// NOLINTNEXTLINE(misc-no-recursion): stops at depth > 4096
static int max_real_digits(const json_t *v, unsigned depth)
{
    int best = 1;
    if (depth > 4096)
        return 17;
    if (json_is_real(v))
        return real_digits(json_real_value(v));
    if (json_is_object(v)) {
        const char *key;
        json_t *val;
        json_object_foreach((json_t *)v, key, val)
        {
            int d = max_real_digits(val, depth + 1);
            if (d > best)
                best = d;
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *val;
        json_array_foreach(v, i, val)
        {
            int d = max_real_digits(val, depth + 1);
            if (d > best)
                best = d;
        }
    }
    return best;
}

int gmw_json_emit(const json_t *doc, char **text, size_t *text_len, char *err, size_t errcap)
{
    size_t flags = JSON_INDENT(4) | JSON_REAL_PRECISION(max_real_digits(doc, 0));
    char *dumped = json_dumps(doc, flags);

    *text = NULL;
    if (dumped == NULL) {
        snprintf(err, errcap, "cannot serialize JSON (out of memory)");
        return -ENOMEM;
    }
    size_t n = strlen(dumped);
    char *withnl = realloc(dumped, n + 2);
    if (withnl == NULL) {
        free(dumped);
        snprintf(err, errcap, "out of memory");
        return -ENOMEM;
    }
    withnl[n] = '\n';
    withnl[n + 1] = '\0';
    if (text_len != NULL)
        *text_len = n + 1;
    *text = withnl;
    return 0;
}
