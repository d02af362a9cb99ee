/*
 * test_acceptor.c - the accepting thread against the kernel: plain socket(2)/connect(2)
 * clients are the oracle for what was accepted (getsockname of each client is the peer
 * address of a handed connection) and what still waits in the backlog.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "acceptor.h"
#include "listen_socket.h"

#define CLIENTS 5

/* What the callbacks saw; the lock orders the acceptor thread's writes and our reads. */
typedef struct {
    pthread_mutex_t lock;
    int fds[CLIENTS * 2];
    uint16_t peer_ports[CLIENTS * 2];
    int count;
    atomic_bool full;
    atomic_int full_calls;
} seen;

static void hand(void *ctx, int fd, const struct sockaddr *addr, socklen_t len)
{
    seen *s = ctx;
    assert_true(len >= (socklen_t)sizeof(struct sockaddr_in));
    pthread_mutex_lock(&s->lock);
    if (s->count < CLIENTS * 2) {
        s->fds[s->count] = fd;
        s->peer_ports[s->count] = ntohs(((const struct sockaddr_in *)addr)->sin_port);
        s->count++;
    } else
        close(fd);
    pthread_mutex_unlock(&s->lock);
}

static bool is_full(void *ctx)
{
    seen *s = ctx;
    atomic_fetch_add(&s->full_calls, 1);
    return atomic_load(&s->full);
}

static int seen_count(seen *s)
{
    pthread_mutex_lock(&s->lock);
    int n = s->count;
    pthread_mutex_unlock(&s->lock);
    return n;
}

/* Wait (bounded: 10 s, never a timing assertion) until `n` connections were handed. */
static void wait_handed(seen *s, int n)
{
    for (int i = 0; i < 1000 && seen_count(s) < n; i++)
        usleep(10000);
    assert_int_equal(seen_count(s), n);
}

/* A connected client and its local port (what the accepted side sees as the peer). */
static int connect_client(uint16_t port, uint16_t *local_port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    struct sockaddr_in me = {0};
    socklen_t len = sizeof me;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&me, &len), 0);
    *local_port = ntohs(me.sin_port);
    return fd;
}

static bool handed_port(seen *s, uint16_t port)
{
    bool found = false;
    pthread_mutex_lock(&s->lock);
    for (int i = 0; i < s->count; i++)
        found = found || s->peer_ports[i] == port;
    pthread_mutex_unlock(&s->lock);
    return found;
}

static void close_all(seen *s, int *clients, int n)
{
    for (int i = 0; i < s->count; i++)
        close(s->fds[i]);
    for (int i = 0; i < n; i++)
        close(clients[i]);
}

/* Every client is handed over exactly once, with its own address. */
static void test_hands_every_connection(void **state)
{
    (void)state;
    char err[256];
    int lfd = -1, clients[CLIENTS];
    uint16_t port = 0, local[CLIENTS];
    seen s = {.lock = PTHREAD_MUTEX_INITIALIZER};
    assert_int_equal(gmw_listen_socket_open("127.0.0.1:0", &lfd, &port, err, sizeof err), 0);
    gmw_acceptor *acc = NULL;
    assert_int_equal(gmw_acceptor_start(lfd, hand, NULL, &s, &acc), 0);
    for (int i = 0; i < CLIENTS; i++)
        clients[i] = connect_client(port, &local[i]);
    wait_handed(&s, CLIENTS);
    for (int i = 0; i < CLIENTS; i++)
        assert_true(handed_port(&s, local[i]));
    assert_int_equal(gmw_acceptor_handed(acc), CLIENTS);
    gmw_acceptor_stop(acc);
    close_all(&s, clients, CLIENTS);
    close(lfd);
}

/* While full, connections wait in the backlog; when room returns they are all taken. */
static void test_full_leaves_backlog(void **state)
{
    (void)state;
    char err[256];
    int lfd = -1, clients[3];
    uint16_t port = 0, local[3];
    seen s = {.lock = PTHREAD_MUTEX_INITIALIZER};
    atomic_init(&s.full, true);
    assert_int_equal(gmw_listen_socket_open("127.0.0.1:0", &lfd, &port, err, sizeof err), 0);
    gmw_acceptor *acc = NULL;
    assert_int_equal(gmw_acceptor_start(lfd, hand, is_full, &s, &acc), 0);
    for (int i = 0; i < 3; i++)
        clients[i] = connect_client(port, &local[i]);
    /* The acceptor has looked at "full" again since the clients connected (bounded wait):
     * it was full every time, so nothing can have been handed. */
    int calls = atomic_load(&s.full_calls);
    for (int i = 0; i < 1000 && atomic_load(&s.full_calls) < calls + 3; i++)
        usleep(10000);
    assert_true(atomic_load(&s.full_calls) >= calls + 3);
    assert_int_equal(seen_count(&s), 0);
    atomic_store(&s.full, false);
    wait_handed(&s, 3);
    for (int i = 0; i < 3; i++)
        assert_true(handed_port(&s, local[i]));
    gmw_acceptor_stop(acc);
    close_all(&s, clients, 3);
    close(lfd);
}

/* After stop, nothing is taken: a new connection waits in the backlog for the caller. */
static void test_stop_leaves_socket_listening(void **state)
{
    (void)state;
    char err[256];
    int lfd = -1;
    uint16_t port = 0, local = 0;
    seen s = {.lock = PTHREAD_MUTEX_INITIALIZER};
    assert_int_equal(gmw_listen_socket_open("127.0.0.1:0", &lfd, &port, err, sizeof err), 0);
    gmw_acceptor *acc = NULL;
    assert_int_equal(gmw_acceptor_start(lfd, hand, NULL, &s, &acc), 0);
    gmw_acceptor_stop(acc);
    gmw_acceptor_stop(NULL); /* a no-op */
    int client = connect_client(port, &local);
    struct pollfd p = {lfd, POLLIN, 0};
    assert_int_equal(poll(&p, 1, 5000), 1);
    struct sockaddr_storage peer;
    socklen_t len = sizeof peer;
    int conn = -1;
    assert_int_equal(gmw_listen_socket_accept(lfd, &conn, (struct sockaddr *)&peer, &len), 0);
    assert_int_equal(ntohs(((struct sockaddr_in *)&peer)->sin_port), local);
    assert_int_equal(seen_count(&s), 0);
    close(conn);
    close(client);
    close(lfd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hands_every_connection),
        cmocka_unit_test(test_full_leaves_backlog),
        cmocka_unit_test(test_stop_leaves_socket_listening),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
