# cli area: manifest I/O (YAML/JSON multi-document) and the mutate subcommand.
target_sources(gmw_shell PRIVATE
  webhook/cli_mutate.c)
