/*
 * watch.h - notice when files change, including Kubernetes Secret/ConfigMap volume
 * updates.
 *
 * The kubelet updates a mounted Secret by writing a new timestamped directory and
 * atomically renaming the `..data` symlink onto it; tls.crt is itself a symlink to
 * ..data/tls.crt, so an inotify watch on the file (or its inode) never fires. This
 * watcher therefore compares a signature of each *resolved* path (stat(2), which
 * follows symlinks: device, inode, size, mtime, ctime, or "missing") and uses
 * inotify on the parent directories only as a wake-up, with a periodic poll as the
 * fallback (e.g. when the directory itself is a symlink or inotify is unavailable).
 *
 * Files are grouped: a group (e.g. certificate + key) fires its callback once after
 * its signature changed and then stayed stable for a short settle time, so two files
 * replaced one after the other are reloaded together. Callbacks run on the watcher
 * thread, one at a time.
 */
#ifndef GMW_WATCH_H
#define GMW_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "compiler.h" /* GMW_MUST_CHECK */

#define GMW_WATCH_MAX_FILES 4
#define GMW_WATCH_MAX_GROUPS 4

typedef void (*gmw_watch_cb)(void *arg);

/* The signature of one resolved path (all zero except `missing` when it cannot be stat'ed). */
typedef struct {
    bool missing;
    dev_t dev;
    ino_t ino;
    off_t size;
    int64_t mtime_ns;
    int64_t ctime_ns;
} gmw_file_sig;

/* Fill sig for path. Pure apart from the stat(2) call. */
void gmw_file_signature(const char *path, gmw_file_sig *sig);

typedef struct gmw_watch gmw_watch;

/*
 * Create a watcher that polls every interval_ms (at least 10; less is raised to 10) and
 * waits settle_ms of stability before firing. Returns 0 with *out (free with
 * gmw_watch_free), or -ENOMEM.
 */
GMW_MUST_CHECK int gmw_watch_new(unsigned interval_ms, unsigned settle_ms, gmw_watch **out);

/*
 * Add a group of n (1..GMW_WATCH_MAX_FILES) paths (copied) whose change calls cb(arg).
 * Their current signature is taken now, so only later changes fire. Must be called
 * before gmw_watch_start. Returns 0, -E2BIG (too many groups/files) or -ENAMETOOLONG.
 */
GMW_MUST_CHECK int gmw_watch_add(gmw_watch *w, const char *const *paths, size_t n, gmw_watch_cb cb,
                                 void *arg);

/* Start the watcher thread. Returns 0 or -errno. */
GMW_MUST_CHECK int gmw_watch_start(gmw_watch *w);

/* Stop the thread (if started), wait for it, and free w. Safe with NULL. */
void gmw_watch_free(gmw_watch *w);

#endif
