/*
 * intparse.h - decimal integers from configuration and command lines.
 *
 * One grammar everywhere: ASCII digits only ([0-9]+), no sign, no whitespace, no
 * base prefix; leading zeros are allowed ("007" is 7). What is not in that grammar is
 * -EINVAL; a well-formed number outside [min, max] (however many digits) is -ERANGE.
 *
 * Pure: no I/O, no errno, no locale.
 */
#ifndef GMW_INTPARSE_H
#define GMW_INTPARSE_H

#include <stdint.h>

#include "compiler.h"

/*
 * Parse s (NUL-terminated) as a decimal in [min, max]. Returns 0 with the value in
 * *out; -EINVAL (s NULL, empty or not all digits) or -ERANGE (outside [min, max]),
 * leaving *out untouched.
 */
GMW_MUST_CHECK int gmw_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* The same for an unsigned int. */
GMW_MUST_CHECK int gmw_parse_unsigned(const char *s, unsigned min, unsigned max, unsigned *out);

#endif
