/*
 * sanitize.h - printable echoes of untrusted text for messages, warnings and logs.
 *
 * Every byte that is not printable ASCII (control characters, DEL, NUL inside a
 * length-delimited value, any byte >= 0x80) becomes '?', so an echoed value can never
 * break a log line, a terminal or an HTTP header; a value cut short ends in "...".
 *
 * Pure: no I/O, no allocation.
 */
#ifndef GMW_SANITIZE_H
#define GMW_SANITIZE_H

#include <stddef.h>

/*
 * Copy at most `maxlen` characters of src into dst (capacity cap >= 4) for echoing
 * in a warning or message: non-printable or non-ASCII bytes become '?', and a value
 * cut short ends in "..." (within the maxlen). src may be NULL (written as ""). Returns
 * dst.
 */
char *gmw_sanitize(char *dst, size_t cap, const char *src, size_t maxlen);

/*
 * Echo src[0..len) (need not be NUL-terminated; a NUL byte becomes '?'): its first
 * `keep` characters, followed by "..." when it is longer. dst (capacity cap) should
 * hold keep + 5 bytes; with less, fewer characters are kept (and the "..." only while
 * it fits). Returns dst.
 */
char *gmw_sanitize_prefix(char *dst, size_t cap, const char *src, size_t len, size_t keep);

#endif
