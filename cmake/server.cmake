# server area: TLS server, certificates (OpenSSL), metrics, logging; serve and certs subcommands.
target_sources(gmw_shell PRIVATE
  webhook/cli_serve.c
  webhook/cli_certs.c
  webhook/server.c
  webhook/tlsstore.c
  webhook/certs.c
  webhook/watch.c
  webhook/metrics.c
  webhook/log.c
  webhook/dynbuf.c)

if(GMW_BUILD_TESTS)
  gmw_add_unit_test(test_dynbuf tests/unit/test_dynbuf.c gmw_shell)
  gmw_add_unit_test(test_log tests/unit/test_log.c gmw_shell)
  gmw_add_unit_test(test_metrics tests/unit/test_metrics.c gmw_shell)
  gmw_add_unit_test(test_certs tests/unit/test_certs.c gmw_shell)
  gmw_add_unit_test(test_watch tests/unit/test_watch.c gmw_shell)
  gmw_add_unit_test(test_server_units tests/unit/test_server_units.c gmw_shell)
  gmw_add_unit_test(test_tlsstore tests/unit/test_tlsstore.c gmw_shell)
endif()

if(GMW_BUILD_TESTS)
  # Integration: the real binary over real TLS with curl, openssl, gnutls-cli and Python's
  # ssl module (Debian's /usr/bin/python3 for prometheus_client and jsonpatch).
  foreach(t routes body reload shutdown timeout)
    gmw_add_script_test(server_${t} /usr/bin/python3 tests/integration/test_server_${t}.py)
  endforeach()
  gmw_add_script_test(certs_cli /usr/bin/python3 tests/integration/test_certs_cli.py)
  set_tests_properties(server_routes server_body server_reload server_shutdown server_timeout certs_cli
                       PROPERTIES TIMEOUT 300)
endif()
