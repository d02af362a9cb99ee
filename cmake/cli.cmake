# cli area: manifest I/O (YAML/JSON multi-document), workloads, the mutate subcommand.

# YAML/JSON document streams <-> jansson trees: pure, only jansson and libyaml.
add_library(gmw_manifest STATIC webhook/manifest.c)
target_include_directories(gmw_manifest PUBLIC ${CMAKE_SOURCE_DIR}/webhook)
target_link_libraries(gmw_manifest PUBLIC PkgConfig::JANSSON PkgConfig::YAML m)

# A Pod or a workload's pod template through the engine (pure).
add_library(gmw_workload STATIC webhook/workload.c)
target_link_libraries(gmw_workload PUBLIC gmw_engine)

target_sources(gmw_shell PRIVATE
  webhook/cli_mutate.c)
target_link_libraries(gmw_shell PUBLIC gmw_manifest gmw_workload)

if(GMW_BUILD_TESTS)
  gmw_add_unit_test(test_manifest tests/unit/test_manifest.c gmw_manifest)
  gmw_add_unit_test(test_workload tests/unit/test_workload.c gmw_workload)
  gmw_add_script_test(cli tests/integration/test_cli.py)
endif()
