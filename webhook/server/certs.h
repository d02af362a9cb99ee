/*
 * certs.h - certificate tooling with OpenSSL 3 (libcrypto only): generate a CA and a
 * serving certificate for the webhook Service, and check a certificate/key pair
 * before it is served.
 *
 * Serving TLS is GnuTLS's job (tlsstore.h); this module only produces and inspects
 * PEM. All functions are thread-safe and do no file I/O except gmw_certs_write_file.
 */
#ifndef GMW_CERTS_H
#define GMW_CERTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "compiler.h"

#define GMW_CERTS_ERR 256
#define GMW_CERTS_MAX_SANS 16

typedef enum { GMW_KEY_ECDSA_P256 = 0, GMW_KEY_RSA_2048 } gmw_key_type;

/* A PEM blob: malloc'd, NUL-terminated; len excludes the NUL. */
typedef struct {
    char *data;
    size_t len;
} gmw_pem;

/* Free p->data and zero *p (safe on a zeroed gmw_pem). */
void gmw_pem_free(gmw_pem *p);

/* Parse "ecdsa" or "rsa" into *type. Returns 0 or -EINVAL. */
GMW_MUST_CHECK int gmw_key_type_parse(const char *s, gmw_key_type *type);

/*
 * Generate a self-signed CA (CN = common_name, basicConstraints CA:TRUE pathlen:0,
 * keyUsage keyCertSign+cRLSign) valid from not_before to not_after (UNIX seconds).
 * On success returns 0 and fills *cert_pem and *key_pem (PKCS#8); the caller frees
 * both with gmw_pem_free. On failure returns, with a one-line message in err: -EINVAL
 * (bad arguments, e.g. not_after <= not_before), -ENOMEM, or -EIO (OpenSSL failed to
 * generate, sign or encode; its reason is in the message).
 */
GMW_MUST_CHECK int gmw_certs_make_ca(const char *common_name, gmw_key_type type, time_t not_before,
                                     time_t not_after, gmw_pem *cert_pem, gmw_pem *key_pem,
                                     char *err, size_t errcap);

/*
 * Generate a serving certificate signed by the CA (PEM cert + key), CN = dns_names[0],
 * SANs = every name in dns_names (1..GMW_CERTS_MAX_SANS), extendedKeyUsage
 * serverAuth, keyUsage digitalSignature (+keyEncipherment for RSA). Same ownership
 * and error convention as gmw_certs_make_ca; a CA that does not parse or whose key does
 * not match is -EINVAL.
 */
GMW_MUST_CHECK int gmw_certs_make_serving(const char *const *dns_names, size_t n_names,
                                          gmw_key_type type, time_t not_before, time_t not_after,
                                          const char *ca_cert_pem, const char *ca_key_pem,
                                          gmw_pem *cert_pem, gmw_pem *key_pem, char *err,
                                          size_t errcap);

/*
 * The four names a Service gets: <svc>, <svc>.<ns>, <svc>.<ns>.svc,
 * <svc>.<ns>.svc.cluster.local, written into names[4][cap]. Returns 0, or -EINVAL
 * when svc/ns are not DNS-1123 labels or a name does not fit.
 */
GMW_MUST_CHECK int gmw_certs_service_names(const char *svc, const char *ns, char names[4][256]);

/* What gmw_certs_check found out about a certificate. */
typedef struct {
    int64_t not_before; /* UNIX seconds */
    int64_t not_after;  /* UNIX seconds */
    char serial[80];    /* hex, upper case */
    char sha256[100];   /* colon-separated hex of the DER, upper case */
    char subject[256];  /* one-line RFC 2253 subject */
    size_t dns_count;   /* number of DNS SANs (may exceed the array) */
    char dns[GMW_CERTS_MAX_SANS][256];
    size_t ip_count; /* number of IP SANs */
} gmw_cert_info;

/*
 * Check a serving pair: cert_pem (the first certificate is the leaf; more may follow)
 * parses, key_pem parses and matches the leaf's public key, now lies within
 * [notBefore, notAfter], and the leaf has at least one DNS or IP subjectAltName.
 * Optional: if ca_pem is not NULL the leaf must verify against it (with any
 * intermediates from cert_pem); if host is not NULL the leaf must be valid for it.
 * Fills *info (if not NULL) whenever the leaf parses, even if a later check fails.
 * Returns 0, or with a one-line reason in err: -EINVAL (the pair fails a check),
 * -EFBIG (an input over 2 GiB) or -ENOMEM.
 */
GMW_MUST_CHECK int gmw_certs_check(const char *cert_pem, size_t cert_len, const char *key_pem,
                                   size_t key_len, const char *ca_pem, size_t ca_len,
                                   const char *host, time_t now, gmw_cert_info *info, char *err,
                                   size_t errcap);

/*
 * Write data[0..len) to path atomically (a temporary file in the same directory,
 * fsync, rename) with the given mode. Returns 0 or -errno.
 */
GMW_MUST_CHECK int gmw_certs_write_file(const char *path, const void *data, size_t len,
                                        unsigned mode);

/*
 * Read at most max bytes of the file at path into a gmw_pem (NUL-terminated).
 * Returns 0, -EFBIG when larger than max, or -errno.
 */
int gmw_certs_read_file(const char *path, size_t max, gmw_pem *out);

#endif
