# shim area: the static libc-only runtime shim, its delivery patch ops, and their tests.
#
#   build/gomemlimit-shim        musl-gcc -static -Os, stripped (target gmw_shim, in ALL)
#   build/gomemlimit-shim-host   the same sources with the host compiler and the project's
#                                flags (so under GMW_SANITIZE it runs with ASan+UBSan); the
#                                exec tests run against both
#   gmw_shim_cgroup              cgroup.c for the cmocka tests on fake trees
#
# The shim links the webhook's libc-only memlimit.c and quantity.c (ratio, GOMEMLIMIT/GOGC
# and quantity grammars, the GOMEMLIMIT arithmetic): one implementation for both.

set(GMW_SHIM_SOURCES
    ${CMAKE_SOURCE_DIR}/webhook/shim/shim.c ${CMAKE_SOURCE_DIR}/webhook/shim/cgroup.c
    ${CMAKE_SOURCE_DIR}/webhook/memlimit.c ${CMAKE_SOURCE_DIR}/webhook/quantity.c)
set(GMW_SHIM_HEADERS ${CMAKE_SOURCE_DIR}/webhook/shim/cgroup.h
    ${CMAKE_SOURCE_DIR}/webhook/memlimit.h ${CMAKE_SOURCE_DIR}/webhook/quantity.h)

# Delivery: pure patch building on jansson, next to the other core patch code.
target_sources(gmw_core PRIVATE webhook/shim_delivery.c)

if(GMW_BUILD_SHIM)
  find_program(GMW_MUSL_GCC musl-gcc)
  if(NOT GMW_MUSL_GCC)
    message(FATAL_ERROR "musl-gcc not found: install Debian musl-tools (scripts/install-deps.sh) "
                        "or configure with -DGMW_BUILD_SHIM=OFF")
  endif()
  find_program(GMW_STRIP NAMES strip REQUIRED)
  set(GMW_SHIM ${CMAKE_BINARY_DIR}/gomemlimit-shim)
  # -z noseparate-code and no unwind tables keep the static binary well under 64 KiB.
  add_custom_command(
    OUTPUT ${GMW_SHIM}
    COMMAND ${GMW_MUSL_GCC} -std=c17 -D_GNU_SOURCE -DGMW_VERSION="${PROJECT_VERSION}"
            ${GMW_WARNINGS} -static -Os -fstack-protector-strong
            -fno-asynchronous-unwind-tables -fno-unwind-tables
            -ffunction-sections -fdata-sections -Wl,--gc-sections -Wl,--build-id=none
            -Wl,-z,noseparate-code -I${CMAKE_SOURCE_DIR}/webhook -s -o ${GMW_SHIM}
            ${GMW_SHIM_SOURCES}
    COMMAND ${GMW_STRIP} --strip-all -R .comment ${GMW_SHIM}
    DEPENDS ${GMW_SHIM_SOURCES} ${GMW_SHIM_HEADERS}
    COMMENT "Building static gomemlimit-shim (musl)"
    VERBATIM)
  add_custom_target(gmw_shim ALL DEPENDS ${GMW_SHIM})
endif()

if(GMW_BUILD_TESTS)
  add_executable(gomemlimit-shim-host ${GMW_SHIM_SOURCES})
  target_include_directories(gomemlimit-shim-host PRIVATE ${CMAKE_SOURCE_DIR}/webhook/shim
                                                          ${CMAKE_SOURCE_DIR}/webhook)
  add_library(gmw_shim_cgroup STATIC webhook/shim/cgroup.c)
  target_include_directories(gmw_shim_cgroup PUBLIC ${CMAKE_SOURCE_DIR}/webhook/shim)

  gmw_add_unit_test(test_cgroup tests/unit/test_cgroup.c gmw_shim_cgroup)
  gmw_add_unit_test(test_shim_delivery tests/unit/test_shim_delivery.c gmw_core)

  # Prints the delivery patch for a Pod on stdin (for the independent applier test).
  add_executable(gmw_shim_delivery_driver tests/shim/delivery_driver.c)
  target_link_libraries(gmw_shim_delivery_driver PRIVATE gmw_core)

  set(GMW_PY /usr/bin/python3)
  # Exec semantics, decisions on fake trees, --print, --install: the host build (sanitized
  # in the ASan pass) and, when built, the static one.
  gmw_add_script_test(test_shim_exec_host ${GMW_PY} tests/integration/test_shim_exec.py
                      $<TARGET_FILE:gomemlimit-shim-host>)
  gmw_add_script_test(test_shim_delivery_patches ${GMW_PY}
                      tests/integration/test_shim_delivery.py
                      $<TARGET_FILE:gmw_shim_delivery_driver>)
  if(GMW_BUILD_SHIM)
    gmw_add_script_test(test_shim_exec_static ${GMW_PY} tests/integration/test_shim_exec.py
                        ${GMW_SHIM})
    # Webhook (mutate --review) -> python3-jsonpatch -> installer + wrapped command run.
    gmw_add_script_test(test_shim_webhook_e2e ${GMW_PY} tests/integration/test_shim_webhook_e2e.py
                        ${GMW_SHIM})
    gmw_add_script_test(test_shim_static_binary ${GMW_PY}
                        tests/integration/test_shim_static_binary.py ${GMW_SHIM})
    # Real Go program in a real memory cgroup: OOM-killed without the shim, alive with it.
    # Exit 77 = skipped (cgroups not writable here), with the reason printed.
    gmw_add_script_test(test_shim_real_cgroup tests/integration/test_shim_real_cgroup.sh
                        ${GMW_SHIM})
    set_tests_properties(test_shim_static_binary test_shim_exec_static test_shim_real_cgroup
                         PROPERTIES LABELS "integration;nosan")
    set_tests_properties(test_shim_real_cgroup PROPERTIES LABELS "integration;nosan;slow"
                         SKIP_RETURN_CODE 77 TIMEOUT 600 RUN_SERIAL TRUE)
  endif()
endif()
