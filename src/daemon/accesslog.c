#include "accesslog.h"

#include "strbuf.h"

#include <inttypes.h>
#include <stdbool.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

/* Flush early when this much is waiting, so a burst cannot grow the buffer without bound. */
#define FLUSH_AT (64 * 1024)

static struct {
    pthread_mutex_t lock;
    enum log_format format;
    FILE *out;
    struct strbuf pending;
} log_state = { .lock = PTHREAD_MUTEX_INITIALIZER, .format = LOG_OFF };

void accesslog_init(enum log_format format, FILE *out)
{
    log_state.format = format;
    log_state.out = out;
}

/* Request targets come from clients: control bytes, quotes and backslashes are escaped so a
 * log line is always one line and always valid JSON. */
static bool needs_escape(unsigned char c)
{
    return c < 0x20 || c == 0x7f || c == '"' || c == '\\';
}

static void append_escaped(struct strbuf *b, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        const unsigned char *run = p;
        while (*p && !needs_escape(*p))
            p++;
        strbuf_append_bytes(b, run, (size_t)(p - run)); /* the plain bytes in one copy */
        if (*p)
            strbuf_printf(b, "\\u%04x", *p++);
    }
}

/* Decimal digits by hand: vsnprintf costs about a thousand instructions a call, and a log
 * line has five numbers. width pads with zeros. */
static void append_uint(struct strbuf *b, uint64_t value, unsigned width)
{
    char digits[24];
    size_t n = 0;
    do {
        digits[sizeof digits - ++n] = (char)('0' + value % 10);
        value /= 10;
    } while (value || n < width);
    strbuf_append_bytes(b, digits + sizeof digits - n, n);
}

/* gmtime_r and strftime cost more than the rest of a line: the seconds part is made once a
 * second (callers hold log_state.lock). */
static void append_time(struct strbuf *b)
{
    static time_t cached_second = -1;
    static char cached_stamp[32];
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    if (now.tv_sec != cached_second) {
        struct tm utc;
        gmtime_r(&now.tv_sec, &utc);
        strftime(cached_stamp, sizeof cached_stamp, "%Y-%m-%dT%H:%M:%S", &utc);
        cached_second = now.tv_sec;
    }
    strbuf_append(b, cached_stamp);
    strbuf_append(b, ".");
    append_uint(b, (uint64_t)now.tv_nsec / 1000000, 3);
    strbuf_append(b, "Z");
}

/* The duration with 3 decimals, like %.3f, without the floating-point printf. */
static void append_duration(struct strbuf *b, double ms)
{
    uint64_t us = ms > 0 ? (uint64_t)(ms * 1000.0 + 0.5) : 0;
    append_uint(b, us / 1000, 1);
    strbuf_append(b, ".");
    append_uint(b, us % 1000, 3);
}

static void flush_locked(void)
{
    if (log_state.pending.length && log_state.out) {
        fwrite(log_state.pending.data, 1, log_state.pending.length, log_state.out);
        fflush(log_state.out);
    }
    log_state.pending.length = 0;
}

void accesslog_write(const struct access_record *r)
{
    if (log_state.format == LOG_OFF)
        return;
    pthread_mutex_lock(&log_state.lock);
    struct strbuf *b = &log_state.pending;
    if (log_state.format == LOG_JSON) {
        strbuf_append(b, "{\"time\":\"");
        append_time(b);
        strbuf_append(b, "\",\"client\":\"");
        append_escaped(b, r->client);
        strbuf_append(b, "\",\"method\":\"");
        append_escaped(b, r->method);
        strbuf_append(b, "\",\"path\":\"");
        append_escaped(b, r->target);
        strbuf_append(b, "\",\"status\":");
        append_uint(b, r->status, 1);
        strbuf_append(b, ",\"bytes\":");
        append_uint(b, r->bytes, 1);
        strbuf_append(b, ",\"duration_ms\":");
        append_duration(b, r->duration_ms);
        strbuf_append(b, ",\"outcome\":\"");
        strbuf_append(b, r->outcome);
        strbuf_append(b, "\"}\n");
    } else {
        append_time(b);
        strbuf_append(b, " ");
        strbuf_append(b, r->client);
        strbuf_append(b, " ");
        append_escaped(b, r->method);
        strbuf_append(b, " ");
        append_escaped(b, r->target);
        strbuf_append(b, " ");
        append_uint(b, r->status, 1);
        strbuf_append(b, " ");
        append_uint(b, r->bytes, 1);
        strbuf_append(b, "B ");
        append_duration(b, r->duration_ms);
        strbuf_append(b, "ms ");
        strbuf_append(b, r->outcome);
        strbuf_append(b, "\n");
    }
    if (b->failed)
        strbuf_free(b); /* out of memory: drop these lines rather than the server */
    if (b->length >= FLUSH_AT)
        flush_locked();
    pthread_mutex_unlock(&log_state.lock);
}

void accesslog_flush(void)
{
    pthread_mutex_lock(&log_state.lock);
    flush_locked();
    pthread_mutex_unlock(&log_state.lock);
}
