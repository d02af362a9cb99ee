/* canary.c - includes one layer's header (GMW_CANARY_HEADER, set by tests/CMakeLists.txt).
 * Built against the owning layer's library it compiles; built against a lower layer's it
 * must not (tests/layering/check.sh). */
#include GMW_CANARY_HEADER

int gmw_layering_canary(void);
int gmw_layering_canary(void)
{
    return 0;
}
