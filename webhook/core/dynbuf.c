/*
 * dynbuf.c - capped growable buffer; see dynbuf.h.
 */
#include "dynbuf.h"

#include <errno.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define GMW_DYNBUF_MIN 256

void gmw_dynbuf_init(gmw_dynbuf *b, size_t cap)
{
    b->buf = NULL;
    b->len = 0;
    b->size = 0;
    b->cap = cap;
}

void gmw_dynbuf_free(gmw_dynbuf *b)
{
    free(b->buf);
    b->buf = NULL;
    b->len = 0;
    b->size = 0;
}

void gmw_dynbuf_reset(gmw_dynbuf *b)
{
    b->len = 0;
    if (b->buf != NULL)
        b->buf[0] = '\0';
}

/* Make room for `extra` more bytes plus the NUL; 0, -E2BIG or -ENOMEM (buffer freed). */
static int dynbuf_reserve(gmw_dynbuf *b, size_t extra)
{
    if (extra > b->cap || b->len > b->cap - extra) {
        gmw_dynbuf_free(b);
        return -E2BIG;
    }
    size_t need = b->len + extra + 1;
    if (need <= b->size)
        return 0;
    size_t size = b->size != 0 ? b->size : GMW_DYNBUF_MIN;
    while (size < need)
        size = size > SIZE_MAX / 2 ? need : size * 2;
    if (size > b->cap + 1)
        size = b->cap + 1;
    if (size < need)
        size = need;
    char *nb = realloc(b->buf, size);
    if (nb == NULL) {
        gmw_dynbuf_free(b);
        return -ENOMEM;
    }
    b->buf = nb;
    b->size = size;
    return 0;
}

int gmw_dynbuf_add(gmw_dynbuf *b, const void *data, size_t len)
{
    int rc = dynbuf_reserve(b, len);
    if (rc != 0)
        return rc;
    if (len != 0)
        memcpy(b->buf + b->len, data, len);
    b->len += len;
    b->buf[b->len] = '\0';
    return 0;
}

int gmw_dynbuf_adds(gmw_dynbuf *b, const char *s)
{
    return gmw_dynbuf_add(b, s, strlen(s));
}

int gmw_dynbuf_vaddf(gmw_dynbuf *b, const char *fmt, va_list ap)
{
    char small[256];
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(small, sizeof small, fmt, ap2);
    va_end(ap2);
    if (n < 0) {
        gmw_dynbuf_free(b);
        return -EINVAL;
    }
    if ((size_t)n < sizeof small)
        return gmw_dynbuf_add(b, small, (size_t)n);
    int rc = dynbuf_reserve(b, (size_t)n);
    if (rc != 0)
        return rc;
    vsnprintf(b->buf + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int gmw_dynbuf_addf(gmw_dynbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = gmw_dynbuf_vaddf(b, fmt, ap);
    va_end(ap);
    return rc;
}

const char *gmw_dynbuf_ptr(const gmw_dynbuf *b)
{
    return b->buf != NULL ? b->buf : "";
}

size_t gmw_dynbuf_len(const gmw_dynbuf *b)
{
    return b->len;
}

char *gmw_dynbuf_take(gmw_dynbuf *b, size_t *len)
{
    char *out = b->buf;
    size_t n = b->len;
    if (out == NULL) {
        out = malloc(1);
        if (out == NULL)
            return NULL;
        out[0] = '\0';
        n = 0;
    }
    b->buf = NULL;
    b->len = 0;
    b->size = 0;
    if (len != NULL)
        *len = n;
    return out;
}
