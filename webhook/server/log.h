/*
 * log.h - structured logging: one JSON object per line on stderr.
 *
 *   {"time":"2026-11-25T20:31:02.123Z","level":"info","msg":"admission",
 *    "uid":"...","namespace":"default","durationMs":0.412}
 *
 * Fields are typed (string, integer, number, boolean) and written in the given
 * order after time, level and msg. Strings are JSON-escaped (control characters as
 * \u00XX, invalid UTF-8 bytes as \ufffd), so a log line can never be split or forged
 * by request data. Lines are written with a single write(2) each and are capped at
 * GMW_LOG_LINE_MAX bytes (longer string values are truncated with "...").
 *
 * The level threshold is process-wide and may be changed at any time (config reload).
 */
#ifndef GMW_LOG_H
#define GMW_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h" /* gmw_log_level */

#include "compiler.h" /* GMW_MUST_CHECK */

#define GMW_LOG_LINE_MAX 4096

typedef enum { GMW_LF_STR = 0, GMW_LF_INT, GMW_LF_NUM, GMW_LF_BOOL } gmw_log_field_kind;

typedef struct {
    const char *key; /* borrowed; plain ASCII identifier */
    gmw_log_field_kind kind;
    const char *s; /* GMW_LF_STR (NULL is written as null) */
    int64_t i;     /* GMW_LF_INT, GMW_LF_BOOL */
    double d;      /* GMW_LF_NUM */
} gmw_log_field;

#define GMW_LOG_STR(k, v) ((gmw_log_field){.key = (k), .kind = GMW_LF_STR, .s = (v)})
#define GMW_LOG_INT(k, v) ((gmw_log_field){.key = (k), .kind = GMW_LF_INT, .i = (int64_t)(v)})
#define GMW_LOG_NUM(k, v) ((gmw_log_field){.key = (k), .kind = GMW_LF_NUM, .d = (double)(v)})
#define GMW_LOG_BOOL(k, v) ((gmw_log_field){.key = (k), .kind = GMW_LF_BOOL, .i = (v) ? 1 : 0})

/* Set / get the minimum level that is written (default info). Thread-safe. */
void gmw_log_set_level(gmw_log_level level);
gmw_log_level gmw_log_get_level(void);
bool gmw_log_enabled(gmw_log_level level);

/*
 * Parse "debug", "info", "warn" (or "warning"), "error" into *level. Returns 0, or
 * -EINVAL for anything else.
 */
GMW_MUST_CHECK int gmw_log_level_parse(const char *s, gmw_log_level *level);

/* Log msg with n fields at level (no-op when below the threshold). */
void gmw_log_fields(gmw_log_level level, const char *msg, const gmw_log_field *fields, size_t n);

/* Log a printf-formatted message without fields. */
void gmw_log(gmw_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Pure formatter behind the functions above, for tests: writes the JSON line
 * (with a trailing '\n') for the given UNIX time in milliseconds into out[0..cap)
 * and returns its length (always < cap, NUL-terminated; cap must be >= 64).
 */
size_t gmw_log_format(char *out, size_t cap, int64_t unix_ms, gmw_log_level level, const char *msg,
                      const gmw_log_field *fields, size_t n);

/*
 * JSON-escape src into out[0..cap) (without quotes), NUL-terminated. Never writes a
 * partial escape sequence; stops early (returning true in *truncated if given) when
 * the output would not fit. Returns the number of bytes written.
 */
size_t gmw_json_escape(char *out, size_t cap, const char *src, bool *truncated);

#endif
