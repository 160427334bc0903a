/*
 * log.c — JSON-lines logger of tkmsd (log.h). Formats the whole line into a stack buffer,
 * escapes the message for JSON, and writes it with one write(2) so threads never
 * interleave. Does not allocate, does not buffer, does not rotate.
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "node/log.h"

static atomic_int log_level = NODE_LOG_INFO;

void node_log_level_set(int level) {
    atomic_store(&log_level, level);
}

int node_log_level_get(void) {
    return atomic_load(&log_level);
}

static const char *level_name(int level) {
    switch (level) {
    case NODE_LOG_DEBUG:
        return "debug";
    case NODE_LOG_INFO:
        return "info";
    case NODE_LOG_WARN:
        return "warn";
    default:
        return "error";
    }
}

/* Appends s JSON-escaped to out[*len..max); control bytes become \u00XX. */
static void append_escaped(char *out, size_t *len, size_t max, const char *s) {
    for (; *s != '\0' && *len + 7 < max; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            out[(*len)++] = '\\';
            out[(*len)++] = (char)c;
        } else if (c < 0x20) {
            *len += (size_t)snprintf(out + *len, max - *len, "\\u%04x", c);
        } else {
            out[(*len)++] = (char)c;
        }
    }
}

void node_log(int level, const char *subsys, const char *event, uint64_t epoch, const char *fmt,
              ...) {
    if (level < atomic_load(&log_level)) {
        return;
    }
    char line[NODE_LOG_LINE_BYTES];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(line, sizeof line,
                     "{\"ts\":\"%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ\",\"level\":\"%s\","
                     "\"subsys\":\"%s\",\"event\":\"%s\"",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                     tm.tm_sec, ts.tv_nsec / 1000000, level_name(level), subsys, event);
    size_t len = n > 0 && (size_t)n < sizeof line ? (size_t)n : 0;
    if (epoch != NODE_LOG_NO_EPOCH && len + 32 < sizeof line) {
        len += (size_t)snprintf(line + len, sizeof line - len, ",\"epoch\":%llu",
                                (unsigned long long)epoch);
    }
    if (fmt != NULL && len + 16 < sizeof line) {
        char msg[NODE_LOG_LINE_BYTES / 2];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        memcpy(line + len, ",\"msg\":\"", 8);
        len += 8;
        append_escaped(line, &len, sizeof line - 3, msg);
        line[len++] = '"';
    }
    line[len++] = '}';
    line[len++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w; /* nowhere to report a failing stderr */
}

/* The line head shared by both entry points: {"ts",...,"event"[,"epoch"]; returns length. */
static size_t head_format(char *line, size_t max, int level, const char *subsys,
                          const char *event, uint64_t epoch) {
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(line, max,
                     "{\"ts\":\"%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ\",\"level\":\"%s\","
                     "\"subsys\":\"%s\",\"event\":\"%s\"",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                     tm.tm_sec, ts.tv_nsec / 1000000, level_name(level), subsys, event);
    size_t len = n > 0 && (size_t)n < max ? (size_t)n : 0;
    if (epoch != NODE_LOG_NO_EPOCH && len + 32 < max) {
        len += (size_t)snprintf(line + len, max - len, ",\"epoch\":%llu",
                                (unsigned long long)epoch);
    }
    return len;
}

void node_log_fields(int level, const char *subsys, const char *event, uint64_t epoch,
                     const node_log_field *fields, size_t count) {
    if (level < atomic_load(&log_level)) {
        return;
    }
    char line[NODE_LOG_LINE_BYTES];
    size_t len = head_format(line, sizeof line, level, subsys, event, epoch);
    for (size_t i = 0; i < count && len + 64 < sizeof line; i++) {
        int n = snprintf(line + len, sizeof line - len, ",\"%s\":", fields[i].key);
        len += n > 0 ? (size_t)n : 0;
        if (fields[i].str == NULL) {
            n = snprintf(line + len, sizeof line - len, "%llu",
                         (unsigned long long)fields[i].num);
            len += n > 0 ? (size_t)n : 0;
            continue;
        }
        line[len++] = '"';
        append_escaped(line, &len, sizeof line - 4, fields[i].str);
        line[len++] = '"';
    }
    line[len++] = '}';
    line[len++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w; /* nowhere to report a failing stderr */
}
