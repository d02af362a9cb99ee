/*
 * cli_certs.c - `gomemlimit-webhook certs`: generate a CA and a serving certificate
 * for the webhook Service (files named as in a kubernetes.io/tls Secret), or check a
 * certificate/key pair.
 */
#include <errno.h>
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
#include "cliopt.h"
#include "intparse.h"
#include "log.h"

#define BACKDATE_SECONDS 300 /* tolerate clock skew between nodes */

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

/* The options of `certs`: the parser and the help are both made from this table. */
static const gmw_cliopt certs_options[] = {
    {'s', 's', "service", "S", "Service name (DNS-1123 label)"},
    {'n', 'n', "namespace", "N", "Service namespace (DNS-1123 label)"},
    {'o', 'o', "out", "DIR", "output directory (created with its parents if missing)"},
    {0, OPT_DAYS, "days", "D", "serving certificate validity in days (default 365)"},
    {0, OPT_CA_DAYS, "ca-days", "D", "CA validity in days (default 3650)"},
    {0, OPT_KEY_TYPE, "key-type", "T", "ecdsa (P-256, default) or rsa (2048 bits)"},
    {0, OPT_CA_CERT, "ca-cert", "FILE", "sign with this existing CA instead of generating one"},
    {0, OPT_CA_KEY, "ca-key", "FILE", "the existing CA's key (with --ca-cert)"},
    {0, OPT_FORCE, "force", NULL, "overwrite existing files in DIR"},
    {0, 0, NULL, NULL,
     "\nCheck mode (exit 0 when the pair is good, 1 otherwise; JSON summary on stdout):"},
    {0, OPT_CHECK, "check", NULL, "check instead of generating"},
    {0, OPT_CERT, "cert", "FILE", "certificate (chain) PEM"},
    {0, OPT_KEY, "key", "FILE", "private key PEM"},
    {0, OPT_CA, "ca", "FILE", "also verify the chain against this CA bundle"},
    {0, OPT_HOST, "host", "H", "also require the certificate to be valid for H"},
    {'h', 'h', "help", NULL, "show this help"},
};
#define CERTS_OPTIONS (sizeof certs_options / sizeof certs_options[0])

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
          "Options:\n",
          out);
    gmw_cliopt_help(out, certs_options, CERTS_OPTIONS, 25);
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

/* What the command line asked for. */
typedef struct {
    const char *svc, *ns, *out_dir, *ca_cert_path, *ca_key_path; /* generate */
    const char *cert_path, *key_path, *ca_path, *host;           /* --check */
    long days, ca_days;
    gmw_key_type type;
    bool force, check;
} certs_args;

#define CERTS_GO_ON (-1) /* from the steps below: no exit code yet, carry on */

/* Parse argv into *a. Returns CERTS_GO_ON, or the exit code (0 after --help, 2). */
static int parse_args(int argc, char **argv, certs_args *a)
{
    memset(a, 0, sizeof *a);
    a->days = 365;
    a->ca_days = 3650;
    a->type = GMW_KEY_ECDSA_P256;
    gmw_cliopt_parser parser;
    if (gmw_cliopt_init(&parser, certs_options, CERTS_OPTIONS) != 0) {
        fputs("gomemlimit-webhook certs: internal error: bad option table\n", stderr);
        return 2;
    }
    for (;;) {
        int c = gmw_cliopt_next(&parser, argc, argv);
        if (c == -1)
            break;
        switch (c) {
        case 's':
            a->svc = optarg;
            break;
        case 'n':
            a->ns = optarg;
            break;
        case 'o':
            a->out_dir = optarg;
            break;
        case OPT_DAYS:
            if (parse_days(optarg, &a->days) != 0) {
                fprintf(stderr, "gomemlimit-webhook certs: --days wants 1..36500 (got '%s')\n",
                        optarg);
                return 2;
            }
            break;
        case OPT_CA_DAYS:
            if (parse_days(optarg, &a->ca_days) != 0) {
                fprintf(stderr, "gomemlimit-webhook certs: --ca-days wants 1..36500 (got '%s')\n",
                        optarg);
                return 2;
            }
            break;
        case OPT_KEY_TYPE:
            if (gmw_key_type_parse(optarg, &a->type) != 0) {
                fprintf(stderr,
                        "gomemlimit-webhook certs: --key-type wants ecdsa or rsa (got '%s')\n",
                        optarg);
                return 2;
            }
            break;
        case OPT_CA_CERT:
            a->ca_cert_path = optarg;
            break;
        case OPT_CA_KEY:
            a->ca_key_path = optarg;
            break;
        case OPT_FORCE:
            a->force = true;
            break;
        case OPT_CHECK:
            a->check = true;
            break;
        case OPT_CERT:
            a->cert_path = optarg;
            break;
        case OPT_KEY:
            a->key_path = optarg;
            break;
        case OPT_CA:
            a->ca_path = optarg;
            break;
        case OPT_HOST:
            a->host = optarg;
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
    return CERTS_GO_ON;
}

/* Generate mode: the required options, and the Service's four names into names[].
 * Returns CERTS_GO_ON or 2. */
static int check_generate_args(const certs_args *a, char names[4][256])
{
    if (a->svc == NULL || a->ns == NULL || a->out_dir == NULL) {
        fprintf(stderr,
                "gomemlimit-webhook certs: --service, --namespace and --out are required\n");
        usage(stderr);
        return 2;
    }
    if ((a->ca_cert_path == NULL) != (a->ca_key_path == NULL)) {
        fprintf(stderr, "gomemlimit-webhook certs: --ca-cert and --ca-key go together\n");
        return 2;
    }
    if (gmw_certs_service_names(a->svc, a->ns, names) != 0) {
        fprintf(stderr, "gomemlimit-webhook certs: service and namespace must be DNS-1123 labels "
                        "(lower-case letters, digits, '-'; e.g. gomemlimit-webhook)\n");
        return 2;
    }
    return CERTS_GO_ON;
}

/* The files generate mode writes, named as in a kubernetes.io/tls Secret. */
typedef struct {
    char ca[4096], ca_key[4096], crt[4096], key[4096];
    bool write_ca_key; /* only when the CA is generated here */
} out_files;

/*
 * Name the output files, create the directory and refuse to overwrite (without --force).
 * Returns CERTS_GO_ON, 1 or 2.
 */
static int prepare_out_dir(const certs_args *a, out_files *f)
{
    if (join(f->ca, sizeof f->ca, a->out_dir, "ca.crt") != 0 ||
        join(f->ca_key, sizeof f->ca_key, a->out_dir, "ca.key") != 0 ||
        join(f->crt, sizeof f->crt, a->out_dir, "tls.crt") != 0 ||
        join(f->key, sizeof f->key, a->out_dir, "tls.key") != 0) {
        fprintf(stderr, "gomemlimit-webhook certs: --out path too long\n");
        return 2;
    }
    f->write_ca_key = a->ca_cert_path == NULL;
    int mkrc = make_dirs(a->out_dir);
    if (mkrc != 0) {
        fprintf(stderr, "gomemlimit-webhook certs: %s: %s\n", a->out_dir, strerror(-mkrc));
        return 1;
    }
    if (a->force)
        return CERTS_GO_ON;
    const char *targets[4] = {f->ca, f->crt, f->key, f->write_ca_key ? f->ca_key : NULL};
    for (int i = 0; i < 4; i++)
        if (targets[i] != NULL && access(targets[i], F_OK) == 0) {
            fprintf(stderr, "gomemlimit-webhook certs: %s exists (use --force to overwrite)\n",
                    targets[i]);
            return 1;
        }
    return CERTS_GO_ON;
}

/* The PEM material of one run; keys are wiped when freed. */
typedef struct {
    gmw_pem ca_cert, ca_key, cert, key;
} certs_material;

static void wipe_pem(gmw_pem *p)
{
    if (p->data != NULL)
        memset(p->data, 0, p->len);
    gmw_pem_free(p);
}

static void material_free(certs_material *m)
{
    gmw_pem_free(&m->ca_cert);
    wipe_pem(&m->ca_key);
    gmw_pem_free(&m->cert);
    wipe_pem(&m->key);
}

/* Generate the CA, or read the one given with --ca-cert/--ca-key. Returns 0 or -errno. */
static int obtain_ca(const certs_args *a, time_t not_before, time_t now, certs_material *m,
                     char *err, size_t errcap)
{
    if (a->ca_cert_path == NULL)
        return gmw_certs_make_ca("gomemlimit-webhook CA", a->type, not_before,
                                 now + a->ca_days * 86400L, &m->ca_cert, &m->ca_key, err, errcap);
    int rc;
    if ((rc = gmw_certs_read_file(a->ca_cert_path, 1024 * 1024, &m->ca_cert)) != 0 ||
        (rc = gmw_certs_read_file(a->ca_key_path, 1024 * 1024, &m->ca_key)) != 0) {
        snprintf(err, errcap, "reading the CA: %s", strerror(-rc));
        return rc;
    }
    return 0;
}

/* Issue the serving pair for the Service's names and check it as the server would, against
 * the CA, for the .svc name. Returns 0 or -errno. */
static int issue_serving(const certs_args *a, char names[4][256], time_t not_before, time_t now,
                         certs_material *m, char *err, size_t errcap)
{
    const char *const sans[4] = {names[0], names[1], names[2], names[3]};
    int rc =
        gmw_certs_make_serving(sans, 4, a->type, not_before, now + a->days * 86400L,
                               m->ca_cert.data, m->ca_key.data, &m->cert, &m->key, err, errcap);
    if (rc != 0)
        return rc;
    return gmw_certs_check(m->cert.data, m->cert.len, m->key.data, m->key.len, m->ca_cert.data,
                           m->ca_cert.len, names[2], now, NULL, err, errcap);
}

/* Write the keys first (0600), then the certificates. Returns 0 or -errno. */
static int write_outputs(const certs_args *a, const out_files *f, const certs_material *m,
                         char *err, size_t errcap)
{
    int rc;
    if ((rc = gmw_certs_write_file(f->key, m->key.data, m->key.len, 0600)) != 0 ||
        (rc = gmw_certs_write_file(f->crt, m->cert.data, m->cert.len, 0644)) != 0 ||
        (rc = gmw_certs_write_file(f->ca, m->ca_cert.data, m->ca_cert.len, 0644)) != 0 ||
        (f->write_ca_key &&
         (rc = gmw_certs_write_file(f->ca_key, m->ca_key.data, m->ca_key.len, 0600)) != 0)) {
        snprintf(err, errcap, "writing to %s: %s", a->out_dir, strerror(-rc));
        return rc;
    }
    return 0;
}

/* stdout: the CA bundle as the webhook's caBundle wants it; stderr: what was written. */
static int report_written(const certs_args *a, const out_files *f, char names[4][256],
                          const certs_material *m, char *err, size_t errcap)
{
    char *bundle = gmw_base64_encode(m->ca_cert.data, m->ca_cert.len);
    if (bundle == NULL) {
        snprintf(err, errcap, "out of memory");
        return -ENOMEM;
    }
    printf("%s\n", bundle);
    free(bundle);
    fprintf(
        stderr,
        "gomemlimit-webhook certs: wrote %s, %s, %s%s%s (SANs %s, %s, %s, %s; valid %ld days)\n",
        f->ca, f->crt, f->key, f->write_ca_key ? ", " : "", f->write_ca_key ? f->ca_key : "",
        names[0], names[1], names[2], names[3], a->days);
    return 0;
}

/* Generate mode: CA (or the given one), serving pair, files, caBundle. Returns the exit code. */
static int generate_mode(const certs_args *a)
{
    char names[4][256];
    out_files files;
    int rc = check_generate_args(a, names);
    if (rc == CERTS_GO_ON)
        rc = prepare_out_dir(a, &files);
    if (rc != CERTS_GO_ON)
        return rc;

    certs_material m;
    memset(&m, 0, sizeof m);
    char err[GMW_CERTS_ERR] = "";
    time_t now = time(NULL);
    time_t not_before = now - BACKDATE_SECONDS;
    int exit_code = 1;
    if (obtain_ca(a, not_before, now, &m, err, sizeof err) != 0 ||
        issue_serving(a, names, not_before, now, &m, err, sizeof err) != 0 ||
        write_outputs(a, &files, &m, err, sizeof err) != 0 ||
        report_written(a, &files, names, &m, err, sizeof err) != 0)
        fprintf(stderr, "gomemlimit-webhook certs: %s\n", err);
    else
        exit_code = 0;
    material_free(&m);
    return exit_code;
}

int gmw_cmd_certs(int argc, char **argv)
{
    certs_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc != CERTS_GO_ON)
        return rc;
    if (!a.check)
        return generate_mode(&a);
    if (a.cert_path == NULL || a.key_path == NULL) {
        fprintf(stderr, "gomemlimit-webhook certs: --check needs --cert and --key\n");
        return 2;
    }
    return check_mode(a.cert_path, a.key_path, a.ca_path, a.host);
}
