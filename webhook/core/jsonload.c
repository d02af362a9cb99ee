/*
 * jsonload.c - a strict single-pass JSON scanner building jansson trees (see jsonload.h).
 *
 * Every function returns NULL to decline; the caller then asks json_loadb. Declining is
 * always safe, so the scanner only has to be right about what it accepts.
 */
#include "jsonload.h"
#include "utf8.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 512     /* jansson allows 2048; deeper bodies go to jansson */
#define MAX_INT_DIGITS 18 /* always fits json_int_t (long long) */
#define MAX_REAL_TEXT 64  /* longer reals go to jansson */
#define KEY_BUF 128       /* escaped keys up to this size are decoded on the stack */
#define VALUE_BUF 1024    /* escaped values up to this size are decoded in the scanner */

typedef struct {
    const unsigned char *p, *end;
    unsigned depth;
    bool oom;
    char value_buf[VALUE_BUF]; /* decoded escaped string values (copied out at once) */
} scanner;

static json_t *scan_value(scanner *s, const gmw_json_prune *prune);
static bool skip_value(scanner *s);

/* Bytes that stand for themselves inside a JSON string (ASCII, not a control, " or \). */
static const unsigned char plain[256] = {
    [0x20] = 1,
    [0x21] = 1,
    [0x23 ... 0x5B] = 1,
    [0x5D ... 0x7F] = 1,
};

static inline void skip_ws(scanner *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' || *s->p == '\r' || *s->p == '\t'))
        s->p++;
}

static int hex4(const unsigned char *p, const unsigned char *end)
{
    if (end - p < 4)
        return -1;
    int v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= c - '0';
        else if (c >= 'a' && c <= 'f')
            v |= c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            v |= c - 'A' + 10;
        else
            return -1;
    }
    return v;
}

static size_t utf8_put(uint32_t cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | cp >> 12);
        out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | cp >> 18);
    out[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    out[2] = (char)(0x80 | (cp >> 6 & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/*
 * Scan the string whose opening quote is at s->p. On success *out and *len hold the decoded
 * bytes: a pointer into the input when there is no escape, else into buf[0..cap) or, when
 * longer, *heap (malloc'd, the caller frees it). Returns false to decline.
 */
static bool scan_string(scanner *s, char *buf, size_t cap, const char **out, size_t *len,
                        char **heap)
{
    const unsigned char *start = ++s->p, *p = start;
    bool escaped = false;
    /* pass 1: validate, find the end */
    for (;;) {
        while (p < s->end && plain[*p])
            p++;
        if (p >= s->end)
            return false;
        unsigned char c = *p;
        if (c == '"')
            break;
        if (c < 0x20)
            return false; /* control characters (and NUL) */
        if (c == '\\') {
            escaped = true;
            if (p + 1 >= s->end)
                return false;
            unsigned char e = p[1];
            if (e == 'u') {
                int v = hex4(p + 2, s->end);
                if (v <= 0 || (v >= 0xDC00 && v <= 0xDFFF)) /* U+0000, lone low surrogate */
                    return false;
                p += 6;
                if (v >= 0xD800 && v <= 0xDBFF) {
                    if (s->end - p < 6 || p[0] != '\\' || p[1] != 'u')
                        return false;
                    int w = hex4(p + 2, s->end);
                    if (w < 0xDC00 || w > 0xDFFF)
                        return false;
                    p += 6;
                }
                continue;
            }
            if (e != '"' && e != '\\' && e != '/' && e != 'b' && e != 'f' && e != 'n' && e != 'r' &&
                e != 't')
                return false;
            p += 2;
            continue;
        }
        if (c >= 0x80) {
            size_t n = gmw_utf8_seq(p, s->end);
            if (n == 0)
                return false;
            p += n;
            continue;
        }
        p++;
    }
    s->p = p + 1;
    size_t raw = (size_t)(p - start);
    if (!escaped) {
        *out = (const char *)start;
        *len = raw;
        return true;
    }
    /* pass 2: decode (the result is never longer than the source) */
    char *d = buf;
    if (raw > cap) {
        d = *heap = malloc(raw);
        if (d == NULL) {
            s->oom = true;
            return false;
        }
    }
    size_t o = 0;
    for (const unsigned char *q = start; q < p;) {
        if (*q != '\\') {
            d[o++] = (char)*q++;
            continue;
        }
        unsigned char e = q[1];
        q += 2;
        switch (e) {
        case 'b':
            d[o++] = '\b';
            break;
        case 'f':
            d[o++] = '\f';
            break;
        case 'n':
            d[o++] = '\n';
            break;
        case 'r':
            d[o++] = '\r';
            break;
        case 't':
            d[o++] = '\t';
            break;
        case 'u': {
            uint32_t v = (uint32_t)hex4(q, p);
            q += 4;
            if (v >= 0xD800 && v <= 0xDBFF) {
                uint32_t w = (uint32_t)hex4(q + 2, p);
                q += 6;
                v = ((v - 0xD800) << 10) + (w - 0xDC00) + 0x10000;
            }
            o += utf8_put(v, d + o);
            break;
        }
        default:
            d[o++] = (char)e;
            break; /* " \ / */
        }
    }
    *out = d;
    *len = o;
    return true;
}

static json_t *scan_number(scanner *s)
{
    const unsigned char *start = s->p, *p = s->p;
    bool neg = false, real = false;
    if (*p == '-') {
        neg = true;
        p++;
    }
    const unsigned char *digits = p;
    if (p < s->end && *p == '0')
        p++;
    else if (p < s->end && *p >= '1' && *p <= '9')
        while (p < s->end && *p >= '0' && *p <= '9')
            p++;
    else
        return NULL;
    size_t ndigits = (size_t)(p - digits);
    if (p < s->end && (*p >= '0' && *p <= '9'))
        return NULL; /* leading zero */
    if (p < s->end && *p == '.') {
        real = true;
        p++;
        if (p >= s->end || *p < '0' || *p > '9')
            return NULL;
        while (p < s->end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < s->end && (*p == 'e' || *p == 'E')) {
        real = true;
        p++;
        if (p < s->end && (*p == '+' || *p == '-'))
            p++;
        if (p >= s->end || *p < '0' || *p > '9')
            return NULL;
        while (p < s->end && *p >= '0' && *p <= '9')
            p++;
    }
    s->p = p;
    if (!real) {
        if (ndigits > MAX_INT_DIGITS)
            return NULL;
        long long v = 0;
        for (const unsigned char *q = digits; q < p; q++)
            v = v * 10 + (*q - '0');
        json_t *j = json_integer(neg ? -v : v);
        s->oom = j == NULL;
        return j;
    }
    size_t n = (size_t)(p - start);
    if (n >= MAX_REAL_TEXT)
        return NULL;
    char text[MAX_REAL_TEXT], *end = NULL;
    memcpy(text, start, n);
    text[n] = '\0';
    errno = 0;
    double d = strtod(text, &end); /* what jansson's jsonp_strtod does in the C locale */
    if (end != text + n || (errno == ERANGE && (d == HUGE_VAL || d == -HUGE_VAL)))
        return NULL;
    json_t *j = json_real(d);
    s->oom = j == NULL;
    return j;
}

static bool literal(scanner *s, const char *word, size_t n)
{
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
        return false;
    s->p += n;
    /* jansson reads a whole run of letters as one token: "truex" is invalid */
    return !(s->p < s->end && ((*s->p | 0x20) >= 'a' && (*s->p | 0x20) <= 'z'));
}

/*
 * After a member of an object or an element of an array: a ',' (skipped with the whitespace
 * after it: 1, another follows), the closing `close` (skipped: 0), or anything else (-1).
 */
static int after_member(scanner *s, unsigned char close)
{
    skip_ws(s);
    if (s->p >= s->end)
        return -1;
    if (*s->p == ',') {
        s->p++;
        skip_ws(s);
        return 1;
    }
    if (*s->p == close) {
        s->p++;
        return 0;
    }
    return -1;
}

/*
 * A member's key at s->p and the ':' after it (whitespace around skipped), as scan_string
 * gives it (kbuf holds KEY_BUF bytes; *heap, when set, is the caller's to free). False to
 * decline (then *heap is NULL).
 */
static inline bool scan_key(scanner *s, char *kbuf, const char **key, size_t *klen, char **heap)
{
    if (s->p >= s->end || *s->p != '"' || !scan_string(s, kbuf, KEY_BUF, key, klen, heap))
        return false;
    skip_ws(s);
    if (s->p >= s->end || *s->p != ':') {
        free(*heap);
        *heap = NULL;
        return false;
    }
    s->p++;
    skip_ws(s);
    return true;
}

/* The node of list `prune` named key[0..len), or NULL. */
static const gmw_json_prune *prune_find(const gmw_json_prune *prune, const char *key, size_t len)
{
    for (const gmw_json_prune *n = prune; n != NULL && n->key != NULL; n++)
        if (n->key[0] == key[0] && strncmp(n->key, key, len) == 0 && n->key[len] == '\0')
            return n;
    return NULL;
}

// NOLINTNEXTLINE(misc-no-recursion): scan_value refuses depth > MAX_DEPTH
static json_t *scan_object(scanner *s, const gmw_json_prune *prune)
{
    json_t *obj = json_object();
    if (obj == NULL) {
        s->oom = true;
        return NULL;
    }
    s->p++; /* { */
    skip_ws(s);
    if (s->p < s->end && *s->p == '}') {
        s->p++;
        return obj;
    }
    for (;;) {
        char kbuf[KEY_BUF], *heap = NULL;
        const char *key;
        size_t klen;
        if (!scan_key(s, kbuf, &key, &klen, &heap))
            goto fail;
        const gmw_json_prune *node = prune != NULL ? prune_find(prune, key, klen) : NULL;
        if (node != NULL && strcmp(node->key, GMW_JSON_PRUNE_EACH) == 0)
            node = NULL; /* a member named "[]" is a member, not every element */
        if (node != NULL && node->children == NULL) { /* dropped: validated, not built */
            free(heap);
            if (!skip_value(s))
                goto fail;
        } else {
            json_t *v = scan_value(s, node != NULL ? node->children : NULL);
            /* the call jansson's parser makes: a duplicate keeps its place, takes the new
             * value */
            int rc = v != NULL ? json_object_setn_new_nocheck(obj, key, klen, v) : -1;
            free(heap);
            if (v == NULL)
                goto fail;
            if (rc != 0) {
                s->oom = true;
                goto fail;
            }
        }
        int next = after_member(s, (unsigned char)'}');
        if (next > 0)
            continue;
        if (next == 0)
            return obj;
        goto fail;
    }
fail:
    json_decref(obj);
    return NULL;
}

// NOLINTNEXTLINE(misc-no-recursion): scan_value refuses depth > MAX_DEPTH
static json_t *scan_array(scanner *s, const gmw_json_prune *prune)
{
    const gmw_json_prune *each =
        prune != NULL ? prune_find(prune, GMW_JSON_PRUNE_EACH, sizeof GMW_JSON_PRUNE_EACH - 1)
                      : NULL;
    json_t *arr = json_array();
    if (arr == NULL) {
        s->oom = true;
        return NULL;
    }
    s->p++; /* [ */
    skip_ws(s);
    if (s->p < s->end && *s->p == ']') {
        s->p++;
        return arr;
    }
    for (;;) {
        json_t *v = scan_value(s, each != NULL ? each->children : NULL);
        if (v == NULL)
            goto fail;
        if (json_array_append_new(arr, v) != 0) {
            s->oom = true;
            goto fail;
        }
        int next = after_member(s, (unsigned char)']');
        if (next > 0)
            continue;
        if (next == 0)
            return arr;
        goto fail;
    }
fail:
    json_decref(arr);
    return NULL;
}

/*
 * The members or elements of the object or array at s->p, read and validated exactly as
 * scan_object / scan_array read them, building nothing. False to decline.
 */
// NOLINTNEXTLINE(misc-no-recursion): skip_value refuses depth > MAX_DEPTH
static bool skip_container(scanner *s)
{
    unsigned char close = *s->p == '{' ? '}' : ']';
    s->p++;
    skip_ws(s);
    if (s->p < s->end && *s->p == close) {
        s->p++;
        return true;
    }
    for (;;) {
        if (close == '}') {
            char kbuf[KEY_BUF], *heap = NULL;
            const char *key;
            size_t klen;
            if (!scan_key(s, kbuf, &key, &klen, &heap))
                return false;
            free(heap);
        }
        if (!skip_value(s))
            return false;
        int next = after_member(s, close);
        if (next <= 0)
            return next == 0;
    }
}

/* A value at s->p (whitespace already skipped), validated as scan_value would, not built. */
// NOLINTNEXTLINE(misc-no-recursion): skip_value refuses depth > MAX_DEPTH
static bool skip_value(scanner *s)
{
    if (s->p >= s->end)
        return false;
    switch (*s->p) {
    case '{':
    case '[': {
        if (++s->depth > MAX_DEPTH)
            return false;
        bool ok = skip_container(s);
        s->depth--;
        return ok;
    }
    case '"': {
        char *heap = NULL;
        const char *str;
        size_t len;
        bool ok = scan_string(s, s->value_buf, sizeof s->value_buf, &str, &len, &heap);
        free(heap);
        return ok;
    }
    case 't':
        return literal(s, "true", 4);
    case 'f':
        return literal(s, "false", 5);
    case 'n':
        return literal(s, "null", 4);
    default: {
        json_t *n = NULL; /* rare in dropped members: the number's own checks, then freed */
        if (*s->p == '-' || (*s->p >= '0' && *s->p <= '9'))
            n = scan_number(s);
        json_decref(n);
        return n != NULL;
    }
    }
}

/* A value at s->p (whitespace already skipped). */
// NOLINTNEXTLINE(misc-no-recursion): scan_value refuses depth > MAX_DEPTH
static json_t *scan_value(scanner *s, const gmw_json_prune *prune)
{
    if (s->p >= s->end)
        return NULL;
    json_t *v = NULL;
    switch (*s->p) {
    case '{':
    case '[':
        if (++s->depth > MAX_DEPTH)
            return NULL;
        v = *s->p == '{' ? scan_object(s, prune) : scan_array(s, prune);
        s->depth--;
        return v;
    case '"': {
        char *heap = NULL;
        const char *str;
        size_t len;
        if (!scan_string(s, s->value_buf, sizeof s->value_buf, &str, &len, &heap))
            return NULL;
        v = json_stringn_nocheck(str, len);
        free(heap);
        s->oom = v == NULL;
        return v;
    }
    case 't':
        return literal(s, "true", 4) ? json_true() : NULL;
    case 'f':
        return literal(s, "false", 5) ? json_false() : NULL;
    case 'n':
        return literal(s, "null", 4) ? json_null() : NULL;
    default:
        if (*s->p == '-' || (*s->p >= '0' && *s->p <= '9'))
            return scan_number(s);
        return NULL;
    }
}

json_t *gmw_json_scan(const char *buf, size_t len, int *oom)
{
    return gmw_json_scan_pruned(buf, len, NULL, oom);
}

json_t *gmw_json_scan_pruned(const char *buf, size_t len, const gmw_json_prune *prune, int *oom)
{
    *oom = 0;
    /* a NUL byte anywhere: jansson's stream has quirks there (it can skip one), let it judge */
    if (buf == NULL || memchr(buf, '\0', len) != NULL)
        return NULL;
    scanner s;
    s.p = (const unsigned char *)buf;
    s.end = s.p + len;
    s.depth = 0;
    s.oom = false;
    skip_ws(&s);
    if (s.p >= s.end || (*s.p != '{' && *s.p != '['))
        return NULL;
    json_t *root = scan_value(&s, prune);
    if (root != NULL) {
        skip_ws(&s);
        if (s.p != s.end) {
            json_decref(root);
            root = NULL;
        }
    }
    *oom = root == NULL && s.oom;
    return root;
}

/* Delete the members `prune` drops from jansson's tree v (the fallback path). */
// NOLINTNEXTLINE(misc-no-recursion): bounded by the depth of the prune trie
static void prune_tree(json_t *v, const gmw_json_prune *prune)
{
    for (const gmw_json_prune *n = prune; n != NULL && n->key != NULL; n++) {
        if (strcmp(n->key, GMW_JSON_PRUNE_EACH) == 0) {
            size_t i;
            json_t *el;
            json_array_foreach(json_is_array(v) ? v : NULL, i, el)
            {
                prune_tree(el, n->children);
            }
            continue;
        }
        json_t *member = json_is_object(v) ? json_object_get(v, n->key) : NULL;
        if (member == NULL)
            continue;
        if (n->children == NULL)
            (void)json_object_del(v, n->key);
        else
            prune_tree(member, n->children);
    }
}

json_t *gmw_json_loadb(const char *buf, size_t len, json_error_t *err)
{
    return gmw_json_loadb_pruned(buf, len, NULL, err);
}

json_t *gmw_json_loadb_pruned(const char *buf, size_t len, const gmw_json_prune *prune,
                              json_error_t *err)
{
    int oom;
    json_t *root = gmw_json_scan_pruned(buf, len, prune, &oom);
    if (root != NULL) {
        if (err != NULL) { /* what json_loadb leaves in it on success */
            memset(err, 0, sizeof *err);
            err->line = err->column = -1;
            err->position = (int)len;
            memcpy(err->source, "<buffer>", sizeof "<buffer>");
        }
        return root;
    }
    root = json_loadb(buf, len, 0, err);
    prune_tree(root, prune);
    return root;
}
