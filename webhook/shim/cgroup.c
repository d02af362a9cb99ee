/*
 * cgroup.c - memory limit discovery for gomemlimit-shim (see cgroup.h). libc only.
 */
#include "cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SMALL_FILE_MAX 65536

/* One mount of a cgroup hierarchy, from mountinfo (unescaped). */
typedef struct {
    bool found;
    char root[GMW_CG_PATH_MAX];
    char mountpoint[GMW_CG_PATH_MAX];
} cg_mount;

/* What /proc/self/cgroup says about the memory controller. */
typedef struct {
    bool v1_found;
    char v1_path[GMW_CG_PATH_MAX];
    bool v2_found;
    char v2_path[GMW_CG_PATH_MAX];
} cg_membership;

__attribute__((format(printf, 3, 4))) static void set_err(char *err, size_t errcap, const char *fmt,
                                                          ...)
{
    if (err == NULL || errcap == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    /* ap is started on the line above: an analyzer false positive (clang 14). */
    vsnprintf(err, errcap, fmt, ap); // NOLINT(clang-analyzer-valist.Uninitialized)
    va_end(ap);
}

/* Bounded copy; returns 0 or -ENAMETOOLONG (dst then holds a truncated string). */
static int copy_str(char *dst, size_t cap, const char *src)
{
    int n = snprintf(dst, cap, "%s", src);
    return (n < 0 || (size_t)n >= cap) ? -ENAMETOOLONG : 0;
}

/* dst = root + path + suffix. Returns 0 or -ENAMETOOLONG. */
static int join3(char *dst, size_t cap, const char *root, const char *path, const char *suffix)
{
    int n = snprintf(dst, cap, "%s%s%s", root, path, suffix);
    return (n < 0 || (size_t)n >= cap) ? -ENAMETOOLONG : 0;
}

/*
 * Read a small file (cgroup limits, memory.stat) into buf, NUL-terminated. Returns the
 * length, or -errno (-EFBIG when it does not fit, -EISDIR for a directory).
 */
static long read_small_file(const char *path, char *buf, size_t cap)
{
    if (cap > 0)
        buf[0] = '\0'; /* a string even on failure */
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd == -1)
        return -errno;
    size_t len = 0;
    for (;;) {
        if (len + 1 >= cap) {
            close(fd);
            return -EFBIG;
        }
        ssize_t n = read(fd, buf + len, cap - 1 - len);
        if (n == -1) {
            if (errno == EINTR)
                continue;
            int e = errno;
            close(fd);
            return -e;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    buf[len] = '\0';
    return (long)len;
}

char *gmw_cg_unescape(char *s)
{
    char *r = s, *w = s;
    while (*r) {
        if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
            r[3] >= '0' && r[3] <= '7') {
            *w++ = (char)(((r[1] - '0') << 6) | ((r[2] - '0') << 3) | (r[3] - '0'));
            r += 4;
        } else {
            *w++ = *r++;
        }
    }
    *w = '\0';
    return s;
}

int gmw_cg_parse_limit(const char *text, int64_t *value)
{
    const char *p = text;
    if (strncmp(p, "max", 3) == 0) {
        p += 3;
        *value = -1;
    } else {
        if (*p < '0' || *p > '9')
            return -EINVAL;
        uint64_t v = 0;
        bool huge = false;
        for (; *p >= '0' && *p <= '9'; p++) {
            if (v > (UINT64_MAX - 9) / 10)
                huge = true;
            else
                v = v * 10 + (uint64_t)(*p - '0');
        }
        *value = (huge || v >= (uint64_t)GMW_CG_UNLIMITED_THRESHOLD) ? -1 : (int64_t)v;
    }
    while (*p == '\n' || *p == ' ' || *p == '\t')
        p++;
    return *p == '\0' ? 0 : -EINVAL;
}

/* Split off the next space-separated field of a line; NULL at the end. */
static char *next_field(char **cursor)
{
    char *p = *cursor;
    while (*p == ' ')
        p++;
    if (*p == '\0' || *p == '\n')
        return NULL;
    char *start = p;
    while (*p && *p != ' ' && *p != '\n')
        p++;
    if (*p)
        *p++ = '\0';
    *cursor = p;
    return start;
}

/* Does the comma-separated list contain item exactly? */
static bool list_has(const char *list, const char *item)
{
    size_t n = strlen(item);
    const char *p = list;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
        if (len == n && strncmp(p, item, n) == 0)
            return true;
        if (end == NULL)
            break;
        p = end + 1;
    }
    return false;
}

/* Is `path` equal to `root` or below it (component-wise)? */
static bool path_under(const char *path, const char *root)
{
    if (strcmp(root, "/") == 0)
        return path[0] == '/';
    size_t n = strlen(root);
    return strncmp(path, root, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* Does the path have a ".." component (a cgroup outside our namespace)? */
static bool has_dotdot(const char *path)
{
    const char *p = path;
    while ((p = strstr(p, "..")) != NULL) {
        bool start = (p == path || p[-1] == '/');
        bool end = (p[2] == '\0' || p[2] == '/');
        if (start && end)
            return true;
        p += 2;
    }
    return false;
}

static void strip_newline(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
}

/* Parse root/proc/self/cgroup. Returns 0 or -errno (message in err). */
static int read_membership(const char *root, cg_membership *m, char *err, size_t errcap)
{
    char path[GMW_CG_PATH_MAX];
    char *line = NULL;
    size_t linecap = 0;
    FILE *f = NULL;
    int rc = 0;

    memset(m, 0, sizeof *m);
    if (join3(path, sizeof path, root, "/proc/self/cgroup", "") != 0) {
        set_err(err, errcap, "%.200s/proc/self/cgroup: path too long", root);
        return -ENAMETOOLONG;
    }
    f = fopen(path, "re");
    if (f == NULL) {
        rc = -errno;
        set_err(err, errcap, "cannot read /proc/self/cgroup: %s", strerror(-rc));
        return rc;
    }
    while (getline(&line, &linecap, f) != -1) {
        strip_newline(line);
        char *c1 = strchr(line, ':');
        if (c1 == NULL)
            continue;
        char *c2 = strchr(c1 + 1, ':');
        if (c2 == NULL)
            continue;
        *c1 = '\0';
        *c2 = '\0';
        const char *id = line, *controllers = c1 + 1, *cgpath = c2 + 1;
        char *dst = NULL;
        if (!m->v1_found && list_has(controllers, "memory")) {
            dst = m->v1_path;
            m->v1_found = true;
        } else if (!m->v2_found && strcmp(id, "0") == 0 && controllers[0] == '\0') {
            dst = m->v2_path;
            m->v2_found = true;
        }
        if (dst && copy_str(dst, GMW_CG_PATH_MAX, cgpath) != 0) {
            rc = -ENAMETOOLONG;
            set_err(err, errcap, "cgroup path in /proc/self/cgroup too long");
            break;
        }
    }
    if (rc == 0 && ferror(f)) {
        rc = -EIO;
        set_err(err, errcap, "cannot read /proc/self/cgroup: %s", strerror(EIO));
    }
    free(line);
    (void)fclose(f); /* read-only: nothing is lost on close */
    return rc;
}

/*
 * Remember a mount candidate: the first one whose root contains the process's cgroup
 * path wins; otherwise the first one seen is kept as a fallback.
 */
static void consider_mount(cg_mount *best, bool *best_contains, const char *mroot,
                           const char *mpoint, const char *cgpath)
{
    bool contains = cgpath != NULL && path_under(cgpath, mroot);
    if (best->found && (*best_contains || !contains))
        return;
    if (copy_str(best->root, sizeof best->root, mroot) != 0 ||
        copy_str(best->mountpoint, sizeof best->mountpoint, mpoint) != 0)
        return;
    best->found = true;
    *best_contains = contains;
}

/* Parse root/proc/self/mountinfo for the v1 memory and the v2 mounts. */
static int read_mounts(const char *root, const cg_membership *m, cg_mount *v1, cg_mount *v2,
                       char *err, size_t errcap)
{
    char path[GMW_CG_PATH_MAX];
    char *line = NULL;
    size_t linecap = 0;
    FILE *f = NULL;
    bool v1_contains = false, v2_contains = false;
    int rc = 0;

    memset(v1, 0, sizeof *v1);
    memset(v2, 0, sizeof *v2);
    if (join3(path, sizeof path, root, "/proc/self/mountinfo", "") != 0) {
        set_err(err, errcap, "%.200s/proc/self/mountinfo: path too long", root);
        return -ENAMETOOLONG;
    }
    f = fopen(path, "re");
    if (f == NULL) {
        rc = -errno;
        set_err(err, errcap, "cannot read /proc/self/mountinfo: %s", strerror(-rc));
        return rc;
    }
    while (getline(&line, &linecap, f) != -1) {
        char *cur = line;
        char *fields[5];
        int i;
        for (i = 0; i < 5; i++) {
            fields[i] = next_field(&cur);
            if (fields[i] == NULL)
                break;
        }
        if (i < 5)
            continue;
        (void)next_field(&cur); /* mount options */
        char *tok;
        while ((tok = next_field(&cur)) != NULL && strcmp(tok, "-") != 0)
            ; /* optional fields */
        if (tok == NULL)
            continue;
        char *fstype = next_field(&cur);
        char *source = next_field(&cur);
        char *superopts = next_field(&cur);
        if (fstype == NULL || source == NULL || superopts == NULL)
            continue;
        char *mroot = gmw_cg_unescape(fields[3]);
        char *mpoint = gmw_cg_unescape(fields[4]);
        /* The kernel writes absolute paths without ".." components; a line that does not
         * could make the limit come from outside the mount (found by fuzz_mountinfo). */
        if (mroot[0] != '/' || mpoint[0] != '/' || has_dotdot(mroot) || has_dotdot(mpoint))
            continue;
        if (strcmp(fstype, "cgroup") == 0 && list_has(superopts, "memory"))
            consider_mount(v1, &v1_contains, mroot, mpoint, m->v1_found ? m->v1_path : NULL);
        else if (strcmp(fstype, "cgroup2") == 0)
            consider_mount(v2, &v2_contains, mroot, mpoint, m->v2_found ? m->v2_path : NULL);
    }
    if (ferror(f)) {
        rc = -EIO;
        set_err(err, errcap, "cannot read /proc/self/mountinfo: %s", strerror(EIO));
    }
    free(line);
    (void)fclose(f); /* read-only: nothing is lost on close */
    return rc;
}

/*
 * The cgroup directory (without root) for cgroup path cgpath in mount mnt: the mount
 * point plus the path relative to the mount's root; the mount point itself when the
 * path is outside the mount root, climbs with "..", or does not exist.
 * *rel_off receives the offset in dir where the part below the mount point starts.
 */
static int resolve_dir(const char *root, const cg_mount *mnt, const char *cgpath, char *dir,
                       size_t cap, size_t *rel_off)
{
    const char *rel = "";
    if (path_under(cgpath, mnt->root) && !has_dotdot(cgpath))
        rel = strcmp(mnt->root, "/") == 0 ? cgpath : cgpath + strlen(mnt->root);
    if (strcmp(rel, "/") == 0)
        rel = "";
    const char *mp = strcmp(mnt->mountpoint, "/") == 0 ? "" : mnt->mountpoint;
    if (join3(dir, cap, mp, rel, "") != 0)
        return -ENAMETOOLONG;
    *rel_off = strlen(mp);
    if (rel[0] != '\0') {
        char full[GMW_CG_PATH_MAX];
        struct stat st;
        if (join3(full, sizeof full, root, dir, "") != 0 || stat(full, &st) == -1 ||
            !S_ISDIR(st.st_mode)) {
            if (copy_str(dir, cap, mnt->mountpoint) != 0)
                return -ENAMETOOLONG;
        }
    }
    return 0;
}

/*
 * Read one limit file root+dir+"/"+name. Returns 1 with *value set, 0 when the file
 * does not exist, -errno on failure (message in err).
 */
static int read_limit_file(const char *root, const char *dir, const char *name, int64_t *value,
                           char *err, size_t errcap)
{
    char rel[GMW_CG_PATH_MAX], full[GMW_CG_PATH_MAX];
    char buf[128] = ""; /* zeroed for the analyzer: it does not model strncmp("max") */
    if (join3(rel, sizeof rel, dir, "/", name) != 0 ||
        join3(full, sizeof full, root, rel, "") != 0) {
        set_err(err, errcap, "%s/%s: path too long", dir, name);
        return -ENAMETOOLONG;
    }
    long n = read_small_file(full, buf, sizeof buf);
    if (n == -ENOENT)
        return 0;
    if (n < 0) {
        set_err(err, errcap, "cannot read %s: %s", rel, strerror((int)-n));
        return (int)n;
    }
    if (gmw_cg_parse_limit(buf, value) != 0) {
        set_err(err, errcap, "malformed %s: not a byte count or \"max\"", rel);
        return -EINVAL;
    }
    return 1;
}

/* Keep the smaller limit (-1 = none) and its source; ties keep the earlier one. */
static void take_min(gmw_cg_limit *out, int64_t value, const char *dir, const char *name)
{
    if (value < 0)
        return;
    if (out->limit_bytes >= 0 && value >= out->limit_bytes)
        return;
    out->limit_bytes = value;
    if (join3(out->source, sizeof out->source, dir, "/", name) != 0)
        out->source[0] = '\0';
}

static int find_v2(const char *root, gmw_cg_limit *out, char *err, size_t errcap, size_t rel_off)
{
    char dir[GMW_CG_PATH_MAX];
    if (copy_str(dir, sizeof dir, out->dir) != 0)
        return -ENAMETOOLONG;
    for (;;) {
        static const char *const names[] = {"memory.max", "memory.high"};
        for (size_t i = 0; i < 2; i++) {
            int64_t v;
            int rc = read_limit_file(root, dir[0] ? dir : "", names[i], &v, err, errcap);
            if (rc < 0)
                return rc;
            if (rc == 1)
                take_min(out, v, dir, names[i]);
        }
        /* Up one level, but never above the mount point. */
        char *slash = strrchr(dir, '/');
        if (strlen(dir) <= rel_off || slash == NULL || (size_t)(slash - dir) < rel_off)
            break;
        *slash = '\0';
    }
    return 0;
}

static int find_v1(const char *root, gmw_cg_limit *out, char *err, size_t errcap)
{
    int64_t v = -1;
    int rc = read_limit_file(root, out->dir, "memory.limit_in_bytes", &v, err, errcap);
    if (rc < 0)
        return rc;
    if (rc == 0) {
        set_err(err, errcap, "cannot read %s/memory.limit_in_bytes: No such file or directory",
                out->dir);
        return -ENOENT;
    }
    take_min(out, v, out->dir, "memory.limit_in_bytes");

    char rel[GMW_CG_PATH_MAX], full[GMW_CG_PATH_MAX];
    char *buf = NULL;
    if (join3(rel, sizeof rel, out->dir, "/memory.stat", "") != 0 ||
        join3(full, sizeof full, root, rel, "") != 0)
        return -ENAMETOOLONG;
    buf = malloc(SMALL_FILE_MAX);
    if (buf == NULL)
        return -ENOMEM;
    long n = read_small_file(full, buf, SMALL_FILE_MAX);
    if (n == -ENOENT) {
        rc = 0;
        goto out;
    }
    if (n < 0) {
        set_err(err, errcap, "cannot read %s: %s", rel, strerror((int)-n));
        rc = (int)n;
        goto out;
    }
    rc = 0;
    static const char key[] = "hierarchical_memory_limit ";
    for (char *line = buf; line != NULL && *line;) {
        char *nl = strchr(line, '\n');
        if (nl != NULL)
            *nl = '\0';
        if (strncmp(line, key, sizeof key - 1) == 0) {
            if (gmw_cg_parse_limit(line + sizeof key - 1, &v) != 0) {
                set_err(err, errcap, "malformed %s: bad hierarchical_memory_limit line", rel);
                rc = -EINVAL;
                goto out;
            }
            take_min(out, v, out->dir, "memory.stat");
            break;
        }
        line = nl != NULL ? nl + 1 : NULL;
    }
out:
    free(buf);
    return rc;
}

int gmw_cg_find_limit(const char *root, gmw_cg_limit *out, char *err, size_t errcap)
{
    cg_membership m;
    cg_mount v1, v2;
    size_t rel_off = 0;
    int rc;

    if (root == NULL)
        root = "";
    memset(out, 0, sizeof *out);
    out->limit_bytes = -1;
    if (err != NULL && errcap)
        err[0] = '\0';

    rc = read_membership(root, &m, err, errcap);
    if (rc != 0)
        return rc;
    rc = read_mounts(root, &m, &v1, &v2, err, errcap);
    if (rc != 0)
        return rc;

    if (m.v1_found && v1.found) {
        out->version = 1;
        rc = resolve_dir(root, &v1, m.v1_path, out->dir, sizeof out->dir, &rel_off);
        if (rc == 0)
            rc = find_v1(root, out, err, errcap);
    } else if (m.v2_found && v2.found) {
        out->version = 2;
        rc = resolve_dir(root, &v2, m.v2_path, out->dir, sizeof out->dir, &rel_off);
        if (rc == 0)
            rc = find_v2(root, out, err, errcap, rel_off);
    } else {
        return 0; /* no memory cgroup: no limit */
    }
    if (rc == -ENAMETOOLONG && err != NULL && errcap && err[0] == '\0')
        set_err(err, errcap, "cgroup path too long under %.200s", root[0] ? root : "/");
    if (rc != 0) {
        out->limit_bytes = -1;
        out->source[0] = '\0';
    }
    return rc;
}
