/*
 * quantity.c - Kubernetes resource quantities, parsed exactly.
 *
 * The scanner follows apimachinery's parseQuantityString() step by step (optional
 * sign, leading zeros, integer digits, optional "." and fraction digits, then a
 * suffix made of letters from "eEinumkKMGTP", an optional sign and digits), and the
 * suffix is interpreted like suffixHandler.interpret(). That is why the upstream
 * quirks hold here too: "Mi", "+", "." and "e3" are 0, "1." and "1.G" are valid.
 *
 * The value is then computed without floating point. The digits form an integer S
 * (leading and trailing zeros dropped), so that value = S x 10^e10 x 2^e2, where e10
 * comes from the fraction length and the decimal suffix or exponent, and e2 from a
 * binary suffix (0..60). Value() rounds up, so the answer is ceil(value):
 *
 *   - more than 19 integer digits: >= 10^19 > 2^63, overflow;
 *   - e10 >= 0: S x 10^e10 < 10^19 fits 64 bits; multiply by 2^e2 in 128 bits;
 *   - e10 < 0: integer part H (<= 19 digits) x 2^e2 plus ceil(F x 2^e2) for the
 *     fraction F, computed by one right-to-left pass over the fraction digits that
 *     multiplies them by 2^e2 (the carry out of the first digit is floor(F x 2^e2),
 *     any non-zero digit left behind means the ceiling adds one).
 *
 * The pass is linear in the input and needs no memory, so digit strings of any
 * length are exact. Exponents are parsed with overflow checks and clamped far
 * outside the meaningful range, so huge exponents cannot cause integer overflow.
 */
#include "quantity.h"

#include <stdbool.h>
#include <string.h>

/* Exponents beyond this magnitude are equivalent for our purposes (clamped). */
#define EXP_CLAMP ((int64_t)1 << 60)

/* One scanned quantity: spans into the input plus the interpreted suffix. */
typedef struct {
    bool negative;
    bool any_digit;         /* the number part has at least one digit (incl. stripped zeros) */
    const char *int_digits; /* integer digits (may be empty) */
    size_t int_len;
    const char *frac_digits; /* fraction digits (may be empty) */
    size_t frac_len;
    int64_t e10; /* decimal exponent of the suffix (clamped) */
    int e2;      /* binary exponent of the suffix, 0..60 */
} scanned_quantity;

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_suffix_letter(char c)
{
    return c != '\0' && strchr("eEinumkKMGTP", c) != NULL;
}

/*
 * Parse a signed decimal integer the way Go's strconv.ParseInt(s, 10, 64) does
 * (optional '+' or '-', at least one digit, must fit int64), then clamp it to
 * +-EXP_CLAMP. Returns false when ParseInt would fail.
 */
static bool parse_exponent(const char *s, size_t len, int64_t *out)
{
    size_t i = 0;
    bool neg = false;
    uint64_t mag = 0;
    const uint64_t limit_pos = (uint64_t)INT64_MAX;
    const uint64_t limit_neg = (uint64_t)INT64_MAX + 1u;

    if (i < len && (s[i] == '+' || s[i] == '-')) {
        neg = s[i] == '-';
        i++;
    }
    if (i == len)
        return false;
    for (; i < len; i++) {
        if (!is_digit(s[i]))
            return false;
        unsigned d = (unsigned)(s[i] - '0');
        if (mag > (limit_neg - d) / 10u)
            return false;
        mag = mag * 10u + d;
    }
    if (!neg && mag > limit_pos)
        return false;
    if (mag > (uint64_t)EXP_CLAMP)
        mag = (uint64_t)EXP_CLAMP;
    *out = neg ? -(int64_t)mag : (int64_t)mag;
    return true;
}

/*
 * Interpret a suffix like suffixHandler.interpret(): the decimal SI table, the
 * binary SI table, then "e"/"E" followed by a ParseInt-able exponent.
 */
static gmw_qty_status interpret_suffix(const char *s, size_t len, scanned_quantity *q)
{
    static const struct {
        const char *name;
        int e10;
        int e2;
    } table[] = {
        {"", 0, 0},    {"n", -9, 0},  {"u", -6, 0},  {"m", -3, 0},  {"k", 3, 0},   {"M", 6, 0},
        {"G", 9, 0},   {"T", 12, 0},  {"P", 15, 0},  {"E", 18, 0},  {"Ki", 0, 10}, {"Mi", 0, 20},
        {"Gi", 0, 30}, {"Ti", 0, 40}, {"Pi", 0, 50}, {"Ei", 0, 60},
    };

    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        if (strlen(table[i].name) == len && memcmp(table[i].name, s, len) == 0) {
            q->e10 = table[i].e10;
            q->e2 = table[i].e2;
            return GMW_QTY_OK;
        }
    }
    if (len > 1 && (s[0] == 'e' || s[0] == 'E')) {
        int64_t exp = 0;
        if (!parse_exponent(s + 1, len - 1, &exp))
            return GMW_QTY_SUFFIX;
        q->e10 = exp;
        q->e2 = 0;
        return GMW_QTY_OK;
    }
    return GMW_QTY_SUFFIX;
}

/* The scanner of parseQuantityString(), returning spans instead of substrings. */
static gmw_qty_status scan_quantity(const char *s, size_t len, scanned_quantity *q)
{
    size_t pos = 0;

    memset(q, 0, sizeof *q);
    if (pos < len && (s[pos] == '+' || s[pos] == '-')) {
        q->negative = s[pos] == '-';
        pos++;
    }
    /* Leading zeros; a string that is only zeros (or only a sign) is 0. */
    while (pos < len && s[pos] == '0') {
        q->any_digit = true;
        pos++;
    }
    if (pos == len)
        return GMW_QTY_OK;

    q->int_digits = s + pos;
    while (pos < len && is_digit(s[pos]))
        pos++;
    q->int_len = (size_t)(s + pos - q->int_digits);

    if (pos < len && s[pos] == '.') {
        pos++;
        q->frac_digits = s + pos;
        while (pos < len && is_digit(s[pos]))
            pos++;
        q->frac_len = (size_t)(s + pos - q->frac_digits);
    }

    size_t suffix_start = pos;
    while (pos < len && is_suffix_letter(s[pos]))
        pos++;
    if (pos < len && (s[pos] == '+' || s[pos] == '-'))
        pos++;
    while (pos < len && is_digit(s[pos]))
        pos++;
    if (pos != len)
        return GMW_QTY_SYNTAX; /* something after the suffix's digits */
    if (q->int_len + q->frac_len > 0)
        q->any_digit = true;
    gmw_qty_status st = interpret_suffix(s + suffix_start, len - suffix_start, q);
    /*
     * Upstream takes its exact (inf.Dec) path for scales below 10^-9, and that path
     * needs at least one digit: ".e-10" or "e-10" are ErrNumeric there, while "e-9",
     * "e3" or "Mi" take the int64 path and are 0.
     */
    if (st == GMW_QTY_OK && !q->any_digit && q->e10 < -9)
        return GMW_QTY_SYNTAX;
    return st;
}

/* Digit j (0-based) of the concatenation int_digits ++ frac_digits. */
static unsigned digit_at(const scanned_quantity *q, size_t j)
{
    char c = j < q->int_len ? q->int_digits[j] : q->frac_digits[j - q->int_len];
    return (unsigned)(c - '0');
}

gmw_qty_status gmw_quantity_parse(const char *s, size_t len, int64_t *out)
{
    scanned_quantity q;
    gmw_qty_status st;

    if (s == NULL || len == 0)
        return GMW_QTY_EMPTY;
    st = scan_quantity(s, len, &q);
    if (st != GMW_QTY_OK)
        return st;

    /* Significant digits: [first, last] of int ++ frac, both non-zero. */
    size_t n_all = q.int_len + q.frac_len;
    size_t first = 0;
    while (first < n_all && digit_at(&q, first) == 0)
        first++;
    if (first == n_all) {
        *out = 0; /* zero, whatever the sign, suffix or exponent */
        return GMW_QTY_OK;
    }
    if (q.negative)
        return GMW_QTY_NEGATIVE;
    size_t last = n_all - 1;
    while (digit_at(&q, last) == 0)
        last--;

    /* value = S x 10^e10 x 2^e2 with S = digits[first..last]; mag = digits of floor. */
    int64_t ndigits = (int64_t)(last - first + 1);
    int64_t e10 = q.e10 - (int64_t)q.frac_len + (int64_t)(n_all - 1 - last);
    int64_t mag = ndigits + e10;
    const int e2 = q.e2;

    if (mag > 19)
        return GMW_QTY_OVERFLOW; /* >= 10^19 > 2^63 */
    if (mag <= -19) {
        *out = 1; /* < 10^-19 x 2^60 < 1, rounded up */
        return GMW_QTY_OK;
    }

    unsigned __int128 total;
    if (e10 >= 0) {
        uint64_t v = 0;
        for (size_t j = first; j <= last; j++)
            v = v * 10u + digit_at(&q, j);
        for (int64_t k = 0; k < e10; k++)
            v *= 10u; /* stays < 10^19 because mag <= 19 */
        total = (unsigned __int128)v << e2;
    } else {
        /* Integer part: the first mag digits of S (none if mag <= 0). */
        size_t int_count = mag > 0 ? (size_t)mag : 0;
        uint64_t h = 0;
        for (size_t j = first; j < first + int_count; j++)
            h = h * 10u + digit_at(&q, j);

        /* Fraction digits, right to left, times 2^e2; then the implicit zeros. */
        uint64_t carry = 0;
        bool rest_nonzero = false;
        const uint64_t mult = (uint64_t)1 << e2;
        for (size_t j = last + 1; j > first + int_count; j--) {
            uint64_t t = (uint64_t)digit_at(&q, j - 1) * mult + carry; /* < 10 x 2^60 */
            if (t % 10u != 0)
                rest_nonzero = true;
            carry = t / 10u;
        }
        for (int64_t z = mag; z < 0; z++) {
            if (carry % 10u != 0)
                rest_nonzero = true;
            carry /= 10u;
        }
        total = ((unsigned __int128)h << e2) + carry + (rest_nonzero ? 1u : 0u);
    }
    if (total > (unsigned __int128)INT64_MAX)
        return GMW_QTY_OVERFLOW;
    *out = (int64_t)total;
    return GMW_QTY_OK;
}

gmw_qty_status gmw_quantity_parse_cstr(const char *s, int64_t *out)
{
    if (s == NULL)
        return GMW_QTY_EMPTY;
    return gmw_quantity_parse(s, strlen(s), out);
}

const char *gmw_qty_strerror(gmw_qty_status st)
{
    switch (st) {
    case GMW_QTY_OK:
        return "ok";
    case GMW_QTY_EMPTY:
        return "empty quantity";
    case GMW_QTY_SYNTAX:
        return "not a Kubernetes quantity";
    case GMW_QTY_SUFFIX:
        return "unknown quantity suffix (use Ki, Mi, Gi, k, M, G or e<n>)";
    case GMW_QTY_NEGATIVE:
        return "negative quantity";
    case GMW_QTY_OVERFLOW:
        return "quantity too large (2^63 bytes or more)";
    }
    return "invalid quantity";
}
