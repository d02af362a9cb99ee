# core area: quantity, memlimit, config, jsonpatch (pure leaf modules) and their unit tests.
target_sources(gmw_core PRIVATE
  webhook/quantity.c
  webhook/memlimit.c
  webhook/config.c
  webhook/jsonpatch.c)

if(GMW_BUILD_TESTS)
  gmw_add_unit_test(test_quantity tests/unit/test_quantity.c gmw_core)
  gmw_add_unit_test(test_memlimit tests/unit/test_memlimit.c gmw_core)
endif()
