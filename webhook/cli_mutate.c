/* PLACEHOLDER until the owning module lands: replaced by the real implementation. */
#include <stdio.h>

#include "cli.h"

int gmw_cmd_mutate(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fputs("gomemlimit-webhook: 'mutate' is not built yet\n", stderr);
    return 2;
}
