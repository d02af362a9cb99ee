/*
 * jsonwrite.c - compact JSON writer, byte-compatible with jansson's dumper (see jsonwrite.h).
 */
#include "jsonwrite.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define MAX_DEPTH 2048 /* jansson's dumper refuses deeper trees (its parents check) */

/* Length of the valid UTF-8 sequence at p (1..4), or 0 (what jansson's utf8_iterate accepts). */
static size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
    unsigned char c = p[0];
    size_t n;
    uint32_t v;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2, v = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3, v = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4, v = c & 0x07;
    else
        return 0;
    if ((size_t)(end - p) < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if (p[i] < 0x80 || p[i] > 0xBF)
            return 0;
        v = (v << 6) | (p[i] & 0x3F);
    }
    if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF) || (n == 3 && v < 0x800) ||
        (n == 4 && v < 0x10000))
        return 0;
    return n;
}

static int write_string(gmw_dynbuf *b, const char *str, size_t len)
{
    const unsigned char *p = (const unsigned char *)str, *end = p + len, *run = p;
    int rc = gmw_dynbuf_add(b, "\"", 1);
    while (rc == 0 && p < end) {
        unsigned char c = *p;
        if (c >= 0x20 && c != '"' && c != '\\') {
            size_t n = c < 0x80 ? 1 : utf8_len(p, end);
            if (n == 0)
                return -EINVAL;
            p += n;
            continue;
        }
        if (p > run)
            rc = gmw_dynbuf_add(b, run, (size_t)(p - run));
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
        if (rc == 0)
            rc = gmw_dynbuf_add(b, esc, elen);
        run = ++p;
    }
    if (rc == 0 && p > run)
        rc = gmw_dynbuf_add(b, run, (size_t)(p - run));
    return rc != 0 ? rc : gmw_dynbuf_add(b, "\"", 1);
}

// NOLINTNEXTLINE(misc-no-recursion): refuses depth > MAX_DEPTH
static int write_value(gmw_dynbuf *b, const json_t *v, unsigned depth)
{
    char num[64];
    int rc;
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        if (depth >= MAX_DEPTH)
            return -EINVAL;
        const char *key;
        const json_t *val;
        bool first = true;
        rc = gmw_dynbuf_add(b, "{", 1);
        json_object_foreach((json_t *)v, key, val)
        {
            if (rc == 0 && !first)
                rc = gmw_dynbuf_add(b, ",", 1);
            first = false;
            if (rc == 0)
                rc = write_string(b, key, strlen(key));
            if (rc == 0)
                rc = gmw_dynbuf_add(b, ":", 1);
            if (rc == 0)
                rc = write_value(b, val, depth + 1);
            if (rc != 0)
                return rc;
        }
        return rc != 0 ? rc : gmw_dynbuf_add(b, "}", 1);
    }
    case JSON_ARRAY: {
        if (depth >= MAX_DEPTH)
            return -EINVAL;
        size_t n = json_array_size(v);
        rc = gmw_dynbuf_add(b, "[", 1);
        for (size_t i = 0; rc == 0 && i < n; i++) {
            if (i > 0)
                rc = gmw_dynbuf_add(b, ",", 1);
            if (rc == 0)
                rc = write_value(b, json_array_get(v, i), depth + 1);
        }
        return rc != 0 ? rc : gmw_dynbuf_add(b, "]", 1);
    }
    case JSON_STRING:
        return write_string(b, json_string_value(v), json_string_length(v));
    case JSON_INTEGER: {
        int n = snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return gmw_dynbuf_add(b, num, (size_t)n);
    }
    case JSON_REAL: { /* jansson's own real formatting ("%.17g", ".0", exponent trimming) */
        size_t n = json_dumpb(v, num, sizeof num, JSON_COMPACT | JSON_ENCODE_ANY);
        if (n == 0 || n > sizeof num)
            return -EINVAL;
        return gmw_dynbuf_add(b, num, n);
    }
    case JSON_TRUE:
        return gmw_dynbuf_add(b, "true", 4);
    case JSON_FALSE:
        return gmw_dynbuf_add(b, "false", 5);
    case JSON_NULL:
        return gmw_dynbuf_add(b, "null", 4);
    }
    return -EINVAL;
}

int gmw_json_write(gmw_dynbuf *b, const json_t *v)
{
    if (v == NULL)
        return -EINVAL;
    return write_value(b, v, 0);
}
