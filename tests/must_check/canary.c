/* canary.c - calls a GMW_MUST_CHECK function (gmw_config_parse). Built as is, it looks at
 * the result and compiles; with GMW_CANARY_DROP it drops the result and must not compile
 * under the project's -Werror (tests/must_check/check.sh). */
#include <stddef.h>

#include "config.h"

int gmw_must_check_canary(void);
int gmw_must_check_canary(void)
{
#ifdef GMW_CANARY_DROP
    gmw_config_parse("", 0, "canary", NULL, NULL, 0);
    return 0;
#else
    return gmw_config_parse("", 0, "canary", NULL, NULL, 0) != 0;
#endif
}
