# engine area: policy decisions, patch building, AdmissionReview handling, tests.
target_sources(gmw_engine PRIVATE
  webhook/engine.c
  webhook/review.c)
