#include "response.h"

#include "hash.h"
#include "range.h"
#include "render.h"
#include "timer.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct reply_header response_common_headers[RESPONSE_COMMON_HEADER_COUNT] = {
    { "Server", "statusd/" STATUSD_VERSION },
    { "Access-Control-Allow-Origin", "*" },
    { "Access-Control-Expose-Headers", EXPOSED_HEADERS },
};

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
};

static ssize_t read_stream(void *cls, uint64_t position, char *buffer, size_t max)
{
    struct stream_body *s = cls;
    if (position >= s->stream.length)
        return MHD_CONTENT_READER_END_OF_STREAM;
    uint64_t wait_us = 0;
    size_t n = s->stream.next(s->stream.context, position, buffer, max, &wait_us);
    if (n)
        return (ssize_t)n;
    MHD_suspend_connection(s->connection);
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

/* Takes reply->stream over (it is cleared): the response frees its context from now on. */
static struct MHD_Response *build_stream(struct request *request, struct reply *reply)
{
    struct stream_body *s = malloc(sizeof *s);
    if (!s)
        return NULL;
    *s = (struct stream_body){ request->transport_context, reply->stream };
    struct MHD_Response *response =
        MHD_create_response_from_callback(s->stream.length, 1024, read_stream, s, free_stream);
    if (!response) {
        free(s);
        return NULL;
    }
    reply->stream = (struct reply_stream){ 0 };
    return response;
}

static struct MHD_Response *build_truncated(const struct reply *reply)
{
    struct truncated_body *t = malloc(sizeof *t);
    if (!t)
        return NULL;
    *t = (struct truncated_body){ reply->body, reply->body_length };
    struct MHD_Response *response =
        MHD_create_response_from_callback(t->length, 4096, read_truncated, t, free);
    if (!response)
        free(t);
    return response;
}

/* A strong entity tag from the body's bytes (FNV-1a): the same representation, the same tag. */
static void entity_tag(const char *body, size_t length, char *tag, size_t tag_size)
{
    uint64_t hash = hash_fnv1a64(HASH_FNV1A64_OFFSET, body, length);
    snprintf(tag, tag_size, "\"%016" PRIx64 "\"", hash);
}

/* Whether a reply header still holds the catalogue's default value (the very same string). */
static bool is_catalogue_value(const struct reply *reply, const struct reply_header *header)
{
    const struct catalog_header *h = catalog_header(reply->entry, header->name);
    return h && h->value == header->value;
}

/* Replaces {length}, {first}, {end} and {etag} in a header value now that the body is known. */
static const char *fill_placeholders(struct request *request, const char *value,
                                     uint64_t length, uint64_t first, uint64_t end,
                                     const char *etag)
{
    if (!strchr(value, '{'))
        return value;
    char filled[512];
    size_t n = 0;
    for (const char *p = value; *p && n < sizeof filled - 32;) {
        if (strncmp(p, "{length}", 8) == 0) {
            n += (size_t)snprintf(filled + n, sizeof filled - n, "%" PRIu64, length);
            p += 8;
        } else if (strncmp(p, "{first}", 7) == 0) {
            n += (size_t)snprintf(filled + n, sizeof filled - n, "%" PRIu64, first);
            p += 7;
        } else if (strncmp(p, "{end}", 5) == 0) {
            n += (size_t)snprintf(filled + n, sizeof filled - n, "%" PRIu64, end);
            p += 5;
        } else if (strncmp(p, "{etag}", 6) == 0) {
            n += (size_t)snprintf(filled + n, sizeof filled - n, "%s", etag);
            p += 6;
        } else {
            filled[n++] = *p++;
        }
    }
    filled[n] = '\0';
    return request_printf(request, "%s", filled);
}

/* 206 of the explanation itself (SPEC §2): the requested range, or the first half. Returns
 * false when the Range cannot be satisfied. */
static bool slice_for_partial(struct request *request, char *body, size_t *length,
                              uint64_t *first, uint64_t *last, uint64_t *full)
{
    *full = *length;
    struct byte_range ranges[RANGE_MAX];
    size_t count;
    enum range_result result = range_parse(request_header(request, "Range"), *length, ranges,
                                           &count);
    if (result == RANGE_UNSATISFIABLE)
        return false;
    if (result == RANGE_SATISFIABLE) {
        /* Several ranges would need multipart/byteranges; /range/{n} does that. Here the
         * first is sent, which RFC 9110 §14.2 allows (a server may serve a subset). */
        *first = ranges[0].first;
        *last = ranges[0].last;
    } else if (*length == 0) {
        return false; /* nothing to take a half of: the range cannot be satisfied */
    } else {
        *first = 0;
        *last = *length > 1 ? *length / 2 - 1 : 0;
    }
    memmove(body, body + *first, (size_t)(*last - *first + 1));
    *length = (size_t)(*last - *first + 1);
    return true;
}

/* A 101 that hands the connection to reply->upgrade_handler (websocket.c). libmicrohttpd
 * 0.9.75 adds "Connection: Upgrade" itself; a second one would read "Upgrade, Upgrade" on the
 * wire (docs/libmicrohttpd.md §1), so only the reply's own headers (Upgrade, Sec-WebSocket-Accept) go in. */
static struct MHD_Response *build_upgrade(struct reply *reply, uint64_t *body_length)
{
    struct MHD_Response *response = MHD_create_response_for_upgrade(reply->upgrade_handler, NULL);
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

struct MHD_Response *response_build(struct request *request, struct reply *reply,
                                    uint64_t *body_length)
{
    if (reply->upgrade_handler)
        return build_upgrade(reply, body_length);
    if (reply->shared) {
        *body_length = reply->shared_length;
        return reply->shared;
    }
    if (reply->fault == FAULT_TRUNCATE && !(reply->prepared = build_truncated(reply)))
        return NULL;
    if (reply->stream.next && !(reply->prepared = build_stream(request, reply)))
        return NULL;
    if (reply->prepared) {
        struct MHD_Response *prepared = reply->prepared;
        for (size_t i = 0; i < reply->header_count; i++)
            MHD_add_response_header(prepared, reply->headers[i].name, reply->headers[i].value);
        MHD_add_response_header(prepared, MHD_HTTP_HEADER_CONTENT_TYPE,
                                reply->content_type ? reply->content_type
                                                    : "application/octet-stream");
        MHD_add_response_header(prepared, MHD_HTTP_HEADER_CACHE_CONTROL,
                                reply->cache_control ? reply->cache_control : "no-store");
        response_add_common_headers(prepared);
        *body_length = reply->body_length;
        return prepared;
    }
    char *body = NULL;
    size_t length = 0;
    bool explained = reply->body == NULL;
    /* A 304 is built with its 200's bytes: libmicrohttpd sends their length, not them. */
    if (explained && (status_has_content(reply->status) || reply->status == 304)) {
        struct strbuf out = { 0 };
        render_explanation(&out, request->format, request->languages, reply);
        body = strbuf_take(&out, &length);
        if (!body)
            return NULL;
    }
    uint64_t first = 0, last = 0, full = length;
    if (reply->status == 206 && explained &&
        !slice_for_partial(request, body, &length, &first, &last, &full)) {
        free(body);
        struct reply unsatisfiable;
        reply_error(&unsatisfiable, request, 416,
                    "The Range header asks for bytes beyond the end of this explanation.",
                    "Range 请求头要求的字节超出了这份说明的末尾。");
        /* RFC 9110 §14.4: the length of the representation the range was asked of. */
        reply_set_header(&unsatisfiable, "Content-Range",
                         request_printf(request, "bytes */%" PRIu64, full));
        *reply = unsatisfiable;
        return response_build(request, reply, body_length);
    }
    /* Hashing a body costs time proportional to it: only for a catalogue {etag}. */
    char etag[24] = "";
    for (size_t i = 0; i < reply->header_count; i++)
        if (is_catalogue_value(reply, &reply->headers[i]) &&
            strstr(reply->headers[i].value, "{etag}"))
            entity_tag(body ? body : reply->body, body ? length : reply->body_length, etag,
                       sizeof etag);
    struct MHD_Response *response;
    if (!body && reply->owned_body) {
        /* The response takes the handler's buffer over; nobody else may free it now. */
        body = reply->owned_body;
        length = reply->body_length;
        reply->owned_body = NULL;
    }
    if (body)
        response = MHD_create_response_from_buffer(length, body, MHD_RESPMEM_MUST_FREE);
    else
        response = MHD_create_response_from_buffer(reply->body ? reply->body_length : 0,
                                                   (void *)reply->body, MHD_RESPMEM_PERSISTENT);
    if (!response) {
        free(body);
        return NULL;
    }
    if (!body)
        length = reply->body ? reply->body_length : 0;
    *body_length = length;
    uint64_t representation_length = reply->status == 206 ? full : length;
    for (size_t i = 0; !reply->headers_described_only && i < reply->header_count; i++) {
        /* Only the catalogue's own values hold placeholders: a value that came from the
         * request ("/etag/{etag}") is sent as it is. */
        const char *value = is_catalogue_value(reply, &reply->headers[i])
                                ? fill_placeholders(request, reply->headers[i].value,
                                                    representation_length, first, last, etag)
                                : reply->headers[i].value;
        if (value)
            MHD_add_response_header(response, reply->headers[i].name, value);
    }
    bool metadata = status_has_content(reply->status);
    if (metadata)
        MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE,
                                reply->content_type ? reply->content_type
                                                    : format_content_types[request->format]);
    if (reply->lean) {
        MHD_add_response_header(response, MHD_HTTP_HEADER_SERVER, "statusd/" STATUSD_VERSION);
        return response;
    }
    if (metadata && request->format == FORMAT_HTML && explained)
        MHD_add_response_header(response, "Content-Security-Policy",
                                "default-src 'self'; frame-ancestors 'none'");
    if (!reply_get_header(reply, "Cache-Control"))
        MHD_add_response_header(response, MHD_HTTP_HEADER_CACHE_CONTROL,
                                reply->cache_control ? reply->cache_control : "no-store");
    if (explained && !reply_get_header(reply, "Vary"))
        MHD_add_response_header(response, MHD_HTTP_HEADER_VARY, "Accept, Accept-Language");
    if (!reply_get_header(reply, "Access-Control-Expose-Headers"))
        response_add_common_headers(response);
    else {
        MHD_add_response_header(response, MHD_HTTP_HEADER_SERVER, "statusd/" STATUSD_VERSION);
        MHD_add_response_header(response, "Access-Control-Allow-Origin", "*");
    }
    return response;
}
