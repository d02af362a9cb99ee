# core area: quantity, memlimit, config, jsonpatch (pure leaf modules) and their unit tests.
target_sources(gmw_core PRIVATE
  webhook/quantity.c
  webhook/memlimit.c
  webhook/config.c
  webhook/duration.c
  webhook/listen.c
  webhook/imageref.c
  webhook/k8sname.c
  webhook/jsonpatch.c)

if(GMW_BUILD_TESTS)
  gmw_add_unit_test(test_quantity tests/unit/test_quantity.c gmw_core)
  gmw_add_unit_test(test_memlimit tests/unit/test_memlimit.c gmw_core)
  gmw_add_unit_test(test_jsonpatch tests/unit/test_jsonpatch.c gmw_core)
  # The same applier cases, checked against python3-jsonpatch (independent oracle).
  add_test(NAME test_jsonpatch_oracle COMMAND test_jsonpatch --oracle)
  set_tests_properties(test_jsonpatch_oracle PROPERTIES LABELS unit)
  gmw_add_unit_test(test_config tests/unit/test_config.c gmw_core)
  gmw_add_unit_test(test_duration tests/unit/test_duration.c gmw_core)
  gmw_add_unit_test(test_imageref tests/unit/test_imageref.c gmw_core)
  gmw_add_unit_test(test_k8sname tests/unit/test_k8sname.c gmw_core)
  target_compile_definitions(test_config PRIVATE
    GMW_TEST_CONFIG_DIR="${CMAKE_SOURCE_DIR}/tests/unit/config")
endif()
