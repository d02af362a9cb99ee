/*
 * main.c - the gomemlimit-webhook executable: dispatches to a subcommand.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "jarena.h"

static void usage(FILE *out)
{
    fputs("Usage: gomemlimit-webhook <command> [options]\n"
          "\n"
          "Kubernetes mutating admission webhook that sets GOMEMLIMIT and GOGC for Go\n"
          "containers from their memory limit.\n"
          "\n"
          "Commands:\n"
          "  mutate    mutate Pod/workload manifests or an AdmissionReview (offline)\n"
          "  serve     run the TLS admission webhook server\n"
          "  certs     generate a CA and a serving certificate for the webhook Service\n"
          "  version   print the version\n"
          "  help      print this help\n"
          "\n"
          "Run 'gomemlimit-webhook <command> --help' for a command's options.\n",
          out);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    gmw_jarena_install(); /* jansson allocates per admission from a thread arena (jarena.h) */
    const char *cmd = argv[1];
    if (strcmp(cmd, "mutate") == 0)
        return gmw_cmd_mutate(argc - 1, argv + 1);
    if (strcmp(cmd, "serve") == 0)
        return gmw_cmd_serve(argc - 1, argv + 1);
    if (strcmp(cmd, "certs") == 0)
        return gmw_cmd_certs(argc - 1, argv + 1);
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("gomemlimit-webhook %s\n", GMW_VERSION);
        return 0;
    }
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "gomemlimit-webhook: unknown command '%s'\n", cmd);
    usage(stderr);
    return 2;
}
