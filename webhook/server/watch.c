/*
 * watch.c - file change detection by resolved-path signatures; see watch.h.
 */
#include "watch.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#define GMW_WATCH_PATH 1024

typedef struct {
    size_t n;
    char paths[GMW_WATCH_MAX_FILES][GMW_WATCH_PATH];
    gmw_file_sig seen[GMW_WATCH_MAX_FILES];
    gmw_watch_cb cb;
    void *arg;
} watch_group;

struct gmw_watch {
    unsigned interval_ms;
    unsigned settle_ms;
    size_t ngroups;
    watch_group groups[GMW_WATCH_MAX_GROUPS];
    int inotify_fd; /* -1 when unavailable */
    int stop_fd;    /* eventfd, -1 until started */
    bool started;
    pthread_t thread;
};

void gmw_file_signature(const char *path, gmw_file_sig *sig)
{
    struct stat st;
    memset(sig, 0, sizeof *sig);
    if (stat(path, &st) == -1) {
        sig->missing = true;
        return;
    }
    sig->dev = st.st_dev;
    sig->ino = st.st_ino;
    sig->size = st.st_size;
    sig->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
    sig->ctime_ns = (int64_t)st.st_ctim.tv_sec * 1000000000 + st.st_ctim.tv_nsec;
}

static void group_signature(const watch_group *g, gmw_file_sig *out)
{
    for (size_t i = 0; i < g->n; i++)
        gmw_file_signature(g->paths[i], &out[i]);
}

static bool sig_equal(const gmw_file_sig *a, const gmw_file_sig *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (a[i].missing != b[i].missing || a[i].dev != b[i].dev || a[i].ino != b[i].ino ||
            a[i].size != b[i].size || a[i].mtime_ns != b[i].mtime_ns ||
            a[i].ctime_ns != b[i].ctime_ns)
            return false;
    }
    return true;
}

int gmw_watch_new(unsigned interval_ms, unsigned settle_ms, gmw_watch **out)
{
    gmw_watch *w = calloc(1, sizeof *w);
    if (w == NULL)
        return -ENOMEM;
    w->interval_ms = interval_ms < 10 ? 10 : interval_ms;
    w->settle_ms = settle_ms;
    w->inotify_fd = -1;
    w->stop_fd = -1;
    *out = w;
    return 0;
}

/* Add an inotify watch on the directory holding path (best effort). */
static void watch_parent(gmw_watch *w, const char *path)
{
    if (w->inotify_fd == -1)
        return;
    char dir[GMW_WATCH_PATH];
    size_t len = strlen(path);
    if (len >= sizeof dir)
        return;
    memcpy(dir, path, len + 1);
    char *slash = strrchr(dir, '/');
    if (slash == NULL) {
        memcpy(dir, ".", 2);
    } else if (slash == dir) {
        dir[1] = '\0';
    } else {
        *slash = '\0';
    }
    inotify_add_watch(w->inotify_fd, dir,
                      IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CLOSE_WRITE |
                          IN_MODIFY | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF);
}

/* Watch the parent of path and, if path is a symlink chain, the parent of its target. */
static void watch_path(gmw_watch *w, const char *path)
{
    watch_parent(w, path);
    char *real = realpath(path, NULL);
    if (real != NULL) {
        if (strcmp(real, path) != 0)
            watch_parent(w, real);
        free(real);
    }
}

int gmw_watch_add(gmw_watch *w, const char *const *paths, size_t n, gmw_watch_cb cb, void *arg)
{
    if (w->ngroups >= GMW_WATCH_MAX_GROUPS || n == 0 || n > GMW_WATCH_MAX_FILES)
        return -E2BIG;
    watch_group *g = &w->groups[w->ngroups];
    memset(g, 0, sizeof *g);
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(paths[i]);
        if (len >= GMW_WATCH_PATH)
            return -ENAMETOOLONG;
        memcpy(g->paths[i], paths[i], len + 1);
    }
    g->n = n;
    g->cb = cb;
    g->arg = arg;
    group_signature(g, g->seen);
    w->ngroups++;
    return 0;
}

/* Sleep up to ms, returning true if a stop was requested meanwhile. */
static bool wait_stop(gmw_watch *w, unsigned ms)
{
    struct pollfd pfd = {.fd = w->stop_fd, .events = POLLIN};
    int r = poll(&pfd, 1, (int)ms);
    return r > 0;
}

static void drain_inotify(gmw_watch *w)
{
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    while (read(w->inotify_fd, buf, sizeof buf) > 0) {
    }
}

static void *watch_main(void *arg)
{
    gmw_watch *w = arg;
    for (;;) {
        struct pollfd pfds[2] = {{.fd = w->stop_fd, .events = POLLIN},
                                 {.fd = w->inotify_fd, .events = POLLIN}};
        int r = poll(pfds, w->inotify_fd != -1 ? 2 : 1, (int)w->interval_ms);
        if (r > 0 && (pfds[0].revents & POLLIN) != 0)
            return NULL;
        if (w->inotify_fd != -1 && r > 0 && (pfds[1].revents & POLLIN) != 0)
            drain_inotify(w);
        for (size_t gi = 0; gi < w->ngroups; gi++) {
            watch_group *g = &w->groups[gi];
            gmw_file_sig now[GMW_WATCH_MAX_FILES];
            memset(now, 0, sizeof now);
            group_signature(g, now);
            if (sig_equal(now, g->seen, g->n))
                continue;
            /* Changed: wait until it has been stable for settle_ms (at most 20 rounds). */
            for (int round = 0; round < 20 && w->settle_ms > 0; round++) {
                if (wait_stop(w, w->settle_ms))
                    return NULL;
                gmw_file_sig again[GMW_WATCH_MAX_FILES];
                memset(again, 0, sizeof again);
                group_signature(g, again);
                if (sig_equal(again, now, g->n))
                    break;
                memcpy(now, again, sizeof now);
            }
            if (w->inotify_fd != -1)
                drain_inotify(w);
            memcpy(g->seen, now, sizeof g->seen);
            for (size_t i = 0; i < g->n; i++)
                watch_path(w, g->paths[i]); /* the target directory may be new */
            g->cb(g->arg);
        }
    }
}

int gmw_watch_start(gmw_watch *w)
{
    w->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (w->stop_fd == -1)
        return -errno;
    w->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    for (size_t gi = 0; gi < w->ngroups; gi++)
        for (size_t i = 0; i < w->groups[gi].n; i++)
            watch_path(w, w->groups[gi].paths[i]);
    int rc = pthread_create(&w->thread, NULL, watch_main, w);
    if (rc != 0)
        return -rc;
    w->started = true;
    return 0;
}

void gmw_watch_free(gmw_watch *w)
{
    if (w == NULL)
        return;
    if (w->started) {
        uint64_t one = 1;
        ssize_t wr = write(w->stop_fd, &one, sizeof one);
        (void)wr;
        pthread_join(w->thread, NULL);
    }
    if (w->stop_fd != -1)
        close(w->stop_fd);
    if (w->inotify_fd != -1)
        close(w->inotify_fd);
    free(w);
}
