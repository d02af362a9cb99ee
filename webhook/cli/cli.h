/*
 * cli.h - the subcommands of the gomemlimit-webhook executable. Each takes the argv
 * after the subcommand name (argv[0] is the subcommand) and returns the process exit
 * code (0 success, 1 failure, 2 usage error; see each command's --help). They print their
 * own messages: the caller only exits with the result.
 */
#ifndef GMW_CLI_H
#define GMW_CLI_H

int gmw_cmd_mutate(int argc, char **argv); /* cli_mutate.c */
int gmw_cmd_serve(int argc, char **argv);  /* cli_serve.c */
int gmw_cmd_certs(int argc, char **argv);  /* cli_certs.c */

#endif
