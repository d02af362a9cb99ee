/*
 * readfile.c - whole files with a size cap (see readfile.h), read in chunks into core's
 * capped dynbuf: memory grows with the file, never to the cap up front.
 */
#include "readfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dynbuf.h"

#define READ_CHUNK 16384

/* "NAME: reason" into err (when given); returns rc. */
static int read_error(int rc, const char *name, size_t cap, char *err, size_t errcap)
{
    char ebuf[128];

    if (err == NULL || errcap == 0)
        return rc;
    if (rc == -EFBIG)
        snprintf(err, errcap, "%s: larger than %zu bytes", name, cap);
    else if (rc == -ENOMEM)
        snprintf(err, errcap, "%s: out of memory", name);
    else
        snprintf(err, errcap, "%s: %s", name, strerror_r(-rc, ebuf, sizeof ebuf));
    return rc;
}

int gmw_read_fd(int fd, const char *name, size_t cap, char **out, size_t *len, char *err,
                size_t errcap)
{
    char chunk[READ_CHUNK];
    gmw_dynbuf buf;
    int rc = 0;

    *out = NULL;
    *len = 0;
    if (err != NULL && errcap > 0)
        err[0] = '\0';
    gmw_dynbuf_init(&buf, cap);
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n == -1) {
            if (errno == EINTR)
                continue;
            rc = -errno;
            goto fail;
        }
        if (n == 0)
            break;
        rc = gmw_dynbuf_add(&buf, chunk, (size_t)n);
        if (rc != 0) {
            rc = rc == -E2BIG ? -EFBIG : rc;
            goto fail;
        }
    }
    *out = gmw_dynbuf_take(&buf, len);
    if (*out == NULL) {
        rc = -ENOMEM;
        goto fail;
    }
    return 0;
fail:
    gmw_dynbuf_free(&buf);
    return read_error(rc, name, cap, err, errcap);
}

int gmw_read_file(const char *path, size_t cap, char **out, size_t *len, char *err, size_t errcap)
{
    *out = NULL;
    *len = 0;
    if (path == NULL) {
        if (err != NULL && errcap > 0)
            snprintf(err, errcap, "no file given");
        return -EINVAL;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd == -1)
        return read_error(-errno, path, cap, err, errcap);
    int rc = gmw_read_fd(fd, path, cap, out, len, err, errcap);
    close(fd);
    return rc;
}
