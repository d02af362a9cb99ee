/*
 * test_listen_socket.c - the listening socket module against the kernel: plain
 * socket(2)/connect(2) clients are the oracle for what is bound, accepted and refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "listen_socket.h"

/* A blocking client connection to 127.0.0.1:port; returns the fd or -errno. */
static int connect_v4(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd == -1)
        return -errno;
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) == -1) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

/* Wait (bounded) until the listening socket has a connection to accept. */
static void wait_readable(int fd)
{
    struct pollfd p = {fd, POLLIN, 0};
    assert_int_equal(poll(&p, 1, 5000), 1);
}

static void test_open_accept_refuse(void **state)
{
    (void)state;
    char err[256] = "";
    int fd = -1;
    uint16_t port = 0;
    assert_int_equal(gmw_listen_socket_open("127.0.0.1:0", &fd, &port, err, sizeof err), 0);
    assert_true(fd >= 0);
    assert_true(port > 0);

    /* nothing waiting yet */
    struct sockaddr_storage peer;
    socklen_t len = sizeof peer;
    int conn = -1;
    assert_int_equal(gmw_listen_socket_accept(fd, &conn, (struct sockaddr *)&peer, &len), -EAGAIN);

    /* a client, its bytes counted unread on the accepted side */
    int client = connect_v4(port);
    assert_true(client >= 0);
    wait_readable(fd);
    len = sizeof peer;
    assert_int_equal(gmw_listen_socket_accept(fd, &conn, (struct sockaddr *)&peer, &len), 0);
    assert_int_equal(peer.ss_family, AF_INET);
    assert_int_equal(write(client, "hello", 5), 5);
    size_t unread = 0;
    for (int i = 0; i < 500 && unread == 0; i++) {
        assert_int_equal(gmw_socket_unread(conn, &unread), 0);
        if (unread == 0)
            usleep(10000);
    }
    assert_int_equal(unread, 5);
    char buf[8];
    assert_int_equal(read(conn, buf, sizeof buf), 5);
    assert_int_equal(gmw_socket_unread(conn, &unread), 0);
    assert_int_equal(unread, 0);
    close(conn);
    close(client);

    /* the same port again: in use, and the reason names the step */
    int fd2 = -1;
    uint16_t port2 = 0;
    char addr[32];
    snprintf(addr, sizeof addr, "127.0.0.1:%u", (unsigned)port);
    assert_int_equal(gmw_listen_socket_open(addr, &fd2, &port2, err, sizeof err), -EADDRINUSE);
    assert_non_null(strstr(err, "bind"));

    /* refused: the descriptor stays valid, new clients get ECONNREFUSED */
    assert_int_equal(gmw_listen_socket_refuse(fd), 0);
    assert_int_equal(connect_v4(port), -ECONNREFUSED);
    assert_true(fcntl(fd, F_GETFD) != -1);
    close(fd);
}

static void test_bad_addresses(void **state)
{
    (void)state;
    char err[256] = "";
    int fd = -1;
    uint16_t port = 0;
    assert_int_equal(gmw_listen_socket_open("8443", &fd, &port, err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "invalid listen address '8443'"));
    assert_int_equal(gmw_listen_socket_open("no-such-host.invalid:0", &fd, &port, err, sizeof err),
                     -EINVAL);
    assert_non_null(strstr(err, "no-such-host.invalid"));
    assert_int_equal(fd, -1); /* untouched on failure */
    assert_int_equal(gmw_socket_unread(-1, &(size_t){0}), -EBADF);
    assert_int_equal(gmw_listen_socket_refuse(-1), -EBADF);
}

/* ":0" is every interface, IPv4 included (IPV6_V6ONLY off, or the IPv4 wildcard). */
static void test_all_interfaces_take_ipv4(void **state)
{
    (void)state;
    char err[256] = "";
    int fd = -1;
    uint16_t port = 0;
    assert_int_equal(gmw_listen_socket_open(":0", &fd, &port, err, sizeof err), 0);
    int client = connect_v4(port);
    assert_true(client >= 0);
    wait_readable(fd);
    struct sockaddr_storage peer;
    socklen_t len = sizeof peer;
    int conn = -1;
    assert_int_equal(gmw_listen_socket_accept(fd, &conn, (struct sockaddr *)&peer, &len), 0);
    close(conn);
    close(client);
    close(fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_accept_refuse),
        cmocka_unit_test(test_bad_addresses),
        cmocka_unit_test(test_all_interfaces_take_ipv4),
    };
    return cmocka_run_group_tests_name("listen_socket", tests, NULL, NULL);
}
