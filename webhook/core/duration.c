/*
 * duration.c - "<n>[ms|s|m|h]" durations; see duration.h.
 */
#include "duration.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#define DURATION_MAX_DIGITS 10

int gmw_duration_parse_ms(const char *s, uint64_t *ms)
{
    uint64_t v = 0;
    size_t digits = 0;
    if (s == NULL)
        return -EINVAL;
    while (s[digits] >= '0' && s[digits] <= '9') {
        if (digits == DURATION_MAX_DIGITS)
            return -EINVAL;
        v = v * 10u + (uint64_t)(s[digits] - '0');
        digits++;
    }
    if (digits == 0)
        return -EINVAL;
    const char *unit = s + digits;
    uint64_t mult;
    if (unit[0] == '\0' || strcmp(unit, "s") == 0)
        mult = 1000;
    else if (strcmp(unit, "ms") == 0)
        mult = 1;
    else if (strcmp(unit, "m") == 0)
        mult = 60u * 1000u;
    else if (strcmp(unit, "h") == 0)
        mult = 3600u * 1000u;
    else
        return -EINVAL;
    *ms = v * mult; /* < 10^10 * 3.6 * 10^6: no overflow */
    return 0;
}

int gmw_duration_parse_seconds(const char *s, unsigned min_s, unsigned max_s, unsigned *out)
{
    uint64_t ms = 0;
    if (gmw_duration_parse_ms(s, &ms) != 0 || ms % 1000 != 0)
        return -EINVAL;
    uint64_t secs = ms / 1000;
    if (secs < min_s || secs > max_s)
        return -ERANGE;
    *out = (unsigned)secs;
    return 0;
}
