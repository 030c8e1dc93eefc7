/* libmicrohttpd's side of answering: a struct response (http/response.c) becomes an
 * MHD_Response. Bodies made over time, bodies cut short on purpose and protocol switches need
 * the library's callbacks; everything else is a buffer. */
#include "mhd_response.h"

#include "timer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* A reply_stream as a libmicrohttpd callback body: when nothing is due, the connection is
 * suspended and the timer resumes it, since returning 0 without suspending would spin
 * (docs/libmicrohttpd.md §4). */
struct stream_body {
    struct MHD_Connection *connection;
    struct reply_stream stream;
    bool suspended; /* waiting for the timer: the next call is the resumed one */
};

static ssize_t read_stream(void *cls, uint64_t position, char *buffer, size_t max)
{
    struct stream_body *s = cls;
    if (s->suspended) {
        s->suspended = false;
        timer_release_due(); /* the rest of this thread's due waits, in one batch */
    }
    if (position >= s->stream.length)
        return MHD_CONTENT_READER_END_OF_STREAM;
    uint64_t wait_us = 0;
    size_t n = s->stream.next(s->stream.context, position, buffer, max, &wait_us);
    if (n)
        return (ssize_t)n;
    MHD_suspend_connection(s->connection);
    s->suspended = true;
    /* Scheduled after suspending, so the resume can never come first. */
    if (!timer_resume_at(s->connection, now_us() + wait_us))
        MHD_resume_connection(s->connection);
    return 0;
}

static void free_stream(void *cls)
{
    struct stream_body *s = cls;
    if (s->stream.free_context)
        s->stream.free_context(s->stream.context);
    free(s);
}

/* Takes *stream over (it is cleared): the response frees its context from now on. */
static struct MHD_Response *build_stream(struct request *request, struct reply_stream *stream)
{
    struct stream_body *s = malloc(sizeof *s);
    if (!s)
        return NULL;
    *s = (struct stream_body){ request->transport_context, *stream };
    struct MHD_Response *response =
        MHD_create_response_from_callback(s->stream.length, 1024, read_stream, s, free_stream);
    if (!response) {
        free(s);
        return NULL;
    }
    *stream = (struct reply_stream){ 0 };
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
    switch (r.kind) {
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
        response = build_stream(request, &r.stream);
        break;
    case RESPONSE_TRUNCATED:
        response = build_truncated(r.body, r.body_length);
        break;
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
    *body_length = r.body_length;
    return response;
}
