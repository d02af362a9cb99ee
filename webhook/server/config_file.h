/*
 * config_file.h - the configuration file read from disk and parsed (config.h holds the
 * parser, which does no I/O). Used by `serve` (at start and on every live reload) and
 * `mutate --config`.
 */
#ifndef GMW_CONFIG_FILE_H
#define GMW_CONFIG_FILE_H

#include <stddef.h>

#include "compiler.h"
#include "config.h"

/* Largest config file read (bytes). */
#define GMW_CONFIG_FILE_MAX ((size_t)1 << 20)

/*
 * Read the file at path (at most GMW_CONFIG_FILE_MAX bytes) and parse it with
 * gmw_config_parse. Returns 0; or with a message in err (may be NULL): -EINVAL for no
 * path ("no config file given") or a parse error ("PATH:LINE:COL: ..."), -EFBIG ("PATH:
 * file is larger than 1 MiB, refusing to parse it"), -ENOMEM, or the -errno of reading
 * ("PATH: No such file or directory"). On error *cfg is left untouched.
 */
GMW_MUST_CHECK int gmw_config_load_file(const char *path, gmw_config *cfg, char *err,
                                        size_t errcap);

#endif
