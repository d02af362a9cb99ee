/*
 * shim.c - gomemlimit-shim: a static, libc-only entrypoint wrapper that sets GOMEMLIMIT
 * (and GOGC) for a Go program from the memory cgroup it really runs in, then exec()s it.
 *
 *   gomemlimit-shim [--ratio R] [--gogc N|off] [--min-limit Q] [--malformed M] [--force] [--quiet]
 *                   -- CMD [ARGS...]
 *   gomemlimit-shim --print [OPTIONS] [-- CMD [ARGS...]]   (a dry run: prints, execs nothing)
 *   gomemlimit-shim --install DIR
 *
 * Shape of tini / s6-softlimit: parse options, change the environment, exec with execvp
 * semantics (see exec_path; no fork, so the Go program keeps the PID and receives signals
 * directly). The shim must never be the reason a container does not start: when the cgroup
 * cannot be read it says so in one line and still execs. Exit codes of its own: 2 usage,
 * 126 not executable, 127 not found, 1 --install failed or (--malformed deny) a GOMEMLIMIT
 * the Go runtime would abort on. See docs/shim.md.
 *
 * The ratio, quantity and GOMEMLIMIT/GOGC grammars and the arithmetic are the webhook's
 * own (memlimit.c, quantity.c: libc only), linked into the shim, so both agree exactly.
 *
 * GOMEMLIMIT_SHIM_ROOT (test only) is prepended to the /proc and /sys paths read.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup.h"
#include "memlimit.h"
#include "quantity.h"

#ifndef GMW_VERSION
#define GMW_VERSION "dev"
#endif

#define PROG "gomemlimit-shim"
#define MSG_MAX 600

typedef enum { MAL_REPAIR = 0, MAL_KEEP, MAL_DENY } malformed_mode;

typedef struct {
    uint32_t ratio_e4;        /* (0, 10000], default 9000 */
    malformed_mode malformed; /* a GOMEMLIMIT Go rejects: like the webhook's malformedGOMEMLIMIT */
    const char *gogc;         /* default "100" */
    int64_t min_limit;        /* bytes, default 16Mi */
    bool force, print, quiet;
    const char *install_dir;
    int cmd_index; /* argv index of CMD, 0 when none */
} options;

/* What the shim does to one variable. */
typedef enum {
    ACTION_NONE = 0, /* nothing to derive a value from: left as it is */
    ACTION_SET,      /* unset or empty: set */
    ACTION_KEEP,     /* the value found stays */
    ACTION_REPLACE,  /* the value found is replaced */
    ACTION_REPAIR,   /* a Kubernetes quantity rewritten in Go's grammar (same bytes) */
    ACTION_UNSET,    /* malformed for Go and nothing to compute: removed */
    ACTION_DENY,     /* --malformed deny: the command is not run */
} action;

/* The action as --print writes it. */
static const char *action_name(action a)
{
    static const char *const names[] = {"none",   "set",   "keep", "replace",
                                        "repair", "unset", "deny"};
    return (size_t)a < sizeof names / sizeof names[0] ? names[a] : "none";
}

/* Does the action write the variable? */
static bool action_writes(action a)
{
    return a == ACTION_SET || a == ACTION_REPLACE || a == ACTION_REPAIR;
}

typedef struct {
    action action;
    char value[64];           /* the value it ends up with ("" when unset) */
    const char *current;      /* value found in the environment, NULL when unset */
    char note[MSG_MAX];       /* one-line explanation for stderr, "" when nothing to say */
    char reason[2 * MSG_MAX]; /* why this action, always set (--print) */
} decision;

static void usage(FILE *out)
{
    fputs("Usage: " PROG " [OPTIONS] -- CMD [ARGS...]\n"
          "       " PROG " --print [OPTIONS]\n"
          "       " PROG " --install DIR\n"
          "\n"
          "Set GOMEMLIMIT (and GOGC) from the container's memory cgroup limit, then exec CMD.\n"
          "\n"
          "  --ratio R       GOMEMLIMIT = floor(limit x R) in whole MiB; R in (0, 1], at most\n"
          "                  4 decimals (default 0.9)\n"
          "  --gogc N|off    GOGC to set when it is unset: 1..100000 or off (default 100)\n"
          "  --min-limit Q   leave GOMEMLIMIT alone below this limit (default 16Mi); a\n"
          "                  Kubernetes quantity of bytes: 16Mi, 1.5Gi, 1G, 1e9, 268435456\n"
          "  --malformed M   a GOMEMLIMIT the Go runtime rejects (it would abort at start):\n"
          "                  repair (default: a Kubernetes quantity such as 512Mi becomes the\n"
          "                  same bytes in Go's grammar, 512MiB; anything else is replaced by\n"
          "                  the computed value, or unset when there is none), keep, or deny\n"
          "                  (exit 1 without running CMD, saying what to write instead)\n"
          "  --force         always set the computed GOMEMLIMIT, even over a valid one\n"
          "  --print         print the decision, with the reason for each action, as one\n"
          "                  JSON object and exit 0; with -- CMD [ARGS...] also the command\n"
          "                  it would exec (a dry run: nothing is executed)\n"

          "  --quiet         print no notes (errors that stop the shim are still printed)\n"
          "  --install DIR   copy this binary to DIR/" PROG " (mode 0555) and exit\n"
          "  --help, --version\n"
          "\n"
          "Exit status: CMD's, or 2 usage error, 126 CMD not executable, 127 CMD not found,\n"
          "1 --install failed or GOMEMLIMIT refused by --malformed deny.\n",
          out);
}

__attribute__((format(printf, 1, 2))) static void say(const char *fmt, ...);

static void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs(PROG ": ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static int usage_error(const char *what, const char *arg)
{
    say("%s%s%.200s (try --help)", what, arg != NULL ? ": " : "", arg != NULL ? arg : "");
    return 2;
}

/* bytes as MiB with two decimals, rounded down ("230.00", "1000.00"), for reasons and --print. */
static void mib_text(int64_t bytes, char *buf, size_t cap)
{
    int64_t whole = bytes / GMW_MIB, rest = bytes % GMW_MIB;
    snprintf(buf, cap, "%" PRId64 ".%02d", whole, (int)(rest * 100 / GMW_MIB));
}

/*
 * The value the shim would compute from the cgroup, or why there is none (why: the reason
 * text, for --print and notes). Returns true with computed[] filled.
 */
static bool compute(const options *o, const gmw_cg_limit *cg, int cg_rc, const char *cg_err,
                    char *computed, size_t cap, char *why, size_t whycap, bool *say_why)
{
    char a[32], b[32];
    *say_why = false;
    if (cg_rc != 0) {
        snprintf(why, whycap, "%s", cg_err);
        *say_why = true;
        return false;
    }
    if (cg->limit_bytes < 0) {
        snprintf(why, whycap, "no memory limit in the cgroup (%.300s): nothing to compute from",
                 cg->source[0] ? cg->source : cg->dir);
        return false;
    }
    mib_text(cg->limit_bytes, a, sizeof(a));
    if (cg->limit_bytes < o->min_limit) {
        mib_text(o->min_limit, b, sizeof(b));
        snprintf(why, whycap,
                 "memory limit %" PRId64 " bytes (%s MiB) is below --min-limit %" PRId64
                 " bytes (%s MiB)",
                 cg->limit_bytes, a, o->min_limit, b);
        *say_why = true;
        return false;
    }
    int64_t gml_bytes = gmw_gomemlimit_from_limit(cg->limit_bytes, o->ratio_e4);
    if (gml_bytes < GMW_MIB) {
        snprintf(why, whycap, "memory limit %" PRId64 " bytes (%s MiB) x ratio is under 1 MiB",
                 cg->limit_bytes, a);
        *say_why = true;
        return false;
    }
    gmw_format_gomemlimit(gml_bytes, computed, cap);
    snprintf(why, whycap, "%s = floor(%" PRId64 " bytes (%s MiB) x ratio) in whole MiB", computed,
             cg->limit_bytes, a);
    return true;
}

static void decide_gomemlimit(const options *o, const gmw_cg_limit *cg, int cg_rc,
                              const char *cg_err, decision *d)
{
    const char *cur = getenv("GOMEMLIMIT");
    char computed[GMW_MEMLIMIT_TEXT_MAX], why[MSG_MAX], repaired[GMW_MEMLIMIT_TEXT_MAX];
    char a[32];
    bool say_why = false;
    d->current = cur;
    d->action = ACTION_NONE;
    d->note[0] = '\0';
    snprintf(d->value, sizeof(d->value), "%s", cur ? cur : "");
    bool have =
        compute(o, cg, cg_rc, cg_err, computed, sizeof(computed), why, sizeof(why), &say_why);

    /* A value the Go runtime rejects: the same rule as the webhook's malformedGOMEMLIMIT. */
    const char *valid = cur; /* the user's value once valid (after a repair), or NULL */
    bool was_repaired = false;
    if (cur && cur[0] != '\0' && !gmw_gomemlimit_parse(cur, NULL)) {
        bool quantity = gmw_gomemlimit_repair(cur, repaired, sizeof(repaired));
        char fix[96];
        if (quantity)
            snprintf(fix, sizeof(fix), "use %s", repaired);
        else if (have)
            snprintf(fix, sizeof(fix), "use e.g. %s", computed);
        else
            snprintf(fix, sizeof(fix), "remove it or use e.g. 400MiB");
        if (o->malformed == MAL_DENY) {
            d->action = ACTION_DENY;
            snprintf(d->note, sizeof(d->note),
                     "GOMEMLIMIT=\"%.64s\" makes Go abort at start; %s (--malformed deny)", cur,
                     fix);
            snprintf(d->reason, sizeof(d->reason), "%s", d->note);
            return;
        }
        if (o->malformed == MAL_KEEP) {
            d->action = ACTION_KEEP;
            snprintf(d->note, sizeof(d->note),
                     "GOMEMLIMIT=\"%.64s\" kept (--malformed keep), Go aborts on it; %s", cur, fix);
            snprintf(d->reason, sizeof(d->reason), "%s", d->note);
            return;
        }
        if (quantity) {
            valid = repaired;
            was_repaired = true;
        } else if (have) {
            d->action = ACTION_REPLACE;
            snprintf(d->value, sizeof(d->value), "%s", computed);
            snprintf(d->note, sizeof(d->note),
                     "GOMEMLIMIT=\"%.64s\" is not valid for Go (it would abort); using %s", cur,
                     computed);
            snprintf(d->reason, sizeof(d->reason), "%.590s; %.590s", d->note, why);
            return;
        } else {
            d->action = ACTION_UNSET;
            d->value[0] = '\0';
            snprintf(d->note, sizeof(d->note),
                     "GOMEMLIMIT=\"%.64s\" is not valid for Go (it would abort) and %.400s; unset",
                     cur, why);
            snprintf(d->reason, sizeof(d->reason), "%s", d->note);
            return;
        }
    }

    int64_t cur_bytes = 0;
    bool cur_set = valid && valid[0] != '\0';
    if (cur_set)
        (void)gmw_gomemlimit_parse(valid, &cur_bytes);
    if (was_repaired) {
        d->action = ACTION_REPAIR;
        snprintf(d->value, sizeof(d->value), "%s", repaired);
        snprintf(d->note, sizeof(d->note),
                 "GOMEMLIMIT=\"%.64s\" is a Kubernetes quantity the Go runtime rejects; using the "
                 "same bytes as %s",
                 cur, repaired);
    }
    if (!have) {
        if (say_why && !was_repaired)
            snprintf(d->note, sizeof(d->note), "%.500s; GOMEMLIMIT left as it is", why);
        if (was_repaired)
            snprintf(d->reason, sizeof(d->reason), "%.590s; %.590s", d->note, why);
        else if (cur_set)
            snprintf(d->reason, sizeof(d->reason), "%.590s; the user's GOMEMLIMIT=%.64s is kept",
                     why, cur);
        else
            snprintf(d->reason, sizeof(d->reason), "%.590s; GOMEMLIMIT stays unset", why);
        return;
    }
    if (!cur_set) {
        d->action = ACTION_SET;
        snprintf(d->reason, sizeof(d->reason), "GOMEMLIMIT is unset: %.590s", why);
    } else if (o->force) {
        bool same = strcmp(valid, computed) == 0;
        if (!was_repaired || !same)
            d->action = same ? ACTION_KEEP : ACTION_REPLACE;
        if (!same)
            snprintf(d->note, sizeof(d->note), "replacing GOMEMLIMIT=%.64s with %s (--force)",
                     valid, computed);
        snprintf(d->reason, sizeof(d->reason), "--force: %.590s", why);
    } else if (strcmp(valid, "off") != 0 && cur_bytes > cg->limit_bytes) {
        d->action = ACTION_REPLACE;
        mib_text(cur_bytes, a, sizeof(a));
        snprintf(d->note, sizeof(d->note),
                 "GOMEMLIMIT=%.64s%s%s%s exceeds the memory limit %" PRId64
                 " bytes (%.300s); using %s",
                 was_repaired ? cur : valid, was_repaired ? " (= " : "", was_repaired ? valid : "",
                 was_repaired ? ")" : "", cg->limit_bytes, cg->source, computed);
        snprintf(d->reason, sizeof(d->reason),
                 "GOMEMLIMIT=%.64s (%s MiB) exceeds the limit: %.590s", valid, a, why);
    } else {
        /* valid and within the limit, or "off": the user's choice */
        if (!was_repaired)
            d->action = ACTION_KEEP;
        if (strcmp(valid, "off") == 0)
            snprintf(d->reason, sizeof(d->reason),
                     "GOMEMLIMIT=off is the user's choice (the computed value would be %s)",
                     computed);
        else {
            mib_text(cur_bytes, a, sizeof(a));
            snprintf(d->reason, sizeof(d->reason),
                     "%sGOMEMLIMIT=%.64s (%s MiB) is valid and within the limit (computed: %s)",
                     was_repaired ? "repaired; " : "", valid, a, computed);
        }
        return;
    }
    snprintf(d->value, sizeof(d->value), "%s", computed);
}

static void decide_gogc(const options *o, decision *d)
{
    const char *cur = getenv("GOGC");
    d->current = cur;
    d->note[0] = '\0';
    if (!cur || cur[0] == '\0') {
        d->action = ACTION_SET;
        snprintf(d->value, sizeof(d->value), "%s", o->gogc);
        snprintf(d->reason, sizeof(d->reason), "GOGC is unset: set to --gogc %s", o->gogc);
        return;
    }
    d->action = ACTION_KEEP;
    snprintf(d->value, sizeof(d->value), "%.63s", cur);
    if (!gmw_gogc_go_understands(cur))
        snprintf(d->note, sizeof(d->note),
                 "GOGC=%.64s is malformed; the Go runtime reads it as 100", cur);
    snprintf(d->reason, sizeof(d->reason), "%s",
             d->note[0] ? d->note : "GOGC is set: the user's value is kept");
}

/* Print s as a JSON string (or null). */
static void json_str(const char *s)
{
    if (s == NULL) {
        fputs("null", stdout);
        return;
    }
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            printf("\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f)
            printf("\\u%04x", *p);
        else
            putchar(*p);
    }
    putchar('"');
}

static void json_decision(const char *key, const decision *d, bool bytes)
{
    bool no_value = (d->action == ACTION_NONE && d->current == NULL) || d->action == ACTION_UNSET ||
                    d->action == ACTION_DENY;
    printf("\"%s\":{\"action\":", key);
    json_str(action_name(d->action));
    fputs(",\"value\":", stdout);
    json_str(no_value ? NULL : d->value);
    fputs(",\"current\":", stdout);
    json_str(d->current);
    fputs(",\"note\":", stdout);
    json_str(d->note[0] ? d->note : NULL);
    fputs(",\"reason\":", stdout);
    json_str(d->reason);
    int64_t b = 0;
    if (bytes) { /* the value in bytes and MiB, when it is a byte count */
        char mib[32];
        if (!no_value && strcmp(d->value, "off") != 0 && gmw_gomemlimit_parse(d->value, &b)) {
            mib_text(b, mib, sizeof(mib));
            printf(",\"valueBytes\":%" PRId64 ",\"valueMiB\":%s", b, mib);
        } else {
            fputs(",\"valueBytes\":null,\"valueMiB\":null", stdout);
        }
    }
    putchar('}');
}

/*
 * Where execvp would find cmd (exec_path's rules, checked with access(X_OK) instead of
 * executing): the path into buf, or NULL when nothing executable is found.
 */
static const char *resolve_cmd(const char *cmd, char *buf, size_t cap)
{
    if (cmd[0] == '\0')
        return NULL;
    if (strchr(cmd, '/'))
        return access(cmd, X_OK) == 0 ? cmd : NULL;
    const char *path = getenv("PATH");
    if (!path)
        path = "/usr/local/bin:/bin:/usr/bin";
    for (const char *p = path;; p++) {
        const char *end = strchr(p, ':');
        size_t dirlen = end ? (size_t)(end - p) : strlen(p);
        int n = snprintf(buf, cap, "%.*s%s%s", (int)dirlen, p, dirlen ? "/" : "", cmd);
        struct stat st;
        if (n > 0 && (size_t)n < cap && stat(buf, &st) == 0 && S_ISREG(st.st_mode) &&
            access(buf, X_OK) == 0)
            return buf;
        if (!end)
            return NULL;
        p = end;
    }
}

static int print_json(const options *o, const gmw_cg_limit *cg, int cg_rc, const char *cg_err,
                      const decision *gml, const decision *gogc, char **cmd_argv)
{
    char ratio[16], mib[32];
    gmw_ratio_format(o->ratio_e4, ratio, sizeof(ratio));
    printf("{\"cgroupVersion\":%d,\"cgroupDir\":", cg->version);
    json_str(cg->dir[0] ? cg->dir : NULL);
    if (cg->limit_bytes >= 0) {
        mib_text(cg->limit_bytes, mib, sizeof(mib));
        printf(",\"limitBytes\":%" PRId64 ",\"limitMiB\":%s,\"source\":", cg->limit_bytes, mib);
    } else
        fputs(",\"limitBytes\":null,\"limitMiB\":null,\"source\":", stdout);
    json_str(cg->source[0] ? cg->source : NULL);
    fputs(",\"error\":", stdout);
    json_str(cg_rc != 0 ? cg_err : NULL);
    fputs(",\"ratio\":", stdout);
    json_str(ratio);
    mib_text(o->min_limit, mib, sizeof(mib));
    printf(",\"minLimitBytes\":%" PRId64 ",\"minLimitMiB\":%s,\"force\":%s,\"malformed\":",
           o->min_limit, mib, o->force ? "true" : "false");
    json_str(o->malformed == MAL_DENY ? "deny" : o->malformed == MAL_KEEP ? "keep" : "repair");
    putchar(',');
    json_decision("GOMEMLIMIT", gml, true);
    putchar(',');
    json_decision("GOGC", gogc, false);
    if (cmd_argv != NULL) { /* --print -- CMD ARGS: what would be executed, and with what */
        char full[GMW_CG_PATH_MAX];
        const char *path = resolve_cmd(cmd_argv[0], full, sizeof(full));
        fputs(",\"exec\":{\"argv\":[", stdout);
        for (int i = 0; cmd_argv[i] != NULL; i++) {
            if (i > 0)
                putchar(',');
            json_str(cmd_argv[i]);
        }
        fputs("],\"path\":", stdout);
        json_str(path);
        fputs(",\"wouldExec\":", stdout);
        fputs(gml->action == ACTION_DENY ? "false" : path != NULL ? "true" : "false", stdout);
        fputs(",\"env\":{\"GOMEMLIMIT\":", stdout);
        bool unset =
            gml->action == ACTION_UNSET || (gml->current == NULL && gml->action == ACTION_NONE);
        json_str(unset ? NULL : gml->value);
        fputs(",\"GOGC\":", stdout);
        json_str(gogc->value[0] ? gogc->value : NULL);
        fputs("}}", stdout);
    }
    fputs("}\n", stdout);
    return fflush(stdout) == 0 ? 0 : 1;
}

/*
 * --install DIR: copy /proc/self/exe to DIR/gomemlimit-shim, mode 0555, through a
 * temporary file and rename(), so a restarted init container replaces it atomically.
 * Needs no shell or cp in the image. Returns the exit status (0 or 1).
 */
static int install(const char *dir)
{
    char tmp[GMW_CG_PATH_MAX], dst[GMW_CG_PATH_MAX], buf[16384];
    int in = -1, out = -1, status = 1;
    const char *step = "open /proc/self/exe";

    int n1 = snprintf(dst, sizeof dst, "%s/" PROG, dir);
    int n2 = snprintf(tmp, sizeof tmp, "%s/." PROG ".%ld", dir, (long)getpid());
    if (n1 < 0 || n2 < 0 || (size_t)n1 >= sizeof dst || (size_t)n2 >= sizeof tmp) {
        say("--install: %.200s: path too long", dir);
        return 1;
    }
    in = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
    if (in == -1)
        goto fail;
    step = tmp;
    out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0700);
    if (out == -1)
        goto fail;
    for (;;) {
        ssize_t n = read(in, buf, sizeof buf);
        if (n == -1 && errno == EINTR)
            continue;
        if (n == -1) {
            step = "read /proc/self/exe";
            goto fail;
        }
        if (n == 0)
            break;
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(out, buf + off, (size_t)(n - off));
            if (w == -1 && errno == EINTR)
                continue;
            if (w == -1)
                goto fail;
            off += w;
        }
    }
    if (fchmod(out, 0555) == -1 || fsync(out) == -1)
        goto fail;
    if (close(out) == -1) {
        out = -1;
        goto fail;
    }
    out = -1;
    step = dst;
    if (rename(tmp, dst) == -1)
        goto fail;
    status = 0;
    goto done;
fail:
    say("--install: %.200s: %s", step, strerror(errno));
    if (in != -1)
        unlink(tmp); /* whatever of it exists; the name carries our pid */
done:
    if (in != -1)
        close(in);
    if (out != -1)
        close(out);
    return status;
}

/*
 * execvp() as musl implements it, on every libc: a name with a '/' is executed as is,
 * otherwise each PATH entry is tried (default /usr/local/bin:/bin:/usr/bin), continuing
 * past ENOENT, ENOTDIR and EACCES. Unlike glibc's execvp there is no /bin/sh retry on
 * ENOEXEC: a file the kernel cannot execute fails, as it does under the container
 * runtime. Returns only on failure, with the errno to report (EACCES if any candidate
 * was not executable, else the last error).
 */
static int exec_path(const char *cmd, char **args)
{
    extern char **environ;
    if (cmd[0] == '\0')
        return ENOENT;
    if (strchr(cmd, '/')) {
        execve(cmd, args, environ);
        return errno;
    }
    const char *path = getenv("PATH");
    if (path == NULL)
        path = "/usr/local/bin:/bin:/usr/bin";
    size_t cmdlen = strlen(cmd);
    bool seen_eacces = false;
    int last = ENOENT;
    for (const char *p = path;; p++) {
        const char *end = strchr(p, ':');
        size_t dirlen = end != NULL ? (size_t)(end - p) : strlen(p);
        char full[GMW_CG_PATH_MAX];
        if (dirlen + 1 + cmdlen < sizeof full) {
            /* An empty entry means the current directory. */
            int n = snprintf(full, sizeof full, "%.*s%s%s", (int)dirlen, p, dirlen ? "/" : "", cmd);
            if (n > 0 && (size_t)n < sizeof full) {
                execve(full, args, environ);
                last = errno;
                if (last == EACCES)
                    seen_eacces = true;
                else if (last != ENOENT && last != ENOTDIR)
                    return last;
            }
        } else {
            last = ENAMETOOLONG;
        }
        if (end == NULL)
            break;
        p = end;
    }
    return seen_eacces ? EACCES : last;
}

/* Take an option's value from "--opt=value" or the next argument. NULL when missing. */
static const char *option_value(int argc, char **argv, int *i, const char *name)
{
    const char *arg = argv[*i];
    size_t n = strlen(name);
    if (arg[n] == '=')
        return arg + n + 1;
    if (*i + 1 >= argc)
        return NULL;
    return argv[++*i];
}

/* Does argv[i] name option `name`, alone or as "name=value"? */
static bool is_opt(const char *arg, const char *name)
{
    size_t n = strlen(name);
    return strncmp(arg, name, n) == 0 && (arg[n] == '\0' || arg[n] == '=');
}

/* Parse argv into *o. Returns -1 to continue, or an exit status. */
static int parse_args(int argc, char **argv, options *o)
{
    o->ratio_e4 = 9000;
    o->gogc = "100";
    o->min_limit = 16 * GMW_MIB;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v;
        if (strcmp(a, "--") == 0) {
            o->cmd_index = i + 1 < argc ? i + 1 : 0;
            break;
        }
        if (a[0] != '-') {
            o->cmd_index = i;
            break;
        }
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--version") == 0) {
            puts(PROG " " GMW_VERSION);
            return 0;
        } else if (strcmp(a, "--force") == 0) {
            o->force = true;
        } else if (strcmp(a, "--print") == 0) {
            o->print = true;
        } else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
            o->quiet = true;
        } else if (is_opt(a, "--ratio")) {
            if (!(v = option_value(argc, argv, &i, "--ratio")))
                return usage_error("--ratio needs a value", NULL);
            if (gmw_ratio_parse(v, &o->ratio_e4) != 0)
                return usage_error("--ratio must be a decimal in (0, 1] with at most 4 "
                                   "decimals, e.g. 0.9, not",
                                   v);
        } else if (is_opt(a, "--gogc")) {
            if (!(v = option_value(argc, argv, &i, "--gogc")))
                return usage_error("--gogc needs a value", NULL);
            if (!gmw_gogc_valid(v))
                return usage_error("--gogc must be an integer 1..100000 or off, e.g. 100, not", v);
            o->gogc = v;
        } else if (is_opt(a, "--min-limit")) {
            if (!(v = option_value(argc, argv, &i, "--min-limit")))
                return usage_error("--min-limit needs a value", NULL);
            gmw_qty_status st = gmw_quantity_parse_cstr(v, &o->min_limit);
            if (st != GMW_QTY_OK) {
                char what[160];
                snprintf(what, sizeof what,
                         "--min-limit: %s; want bytes as a quantity, e.g. 16Mi or 1.5Gi, not",
                         gmw_qty_strerror(st));
                return usage_error(what, v);
            }
        } else if (is_opt(a, "--malformed")) {
            if (!(v = option_value(argc, argv, &i, "--malformed")))
                return usage_error("--malformed needs a value", NULL);
            if (strcmp(v, "repair") == 0)
                o->malformed = MAL_REPAIR;
            else if (strcmp(v, "keep") == 0)
                o->malformed = MAL_KEEP;
            else if (strcmp(v, "deny") == 0)
                o->malformed = MAL_DENY;
            else
                return usage_error("--malformed must be repair, keep or deny, not", v);
        } else if (is_opt(a, "--install")) {
            if (!(v = option_value(argc, argv, &i, "--install")) || v[0] == '\0')
                return usage_error("--install needs a directory", NULL);
            o->install_dir = v;
        } else {
            return usage_error("unknown option", a);
        }
    }
    if (o->install_dir != NULL && (o->cmd_index || o->print))
        return usage_error("--install takes no command and no --print", NULL);
    if (o->install_dir == NULL && !o->print && !o->cmd_index)
        return usage_error("missing command", NULL);
    return -1;
}

int main(int argc, char **argv)
{
    options o;
    gmw_cg_limit cg;
    decision gml, gogc;
    char cg_err[GMW_CG_ERR_MAX] = "";

    memset(&o, 0, sizeof o);
    int rc = parse_args(argc, argv, &o);
    if (rc >= 0)
        return rc;
    if (o.install_dir)
        return install(o.install_dir);

    int cg_rc = gmw_cg_find_limit(getenv("GOMEMLIMIT_SHIM_ROOT"), &cg, cg_err, sizeof cg_err);
    decide_gomemlimit(&o, &cg, cg_rc, cg_err, &gml);
    decide_gogc(&o, &gogc);
    if (o.print) /* a dry run, also with a command: nothing is executed */
        return print_json(&o, &cg, cg_rc, cg_err, &gml, &gogc,
                          o.cmd_index != 0 ? argv + o.cmd_index : NULL);
    if (gml.action == ACTION_DENY) {
        say("%s", gml.note); /* printed even with --quiet: it stops the shim */
        return 1;
    }

    if (!o.quiet && gml.note[0])
        say("%s", gml.note);
    if (!o.quiet && gogc.note[0])
        say("%s", gogc.note);
    if (action_writes(gml.action) && setenv("GOMEMLIMIT", gml.value, 1) != 0 && !o.quiet)
        say("cannot set GOMEMLIMIT: %s", strerror(errno));
    if (gml.action == ACTION_UNSET && unsetenv("GOMEMLIMIT") != 0 && !o.quiet)
        say("cannot unset GOMEMLIMIT: %s", strerror(errno));
    if (action_writes(gogc.action) && setenv("GOGC", gogc.value, 1) != 0 && !o.quiet)
        say("cannot set GOGC: %s", strerror(errno));

    const char *cmd = argv[o.cmd_index];
    int e = exec_path(cmd, argv + o.cmd_index);
    if (e == ENOENT) {
        say("%.200s: %s", cmd,
            strchr(cmd, '/') != NULL ? "No such file or directory" : "command not found");
        return 127;
    }
    say("%.200s: %s", cmd, strerror(e));
    return 126;
}
