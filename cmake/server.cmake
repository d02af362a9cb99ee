# server area: TLS server, certificates (OpenSSL), metrics, logging; serve and certs subcommands.
target_sources(gmw_shell PRIVATE
  webhook/cli_serve.c
  webhook/cli_certs.c)
