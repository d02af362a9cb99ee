/*
 * fuzz_quantity.c - Kubernetes quantities (quantity.h).
 *
 * Invariants: the two entry points agree (gmw_quantity_parse on the bytes vs
 * gmw_quantity_parse_cstr on a NUL-terminated copy, up to the first NUL); the status is one
 * of the enum; on error *out is untouched; a value is >= 0 and its decimal form parses back
 * to itself; a value v that parses means "<v>" and "<v>.0" are equal quantities; every
 * status has a description.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "quantity.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    const char *s = (const char *)data;
    const int64_t sentinel = INT64_C(-777);
    int64_t a = sentinel, b = sentinel;

    /* exact-length buffer (ASan catches reads past len) */
    gmw_qty_status sa = gmw_quantity_parse(s, size, &a);
    FUZZ_CHECK(sa >= GMW_QTY_OK && sa <= GMW_QTY_OVERFLOW, "status %d", (int)sa);
    FUZZ_CHECK(gmw_qty_strerror(sa) != NULL && gmw_qty_strerror(sa)[0] != '\0', "strerror");
    if (sa != GMW_QTY_OK)
        FUZZ_CHECK(a == sentinel, "*out written on error %d", (int)sa);
    else
        FUZZ_CHECK(a >= 0, "negative value %" PRId64, a);

    /* the C-string entry point on the same text up to the first NUL */
    size_t clen = strnlen(s, size);
    char *c = malloc(clen + 1);
    if (c == NULL)
        return 0;
    memcpy(c, s, clen);
    c[clen] = '\0';
    int64_t a2 = sentinel;
    gmw_qty_status sa2 = gmw_quantity_parse(s, clen, &a2);
    gmw_qty_status sb = gmw_quantity_parse_cstr(c, &b);
    FUZZ_CHECK(sa2 == sb, "entry points disagree on \"%s\": %d vs %d", c, (int)sa2, (int)sb);
    FUZZ_CHECK(a2 == b, "entry points disagree on \"%s\": %" PRId64 " vs %" PRId64, c, a2, b);
    if (clen == size)
        FUZZ_CHECK(sa == sb && a == b, "NUL-free input: entry points disagree");
    free(c);

    if (sa == GMW_QTY_OK) {
        char buf[48];
        int64_t v = sentinel, w = sentinel;
        snprintf(buf, sizeof buf, "%" PRId64, a);
        FUZZ_CHECK(gmw_quantity_parse_cstr(buf, &v) == GMW_QTY_OK && v == a,
                   "decimal round trip of %" PRId64 " gave %" PRId64, a, v);
        snprintf(buf, sizeof buf, "%" PRId64 ".0", a);
        FUZZ_CHECK(gmw_quantity_parse_cstr(buf, &w) == GMW_QTY_OK && w == a, "%s", buf);
    }
    return 0;
}
