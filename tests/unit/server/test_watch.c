/* test_watch.c - change detection through the Kubernetes `..data` symlink swap, plain
 * replacement, in-place rewrite, and settling of two-file updates. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "watch.h"

typedef struct {
    char root[64];
    char file[128]; /* root/tls.crt -> ..data/tls.crt */
} tree;

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_true(fputs(text, f) >= 0);
    assert_int_equal(fclose(f), 0);
}

/* Build root/..2026_1/tls.crt, root/..data -> ..2026_1, root/tls.crt -> ..data/tls.crt. */
static void make_tree(tree *t)
{
    /* *t is written here, not read: cppcheck's whole-program check takes it for a read. */
    // cppcheck-suppress ctuuninitvar
    snprintf(t->root, sizeof t->root, "/tmp/gmw-test-watch-XXXXXX");
    assert_non_null(mkdtemp(t->root));
    char p[256], q[256];
    snprintf(p, sizeof p, "%s/..2026_1", t->root);
    assert_int_equal(mkdir(p, 0755), 0);
    snprintf(p, sizeof p, "%s/..2026_1/tls.crt", t->root);
    write_text(p, "generation one\n");
    snprintf(p, sizeof p, "%s/..data", t->root);
    assert_int_equal(symlink("..2026_1", p), 0);
    snprintf(t->file, sizeof t->file, "%s/tls.crt", t->root);
    assert_int_equal(symlink("..data/tls.crt", t->file), 0);
    (void)q;
}

/* The kubelet's update: new timestamped dir, ..data_tmp symlink, rename over ..data. */
static void swap_generation(tree *t, const char *gen, const char *text)
{
    char dir[256], file[300], tmp[256], data[256];
    snprintf(dir, sizeof dir, "%s/%s", t->root, gen);
    assert_int_equal(mkdir(dir, 0755), 0);
    snprintf(file, sizeof file, "%s/tls.crt", dir);
    write_text(file, text);
    snprintf(tmp, sizeof tmp, "%s/..data_tmp", t->root);
    assert_int_equal(symlink(gen, tmp), 0);
    snprintf(data, sizeof data, "%s/..data", t->root);
    assert_int_equal(rename(tmp, data), 0);
}

static void remove_tree(tree *t)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", t->root);
    // NOLINTNEXTLINE(cert-env33-c): test cleanup of its own mkdtemp() tree
    assert_int_equal(system(cmd), 0);
}

static bool sig_same(const gmw_file_sig *a, const gmw_file_sig *b)
{
    return a->missing == b->missing && a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
           a->mtime_ns == b->mtime_ns && a->ctime_ns == b->ctime_ns;
}

static void test_signature_follows_data_swap(void **state)
{
    (void)state;
    tree t;
    make_tree(&t);
    gmw_file_sig before, same, after;
    gmw_file_signature(t.file, &before);
    assert_false(before.missing);
    gmw_file_signature(t.file, &same);
    assert_true(sig_same(&before, &same));
    /* Same size content, so only the inode tells the generations apart. */
    swap_generation(&t, "..2026_2", "generation two\n");
    gmw_file_signature(t.file, &after);
    assert_false(after.missing);
    assert_false(sig_same(&before, &after));
    remove_tree(&t);
}

static void test_signature_missing(void **state)
{
    (void)state;
    gmw_file_sig s;
    gmw_file_signature("/nonexistent/gmw/file", &s);
    assert_true(s.missing);
}

static atomic_int fired;

static void on_change(void *arg)
{
    (void)arg;
    atomic_fetch_add(&fired, 1);
}

/* Wait up to ms for fired to reach want. */
static bool wait_fired(int want, int ms)
{
    for (int i = 0; i < ms / 10; i++) {
        if (atomic_load(&fired) >= want)
            return true;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return atomic_load(&fired) >= want;
}

static void test_watcher_fires_on_swap_and_rewrite(void **state)
{
    (void)state;
    tree t;
    make_tree(&t);
    atomic_store(&fired, 0);
    /* Long poll interval: detection must come from inotify on the directory. */
    gmw_watch *w = NULL;
    assert_int_equal(gmw_watch_new(60000, 50, &w), 0);
    assert_non_null(w);
    const char *paths[1] = {t.file};
    assert_int_equal(gmw_watch_add(w, paths, 1, on_change, NULL), 0);
    assert_int_equal(gmw_watch_start(w), 0);
    struct timespec settle = {0, 200 * 1000 * 1000};
    nanosleep(&settle, NULL);
    assert_int_equal(atomic_load(&fired), 0); /* nothing changed yet */

    swap_generation(&t, "..2026_2", "generation two\n");
    assert_true(wait_fired(1, 5000));
    nanosleep(&settle, NULL);
    assert_int_equal(atomic_load(&fired), 1); /* once per change */

    /* Plain file replaced in place (not the Kubernetes way) is noticed as well. */
    char p[256];
    snprintf(p, sizeof p, "%s/..2026_2/tls.crt", t.root);
    write_text(p, "generation two, rewritten in place\n");
    assert_true(wait_fired(2, 5000));
    gmw_watch_free(w);
    remove_tree(&t);
}

static void test_watcher_polls_without_events(void **state)
{
    (void)state;
    /* A file outside the watched directory's events: its parent dir is a symlink target
     * we do not watch, so only polling can see the change. */
    tree t;
    make_tree(&t);
    atomic_store(&fired, 0);
    char link[128], real[300];
    snprintf(link, sizeof link, "/tmp/gmw-test-watch-link-%d", (int)getpid());
    unlink(link);
    assert_int_equal(symlink(t.root, link), 0);
    char via_link[200];
    snprintf(via_link, sizeof via_link, "%s/tls.crt", link);
    gmw_watch *w = NULL;
    assert_int_equal(gmw_watch_new(100, 20, &w), 0);
    const char *paths[1] = {via_link};
    assert_int_equal(gmw_watch_add(w, paths, 1, on_change, NULL), 0);
    assert_int_equal(gmw_watch_start(w), 0);
    snprintf(real, sizeof real, "%s/..2026_1/tls.crt", t.root);
    write_text(real, "changed by someone else, longer than before\n");
    assert_true(wait_fired(1, 5000));
    gmw_watch_free(w);
    unlink(link);
    remove_tree(&t);
}

static void test_add_limits(void **state)
{
    (void)state;
    gmw_watch *w = NULL;
    assert_int_equal(gmw_watch_new(1000, 0, &w), 0);
    const char *p[GMW_WATCH_MAX_FILES + 1] = {"/a", "/b", "/c", "/d", "/e"};
    assert_int_equal(gmw_watch_add(w, p, GMW_WATCH_MAX_FILES + 1, on_change, NULL), -E2BIG);
    assert_int_equal(gmw_watch_add(w, p, 0, on_change, NULL), -E2BIG);
    for (int i = 0; i < GMW_WATCH_MAX_GROUPS; i++)
        assert_int_equal(gmw_watch_add(w, p, 1, on_change, NULL), 0);
    assert_int_equal(gmw_watch_add(w, p, 1, on_change, NULL), -E2BIG);
    gmw_watch_free(w); /* never started */
    gmw_watch_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signature_follows_data_swap),
        cmocka_unit_test(test_signature_missing),
        cmocka_unit_test(test_watcher_fires_on_swap_and_rewrite),
        cmocka_unit_test(test_watcher_polls_without_events),
        cmocka_unit_test(test_add_limits),
    };
    return cmocka_run_group_tests_name("watch", tests, NULL, NULL);
}
