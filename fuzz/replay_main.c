/*
 * replay_main.c - a main() for the fuzz targets when they are built without libFuzzer (the
 * normal and the ASan+UBSan builds): runs LLVMFuzzerTestOneInput once per file, for every
 * file named on the command line and every regular file in the directories named there
 * (not recursive). This is how the seed corpora and every crash ever found (fuzz/regressions)
 * are replayed as ctest tests. Exit 0 when every input ran; a failed invariant aborts.
 */
#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_check.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

/* Read the whole file into a malloc'd buffer (at least 1 byte allocated). */
static int read_file(const char *path, uint8_t **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    size_t cap = 0, n = 0;
    if (f == NULL)
        return -errno;
    for (;;) {
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 4096;
            uint8_t *nbuf = realloc(buf, ncap);
            if (nbuf == NULL)
                goto fail;
            buf = nbuf;
            cap = ncap;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f))
        goto fail;
    (void)fclose(f); /* read-only stream: nothing to lose */
    *out = buf;
    *len = n;
    return 0;
fail:
    free(buf);
    (void)fclose(f);
    return -EIO;
}

static int run_file(const char *path, size_t *count)
{
    uint8_t *data = NULL;
    size_t len = 0;
    int rc = read_file(path, &data, &len);
    if (rc != 0) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(-rc));
        return rc;
    }
    /* An exact-size copy, so ASan sees reads past the end as libFuzzer would. */
    uint8_t *exact = malloc(len ? len : 1);
    if (exact == NULL) {
        free(data);
        return -ENOMEM;
    }
    if (len)
        memcpy(exact, data, len);
    free(data);
    LLVMFuzzerTestOneInput(exact, len);
    free(exact);
    (*count)++;
    return 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_dir(const char *dir, size_t *count)
{
    DIR *d = opendir(dir);
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    if (d == NULL) {
        fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
        return -errno;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            char **nn = realloc(names, ncap * sizeof(*nn));
            if (nn == NULL) {
                rc = -ENOMEM;
                goto done;
            }
            names = nn;
            cap = ncap;
        }
        size_t sz = strlen(dir) + strlen(e->d_name) + 2;
        names[n] = malloc(sz);
        if (names[n] == NULL) {
            rc = -ENOMEM;
            goto done;
        }
        snprintf(names[n], sz, "%s/%s", dir, e->d_name);
        n++;
    }
    if (n > 0)
        qsort(names, n, sizeof(*names), cmp_names);
    for (size_t i = 0; i < n && rc == 0; i++) {
        struct stat st;
        if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode))
            rc = run_file(names[i], count);
    }
done:
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    closedir(d);
    return rc;
}

int main(int argc, char **argv)
{
    size_t count = 0;
    if (LLVMFuzzerInitialize != NULL)
        LLVMFuzzerInitialize(&argc, &argv);
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
            return 1;
        }
        int rc = S_ISDIR(st.st_mode) ? run_dir(argv[i], &count) : run_file(argv[i], &count);
        if (rc != 0)
            return 1;
    }
    printf("replayed %zu inputs\n", count);
    return count > 0 ? 0 : 1;
}
