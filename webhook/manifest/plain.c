/*
 * plain.c - plain (unquoted) YAML scalars resolved as kubectl resolves them (go-yaml v2,
 * YAML 1.1 words and numbers), and the emitter's question: would a string written plain
 * read back as something else? (see manifest.h)
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "manifest.h"
static bool str_in(const char *s, size_t len, const char *const *list)
{
    for (; *list != NULL; list++) {
        if (strlen(*list) == len && memcmp(*list, s, len) == 0)
            return true;
    }
    return false;
}

static const char *const yaml_true_words[] = {"y",  "Y",  "yes",  "Yes",  "YES",  "on",
                                              "On", "ON", "true", "True", "TRUE", NULL};
static const char *const yaml_false_words[] = {"n",   "N",   "no",    "No",    "NO",    "off",
                                               "Off", "OFF", "false", "False", "FALSE", NULL};
static const char *const yaml_null_words[] = {"~", "null", "Null", "NULL", NULL};
static const char *const yaml_nonfinite_words[] = {".nan",  ".NaN",  ".NAN",  ".inf",  ".Inf",
                                                   ".INF",  "+.inf", "+.Inf", "+.INF", "-.inf",
                                                   "-.Inf", "-.INF", NULL};

static int digit_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return 99;
}

/*
 * Go's strconv.ParseInt(s, 0, 64) on s[0..len): optional sign, then 0x/0o/0b prefix,
 * a leading 0 (octal) or decimal digits. Returns 1 with *out, 0 when s is not an
 * integer of that grammar, -1 when it is one but does not fit int64.
 */
static int parse_go_int(const char *s, size_t len, int64_t *out)
{
    size_t i = 0;
    bool negative = false;
    unsigned base = 10;
    uint64_t mag = 0;
    const uint64_t limit_pos = (uint64_t)INT64_MAX;

    if (i < len && (s[i] == '+' || s[i] == '-')) {
        negative = s[i] == '-';
        i++;
    }
    if (i >= len)
        return 0;
    if (s[i] == '0' && i + 1 < len) {
        char p = s[i + 1];
        if (p == 'x' || p == 'X') {
            base = 16;
            i += 2;
        } else if (p == 'o' || p == 'O') {
            base = 8;
            i += 2;
        } else if (p == 'b' || p == 'B') {
            base = 2;
            i += 2;
        } else {
            base = 8;
            i += 1;
        }
        if (i >= len)
            return 0;
    }
    bool overflow = false;
    for (; i < len; i++) {
        int d = digit_value(s[i]);
        if (d >= (int)base)
            return 0;
        if (mag > (UINT64_MAX - (uint64_t)d) / base)
            overflow = true;
        else
            mag = mag * base + (uint64_t)d;
    }
    if (overflow || mag > limit_pos + (negative ? 1u : 0u))
        return -1;
    if (negative)
        *out = mag == limit_pos + 1u ? INT64_MIN : -(int64_t)mag;
    else
        *out = (int64_t)mag;
    return 1;
}

/* go-yaml's yamlStyleFloat: ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
static bool is_yaml_style_float(const char *s, size_t len)
{
    size_t i = 0, digits = 0;

    if (i < len && (s[i] == '+' || s[i] == '-'))
        i++;
    if (i < len && s[i] == '.') {
        i++;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            i++;
            digits++;
        }
        if (digits == 0)
            return false;
    } else {
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            i++;
            digits++;
        }
        if (digits == 0)
            return false;
        if (i < len && s[i] == '.') {
            i++;
            while (i < len && s[i] >= '0' && s[i] <= '9')
                i++;
        }
    }
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        size_t exp_digits = 0;
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-'))
            i++;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            i++;
            exp_digits++;
        }
        if (exp_digits == 0)
            return false;
    }
    return i == len;
}

/* The value of a plain scalar, or NULL: *why and *rc set for values JSON cannot carry,
 * only *rc (-ENOMEM) when out of memory. */
static json_t *resolve(const char *s, size_t len, const char **why, int *rc)
{
    char plain[128];
    size_t plen = 0;
    int64_t iv = 0;

    *why = NULL;
    if (len == 0 || str_in(s, len, yaml_null_words))
        return json_null();
    if (str_in(s, len, yaml_true_words))
        return json_true();
    if (str_in(s, len, yaml_false_words))
        return json_false();
    if (str_in(s, len, yaml_nonfinite_words)) {
        *why = "infinity and NaN cannot be represented in JSON";
        *rc = -EINVAL;
        return NULL;
    }
    char first = s[0];
    bool numeric_start = (first >= '0' && first <= '9') || first == '+' || first == '-';
    if (!numeric_start && first != '.')
        return json_stringn(s, len);
    /* go-yaml drops every '_' before parsing numbers that start with a digit or a sign
     * (not those starting with '.'); numbers are short, so anything longer than the
     * buffer is a string. */
    if (len >= sizeof plain)
        return json_stringn(s, len);
    for (size_t i = 0; i < len; i++) {
        if (s[i] != '_' || !numeric_start)
            plain[plen++] = s[i];
    }
    plain[plen] = '\0';
    if (numeric_start) {
        int r = parse_go_int(plain, plen, &iv);
        if (r == 1)
            return json_integer(iv);
        if (r == -1) {
            *why = "integer out of the 64-bit range";
            *rc = -ERANGE;
            return NULL;
        }
    }
    if (is_yaml_style_float(plain, plen)) {
        errno = 0;
        char *end = NULL;
        double d = strtod(plain, &end);
        if (end == plain + plen && !(errno == ERANGE && fabs(d) > 1.0)) {
            /* kubectl's JSON writes integral floats as integers (1e3 -> 1000). */
            if (d == floor(d) && fabs(d) <= 9007199254740992.0)
                return json_integer((json_int_t)d);
            return json_real(d);
        }
    }
    return json_stringn(s, len);
}

int gmw_yaml_resolve_plain(const char *s, size_t len, json_t **out, const char **why)
{
    int rc = -ENOMEM;

    *why = NULL;
    *out = resolve(s, len, why, &rc);
    return *out != NULL ? 0 : rc;
}

/* YAML 1.1 timestamps (PyYAML resolves them): starts with YYYY-M or YYYY-MM. */
static bool looks_like_timestamp(const char *s, size_t len)
{
    if (len < 6)
        return false;
    for (size_t i = 0; i < 4; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
    }
    return s[4] == '-' && s[5] >= '0' && s[5] <= '9';
}

/* YAML 1.1 sexagesimal numbers: [-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)? */
static bool looks_like_sexagesimal(const char *s, size_t len)
{
    size_t i = 0, groups = 0;

    if (i < len && (s[i] == '+' || s[i] == '-'))
        i++;
    if (i >= len || s[i] < '0' || s[i] > '9')
        return false;
    while (i < len && ((s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
        i++;
    while (i < len && s[i] == ':') {
        size_t d = 0;
        i++;
        while (i < len && s[i] >= '0' && s[i] <= '9' && d < 2) {
            i++;
            d++;
        }
        if (d == 0)
            return false;
        groups++;
    }
    if (groups == 0)
        return false;
    if (i < len && s[i] == '.') {
        i++;
        while (i < len && ((s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            i++;
    }
    return i == len;
}

/*
 * Conservatively "number-like": starts with a digit, sign or '.', and has only characters
 * that occur in YAML 1.1/1.2 numbers (digits, hex digits, prefixes, '_', '.', ':', signs
 * and exponents). Quoting such a string is always safe; missing one is not.
 */
static bool looks_numeric(const char *s, size_t len)
{
    if (len == 0 || !((s[0] >= '0' && s[0] <= '9') || s[0] == '+' || s[0] == '-' || s[0] == '.'))
        return false;
    for (size_t i = 0; i < len; i++) {
        if (strchr("0123456789abcdefABCDEFxXoO_+-.:", s[i]) == NULL || s[i] == '\0')
            return false;
    }
    return true;
}

bool gmw_yaml_plain_is_ambiguous(const char *s, size_t len)
{
    const char *why = NULL;
    int rc = 0;
    json_t *v = resolve(s, len, &why, &rc);
    bool ambiguous = v == NULL || !json_is_string(v); /* out of memory: quote, to be safe */

    json_decref(v);
    if (ambiguous)
        return true;
    if ((len == 2 && memcmp(s, "<<", 2) == 0) || (len == 1 && s[0] == '='))
        return true;
    return looks_numeric(s, len) || looks_like_timestamp(s, len) || looks_like_sexagesimal(s, len);
}
