# engine area: policy decisions, patch building, AdmissionReview handling, tests.
target_sources(gmw_engine PRIVATE
  webhook/warnings.c
  webhook/base64.c
  webhook/annotations.c
  webhook/status.c
  webhook/engine.c
  webhook/review.c)

if(GMW_BUILD_TESTS)
  gmw_add_unit_test(test_engine_util tests/unit/test_engine_util.c gmw_engine)
  gmw_add_unit_test(test_annotations tests/unit/test_annotations.c gmw_engine)
  gmw_add_unit_test(test_engine tests/unit/test_engine.c gmw_engine)
  gmw_add_unit_test(test_review tests/unit/test_review.c gmw_engine)
  gmw_add_script_test(fixtures tests/integration/test_fixtures.py)
  # Every recorded review answered byte-for-byte as recorded (tests/golden/record.py).
  gmw_add_script_test(golden tests/golden/test_golden.py)
endif()
