/*
 * certs.c - CA and serving certificate generation and pair checks with OpenSSL 3;
 * see certs.h. Only non-deprecated OpenSSL 3 APIs are used.
 */
#include "certs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "k8sname.h"
#include "readfile.h"

void gmw_pem_free(gmw_pem *p)
{
    free(p->data);
    p->data = NULL;
    p->len = 0;
}

int gmw_key_type_parse(const char *s, gmw_key_type *type)
{
    if (strcmp(s, "ecdsa") == 0 || strcmp(s, "ecdsa-p256") == 0)
        *type = GMW_KEY_ECDSA_P256;
    else if (strcmp(s, "rsa") == 0 || strcmp(s, "rsa-2048") == 0)
        *type = GMW_KEY_RSA_2048;
    else
        return -EINVAL;
    return 0;
}

/* Write "what: <openssl reason>" into err and clear OpenSSL's error queue. */
static void ssl_error(char *err, size_t errcap, const char *what)
{
    unsigned long e = ERR_get_error();
    char reason[160] = "";
    if (e != 0)
        ERR_error_string_n(e, reason, sizeof reason);
    if (reason[0] != '\0')
        snprintf(err, errcap, "%s: %s", what, reason);
    else
        snprintf(err, errcap, "%s", what);
    ERR_clear_error();
}

/* Never prompt for a passphrase: encrypted keys are an error. */
static int no_password(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return -1;
}

static EVP_PKEY *generate_key(gmw_key_type type)
{
    if (type == GMW_KEY_RSA_2048)
        return EVP_RSA_gen(2048);
    return EVP_EC_gen("P-256");
}

/* Copy the contents of a memory BIO into a new gmw_pem. Returns 0 or -1. */
static int bio_to_pem(BIO *bio, gmw_pem *out)
{
    char *data = NULL;
    long n = BIO_get_mem_data(bio, &data);
    if (n <= 0)
        return -1;
    out->data = malloc((size_t)n + 1);
    if (out->data == NULL)
        return -1;
    memcpy(out->data, data, (size_t)n);
    out->data[n] = '\0';
    out->len = (size_t)n;
    return 0;
}

static int add_ext(X509 *cert, X509V3_CTX *ctx, int nid, const char *value)
{
    X509_EXTENSION *ext = X509V3_EXT_nconf_nid(NULL, ctx, nid, value);
    if (ext == NULL)
        return -1;
    int ok = X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    return ok == 1 ? 0 : -1;
}

/*
 * Build and sign a certificate for `key` with subject CN=cn, issued by issuer (NULL
 * for self-signed) and signed with sign_key. exts is a NULL-terminated list of
 * (nid, value) pairs. Returns a new X509 (caller frees) or NULL.
 */
static X509 *build_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *sign_key,
                        time_t not_before, time_t not_after, const int *nids,
                        const char *const *values, size_t n_ext)
{
    X509 *cert = X509_new();
    BIGNUM *bn = BN_new();
    ASN1_INTEGER *serial = NULL;
    if (cert == NULL || bn == NULL)
        goto fail;
    if (X509_set_version(cert, X509_VERSION_3) != 1)
        goto fail;
    /* A random positive 159-bit serial (RFC 5280: at most 20 octets). */
    if (BN_rand(bn, 159, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1)
        goto fail;
    serial = BN_to_ASN1_INTEGER(bn, NULL);
    if (serial == NULL || X509_set_serialNumber(cert, serial) != 1)
        goto fail;
    if (ASN1_TIME_set(X509_getm_notBefore(cert), not_before) == NULL ||
        ASN1_TIME_set(X509_getm_notAfter(cert), not_after) == NULL)
        goto fail;
    X509_NAME *name = X509_get_subject_name(cert);
    if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1,
                                   0) != 1)
        goto fail;
    if (X509_set_issuer_name(cert, issuer != NULL ? X509_get_subject_name(issuer) : name) != 1)
        goto fail;
    if (X509_set_pubkey(cert, key) != 1)
        goto fail;
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer != NULL ? issuer : cert, cert, NULL, NULL, 0);
    for (size_t i = 0; i < n_ext; i++)
        if (add_ext(cert, &ctx, nids[i], values[i]) != 0)
            goto fail;
    if (X509_sign(cert, sign_key, EVP_sha256()) <= 0)
        goto fail;
    ASN1_INTEGER_free(serial);
    BN_free(bn);
    return cert;
fail:
    ASN1_INTEGER_free(serial);
    BN_free(bn);
    X509_free(cert);
    return NULL;
}

/* PEM-encode cert and key into fresh gmw_pems. Returns 0 or -1 (nothing allocated). */
static int export_pair(X509 *cert, EVP_PKEY *key, gmw_pem *cert_pem, gmw_pem *key_pem)
{
    BIO *cb = BIO_new(BIO_s_mem());
    BIO *kb = BIO_new(BIO_s_mem());
    gmw_pem c = {NULL, 0}, k = {NULL, 0};
    if (cb == NULL || kb == NULL)
        goto fail;
    if (PEM_write_bio_X509(cb, cert) != 1 ||
        PEM_write_bio_PrivateKey(kb, key, NULL, NULL, 0, NULL, NULL) != 1)
        goto fail;
    if (bio_to_pem(cb, &c) != 0 || bio_to_pem(kb, &k) != 0)
        goto fail;
    BIO_free(cb);
    BIO_free(kb);
    *cert_pem = c;
    *key_pem = k;
    return 0;
fail:
    gmw_pem_free(&c);
    gmw_pem_free(&k);
    BIO_free(cb);
    BIO_free(kb);
    return -1;
}

int gmw_certs_make_ca(const char *common_name, gmw_key_type type, time_t not_before,
                      time_t not_after, gmw_pem *cert_pem, gmw_pem *key_pem, char *err,
                      size_t errcap)
{
    static const int nids[] = {NID_basic_constraints, NID_key_usage, NID_subject_key_identifier};
    static const char *const values[] = {"critical,CA:TRUE,pathlen:0",
                                         "critical,keyCertSign,cRLSign", "hash"};
    EVP_PKEY *key = NULL;
    X509 *cert = NULL;
    int rc = -1;
    ERR_clear_error();
    if (not_after <= not_before) {
        snprintf(err, errcap, "CA validity ends before it starts");
        return -1;
    }
    key = generate_key(type);
    if (key == NULL) {
        ssl_error(err, errcap, "generating the CA key");
        goto out;
    }
    cert = build_cert(key, common_name, NULL, key, not_before, not_after, nids, values, 3);
    if (cert == NULL) {
        ssl_error(err, errcap, "building the CA certificate");
        goto out;
    }
    if (export_pair(cert, key, cert_pem, key_pem) != 0) {
        ssl_error(err, errcap, "encoding the CA as PEM");
        goto out;
    }
    rc = 0;
out:
    X509_free(cert);
    EVP_PKEY_free(key);
    return rc;
}

int gmw_certs_service_names(const char *svc, const char *ns, char names[4][256])
{
    if (!gmw_dns1123_label_valid(svc, strlen(svc)) || !gmw_dns1123_label_valid(ns, strlen(ns)))
        return -EINVAL;
    int n0 = snprintf(names[0], 256, "%s", svc);
    int n1 = snprintf(names[1], 256, "%s.%s", svc, ns);
    int n2 = snprintf(names[2], 256, "%s.%s.svc", svc, ns);
    int n3 = snprintf(names[3], 256, "%s.%s.svc.cluster.local", svc, ns);
    if (n0 < 0 || n1 < 0 || n2 < 0 || n3 < 0 || n3 >= 254)
        return -EINVAL;
    return 0;
}

/* Is s usable as a DNS SAN (letters, digits, '-', '.', '*' only; 1..253 bytes)? */
static bool dns_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 253)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.' || c == '*'))
            return false;
    }
    return true;
}

int gmw_certs_make_serving(const char *const *dns_names, size_t n_names, gmw_key_type type,
                           time_t not_before, time_t not_after, const char *ca_cert_pem,
                           const char *ca_key_pem, gmw_pem *cert_pem, gmw_pem *key_pem, char *err,
                           size_t errcap)
{
    EVP_PKEY *key = NULL, *ca_key = NULL;
    X509 *cert = NULL, *ca = NULL;
    BIO *bio = NULL;
    char san[GMW_CERTS_MAX_SANS * 260];
    int rc = -1;
    ERR_clear_error();
    if (n_names == 0 || n_names > GMW_CERTS_MAX_SANS) {
        snprintf(err, errcap, "need 1 to %d DNS names", GMW_CERTS_MAX_SANS);
        return -1;
    }
    if (not_after <= not_before) {
        snprintf(err, errcap, "certificate validity ends before it starts");
        return -1;
    }
    size_t off = 0;
    for (size_t i = 0; i < n_names; i++) {
        if (!dns_name_ok(dns_names[i])) {
            snprintf(err, errcap, "invalid DNS name '%.100s'", dns_names[i]);
            return -1;
        }
        int w = snprintf(san + off, sizeof san - off, "%sDNS:%s", i == 0 ? "" : ",", dns_names[i]);
        if (w < 0 || (size_t)w >= sizeof san - off) {
            snprintf(err, errcap, "too many DNS names");
            return -1;
        }
        off += (size_t)w;
    }
    bio = BIO_new_mem_buf(ca_cert_pem, -1);
    ca = bio != NULL ? PEM_read_bio_X509(bio, NULL, no_password, NULL) : NULL;
    BIO_free(bio);
    if (ca == NULL) {
        ssl_error(err, errcap, "reading the CA certificate");
        goto out;
    }
    bio = BIO_new_mem_buf(ca_key_pem, -1);
    ca_key = bio != NULL ? PEM_read_bio_PrivateKey(bio, NULL, no_password, NULL) : NULL;
    BIO_free(bio);
    if (ca_key == NULL) {
        ssl_error(err, errcap, "reading the CA key");
        goto out;
    }
    if (X509_check_private_key(ca, ca_key) != 1) {
        ERR_clear_error();
        snprintf(err, errcap, "the CA key does not match the CA certificate");
        goto out;
    }
    key = generate_key(type);
    if (key == NULL) {
        ssl_error(err, errcap, "generating the serving key");
        goto out;
    }
    const int nids[] = {NID_basic_constraints,
                        NID_key_usage,
                        NID_ext_key_usage,
                        NID_subject_key_identifier,
                        NID_authority_key_identifier,
                        NID_subject_alt_name};
    const char *const values[] = {"critical,CA:FALSE",
                                  type == GMW_KEY_RSA_2048
                                      ? "critical,digitalSignature,keyEncipherment"
                                      : "critical,digitalSignature",
                                  "serverAuth",
                                  "hash",
                                  "keyid:always",
                                  san};
    cert = build_cert(key, dns_names[0], ca, ca_key, not_before, not_after, nids, values, 6);
    if (cert == NULL) {
        ssl_error(err, errcap, "building the serving certificate");
        goto out;
    }
    if (export_pair(cert, key, cert_pem, key_pem) != 0) {
        ssl_error(err, errcap, "encoding the serving certificate as PEM");
        goto out;
    }
    rc = 0;
out:
    X509_free(cert);
    X509_free(ca);
    EVP_PKEY_free(key);
    EVP_PKEY_free(ca_key);
    return rc;
}

static int64_t asn1_to_unix(const ASN1_TIME *t)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (ASN1_TIME_to_tm(t, &tm) != 1)
        return 0;
    return (int64_t)timegm(&tm);
}

/* Fill *info from the leaf certificate. */
static void describe(X509 *leaf, gmw_cert_info *info)
{
    memset(info, 0, sizeof *info);
    info->not_before = asn1_to_unix(X509_get0_notBefore(leaf));
    info->not_after = asn1_to_unix(X509_get0_notAfter(leaf));
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(leaf), NULL);
    char *hex = bn != NULL ? BN_bn2hex(bn) : NULL;
    if (hex != NULL)
        snprintf(info->serial, sizeof info->serial, "%s", hex);
    OPENSSL_free(hex);
    BN_free(bn);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (X509_digest(leaf, EVP_sha256(), md, &mdlen) == 1) {
        size_t o = 0;
        for (unsigned i = 0; i < mdlen && o + 4 < sizeof info->sha256; i++)
            o += (size_t)snprintf(info->sha256 + o, sizeof info->sha256 - o, "%s%02X",
                                  i == 0 ? "" : ":", md[i]);
    }
    BIO *b = BIO_new(BIO_s_mem());
    if (b != NULL && X509_NAME_print_ex(b, X509_get_subject_name(leaf), 0, XN_FLAG_RFC2253) >= 0) {
        char *data = NULL;
        long n = BIO_get_mem_data(b, &data);
        if (n > 0)
            snprintf(info->subject, sizeof info->subject, "%.*s", (int)n, data);
    }
    BIO_free(b);
    GENERAL_NAMES *gens = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
    for (int i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens); i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
        if (g->type == GEN_DNS) {
            if (info->dns_count < GMW_CERTS_MAX_SANS) {
                const unsigned char *d = ASN1_STRING_get0_data(g->d.dNSName);
                int n = ASN1_STRING_length(g->d.dNSName);
                snprintf(info->dns[info->dns_count], sizeof info->dns[0], "%.*s", n, d);
            }
            info->dns_count++;
        } else if (g->type == GEN_IPADD) {
            info->ip_count++;
        }
    }
    GENERAL_NAMES_free(gens);
    ERR_clear_error();
}

int gmw_certs_check(const char *cert_pem, size_t cert_len, const char *key_pem, size_t key_len,
                    const char *ca_pem, size_t ca_len, const char *host, time_t now,
                    gmw_cert_info *info, char *err, size_t errcap)
{
    BIO *bio = NULL;
    X509 *leaf = NULL;
    STACK_OF(X509) *chain = NULL;
    EVP_PKEY *key = NULL;
    X509_STORE *store = NULL;
    X509_STORE_CTX *vctx = NULL;
    gmw_cert_info local;
    int rc = -1;
    if (info == NULL)
        info = &local;
    memset(info, 0, sizeof *info);
    ERR_clear_error();
    if (cert_len > INT32_MAX || key_len > INT32_MAX || ca_len > INT32_MAX) {
        snprintf(err, errcap, "input too large");
        return -1;
    }
    bio = BIO_new_mem_buf(cert_pem, (int)cert_len);
    if (bio == NULL || (leaf = PEM_read_bio_X509(bio, NULL, no_password, NULL)) == NULL) {
        ssl_error(err, errcap, "certificate: no PEM certificate found");
        goto out;
    }
    chain = sk_X509_new_null();
    if (chain == NULL)
        goto oom;
    for (;;) {
        X509 *more = PEM_read_bio_X509(bio, NULL, no_password, NULL);
        if (more == NULL)
            break;
        if (sk_X509_push(chain, more) <= 0) {
            X509_free(more);
            goto oom;
        }
    }
    ERR_clear_error(); /* the loop ends with "no start line" */
    BIO_free(bio);
    bio = NULL;
    describe(leaf, info);

    bio = BIO_new_mem_buf(key_pem, (int)key_len);
    if (bio == NULL || (key = PEM_read_bio_PrivateKey(bio, NULL, no_password, NULL)) == NULL) {
        ssl_error(err, errcap, "key: no unencrypted PEM private key found");
        goto out;
    }
    if (X509_check_private_key(leaf, key) != 1) {
        ERR_clear_error();
        snprintf(err, errcap, "the private key does not match the certificate");
        goto out;
    }
    if (X509_cmp_time(X509_get0_notBefore(leaf), &now) > 0) {
        snprintf(err, errcap, "the certificate is not valid yet (notBefore %lld)",
                 (long long)info->not_before);
        goto out;
    }
    if (X509_cmp_time(X509_get0_notAfter(leaf), &now) <= 0) {
        snprintf(err, errcap, "the certificate has expired (notAfter %lld)",
                 (long long)info->not_after);
        goto out;
    }
    if (info->dns_count == 0 && info->ip_count == 0) {
        snprintf(err, errcap, "the certificate has no subjectAltName (clients ignore the CN)");
        goto out;
    }
    if (ca_pem != NULL) {
        BIO_free(bio);
        bio = BIO_new_mem_buf(ca_pem, (int)ca_len);
        store = X509_STORE_new();
        vctx = X509_STORE_CTX_new();
        if (bio == NULL || store == NULL || vctx == NULL)
            goto oom;
        int cas = 0;
        for (;;) {
            X509 *ca = PEM_read_bio_X509(bio, NULL, no_password, NULL);
            if (ca == NULL)
                break;
            int ok = X509_STORE_add_cert(store, ca);
            X509_free(ca);
            if (ok != 1)
                goto oom;
            cas++;
        }
        ERR_clear_error();
        if (cas == 0) {
            snprintf(err, errcap, "CA bundle: no PEM certificate found");
            goto out;
        }
        if (X509_STORE_CTX_init(vctx, store, leaf, chain) != 1)
            goto oom;
        X509_STORE_CTX_set_time(vctx, 0, now);
        X509_STORE_CTX_set_purpose(vctx, X509_PURPOSE_SSL_SERVER);
        if (host != NULL)
            X509_VERIFY_PARAM_set1_host(X509_STORE_CTX_get0_param(vctx), host, 0);
        if (X509_verify_cert(vctx) != 1) {
            int e = X509_STORE_CTX_get_error(vctx);
            snprintf(err, errcap, "verification against the CA failed: %s",
                     X509_verify_cert_error_string(e));
            ERR_clear_error();
            goto out;
        }
    } else if (host != NULL && X509_check_host(leaf, host, 0, 0, NULL) != 1) {
        snprintf(err, errcap, "the certificate is not valid for host '%.100s'", host);
        goto out;
    }
    rc = 0;
    goto out;
oom:
    ssl_error(err, errcap, "out of memory");
out:
    X509_STORE_CTX_free(vctx);
    X509_STORE_free(store);
    EVP_PKEY_free(key);
    sk_X509_pop_free(chain, X509_free);
    X509_free(leaf);
    BIO_free(bio);
    ERR_clear_error();
    return rc;
}

int gmw_certs_write_file(const char *path, const void *data, size_t len, unsigned mode)
{
    char tmp[4096];
    int n = snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", path);
    if (n < 0 || (size_t)n >= sizeof tmp)
        return -ENAMETOOLONG;
    int fd = mkstemp(tmp);
    if (fd == -1)
        return -errno;
    int rc = 0;
    if (fchmod(fd, (mode_t)mode) == -1) {
        rc = -errno;
        goto fail;
    }
    const char *p = data;
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, p + off, len - off);
        if (w == -1) {
            if (errno == EINTR)
                continue;
            rc = -errno;
            goto fail;
        }
        off += (size_t)w;
    }
    if (fsync(fd) == -1) {
        rc = -errno;
        goto fail;
    }
    if (close(fd) == -1) {
        fd = -1;
        rc = -errno;
        goto fail;
    }
    fd = -1;
    if (rename(tmp, path) == -1) {
        rc = -errno;
        goto fail;
    }
    return 0;
fail:
    if (fd != -1)
        close(fd);
    unlink(tmp);
    return rc;
}

int gmw_certs_read_file(const char *path, size_t max, gmw_pem *out)
{
    return gmw_read_file(path, max, &out->data, &out->len, NULL, 0);
}
