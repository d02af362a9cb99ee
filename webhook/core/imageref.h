/*
 * imageref.h - syntax of a container image reference, as the kubelet and container
 * runtimes accept it (the distribution/reference grammar, digest limited to sha256):
 *
 *   reference := [ registry "/" ] path [ ":" tag ] [ "@sha256:" 64 lower-case hex ]
 *   registry  := host [ ":" port ]   host: DNS labels ([A-Za-z0-9-], dot-separated)
 *                                    or "[" IPv6 "]"; port: 1..5 digits
 *   path      := component ( "/" component )*
 *   component := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
 *   tag       := [A-Za-z0-9_] [A-Za-z0-9_.-]{0,127}
 *
 * The first "/"-separated part is the registry when it contains "." or ":", is
 * "localhost", or has an upper-case letter (as Docker decides); otherwise it is the
 * first path component. Whitespace, control and non-ASCII characters are never valid.
 *
 * Pure: no I/O.
 */
#ifndef GMW_IMAGEREF_H
#define GMW_IMAGEREF_H

#include "compiler.h"

/*
 * Check ref. Returns 0, or -EINVAL with *why (if why is not NULL) set to a static
 * one-line reason such as "contains whitespace or a control character".
 */
GMW_MUST_CHECK int gmw_image_ref_check(const char *ref, const char **why);

#endif
