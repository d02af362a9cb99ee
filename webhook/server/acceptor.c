/*
 * acceptor.c - the accepting thread; see acceptor.h.
 */
#include "acceptor.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "listen_socket.h"
#include "log.h"

/* After an accept error other than "nothing waits" (e.g. EMFILE: out of descriptors), the
 * socket stays readable: wait this long before trying again instead of spinning. */
#define ACCEPT_ERROR_PAUSE_MS 100
/* At most one log line per this many seconds about accept errors. */
#define ACCEPT_ERROR_LOG_EVERY_S 10

struct gmw_acceptor {
    int listen_fd;
    int wake_fd; /* eventfd: readable once gmw_acceptor_stop asks the thread to end */
    gmw_acceptor_hand_fn hand;
    gmw_acceptor_full_fn full;
    void *ctx;
    pthread_t thread;
    atomic_ulong handed;
    time_t last_error_log;
};

static bool is_full(gmw_acceptor *a)
{
    return a->full != NULL && a->full(a->ctx);
}

static void pause_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void report_accept_error(gmw_acceptor *a, int rc)
{
    time_t now = time(NULL);
    if (a->last_error_log != 0 && now - a->last_error_log < ACCEPT_ERROR_LOG_EVERY_S)
        return;
    a->last_error_log = now;
    gmw_log_field f[1] = {GMW_LOG_STR("error", strerror(-rc))};
    gmw_log_fields(GMW_LOG_WARN, "accepting a connection failed; retrying", f, 1);
}

/* Accept what waits in the backlog, one connection at a time, until none waits, the
 * other side is full or an error asks for a pause. */
static void accept_waiting(gmw_acceptor *a)
{
    while (!is_full(a)) {
        struct sockaddr_storage addr;
        socklen_t len = sizeof addr;
        int fd = -1;
        int rc = gmw_listen_socket_accept(a->listen_fd, &fd, (struct sockaddr *)&addr, &len);
        if (rc == -EAGAIN)
            return;
        if (rc == -ECONNABORTED || rc == -EINTR)
            continue; /* that client gave up: take the next */
        if (rc != 0) {
            report_accept_error(a, rc);
            pause_ms(ACCEPT_ERROR_PAUSE_MS);
            return;
        }
        atomic_fetch_add(&a->handed, 1);
        a->hand(a->ctx, fd, (struct sockaddr *)&addr, len);
    }
}

static void *acceptor_main(void *arg)
{
    gmw_acceptor *a = arg;
    (void)pthread_setname_np(pthread_self(), "gmw-acceptor"); /* as top -H shows it */
    for (;;) {
        bool full = is_full(a);
        struct pollfd p[2] = {{.fd = a->wake_fd, .events = POLLIN},
                              {.fd = a->listen_fd, .events = full ? 0 : POLLIN}};
        int n = poll(p, 2, full ? GMW_ACCEPTOR_FULL_RECHECK_MS : -1);
        if (n < 0 && errno != EINTR) {
            report_accept_error(a, -errno);
            pause_ms(ACCEPT_ERROR_PAUSE_MS);
            continue;
        }
        if (n > 0 && p[0].revents != 0)
            return NULL;
        if (n > 0 && p[1].revents != 0)
            accept_waiting(a);
    }
}

int gmw_acceptor_start(int listen_fd, gmw_acceptor_hand_fn hand, gmw_acceptor_full_fn full,
                       void *ctx, gmw_acceptor **out)
{
    int rc;
    gmw_acceptor *a = calloc(1, sizeof *a);
    if (a == NULL)
        return -ENOMEM;
    a->listen_fd = listen_fd;
    a->hand = hand;
    a->full = full;
    a->ctx = ctx;
    atomic_init(&a->handed, 0);
    a->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (a->wake_fd == -1) {
        rc = -errno;
        goto fail;
    }
    rc = -pthread_create(&a->thread, NULL, acceptor_main, a);
    if (rc != 0)
        goto fail;
    *out = a;
    return 0;
fail:
    if (a->wake_fd != -1)
        close(a->wake_fd);
    free(a);
    return rc;
}

void gmw_acceptor_stop(gmw_acceptor *acc)
{
    if (acc == NULL)
        return;
    uint64_t one = 1;
    while (write(acc->wake_fd, &one, sizeof one) == -1 && errno == EINTR)
        ;
    pthread_join(acc->thread, NULL);
    close(acc->wake_fd);
    free(acc);
}

unsigned long gmw_acceptor_handed(const gmw_acceptor *acc)
{
    return atomic_load(&acc->handed);
}
