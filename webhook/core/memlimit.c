/*
 * memlimit.c - GOMEMLIMIT / GOGC arithmetic and formats, in integers only.
 *
 * The validity checks mirror the Go runtime (runtime/string.go parseByteCount and
 * atoi64, runtime/mgcpacer.go readGOMEMLIMIT and readGOGC, go1.19-go1.2x), because
 * their job is to predict what a Go program will do with an environment value.
 */
#include "memlimit.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

int gmw_ratio_parse(const char *s, uint32_t *ratio_e4)
{
    size_t i = 0;
    uint32_t int_part = 0;
    uint32_t frac = 0;
    size_t int_digits = 0;
    size_t frac_digits = 0;

    if (s == NULL)
        return -EINVAL;
    /* Integer part: digits, value 0 or 1 (leading zeros tolerated: "00.5"). */
    while (is_digit(s[i])) {
        int_part = int_part * 10u + (uint32_t)(s[i] - '0');
        if (int_part > 1)
            return -EINVAL;
        int_digits++;
        i++;
    }
    if (s[i] == '.') {
        i++;
        while (is_digit(s[i])) {
            if (++frac_digits > 4)
                return -EINVAL;
            frac = frac * 10u + (uint32_t)(s[i] - '0');
            i++;
        }
        if (frac_digits == 0)
            return -EINVAL; /* "1." or "." */
    }
    if (s[i] != '\0' || int_digits + frac_digits == 0)
        return -EINVAL;
    for (size_t k = frac_digits; k < 4; k++)
        frac *= 10u;
    uint32_t r = int_part * GMW_RATIO_ONE + frac;
    if (r == 0 || r > GMW_RATIO_ONE)
        return -EINVAL;
    *ratio_e4 = r;
    return 0;
}

void gmw_ratio_format(uint32_t ratio_e4, char *buf, size_t cap)
{
    uint32_t int_part = ratio_e4 / GMW_RATIO_ONE;
    uint32_t frac = ratio_e4 % GMW_RATIO_ONE;
    int width = 4;

    if (buf == NULL || cap == 0)
        return;
    if (frac == 0) {
        snprintf(buf, cap, "%" PRIu32, int_part);
        return;
    }
    while (frac % 10u == 0) {
        frac /= 10u;
        width--;
    }
    snprintf(buf, cap, "%" PRIu32 ".%0*" PRIu32, int_part, width, frac);
}

int64_t gmw_gomemlimit_from_limit(int64_t limit_bytes, uint32_t ratio_e4)
{
    if (limit_bytes <= 0)
        return 0;
    /* limit < 2^63 and ratio < 2^32: the product fits easily in 128 bits. */
    unsigned __int128 product = (unsigned __int128)(uint64_t)limit_bytes * ratio_e4;
    unsigned __int128 bytes = product / GMW_RATIO_ONE;
    if (bytes > (unsigned __int128)INT64_MAX)
        bytes = (unsigned __int128)INT64_MAX; /* only for ratios above 1 */
    int64_t b = (int64_t)bytes;
    return b - b % GMW_MIB;
}

void gmw_format_gomemlimit(int64_t bytes, char *buf, size_t cap)
{
    if (buf == NULL || cap == 0)
        return;
    snprintf(buf, cap, "%" PRId64 "MiB", bytes > 0 ? bytes / GMW_MIB : 0);
}

void gmw_format_mi(int64_t bytes, char *buf, size_t cap)
{
    if (buf == NULL || cap == 0)
        return;
    snprintf(buf, cap, "%" PRId64 "Mi", bytes > 0 ? bytes / GMW_MIB : 0);
}

/*
 * Go's runtime atoi64 on s[0..len): an optional '-', then only digits (none is
 * accepted: "-" and "" after the sign are 0), within int64. Returns false like Go.
 */
static bool go_atoi64(const char *s, size_t len, int64_t *out)
{
    bool neg = false;
    uint64_t un = 0;

    if (len == 0)
        return false;
    if (s[0] == '-') {
        neg = true;
        s++;
        len--;
    }
    for (size_t i = 0; i < len; i++) {
        if (!is_digit(s[i]))
            return false;
        if (un > UINT64_MAX / 10u)
            return false;
        un *= 10u;
        uint64_t un1 = un + (uint64_t)(s[i] - '0');
        if (un1 < un)
            return false;
        un = un1;
    }
    if (!neg && un > (uint64_t)INT64_MAX)
        return false;
    if (neg && un > (uint64_t)INT64_MAX + 1u)
        return false;
    if (neg)
        *out = un == (uint64_t)INT64_MAX + 1u ? INT64_MIN : -(int64_t)un;
    else
        *out = (int64_t)un;
    return true;
}

/* Go's runtime parseByteCount, line by line. */
static bool go_parse_byte_count(const char *s, int64_t *out)
{
    size_t len = strlen(s);
    int64_t n = 0;

    if (len == 0)
        return false;
    char last = s[len - 1];
    if (is_digit(last)) {
        if (!go_atoi64(s, len, &n) || n < 0)
            return false;
        *out = n;
        return true;
    }
    if (last != 'B' || len < 2)
        return false;
    char c = s[len - 2];
    if (is_digit(c)) {
        if (!go_atoi64(s, len - 1, &n) || n < 0)
            return false;
        *out = n;
        return true;
    }
    if (c != 'i' || len < 4)
        return false;
    int power;
    switch (s[len - 3]) {
    case 'K':
        power = 1;
        break;
    case 'M':
        power = 2;
        break;
    case 'G':
        power = 3;
        break;
    case 'T':
        power = 4;
        break;
    default:
        return false;
    }
    uint64_t m = (uint64_t)1 << (10 * power);
    if (!go_atoi64(s, len - 3, &n) || n < 0)
        return false;
    uint64_t un = (uint64_t)n;
    if (un > UINT64_MAX / m)
        return false;
    un *= m;
    if (un > (uint64_t)INT64_MAX)
        return false;
    *out = (int64_t)un;
    return true;
}

bool gmw_gomemlimit_parse(const char *s, int64_t *bytes)
{
    int64_t n = 0;

    if (s == NULL)
        return false;
    if (strcmp(s, "off") == 0) {
        n = INT64_MAX;
    } else if (!go_parse_byte_count(s, &n)) {
        return false;
    }
    if (bytes != NULL)
        *bytes = n;
    return true;
}

bool gmw_gogc_valid(const char *s)
{
    uint32_t v = 0;
    size_t i = 0;

    if (s == NULL)
        return false;
    if (strcmp(s, "off") == 0)
        return true;
    if (s[0] == '0')
        return false; /* "0", "0100": no zero, no leading zeros */
    for (; s[i] != '\0'; i++) {
        if (!is_digit(s[i]) || i >= 6)
            return false;
        v = v * 10u + (uint32_t)(s[i] - '0');
    }
    return i > 0 && v >= 1 && v <= 100000;
}

bool gmw_gogc_go_understands(const char *s)
{
    int64_t n = 0;

    if (s == NULL)
        return false;
    if (strcmp(s, "off") == 0)
        return true;
    /* readGOGC: atoi32, i.e. atoi64 then an int32 range check. */
    return go_atoi64(s, strlen(s), &n) && n >= INT32_MIN && n <= INT32_MAX;
}
