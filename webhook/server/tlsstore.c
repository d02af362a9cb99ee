/*
 * tlsstore.c - process-wide serving certificate for the GnuTLS callback; see tlsstore.h.
 */
#include "tlsstore.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define GMW_TLS_MAX_CHAIN 8

/* One generation of the served pair. Immutable once published; freed at refs == 0. */
typedef struct {
    atomic_int refs;
    gnutls_datum_t cert; /* PEM, NUL-terminated; size excludes the NUL */
    gnutls_datum_t key;
} tls_generation;

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static tls_generation *g_current; /* guarded by g_lock; holds one reference */

static void generation_release(tls_generation *g)
{
    if (g == NULL || atomic_fetch_sub(&g->refs, 1) != 1)
        return;
    if (g->key.data != NULL)
        memset(g->key.data, 0, g->key.size);
    free(g->cert.data);
    free(g->key.data);
    free(g);
}

static tls_generation *generation_acquire(void)
{
    pthread_mutex_lock(&g_lock);
    tls_generation *g = g_current;
    if (g != NULL)
        atomic_fetch_add(&g->refs, 1);
    pthread_mutex_unlock(&g_lock);
    return g;
}

/*
 * Import the pair with GnuTLS into fresh objects. On success returns 0 with a
 * gnutls_malloc'd array of *n pcerts and a new privkey (the caller owns them: deinit
 * each pcert, gnutls_free the array, gnutls_privkey_deinit the key).
 */
static int import_pair(const gnutls_datum_t *cert, const gnutls_datum_t *key,
                       gnutls_pcert_st **pcerts_out, unsigned *n_out, gnutls_privkey_t *key_out,
                       char *err, size_t errcap)
{
    unsigned n = GMW_TLS_MAX_CHAIN;
    gnutls_pcert_st *pcerts = gnutls_malloc(sizeof *pcerts * GMW_TLS_MAX_CHAIN);
    gnutls_privkey_t pk = NULL;
    if (pcerts == NULL) {
        snprintf(err, errcap, "out of memory");
        return -ENOMEM;
    }
    int r = gnutls_pcert_list_import_x509_raw(pcerts, &n, cert, GNUTLS_X509_FMT_PEM, 0);
    if (r < 0) {
        snprintf(err, errcap, "GnuTLS cannot import the certificate: %s", gnutls_strerror(r));
        gnutls_free(pcerts);
        return r == GNUTLS_E_MEMORY_ERROR ? -ENOMEM : -EINVAL;
    }
    r = gnutls_privkey_init(&pk);
    if (r >= 0)
        r = gnutls_privkey_import_x509_raw(pk, key, GNUTLS_X509_FMT_PEM, NULL, 0);
    if (r < 0) {
        snprintf(err, errcap, "GnuTLS cannot import the key: %s", gnutls_strerror(r));
        if (pk != NULL)
            gnutls_privkey_deinit(pk);
        for (unsigned i = 0; i < n; i++)
            gnutls_pcert_deinit(&pcerts[i]);
        gnutls_free(pcerts);
        return r == GNUTLS_E_MEMORY_ERROR ? -ENOMEM : -EINVAL;
    }
    *pcerts_out = pcerts;
    *n_out = n;
    *key_out = pk;
    return 0;
}

static void free_imported(gnutls_pcert_st *pcerts, unsigned n, gnutls_privkey_t pk)
{
    for (unsigned i = 0; i < n; i++)
        gnutls_pcert_deinit(&pcerts[i]);
    gnutls_free(pcerts);
    gnutls_privkey_deinit(pk);
}

static int dup_datum(gnutls_datum_t *d, const char *data, size_t len)
{
    d->data = malloc(len + 1);
    if (d->data == NULL)
        return -ENOMEM;
    memcpy(d->data, data, len);
    d->data[len] = '\0';
    d->size = (unsigned)len;
    return 0;
}

int gmw_tlsstore_set(const char *cert_pem, size_t cert_len, const char *key_pem, size_t key_len,
                     gmw_cert_info *info, char *err, size_t errcap)
{
    gmw_cert_info local;
    tls_generation *g = NULL;
    if (info == NULL)
        info = &local;
    if (cert_len > GMW_TLS_FILE_MAX || key_len > GMW_TLS_FILE_MAX) {
        snprintf(err, errcap, "certificate or key larger than %d bytes", GMW_TLS_FILE_MAX);
        return -EFBIG;
    }
    if (gmw_certs_check(cert_pem, cert_len, key_pem, key_len, NULL, 0, NULL, time(NULL), info, err,
                        errcap) != 0)
        return -EINVAL; /* certs.h: -1 and the reason (a bad pair, or OpenSSL out of memory) */
    int rc = -ENOMEM;
    g = calloc(1, sizeof *g);
    if (g == NULL || dup_datum(&g->cert, cert_pem, cert_len) != 0 ||
        dup_datum(&g->key, key_pem, key_len) != 0) {
        snprintf(err, errcap, "out of memory");
        goto fail;
    }
    atomic_init(&g->refs, 1);
    gnutls_pcert_st *pcerts = NULL;
    unsigned n = 0;
    gnutls_privkey_t pk = NULL;
    rc = import_pair(&g->cert, &g->key, &pcerts, &n, &pk, err, errcap);
    if (rc != 0)
        goto fail;
    free_imported(pcerts, n, pk);

    pthread_mutex_lock(&g_lock);
    tls_generation *old = g_current;
    g_current = g;
    pthread_mutex_unlock(&g_lock);
    generation_release(old);
    return 0;
fail:
    if (g != NULL) {
        free(g->cert.data);
        free(g->key.data);
        free(g);
    }
    return rc;
}

int gmw_tlsstore_load(const char *cert_path, const char *key_path, gmw_cert_info *info, char *err,
                      size_t errcap)
{
    gmw_pem cert = {NULL, 0}, key = {NULL, 0};
    int rc = gmw_certs_read_file(cert_path, GMW_TLS_FILE_MAX, &cert);
    if (rc != 0) {
        snprintf(err, errcap, "%s: %s", cert_path, strerror(-rc));
        return rc;
    }
    rc = gmw_certs_read_file(key_path, GMW_TLS_FILE_MAX, &key);
    if (rc != 0) {
        snprintf(err, errcap, "%s: %s", key_path, strerror(-rc));
        gmw_pem_free(&cert);
        return rc;
    }
    rc = gmw_tlsstore_set(cert.data, cert.len, key.data, key.len, info, err, errcap);
    if (key.data != NULL)
        memset(key.data, 0, key.len);
    gmw_pem_free(&cert);
    gmw_pem_free(&key);
    return rc;
}

bool gmw_tlsstore_loaded(void)
{
    pthread_mutex_lock(&g_lock);
    bool loaded = g_current != NULL;
    pthread_mutex_unlock(&g_lock);
    return loaded;
}

void gmw_tlsstore_clear(void)
{
    pthread_mutex_lock(&g_lock);
    tls_generation *old = g_current;
    g_current = NULL;
    pthread_mutex_unlock(&g_lock);
    generation_release(old);
}

int gmw_tlsstore_retrieve(gnutls_session_t session, const struct gnutls_cert_retr_st *info,
                          gnutls_pcert_st **certs, unsigned int *certs_length,
                          gnutls_ocsp_data_st **ocsp, unsigned int *ocsp_length,
                          gnutls_privkey_t *privkey, unsigned int *flags)
{
    (void)session;
    (void)info;
    char err[256];
    tls_generation *g = generation_acquire();
    if (g == NULL)
        return -1;
    gnutls_pcert_st *pcerts = NULL;
    unsigned n = 0;
    gnutls_privkey_t pk = NULL;
    int rc = import_pair(&g->cert, &g->key, &pcerts, &n, &pk, err, sizeof err);
    generation_release(g);
    if (rc != 0)
        return -1;
    *certs = pcerts;
    *certs_length = n;
    *privkey = pk;
    if (ocsp != NULL)
        *ocsp = NULL;
    if (ocsp_length != NULL)
        *ocsp_length = 0;
    *flags = GNUTLS_CERT_RETR_DEINIT_ALL;
    return 0;
}
