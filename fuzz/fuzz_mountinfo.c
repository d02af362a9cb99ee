/*
 * fuzz_mountinfo.c - the shim's /proc/self/mountinfo parsing (shim/cgroup.h) on a fake tree
 * (cgroup_tree.h) with a fixed /proc/self/cgroup (v1 memory and v2 membership of
 * /kubepods/pod1), and gmw_cg_unescape on the input.
 *
 * Invariants: see tree_check_find; unescaping never makes a string longer.
 */
#include "cgroup_tree.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    tree_init();
    tree_put("/proc/self/mountinfo", data, size);
    tree_check_find();

    char *s = strndup((const char *)data, size);
    if (s != NULL) {
        size_t before = strlen(s);
        FUZZ_CHECK(gmw_cg_unescape(s) == s, "return value");
        FUZZ_CHECK(strlen(s) <= before, "unescape grew the string");
        free(s);
    }
    return 0;
}
