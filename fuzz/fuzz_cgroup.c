/*
 * fuzz_cgroup.c - the shim's /proc/self/cgroup parsing and limit files (shim/cgroup.h), on
 * a fake tree (cgroup_tree.h) whose mountinfo is fixed (v2 root + v1 memory hierarchy).
 *
 * Input: NUL-separated parts: /proc/self/cgroup, then the leaf's cgroup v2 memory.max and
 * memory.high, then v1 memory.limit_in_bytes and memory.stat (missing parts keep the
 * tree's fixed contents).
 * Invariants: see tree_check_find (rc, version, limit range, terminated strings, a limit
 * always names its source file) and check_parse_limit.
 */
#include "cgroup_tree.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const files[] = {
        "/proc/self/cgroup", TREE_V2_LEAF "/memory.max", TREE_V2_LEAF "/memory.high",
        TREE_V1_LEAF "/memory.limit_in_bytes", TREE_V1_LEAF "/memory.stat"};
    static const char *const fixed[] = {TREE_CGROUP, "536870912\n", "max\n", "268435456\n",
                                        "cache 0\nhierarchical_memory_limit 268435456\n"};
    if (size > 65536)
        return 0;
    tree_init();
    size_t pos = 0;
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        if (pos <= size) {
            const uint8_t *nul = memchr(data + pos, '\0', size - pos);
            size_t end = nul ? (size_t)(nul - data) : size;
            tree_put(files[i], data + pos, end - pos);
            if (i > 0 && i < 4)
                check_parse_limit(data + pos, end - pos);
            pos = end + 1;
        } else {
            tree_puts(files[i], fixed[i]);
        }
    }
    tree_check_find();
    return 0;
}
