/*
 * memlimit.h - the arithmetic and formats of GOMEMLIMIT / GOGC.
 *
 * Ratios are fixed-point with 4 decimals: 0.9 is 9000, 1 is 10000. No binary
 * floating point anywhere: floor(limit x ratio) is computed exactly in integers.
 *
 * Pure functions: no allocation, no I/O, thread-safe.
 */
#ifndef GMW_MEMLIMIT_H
#define GMW_MEMLIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compiler.h"

#define GMW_RATIO_ONE 10000u /* ratio 1.0 in fixed point */
#define GMW_MIB ((int64_t)1 << 20)

/* Longest text written by gmw_format_gomemlimit / gmw_format_mi, incl. NUL. */
#define GMW_MEMLIMIT_TEXT_MAX 32

/*
 * Parse a ratio written as a decimal in (0, 1] with at most 4 decimals ("0.9",
 * ".85", "1", "1.0", "0.8750"). On success store ratio x 10000 in *ratio_e4 and
 * return 0; on any error (syntax, 0, > 1, 5+ decimals, sign, whitespace) return -EINVAL
 * (*ratio_e4 untouched).
 */
GMW_MUST_CHECK int gmw_ratio_parse(const char *s, uint32_t *ratio_e4);

/* Write a ratio as its shortest decimal ("0.9", "1", "0.8751") into buf (>= 8 bytes). */
void gmw_ratio_format(uint32_t ratio_e4, char *buf, size_t cap);

/*
 * floor(limit_bytes x ratio_e4 / 10000), then rounded down to a whole MiB.
 * Exact for every limit_bytes in [0, 2^63). Returns bytes (a multiple of 1 MiB).
 */
int64_t gmw_gomemlimit_from_limit(int64_t limit_bytes, uint32_t ratio_e4);

/* Write bytes (a multiple of MiB) as "<n>MiB" — always matches Go's grammar. */
void gmw_format_gomemlimit(int64_t bytes, char *buf, size_t cap);

/* Write bytes (a multiple of MiB) as a Kubernetes quantity "<n>Mi". */
void gmw_format_mi(int64_t bytes, char *buf, size_t cap);

/*
 * Does s match what the Go runtime accepts for GOMEMLIMIT:
 * ^[0-9]+(([KMGT]i)?B)?$ or exactly "off"? (Go aborts at start otherwise.)
 * On a match that is not "off" and fits int64, store the byte value in *bytes
 * (may be NULL) and return true; "off" stores INT64_MAX. Values that overflow
 * int64 are rejected (Go rejects them as well). This is Go's parseByteCount line by
 * line, so its two quirks hold too: "-0" and "-MiB" are accepted as 0. The empty
 * string is rejected (Go treats an empty variable as unset).
 */
bool gmw_gomemlimit_parse(const char *s, int64_t *bytes);

/*
 * Is s a GOGC value we accept in annotations and config: a decimal integer
 * 1..100000 without sign or leading zeros, or "off"?
 */
bool gmw_gogc_valid(const char *s);

/*
 * Is s a GOGC value the Go runtime itself understands ("off" or a decimal
 * integer within int32, optionally with a '-'; not '+')? Go silently uses 100 for
 * anything else.
 */
bool gmw_gogc_go_understands(const char *s);

#endif
