/*
 * log.c - JSON log lines on stderr; see log.h.
 */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static _Atomic int g_level = GMW_LOG_INFO;

void gmw_log_set_level(gmw_log_level level)
{
    atomic_store(&g_level, (int)level);
}

gmw_log_level gmw_log_get_level(void)
{
    return (gmw_log_level)atomic_load(&g_level);
}

bool gmw_log_enabled(gmw_log_level level)
{
    return (int)level >= atomic_load(&g_level);
}

int gmw_log_level_parse(const char *s, gmw_log_level *level)
{
    if (strcmp(s, "debug") == 0)
        *level = GMW_LOG_DEBUG;
    else if (strcmp(s, "info") == 0)
        *level = GMW_LOG_INFO;
    else if (strcmp(s, "warn") == 0 || strcmp(s, "warning") == 0)
        *level = GMW_LOG_WARN;
    else if (strcmp(s, "error") == 0)
        *level = GMW_LOG_ERROR;
    else
        return -EINVAL;
    return 0;
}

static const char *level_name(gmw_log_level level)
{
    switch (level) {
    case GMW_LOG_DEBUG:
        return "debug";
    case GMW_LOG_INFO:
        return "info";
    case GMW_LOG_WARN:
        return "warn";
    case GMW_LOG_ERROR:
        return "error";
    }
    return "info";
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if it is not valid. */
static size_t utf8_seq_len(const unsigned char *s)
{
    unsigned char c = s[0];
    if (c >= 0xC2 && c <= 0xDF)
        return (s[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if ((s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
            return 0;
        if (c == 0xE0 && s[1] < 0xA0)
            return 0; /* overlong */
        if (c == 0xED && s[1] >= 0xA0)
            return 0; /* surrogate */
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if ((s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
            return 0;
        if (c == 0xF0 && s[1] < 0x90)
            return 0;
        if (c == 0xF4 && s[1] >= 0x90)
            return 0;
        return 4;
    }
    return 0;
}

size_t gmw_json_escape(char *out, size_t cap, const char *src, bool *truncated)
{
    size_t o = 0;
    if (truncated != NULL)
        *truncated = false;
    if (cap == 0)
        return 0;
    const unsigned char *s = (const unsigned char *)src;
    while (*s != '\0') {
        char tmp[8];
        size_t tlen = 0;
        size_t consumed = 1;
        const char *piece = tmp;
        unsigned char c = *s;
        if (c == '"' || c == '\\') {
            tmp[0] = '\\';
            tmp[1] = (char)c;
            tlen = 2;
        } else if (c == '\n') {
            piece = "\\n";
            tlen = 2;
        } else if (c == '\r') {
            piece = "\\r";
            tlen = 2;
        } else if (c == '\t') {
            piece = "\\t";
            tlen = 2;
        } else if (c < 0x20 || c == 0x7F) {
            snprintf(tmp, sizeof tmp, "\\u%04x", c);
            tlen = 6;
        } else if (c < 0x80) {
            tmp[0] = (char)c;
            tlen = 1;
        } else {
            size_t n = utf8_seq_len(s);
            if (n == 0) {
                piece = "\\ufffd";
                tlen = 6;
            } else {
                piece = (const char *)s;
                tlen = n;
                consumed = n;
            }
        }
        if (o + tlen >= cap) {
            if (truncated != NULL)
                *truncated = true;
            break;
        }
        memcpy(out + o, piece, tlen);
        o += tlen;
        s += consumed;
    }
    out[o] = '\0';
    return o;
}

/* Append text to out at *o (cap includes room for the NUL); silently stops when full. */
static void put(char *out, size_t cap, size_t *o, const char *text)
{
    size_t n = strlen(text);
    if (*o + n >= cap)
        n = *o + 1 < cap ? cap - 1 - *o : 0;
    memcpy(out + *o, text, n);
    *o += n;
    out[*o] = '\0';
}

/* Append a quoted, escaped string, truncated with "..." so that `reserve` bytes stay free. */
static void put_string(char *out, size_t cap, size_t *o, const char *s, size_t reserve)
{
    put(out, cap, o, "\"");
    size_t room = cap > *o + reserve + 5 ? cap - *o - reserve - 5 : 0;
    bool truncated = false;
    if (room > 1) {
        size_t n = gmw_json_escape(out + *o, room, s, &truncated);
        *o += n;
    } else if (*s != '\0') {
        truncated = true;
    }
    if (truncated)
        put(out, cap, o, "...");
    put(out, cap, o, "\"");
}

/* n as decimal into buf (>= 21 bytes): what "%lld" writes, without printf (one line is
 * written per admission). */
static void format_int(char *buf, long long n)
{
    char digits[24];
    size_t k = 0;
    unsigned long long u = n < 0 ? 0ULL - (unsigned long long)n : (unsigned long long)n;
    do {
        digits[k++] = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0);
    size_t o = 0;
    if (n < 0)
        buf[o++] = '-';
    while (k > 0)
        buf[o++] = digits[--k];
    buf[o] = '\0';
}

static char *put_digits(char *p, int value, int width)
{
    for (int i = width - 1; i >= 0; i--, value /= 10)
        p[i] = (char)('0' + value % 10);
    return p + width;
}

/*
 * '{"time":"YYYY-MM-DDTHH:MM:SS.mmmZ","level":"' into buf (>= 64 bytes). The calendar part
 * is computed once per second per thread (gmtime_r), the rest by hand.
 */
static void format_time(char *buf, int64_t unix_ms)
{
    static _Thread_local int64_t cached_secs = INT64_MIN;
    static _Thread_local char cached[24]; /* "YYYY-MM-DDTHH:MM:SS" */
    int64_t secs = unix_ms >= 0 ? unix_ms / 1000 : (unix_ms - 999) / 1000;
    int ms = (int)(unix_ms - secs * 1000);
    if (secs != cached_secs) {
        time_t t = (time_t)secs;
        struct tm tm;
        if (gmtime_r(&t, &tm) == NULL)
            memset(&tm, 0, sizeof tm);
        char *p = cached;
        int year = tm.tm_year + 1900;
        p = put_digits(p, year < 0 ? 0 : year % 10000, 4);
        *p++ = '-';
        p = put_digits(p, tm.tm_mon + 1, 2);
        *p++ = '-';
        p = put_digits(p, tm.tm_mday, 2);
        *p++ = 'T';
        p = put_digits(p, tm.tm_hour, 2);
        *p++ = ':';
        p = put_digits(p, tm.tm_min, 2);
        *p++ = ':';
        p = put_digits(p, tm.tm_sec, 2);
        *p = '\0';
        cached_secs = secs;
    }
    static const char head[] = "{\"time\":\"", tail[] = "Z\",\"level\":\"";
    char *p = buf;
    memcpy(p, head, sizeof head - 1);
    p += sizeof head - 1;
    size_t n = strlen(cached);
    memcpy(p, cached, n);
    p += n;
    *p++ = '.';
    p = put_digits(p, ms, 3);
    memcpy(p, tail, sizeof tail); /* with its NUL */
}

size_t gmw_log_format(char *out, size_t cap, int64_t unix_ms, gmw_log_level level, const char *msg,
                      const gmw_log_field *fields, size_t n)
{
    /* Bytes kept free for the closing "}\n" at every step. */
    const size_t reserve = 3;
    size_t o = 0;
    out[0] = '\0';
    char ts[64];
    format_time(ts, unix_ms);
    put(out, cap - reserve, &o, ts);
    put(out, cap - reserve, &o, level_name(level));
    put(out, cap - reserve, &o, "\",\"msg\":");
    put_string(out, cap, &o, msg != NULL ? msg : "", reserve);
    for (size_t i = 0; i < n; i++) {
        const gmw_log_field *f = &fields[i];
        char num[64];
        if (o + strlen(f->key) + 8 + reserve >= cap)
            break;
        put(out, cap - reserve, &o, ",\"");
        put(out, cap - reserve, &o, f->key);
        put(out, cap - reserve, &o, "\":");
        switch (f->kind) {
        case GMW_LF_STR:
            if (f->s == NULL)
                put(out, cap - reserve, &o, "null");
            else
                put_string(out, cap, &o, f->s, reserve);
            break;
        case GMW_LF_INT:
            format_int(num, (long long)f->i);
            put(out, cap - reserve, &o, num);
            break;
        case GMW_LF_NUM:
            if (f->d != f->d || f->d > 1e300 || f->d < -1e300)
                snprintf(num, sizeof num, "null");
            else
                snprintf(num, sizeof num, "%.6g", f->d);
            put(out, cap - reserve, &o, num);
            break;
        case GMW_LF_BOOL:
            put(out, cap - reserve, &o, f->i != 0 ? "true" : "false");
            break;
        }
    }
    put(out, cap, &o, "}\n");
    return o;
}

void gmw_log_fields(gmw_log_level level, const char *msg, const gmw_log_field *fields, size_t n)
{
    if (!gmw_log_enabled(level))
        return;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    int64_t ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
    char line[GMW_LOG_LINE_MAX];
    size_t len = gmw_log_format(line, sizeof line, ms, level, msg, fields, n);
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(STDERR_FILENO, line + off, len - off);
        if (w == -1) {
            if (errno == EINTR)
                continue;
            return;
        }
        off += (size_t)w;
    }
}

void gmw_log(gmw_log_level level, const char *fmt, ...)
{
    if (!gmw_log_enabled(level))
        return;
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    gmw_log_fields(level, msg, NULL, 0);
}
