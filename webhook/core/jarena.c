/*
 * jarena.c - per-thread bump allocator for jansson (see jarena.h).
 *
 * Each thread owns a list of chunks; the first is kept between scopes, later ones (a large
 * review) are returned to malloc at the end of the scope so a 3 MiB review does not keep
 * its memory. A pointer is an arena pointer when it lies inside one of the calling thread's
 * chunks; anything else goes to free(). The chunks of a thread are freed when it exits
 * (pthread key destructor).
 */
#include "jarena.h"

#include <pthread.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

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
    chunk *head; /* the current chunk (newest); its ->next are older ones */
    unsigned depth;
    void *last;        /* the most recent allocation in head, or NULL */
    size_t last_start; /* head->used before it */
} arena;

static _Thread_local arena tl;
static pthread_key_t exit_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

static void free_chunks(chunk *c, chunk *keep)
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
}

static void make_key(void)
{
    (void)pthread_key_create(&exit_key, on_thread_exit);
}

static chunk *new_chunk(size_t need)
{
    size_t cap = need > CHUNK_SIZE ? need : CHUNK_SIZE;
    chunk *c = malloc(sizeof(chunk) + cap);
    if (c == NULL)
        return NULL;
    c->cap = cap;
    c->used = 0;
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
    for (const chunk *c = tl.head; c != NULL; c = c->next)
        if (u >= (uintptr_t)c->data && u < (uintptr_t)c->data + c->cap)
            return true;
    return false;
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
    if (oldest != NULL) {
        oldest->used = 0;
        oldest->next = NULL;
    }
    tl.last = NULL;
}
