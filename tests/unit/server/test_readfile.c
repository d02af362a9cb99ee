/*
 * test_readfile.c - the one capped file reader (readfile.h): whole files read exactly
 * (compared with the bytes written), the cap at the byte, errors as "PATH: reason"
 * with the errno of the system call (the texts are the C library's strerror).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "readfile.h"

/* A temporary file holding data[0..len); its path in path (caller unlinks). */
static void temp_file(char *path, size_t cap, const void *data, size_t len)
{
    snprintf(path, cap, "/tmp/gmw-readfile-test-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
}

static void test_reads_whole_file(void **state)
{
    (void)state;
    char path[64], err[256];
    size_t n = 100000; /* several read chunks */
    unsigned char *data = malloc(n);
    assert_non_null(data);
    for (size_t i = 0; i < n; i++)
        data[i] = (unsigned char)(i * 7 + i / 251); /* includes NUL bytes */
    temp_file(path, sizeof path, data, n);
    char *out = NULL;
    size_t len = 0;
    assert_int_equal(gmw_read_file(path, n, &out, &len, err, sizeof err), 0);
    assert_int_equal(len, n);
    assert_memory_equal(out, data, n);
    assert_int_equal(out[n], '\0');
    free(out);

    /* one byte over the cap: -EFBIG, nothing handed out */
    out = (char *)data;
    assert_int_equal(gmw_read_file(path, n - 1, &out, &len, err, sizeof err), -EFBIG);
    assert_null(out);
    char want[128];
    snprintf(want, sizeof want, "%s: larger than %zu bytes", path, n - 1);
    assert_string_equal(err, want);
    unlink(path);
    free(data);
}

static void test_empty_file(void **state)
{
    (void)state;
    char path[64];
    temp_file(path, sizeof path, "", 0);
    char *out = NULL;
    size_t len = 99;
    assert_int_equal(gmw_read_file(path, 0, &out, &len, NULL, 0), 0);
    assert_non_null(out);
    assert_int_equal(len, 0);
    assert_string_equal(out, "");
    free(out);
    unlink(path);
}

static void test_errors(void **state)
{
    (void)state;
    char err[256], want[256];
    char *out = NULL;
    size_t len = 0;
    assert_int_equal(gmw_read_file("/nonexistent/gmw/x", 10, &out, &len, err, sizeof err), -ENOENT);
    assert_string_equal(err, "/nonexistent/gmw/x: No such file or directory");
    assert_int_equal(gmw_read_file("/tmp", 10, &out, &len, err, sizeof err), -EISDIR);
    assert_string_equal(err, "/tmp: Is a directory");
    assert_null(out);
    assert_int_equal(gmw_read_file(NULL, 10, &out, &len, err, sizeof err), -EINVAL);

    /* an open descriptor (a pipe): read to its end, named as told */
    int p[2];
    assert_int_equal(pipe(p), 0);
    assert_int_equal(write(p[1], "abc", 3), 3);
    close(p[1]);
    assert_int_equal(gmw_read_fd(p[0], "<stdin>", 2, &out, &len, err, sizeof err), -EFBIG);
    snprintf(want, sizeof want, "<stdin>: larger than 2 bytes");
    assert_string_equal(err, want);
    close(p[0]);
    assert_int_equal(pipe(p), 0);
    assert_int_equal(write(p[1], "abc", 3), 3);
    close(p[1]);
    assert_int_equal(gmw_read_fd(p[0], "<stdin>", 3, &out, &len, err, sizeof err), 0);
    assert_int_equal(len, 3);
    assert_string_equal(out, "abc");
    free(out);
    close(p[0]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reads_whole_file),
        cmocka_unit_test(test_empty_file),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
