/*
 * cgroup.h - find the memory limit that applies to the calling process, the way the
 * kernel will enforce it: from /proc/self/cgroup and /proc/self/mountinfo.
 *
 * Part of gomemlimit-shim, so libc only (it is linked statically against musl). The
 * same file is compiled with the host compiler for the cmocka unit tests, which run it
 * on fake proc/sys trees (see `root` below).
 *
 * cgroup v2:  memory.max, and memory.high when lower, at the process's cgroup and at
 *             every ancestor up to the root of the mount; the minimum wins. "max" = none.
 * cgroup v1:  min(memory.limit_in_bytes, hierarchical_memory_limit from memory.stat).
 *             Values >= 2^62 (the kernel writes PAGE_COUNTER_MAX * PAGE_SIZE, e.g.
 *             9223372036854771712 with 4 KiB pages) mean "no limit".
 * hybrid:     a v1 memory hierarchy wins over the v2 unified mount (which then holds
 *             no memory controller).
 * Paths:      the cgroup path from /proc/self/cgroup is taken relative to the mount's
 *             root (field 4 of mountinfo), so cgroup namespaces ("/") and bind-mounted
 *             sub-trees (root "/kubepods/...") both resolve to the mount point; when the
 *             path is not under the mount root or the directory does not exist, the
 *             mount point itself is used. Octal escapes in mountinfo (\040 ...) are decoded.
 */
#ifndef GMW_SHIM_CGROUP_H
#define GMW_SHIM_CGROUP_H

#include <stddef.h>
#include <stdint.h>

#define GMW_CG_PATH_MAX 4096
#define GMW_CG_ERR_MAX 512

/* Any limit at or above this is "no limit" (v1 writes a page-aligned LONG_MAX). */
#define GMW_CG_UNLIMITED_THRESHOLD ((int64_t)1 << 62)

typedef struct {
    int version;                  /* 0 = no memory cgroup found, 1 or 2 */
    int64_t limit_bytes;          /* -1 = no limit */
    char source[GMW_CG_PATH_MAX]; /* file the limit came from ("" when none), without root */
    char dir[GMW_CG_PATH_MAX];    /* the process's memory cgroup directory, without root */
} gmw_cg_limit;

/*
 * Find the effective memory limit. `root` is prepended to every /proc and /sys path
 * ("" or NULL on a real system; a fake tree in tests). Fills *out (always: on error it
 * holds version 0 / limit -1 or what was found so far).
 *
 * Returns 0 (limit found, or definitely none: out->limit_bytes == -1), or -errno when a
 * file that should be there cannot be read or parsed, with a one-line reason naming the
 * file in err (NUL-terminated, at most errcap bytes). A missing memory.high /
 * memory.max / memory.stat on an ancestor is normal (the root cgroup has none) and is
 * not an error; an unreadable or malformed one is, since the minimum would be wrong.
 */
int gmw_cg_find_limit(const char *root, gmw_cg_limit *out, char *err, size_t errcap);

/*
 * Decode mountinfo's octal escapes (\040 space, \011 tab, \012 newline, \134 backslash)
 * in place. Returns s.
 */
char *gmw_cg_unescape(char *s);

/*
 * Parse a cgroup limit file's content: decimal bytes or "max", optional trailing
 * newline. Stores the value, or -1 for "max" and for values >= GMW_CG_UNLIMITED_THRESHOLD.
 * Returns 0 or -EINVAL.
 */
int gmw_cg_parse_limit(const char *text, int64_t *value);

#endif
