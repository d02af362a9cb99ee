/*
 * intparse.c - decimal integers (see intparse.h).
 */
#include "intparse.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

int gmw_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    bool over = false;

    if (s == NULL || *s == '\0')
        return -EINVAL;
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9')
            return -EINVAL;
        unsigned d = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - d) / 10u)
            over = true; /* keep reading: a later non-digit is still -EINVAL */
        else
            v = v * 10u + d;
    }
    if (over || v < min || v > max)
        return -ERANGE;
    *out = v;
    return 0;
}

int gmw_parse_unsigned(const char *s, unsigned min, unsigned max, unsigned *out)
{
    uint64_t v = 0;
    int rc = gmw_parse_uint(s, min, max, &v);

    if (rc == 0)
        *out = (unsigned)v;
    return rc;
}
