/*
 * sanitize.c - printable echoes of untrusted text (see sanitize.h).
 */
#include "sanitize.h"

#include <string.h>

/* Copy n bytes, each printable ASCII byte as itself and every other one as '?'. */
static void copy_printable(char *dst, const char *src, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)src[i];
        dst[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
}

char *gmw_sanitize(char *dst, size_t cap, const char *src, size_t maxlen)
{
    if (cap == 0)
        return dst;
    if (src == NULL)
        src = "";
    size_t srclen = strlen(src);
    size_t limit = maxlen < cap - 1 ? maxlen : cap - 1;
    int cut = srclen > limit;
    if (cut && limit < 3)
        cut = 0; /* no room for the ellipsis: plain truncation */
    size_t keep = cut ? limit - 3 : (srclen < limit ? srclen : limit);
    copy_printable(dst, src, keep);
    if (cut)
        memcpy(dst + keep, "...", 3);
    dst[keep + (cut ? 3 : 0)] = '\0';
    return dst;
}

char *gmw_sanitize_prefix(char *dst, size_t cap, const char *src, size_t len, size_t keep)
{
    size_t w = len < keep ? len : keep;

    if (cap == 0)
        return dst;
    if (cap < 4)
        w = 0;
    else if (w > cap - 4)
        w = cap - 4;
    copy_printable(dst, src, w);
    if (len > keep && w + 4 < cap) {
        memcpy(dst + w, "...", 3);
        w += 3;
    }
    dst[w] = '\0';
    return dst;
}
