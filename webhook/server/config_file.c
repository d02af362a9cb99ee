/*
 * config_file.c - read the config file and parse it (see config_file.h).
 */
#include "config_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "readfile.h"

int gmw_config_load_file(const char *path, gmw_config *cfg, char *err, size_t errcap)
{
    char *buf = NULL;
    size_t len = 0;

    if (path == NULL) {
        if (err != NULL && errcap > 0)
            snprintf(err, errcap, "no config file given");
        return -EINVAL;
    }
    int rc = gmw_read_file(path, GMW_CONFIG_FILE_MAX, &buf, &len, err, errcap);
    if (rc == -EFBIG && err != NULL && errcap > 0)
        snprintf(err, errcap, "%s: file is larger than 1 MiB, refusing to parse it", path);
    if (rc == 0)
        rc = gmw_config_parse(buf, len, path, cfg, err, errcap);
    free(buf);
    return rc;
}
