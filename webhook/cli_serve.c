/* PLACEHOLDER until the owning module lands: replaced by the real implementation. */
#include <stdio.h>

#include "cli.h"

int gmw_cmd_serve(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fputs("gomemlimit-webhook: 'serve' is not built yet\n", stderr);
    return 2;
}
