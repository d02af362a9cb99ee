# lint: static analysis of the C sources as tests (scripts/lint.sh; .clang-tidy at the root).
#
#   lint_cppcheck     cppcheck --enable=warning,performance,portability over webhook/ and tests/
#   lint_clang_tidy   clang-tidy with the root .clang-tidy over the same files, using this
#                     build's compile_commands.json
#
# Both fail on any finding, and fail with a clear message when the tool is not installed.
# Label nosan: how the C code is compiled does not change what they read.

if(GMW_BUILD_TESTS)
  foreach(tool cppcheck clang-tidy)
    string(REPLACE "-" "_" name "lint_${tool}")
    add_test(NAME ${name} COMMAND scripts/lint.sh ${CMAKE_BINARY_DIR} ${tool}
             WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
    set_tests_properties(${name} PROPERTIES LABELS "lint;nosan" TIMEOUT 600)
  endforeach()
endif()
