# deploy area: Helm chart, plain manifests (deploy/), certificate script (certs/), Dockerfile.
# Tools come from scripts/install-tools.sh (.tools/: helm, kubectl, kubernetes-models).
# None of these depend on how the C code is compiled: all are "nosan".
if(GMW_BUILD_TESTS)
  # Chart: lint, render matrix, validation, assertions, schema, deploy/ sync, README.
  gmw_add_script_test(test_deploy_chart tests/deploy/test-chart.sh)
  # certs/gen-certs.sh with `gomemlimit-webhook certs`, and the server serving the pair.
  gmw_add_script_test(test_deploy_certs tests/deploy/test-certs.sh)
  # Dockerfile: COPY'd files are built, ldd vs final-stage packages, static shim.
  gmw_add_script_test(test_deploy_dockerfile tests/deploy/test-dockerfile.sh)
  set_tests_properties(test_deploy_chart test_deploy_certs test_deploy_dockerfile
                       PROPERTIES LABELS "integration;nosan" TIMEOUT 600)
  # The real image: podman build of the Dockerfile and runs under a 256 MiB memory limit.
  # Slow (minutes; the base image and layers are cached under /tmp/oci-build).
  gmw_add_script_test(test_deploy_image tests/deploy/test-image.sh)
  set_tests_properties(test_deploy_image PROPERTIES LABELS "integration;nosan;image"
                       TIMEOUT 2400 RUN_SERIAL TRUE)
endif()
