/*
 * tlsstore.h - the serving certificate and key handed to GnuTLS on every handshake.
 *
 * libmicrohttpd serves TLS with GnuTLS; MHD_OPTION_HTTPS_CERT_CALLBACK2 registers
 * gmw_tlsstore_retrieve, which GnuTLS calls during each handshake. The callback has
 * no closure argument, so the store is process-wide state: the PEM bytes of the
 * current pair, reference-counted and swapped under a mutex. Each handshake imports
 * fresh GnuTLS objects from those bytes and sets GNUTLS_CERT_RETR_DEINIT_ALL, so
 * GnuTLS frees them when the session ends: a rotation never frees anything a live
 * session still uses, and new connections get the new pair at once.
 */
#ifndef GMW_TLSSTORE_H
#define GMW_TLSSTORE_H

#include <stdbool.h>
#include <stddef.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>

#include "certs.h"

#include "compiler.h" /* GMW_MUST_CHECK */

#define GMW_TLS_FILE_MAX (1024 * 1024) /* largest certificate or key file accepted */

/*
 * Read cert_path and key_path, check the pair (gmw_certs_check: key matches, valid
 * now, has SANs; and GnuTLS can import both), and if good make it the served pair.
 * Returns 0 and fills *info (if not NULL); on any failure returns -errno with a reason
 * in err and the previously served pair (if any) stays in place: the file's errno
 * (-ENOENT, -EACCES, -EFBIG over GMW_TLS_FILE_MAX...), -EINVAL for a bad pair, -ENOMEM.
 */
GMW_MUST_CHECK int gmw_tlsstore_load(const char *cert_path, const char *key_path,
                                     gmw_cert_info *info, char *err, size_t errcap);

/* Same as gmw_tlsstore_load for PEM bytes already in memory (copied). */
GMW_MUST_CHECK int gmw_tlsstore_set(const char *cert_pem, size_t cert_len, const char *key_pem,
                                    size_t key_len, gmw_cert_info *info, char *err, size_t errcap);

/* Is a pair loaded? */
bool gmw_tlsstore_loaded(void);

/* Drop the served pair (at exit, after the daemon has stopped). */
void gmw_tlsstore_clear(void);

/*
 * The gnutls_certificate_retrieve_function3 for MHD_OPTION_HTTPS_CERT_CALLBACK2: GnuTLS's
 * contract (0, or -1 to fail the handshake), not ours.
 */
int gmw_tlsstore_retrieve(gnutls_session_t session, const struct gnutls_cert_retr_st *info,
                          gnutls_pcert_st **certs, unsigned int *certs_length,
                          gnutls_ocsp_data_st **ocsp, unsigned int *ocsp_length,
                          gnutls_privkey_t *privkey, unsigned int *flags);

#endif
