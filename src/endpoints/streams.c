/* /sse, /stream-bytes/{n} and /trailers (README "Streams"): bodies whose end is known only
 * when it comes, or that carry fields after the body. Each is a reply_stream or a reply with
 * trailers: the transport frames them (chunked on HTTP/1.1) and waits between pieces without
 * a thread, as for /drip. */
#include "endpoints.h"
#include "config.h"
#include "hash.h"
#include "numbers.h"
#include "params.h"
#include "timer.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* --- /stream-bytes/{n}?chunk_size=&seed= ------------------------------------------------ */

#define CHUNK_SIZE_DEFAULT 10240
#define CHUNK_SIZE_MAX (1024u * 1024u)

/* The same bytes as /bytes/{n}?seed= (conditional.c): word k of splitmix64 from the seed,
 * little-endian, made where it is needed, so the body is never held whole. */
struct generated_bytes {
    uint64_t length;
    uint64_t seed;
    uint64_t chunk;
};

static size_t next_bytes(void *context, uint64_t position, char *buffer, size_t max,
                         uint64_t *wait_us)
{
    (void)wait_us;
    const struct generated_bytes *g = context;
    if (position >= g->length)
        return REPLY_STREAM_END;
    uint64_t n = g->length - position;
    if (n > g->chunk)
        n = g->chunk;
    if (n > max)
        n = max;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t at = position + i;
        /* splitmix64's state moves by a constant each step: word k needs no k - 1 before it */
        uint64_t state = g->seed + (at / 8) * 0x9E3779B97F4A7C15ULL;
        uint64_t word = hash_splitmix64(&state);
        buffer[i] = (char)(unsigned char)(word >> (8 * (at % 8)));
    }
    return (size_t)n;
}

void streams_bytes(struct request *request, struct reply *reply)
{
    uint64_t n, chunk = CHUNK_SIZE_DEFAULT, seed;
    const char *value;
    if (!parse_uint(request->tail, GENERATED_MAX_BYTES, &n)) {
        reply_bad_parameter(reply, request, "{n}", "a number of bytes from 0 to " GENERATED_MAX_TEXT,
                            "字节数，0 到 " GENERATED_MAX_TEXT);
        return;
    }
    if ((value = request_query(request, "chunk_size")) &&
        (!parse_uint(value, CHUNK_SIZE_MAX, &chunk) || chunk == 0)) {
        reply_bad_parameter(reply, request, "chunk_size", "bytes per chunk, from 1 to 1048576",
                            "每块字节数，1 到 1048576");
        return;
    }
    if (!params_read_seed(request, reply, &seed))
        return;
    struct generated_bytes *g = malloc(sizeof *g);
    if (!g) {
        reply_error(reply, request, 500, "Out of memory.", "内存不足。");
        return;
    }
    *g = (struct generated_bytes){ n, seed, chunk };
    reply->status = 200;
    reply->content_type = "application/octet-stream";
    reply->stream = (struct reply_stream){ REPLY_LENGTH_UNKNOWN, next_bytes, g, free };
}

/* --- /sse -------------------------------------------------------------------------------- */

#define SSE_COUNT_MAX 1000
#define SSE_RETRY_MAX 86400000u /* a day, in milliseconds */

struct sse {
    uint64_t next_id, last_id; /* the next event to send, and the last of all */
    uint64_t fail_after;       /* events this connection gets before it breaks; 0: no break */
    uint64_t sent;
    uint64_t interval_us, jitter_us, keepalive_us;
    uint64_t random;           /* splitmix64 state for the jitter */
    uint64_t start_us, due_us, keepalive_due_us;
    char event[72];            /* "event: NAME\n", or empty */
    char pending[160];         /* the piece being sent, from pending_sent */
    size_t pending_length, pending_sent;
};

/* The gap before the next event: interval, give or take up to jitter. */
static uint64_t sse_gap(struct sse *s)
{
    if (!s->jitter_us)
        return s->interval_us;
    uint64_t low = s->jitter_us > s->interval_us ? 0 : s->interval_us - s->jitter_us;
    uint64_t high = s->interval_us + s->jitter_us;
    return low + hash_splitmix64(&s->random) % (high - low + 1);
}

static size_t sse_take_pending(struct sse *s, char *buffer, size_t max)
{
    size_t n = s->pending_length - s->pending_sent;
    if (n > max)
        n = max;
    memcpy(buffer, s->pending + s->pending_sent, n);
    s->pending_sent += n;
    return n;
}

static size_t next_event(void *context, uint64_t position, char *buffer, size_t max,
                         uint64_t *wait_us)
{
    (void)position;
    struct sse *s = context;
    uint64_t now = now_us();
    if (!s->start_us) { /* the clock starts with the first byte asked for, after any delay */
        s->start_us = now;
        s->due_us = now;
        s->keepalive_due_us = now + s->keepalive_us;
    }
    if (s->pending_sent < s->pending_length)
        return sse_take_pending(s, buffer, max);
    if (s->next_id > s->last_id)
        return REPLY_STREAM_END;
    if (s->fail_after && s->sent == s->fail_after)
        return REPLY_STREAM_BREAK; /* the events so far went out whole; the rest never come */
    if (timer_shutting_down())
        s->due_us = now; /* shutdown waits for nobody: the rest goes at once */
    int length;
    if (now >= s->due_us) {
        length = snprintf(s->pending, sizeof s->pending,
                          "id: %" PRIu64 "\n%sdata: {\"id\": %" PRIu64 ", \"of\": %" PRIu64
                          "}\n\n",
                          s->next_id, s->event, s->next_id, s->last_id);
        s->next_id++;
        s->sent++;
        s->due_us += sse_gap(s);
        s->keepalive_due_us = now + s->keepalive_us;
    } else if (s->keepalive_us && now >= s->keepalive_due_us) {
        /* A comment line: EventSource ignores it, but proxies see the connection is alive. */
        length = snprintf(s->pending, sizeof s->pending, ": keep-alive\n\n");
        s->keepalive_due_us = now + s->keepalive_us;
    } else {
        uint64_t at = s->due_us;
        if (s->keepalive_us && s->keepalive_due_us < at)
            at = s->keepalive_due_us;
        *wait_us = at - now;
        return 0;
    }
    s->pending_length = (size_t)length;
    s->pending_sent = 0;
    return sse_take_pending(s, buffer, max);
}

static bool sse_refuse(struct request *request, struct reply *reply, const char *parameter,
                       const char *en, const char *zh)
{
    reply_bad_parameter(reply, request, parameter, en, zh);
    return false;
}

/* What /sse was asked for. */
struct sse_options {
    uint64_t count, interval_ms, jitter_ms, keepalive_ms, retry, fail_after, status, last, seed;
    const char *event;
};

/* Reads and bounds every parameter; false with a 400 in reply. */
static bool sse_read(struct request *request, struct reply *reply, struct sse_options *o)
{
    uint64_t max_ms = request->config->max_delay_ms;
    *o = (struct sse_options){ .count = 10, .interval_ms = 1000, .status = 200 };
    uint64_t count = 10, interval_ms = 1000, jitter_ms = 0, keepalive_ms = 0, retry = 0;
    uint64_t fail_after = 0, status = 200, last = 0, seed;
    const char *value, *event = NULL;
    const char *seconds_en = request_printf(request, "seconds from 0 to %llu.%03llu "
                                            "(--max-delay), at most 3 decimals",
                                            (unsigned long long)(max_ms / 1000),
                                            (unsigned long long)(max_ms % 1000));
    const char *seconds_zh = request_printf(request, "0 到 %llu.%03llu 秒（--max-delay），"
                                            "最多 3 位小数",
                                            (unsigned long long)(max_ms / 1000),
                                            (unsigned long long)(max_ms % 1000));
    if ((value = request_query(request, "count")) &&
        (!parse_uint(value, SSE_COUNT_MAX, &count) || count == 0))
        return sse_refuse(request, reply, "count", "a number of events from 1 to 1000",
                          "事件数，1 到 1000");
    if ((value = request_query(request, "interval")) &&
        !parse_seconds_ms(value, max_ms, &interval_ms))
        return sse_refuse(request, reply, "interval", seconds_en, seconds_zh);
    if ((value = request_query(request, "jitter")) && !parse_seconds_ms(value, max_ms, &jitter_ms))
        return sse_refuse(request, reply, "jitter", seconds_en, seconds_zh);
    if ((value = request_query(request, "keepalive")) &&
        (!parse_seconds_ms(value, max_ms, &keepalive_ms) || keepalive_ms == 0))
        return sse_refuse(request, reply, "keepalive", "seconds between comments, from 0.001 "
                          "to --max-delay, at most 3 decimals",
                          "注释行的间隔秒数，0.001 到 --max-delay，最多 3 位小数");
    if ((value = request_query(request, "retry")) && !parse_uint(value, SSE_RETRY_MAX, &retry))
        return sse_refuse(request, reply, "retry", "milliseconds from 0 to 86400000",
                          "毫秒数，0 到 86400000");
    if ((value = request_query(request, "fail_after")) &&
        (!parse_uint(value, SSE_COUNT_MAX, &fail_after) || fail_after == 0))
        return sse_refuse(request, reply, "fail_after",
                          "a number of events from 1 to 1000, after which the connection drops",
                          "事件数，1 到 1000；发送这么多事件后断开连接");
    if ((event = request_query(request, "event")) && !params_valid_token(event))
        return sse_refuse(request, reply, "event", "an event name: a token of 1 to 64 letters, "
                          "digits or !#$%&'*+-.^_`|~",
                          "事件名：1 到 64 个字母、数字或 !#$%&'*+-.^_`|~ 组成的 token");
    if ((value = request_query(request, "status")) &&
        (!parse_uint(value, 599, &status) || (status != 200 && status != 204 && status < 400)))
        return sse_refuse(request, reply, "status",
                          "200, 204 (EventSource stops), or an error from 400 to 599",
                          "200、204（EventSource 停止重连）或 400 到 599 之间的错误状态码");
    /* The whole stream within --max-delay, so that no parameter holds a connection longer
     * than a delay could. */
    if (count * (interval_ms + jitter_ms) > max_ms)
        return sse_refuse(request, reply, "count",
                          request_printf(request, "count × (interval + jitter) at most %llu.%03llu "
                                         "seconds (--max-delay)",
                                         (unsigned long long)(max_ms / 1000),
                                         (unsigned long long)(max_ms % 1000)),
                          request_printf(request, "count × (interval + jitter) 不超过 "
                                         "%llu.%03llu 秒（--max-delay）",
                                         (unsigned long long)(max_ms / 1000),
                                         (unsigned long long)(max_ms % 1000)));
    /* EventSource sends the id of the last event it saw when it reconnects: the stream
     * resumes after it. */
    if ((value = request_header(request, "Last-Event-ID")) &&
        (!parse_uint(value, count, &last)))
        return sse_refuse(request, reply, "Last-Event-ID",
                          request_printf(request, "an event id from 0 to %llu (count)",
                                         (unsigned long long)count),
                          request_printf(request, "0 到 %llu（count）之间的事件 id",
                                         (unsigned long long)count));
    if (!params_read_seed(request, reply, &seed))
        return false;
    *o = (struct sse_options){ count, interval_ms, jitter_ms, keepalive_ms, retry, fail_after,
                               status, last, seed, event };
    return true;
}

void streams_sse(struct request *request, struct reply *reply)
{
    struct sse_options o;
    if (!sse_read(request, reply, &o))
        return;
    uint64_t status = o.status, last = o.last, count = o.count;
    if (status != 200 || last == count) {
        /* 204 also when every event was seen: EventSource then stops reconnecting. */
        reply_explain(reply, request, last == count && status == 200 ? 204 : (unsigned)status, 0);
        reply->note[LANGUAGE_EN] = status != 200 ? "Asked for with ?status= instead of the "
                                                   "event stream."
                                                 : "Every event was already sent (Last-Event-ID).";
        reply->note[LANGUAGE_ZH] = status != 200 ? "按 ?status= 的要求以此代替事件流。"
                                                 : "所有事件均已发送（Last-Event-ID）。";
        return;
    }
    struct sse *s = calloc(1, sizeof *s);
    if (!s) {
        reply_error(reply, request, 500, "Out of memory.", "内存不足。");
        return;
    }
    s->next_id = last + 1;
    s->last_id = count;
    s->fail_after = o.fail_after;
    s->interval_us = o.interval_ms * 1000;
    s->jitter_us = o.jitter_ms * 1000;
    s->keepalive_us = o.keepalive_ms * 1000;
    s->random = o.seed;
    if (o.event)
        snprintf(s->event, sizeof s->event, "event: %s\n", o.event);
    if (request_query(request, "retry")) /* first: it applies to the reconnection after */
        s->pending_length = (size_t)snprintf(s->pending, sizeof s->pending,
                                             "retry: %" PRIu64 "\n\n", o.retry);
    reply->status = 200;
    reply->content_type = "text/event-stream";
    reply->cache_control = "no-cache";
    reply->stream = (struct reply_stream){ REPLY_LENGTH_UNKNOWN, next_event, s, free };
}

/* --- /trailers ----------------------------------------------------------------------------- */

/* RFC 9110 §6.5.1: fields a recipient must not take from a trailer (framing, routing,
 * request modifiers, authentication, response control, and how the content is processed);
 * a client would be tested on a field it has to ignore. */
static bool is_forbidden_trailer(const char *name)
{
    static const char *const forbidden[] = {
        "Transfer-Encoding", "Content-Length", "Trailer", "TE", "Connection", "Keep-Alive",
        "Upgrade", "Host", "Cache-Control", "Expect", "Max-Forwards", "Pragma", "Range",
        "If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since", "If-Range",
        "Authorization", "Proxy-Authorization", "WWW-Authenticate", "Proxy-Authenticate",
        "Authentication-Info", "Proxy-Authentication-Info", "Set-Cookie", "Cookie", "Age",
        "Expires", "Date", "Location", "Retry-After", "Vary", "Warning", "Content-Encoding",
        "Content-Type", "Content-Range", "Content-Language", "Content-Location", "Server",
    };
    for (size_t i = 0; i < sizeof forbidden / sizeof forbidden[0]; i++)
        if (strcasecmp(name, forbidden[i]) == 0)
            return true;
    return false;
}

struct trailer_walk {
    struct request *request;
    struct reply *reply;
    const char *bad; /* the first ?trailer= refused */
    char names[512]; /* for the Trailer header */
};

static bool collect_trailer(void *context, const char *key, const char *value)
{
    struct trailer_walk *w = context;
    if (strcmp(key, "trailer") != 0)
        return true;
    const char *colon = value ? strchr(value, ':') : NULL;
    const char *name = colon ? request_printf(w->request, "%.*s", (int)(colon - value), value)
                             : NULL;
    const char *field = colon ? colon + 1 : NULL;
    while (field && *field == ' ')
        field++;
    size_t used = strlen(w->names);
    if (!name || !params_valid_token(name) || is_forbidden_trailer(name) ||
        w->reply->trailer_count == REPLY_MAX_TRAILERS ||
        used + strlen(name) + 3 > sizeof w->names || !reply_add_trailer(w->reply, name, field)) {
        w->bad = value ? value : "";
        return false;
    }
    snprintf(w->names + used, sizeof w->names - used, "%s%s", used ? ", " : "", name);
    return true;
}

void streams_trailers(struct request *request, struct reply *reply)
{
    reply_explain(reply, request, 200, 0);
    struct trailer_walk w = { .request = request, .reply = reply };
    request_each(request, REQUEST_QUERY, collect_trailer, &w);
    if (w.bad) {
        reply_bad_parameter(reply, request, "trailer",
                            "Name:Value, at most 8: the name a token that RFC 9110 §6.5.1 "
                            "allows in a trailer (not Content-Length, Host, Cache-Control, "
                            "Authorization, ...), the value printable ASCII without control "
                            "bytes",
                            "Name:Value，最多 8 个：名称须为 RFC 9110 §6.5.1 允许出现在 trailer "
                            "中的 token（不能是 Content-Length、Host、Cache-Control、"
                            "Authorization 等），值须为不含控制字符的可打印 ASCII");
        return;
    }
    if (!reply->trailer_count) {
        reply_add_trailer(reply, "Server-Timing", "trailers;desc=\"sent after the body\"");
        snprintf(w.names, sizeof w.names, "Server-Timing");
    }
    const char *names = request_printf(request, "%s", w.names);
    reply_set_header(reply, "Trailer", names);
    reply->note[LANGUAGE_EN] = request_printf(request, "Trailer fields follow this body: %s. "
                                              "HTTP/1.1 sends them after the last chunk "
                                              "(curl --raw shows them).", w.names);
    reply->note[LANGUAGE_ZH] = request_printf(request, "此消息体之后跟随 trailer 字段：%s。"
                                              "HTTP/1.1 在最后一个 chunk 之后发送它们"
                                              "（curl --raw 可见）。", w.names);
}
