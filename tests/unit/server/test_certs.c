/* test_certs.c - OpenSSL certificate tooling: generation, SANs, pair checks, expiry,
 * chain verification, caBundle encoding, file writing. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "certs.h"

typedef struct {
    gmw_pem ca_cert, ca_key, cert, key;
    char names[4][256];
} fixture;

static const char *const *names_of(fixture *f)
{
    static const char *p[4];
    for (int i = 0; i < 4; i++)
        p[i] = f->names[i];
    return p;
}

static int make_fixture(void **state, gmw_key_type type)
{
    fixture *f = calloc(1, sizeof *f);
    char err[GMW_CERTS_ERR];
    time_t now = time(NULL);
    if (f == NULL ||
        gmw_certs_service_names("gomemlimit-webhook", "gomemlimit-system", f->names) != 0)
        return -1;
    if (gmw_certs_make_ca("test CA", type, now - 60, now + 86400 * 10, &f->ca_cert, &f->ca_key, err,
                          sizeof err) != 0) {
        fprintf(stderr, "make_ca: %s\n", err);
        return -1;
    }
    if (gmw_certs_make_serving(names_of(f), 4, type, now - 60, now + 86400, f->ca_cert.data,
                               f->ca_key.data, &f->cert, &f->key, err, sizeof err) != 0) {
        fprintf(stderr, "make_serving: %s\n", err);
        return -1;
    }
    *state = f;
    return 0;
}

static int setup_ecdsa(void **state)
{
    return make_fixture(state, GMW_KEY_ECDSA_P256);
}

static int setup_rsa(void **state)
{
    return make_fixture(state, GMW_KEY_RSA_2048);
}

static int teardown(void **state)
{
    fixture *f = *state;
    gmw_pem_free(&f->ca_cert);
    gmw_pem_free(&f->ca_key);
    gmw_pem_free(&f->cert);
    gmw_pem_free(&f->key);
    free(f);
    return 0;
}

static void test_service_names(void **state)
{
    (void)state;
    char n[4][256];
    assert_int_equal(gmw_certs_service_names("svc", "ns", n), 0);
    assert_string_equal(n[0], "svc");
    assert_string_equal(n[1], "svc.ns");
    assert_string_equal(n[2], "svc.ns.svc");
    assert_string_equal(n[3], "svc.ns.svc.cluster.local");
    assert_int_equal(gmw_certs_service_names("Svc", "ns", n), -EINVAL);
    assert_int_equal(gmw_certs_service_names("svc", "-ns", n), -EINVAL);
    assert_int_equal(gmw_certs_service_names("", "ns", n), -EINVAL);
    assert_int_equal(gmw_certs_service_names("a.b", "ns", n), -EINVAL);
    char long_label[80];
    memset(long_label, 'a', 64);
    long_label[64] = '\0';
    assert_int_equal(gmw_certs_service_names(long_label, "ns", n), -EINVAL);
}

static void test_generated_pair_checks_out(void **state)
{
    fixture *f = *state;
    gmw_cert_info info;
    char err[GMW_CERTS_ERR] = "";
    time_t now = time(NULL);
    int rc = gmw_certs_check(f->cert.data, f->cert.len, f->key.data, f->key.len, f->ca_cert.data,
                             f->ca_cert.len, "gomemlimit-webhook.gomemlimit-system.svc", now, &info,
                             err, sizeof err);
    if (rc != 0)
        fail_msg("check failed: %s", err);
    assert_int_equal(info.dns_count, 4);
    for (int i = 0; i < 4; i++)
        assert_string_equal(info.dns[i], f->names[i]);
    assert_int_equal(info.ip_count, 0);
    assert_true(info.not_after > (int64_t)now + 86000 && info.not_after <= (int64_t)now + 86400);
    assert_true(info.not_before <= (int64_t)now);
    assert_true(strlen(info.serial) >= 30);            /* ~159 random bits */
    assert_int_equal(strlen(info.sha256), 32 * 3 - 1); /* AA:BB:... */
    assert_string_equal(info.subject, "CN=gomemlimit-webhook");
    /* Each of the four names is accepted by hostname verification. */
    for (int i = 0; i < 4; i++)
        assert_int_equal(gmw_certs_check(f->cert.data, f->cert.len, f->key.data, f->key.len, NULL,
                                         0, f->names[i], now, NULL, err, sizeof err),
                         0);
}

static void test_wrong_host_rejected(void **state)
{
    fixture *f = *state;
    char err[GMW_CERTS_ERR] = "";
    time_t now = time(NULL);
    assert_int_equal(gmw_certs_check(f->cert.data, f->cert.len, f->key.data, f->key.len, NULL, 0,
                                     "other.gomemlimit-system.svc", now, NULL, err, sizeof err),
                     -EINVAL);
    assert_non_null(strstr(err, "not valid for host"));
    assert_int_equal(gmw_certs_check(f->cert.data, f->cert.len, f->key.data, f->key.len,
                                     f->ca_cert.data, f->ca_cert.len, "evil.example", now, NULL,
                                     err, sizeof err),
                     -EINVAL);
}

static void test_key_mismatch(void **state)
{
    fixture *f = *state;
    char err[GMW_CERTS_ERR] = "";
    gmw_cert_info info;
    /* The CA key does not belong to the serving certificate. */
    assert_int_equal(gmw_certs_check(f->cert.data, f->cert.len, f->ca_key.data, f->ca_key.len, NULL,
                                     0, NULL, time(NULL), &info, err, sizeof err),
                     -EINVAL);
    assert_non_null(strstr(err, "does not match"));
    /* The leaf was still described. */
    assert_int_equal(info.dns_count, 4);
}

static void test_garbage_inputs(void **state)
{
    fixture *f = *state;
    char err[GMW_CERTS_ERR] = "";
    const char junk[] =
        "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n";
    assert_int_equal(gmw_certs_check(junk, sizeof junk - 1, f->key.data, f->key.len, NULL, 0, NULL,
                                     time(NULL), NULL, err, sizeof err),
                     -EINVAL);
    assert_non_null(strstr(err, "certificate"));
    assert_int_equal(gmw_certs_check("", 0, f->key.data, f->key.len, NULL, 0, NULL, time(NULL),
                                     NULL, err, sizeof err),
                     -EINVAL);
    assert_int_equal(gmw_certs_check(f->cert.data, f->cert.len, "nope", 4, NULL, 0, NULL,
                                     time(NULL), NULL, err, sizeof err),
                     -EINVAL);
    assert_non_null(strstr(err, "key"));
    /* A truncated certificate (a file caught mid-write). */
    assert_int_equal(gmw_certs_check(f->cert.data, f->cert.len / 2, f->key.data, f->key.len, NULL,
                                     0, NULL, time(NULL), NULL, err, sizeof err),
                     -EINVAL);
}

static void test_expired_and_not_yet_valid(void **state)
{
    fixture *f = *state;
    char err[GMW_CERTS_ERR] = "";
    time_t now = time(NULL);
    /* Checking at a time after notAfter is "expired"; before notBefore "not valid yet". */
    assert_int_equal(gmw_certs_check(f->cert.data, f->cert.len, f->key.data, f->key.len, NULL, 0,
                                     NULL, now + 2 * 86400, NULL, err, sizeof err),
                     -EINVAL);
    assert_non_null(strstr(err, "expired"));
    assert_int_equal(gmw_certs_check(f->cert.data, f->cert.len, f->key.data, f->key.len, NULL, 0,
                                     NULL, now - 3600, NULL, err, sizeof err),
                     -EINVAL);
    assert_non_null(strstr(err, "not valid yet"));
    /* A certificate generated already expired. */
    gmw_pem c = {NULL, 0}, k = {NULL, 0};
    const char *name[1] = {"expired.example"};
    assert_int_equal(gmw_certs_make_serving(name, 1, GMW_KEY_ECDSA_P256, now - 10 * 86400,
                                            now - 86400, f->ca_cert.data, f->ca_key.data, &c, &k,
                                            err, sizeof err),
                     0);
    assert_int_not_equal(
        gmw_certs_check(c.data, c.len, k.data, k.len, NULL, 0, NULL, now, NULL, err, sizeof err),
        0);
    assert_non_null(strstr(err, "expired"));
    gmw_pem_free(&c);
    gmw_pem_free(&k);
}

static void test_no_san_rejected(void **state)
{
    fixture *f = *state;
    char err[GMW_CERTS_ERR] = "";
    /* The CA certificate has no subjectAltName: not servable. */
    assert_int_equal(gmw_certs_check(f->ca_cert.data, f->ca_cert.len, f->ca_key.data, f->ca_key.len,
                                     NULL, 0, NULL, time(NULL), NULL, err, sizeof err),
                     -EINVAL);
    assert_non_null(strstr(err, "subjectAltName"));
}

static void test_other_ca_rejected(void **state)
{
    fixture *f = *state;
    gmw_pem ca2 = {NULL, 0}, ca2key = {NULL, 0};
    char err[GMW_CERTS_ERR] = "";
    time_t now = time(NULL);
    assert_int_equal(gmw_certs_make_ca("other CA", GMW_KEY_ECDSA_P256, now - 60, now + 86400, &ca2,
                                       &ca2key, err, sizeof err),
                     0);
    assert_int_equal(gmw_certs_check(f->cert.data, f->cert.len, f->key.data, f->key.len, ca2.data,
                                     ca2.len, NULL, now, NULL, err, sizeof err),
                     -EINVAL);
    assert_non_null(strstr(err, "verification"));
    /* A CA key that does not match its certificate is refused for signing. */
    gmw_pem c = {NULL, 0}, k = {NULL, 0};
    const char *name[1] = {"x.example"};
    assert_int_equal(gmw_certs_make_serving(name, 1, GMW_KEY_ECDSA_P256, now, now + 60,
                                            f->ca_cert.data, ca2key.data, &c, &k, err, sizeof err),
                     -EINVAL);
    assert_null(c.data);
    gmw_pem_free(&ca2);
    gmw_pem_free(&ca2key);
}

static void test_bad_generation_inputs(void **state)
{
    fixture *f = *state;
    gmw_pem c = {NULL, 0}, k = {NULL, 0};
    char err[GMW_CERTS_ERR] = "";
    time_t now = time(NULL);
    const char *bad[1] = {"under_score.example"};
    assert_int_equal(gmw_certs_make_serving(bad, 1, GMW_KEY_ECDSA_P256, now, now + 60,
                                            f->ca_cert.data, f->ca_key.data, &c, &k, err,
                                            sizeof err),
                     -EINVAL);
    assert_non_null(strstr(err, "invalid DNS name"));
    const char *ok[1] = {"ok.example"};
    assert_int_equal(gmw_certs_make_serving(ok, 1, GMW_KEY_ECDSA_P256, now, now - 60,
                                            f->ca_cert.data, f->ca_key.data, &c, &k, err,
                                            sizeof err),
                     -EINVAL);
    assert_int_equal(gmw_certs_make_serving(ok, 0, GMW_KEY_ECDSA_P256, now, now + 60,
                                            f->ca_cert.data, f->ca_key.data, &c, &k, err,
                                            sizeof err),
                     -EINVAL);
    gmw_key_type t;
    assert_int_equal(gmw_key_type_parse("rsa", &t), 0);
    assert_int_equal(t, GMW_KEY_RSA_2048);
    assert_int_equal(gmw_key_type_parse("ecdsa", &t), 0);
    assert_int_equal(t, GMW_KEY_ECDSA_P256);
    assert_int_not_equal(gmw_key_type_parse("dsa", &t), 0);
}

static void test_key_is_pkcs8(void **state)
{
    fixture *f = *state;
    assert_non_null(strstr(f->key.data, "-----BEGIN PRIVATE KEY-----"));
    assert_non_null(strstr(f->cert.data, "-----BEGIN CERTIFICATE-----"));
}

static void test_write_and_read_file(void **state)
{
    (void)state;
    char dir[] = "/tmp/gmw-test-certs-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/tls.key", dir);
    assert_int_equal(gmw_certs_write_file(path, "secret", 6, 0600), 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    gmw_pem p = {NULL, 0};
    assert_int_equal(gmw_certs_read_file(path, 100, &p), 0);
    assert_int_equal(p.len, 6);
    assert_string_equal(p.data, "secret");
    gmw_pem_free(&p);
    assert_int_equal(gmw_certs_read_file(path, 5, &p), -EFBIG);
    assert_null(p.data);
    char missing[300];
    snprintf(missing, sizeof missing, "%s/none", dir);
    assert_int_equal(gmw_certs_read_file(missing, 100, &p), -ENOENT);
    /* Overwrite keeps the mode asked for. */
    assert_int_equal(gmw_certs_write_file(path, "x", 1, 0644), 0);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_service_names),
        cmocka_unit_test_setup_teardown(test_generated_pair_checks_out, setup_ecdsa, teardown),
        cmocka_unit_test_setup_teardown(test_generated_pair_checks_out, setup_rsa, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_host_rejected, setup_ecdsa, teardown),
        cmocka_unit_test_setup_teardown(test_key_mismatch, setup_ecdsa, teardown),
        cmocka_unit_test_setup_teardown(test_key_mismatch, setup_rsa, teardown),
        cmocka_unit_test_setup_teardown(test_garbage_inputs, setup_ecdsa, teardown),
        cmocka_unit_test_setup_teardown(test_expired_and_not_yet_valid, setup_ecdsa, teardown),
        cmocka_unit_test_setup_teardown(test_no_san_rejected, setup_ecdsa, teardown),
        cmocka_unit_test_setup_teardown(test_other_ca_rejected, setup_ecdsa, teardown),
        cmocka_unit_test_setup_teardown(test_bad_generation_inputs, setup_ecdsa, teardown),
        cmocka_unit_test_setup_teardown(test_key_is_pkcs8, setup_rsa, teardown),
        cmocka_unit_test(test_write_and_read_file),
    };
    return cmocka_run_group_tests_name("certs", tests, NULL, NULL);
}
