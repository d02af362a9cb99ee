/*
 * fuzz_jsonload.c - libFuzzer target: gmw_json_loadb (the hot-path scanner with jansson as
 * the fallback) against jansson's json_loadb on arbitrary bytes, and gmw_json_write against
 * json_dumps on every tree jansson builds. Any difference in verdict, tree, error or text aborts
 * (tests/unit/core/jsonload_diff.h). Built and run with the others by fuzz/run.sh (GMW_FUZZ=ON,
 * clang): fuzz/run.sh 60 jsonload. Replayed over fuzz/seeds/jsonload by ctest fuzz_replay_jsonload.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "jsonload_diff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *why = gmw_jsonload_diff((const char *)data, size);
    if (why != NULL) {
        fprintf(stderr, "fuzz_jsonload: %s\n", why);
        abort();
    }
    return 0;
}
