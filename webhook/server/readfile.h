/*
 * readfile.h - the one reader of whole files with a size cap (config, certificates,
 * keys, manifests, AdmissionReviews). It lives in server, the lowest layer allowed to do
 * I/O, so the server (live reloads of config and certificates) and the CLI share it.
 */
#ifndef GMW_READFILE_H
#define GMW_READFILE_H

#include <stddef.h>

#include "compiler.h"

/*
 * Read all of the file at path, at most cap bytes. Returns 0 with a malloc'd buffer in
 * *out (the caller frees it with free()), NUL-terminated after its *len bytes (an
 * empty file gives ""). On failure *out is NULL and err (may be NULL) holds a one-line
 * "PATH: reason": -EFBIG ("PATH: larger than CAP bytes") when the file holds more than
 * cap bytes, -ENOMEM ("PATH: out of memory"), or the -errno of open(2) or read(2)
 * ("PATH: No such file or directory", "PATH: Is a directory", ...).
 */
GMW_MUST_CHECK int gmw_read_file(const char *path, size_t cap, char **out, size_t *len, char *err,
                                 size_t errcap);

/*
 * The same for an open descriptor, read to its end and left open (e.g. standard input);
 * name is used in messages only.
 */
GMW_MUST_CHECK int gmw_read_fd(int fd, const char *name, size_t cap, char **out, size_t *len,
                               char *err, size_t errcap);

#endif
