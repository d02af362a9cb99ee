/*
 * test_jarena.c - the per-thread jansson arena: scoped allocations come from one reused
 * chunk, everything outside a scope is plain malloc/free, scopes nest, large trees and
 * threads clean up (the ASan pass checks the frees and leaks).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "jarena.h"

static int setup(void **state)
{
    (void)state;
    gmw_jarena_install();
    return 0;
}

/* A scope's first allocation lands where the previous scope's did: the chunk is reused. */
static void test_scope_reuses_memory(void **state)
{
    (void)state;
    gmw_jarena_begin();
    json_t *a = json_pack("{s:s,s:[i,i]}", "k", "v", "l", 1, 2);
    assert_non_null(a);
    void *first = gmw_jarena_malloc(32);
    json_decref(a);
    gmw_jarena_end();

    gmw_jarena_begin();
    json_t *b = json_pack("{s:s,s:[i,i]}", "k", "v", "l", 1, 2);
    void *again = gmw_jarena_malloc(32);
    assert_ptr_equal(first, again);
    assert_int_equal(((uintptr_t)again) % 16, 0);
    json_decref(b);
    gmw_jarena_end();
}

/* Outside a scope the allocator is malloc: free() takes its memory, and jansson values
 * made before a scope can be released inside one. */
static void test_outside_scope_is_malloc(void **state)
{
    (void)state;
    char *p = gmw_jarena_malloc(100);
    assert_non_null(p);
    memset(p, 'x', 100);
    free(p);
    json_t *keep = json_string("made outside");
    gmw_jarena_begin();
    json_t *inner = json_array();
    json_array_append_new(inner, json_string("inside"));
    json_decref(keep); /* heap memory freed inside a scope */
    json_decref(inner);
    gmw_jarena_end();
    gmw_jarena_free(NULL);
}

/* Nested scopes release only at the outermost end. */
static void test_nesting(void **state)
{
    (void)state;
    gmw_jarena_begin();
    json_t *outer = json_string("outer");
    gmw_jarena_begin();
    json_t *inner = json_string("inner");
    gmw_jarena_end();
    assert_string_equal(json_string_value(outer), "outer"); /* still valid */
    assert_string_equal(json_string_value(inner), "inner");
    json_decref(inner);
    json_decref(outer);
    gmw_jarena_end();
    gmw_jarena_end(); /* unbalanced end: ignored */
}

/* A tree far larger than a chunk, and one allocation larger than a chunk. */
static void test_large(void **state)
{
    (void)state;
    gmw_jarena_begin();
    json_t *arr = json_array();
    for (int i = 0; i < 20000; i++)
        assert_int_equal(json_array_append_new(arr, json_pack("{s:i}", "n", i)), 0);
    char *big = gmw_jarena_malloc(1 << 20);
    assert_non_null(big);
    memset(big, 1, 1 << 20);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(arr, 19999), "n")), 19999);
    json_decref(arr);
    gmw_jarena_end();
}

/* Many chunks: heap pointers made before the scope and arena pointers from every chunk are
 * told apart (ASan: a heap pointer taken for arena memory leaks, the reverse is an invalid
 * free), in any order. */
static void test_many_chunks_classified(void **state)
{
    (void)state;
    enum { HEAP = 64, ARENA = 4000 };
    json_t *heap[HEAP];
    for (int i = 0; i < HEAP; i++)
        heap[i] = json_pack("{s:i,s:s}", "i", i, "pad", "some heap padding between chunks");
    gmw_jarena_begin();
    json_t *arena[ARENA];
    for (int i = 0; i < ARENA; i++) {
        arena[i] = json_pack("{s:i,s:[s,s,s]}", "i", i, "l", "a", "b", "c");
        assert_non_null(arena[i]);
        if (i % 97 == 0 && i / 97 < HEAP) { /* interleave frees of heap values */
            json_decref(heap[i / 97]);
            heap[i / 97] = NULL;
        }
    }
    for (int i = ARENA - 1; i >= 0; i -= 2) /* newest first, then the rest oldest first */
        json_decref(arena[i]);
    for (int i = 0; i < ARENA; i += 2)
        json_decref(arena[i]);
    for (int i = 0; i < HEAP; i++)
        json_decref(heap[i]);
    gmw_jarena_end();
}

static void *thread_body(void *arg)
{
    (void)arg;
    for (int round = 0; round < 3; round++) {
        gmw_jarena_begin();
        json_t *t = json_pack("{s:[s,s]}", "a", "b", "c");
        char *s = json_dumps(t, JSON_COMPACT);
        if (s == NULL || strcmp(s, "{\"a\":[\"b\",\"c\"]}") != 0)
            return (void *)1;
        gmw_jarena_free(s); /* json_dumps inside a scope: arena memory, freed by the arena */
        json_decref(t);
        gmw_jarena_end();
    }
    return NULL;
}

/* Threads have their own arenas, freed when they exit (LeakSanitizer in the ASan pass). */
static void test_threads(void **state)
{
    (void)state;
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&th[i], NULL, thread_body, NULL), 0);
    for (int i = 0; i < 4; i++) {
        void *ret = (void *)2;
        assert_int_equal(pthread_join(th[i], &ret), 0);
        assert_null(ret);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scope_reuses_memory),
        cmocka_unit_test(test_outside_scope_is_malloc),
        cmocka_unit_test(test_nesting),
        cmocka_unit_test(test_large),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_many_chunks_classified),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
