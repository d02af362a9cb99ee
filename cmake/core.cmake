# core area: quantity, memlimit, config, jsonpatch (pure leaf modules) and their unit tests.
target_sources(gmw_core PRIVATE
  webhook/quantity.c
  webhook/memlimit.c
  webhook/config.c
  webhook/jsonpatch.c)
