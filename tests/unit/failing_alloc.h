/*
 * failing_alloc.h - a jansson allocator that fails on purpose, for the out-of-memory
 * sweeps of the unit tests: run the code under test with a budget of 0, 1, 2, ...
 * successful allocations and check that every failure point is handled.
 *
 * Test-only; include after <jansson.h>. Allocations are plain malloc blocks, so memory
 * allocated while failing is freed normally after the allocator is restored.
 */
#ifndef GMW_TEST_FAILING_ALLOC_H
#define GMW_TEST_FAILING_ALLOC_H

#include <jansson.h>
#include <stdlib.h>

static long gmw_test_alloc_budget = -1;

static void *gmw_test_failing_malloc(size_t n)
{
    if (gmw_test_alloc_budget == 0)
        return NULL;
    if (gmw_test_alloc_budget > 0)
        gmw_test_alloc_budget--;
    return malloc(n);
}

/*
 * From now on the next `budget` jansson allocations succeed and every later one fails;
 * a negative budget restores the normal allocator.
 */
static inline void gmw_test_fail_allocs_after(long budget)
{
    gmw_test_alloc_budget = budget < 0 ? -1 : budget;
    json_set_alloc_funcs(budget < 0 ? malloc : gmw_test_failing_malloc, free);
}

#endif
