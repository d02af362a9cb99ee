/*
 * jarena.c - per-thread bump allocator for jansson (see jarena.h).
 *
 * Each thread owns a list of 64 KiB chunks (a larger one for a larger allocation); the first is
 * kept between scopes, the others (a large review) are returned to malloc at the end of the
 * scope so a multi-MiB review does not keep its memory. A pointer is an arena pointer when it
 * lies inside one of the calling thread's chunks, which a sorted index of the chunks' address
 * ranges answers in O(log chunks) (a list walk made freeing a partly built 8 MiB tree
 * quadratic); anything else goes to free(). A thread's chunks and index are freed when it
 * exits (pthread key destructor).
 */
#include "jarena.h"

#include <pthread.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#define CHUNK_SIZE (64 * 1024)
#define ALIGN 16

typedef struct chunk {
    struct chunk *next;
    size_t cap;  /* usable bytes after the header */
    size_t used; /* bytes handed out */
    alignas(ALIGN) unsigned char data[];
} chunk;

typedef struct {
    uintptr_t lo, hi; /* [lo, hi): a chunk's data */
} range;

typedef struct {
    chunk *head; /* the current chunk (newest); its ->next are older ones */
    unsigned depth;
    void *last;        /* the most recent allocation in head, or NULL */
    size_t last_start; /* head->used before it */
    range *index;      /* every chunk's data range, sorted by address */
    size_t n, cap;     /* entries in use / allocated in index */
} arena;

static _Thread_local arena tl;
static pthread_key_t exit_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

static void free_chunks(chunk *c, const chunk *keep)
{
    while (c != NULL && c != keep) {
        chunk *next = c->next;
        free(c);
        c = next;
    }
}

static void on_thread_exit(void *p)
{
    (void)p;
    free_chunks(tl.head, NULL);
    tl.head = NULL;
    free(tl.index);
    tl.index = NULL;
    tl.n = tl.cap = 0;
}

static void make_key(void)
{
    (void)pthread_key_create(&exit_key, on_thread_exit);
}

/* Index of the first range with lo > u (binary search). */
static size_t upper_bound(uintptr_t u)
{
    size_t a = 0, b = tl.n;
    while (a < b) {
        size_t m = a + (b - a) / 2;
        if (tl.index[m].lo <= u)
            a = m + 1;
        else
            b = m;
    }
    return a;
}

static bool index_add(const chunk *c)
{
    if (tl.n == tl.cap) {
        size_t cap = tl.cap ? tl.cap * 2 : 16;
        range *r = realloc(tl.index, cap * sizeof *r);
        if (r == NULL)
            return false;
        tl.index = r;
        tl.cap = cap;
    }
    range add = {(uintptr_t)c->data, (uintptr_t)c->data + c->cap};
    size_t at = upper_bound(add.lo);
    memmove(tl.index + at + 1, tl.index + at, (tl.n - at) * sizeof *tl.index);
    tl.index[at] = add;
    tl.n++;
    return true;
}

static chunk *new_chunk(size_t need)
{
    size_t cap = need > CHUNK_SIZE ? need : CHUNK_SIZE;
    chunk *c = malloc(sizeof(chunk) + cap);
    if (c == NULL)
        return NULL;
    c->cap = cap;
    c->used = 0;
    if (!index_add(c)) {
        free(c);
        return NULL;
    }
    c->next = tl.head;
    if (tl.head == NULL) { /* first chunk of this thread: free it when the thread exits */
        (void)pthread_once(&key_once, make_key);
        (void)pthread_setspecific(exit_key, (void *)1);
    }
    tl.head = c;
    tl.last = NULL;
    return c;
}

void *gmw_jarena_malloc(size_t size)
{
    if (tl.depth == 0)
        return malloc(size);
    size_t need = (size + (ALIGN - 1)) & ~(size_t)(ALIGN - 1);
    if (need < size) /* overflow */
        return NULL;
    chunk *c = tl.head;
    if (c == NULL || c->cap - c->used < need) {
        c = new_chunk(need);
        if (c == NULL)
            return NULL;
    }
    void *p = c->data + c->used;
    tl.last = p;
    tl.last_start = c->used;
    c->used += need;
    return p;
}

static bool in_arena(const void *p)
{
    uintptr_t u = (uintptr_t)p;
    const chunk *h = tl.head;
    if (h != NULL && u >= (uintptr_t)h->data && u < (uintptr_t)h->data + h->cap)
        return true; /* the common case: the newest chunk */
    size_t i = upper_bound(u);
    return i > 0 && u < tl.index[i - 1].hi;
}

void gmw_jarena_free(void *ptr)
{
    if (ptr == NULL)
        return;
    if (tl.head == NULL || !in_arena(ptr)) {
        free(ptr);
        return;
    }
    if (ptr == tl.last) { /* give the newest allocation back (string buffers that grow) */
        tl.head->used = tl.last_start;
        tl.last = NULL;
    }
}

void gmw_jarena_install(void)
{
    json_set_alloc_funcs(gmw_jarena_malloc, gmw_jarena_free);
}

bool gmw_jarena_active(void)
{
    json_malloc_t m = NULL;
    json_free_t f = NULL;
    if (tl.depth == 0)
        return false;
    json_get_alloc_funcs(&m, &f);
    return m == gmw_jarena_malloc && f == gmw_jarena_free;
}

void gmw_jarena_begin(void)
{
    tl.depth++;
}

void gmw_jarena_end(void)
{
    if (tl.depth == 0 || --tl.depth > 0)
        return;
    /* keep the oldest chunk (the standard size) for the next scope, free the rest */
    chunk *oldest = tl.head;
    while (oldest != NULL && oldest->next != NULL)
        oldest = oldest->next;
    if (oldest != NULL && oldest->cap != CHUNK_SIZE)
        oldest = NULL;
    free_chunks(tl.head, oldest);
    tl.head = oldest;
    tl.n = 0;
    if (oldest != NULL) {
        oldest->used = 0;
        oldest->next = NULL;
        tl.index[0] = (range){(uintptr_t)oldest->data, (uintptr_t)oldest->data + oldest->cap};
        tl.n = 1;
    }
    tl.last = NULL;
}
