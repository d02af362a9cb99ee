/*
 * ceiling.c - the bare libmicrohttpd + GnuTLS responder used as the throughput ceiling in
 * bench/admission.sh: it reads (and keeps) the whole POST body, then answers a fixed JSON
 * (200 when the body has Content-Length bytes, else 400, so a short read cannot pass).
 *
 *   gmw-bench-ceiling CERT.pem KEY.pem THREADS     (listens on 127.0.0.1, an ephemeral port;
 *                                                   prints "port N" on stdout; runs until killed)
 *
 * The daemon is started with the same TLS and threading settings as webhook/server.c: flags
 * MHD_USE_TLS | MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC, a thread pool of THREADS, the
 * priority string GMW_TLS_PRIORITIES, a connection limit of 1024 and an idle timeout of 120 s (the
 * config defaults). (The webhook hands GnuTLS its certificate through a callback so it can rotate
 * it; here it is given once in memory, which costs the same per handshake.)
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#define PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2" /* = GMW_TLS_PRIORITIES */
#define MAX_BODY (3u * 1024u * 1024u)

static const char answer[] =
    "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"response\":"
    "{\"uid\":\"00000000-0000-0000-0000-000000000000\",\"allowed\":true}}";

typedef struct {
    char *data;
    size_t len, cap;
} body;

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    char *buf = calloc(1, 65537);
    size_t n = buf != NULL ? fread(buf, 1, 65536, f) : 0;
    (void)fclose(f);
    if (buf != NULL && n == 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    (void)cls, (void)url, (void)method, (void)version;
    body *b = *con_cls;
    if (b == NULL) {
        b = calloc(1, sizeof *b);
        if (b == NULL)
            return MHD_NO;
        *con_cls = b;
        return MHD_YES;
    }
    if (*upload_size != 0) {
        if (b->len + *upload_size > MAX_BODY)
            return MHD_NO;
        if (b->len + *upload_size > b->cap) {
            size_t cap = b->cap ? b->cap : 8192;
            while (cap < b->len + *upload_size)
                cap *= 2;
            char *p = realloc(b->data, cap);
            if (p == NULL)
                return MHD_NO;
            b->data = p;
            b->cap = cap;
        }
        memcpy(b->data + b->len, upload, *upload_size);
        b->len += *upload_size;
        *upload_size = 0;
        return MHD_YES;
    }
    /* proof that the whole body was read: a short body is answered 400 (wrk counts it) */
    const char *cl =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    bool whole = cl != NULL && strtoull(cl, NULL, 10) == b->len && b->len > 0;
    struct MHD_Response *r =
        MHD_create_response_from_buffer(sizeof answer - 1, (void *)answer, MHD_RESPMEM_PERSISTENT);
    if (r == NULL)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    enum MHD_Result ret = MHD_queue_response(c, whole ? MHD_HTTP_OK : MHD_HTTP_BAD_REQUEST, r);
    MHD_destroy_response(r);
    return ret;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls, (void)c, (void)toe;
    body *b = *con_cls;
    if (b != NULL) {
        free(b->data);
        free(b);
    }
    *con_cls = NULL;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s CERT.pem KEY.pem THREADS\n", argv[0]);
        return 2;
    }
    char *cert = slurp(argv[1]), *key = slurp(argv[2]);
    unsigned threads = (unsigned)strtoul(argv[3], NULL, 10);
    if (cert == NULL || key == NULL || threads < 1) {
        fprintf(stderr, "ceiling: cannot read %s / %s or bad thread count\n", argv[1], argv[2]);
        return 1;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof sa;
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 1024) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &sl) != 0) {
        perror("ceiling: listen");
        return 1;
    }
    sigset_t set; /* blocked in every thread (before MHD starts them), taken by sigwait */
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_TLS | MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG, 0, NULL,
        NULL, on_request, NULL, MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd, MHD_OPTION_HTTPS_MEM_CERT,
        cert, MHD_OPTION_HTTPS_MEM_KEY, key, MHD_OPTION_HTTPS_PRIORITIES, PRIORITIES,
        MHD_OPTION_CONNECTION_LIMIT, 1024u, MHD_OPTION_CONNECTION_TIMEOUT, 120u,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_THREAD_POOL_SIZE, threads,
        MHD_OPTION_END);
    if (d == NULL) {
        fprintf(stderr, "ceiling: MHD_start_daemon failed\n");
        return 1;
    }
    printf("port %u\n", (unsigned)ntohs(sa.sin_port));
    (void)fflush(stdout);
    int sig = 0;
    sigwait(&set, &sig);
    MHD_stop_daemon(d);
    free(cert);
    free(key);
    return 0;
}
