/*
 * dynbuf.h - a growable byte buffer with a hard size cap (after curl's dynbuf).
 *
 * Every append either fits under the cap or fails; on failure the buffer frees its
 * memory and stays usable (empty), so a caller that hits the cap cannot keep a
 * half-built result by accident. The contents are always NUL-terminated (the NUL
 * is not counted in the length and not in the cap).
 */
#ifndef GMW_DYNBUF_H
#define GMW_DYNBUF_H

#include <stdarg.h>
#include <stddef.h>

#include "compiler.h"

typedef struct {
    char *buf;   /* owned; NULL while empty */
    size_t len;  /* bytes in use (without the NUL) */
    size_t size; /* bytes allocated */
    size_t cap;  /* maximum len */
} gmw_dynbuf;

/* Initialise an empty buffer that may hold at most cap bytes. Allocates nothing. */
void gmw_dynbuf_init(gmw_dynbuf *b, size_t cap);

/* Free the memory and make the buffer empty (the cap is kept). Safe to repeat. */
void gmw_dynbuf_free(gmw_dynbuf *b);

/* Make the buffer empty but keep its memory. */
void gmw_dynbuf_reset(gmw_dynbuf *b);

/*
 * Append data[0..len). Returns 0; -E2BIG if len + current length would exceed the
 * cap; -ENOMEM if allocation failed. On error the buffer is freed (empty).
 */
GMW_MUST_CHECK int gmw_dynbuf_add(gmw_dynbuf *b, const void *data, size_t len);

/* Append a NUL-terminated string, as gmw_dynbuf_add. */
GMW_MUST_CHECK int gmw_dynbuf_adds(gmw_dynbuf *b, const char *s);

/* Append printf-formatted text, as gmw_dynbuf_add (-EINVAL on a format error). */
GMW_MUST_CHECK int gmw_dynbuf_addf(gmw_dynbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
GMW_MUST_CHECK int gmw_dynbuf_vaddf(gmw_dynbuf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* Borrowed pointer to the NUL-terminated contents ("" when empty); valid until the
 * next call that modifies b. */
const char *gmw_dynbuf_ptr(const gmw_dynbuf *b);
size_t gmw_dynbuf_len(const gmw_dynbuf *b);

/*
 * Hand the contents to the caller: returns a malloc'd NUL-terminated string (the
 * caller frees it with free()) and stores its length in *len (if len is not NULL);
 * the buffer is left empty. Returns NULL only when out of memory.
 */
GMW_MUST_CHECK char *gmw_dynbuf_take(gmw_dynbuf *b, size_t *len);

#endif
