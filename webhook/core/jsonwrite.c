/*
 * jsonwrite.c - compact JSON writer, byte-compatible with jansson's dumper (see jsonwrite.h).
 */
#include "jsonwrite.h"
#include "utf8.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define MAX_DEPTH 2048 /* jansson's dumper refuses deeper trees (its parents check) */

/* Output staged in a local buffer and handed to the dynbuf in large pieces. */
typedef struct {
    gmw_dynbuf *b;
    size_t n;
    int rc;
    char buf[4096];
} writer;

static void flush(writer *w)
{
    if (w->rc == 0 && w->n > 0)
        w->rc = gmw_dynbuf_add(w->b, w->buf, w->n);
    w->n = 0;
}

static inline void put(writer *w, const void *data, size_t len)
{
    if (w->n + len > sizeof w->buf) {
        flush(w);
        if (len > sizeof w->buf) {
            if (w->rc == 0)
                w->rc = gmw_dynbuf_add(w->b, data, len);
            return;
        }
    }
    memcpy(w->buf + w->n, data, len);
    w->n += len;
}

/* Bytes that stand for themselves inside a JSON string (ASCII, not a control, " or \). */
static const unsigned char plain[256] = {
    [0x20] = 1,
    [0x21] = 1,
    [0x23 ... 0x5B] = 1,
    [0x5D ... 0x7F] = 1,
};

/* Length of the valid UTF-8 sequence at p (1..4), or 0 (what jansson's utf8_iterate accepts). */
static size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
    return p[0] < 0x80 ? 1 : gmw_utf8_seq(p, end);
}

static int write_string(writer *w, const char *str, size_t len)
{
    const unsigned char *p = (const unsigned char *)str, *end = p + len, *run = p;
    put(w, "\"", 1);
    while (p < end) {
        while (p < end && plain[*p])
            p++;
        if (p >= end)
            break;
        unsigned char c = *p;
        if (c >= 0x80) {
            size_t n = utf8_len(p, end);
            if (n == 0)
                return -EINVAL;
            p += n;
            continue;
        }
        if (p > run)
            put(w, run, (size_t)(p - run));
        char esc[8];
        size_t elen = 2;
        esc[0] = '\\';
        switch (c) {
        case '"':
            esc[1] = '"';
            break;
        case '\\':
            esc[1] = '\\';
            break;
        case '\b':
            esc[1] = 'b';
            break;
        case '\f':
            esc[1] = 'f';
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        default:
            elen = (size_t)snprintf(esc, sizeof esc, "\\u%04X", (unsigned)c);
            break;
        }
        put(w, esc, elen);
        run = ++p;
    }
    if (p > run)
        put(w, run, (size_t)(p - run));
    put(w, "\"", 1);
    return w->rc;
}

// NOLINTNEXTLINE(misc-no-recursion): refuses depth > MAX_DEPTH
static int write_value(writer *w, const json_t *v, unsigned depth)
{
    char num[64];
    int rc = 0;
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        if (depth >= MAX_DEPTH)
            return -EINVAL;
        const char *key;
        const json_t *val;
        bool first = true;
        put(w, "{", 1);
        json_object_foreach((json_t *)v, key, val)
        {
            if (!first)
                put(w, ",", 1);
            first = false;
            if ((rc = write_string(w, key, strlen(key))) != 0)
                return rc;
            put(w, ":", 1);
            if ((rc = write_value(w, val, depth + 1)) != 0)
                return rc;
        }
        put(w, "}", 1);
        return w->rc;
    }
    case JSON_ARRAY: {
        if (depth >= MAX_DEPTH)
            return -EINVAL;
        size_t n = json_array_size(v);
        put(w, "[", 1);
        for (size_t i = 0; i < n; i++) {
            if (i > 0)
                put(w, ",", 1);
            if ((rc = write_value(w, json_array_get(v, i), depth + 1)) != 0)
                return rc;
        }
        put(w, "]", 1);
        return w->rc;
    }
    case JSON_STRING:
        return write_string(w, json_string_value(v), json_string_length(v));
    case JSON_INTEGER: {
        int n = snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        put(w, num, (size_t)n);
        return w->rc;
    }
    case JSON_REAL: { /* jansson's own real formatting ("%.17g", ".0", exponent trimming) */
        size_t n = json_dumpb(v, num, sizeof num, JSON_COMPACT | JSON_ENCODE_ANY);
        if (n == 0 || n > sizeof num)
            return -EINVAL;
        put(w, num, n);
        return w->rc;
    }
    case JSON_TRUE:
        put(w, "true", 4);
        return w->rc;
    case JSON_FALSE:
        put(w, "false", 5);
        return w->rc;
    case JSON_NULL:
        put(w, "null", 4);
        return w->rc;
    }
    return -EINVAL;
}

int gmw_json_write(gmw_dynbuf *b, const json_t *v)
{
    if (v == NULL)
        return -EINVAL;
    writer w;
    w.b = b;
    w.n = 0;
    w.rc = 0;
    int rc = write_value(&w, v, 0);
    if (rc != 0)
        return rc;
    flush(&w);
    return w.rc;
}
