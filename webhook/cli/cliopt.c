/*
 * cliopt.c - option tables; see cliopt.h.
 */
#include "cliopt.h"

#include <errno.h>
#include <string.h>

int gmw_cliopt_init(gmw_cliopt_parser *p, const gmw_cliopt *table, size_t n)
{
    size_t nl = 0, ns = 0;
    memset(p, 0, sizeof *p);
    p->shortopts[ns++] = ':'; /* report a missing value as ':' */
    for (size_t i = 0; i < n; i++) {
        const gmw_cliopt *o = &table[i];
        if (o->name == NULL)
            continue;
        if (nl == GMW_CLIOPT_MAX || o->id == ':' || o->id == '?' || o->id <= 0)
            return -EINVAL;
        p->longopts[nl++] =
            (struct option){o->name, o->arg != NULL ? required_argument : no_argument, NULL, o->id};
        if (o->short_name != 0) {
            p->shortopts[ns++] = (char)o->short_name;
            if (o->arg != NULL)
                p->shortopts[ns++] = ':';
        }
    }
    optind = 0; /* not 1: glibc and musl then also reset their internal state */
    opterr = 0;
    return 0;
}

int gmw_cliopt_next(gmw_cliopt_parser *p, int argc, char **argv)
{
    return getopt_long(argc, argv, p->shortopts, p->longopts, NULL);
}

void gmw_cliopt_help(FILE *out, const gmw_cliopt *table, size_t n, int column)
{
    for (size_t i = 0; i < n; i++) {
        const gmw_cliopt *o = &table[i];
        if (o->name == NULL) {
            fprintf(out, "%s\n", o->help);
            continue;
        }
        int w;
        if (o->short_name != 0)
            w = fprintf(out, "  -%c, --%s", o->short_name, o->name);
        else
            w = fprintf(out, "      --%s", o->name);
        if (o->arg != NULL)
            w += fprintf(out, " %s", o->arg);
        w = w + 2 > column ? 2 : column - w;
        for (const char *line = o->help; line != NULL;) {
            const char *nl = strchr(line, '\n');
            int len = nl != NULL ? (int)(nl - line) : (int)strlen(line);
            fprintf(out, "%*s%.*s\n", w, "", len, line);
            w = column;
            line = nl != NULL ? nl + 1 : NULL;
        }
    }
}
