/* libmicrohttpd's side of answering: a struct response (http/response.c) becomes an
 * MHD_Response. Bodies made over time, bodies cut short on purpose and protocol switches need
 * the library's callbacks; everything else is a buffer. */
#include "mhd_response.h"

#include "config.h"
#include "timer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

bool response_add_common_headers(struct MHD_Response *response)
{
    bool added = true;
    for (size_t i = 0; i < RESPONSE_COMMON_HEADER_COUNT; i++)
        added &= MHD_add_response_header(response, response_common_headers[i].name,
                                         response_common_headers[i].value) == MHD_YES;
    return added;
}

/* /fault/truncate: a body that sends half of what its Content-Length promises, then ends
 * with an error, so libmicrohttpd closes the connection with the rest missing. */
struct truncated_body {
    const char *text;
    size_t length;
};

static ssize_t read_truncated(void *cls, uint64_t position, char *buffer, size_t max)
{
    const struct truncated_body *t = cls;
    if (position >= t->length / 2)
        return MHD_CONTENT_READER_END_WITH_ERROR; /* the promised rest never comes */
    size_t n = t->length / 2 - (size_t)position;
    if (n > max)
        n = max;
    memcpy(buffer, t->text + position, n);
    return (ssize_t)n;
}

/* A body sent through libmicrohttpd's callback: a reply_stream (/drip, /sse), or a finished
 * buffer that must go out paced, sliced, cut short or followed by trailers. When nothing is
 * due, the connection is suspended and the timer resumes it, since returning 0 without
 * suspending would spin (docs/libmicrohttpd.md §4). */
struct stream_body {
    struct MHD_Connection *connection;
    struct reply_stream stream; /* stream.next NULL: the bytes of buffer, stream.length long */
    const char *buffer;
    char *owned_buffer;         /* freed with the body */
    struct reply_shape shape;
    uint64_t rate_start_us;     /* when the first byte was asked for (after any delay) */
    uint64_t rate_limit_us;     /* --max-delay: a throttled body is never slower for longer */
    bool suspended;             /* waiting for the timer: the next call is the resumed one */
};

/* ?rate=: the first slice goes at once, then rate bytes a second, released a tenth of a
 * second's worth at a time, so a slow body costs ten wake-ups a second, not one per byte. */
static uint64_t rate_slice(uint64_t rate)
{
    uint64_t slice = rate / 10;
    return slice < 1 ? 1 : slice > 65536 ? 65536 : slice;
}

/* How many bytes from position may go now under ?rate=; when none, *wait_us says when the
 * next slice is due. */
static uint64_t rate_allowance(struct stream_body *s, uint64_t position, uint64_t *wait_us)
{
    uint64_t now = now_us(), rate = s->shape.rate, slice = rate_slice(rate);
    if (!s->rate_start_us)
        s->rate_start_us = now;
    uint64_t elapsed = now - s->rate_start_us;
    /* Shutdown waits for no throttled body, and no body holds its connection longer than a
     * delay could: after --max-delay the rest goes at full speed. */
    if (timer_shutting_down() || elapsed >= s->rate_limit_us)
        return UINT64_MAX;
    /* elapsed * rate / 10^6 in two parts, so that neither product can overflow */
    uint64_t due = slice + (elapsed / 1000000) * rate + (elapsed % 1000000) * rate / 1000000;
    if (due > position)
        return due - position;
    /* The next slice is due when elapsed * rate / 10^6 reaches position. */
    uint64_t at_us = position / rate * 1000000 + ((position % rate) * 1000000 + rate - 1) / rate;
    *wait_us = at_us > elapsed ? at_us - elapsed : 1000;
    return 0;
}

/* Breaks the body off (?abort_after=, /sse?fail_after=): the client sees the connection end
 * right after the bytes already sent. Reporting the error alone is not enough: libmicrohttpd
 * 0.9.75 then marks the connection closed but closes its socket only at the next event on it,
 * which for a chunked body, or an error before the first byte, is the --timeout later
 * (docs/libmicrohttpd.md §2). Shutting the socket down is that event, at once. */
static ssize_t break_off(struct stream_body *s)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(s->connection, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (info)
        shutdown(info->connect_fd, SHUT_RDWR);
    return MHD_CONTENT_READER_END_WITH_ERROR;
}

static ssize_t read_stream(void *cls, uint64_t position, char *buffer, size_t max)
{
    struct stream_body *s = cls;
    if (s->suspended) {
        s->suspended = false;
        timer_release_due(); /* the rest of this thread's due waits, in one batch */
    }
    if (s->shape.abort && position >= s->shape.abort_after)
        return break_off(s); /* ?abort_after=: the rest never comes */
    if (s->stream.length != REPLY_LENGTH_UNKNOWN && position >= s->stream.length)
        return MHD_CONTENT_READER_END_OF_STREAM;
    uint64_t limit = max, wait_us = 0;
    if (s->shape.chunk && s->shape.chunk < limit)
        limit = s->shape.chunk;
    if (s->shape.abort && s->shape.abort_after - position < limit)
        limit = s->shape.abort_after - position;
    if (s->shape.rate) {
        uint64_t allowed = rate_allowance(s, position, &wait_us);
        if (allowed < limit)
            limit = allowed;
    }
    size_t n = 0;
    if (limit == 0) {
        n = 0; /* throttled: wait_us says until when */
    } else if (!s->stream.next) {
        n = (size_t)(s->stream.length - position < limit ? s->stream.length - position : limit);
        memcpy(buffer, s->buffer + position, n);
    } else {
        n = s->stream.next(s->stream.context, position, buffer, (size_t)limit, &wait_us);
        if (n == REPLY_STREAM_END)
            return MHD_CONTENT_READER_END_OF_STREAM;
        if (n == REPLY_STREAM_BREAK)
            return break_off(s);
    }
    if (n)
        return (ssize_t)n;
    MHD_suspend_connection(s->connection);
    s->suspended = true;
    /* Scheduled after suspending, so the resume can never come first. */
    if (!timer_resume_at(s->connection, now_us() + wait_us))
        MHD_resume_connection(s->connection);
    return 0;
}

/* The body of a HEAD answer to a stream: never read, since HEAD gets none. */
static ssize_t read_nothing(void *cls, uint64_t position, char *buffer, size_t max)
{
    (void)cls;
    (void)position;
    (void)buffer;
    (void)max;
    return MHD_CONTENT_READER_END_OF_STREAM;
}

/* The HEAD of what GET gets chunked. libmicrohttpd 0.9.75 writes a chunked body's last chunk
 * even after a HEAD's head (docs/libmicrohttpd.md §2), which a keep-alive client would read as
 * the start of its next response. The connection closes after this one, so those bytes reach
 * nobody; GET's head differs only by Connection: close. */
static struct MHD_Response *build_head_of_chunked(void)
{
    struct MHD_Response *response =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64, read_nothing, NULL, NULL);
    if (response && MHD_add_response_header(response, "Connection", "close") != MHD_YES) {
        MHD_destroy_response(response);
        return NULL;
    }
    return response;
}

static void free_stream(void *cls)
{
    struct stream_body *s = cls;
    if (s->stream.free_context)
        s->stream.free_context(s->stream.context);
    free(s->owned_buffer);
    free(s);
}

/* Takes r's stream or buffer over (cleared in r): the response frees it from now on. A body
 * with trailers, or sliced by ?chunk=, is chunked (its size left unknown to libmicrohttpd):
 * trailers travel only in a chunked body's last chunk, and each slice is then one chunk a
 * client can see. */
static struct MHD_Response *build_stream(struct request *request, struct response *r)
{
    struct stream_body *s = malloc(sizeof *s);
    if (!s)
        return NULL;
    *s = (struct stream_body){ .connection = request->transport_context, .shape = r->shape,
                               .rate_limit_us = request->config->max_delay_ms * 1000 };
    if (r->kind == RESPONSE_STREAM) {
        s->stream = r->stream;
    } else {
        s->stream.length = r->body_length;
        s->buffer = r->body;
        s->owned_buffer = r->owned_body;
    }
    uint64_t size = s->stream.length;
    if (r->trailer_count || r->shape.chunk)
        size = MHD_SIZE_UNKNOWN;
    /* libmicrohttpd allocates a buffer of this size per response: no larger than one piece
     * can be (a slice of ?chunk= or of ?rate=), so 10,000 slow bodies do not each hold 16 KiB
     * they never fill. A stream's pieces are small: 1 KiB. */
    uint64_t block = r->kind == RESPONSE_STREAM ? 1024 : 16384;
    if (r->shape.chunk && r->shape.chunk < block)
        block = r->shape.chunk;
    if (r->shape.rate && rate_slice(r->shape.rate) < block)
        block = rate_slice(r->shape.rate) < 256 ? 256 : rate_slice(r->shape.rate);
    struct MHD_Response *response =
        MHD_create_response_from_callback(size, (size_t)block, read_stream, s, free_stream);
    if (!response) {
        free(s);
        return NULL;
    }
    for (size_t i = 0; i < r->trailer_count; i++)
        if (MHD_add_response_footer(response, r->trailers[i].name, r->trailers[i].value) !=
            MHD_YES) {
            MHD_destroy_response(response); /* frees s, which owns the body now */
            r->stream = (struct reply_stream){ 0 };
            r->owned_body = NULL;
            return NULL;
        }
    r->stream = (struct reply_stream){ 0 };
    r->owned_body = NULL;
    return response;
}

static struct MHD_Response *build_truncated(const char *text, uint64_t length)
{
    struct truncated_body *t = malloc(sizeof *t);
    if (!t)
        return NULL;
    *t = (struct truncated_body){ text, (size_t)length };
    struct MHD_Response *response =
        MHD_create_response_from_callback(t->length, 4096, read_truncated, t, free);
    if (!response)
        free(t);
    return response;
}

/* After the 101, libmicrohttpd hands the socket over through its upgrade API; the reply's
 * transport-free handler (websocket.c) gets it as a struct upgraded_connection, and gives it
 * back through finish(), which asks libmicrohttpd to close it (docs/libmicrohttpd.md §1:
 * never close() an upgraded socket). */
static void finish_upgraded(struct upgraded_connection *connection)
{
    MHD_upgrade_action(connection->transport, MHD_UPGRADE_ACTION_CLOSE);
    free(connection);
}

static void on_upgrade(void *cls, struct MHD_Connection *mhd_connection, void *context,
                       const char *extra_in, size_t extra_in_size, MHD_socket fd,
                       struct MHD_UpgradeResponseHandle *upgrade)
{
    (void)mhd_connection;
    (void)context;
    const struct reply_upgrade *taker = cls;
    struct upgraded_connection *connection = malloc(sizeof *connection);
    if (!connection) {
        MHD_upgrade_action(upgrade, MHD_UPGRADE_ACTION_CLOSE);
        return;
    }
    *connection = (struct upgraded_connection){ fd, extra_in, extra_in_size, finish_upgraded,
                                                upgrade };
    taker->take(connection);
}

/* A 101 that hands the connection to reply->upgrade_handler. libmicrohttpd 0.9.75 adds
 * "Connection: Upgrade" itself; a second one would read "Upgrade, Upgrade" on the wire
 * (docs/libmicrohttpd.md §1), so only the reply's own headers (Upgrade,
 * Sec-WebSocket-Accept) go in. The taker (a constant) travels as the callback's argument. */
static struct MHD_Response *build_upgrade(struct reply *reply, uint64_t *body_length)
{
    struct MHD_Response *response =
        MHD_create_response_for_upgrade(on_upgrade, (void *)reply->upgrade_handler);
    if (!response)
        return NULL;
    for (size_t i = 0; i < reply->header_count; i++)
        if (MHD_add_response_header(response, reply->headers[i].name, reply->headers[i].value) !=
            MHD_YES) {
            MHD_destroy_response(response);
            return NULL;
        }
    response_add_common_headers(response);
    *body_length = 0;
    return response;
}

struct MHD_Response *mhd_response_build(struct request *request, struct reply *reply,
                                        uint64_t *body_length)
{
    switch (reply_kind(reply)) {
    case REPLY_UPGRADE:
        return build_upgrade(reply, body_length);
    case REPLY_SHARED:
        *body_length = reply->shared_length;
        return (struct MHD_Response *)reply->shared;
    default:
        break;
    }
    struct response r;
    if (!response_from_reply(request, reply, &r)) {
        fprintf(stderr, "statusd: %s %s: the response could not be built (out of memory, or a "
                        "header did not fit); the connection is closed\n",
                request->method, request->path);
        return NULL;
    }
    struct MHD_Response *response = NULL;
    bool head = request->method_id == METHOD_HEAD;
    /* Never a callback body for a status without content (204, 304): libmicrohttpd would frame
     * one of unknown size as chunked even there (docs/libmicrohttpd.md §2). */
    bool content = status_has_content(r.status);
    /* What GET gets as a chunked body: a stream of unknown length, a body with trailers (they
     * travel after the last chunk), a body sliced by ?chunk= (each slice a chunk). */
    bool chunked = content && ((r.kind == RESPONSE_STREAM &&
                                r.stream.length == REPLY_LENGTH_UNKNOWN) ||
                               r.trailer_count || r.shape.chunk);
    bool callback = content && (r.trailer_count || reply_shape_active(&r.shape));
    if (head && chunked) {
        response = build_head_of_chunked();
    } else {
        switch (callback && r.kind == RESPONSE_BUFFER ? RESPONSE_STREAM : r.kind) {
        case RESPONSE_BUFFER:
            if (r.owned_body) {
                response = MHD_create_response_from_buffer(r.body_length, r.owned_body,
                                                           MHD_RESPMEM_MUST_FREE);
                if (response)
                    r.owned_body = NULL; /* the response frees it */
            } else {
                response = MHD_create_response_from_buffer(r.body_length, (void *)r.body,
                                                           MHD_RESPMEM_PERSISTENT);
            }
            break;
        case RESPONSE_STREAM:
            response = build_stream(request, &r);
            break;
        case RESPONSE_TRUNCATED:
            response = build_truncated(r.body, r.body_length);
            break;
        }
    }
    bool ok = response != NULL;
    for (size_t i = 0; ok && i < r.header_count; i++)
        ok = MHD_add_response_header(response, r.headers[i].name, r.headers[i].value) == MHD_YES;
    response_release(&r);
    if (!ok) {
        if (response)
            MHD_destroy_response(response);
        fprintf(stderr, "statusd: %s %s: libmicrohttpd refused the response or a header of it; "
                        "the connection is closed\n", request->method, request->path);
        return NULL;
    }
    /* For the access log: a stream of unknown length is logged as 0 bytes. */
    *body_length = r.body_length == REPLY_LENGTH_UNKNOWN ? 0 : r.body_length;
    return response;
}
