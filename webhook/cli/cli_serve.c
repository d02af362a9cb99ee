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
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "certs.h"
#include "cli.h"
#include "config.h"
#include "config_file.h"
#include "duration.h"
#include "intparse.h"
#include "listen.h"
#include "log.h"
#include "metrics.h"
#include "quantity.h"
#include "server.h"
#include "tlsstore.h"
#include "watch.h"

#define EXPIRY_WARN_DAYS 30

_Static_assert(GMW_CONFIG_STR == 256 && GMW_CONFIG_PATH == 1024,
               "update the flag length messages in parse_args");

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

static void usage(FILE *out)
{
    fputs("Usage: gomemlimit-webhook serve [options]\n"
          "\n"
          "Run the HTTPS admission webhook (POST /mutate, GET /healthz /readyz /metrics).\n"
          "Flags override the keys of the config file.\n"
          "\n"
          "Options:\n"
          "  -c, --config FILE             YAML config file (engine and server keys)\n"
          "      --listen ADDR             host:port, :port or [v6]:port (listen; default :8443)\n"
          "      --tls-cert-file FILE      PEM certificate (chain) (tls.certFile)\n"
          "      --tls-key-file FILE       PEM private key (tls.keyFile)\n"
          "      --threads N               worker threads, 0 = CPU count (threads)\n"
          "      --connection-limit N      maximum open connections (connectionLimit)\n"
          "      --per-ip-connection-limit N  open connections per client address, 0 = no cap\n"
          "                                (perIpConnectionLimit; 512)\n"
          "      --header-timeout DUR      close a connection whose first request headers have\n"
          "                                not arrived (handshake included) after DUR without\n"
          "                                traffic (headerTimeout; 10s, 1s..1h)\n"
          "      --idle-timeout DUR        close idle connections after DUR (idleTimeout; 120s,\n"
          "                                1s..24h)\n"
          "      --request-timeout DUR     abort a request whose body has not arrived within DUR\n"
          "                                (requestTimeout; 10s, 1s..1h)\n"
          "      --shutdown-grace-period DUR  time to finish requests on SIGTERM\n"
          "                                (shutdownGracePeriod; 20s, 0s..1h)\n"
          "      --max-body QUANTITY       largest request body, e.g. 8Mi (maxBody)\n"
          "      --log-level LEVEL         debug | info | warn | error (logLevel)\n"
          "      --reload-interval DUR     poll interval for file changes (default 2s)\n"
          "      --metrics-namespaces N    namespaces with their own injections_total series,\n"
          "                                0..256 (default 64; later ones count as \"_other\")\n"
          "  -h, --help                    show this help\n"
          "\n"
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
        gmw_metrics_cert_reload(&st->metrics, 1);
        gmw_metrics_cert_expiry(&st->metrics, info.not_after);
        log_cert(GMW_LOG_INFO, "serving certificate reloaded", &info, st->running.tls_cert_file);
    } else {
        gmw_metrics_cert_reload(&st->metrics, 0);
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
        gmw_metrics_config_reload(&st->metrics, 0);
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
        gmw_metrics_config_reload(&st->metrics, 0);
        gmw_log(GMW_LOG_ERROR, "config reload failed: out of memory");
        goto out;
    }
    st->running = cfg;
    gmw_log_set_level(cfg.log_level);
    gmw_metrics_config_reload(&st->metrics, 1);
    gmw_log_field f[1] = {GMW_LOG_STR("config", st->flags.config_path)};
    gmw_log_fields(GMW_LOG_INFO, "config reloaded", f, 1);
out:
    pthread_mutex_unlock(&st->reload_lock);
}

/* Parse argv into *f. Returns -1 to exit 0 (help), 0 to go on, 2 on a usage error. */
static int parse_args(int argc, char **argv, serve_flags *f)
{
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
        OPT_PER_IP
    };
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"listen", required_argument, NULL, OPT_LISTEN},
        {"tls-cert-file", required_argument, NULL, OPT_CERT},
        {"tls-key-file", required_argument, NULL, OPT_KEY},
        {"threads", required_argument, NULL, OPT_THREADS},
        {"connection-limit", required_argument, NULL, OPT_LIMIT},
        {"idle-timeout", required_argument, NULL, OPT_IDLE},
        {"request-timeout", required_argument, NULL, OPT_REQUEST},
        {"shutdown-grace-period", required_argument, NULL, OPT_GRACE},
        {"max-body", required_argument, NULL, OPT_BODY},
        {"log-level", required_argument, NULL, OPT_LOG},
        {"reload-interval", required_argument, NULL, OPT_RELOAD},
        {"metrics-namespaces", required_argument, NULL, OPT_METRICS_NS},
        {"header-timeout", required_argument, NULL, OPT_HEADER},
        {"per-ip-connection-limit", required_argument, NULL, OPT_PER_IP},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    char listen_bad[160];
    memset(f, 0, sizeof *f);
    f->reload_interval_ms = 2000;
    f->metrics_namespaces = GMW_METRICS_NAMESPACES_DEFAULT;
    optind = 1;
    opterr = 0;
    for (;;) {
        int idx = 0;
        int c = getopt_long(argc, argv, ":c:h", longopts, &idx);
        if (c == -1)
            break;
        const char *bad = NULL;
        gmw_log_level lvl;
        uint64_t ms;
        switch (c) {
        case 'c':
            f->config_path = optarg;
            break;
        /* Copied into fixed config fields later: too long is an error, never cut short. */
        case OPT_LISTEN:
            if (strlen(optarg) >= GMW_CONFIG_STR) {
                bad = "--listen: address too long (at most 255 bytes)";
            } else {
                char host[GMW_CONFIG_STR];
                uint16_t port = 0;
                const char *why = NULL;
                if (gmw_listen_parse(optarg, host, sizeof host, &port, &why) != 0) {
                    snprintf(listen_bad, sizeof listen_bad, "--listen: %s", why);
                    bad = listen_bad;
                }
            }
            f->listen = optarg;
            break;
        case OPT_CERT:
            if (strlen(optarg) >= GMW_CONFIG_PATH)
                bad = "--tls-cert-file: path too long (at most 1023 bytes)";
            f->cert = optarg;
            break;
        case OPT_KEY:
            if (strlen(optarg) >= GMW_CONFIG_PATH)
                bad = "--tls-key-file: path too long (at most 1023 bytes)";
            f->key = optarg;
            break;
        case OPT_THREADS:
            if (gmw_parse_unsigned(optarg, 0, 1024, &f->threads) != 0)
                bad = "--threads wants an integer 0..1024";
            f->threads_set = true;
            break;
        case OPT_LIMIT:
            if (gmw_parse_unsigned(optarg, 1, 1000000, &f->limit) != 0)
                bad = "--connection-limit wants an integer 1..1000000";
            f->limit_set = true;
            break;
        case OPT_HEADER:
            if (gmw_duration_parse_seconds(optarg, GMW_HEADER_TIMEOUT_MIN_S,
                                           GMW_HEADER_TIMEOUT_MAX_S, &f->header_s) != 0)
                bad = "--header-timeout wants a duration from 1s to 1h in whole seconds, e.g. 10s";
            f->header_set = true;
            break;
        case OPT_PER_IP:
            if (gmw_parse_unsigned(optarg, 0, 1000000, &f->per_ip) != 0)
                bad = "--per-ip-connection-limit wants an integer 0..1000000";
            f->per_ip_set = true;
            break;
        case OPT_IDLE:
            if (gmw_duration_parse_seconds(optarg, GMW_IDLE_TIMEOUT_MIN_S, GMW_IDLE_TIMEOUT_MAX_S,
                                           &f->idle_s) != 0)
                bad = "--idle-timeout wants a duration from 1s to 24h in whole seconds, e.g. 120s";
            f->idle_set = true;
            break;
        case OPT_REQUEST:
            if (gmw_duration_parse_seconds(optarg, GMW_REQUEST_TIMEOUT_MIN_S,
                                           GMW_REQUEST_TIMEOUT_MAX_S, &f->request_s) != 0)
                bad = "--request-timeout wants a duration from 1s to 1h in whole seconds, e.g. 10s";
            f->request_set = true;
            break;
        case OPT_GRACE:
            if (gmw_duration_parse_seconds(optarg, GMW_SHUTDOWN_GRACE_MIN_S,
                                           GMW_SHUTDOWN_GRACE_MAX_S, &f->grace_s) != 0)
                bad = "--shutdown-grace-period wants a duration from 0s to 1h in whole seconds, "
                      "e.g. 20s";
            f->grace_set = true;
            break;
        case OPT_BODY:
            if (gmw_quantity_parse_cstr(optarg, &f->max_body) != GMW_QTY_OK || f->max_body < 4096 ||
                f->max_body > 1024LL * 1024 * 1024)
                bad = "--max-body wants a quantity from 4Ki to 1Gi, e.g. 8Mi";
            f->body_set = true;
            break;
        case OPT_LOG:
            if (gmw_log_level_parse(optarg, &lvl) != 0)
                bad = "--log-level wants debug, info, warn or error";
            f->log_level = optarg;
            break;
        case OPT_RELOAD:
            if (gmw_duration_parse_ms(optarg, &ms) != 0 || ms < 10 || ms > 3600000)
                bad = "--reload-interval wants a duration between 10ms and 1h";
            else
                f->reload_interval_ms = (unsigned)ms;
            break;
        case OPT_METRICS_NS:
            if (gmw_parse_unsigned(optarg, 0, GMW_METRICS_NAMESPACES_MAX, &f->metrics_namespaces) !=
                0)
                bad = "--metrics-namespaces wants a number from 0 to 256";
            break;
        case 'h':
            usage(stdout);
            return -1;
        case ':':
            fprintf(stderr, "gomemlimit-webhook serve: option '%s' needs a value\n",
                    argv[optind - 1]);
            usage(stderr);
            return 2;
        default:
            fprintf(stderr, "gomemlimit-webhook serve: unknown option '%s'\n", argv[optind - 1]);
            usage(stderr);
            return 2;
        }
        if (bad != NULL) {
            fprintf(stderr, "gomemlimit-webhook serve: %s (got '%s')\n", bad, optarg);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "gomemlimit-webhook serve: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    return 0;
}

int gmw_cmd_serve(int argc, char **argv)
{
    static serve_state st; /* lives until exit: the watcher thread points into it */
    gmw_watch *watch = NULL;
    int exit_code = 1;
    char err[GMW_CONFIG_ERR + 1200];

    int prc = parse_args(argc, argv, &st.flags);
    if (prc != 0)
        return prc < 0 ? 0 : prc;

    gmw_config cfg;
    gmw_config_defaults(&cfg);
    if (st.flags.config_path != NULL &&
        gmw_config_load_file(st.flags.config_path, &cfg, err, sizeof err) != 0) {
        fprintf(stderr, "gomemlimit-webhook serve: %s\n", err);
        return 1;
    }
    apply_flags(&st.flags, &cfg);
    gmw_log_set_level(cfg.log_level);
    if (cfg.tls_cert_file[0] == '\0' || cfg.tls_key_file[0] == '\0') {
        fprintf(stderr, "gomemlimit-webhook serve: no TLS certificate: set tls.certFile and "
                        "tls.keyFile in the config or --tls-cert-file and --tls-key-file\n");
        return 2;
    }
    if (cfg.threads == 0)
        cfg.threads = cpu_count();
    if (cfg.max_body_bytes <= 0)
        cfg.max_body_bytes = 8 * 1024 * 1024;
    st.running = cfg;
    pthread_mutex_init(&st.reload_lock, NULL);
    gmw_metrics_init(&st.metrics, (int64_t)time(NULL), GMW_VERSION);
    gmw_metrics_set_namespace_limit(&st.metrics, st.flags.metrics_namespaces);

    /* Block the signals before any thread exists, so every thread inherits the mask. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    (void)signal(SIGPIPE, SIG_IGN); /* fails only for an invalid signal number */

    /* Take the file signatures before loading, so no change in between is missed. */
    if (gmw_watch_new(st.flags.reload_interval_ms, 200, &watch) != 0) {
        fprintf(stderr, "gomemlimit-webhook serve: out of memory\n");
        goto out;
    }
    const char *pair[2] = {cfg.tls_cert_file, cfg.tls_key_file};
    int arc = gmw_watch_add(watch, pair, 2, reload_certs, &st);
    if (arc == 0 && st.flags.config_path != NULL) {
        const char *one[1] = {st.flags.config_path};
        arc = gmw_watch_add(watch, one, 1, reload_config, &st);
    }
    if (arc != 0) {
        fprintf(stderr, "gomemlimit-webhook serve: cannot watch the files: %s\n", strerror(-arc));
        goto out;
    }

    gmw_cert_info info;
    if (gmw_tlsstore_load(cfg.tls_cert_file, cfg.tls_key_file, &info, err, sizeof err) != 0) {
        gmw_log_field f[1] = {GMW_LOG_STR("error", err)};
        gmw_log_fields(GMW_LOG_ERROR, "cannot load the serving certificate", f, 1);
        goto out;
    }
    gmw_metrics_cert_expiry(&st.metrics, info.not_after);
    log_cert(GMW_LOG_INFO, "serving certificate loaded", &info, cfg.tls_cert_file);

    gmw_server_options opt = {
        .listen = cfg.listen,
        .threads = cfg.threads,
        .connection_limit = cfg.connection_limit,
        .idle_timeout_s = cfg.idle_timeout_s,
        .header_timeout_s = cfg.header_timeout_s,
        .per_ip_connection_limit = cfg.per_ip_connection_limit,
        .metrics = &st.metrics,
    };
    if (gmw_server_start(&opt, &cfg, &st.server, err, sizeof err) != 0) {
        gmw_log_field f[1] = {GMW_LOG_STR("error", err)};
        gmw_log_fields(GMW_LOG_ERROR, "cannot start the server", f, 1);
        goto out;
    }
    {
        gmw_log_field f[9] = {
            GMW_LOG_STR("listen", cfg.listen),
            GMW_LOG_INT("port", gmw_server_port(st.server)),
            GMW_LOG_INT("threads", cfg.threads),
            GMW_LOG_INT("connectionLimit", cfg.connection_limit),
            GMW_LOG_INT("perIpConnectionLimit", cfg.per_ip_connection_limit),
            GMW_LOG_INT("headerTimeoutSeconds", cfg.header_timeout_s),
            GMW_LOG_INT("idleTimeoutSeconds", cfg.idle_timeout_s),
            GMW_LOG_INT("maxBodyBytes", cfg.max_body_bytes),
            GMW_LOG_STR("version", GMW_VERSION),
        };
        gmw_log_fields(GMW_LOG_INFO, "listening", f, 9);
    }
    int wrc = gmw_watch_start(watch);
    if (wrc != 0)
        gmw_log(GMW_LOG_ERROR, "file watcher not started (%s): no live reload", strerror(-wrc));

    for (;;) {
        siginfo_t si;
        int sig = sigwaitinfo(&sigs, &si);
        if (sig == -1) {
            if (errno == EINTR)
                continue;
            gmw_log(GMW_LOG_ERROR, "sigwaitinfo: %s", strerror(errno));
            break;
        }
        if (sig == SIGHUP) {
            gmw_log(GMW_LOG_INFO, "SIGHUP: reloading certificate and config");
            reload_certs(&st);
            reload_config(&st);
            continue;
        }
        break;
    }
    pthread_mutex_lock(&st.reload_lock);
    unsigned grace_s = st.running.shutdown_grace_s;
    pthread_mutex_unlock(&st.reload_lock);
    /* Not ready first, then say so; the drain stops listening once the server is quiet. */
    gmw_server_quiesce(st.server);
    {
        gmw_log_field f[2] = {GMW_LOG_INT("gracePeriodSeconds", grace_s),
                              GMW_LOG_INT("inFlight", gmw_metrics_in_flight(&st.metrics))};
        gmw_log_fields(GMW_LOG_INFO, "shutting down: finishing requests", f, 2);
    }
    int64_t left = gmw_server_drain(st.server, grace_s * 1000u);
    if (left > 0) {
        gmw_log_field f[1] = {GMW_LOG_INT("inFlight", left)};
        gmw_log_fields(GMW_LOG_WARN, "grace period over; closing unfinished requests", f, 1);
    }
    gmw_watch_free(watch);
    watch = NULL;
    gmw_server_stop(st.server);
    st.server = NULL;
    gmw_log(GMW_LOG_INFO, "stopped");
    exit_code = 0;
out:
    gmw_watch_free(watch);
    gmw_server_stop(st.server);
    st.server = NULL;
    gmw_tlsstore_clear();
    gmw_metrics_destroy(&st.metrics);
    pthread_mutex_destroy(&st.reload_lock);
    return exit_code;
}
