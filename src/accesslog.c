#include "accesslog.h"

#include "strbuf.h"

#include <inttypes.h>
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
static void append_escaped(struct strbuf *b, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p < 0x20 || *p == 0x7f || *p == '"' || *p == '\\')
            strbuf_printf(b, "\\u%04x", *p);
        else
            strbuf_append_bytes(b, p, 1);
    }
}

static void append_time(struct strbuf *b)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct tm utc;
    gmtime_r(&now.tv_sec, &utc);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);
    strbuf_printf(b, "%s.%03ldZ", stamp, now.tv_nsec / 1000000);
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
        strbuf_printf(b, "\",\"status\":%u,\"bytes\":%" PRIu64 ",\"duration_ms\":%.3f,"
                         "\"outcome\":\"%s\"}\n",
                      r->status, r->bytes, r->duration_ms, r->outcome);
    } else {
        append_time(b);
        strbuf_printf(b, " %s ", r->client);
        append_escaped(b, r->method);
        strbuf_append(b, " ");
        append_escaped(b, r->target);
        strbuf_printf(b, " %u %" PRIu64 "B %.3fms %s\n", r->status, r->bytes, r->duration_ms,
                      r->outcome);
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
