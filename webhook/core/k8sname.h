/*
 * k8sname.h - Kubernetes object-name syntax (RFC 1123 DNS labels), the one check
 * used for container names in annotations, namespace names in the config and the
 * Service/namespace given to `certs`.
 *
 * Pure: no I/O, no allocation.
 */
#ifndef GMW_K8SNAME_H
#define GMW_K8SNAME_H

#include <stdbool.h>
#include <stddef.h>

/* Longest DNS-1123 label (characters). */
#define GMW_DNS1123_LABEL_MAX 63

/*
 * Is s[0..len) an RFC 1123 label as Kubernetes defines it: 1..63 characters of
 * [a-z0-9-], starting and ending with [a-z0-9]? s need not be NUL-terminated; a NUL
 * byte inside the range makes it invalid.
 */
bool gmw_dns1123_label_valid(const char *s, size_t len);

#endif
