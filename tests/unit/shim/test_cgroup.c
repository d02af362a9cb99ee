/*
 * test_cgroup.c - gomemlimit-shim's memory limit discovery (webhook/shim/cgroup.c) on
 * fake /proc and /sys trees built in a temporary directory for each test.
 */
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cgroup.h"

#define V1_UNLIMITED "9223372036854771712\n"

/* A cgroup2 mount of the hierarchy root at /sys/fs/cgroup, as on a v2-only host. */
#define MI_V2_ROOT                                                                                 \
    "30 23 0:26 / /sys/fs/cgroup rw,nosuid shared:4 - cgroup2 cgroup2 rw,nsdelegate\n"
#define MI_V1_MEMORY                                                                               \
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime shared:9 - cgroup cgroup rw,memory\n"

typedef struct {
    char root[256];
    gmw_cg_limit lim;
    char err[GMW_CG_ERR_MAX];
} fixture;

static int mkdir_p(const char *path)
{
    char buf[1024];
    snprintf(buf, sizeof(buf), "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) == -1 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return (mkdir(buf, 0755) == -1 && errno != EEXIST) ? -1 : 0;
}

/* Write content to root/rel, creating parent directories. */
static void put(const fixture *f, const char *rel, const char *content)
{
    char path[1024], dir[1024];
    snprintf(path, sizeof(path), "%s%s", f->root, rel);
    snprintf(dir, sizeof(dir), "%s", path);
    *strrchr(dir, '/') = '\0';
    assert_int_equal(mkdir_p(dir), 0);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(content, fp);
    assert_int_equal(fclose(fp), 0);
}

static void put_dir(const fixture *f, const char *rel)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s%s", f->root, rel);
    assert_int_equal(mkdir_p(path), 0);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    if (!f)
        return -1;
    snprintf(f->root, sizeof(f->root), "/tmp/gmw-cgroup-test-XXXXXX");
    if (!mkdtemp(f->root)) {
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int teardown(void **state)
{
    fixture *f = *state;
    nftw(f->root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

static int find(fixture *f)
{
    f->err[0] = '\0';
    return gmw_cg_find_limit(f->root, &f->lim, f->err, sizeof(f->err));
}

/* ---- cgroup v2 ---- */

static void test_v2_leaf_limit(void **state)
{
    fixture *f = *state;
    put(f, "/proc/self/cgroup", "0::/kubepods/pod1/c1\n");
    put(f, "/proc/self/mountinfo", "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n" MI_V2_ROOT);
    put(f, "/sys/fs/cgroup/kubepods/pod1/c1/memory.max", "67108864\n");
    put(f, "/sys/fs/cgroup/kubepods/pod1/c1/memory.high", "max\n");
    put(f, "/sys/fs/cgroup/kubepods/pod1/memory.max", "max\n");
    put(f, "/sys/fs/cgroup/kubepods/memory.max", "max\n");
    assert_int_equal(find(f), 0);
    assert_int_equal(f->lim.version, 2);
    assert_int_equal(f->lim.limit_bytes, 67108864);
    assert_string_equal(f->lim.source, "/sys/fs/cgroup/kubepods/pod1/c1/memory.max");
    assert_string_equal(f->lim.dir, "/sys/fs/cgroup/kubepods/pod1/c1");
}

static void test_v2_max_everywhere_is_no_limit(void **state)
{
    fixture *f = *state;
    put(f, "/proc/self/cgroup", "0::/a/b\n");
    put(f, "/proc/self/mountinfo", MI_V2_ROOT);
    put(f, "/sys/fs/cgroup/a/b/memory.max", "max\n");
    put(f, "/sys/fs/cgroup/a/b/memory.high", "max\n");
    put(f, "/sys/fs/cgroup/a/memory.max", "max\n");
    assert_int_equal(find(f), 0);
    assert_int_equal(f->lim.version, 2);
    assert_int_equal(f->lim.limit_bytes, -1);
    assert_string_equal(f->lim.source, "");
}

static void test_v2_tighter_parent_wins(void **state)
{
    fixture *f = *state;
    put(f, "/proc/self/cgroup", "0::/kubepods/pod1/c1\n");
    put(f, "/proc/self/mountinfo", MI_V2_ROOT);
    put(f, "/sys/fs/cgroup/kubepods/pod1/c1/memory.max", "max\n");
    put(f, "/sys/fs/cgroup/kubepods/pod1/memory.max", "52428800\n"); /* pod-level limit */
    put(f, "/sys/fs/cgroup/kubepods/memory.max", "1073741824\n");
    assert_int_equal(find(f), 0);
    assert_int_equal(f->lim.limit_bytes, 52428800);
    assert_string_equal(f->lim.source, "/sys/fs/cgroup/kubepods/pod1/memory.max");
}

static void test_v2_leaf_wins_over_looser_ancestors(void **state)
{
    fixture *f = *state;
    put(f, "/proc/self/cgroup", "0::/p/c\n");
    put(f, "/proc/self/mountinfo", MI_V2_ROOT);
    put(f, "/sys/fs/cgroup/p/c/memory.max", "100000000\n");
    put(f, "/sys/fs/cgroup/p/memory.max", "100000000\n"); /* tie: the leaf is reported */
    put(f, "/sys/fs/cgroup/memory.max", "200000000\n");
    assert_int_equal(find(f), 0);
    assert_int_equal(f->lim.limit_bytes, 100000000);
    assert_string_equal(f->lim.source, "/sys/fs/cgroup/p/c/memory.max");
}

static void test_v2_memory_high_below_max(void **state)
{
    fixture *f = *state;
    put(f, "/proc/self/cgroup", "0::/c\n");
    put(f, "/proc/self/mountinfo", MI_V2_ROOT);
    put(f, "/sys/fs/cgroup/c/memory.max", "134217728\n");
    put(f, "/sys/fs/cgroup/c/memory.high", "100663296\n");
    assert_int_equal(find(f), 0);
    assert_int_equal(f->lim.limit_bytes, 100663296);
    assert_string_equal(f->lim.source, "/sys/fs/cgroup/c/memory.high");
}

static void test_v2_memory_high_above_max_ignored(void **state)
{
    fixture *f = *state;
    put(f, "/proc/self/cgroup", "0::/c\n");
    put(f, "/proc/self/mountinfo", MI_V2_ROOT);
    put(f, "/sys/fs/cgroup/c/memory.max", "134217728\n");
    put(f, "/sys/fs/cgroup/c/memory.high", "268435456\n");
    assert_int_equal(find(f), 0);
    assert_int_equal(f->lim.limit_bytes, 134217728);
    assert_string_equal(f->lim.source, "/sys/fs/cgroup/c/memory.max");
}

/* Inside a cgroup namespace: the process sees "/" and the mount root is "/". */
static void test_v2_namespaced_root_path(void **state)
{
    fixture *f = *state;
    put(f, "/proc/self/cgroup", "0::/\n");
    put(f, "/proc/self/mountinfo",
        "1200 1190 0:26 / /sys/fs/cgroup ro,nosuid - cgroup2 cgroup rw\n");
    put(f, "/sys/fs/cgroup/memory.max", "268435456\n");
    put(f, "/sys/fs/cgroup/memory.high", "max\n");
    assert_int_equal(find(f), 0);
    assert_int_equal(f->lim.version, 2);
    assert_int_equal(f->lim.limit_bytes, 268435456);
    assert_string_equal(f->lim.source, "/sys/fs/cgroup/memory.max");
}

/*
 * Namespaced path "/" but the mount shows the host sub-tree as its root (cgroupfs
 * mounted before the namespace was entered): use the mount point.
 */
static void test_v2_namespaced_path_with_subtree_root(void **state)
{
    fixture *f = *state;
    put(f, "/proc/self/cgroup", "0::/\n");
    put(f, "/proc/self/mountinfo",
        "1200 1190 0:26 /kubepods/burstable/pod9/abc /sys/fs/cgroup ro - cgroup2 cgroup rw\n");
    put(f, "/sys/fs/cgroup/memory.max", "536870912\n");
    assert_int_equal(find(f), 0);
    assert_int_equal(f->lim.limit_bytes, 536870912);
    assert_string_equal(f->lim.source, "/sys/fs/cgroup/memory.max");
}

/* Mount root other than "/": the path below it is resolved relative to the mount point,
 * and the walk stops at the mount point (never reads above it). */
static void test_v2_mount_root_not_slash(void **state)
{
    fixture *f = *state;
    put(f, "/proc/self/cgroup", "0::/kubepods/pod1/c1\n");
    put(f, "/proc/self/mountinfo",
        "40 30 0:26 /kubepods /sys/fs/cgroup rw shared:1 master:2 - cgroup2 cgroup2 rw\n");
    put(f, "/sys/fs/cgroup/pod1/c1/memory.max", "max\n");
    put(f, "/sys/fs/cgroup/pod1/memory.max", "209715200\n");
    put(f, "/sys/fs/cgroup/memory.max", "419430400\n");
    put(f, "/sys/fs/memory.max", "1048576\n"); /* above the mount: must be ignored */
    assert_int_equal(find(f), 0);
    assert_int_equal(f->lim.limit_bytes, 209715200);
    assert_string_equal(f->lim.dir, "/sys/fs/cgroup/pod1/c1");
    assert_string_equal(f->lim.source, "/sys/fs/cgroup/pod1/memory.max");
}

/* A path that climbs out of the namespace ("/../..") falls back to the mount point. */
static void test_v2_dotdot_path_uses_mount_point(void **state)
{
    fixture *f = *state;
    put(f, "/proc/self/cgroup", "0::/../..\n");
    put(f, "/proc/self/mountinfo", MI_V2_ROOT);
    put(f, "/sys/fs/cgroup/memory.max", "314572800\n");
    put(f, "/sys/memory.max", "1048576\n"); /* where "/sys/fs/cgroup/../.." would lead */
    assert_int_equal(find(f), 0);
    assert_string_equal(f->lim.dir, "/sys/fs/cgroup");
    assert_int_equal(f->lim.limit_bytes, 314572800);
}

/* Found by fuzz/fuzz_mountinfo.c (fuzz/regressions/mountinfo/dotdot-mount-point): a mount
 * point with a ".." component made the limit come from outside the mount
 * ("/sys/fs/cgroup/memory/../kubepods/pod1/memory.max"). Such lines are ignored. */
static void test_mount_point_with_dotdot_is_ignored(void **state)
{
    fixture *f = *state;
    put(f, "/proc/self/cgroup", "5:memory:/kubepods/pod1\n0::/kubepods/pod1\n");
    put(f, "/proc/self/mountinfo",
        MI_V2_ROOT "35 31 0:32 / /sys/fs/cgroup/memory/.. rw - cgroup cgroup rw,memory\n");
    put(f, "/sys/fs/cgroup/kubepods/pod1/memory.max", "314572800\n");
    assert_int_equal(find(f), 0);
    assert_int_equal(f->lim.version, 2); /* the v1 line was not taken */
    assert_string_equal(f->lim.source, "/sys/fs/cgroup/kubepods/pod1/memory.max");
    assert_int_equal(f->lim.limit_bytes, 314572800);
}

/* A cgroup directory that is not visible in this mount: use the mount point. */
static void test_v2_missing_dir_uses_mount_point(void **state)
{
    fixture *f = *state;
    put(f, "/proc/self/cgroup", "0::/not/here\n");
    put(f, "/proc/self/mountinfo", MI_V2_ROOT);
    put(f, "/sys/fs/cgroup/memory.max", "314572800\n");
    assert_int_equal(find(f), 0);
    assert_string_equal(f->lim.dir, "/sys/fs/cgroup");
    assert_int_equal(f->lim.limit_bytes, 314572800);
}

static void test_escaped_mountinfo(void **state)
{
    fixture *f = *state;
    put(f, "/proc/self/cgroup", "0::/my pod\\x/c\n");
    put(f, "/proc/self/mountinfo",
        "30 23 0:26 / /run/cg\\040root\\011t\\134x rw - cgroup2 cgroup2 rw\n");
    put(f, "/run/cg root\tt\\x/my pod\\x/c/memory.max", "73400320\n");
    assert_int_equal(find(f), 0);
    assert_int_equal(f->lim.version, 2);
    assert_int_equal(f->lim.limit_bytes, 73400320);
    assert_string_equal(f->lim.source, "/run/cg root\tt\\x/my pod\\x/c/memory.max");
}

/* ---- cgroup v1 ---- */

static void test_v1_limit_in_bytes(void **state)
{
    fixture *f = *state;
    put(f, "/proc/self/cgroup",
        "12:pids:/kubepods/pod1/c1\n5:memory:/kubepods/pod1/c1\n1:name=systemd:/x\n");
    put(f, "/proc/self/mountinfo", MI_V1_MEMORY);
    put(f, "/sys/fs/cgroup/memory/kubepods/pod1/c1/memory.limit_in_bytes", "67108864\n");
    put(f, "/sys/fs/cgroup/memory/kubepods/pod1/c1/memory.stat",
        "cache 0\nrss 0\nhierarchical_memory_limit 67108864\nhierarchical_memsw_limit "
        "9223372036854771712\n");
    assert_int_equal(find(f), 0);
    assert_int_equal(f->lim.version, 1);
    assert_int_equal(f->lim.limit_bytes, 67108864);
    assert_string_equal(f->lim.source,
                        "/sys/fs/cgroup/memory/kubepods/pod1/c1/memory.limit_in_bytes");
}

/* The container's own limit is unlimited but an ancestor's is not: memory.stat tells. */
static void test_v1_hierarchical_limit_wins(void **state)
{
    fixture *f = *state;
    put(f, "/proc/self/cgroup", "4:memory:/docker/abc\n");
    put(f, "/proc/self/mountinfo",
        "35 31 0:32 /docker/abc /sys/fs/cgroup/memory ro - cgroup cgroup rw,memory\n");
    put(f, "/sys/fs/cgroup/memory/memory.limit_in_bytes", V1_UNLIMITED);
    put(f, "/sys/fs/cgroup/memory/memory.stat",
        "cache 1\nhierarchical_memory_limit 83886080\ntotal_cache 1\n");
    assert_int_equal(find(f), 0);
    assert_int_equal(f->lim.version, 1);
    assert_string_equal(f->lim.dir, "/sys/fs/cgroup/memory");
    assert_int_equal(f->lim.limit_bytes, 83886080);
    assert_string_equal(f->lim.source, "/sys/fs/cgroup/memory/memory.stat");
}

static void test_v1_unlimited_page_aligned(void **state)
{
    fixture *f = *state;
    put(f, "/proc/self/cgroup", "4:memory:/\n");
    put(f, "/proc/self/mountinfo", MI_V1_MEMORY);
    put(f, "/sys/fs/cgroup/memory/memory.limit_in_bytes", V1_UNLIMITED);
    put(f, "/sys/fs/cgroup/memory/memory.stat", "hierarchical_memory_limit " V1_UNLIMITED);
    assert_int_equal(find(f), 0);
    assert_int_equal(f->lim.version, 1);
    assert_int_equal(f->lim.limit_bytes, -1);
}

/* 64 KiB pages: LONG_MAX rounded down to 64 KiB is "unlimited" too. */
static void test_v1_unlimited_64k_pages(void **state)
{
    fixture *f = *state;
    put(f, "/proc/self/cgroup", "4:memory:/\n");
    put(f, "/proc/self/mountinfo", MI_V1_MEMORY);
    put(f, "/sys/fs/cgroup/memory/memory.limit_in_bytes", "9223372036854710272\n");
    assert_int_equal(find(f), 0);
    assert_int_equal(f->lim.limit_bytes, -1);
}

static void test_v1_combined_controllers(void **state)
{
    fixture *f = *state;
    put(f, "/proc/self/cgroup", "3:cpu,memory:/job\n");
    put(f, "/proc/self/mountinfo",
        "35 31 0:32 / /cg/cpu,memory rw - cgroup cgroup rw,cpu,memory\n");
    put(f, "/cg/cpu,memory/job/memory.limit_in_bytes", "104857600\n");
    assert_int_equal(find(f), 0); /* no memory.stat: limit_in_bytes alone */
    assert_int_equal(f->lim.limit_bytes, 104857600);
}

/* "memoryx" is not "memory": the list is matched item by item. */
static void test_v1_controller_name_exact(void **state)
{
    fixture *f = *state;
    put(f, "/proc/self/cgroup", "3:memoryx:/job\n0::/\n");
    put(f, "/proc/self/mountinfo",
        "35 31 0:32 / /cg rw - cgroup cgroup rw,memoryx\n" MI_V1_MEMORY MI_V2_ROOT);
    put(f, "/sys/fs/cgroup/memory/job/memory.limit_in_bytes", "1048576\n");
    put(f, "/sys/fs/cgroup/memory.max", "314572800\n");
    assert_int_equal(find(f), 0);
    assert_int_equal(f->lim.version, 2);
    assert_int_equal(f->lim.limit_bytes, 314572800);
}

/* Hybrid: systemd's unified v2 mount exists, but memory is on v1. */
static void test_hybrid_uses_v1_memory(void **state)
{
    fixture *f = *state;
    put(f, "/proc/self/cgroup", "9:name=systemd:/\n4:memory:/svc\n0::/svc\n");
    put(f, "/proc/self/mountinfo",
        "31 23 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs rw,mode=755\n"
        "35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
        "41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n");
    put(f, "/sys/fs/cgroup/memory/svc/memory.limit_in_bytes", "75497472\n");
    put(f, "/sys/fs/cgroup/unified/svc/memory.max", "1048576\n"); /* not the memory hierarchy */
    assert_int_equal(find(f), 0);
    assert_int_equal(f->lim.version, 1);
    assert_int_equal(f->lim.limit_bytes, 75497472);
}

/* Hybrid with the unified line first and no v1 memory mount visible: v2 is used. */
static void test_hybrid_without_v1_memory_mount(void **state)
{
    fixture *f = *state;
    put(f, "/proc/self/cgroup", "0::/svc\n4:memory:/svc\n");
    put(f, "/proc/self/mountinfo", "41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n");
    put_dir(f, "/sys/fs/cgroup/unified/svc");
    assert_int_equal(find(f), 0);
    assert_int_equal(f->lim.version, 2);
    assert_int_equal(f->lim.limit_bytes, -1);
}

static void test_no_memory_cgroup(void **state)
{
    fixture *f = *state;
    put(f, "/proc/self/cgroup", "2:cpu:/\n");
    put(f, "/proc/self/mountinfo", "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n");
    assert_int_equal(find(f), 0);
    assert_int_equal(f->lim.version, 0);
    assert_int_equal(f->lim.limit_bytes, -1);
    assert_string_equal(f->err, "");
}

/* ---- failures: one line naming the file ---- */

static void test_missing_proc_cgroup(void **state)
{
    fixture *f = *state;
    assert_int_equal(find(f), -ENOENT);
    assert_non_null(strstr(f->err, "/proc/self/cgroup"));
    assert_null(strchr(f->err, '\n'));
    assert_int_equal(f->lim.limit_bytes, -1);
}

static void test_missing_mountinfo(void **state)
{
    fixture *f = *state;
    put(f, "/proc/self/cgroup", "0::/\n");
    assert_int_equal(find(f), -ENOENT);
    assert_non_null(strstr(f->err, "/proc/self/mountinfo"));
}

/* A limit file that cannot be read (a directory here: works even as root). */
static void test_unreadable_memory_max(void **state)
{
    fixture *f = *state;
    put(f, "/proc/self/cgroup", "0::/c\n");
    put(f, "/proc/self/mountinfo", MI_V2_ROOT);
    put_dir(f, "/sys/fs/cgroup/c/memory.max");
    assert_int_equal(find(f), -EISDIR);
    assert_non_null(strstr(f->err, "cannot read /sys/fs/cgroup/c/memory.max"));
    assert_int_equal(f->lim.limit_bytes, -1);
}

static void test_unreadable_ancestor_is_error(void **state)
{
    fixture *f = *state;
    put(f, "/proc/self/cgroup", "0::/p/c\n");
    put(f, "/proc/self/mountinfo", MI_V2_ROOT);
    put(f, "/sys/fs/cgroup/p/c/memory.max", "67108864\n");
    put_dir(f, "/sys/fs/cgroup/p/memory.high");
    assert_int_equal(find(f), -EISDIR);
    assert_non_null(strstr(f->err, "/sys/fs/cgroup/p/memory.high"));
    assert_int_equal(f->lim.limit_bytes, -1); /* a partial minimum could be too high */
}

/* Permission bits: only meaningful when not root (root reads anything). */
static void test_unreadable_permission(void **state)
{
    fixture *f = *state;
    if (geteuid() == 0) {
        /* As root, use a FIFO-free equivalent: a dangling symlink loop (ELOOP). */
        put(f, "/proc/self/cgroup", "0::/c\n");
        put(f, "/proc/self/mountinfo", MI_V2_ROOT);
        put_dir(f, "/sys/fs/cgroup/c");
        char a[1024];
        snprintf(a, sizeof(a), "%s/sys/fs/cgroup/c/memory.max", f->root);
        assert_int_equal(symlink("memory.max", a), 0);
        assert_int_equal(find(f), -ELOOP);
    } else {
        put(f, "/proc/self/cgroup", "0::/c\n");
        put(f, "/proc/self/mountinfo", MI_V2_ROOT);
        put(f, "/sys/fs/cgroup/c/memory.max", "1\n");
        char a[1024];
        snprintf(a, sizeof(a), "%s/sys/fs/cgroup/c/memory.max", f->root);
        assert_int_equal(chmod(a, 0), 0);
        assert_int_equal(find(f), -EACCES);
    }
    assert_non_null(strstr(f->err, "cannot read /sys/fs/cgroup/c/memory.max"));
}

static void test_malformed_limit(void **state)
{
    fixture *f = *state;
    put(f, "/proc/self/cgroup", "0::/c\n");
    put(f, "/proc/self/mountinfo", MI_V2_ROOT);
    put(f, "/sys/fs/cgroup/c/memory.max", "lots\n");
    assert_int_equal(find(f), -EINVAL);
    assert_non_null(strstr(f->err, "malformed /sys/fs/cgroup/c/memory.max"));
}

static void test_v1_missing_limit_file(void **state)
{
    fixture *f = *state;
    put(f, "/proc/self/cgroup", "4:memory:/\n");
    put(f, "/proc/self/mountinfo", MI_V1_MEMORY);
    put_dir(f, "/sys/fs/cgroup/memory");
    assert_int_equal(find(f), -ENOENT);
    assert_non_null(strstr(f->err, "memory.limit_in_bytes"));
}

static void test_v1_malformed_memory_stat(void **state)
{
    fixture *f = *state;
    put(f, "/proc/self/cgroup", "4:memory:/\n");
    put(f, "/proc/self/mountinfo", MI_V1_MEMORY);
    put(f, "/sys/fs/cgroup/memory/memory.limit_in_bytes", "67108864\n");
    put(f, "/sys/fs/cgroup/memory/memory.stat", "hierarchical_memory_limit -5\n");
    assert_int_equal(find(f), -EINVAL);
    assert_non_null(strstr(f->err, "memory.stat"));
}

/* Garbage lines in /proc/self/cgroup and mountinfo are skipped, not fatal. */
static void test_garbage_lines_skipped(void **state)
{
    fixture *f = *state;
    put(f, "/proc/self/cgroup", "garbage\n::\n\n0::/c\n");
    put(f, "/proc/self/mountinfo", "short line\n\n1 2 3 4 5 6 no-dash\n" MI_V2_ROOT);
    put(f, "/sys/fs/cgroup/c/memory.max", "67108864\n");
    assert_int_equal(find(f), 0);
    assert_int_equal(f->lim.limit_bytes, 67108864);
}

/* A cgroup path longer than any real path: an error, not a silent "no limit". */
static void test_cgroup_path_too_long(void **state)
{
    fixture *f = *state;
    char line[GMW_CG_PATH_MAX + 64] = "0::/";
    size_t n = strlen(line);
    while (n < GMW_CG_PATH_MAX + 10)
        line[n++] = 'a';
    line[n++] = '\n';
    line[n] = '\0';
    put(f, "/proc/self/cgroup", line);
    put(f, "/proc/self/mountinfo", MI_V2_ROOT);
    assert_int_equal(find(f), -ENAMETOOLONG);
    assert_non_null(strstr(f->err, "too long"));
    assert_int_equal(f->lim.limit_bytes, -1);
}

/* ---- pure helpers ---- */

static void test_parse_limit(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        int rc;
        int64_t value;
    } cases[] = {
        {"max\n", 0, -1},
        {"max", 0, -1},
        {"0\n", 0, 0},
        {"67108864\n", 0, 67108864},
        {"67108864", 0, 67108864},
        {"4611686018427387903\n", 0, INT64_C(4611686018427387903)},
        {"4611686018427387904\n", 0, -1}, /* 2^62: unlimited */
        {"9223372036854771712\n", 0, -1},
        {"99999999999999999999999\n", 0, -1},
        {"", -EINVAL, 0},
        {"\n", -EINVAL, 0},
        {"-1\n", -EINVAL, 0},
        {"12a\n", -EINVAL, 0},
        {"maxi\n", -EINVAL, 0},
        {"1 2\n", -EINVAL, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int64_t v = 12345;
        int rc = gmw_cg_parse_limit(cases[i].in, &v);
        if (rc != cases[i].rc)
            fail_msg("case %zu '%s': rc %d, want %d", i, cases[i].in, rc, cases[i].rc);
        if (rc == 0 && v != cases[i].value)
            fail_msg("case %zu '%s': %lld, want %lld", i, cases[i].in, (long long)v,
                     (long long)cases[i].value);
    }
}

static void test_unescape(void **state)
{
    (void)state;
    char a[] = "a\\040b\\011c\\134d\\012e";
    assert_string_equal(gmw_cg_unescape(a), "a b\tc\\d\ne");
    char b[] = "\\08x\\4\\";
    assert_string_equal(gmw_cg_unescape(b), "\\08x\\4\\");
    char c[] = "";
    assert_string_equal(gmw_cg_unescape(c), "");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_v2_leaf_limit),
        T(test_v2_max_everywhere_is_no_limit),
        T(test_v2_tighter_parent_wins),
        T(test_v2_leaf_wins_over_looser_ancestors),
        T(test_v2_memory_high_below_max),
        T(test_v2_memory_high_above_max_ignored),
        T(test_v2_namespaced_root_path),
        T(test_v2_namespaced_path_with_subtree_root),
        T(test_v2_mount_root_not_slash),
        T(test_v2_dotdot_path_uses_mount_point),
        T(test_mount_point_with_dotdot_is_ignored),
        T(test_v2_missing_dir_uses_mount_point),
        T(test_escaped_mountinfo),
        T(test_v1_limit_in_bytes),
        T(test_v1_hierarchical_limit_wins),
        T(test_v1_unlimited_page_aligned),
        T(test_v1_unlimited_64k_pages),
        T(test_v1_combined_controllers),
        T(test_v1_controller_name_exact),
        T(test_hybrid_uses_v1_memory),
        T(test_hybrid_without_v1_memory_mount),
        T(test_no_memory_cgroup),
        T(test_missing_proc_cgroup),
        T(test_missing_mountinfo),
        T(test_unreadable_memory_max),
        T(test_unreadable_ancestor_is_error),
        T(test_unreadable_permission),
        T(test_malformed_limit),
        T(test_v1_missing_limit_file),
        T(test_v1_malformed_memory_stat),
        T(test_garbage_lines_skipped),
        T(test_cgroup_path_too_long),
        cmocka_unit_test(test_parse_limit),
        cmocka_unit_test(test_unescape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
