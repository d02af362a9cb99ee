/*
 * cliopt.h - one option table per subcommand: the getopt_long parser and the
 * "Options:" section of --help are both made from it, so they cannot drift apart
 * (the h2o/curl pattern).
 *
 * A table is an array of gmw_cliopt rows in help order. A row with a name is an option;
 * a row with only `help` is a heading printed as is (e.g. a blank line and "Check mode:").
 */
#ifndef GMW_CLIOPT_H
#define GMW_CLIOPT_H

#include <getopt.h>
#include <stddef.h>
#include <stdio.h>

#include "compiler.h"

#define GMW_CLIOPT_MAX 32 /* options per table */

typedef struct {
    int short_name;   /* 'c' for -c, or 0 */
    int id;           /* what gmw_cliopt_next returns: short_name, or an id >= 256 */
    const char *name; /* long name without "--"; NULL for a heading row */
    const char *arg;  /* value placeholder ("FILE"), NULL for a flag without a value */
    const char *help; /* description; '\n' continues on the next line at the help column */
} gmw_cliopt;

/* getopt_long's view of one table (built by gmw_cliopt_init; no heap). */
typedef struct {
    struct option longopts[GMW_CLIOPT_MAX + 1];
    char shortopts[2 * GMW_CLIOPT_MAX + 2];
} gmw_cliopt_parser;

/*
 * Build the parser for table[0..n) and reset getopt fully (optind = 0, opterr = 0), so a
 * process may parse more than one argv. Returns 0,
 * or -EINVAL when the table has more than GMW_CLIOPT_MAX options or an id collides with
 * ':' or '?' (a programming error).
 */
GMW_MUST_CHECK int gmw_cliopt_init(gmw_cliopt_parser *p, const gmw_cliopt *table, size_t n);

/*
 * The next option of argv: its id (optarg holds the value, if any), -1 at the end of the
 * options (optind indexes the first operand), ':' when an option misses its value and
 * '?' for an unknown option (the option is argv[optind - 1] in both cases).
 */
int gmw_cliopt_next(gmw_cliopt_parser *p, int argc, char **argv);

/*
 * Print the table as help: "  -c, --config FILE" (or "      --listen ADDR"), padded to
 * `column` (at least two spaces), then the help text; continuation lines are indented
 * to `column`. Heading rows are printed followed by a newline.
 */
void gmw_cliopt_help(FILE *out, const gmw_cliopt *table, size_t n, int column);

#endif
