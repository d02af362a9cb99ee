/*
 * duration.h - the one duration grammar of the config file and the `serve` flags.
 *
 *   duration := digits [ "ms" | "s" | "m" | "h" ]      (no unit = seconds)
 *
 * Digits only (no sign, no fraction, no spaces, no combinations such as "1m30s"),
 * at most 10 of them. Examples: 120, "120s", "2m", "1h", "500ms".
 *
 * Pure: no I/O.
 */
#ifndef GMW_DURATION_H
#define GMW_DURATION_H

#include <stdint.h>

#include "compiler.h"

/* The grammar in words, for error messages and --help. */
#define GMW_DURATION_SYNTAX "integer seconds or <n>ms, <n>s, <n>m, <n>h"

/* Parse s into milliseconds. Returns 0, or -EINVAL (syntax) leaving *ms untouched. */
GMW_MUST_CHECK int gmw_duration_parse_ms(const char *s, uint64_t *ms);

/*
 * Parse s as a whole number of seconds within [min_s, max_s] ("1500ms" is an error,
 * "2000ms" is 2). Returns 0, -EINVAL (syntax or not whole seconds) or -ERANGE; *out
 * is only written on success.
 */
GMW_MUST_CHECK int gmw_duration_parse_seconds(const char *s, unsigned min_s, unsigned max_s,
                                              unsigned *out);

#endif
