/*
 * cgroup_tree.h - a fake /proc + /sys tree for the shim's cgroup fuzz targets (one per
 * process, under /dev/shm when it exists, removed at exit), and the checks they share.
 *
 *   sys/fs/cgroup/                 cgroup2 root (memory.max "max")
 *   sys/fs/cgroup/kubepods/pod1/   memory.max, memory.high   (the fuzz input's, or fixed)
 *   sys/fs/cgroup/memory/          cgroup v1 memory root
 *   sys/fs/cgroup/memory/kubepods/pod1/  memory.limit_in_bytes, memory.stat
 */
#ifndef GMW_FUZZ_CGROUP_TREE_H
#define GMW_FUZZ_CGROUP_TREE_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"
#include "fuzz_check.h"

#define TREE_MOUNTINFO                                                                             \
    "30 23 0:26 / /sys/fs/cgroup rw,nosuid shared:4 - cgroup2 cgroup2 rw,nsdelegate\n"             \
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime shared:9 - cgroup cgroup rw,memory\n"
#define TREE_CGROUP "5:memory:/kubepods/pod1\n0::/kubepods/pod1\n"
#define TREE_V2_LEAF "/sys/fs/cgroup/kubepods/pod1"
#define TREE_V1_LEAF "/sys/fs/cgroup/memory/kubepods/pod1"

static char tree_root[64];

static inline void tree_remove(void)
{
    if (tree_root[0] != '\0') {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tree_root);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", tree_root);
    }
}

/* Write len bytes to root + rel (parents must exist). */
static inline void tree_put(const char *rel, const void *data, size_t len)
{
    char path[256];
    snprintf(path, sizeof path, "%s%s", tree_root, rel);
    FILE *f = fopen(path, "wb");
    FUZZ_CHECK(f != NULL, "%s: %s", path, strerror(errno));
    FUZZ_CHECK(fwrite(data, 1, len, f) == len || len == 0, "write %s", path);
    FUZZ_CHECK(fclose(f) == 0, "close %s", path);
}

static inline void tree_puts(const char *rel, const char *text)
{
    tree_put(rel, text, strlen(text));
}

static inline void tree_mkdirs(void)
{
    static const char *dirs[] = {"/proc",
                                 "/proc/self",
                                 "/sys",
                                 "/sys/fs",
                                 "/sys/fs/cgroup",
                                 "/sys/fs/cgroup/kubepods",
                                 TREE_V2_LEAF,
                                 "/sys/fs/cgroup/memory",
                                 "/sys/fs/cgroup/memory/kubepods",
                                 TREE_V1_LEAF};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        char path[256];
        snprintf(path, sizeof path, "%s%s", tree_root, dirs[i]);
        FUZZ_CHECK(mkdir(path, 0755) == 0 || errno == EEXIST, "mkdir %s", path);
    }
}

/* Create the tree once per process with fixed contents. */
static inline void tree_init(void)
{
    if (tree_root[0] != '\0')
        return;
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(tree_root, sizeof tree_root, "%s/gmw-fuzz-cg-XXXXXX", base);
    FUZZ_CHECK(mkdtemp(tree_root) != NULL, "mkdtemp");
    atexit(tree_remove);
    tree_mkdirs();
    tree_puts("/proc/self/mountinfo", TREE_MOUNTINFO);
    tree_puts("/proc/self/cgroup", TREE_CGROUP);
    tree_puts("/sys/fs/cgroup/memory.max", "max\n");
    tree_puts(TREE_V2_LEAF "/memory.max", "536870912\n");
    tree_puts(TREE_V2_LEAF "/memory.high", "max\n");
    tree_puts("/sys/fs/cgroup/memory/memory.limit_in_bytes", "9223372036854771712\n");
    tree_puts(TREE_V1_LEAF "/memory.limit_in_bytes", "268435456\n");
    tree_puts(TREE_V1_LEAF "/memory.stat", "cache 0\nhierarchical_memory_limit 268435456\n");
}

/* Run gmw_cg_find_limit on the tree and check its contract. */
static inline void tree_check_find(void)
{
    gmw_cg_limit lim;
    char err[GMW_CG_ERR_MAX];
    memset(&lim, 'X', sizeof lim);
    memset(err, 'X', sizeof err);
    int rc = gmw_cg_find_limit(tree_root, &lim, err, sizeof err);
    FUZZ_CHECK(rc <= 0, "rc %d", rc);
    FUZZ_CHECK(lim.version >= 0 && lim.version <= 2, "version %d", lim.version);
    FUZZ_CHECK(lim.limit_bytes == -1 ||
                   (lim.limit_bytes >= 0 && lim.limit_bytes < GMW_CG_UNLIMITED_THRESHOLD),
               "limit %lld", (long long)lim.limit_bytes);
    FUZZ_CHECK(memchr(lim.source, '\0', sizeof lim.source) != NULL, "source");
    FUZZ_CHECK(memchr(lim.dir, '\0', sizeof lim.dir) != NULL, "dir");
    FUZZ_CHECK(strstr(lim.source, "..") == NULL, "source escapes: %s", lim.source);
    if (rc != 0) {
        FUZZ_CHECK(memchr(err, '\0', sizeof err) != NULL && err[0] != '\0', "err");
    } else if (lim.limit_bytes != -1) {
        FUZZ_CHECK(lim.source[0] == '/', "a limit without its source file");
    }
}

/* gmw_cg_parse_limit on a NUL-terminated copy of data[0..len). */
static inline void check_parse_limit(const uint8_t *data, size_t len)
{
    char *s = strndup((const char *)data, len);
    if (s == NULL)
        return;
    int64_t v = 42;
    int rc = gmw_cg_parse_limit(s, &v);
    FUZZ_CHECK(rc == 0 || rc == -EINVAL, "rc %d", rc);
    if (rc == 0)
        FUZZ_CHECK(v == -1 || (v >= 0 && v < GMW_CG_UNLIMITED_THRESHOLD), "value %lld",
                   (long long)v);
    free(s);
}

#endif
