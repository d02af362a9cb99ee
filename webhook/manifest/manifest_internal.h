/*
 * manifest_internal.h - what the files of webhook/manifest share and nobody else uses.
 */
#ifndef GMW_MANIFEST_INTERNAL_H
#define GMW_MANIFEST_INTERNAL_H

#include <stddef.h>

/* The first position at or after pos in buf[0..len) that is not JSON whitespace. */
size_t gmw_manifest_skip_blank(const char *buf, size_t len, size_t pos);

#endif
