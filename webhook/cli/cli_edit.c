/*
 * cli_edit.c - `mutate -o preserve` and `mutate --in-place` (see cli_check.h).
 */
#include <stdio.h>

#include "cli_check.h"

int gmw_cli_edit(const gmw_config *cfg, const char *buf, size_t len, const char *path,
                 const char *ns, bool in_place)
{
    (void)cfg;
    (void)buf;
    (void)len;
    (void)ns;
    (void)in_place;
    fprintf(stderr, "gomemlimit-webhook mutate: %s: -o preserve is not implemented yet\n", path);
    return GMW_CHECK_EXIT_FAIL;
}
