/* The access log: lines are built on the serving thread, copied into a bounded ring under a
 * short lock, and written by a thread of their own. Nothing that serves, resumes delays,
 * watches stalls or shuts down ever waits for the log's reader: when the ring is full the
 * line is dropped and counted, and a line saying how many were lost is written once the
 * reader has caught up (and at exit, if it can be). */
#include "accesslog.h"

#include "strbuf.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static struct {
    pthread_mutex_t lock;
    pthread_cond_t wake;    /* the writer: lines are waiting, or stop */
    pthread_cond_t drained; /* accesslog_stop: the ring is empty */
    enum log_format format;
    int fd;
    char *ring;
    size_t capacity;
    size_t head, length;    /* the bytes waiting: ring[head .. head + length), wrapping */
    uint64_t dropped;       /* lines lost since the last "dropped" line */
    bool writing;           /* the writer holds bytes it has not finished writing */
    bool stopping;
    bool started;
    pthread_t writer;
} log_state = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .wake = PTHREAD_COND_INITIALIZER,
    .drained = PTHREAD_COND_INITIALIZER,
    .format = LOG_OFF,
    .fd = -1,
};

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
 * second, per thread (each serving thread builds its own lines). */
static void append_time(struct strbuf *b)
{
    static _Thread_local time_t cached_second = -1;
    static _Thread_local char cached_stamp[32];
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

/* Appends bytes to the ring if they fit whole (callers hold the lock). */
static bool ring_put_locked(const char *bytes, size_t n)
{
    if (n > log_state.capacity - log_state.length)
        return false;
    size_t at = (log_state.head + log_state.length) % log_state.capacity;
    size_t first = n < log_state.capacity - at ? n : log_state.capacity - at;
    memcpy(log_state.ring + at, bytes, first);
    memcpy(log_state.ring, bytes + first, n - first);
    log_state.length += n;
    return true;
}

/* "statusd: 12 access log lines dropped ..." once the reader has caught up: lines are lost,
 * never silently. */
static void note_dropped_locked(void)
{
    if (!log_state.dropped)
        return;
    char line[256];
    int n = snprintf(line, sizeof line,
                     "statusd: %" PRIu64 " access log lines dropped: the log's reader fell behind "
                     "(日志读取方跟不上，丢弃了 %" PRIu64 " 行访问日志)\n",
                     log_state.dropped, log_state.dropped);
    if (n > 0 && (size_t)n < sizeof line && ring_put_locked(line, (size_t)n))
        log_state.dropped = 0;
}

/* Writes all of bytes, blocking only this thread. False when the output is gone. */
static bool write_all(const char *bytes, size_t n)
{
    while (n) {
        ssize_t w = write(log_state.fd, bytes, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        bytes += w;
        n -= (size_t)w;
    }
    return true;
}

static void *write_lines(void *unused)
{
    (void)unused;
    pthread_mutex_lock(&log_state.lock);
    for (;;) {
        if (!log_state.length)
            note_dropped_locked();
        if (!log_state.length) {
            pthread_cond_broadcast(&log_state.drained);
            if (log_state.stopping)
                break;
            pthread_cond_wait(&log_state.wake, &log_state.lock);
            continue;
        }
        /* The bytes between head and the ring's end (or the data's end) stay put while
         * unlocked: writers only ever add after them. */
        const char *bytes = log_state.ring + log_state.head;
        size_t n = log_state.capacity - log_state.head;
        if (n > log_state.length)
            n = log_state.length;
        log_state.writing = true;
        pthread_mutex_unlock(&log_state.lock);
        bool written = write_all(bytes, n);
        pthread_mutex_lock(&log_state.lock);
        log_state.writing = false;
        log_state.head = (log_state.head + n) % log_state.capacity;
        log_state.length -= n;
        if (!written) { /* stdout closed: nothing more can be said there */
            log_state.length = 0;
            log_state.fd = -1;
            pthread_cond_broadcast(&log_state.drained);
            break;
        }
    }
    pthread_mutex_unlock(&log_state.lock);
    return NULL;
}

bool accesslog_init(enum log_format format, int fd, size_t capacity)
{
    log_state.format = format;
    log_state.fd = fd;
    if (format == LOG_OFF)
        return true;
    log_state.capacity = capacity;
    log_state.ring = malloc(capacity);
    if (!log_state.ring)
        return false;
    if (pthread_create(&log_state.writer, NULL, write_lines, NULL) != 0)
        return false;
    log_state.started = true;
    return true;
}

void accesslog_write(const struct access_record *r)
{
    if (log_state.format == LOG_OFF)
        return;
    /* Built on this thread, outside the lock; only the copy into the ring is locked. */
    struct strbuf line = { 0 };
    struct strbuf *b = &line;
    if (log_state.format == LOG_JSON) {
        strbuf_append(b, "{\"time\":\"");
        append_time(b);
        strbuf_append(b, "\",\"client\":\"");
        append_escaped(b, r->client);
        strbuf_append(b, "\",\"method\":\"");
        append_escaped(b, r->method);
        strbuf_append(b, "\",\"path\":\"");
        append_escaped(b, r->target);
        strbuf_append(b, "\",\"protocol\":\"");
        strbuf_append(b, r->protocol ? r->protocol : "h1");
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
        /* Last, so that parsers of the fields before it keep working. */
        strbuf_append(b, " ");
        strbuf_append(b, r->protocol ? r->protocol : "h1");
        strbuf_append(b, "\n");
    }
    pthread_mutex_lock(&log_state.lock);
    if (b->failed || !log_state.started || log_state.fd < 0 || !ring_put_locked(b->data, b->length))
        log_state.dropped++;
    else
        pthread_cond_signal(&log_state.wake);
    pthread_mutex_unlock(&log_state.lock);
    strbuf_free(b);
}

void accesslog_stop(unsigned wait_ms)
{
    if (!log_state.started)
        return;
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += wait_ms / 1000;
    deadline.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&log_state.lock);
    log_state.stopping = true;
    pthread_cond_signal(&log_state.wake);
    bool drained = true;
    while ((log_state.length || log_state.writing || log_state.dropped) && log_state.fd >= 0 &&
           drained)
        drained = pthread_cond_timedwait(&log_state.drained, &log_state.lock, &deadline) == 0;
    bool done = !log_state.length && !log_state.writing;
    pthread_mutex_unlock(&log_state.lock);
    /* A reader that never reads would keep the writer in write() for ever: then it is left
     * there, and the process exits around it. */
    if (done)
        pthread_join(log_state.writer, NULL);
}
