/*
 * utf8.h - strict UTF-8: the one decoder of the JSON hot path (jsonload, jsonwrite).
 *
 * Accepts exactly what jansson's utf8_check_full accepts: no overlong forms, no surrogates
 * (U+D800..U+DFFF), nothing above U+10FFFF. Inline, as both callers run it per byte of a
 * review. Pure, no state.
 */
#ifndef GMW_UTF8_H
#define GMW_UTF8_H

#include <stddef.h>
#include <stdint.h>

/*
 * Length (2..4) of the valid multi-byte UTF-8 sequence at p, reading no further than end
 * (p < end), or 0 when the bytes at p are not one (an ASCII byte included).
 */
static inline size_t gmw_utf8_seq(const unsigned char *p, const unsigned char *end)
{
    unsigned char c = p[0];
    size_t n;
    uint32_t v;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2, v = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3, v = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4, v = c & 0x07;
    else
        return 0;
    if ((size_t)(end - p) < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if (p[i] < 0x80 || p[i] > 0xBF)
            return 0;
        v = (v << 6) | (p[i] & 0x3F);
    }
    if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF) || (n == 3 && v < 0x800) ||
        (n == 4 && v < 0x10000))
        return 0;
    return n;
}

#endif
