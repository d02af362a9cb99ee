/*
 * cli_serve.c - `gomemlimit-webhook serve`: load config and certificate, start the
 * HTTPS server, reload certificate and config when their files change, and shut down
 * gracefully on SIGTERM/SIGINT.
 *
 * Signals are blocked in every thread (set before MHD starts its threads) and taken
 * synchronously with sigwaitinfo() here in the main thread: SIGTERM/SIGINT drain and
 * exit 0, SIGHUP reloads certificate and config at once.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "certs.h"
#include "cli.h"
#include "cliopt.h"
#include "config.h"
#include "config_file.h"
#include "duration.h"
#include "intparse.h"
#include "listen.h"
#include "listen_socket.h"
#include "log.h"
#include "metrics.h"
#include "quantity.h"
#include "server.h"
#include "tlsstore.h"
#include "watch.h"

#define EXPIRY_WARN_DAYS 30

_Static_assert(GMW_CONFIG_STR == 256 && GMW_CONFIG_PATH == 1024,
               "update the flag length messages in take_option");

/* Flags given on the command line; each overrides its config key. */
typedef struct {
    const char *config_path;
    const char *listen, *cert, *key, *log_level;
    bool threads_set, limit_set, idle_set, request_set, grace_set, body_set;
    unsigned threads, limit, idle_s, request_s, grace_s;
    bool header_set, per_ip_set;
    unsigned header_s, per_ip;
    int64_t max_body;
    unsigned reload_interval_ms;
    bool check; /* --check: validate, report, exit */
    unsigned metrics_namespaces;
} serve_flags;

/* State shared by the main thread and the watcher thread's reload callbacks. */
typedef struct {
    serve_flags flags;
    gmw_config running; /* the config in effect (restart-only keys as started) */
    gmw_server *server;
    gmw_metrics metrics;
    pthread_mutex_t reload_lock; /* one reload at a time */
} serve_state;

enum {
    OPT_LISTEN = 256,
    OPT_CERT,
    OPT_KEY,
    OPT_THREADS,
    OPT_LIMIT,
    OPT_IDLE,
    OPT_REQUEST,
    OPT_GRACE,
    OPT_BODY,
    OPT_LOG,
    OPT_RELOAD,
    OPT_METRICS_NS,
    OPT_HEADER,
    OPT_PER_IP,
    OPT_CHECK
};

/* The options of `serve`: the parser and the help are both made from this table. */
static const gmw_cliopt serve_options[] = {
    {'c', 'c', "config", "FILE", "YAML config file (engine and server keys)"},
    {0, OPT_LISTEN, "listen", "ADDR", "host:port, :port or [v6]:port (listen; default :8443)"},
    {0, OPT_CERT, "tls-cert-file", "FILE", "PEM certificate (chain) (tls.certFile)"},
    {0, OPT_KEY, "tls-key-file", "FILE", "PEM private key (tls.keyFile)"},
    {0, OPT_THREADS, "threads", "N", "worker threads, 0 = CPU count (threads)"},
    {0, OPT_LIMIT, "connection-limit", "N", "maximum open connections (connectionLimit)"},
    {0, OPT_PER_IP, "per-ip-connection-limit", "N",
     "open connections per client address, 0 = no cap\n(perIpConnectionLimit; 512)"},
    {0, OPT_HEADER, "header-timeout", "DUR",
     "close a connection whose first request headers have\nnot arrived (handshake included) "
     "after DUR without\ntraffic (headerTimeout; 10s, 1s..1h)"},
    {0, OPT_IDLE, "idle-timeout", "DUR",
     "close idle connections after DUR (idleTimeout; 120s,\n1s..24h)"},
    {0, OPT_REQUEST, "request-timeout", "DUR",
     "abort a request whose body has not arrived within DUR\n(requestTimeout; 10s, 1s..1h)"},
    {0, OPT_GRACE, "shutdown-grace-period", "DUR",
     "time to finish requests on SIGTERM\n(shutdownGracePeriod; 20s, 0s..1h)"},
    {0, OPT_BODY, "max-body", "QUANTITY", "largest request body, e.g. 8Mi (maxBody)"},
    {0, OPT_LOG, "log-level", "LEVEL", "debug | info | warn | error (logLevel)"},
    {0, OPT_RELOAD, "reload-interval", "DUR", "poll interval for file changes (default 2s)"},
    {0, OPT_METRICS_NS, "metrics-namespaces", "N",
     "namespaces with their own injections_total series,\n0..256 (default 64; later ones count "
     "as \"_other\")"},
    {0, OPT_CHECK, "check", NULL,
     "check the config file, the flags, the certificate pair\nand the listen address, print "
     "\"configuration OK\" or\nevery error, exit 0 or 1; never serves"},
    {'h', 'h', "help", NULL, "show this help"},
};
#define SERVE_OPTIONS (sizeof serve_options / sizeof serve_options[0])

static void usage(FILE *out)
{
    fputs("Usage: gomemlimit-webhook serve [options]\n"
          "\n"
          "Run the HTTPS admission webhook (POST /mutate, GET /healthz /readyz /metrics).\n"
          "Flags override the keys of the config file.\n"
          "\n"
          "Options:\n",
          out);
    gmw_cliopt_help(out, serve_options, SERVE_OPTIONS, 32);
    fputs("\n"
          "DUR is " GMW_DURATION_SYNTAX ", as in the config file\n"
          "(whole seconds except for --reload-interval).\n"
          "The certificate, the key and the config file are watched (Kubernetes Secret and\n"
          "ConfigMap volume updates included) and reloaded live; SIGHUP reloads at once.\n"
          "SIGTERM/SIGINT: stop accepting, finish in-flight requests, exit 0.\n",
          out);
}

/* Write the flags that were given over the config keys. */
static void apply_flags(const serve_flags *f, gmw_config *cfg)
{
    if (f->listen != NULL)
        snprintf(cfg->listen, sizeof cfg->listen, "%s", f->listen);
    if (f->cert != NULL)
        snprintf(cfg->tls_cert_file, sizeof cfg->tls_cert_file, "%s", f->cert);
    if (f->key != NULL)
        snprintf(cfg->tls_key_file, sizeof cfg->tls_key_file, "%s", f->key);
    if (f->log_level != NULL && gmw_log_level_parse(f->log_level, &cfg->log_level) != 0)
        cfg->log_level = GMW_LOG_INFO; /* unreachable: parse_args checked it */
    if (f->threads_set)
        cfg->threads = f->threads;
    if (f->limit_set)
        cfg->connection_limit = f->limit;
    if (f->idle_set)
        cfg->idle_timeout_s = f->idle_s;
    if (f->header_set)
        cfg->header_timeout_s = f->header_s;
    if (f->per_ip_set)
        cfg->per_ip_connection_limit = f->per_ip;
    if (f->request_set)
        cfg->request_timeout_s = f->request_s;
    if (f->grace_set)
        cfg->shutdown_grace_s = f->grace_s;
    if (f->body_set)
        cfg->max_body_bytes = f->max_body;
}

static unsigned cpu_count(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        return (unsigned)CPU_COUNT(&set);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1;
}

static void log_cert(gmw_log_level level, const char *msg, const gmw_cert_info *info,
                     const char *path)
{
    gmw_log_field f[6];
    size_t n = 0;
    f[n++] = GMW_LOG_STR("certFile", path);
    f[n++] = GMW_LOG_STR("subject", info->subject);
    f[n++] = GMW_LOG_STR("serial", info->serial);
    f[n++] = GMW_LOG_STR("sha256", info->sha256);
    f[n++] = GMW_LOG_INT("notAfter", info->not_after);
    f[n++] = GMW_LOG_STR("dnsName", info->dns_count > 0 ? info->dns[0] : "");
    gmw_log_fields(level, msg, f, n);
    int64_t left = info->not_after - (int64_t)time(NULL);
    if (left < (int64_t)EXPIRY_WARN_DAYS * 86400) {
        gmw_log_field w[2] = {GMW_LOG_INT("notAfter", info->not_after),
                              GMW_LOG_INT("daysLeft", left / 86400)};
        gmw_log_fields(GMW_LOG_WARN, "serving certificate expires soon", w, 2);
    }
}

/* Watcher/SIGHUP: reload the certificate pair; a bad pair keeps the old one. */
static void reload_certs(void *arg)
{
    serve_state *st = arg;
    pthread_mutex_lock(&st->reload_lock);
    gmw_cert_info info;
    char err[GMW_CERTS_ERR + 1200];
    if (gmw_tlsstore_load(st->running.tls_cert_file, st->running.tls_key_file, &info, err,
                          sizeof err) == 0) {
        gmw_metrics_cert_reload(&st->metrics, GMW_RELOAD_SUCCESS);
        gmw_metrics_cert_expiry(&st->metrics, info.not_after);
        log_cert(GMW_LOG_INFO, "serving certificate reloaded", &info, st->running.tls_cert_file);
    } else {
        gmw_metrics_cert_reload(&st->metrics, GMW_RELOAD_FAILURE);
        gmw_log_field f[2] = {GMW_LOG_STR("error", err),
                              GMW_LOG_STR("certFile", st->running.tls_cert_file)};
        gmw_log_fields(GMW_LOG_ERROR,
                       "certificate reload failed; still serving the previous certificate", f, 2);
    }
    pthread_mutex_unlock(&st->reload_lock);
}

/* Warn about a restart-only key that changed and keep the running value. */
#define KEEP_STR(field, key)                                                                       \
    do {                                                                                           \
        if (strcmp(cfg.field, st->running.field) != 0) {                                           \
            gmw_log(GMW_LOG_WARN, "config key %s changed: takes effect after a restart", key);     \
            memcpy(cfg.field, st->running.field, sizeof cfg.field);                                \
        }                                                                                          \
    } while (0)
#define KEEP_NUM(field, key)                                                                       \
    do {                                                                                           \
        if (cfg.field != st->running.field) {                                                      \
            gmw_log(GMW_LOG_WARN, "config key %s changed: takes effect after a restart", key);     \
            cfg.field = st->running.field;                                                         \
        }                                                                                          \
    } while (0)

/* Watcher/SIGHUP: reload the config file; an invalid file keeps the running config. */
static void reload_config(void *arg)
{
    serve_state *st = arg;
    if (st->flags.config_path == NULL)
        return;
    pthread_mutex_lock(&st->reload_lock);
    gmw_config cfg;
    char err[GMW_CONFIG_ERR];
    if (gmw_config_load_file(st->flags.config_path, &cfg, err, sizeof err) != 0) {
        gmw_metrics_config_reload(&st->metrics, GMW_RELOAD_FAILURE);
        gmw_log_field f[2] = {GMW_LOG_STR("error", err),
                              GMW_LOG_STR("config", st->flags.config_path)};
        gmw_log_fields(GMW_LOG_ERROR, "config reload failed; keeping the running config", f, 2);
        goto out;
    }
    apply_flags(&st->flags, &cfg);
    if (cfg.threads == 0)
        cfg.threads = st->running.threads;
    KEEP_STR(listen, "listen");
    KEEP_STR(tls_cert_file, "tls.certFile");
    KEEP_STR(tls_key_file, "tls.keyFile");
    KEEP_NUM(threads, "threads");
    KEEP_NUM(connection_limit, "connectionLimit");
    KEEP_NUM(idle_timeout_s, "idleTimeout");
    KEEP_NUM(header_timeout_s, "headerTimeout");
    KEEP_NUM(per_ip_connection_limit, "perIpConnectionLimit");
    if (cfg.max_body_bytes <= 0)
        cfg.max_body_bytes = st->running.max_body_bytes;
    if (gmw_server_set_config(st->server, &cfg) != 0) {
        gmw_metrics_config_reload(&st->metrics, GMW_RELOAD_FAILURE);
        gmw_log(GMW_LOG_ERROR, "config reload failed: out of memory");
        goto out;
    }
    st->running = cfg;
    gmw_log_set_level(cfg.log_level);
    gmw_metrics_config_reload(&st->metrics, GMW_RELOAD_SUCCESS);
    gmw_log_field f[1] = {GMW_LOG_STR("config", st->flags.config_path)};
    gmw_log_fields(GMW_LOG_INFO, "config reloaded", f, 1);
out:
    pthread_mutex_unlock(&st->reload_lock);
}

/*
 * Problems found in the flags (and, with --check, in the rest of the configuration). Without
 * --check only the first one is printed, as the usage error it is; --check prints them all.
 */
#define SERVE_MAX_PROBLEMS 16
typedef struct {
    char msg[SERVE_MAX_PROBLEMS][GMW_CONFIG_PATH * 4];
    size_t n;         /* problems found (more than SERVE_MAX_PROBLEMS are counted, not kept) */
    bool first_usage; /* the first problem is an unknown option or a missing value */
} serve_problems;

static void add_problem(serve_problems *p, bool with_usage, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void add_problem(serve_problems *p, bool with_usage, const char *fmt, ...)
{
    if (p->n == 0)
        p->first_usage = with_usage;
    if (p->n < SERVE_MAX_PROBLEMS) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->msg[p->n], sizeof p->msg[0], fmt, ap);
        va_end(ap);
    }
    p->n++;
}

/*
 * Take one option and its value into *f. Returns NULL, or why the value is bad (a static
 * string, or why_buf); a bad value leaves *f as it was.
 */
static const char *take_option(serve_flags *f, int c, const char *arg, char *why_buf,
                               size_t why_cap)
{
    gmw_log_level lvl;
    uint64_t ms;
    unsigned u;
    int64_t q;
    switch (c) {
    case 'c':
        f->config_path = arg;
        return NULL;
    /* Copied into fixed config fields later: too long is an error, never cut short. */
    case OPT_LISTEN: {
        if (strlen(arg) >= GMW_CONFIG_STR)
            return "--listen: address too long (at most 255 bytes)";
        char host[GMW_CONFIG_STR];
        uint16_t port = 0;
        const char *why = NULL;
        if (gmw_listen_parse(arg, host, sizeof host, &port, &why) != 0) {
            snprintf(why_buf, why_cap, "--listen: %s", why);
            return why_buf;
        }
        f->listen = arg;
        return NULL;
    }
    case OPT_CERT:
        if (strlen(arg) >= GMW_CONFIG_PATH)
            return "--tls-cert-file: path too long (at most 1023 bytes)";
        f->cert = arg;
        return NULL;
    case OPT_KEY:
        if (strlen(arg) >= GMW_CONFIG_PATH)
            return "--tls-key-file: path too long (at most 1023 bytes)";
        f->key = arg;
        return NULL;
    case OPT_THREADS:
        if (gmw_parse_unsigned(arg, 0, 1024, &u) != 0)
            return "--threads wants an integer 0..1024";
        f->threads = u;
        f->threads_set = true;
        return NULL;
    case OPT_LIMIT:
        if (gmw_parse_unsigned(arg, 1, 1000000, &u) != 0)
            return "--connection-limit wants an integer 1..1000000";
        f->limit = u;
        f->limit_set = true;
        return NULL;
    case OPT_HEADER:
        if (gmw_duration_parse_seconds(arg, GMW_HEADER_TIMEOUT_MIN_S, GMW_HEADER_TIMEOUT_MAX_S,
                                       &u) != 0)
            return "--header-timeout wants a duration from 1s to 1h in whole seconds, e.g. 10s";
        f->header_s = u;
        f->header_set = true;
        return NULL;
    case OPT_PER_IP:
        if (gmw_parse_unsigned(arg, 0, 1000000, &u) != 0)
            return "--per-ip-connection-limit wants an integer 0..1000000";
        f->per_ip = u;
        f->per_ip_set = true;
        return NULL;
    case OPT_IDLE:
        if (gmw_duration_parse_seconds(arg, GMW_IDLE_TIMEOUT_MIN_S, GMW_IDLE_TIMEOUT_MAX_S, &u) !=
            0)
            return "--idle-timeout wants a duration from 1s to 24h in whole seconds, e.g. 120s";
        f->idle_s = u;
        f->idle_set = true;
        return NULL;
    case OPT_REQUEST:
        if (gmw_duration_parse_seconds(arg, GMW_REQUEST_TIMEOUT_MIN_S, GMW_REQUEST_TIMEOUT_MAX_S,
                                       &u) != 0)
            return "--request-timeout wants a duration from 1s to 1h in whole seconds, e.g. 10s";
        f->request_s = u;
        f->request_set = true;
        return NULL;
    case OPT_GRACE:
        if (gmw_duration_parse_seconds(arg, GMW_SHUTDOWN_GRACE_MIN_S, GMW_SHUTDOWN_GRACE_MAX_S,
                                       &u) != 0)
            return "--shutdown-grace-period wants a duration from 0s to 1h in whole seconds, "
                   "e.g. 20s";
        f->grace_s = u;
        f->grace_set = true;
        return NULL;
    case OPT_BODY:
        if (gmw_quantity_parse_cstr(arg, &q) != GMW_QTY_OK || q < 4096 || q > 1024LL * 1024 * 1024)
            return "--max-body wants a quantity from 4Ki to 1Gi, e.g. 8Mi";
        f->max_body = q;
        f->body_set = true;
        return NULL;
    case OPT_LOG:
        if (gmw_log_level_parse(arg, &lvl) != 0)
            return "--log-level wants debug, info, warn or error";
        f->log_level = arg;
        return NULL;
    case OPT_RELOAD:
        if (gmw_duration_parse_ms(arg, &ms) != 0 || ms < 10 || ms > 3600000)
            return "--reload-interval wants a duration between 10ms and 1h";
        f->reload_interval_ms = (unsigned)ms;
        return NULL;
    case OPT_METRICS_NS:
        if (gmw_parse_unsigned(arg, 0, GMW_METRICS_NAMESPACES_MAX, &u) != 0)
            return "--metrics-namespaces wants a number from 0 to 256";
        f->metrics_namespaces = u;
        return NULL;
    case OPT_CHECK:
        f->check = true;
        return NULL;
    default:
        return "internal error: option without a handler";
    }
}

#define SERVE_HELP (-1) /* from parse_args: --help was printed, exit 0 */

/*
 * Parse argv into *f, recording every bad option in *p. Returns SERVE_HELP, 0 to go on
 * (with --check, also when *p holds problems: they are part of the report), or 2 after
 * printing the first problem as a usage error.
 */
static int parse_args(int argc, char **argv, serve_flags *f, serve_problems *p)
{
    char why[160];
    memset(f, 0, sizeof *f);
    memset(p, 0, sizeof *p);
    f->reload_interval_ms = 2000;
    f->metrics_namespaces = GMW_METRICS_NAMESPACES_DEFAULT;
    gmw_cliopt_parser parser;
    if (gmw_cliopt_init(&parser, serve_options, SERVE_OPTIONS) != 0) {
        fputs("gomemlimit-webhook serve: internal error: bad option table\n", stderr);
        return 2;
    }
    for (;;) {
        int c = gmw_cliopt_next(&parser, argc, argv);
        if (c == -1)
            break;
        if (c == 'h') {
            if (p->n > 0) /* the problem comes first, as it did on the command line */
                continue;
            usage(stdout);
            return SERVE_HELP;
        }
        if (c == ':') {
            add_problem(p, true, "option '%s' needs a value", argv[optind - 1]);
            continue;
        }
        if (c == '?') {
            add_problem(p, true, "unknown option '%s'", argv[optind - 1]);
            continue;
        }
        const char *bad = take_option(f, c, optarg, why, sizeof why);
        if (bad != NULL)
            add_problem(p, false, "%s (got '%s')", bad, optarg);
    }
    if (optind < argc)
        add_problem(p, false, "unexpected argument '%s'", argv[optind]);
    if (p->n == 0 || f->check)
        return 0;
    fprintf(stderr, "gomemlimit-webhook serve: %s\n", p->msg[0]);
    if (p->first_usage)
        usage(stderr);
    return 2;
}

/*
 * The configuration in effect: defaults, then the config file, then the flags. Returns 0,
 * or -errno with the config file's error ("PATH:LINE:COL: ...") in err; *cfg then holds
 * the defaults with the flags applied.
 */
static int build_config(const serve_flags *f, gmw_config *cfg, char *err, size_t errcap)
{
    int rc = 0;
    gmw_config_defaults(cfg);
    if (f->config_path != NULL) {
        rc = gmw_config_load_file(f->config_path, cfg, err, errcap);
        if (rc != 0) {
            rc = rc < 0 ? rc : -EINVAL;
            gmw_config_defaults(cfg);
        }
    }
    apply_flags(f, cfg);
    return rc;
}

#define NO_TLS_PAIR                                                                                \
    "no TLS certificate: set tls.certFile and tls.keyFile in the config or --tls-cert-file and "   \
    "--tls-key-file"

/*
 * --check's listen test: the syntax (the config loader and --listen checked it already; this
 * catches the default left in place by a config file that did not load), then, for a given
 * host, that the host resolves to an address of this machine: it binds that host with port
 * 0 and closes the socket at once. The configured port is never bound (a running server may
 * hold it).
 */
static void check_listen(const char *listen, serve_problems *p)
{
    char host[GMW_CONFIG_STR], probe[GMW_CONFIG_STR + 8], err[GMW_CONFIG_STR + 256];
    uint16_t port = 0;
    const char *why = NULL;
    if (gmw_listen_parse(listen, host, sizeof host, &port, &why) != 0) {
        add_problem(p, false, "listen '%s': %s", listen, why);
        return;
    }
    if (host[0] == '\0') /* all interfaces: always there */
        return;
    snprintf(probe, sizeof probe, strchr(host, ':') != NULL ? "[%s]:0" : "%s:0", host);
    int fd = -1;
    uint16_t bound = 0;
    if (gmw_listen_socket_open(probe, &fd, &bound, err, sizeof err) != 0) {
        add_problem(p, false, "listen '%s': the host cannot be bound here (%s)", listen, err);
        return;
    }
    close(fd);
}

/*
 * serve --check: everything serve would refuse at start, without serving. The certificate
 * pair goes through gmw_tlsstore_load, the very check serve runs (gmw_certs_check: readable,
 * parseable, key matches, valid now, has SANs; and GnuTLS imports it). Returns the exit code:
 * 0 ("configuration OK" on stdout) or 1 (every problem on stderr).
 */
static int check_configuration(const serve_flags *f, serve_problems *p)
{
    gmw_config cfg;
    char err[GMW_CONFIG_ERR + 1200];
    bool config_ok = build_config(f, &cfg, err, sizeof err) == 0;
    if (!config_ok)
        add_problem(p, false, "%s", err);

    /* With a config file that does not load, the pair it names is unknown: check only a
     * pair given in full by the flags. */
    bool pair_known = config_ok || (f->cert != NULL && f->key != NULL);
    if (!pair_known) {
        /* the config file's error is reported already */
    } else if (cfg.tls_cert_file[0] != '\0' && cfg.tls_key_file[0] != '\0') {
        gmw_cert_info info;
        if (gmw_tlsstore_load(cfg.tls_cert_file, cfg.tls_key_file, &info, err, sizeof err) != 0) {
            add_problem(p, false, "certificate pair (%s, %s): %s", cfg.tls_cert_file,
                        cfg.tls_key_file, err);
        } else {
            int64_t left = info.not_after - (int64_t)time(NULL);
            if (left < (int64_t)EXPIRY_WARN_DAYS * 86400)
                fprintf(stderr,
                        "gomemlimit-webhook serve: warning: the serving certificate expires in "
                        "%lld days\n",
                        (long long)(left / 86400));
        }
        gmw_tlsstore_clear();
    } else {
        add_problem(p, false, NO_TLS_PAIR);
    }

    check_listen(cfg.listen, p);

    if (p->n == 0) {
        puts("configuration OK");
        return 0;
    }
    size_t shown = p->n < SERVE_MAX_PROBLEMS ? p->n : SERVE_MAX_PROBLEMS;
    for (size_t i = 0; i < shown; i++)
        fprintf(stderr, "gomemlimit-webhook serve: %s\n", p->msg[i]);
    fprintf(stderr, "gomemlimit-webhook serve: configuration has %zu error%s\n", p->n,
            p->n == 1 ? "" : "s");
    return 1;
}

/* Block the signals the main thread waits for, before any thread exists, so every thread
 * inherits the mask; SIGPIPE is ignored. */
static void block_signals(sigset_t *sigs)
{
    sigemptyset(sigs);
    sigaddset(sigs, SIGTERM);
    sigaddset(sigs, SIGINT);
    sigaddset(sigs, SIGHUP);
    pthread_sigmask(SIG_BLOCK, sigs, NULL);
    (void)signal(SIGPIPE, SIG_IGN); /* fails only for an invalid signal number */
}

/*
 * Watch the certificate pair and the config file. Takes the file signatures now, before
 * loading, so no change in between is missed. Returns 0 or -errno (message printed).
 */
static int watch_files(serve_state *st, const gmw_config *cfg, gmw_watch **out)
{
    gmw_watch *watch = NULL;
    if (gmw_watch_new(st->flags.reload_interval_ms, 200, &watch) != 0) {
        fprintf(stderr, "gomemlimit-webhook serve: out of memory\n");
        return -ENOMEM;
    }
    const char *pair[2] = {cfg->tls_cert_file, cfg->tls_key_file};
    int arc = gmw_watch_add(watch, pair, 2, reload_certs, st);
    if (arc == 0 && st->flags.config_path != NULL) {
        const char *one[1] = {st->flags.config_path};
        arc = gmw_watch_add(watch, one, 1, reload_config, st);
    }
    if (arc != 0) {
        fprintf(stderr, "gomemlimit-webhook serve: cannot watch the files: %s\n", strerror(-arc));
        gmw_watch_free(watch);
        return arc;
    }
    *out = watch;
    return 0;
}

/* Load the serving pair and start the server. Returns 0 or -1 (logged). */
static int start_serving(serve_state *st, const gmw_config *cfg)
{
    char err[GMW_CONFIG_ERR + 1200];
    gmw_cert_info info;
    if (gmw_tlsstore_load(cfg->tls_cert_file, cfg->tls_key_file, &info, err, sizeof err) != 0) {
        gmw_log_field f[1] = {GMW_LOG_STR("error", err)};
        gmw_log_fields(GMW_LOG_ERROR, "cannot load the serving certificate", f, 1);
        return -1;
    }
    gmw_metrics_cert_expiry(&st->metrics, info.not_after);
    log_cert(GMW_LOG_INFO, "serving certificate loaded", &info, cfg->tls_cert_file);

    gmw_server_options opt = {
        .listen = cfg->listen,
        .threads = cfg->threads,
        .connection_limit = cfg->connection_limit,
        .idle_timeout_s = cfg->idle_timeout_s,
        .header_timeout_s = cfg->header_timeout_s,
        .per_ip_connection_limit = cfg->per_ip_connection_limit,
        .metrics = &st->metrics,
    };
    if (gmw_server_start(&opt, cfg, &st->server, err, sizeof err) != 0) {
        gmw_log_field f[1] = {GMW_LOG_STR("error", err)};
        gmw_log_fields(GMW_LOG_ERROR, "cannot start the server", f, 1);
        return -1;
    }
    gmw_log_field f[9] = {
        GMW_LOG_STR("listen", cfg->listen),
        GMW_LOG_INT("port", gmw_server_port(st->server)),
        GMW_LOG_INT("threads", cfg->threads),
        GMW_LOG_INT("connectionLimit", cfg->connection_limit),
        GMW_LOG_INT("perIpConnectionLimit", cfg->per_ip_connection_limit),
        GMW_LOG_INT("headerTimeoutSeconds", cfg->header_timeout_s),
        GMW_LOG_INT("idleTimeoutSeconds", cfg->idle_timeout_s),
        GMW_LOG_INT("maxBodyBytes", cfg->max_body_bytes),
        GMW_LOG_STR("version", GMW_VERSION),
    };
    gmw_log_fields(GMW_LOG_INFO, "listening", f, 9);
    return 0;
}

/* Serve until SIGTERM/SIGINT; SIGHUP reloads certificate and config at once. */
static void wait_for_stop(serve_state *st, const sigset_t *sigs)
{
    for (;;) {
        siginfo_t si;
        int sig = sigwaitinfo(sigs, &si);
        if (sig == -1) {
            if (errno == EINTR)
                continue;
            gmw_log(GMW_LOG_ERROR, "sigwaitinfo: %s", strerror(errno));
            return;
        }
        if (sig != SIGHUP)
            return;
        gmw_log(GMW_LOG_INFO, "SIGHUP: reloading certificate and config");
        reload_certs(st);
        reload_config(st);
    }
}

/* Stop accepting, finish in-flight requests within the grace period, stop the server. */
static void shut_down(serve_state *st, gmw_watch *watch)
{
    pthread_mutex_lock(&st->reload_lock);
    unsigned grace_s = st->running.shutdown_grace_s;
    pthread_mutex_unlock(&st->reload_lock);
    /* Not ready first, then say so; the drain stops listening once the server is quiet. */
    gmw_server_quiesce(st->server);
    {
        gmw_log_field f[2] = {GMW_LOG_INT("gracePeriodSeconds", grace_s),
                              GMW_LOG_INT("inFlight", gmw_metrics_in_flight(&st->metrics))};
        gmw_log_fields(GMW_LOG_INFO, "shutting down: finishing requests", f, 2);
    }
    int64_t left = gmw_server_drain(st->server, grace_s * 1000u);
    if (left > 0) {
        gmw_log_field f[1] = {GMW_LOG_INT("inFlight", left)};
        gmw_log_fields(GMW_LOG_WARN, "grace period over; closing unfinished requests", f, 1);
    }
    gmw_watch_free(watch); /* no reload may run while the server goes away */
    gmw_server_stop(st->server);
    st->server = NULL;
    gmw_log(GMW_LOG_INFO, "stopped");
}

/* Serve with cfg until told to stop. Returns the exit code. */
static int run(serve_state *st, gmw_config *cfg)
{
    gmw_watch *watch = NULL;
    int exit_code = 1;
    if (cfg->threads == 0)
        cfg->threads = cpu_count();
    if (cfg->max_body_bytes <= 0)
        cfg->max_body_bytes = 8 * 1024 * 1024;
    st->running = *cfg;
    pthread_mutex_init(&st->reload_lock, NULL);
    gmw_metrics_init(&st->metrics, (int64_t)time(NULL), GMW_VERSION);
    gmw_metrics_set_namespace_limit(&st->metrics, st->flags.metrics_namespaces);

    sigset_t sigs;
    block_signals(&sigs);
    if (watch_files(st, cfg, &watch) != 0 || start_serving(st, cfg) != 0)
        goto out;
    int wrc = gmw_watch_start(watch);
    if (wrc != 0)
        gmw_log(GMW_LOG_ERROR, "file watcher not started (%s): no live reload", strerror(-wrc));
    wait_for_stop(st, &sigs);
    shut_down(st, watch);
    watch = NULL;
    exit_code = 0;
out:
    gmw_watch_free(watch);
    gmw_server_stop(st->server);
    st->server = NULL;
    gmw_tlsstore_clear();
    gmw_metrics_destroy(&st->metrics);
    pthread_mutex_destroy(&st->reload_lock);
    return exit_code;
}

int gmw_cmd_serve(int argc, char **argv)
{
    static serve_state st; /* lives until exit: the watcher thread points into it */
    static serve_problems problems;
    char err[GMW_CONFIG_ERR + 1200];

    int prc = parse_args(argc, argv, &st.flags, &problems);
    if (prc != 0)
        return prc == SERVE_HELP ? 0 : prc;
    if (st.flags.check)
        return check_configuration(&st.flags, &problems);

    gmw_config cfg;
    if (build_config(&st.flags, &cfg, err, sizeof err) != 0) {
        fprintf(stderr, "gomemlimit-webhook serve: %s\n", err);
        return 1;
    }
    gmw_log_set_level(cfg.log_level);
    if (cfg.tls_cert_file[0] == '\0' || cfg.tls_key_file[0] == '\0') {
        fprintf(stderr, "gomemlimit-webhook serve: " NO_TLS_PAIR "\n");
        return 2;
    }
    return run(&st, &cfg);
}
