/*
 * cli_certs.c - `gomemlimit-webhook certs`: generate a CA and a serving certificate
 * for the webhook Service (files named as in a kubernetes.io/tls Secret), or check a
 * certificate/key pair.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base64.h"
#include "certs.h"
#include "cli.h"
#include "intparse.h"
#include "log.h"

#define BACKDATE_SECONDS 300 /* tolerate clock skew between nodes */

static void usage(FILE *out)
{
    fputs("Usage: gomemlimit-webhook certs --service S --namespace N --out DIR [options]\n"
          "       gomemlimit-webhook certs --check --cert FILE --key FILE [--ca FILE] [--host H]\n"
          "\n"
          "Generate a CA and a serving certificate for the webhook Service with the SANs\n"
          "S, S.N, S.N.svc and S.N.svc.cluster.local. Writes DIR/ca.crt, DIR/ca.key (0600),\n"
          "DIR/tls.crt and DIR/tls.key (0600) and prints the base64 CA bundle (the\n"
          "webhook's caBundle) on stdout.\n"
          "\n"
          "Options:\n"
          "  -s, --service S        Service name (DNS-1123 label)\n"
          "  -n, --namespace N      Service namespace (DNS-1123 label)\n"
          "  -o, --out DIR          output directory (created with its parents if missing)\n"
          "      --days D           serving certificate validity in days (default 365)\n"
          "      --ca-days D        CA validity in days (default 3650)\n"
          "      --key-type T       ecdsa (P-256, default) or rsa (2048 bits)\n"
          "      --ca-cert FILE     sign with this existing CA instead of generating one\n"
          "      --ca-key FILE      the existing CA's key (with --ca-cert)\n"
          "      --force            overwrite existing files in DIR\n"
          "\n"
          "Check mode (exit 0 when the pair is good, 1 otherwise; JSON summary on stdout):\n"
          "      --check            check instead of generating\n"
          "      --cert FILE        certificate (chain) PEM\n"
          "      --key FILE         private key PEM\n"
          "      --ca FILE          also verify the chain against this CA bundle\n"
          "      --host H           also require the certificate to be valid for H\n"
          "  -h, --help             show this help\n",
          out);
}

/* --days / --ca-days: a whole number of days, 1..36500 (intparse.h's grammar). */
static int parse_days(const char *s, long *out)
{
    uint64_t v = 0;
    int rc = gmw_parse_uint(s, 1, 36500, &v);

    if (rc == 0)
        *out = (long)v;
    return rc;
}

static void print_json_string(FILE *out, const char *s)
{
    char buf[1024];
    gmw_json_escape(buf, sizeof buf, s, NULL);
    fprintf(out, "\"%s\"", buf);
}

static int check_mode(const char *cert_path, const char *key_path, const char *ca_path,
                      const char *host)
{
    gmw_pem cert = {NULL, 0}, key = {NULL, 0}, ca = {NULL, 0};
    gmw_cert_info info;
    char err[GMW_CERTS_ERR] = "";
    int rc;
    int exit_code = 1;
    memset(&info, 0, sizeof info);
    if ((rc = gmw_certs_read_file(cert_path, 1024 * 1024, &cert)) != 0) {
        snprintf(err, sizeof err, "%s: %s", cert_path, strerror(-rc));
        goto report;
    }
    if ((rc = gmw_certs_read_file(key_path, 1024 * 1024, &key)) != 0) {
        snprintf(err, sizeof err, "%s: %s", key_path, strerror(-rc));
        goto report;
    }
    if (ca_path != NULL && (rc = gmw_certs_read_file(ca_path, 1024 * 1024, &ca)) != 0) {
        snprintf(err, sizeof err, "%s: %s", ca_path, strerror(-rc));
        goto report;
    }
    if (gmw_certs_check(cert.data, cert.len, key.data, key.len, ca.data, ca.len, host, time(NULL),
                        &info, err, sizeof err) == 0)
        exit_code = 0;
report:
    printf("{\"ok\":%s", exit_code == 0 ? "true" : "false");
    if (exit_code != 0) {
        printf(",\"error\":");
        print_json_string(stdout, err);
    }
    if (info.serial[0] != '\0') {
        printf(",\"subject\":");
        print_json_string(stdout, info.subject);
        printf(",\"serial\":\"%s\",\"sha256\":\"%s\",\"notBefore\":%lld,\"notAfter\":%lld,"
               "\"dnsNames\":[",
               info.serial, info.sha256, (long long)info.not_before, (long long)info.not_after);
        size_t n = info.dns_count < GMW_CERTS_MAX_SANS ? info.dns_count : GMW_CERTS_MAX_SANS;
        for (size_t i = 0; i < n; i++) {
            if (i != 0)
                printf(",");
            print_json_string(stdout, info.dns[i]);
        }
        printf("],\"ipAddresses\":%zu", info.ip_count);
    }
    printf("}\n");
    if (exit_code != 0)
        fprintf(stderr, "gomemlimit-webhook certs: %s\n", err);
    gmw_pem_free(&cert);
    if (key.data != NULL)
        memset(key.data, 0, key.len);
    gmw_pem_free(&key);
    gmw_pem_free(&ca);
    return exit_code;
}

/*
 * Create dir and any missing parents (like mkdir -p), mode 0755. Returns 0 or -errno
 * (-ENAMETOOLONG for a path over 4095 bytes).
 */
static int make_dirs(const char *dir)
{
    char path[4096];
    size_t len = strlen(dir);
    if (len == 0 || len >= sizeof path)
        return len == 0 ? -ENOENT : -ENAMETOOLONG;
    memcpy(path, dir, len + 1);
    for (size_t i = 1; i <= len; i++) {
        if (path[i] != '/' && path[i] != '\0')
            continue;
        char saved = path[i];
        path[i] = '\0';
        if (mkdir(path, 0755) == -1 && errno != EEXIST)
            return -errno;
        path[i] = saved;
    }
    return 0;
}

/* Join dir and name into out (cap 4096). Returns 0 or -ENAMETOOLONG. */
static int join(char *out, size_t cap, const char *dir, const char *name)
{
    int n = snprintf(out, cap, "%s/%s", dir, name);
    return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

int gmw_cmd_certs(int argc, char **argv)
{
    enum {
        OPT_DAYS = 256,
        OPT_CA_DAYS,
        OPT_KEY_TYPE,
        OPT_CA_CERT,
        OPT_CA_KEY,
        OPT_FORCE,
        OPT_CHECK,
        OPT_CERT,
        OPT_KEY,
        OPT_CA,
        OPT_HOST
    };
    static const struct option longopts[] = {
        {"service", required_argument, NULL, 's'},
        {"namespace", required_argument, NULL, 'n'},
        {"out", required_argument, NULL, 'o'},
        {"days", required_argument, NULL, OPT_DAYS},
        {"ca-days", required_argument, NULL, OPT_CA_DAYS},
        {"key-type", required_argument, NULL, OPT_KEY_TYPE},
        {"ca-cert", required_argument, NULL, OPT_CA_CERT},
        {"ca-key", required_argument, NULL, OPT_CA_KEY},
        {"force", no_argument, NULL, OPT_FORCE},
        {"check", no_argument, NULL, OPT_CHECK},
        {"cert", required_argument, NULL, OPT_CERT},
        {"key", required_argument, NULL, OPT_KEY},
        {"ca", required_argument, NULL, OPT_CA},
        {"host", required_argument, NULL, OPT_HOST},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *svc = NULL, *ns = NULL, *out_dir = NULL, *ca_cert_path = NULL, *ca_key_path = NULL,
               *cert_path = NULL, *key_path = NULL, *ca_path = NULL, *host = NULL;
    long days = 365, ca_days = 3650;
    gmw_key_type type = GMW_KEY_ECDSA_P256;
    bool force = false, check = false;
    optind = 1;
    opterr = 0;
    for (;;) {
        int c = getopt_long(argc, argv, ":s:n:o:h", longopts, NULL);
        if (c == -1)
            break;
        switch (c) {
        case 's':
            svc = optarg;
            break;
        case 'n':
            ns = optarg;
            break;
        case 'o':
            out_dir = optarg;
            break;
        case OPT_DAYS:
            if (parse_days(optarg, &days) != 0) {
                fprintf(stderr, "gomemlimit-webhook certs: --days wants 1..36500 (got '%s')\n",
                        optarg);
                return 2;
            }
            break;
        case OPT_CA_DAYS:
            if (parse_days(optarg, &ca_days) != 0) {
                fprintf(stderr, "gomemlimit-webhook certs: --ca-days wants 1..36500 (got '%s')\n",
                        optarg);
                return 2;
            }
            break;
        case OPT_KEY_TYPE:
            if (gmw_key_type_parse(optarg, &type) != 0) {
                fprintf(stderr,
                        "gomemlimit-webhook certs: --key-type wants ecdsa or rsa (got '%s')\n",
                        optarg);
                return 2;
            }
            break;
        case OPT_CA_CERT:
            ca_cert_path = optarg;
            break;
        case OPT_CA_KEY:
            ca_key_path = optarg;
            break;
        case OPT_FORCE:
            force = true;
            break;
        case OPT_CHECK:
            check = true;
            break;
        case OPT_CERT:
            cert_path = optarg;
            break;
        case OPT_KEY:
            key_path = optarg;
            break;
        case OPT_CA:
            ca_path = optarg;
            break;
        case OPT_HOST:
            host = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        case ':':
            fprintf(stderr, "gomemlimit-webhook certs: option '%s' needs a value\n",
                    argv[optind - 1]);
            return 2;
        default:
            fprintf(stderr, "gomemlimit-webhook certs: unknown option '%s'\n", argv[optind - 1]);
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "gomemlimit-webhook certs: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    if (check) {
        if (cert_path == NULL || key_path == NULL) {
            fprintf(stderr, "gomemlimit-webhook certs: --check needs --cert and --key\n");
            return 2;
        }
        return check_mode(cert_path, key_path, ca_path, host);
    }
    if (svc == NULL || ns == NULL || out_dir == NULL) {
        fprintf(stderr,
                "gomemlimit-webhook certs: --service, --namespace and --out are required\n");
        usage(stderr);
        return 2;
    }
    if ((ca_cert_path == NULL) != (ca_key_path == NULL)) {
        fprintf(stderr, "gomemlimit-webhook certs: --ca-cert and --ca-key go together\n");
        return 2;
    }
    char names[4][256];
    if (gmw_certs_service_names(svc, ns, names) != 0) {
        fprintf(stderr, "gomemlimit-webhook certs: service and namespace must be DNS-1123 labels "
                        "(lower-case letters, digits, '-'; e.g. gomemlimit-webhook)\n");
        return 2;
    }

    int exit_code = 1;
    gmw_pem ca_cert = {NULL, 0}, ca_key = {NULL, 0}, cert = {NULL, 0}, key = {NULL, 0};
    char *bundle = NULL;
    char err[GMW_CERTS_ERR] = "";
    char p_ca[4096], p_cakey[4096], p_crt[4096], p_key[4096];
    if (join(p_ca, sizeof p_ca, out_dir, "ca.crt") != 0 ||
        join(p_cakey, sizeof p_cakey, out_dir, "ca.key") != 0 ||
        join(p_crt, sizeof p_crt, out_dir, "tls.crt") != 0 ||
        join(p_key, sizeof p_key, out_dir, "tls.key") != 0) {
        fprintf(stderr, "gomemlimit-webhook certs: --out path too long\n");
        return 2;
    }
    int mkrc = make_dirs(out_dir);
    if (mkrc != 0) {
        fprintf(stderr, "gomemlimit-webhook certs: %s: %s\n", out_dir, strerror(-mkrc));
        return 1;
    }
    bool generate_ca = ca_cert_path == NULL;
    if (!force) {
        const char *targets[4] = {p_ca, p_crt, p_key, generate_ca ? p_cakey : NULL};
        for (int i = 0; i < 4; i++)
            if (targets[i] != NULL && access(targets[i], F_OK) == 0) {
                fprintf(stderr, "gomemlimit-webhook certs: %s exists (use --force to overwrite)\n",
                        targets[i]);
                return 1;
            }
    }
    time_t now = time(NULL);
    time_t nb = now - BACKDATE_SECONDS;
    int rc;
    if (generate_ca) {
        if (gmw_certs_make_ca("gomemlimit-webhook CA", type, nb, now + ca_days * 86400L, &ca_cert,
                              &ca_key, err, sizeof err) != 0)
            goto fail;
    } else {
        if ((rc = gmw_certs_read_file(ca_cert_path, 1024 * 1024, &ca_cert)) != 0 ||
            (rc = gmw_certs_read_file(ca_key_path, 1024 * 1024, &ca_key)) != 0) {
            snprintf(err, sizeof err, "reading the CA: %s", strerror(-rc));
            goto fail;
        }
    }
    const char *const sans[4] = {names[0], names[1], names[2], names[3]};
    if (gmw_certs_make_serving(sans, 4, type, nb, now + days * 86400L, ca_cert.data, ca_key.data,
                               &cert, &key, err, sizeof err) != 0)
        goto fail;
    /* Sanity: what we wrote must pass our own check against the CA for the .svc name. */
    if (gmw_certs_check(cert.data, cert.len, key.data, key.len, ca_cert.data, ca_cert.len, names[2],
                        now, NULL, err, sizeof err) != 0)
        goto fail;
    if ((rc = gmw_certs_write_file(p_key, key.data, key.len, 0600)) != 0 ||
        (rc = gmw_certs_write_file(p_crt, cert.data, cert.len, 0644)) != 0 ||
        (rc = gmw_certs_write_file(p_ca, ca_cert.data, ca_cert.len, 0644)) != 0 ||
        (generate_ca && (rc = gmw_certs_write_file(p_cakey, ca_key.data, ca_key.len, 0600)) != 0)) {
        snprintf(err, sizeof err, "writing to %s: %s", out_dir, strerror(-rc));
        goto fail;
    }
    bundle = gmw_base64_encode(ca_cert.data, ca_cert.len); /* the caBundle form */
    if (bundle == NULL) {
        snprintf(err, sizeof err, "out of memory");
        goto fail;
    }
    printf("%s\n", bundle);
    fprintf(
        stderr,
        "gomemlimit-webhook certs: wrote %s, %s, %s%s%s (SANs %s, %s, %s, %s; valid %ld days)\n",
        p_ca, p_crt, p_key, generate_ca ? ", " : "", generate_ca ? p_cakey : "", names[0], names[1],
        names[2], names[3], days);
    exit_code = 0;
    goto out;
fail:
    fprintf(stderr, "gomemlimit-webhook certs: %s\n", err);
out:
    free(bundle);
    gmw_pem_free(&ca_cert);
    if (ca_key.data != NULL)
        memset(ca_key.data, 0, ca_key.len);
    gmw_pem_free(&ca_key);
    gmw_pem_free(&cert);
    if (key.data != NULL)
        memset(key.data, 0, key.len);
    gmw_pem_free(&key);
    return exit_code;
}
