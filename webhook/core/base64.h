/*
 * base64.h - standard base64 (RFC 4648 section 4, "+/" alphabet, "=" padding): the
 * encoding of a Go []byte in JSON, used for AdmissionResponse.patch.
 *
 * Pure: no I/O.
 */
#ifndef GMW_BASE64_H
#define GMW_BASE64_H

#include <stddef.h>

#include "compiler.h"

/* Length of the encoding of n bytes, without the NUL (4 * ceil(n / 3)). */
size_t gmw_base64_encoded_len(size_t n);

/*
 * Encode src[0..n) into a malloc'd NUL-terminated string (caller frees with free()).
 * Returns NULL when out of memory or when the length would overflow size_t.
 */
GMW_MUST_CHECK char *gmw_base64_encode(const void *src, size_t n);

#endif
