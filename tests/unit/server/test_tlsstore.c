/* test_tlsstore.c - the served pair: a good pair is served through the GnuTLS callback,
 * a bad replacement is refused and the previous pair stays, every handshake gets fresh
 * objects that GnuTLS is told to free. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/x509.h>

#include "tlsstore.h"

typedef struct {
    gmw_pem ca, ca_key, a_crt, a_key, b_crt, b_key;
} pairs;

static int setup(void **state)
{
    pairs *p = calloc(1, sizeof *p);
    char err[GMW_CERTS_ERR];
    time_t now = time(NULL);
    const char *names[1] = {"svc.ns.svc"};
    if (p == NULL ||
        gmw_certs_make_ca("ca", GMW_KEY_ECDSA_P256, now - 60, now + 86400, &p->ca, &p->ca_key, err,
                          sizeof err) != 0 ||
        gmw_certs_make_serving(names, 1, GMW_KEY_ECDSA_P256, now - 60, now + 86400, p->ca.data,
                               p->ca_key.data, &p->a_crt, &p->a_key, err, sizeof err) != 0 ||
        gmw_certs_make_serving(names, 1, GMW_KEY_RSA_2048, now - 60, now + 86400, p->ca.data,
                               p->ca_key.data, &p->b_crt, &p->b_key, err, sizeof err) != 0)
        return -1;
    *state = p;
    return 0;
}

static int teardown(void **state)
{
    pairs *p = *state;
    gmw_tlsstore_clear();
    gmw_pem *all[] = {&p->ca, &p->ca_key, &p->a_crt, &p->a_key, &p->b_crt, &p->b_key};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        gmw_pem_free(all[i]);
    free(p);
    return 0;
}

/* The serial (hex) of the certificate the callback hands out now; "" if none. */
static void served_serial(char *out, size_t cap)
{
    gnutls_pcert_st *certs = NULL;
    unsigned n = 0, flags = 0, ocsp_n = 7;
    gnutls_ocsp_data_st *ocsp = (gnutls_ocsp_data_st *)1;
    gnutls_privkey_t key = NULL;
    out[0] = '\0';
    if (gmw_tlsstore_retrieve(NULL, NULL, &certs, &n, &ocsp, &ocsp_n, &key, &flags) != 0)
        return;
    assert_int_equal(flags, GNUTLS_CERT_RETR_DEINIT_ALL);
    assert_int_equal(n, 1);
    assert_non_null(key);
    assert_null(ocsp);
    assert_int_equal(ocsp_n, 0);
    gnutls_x509_crt_t crt;
    gnutls_x509_crt_init(&crt);
    assert_int_equal(gnutls_x509_crt_import(crt, &certs[0].cert, GNUTLS_X509_FMT_DER), 0);
    unsigned char serial[64];
    size_t slen = sizeof serial;
    assert_int_equal(gnutls_x509_crt_get_serial(crt, serial, &slen), 0);
    size_t o = 0;
    for (size_t i = 0; i < slen && o + 3 < cap; i++)
        o += (size_t)snprintf(out + o, cap - o, "%02X", serial[i]);
    gnutls_x509_crt_deinit(crt);
    /* What GnuTLS does with GNUTLS_CERT_RETR_DEINIT_ALL at the end of a session. */
    for (unsigned i = 0; i < n; i++)
        gnutls_pcert_deinit(&certs[i]);
    gnutls_free(certs);
    gnutls_privkey_deinit(key);
}

/* Normalise a hex serial: upper case, no leading zeros. */
static const char *norm(const char *hex)
{
    while (*hex == '0')
        hex++;
    return hex;
}

static void test_empty_store_refuses_handshake(void **state)
{
    (void)state;
    gmw_tlsstore_clear();
    assert_false(gmw_tlsstore_loaded());
    char serial[128];
    served_serial(serial, sizeof serial);
    assert_string_equal(serial, "");
}

static void test_good_pair_then_bad_replacement_keeps_old(void **state)
{
    pairs *p = *state;
    gmw_cert_info info;
    char err[GMW_CERTS_ERR + 100];
    assert_int_equal(gmw_tlsstore_set(p->a_crt.data, p->a_crt.len, p->a_key.data, p->a_key.len,
                                      &info, err, sizeof err),
                     0);
    assert_true(gmw_tlsstore_loaded());
    char want_a[100];
    snprintf(want_a, sizeof want_a, "%s", info.serial);
    char serial[128];
    served_serial(serial, sizeof serial);
    assert_string_equal(norm(serial), norm(want_a));

    /* Mismatched key, garbage, truncated: each refused, A still served. */
    assert_int_equal(gmw_tlsstore_set(p->b_crt.data, p->b_crt.len, p->a_key.data, p->a_key.len,
                                      NULL, err, sizeof err),
                     -EINVAL);
    assert_non_null(strstr(err, "does not match"));
    assert_int_equal(
        gmw_tlsstore_set("garbage", 7, p->b_key.data, p->b_key.len, NULL, err, sizeof err),
        -EINVAL);
    assert_int_equal(gmw_tlsstore_set(p->b_crt.data, p->b_crt.len / 2, p->b_key.data, p->b_key.len,
                                      NULL, err, sizeof err),
                     -EINVAL);
    served_serial(serial, sizeof serial);
    assert_string_equal(norm(serial), norm(want_a));

    /* A good replacement (RSA this time) is served from the next handshake on. */
    assert_int_equal(gmw_tlsstore_set(p->b_crt.data, p->b_crt.len, p->b_key.data, p->b_key.len,
                                      &info, err, sizeof err),
                     0);
    served_serial(serial, sizeof serial);
    assert_string_equal(norm(serial), norm(info.serial));
    assert_string_not_equal(norm(serial), norm(want_a));
}

static void test_load_missing_files(void **state)
{
    pairs *p = *state;
    char err[GMW_CERTS_ERR + 1200];
    assert_int_equal(gmw_tlsstore_set(p->a_crt.data, p->a_crt.len, p->a_key.data, p->a_key.len,
                                      NULL, err, sizeof err),
                     0);
    assert_int_equal(
        gmw_tlsstore_load("/nonexistent/tls.crt", "/nonexistent/tls.key", NULL, err, sizeof err),
        -ENOENT);
    assert_non_null(strstr(err, "/nonexistent/tls.crt"));
    assert_true(gmw_tlsstore_loaded());
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_empty_store_refuses_handshake, setup, teardown),
        cmocka_unit_test_setup_teardown(test_good_pair_then_bad_replacement_keeps_old, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_load_missing_files, setup, teardown),
    };
    return cmocka_run_group_tests_name("tlsstore", tests, NULL, NULL);
}
