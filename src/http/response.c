/* A reply becomes a response: see response.h. */
#include "response.h"

#include "hash.h"
#include "range.h"
#include "render.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct reply_header response_common_headers[RESPONSE_COMMON_HEADER_COUNT] = {
    { "Server", "statusd/" STATUSD_VERSION },
    { "Access-Control-Allow-Origin", "*" },
    { "Access-Control-Expose-Headers", EXPOSED_HEADERS },
};

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

/* Appends a header; false (the response is then refused whole) when it does not fit or its
 * value could not be made. */
static bool add(struct response *out, const char *name, const char *value)
{
    if (!value || out->header_count == RESPONSE_MAX_HEADERS)
        return false;
    out->headers[out->header_count++] = (struct reply_header){ name, value };
    return true;
}

static bool add_common(struct response *out)
{
    bool ok = true;
    for (size_t i = 0; i < RESPONSE_COMMON_HEADER_COUNT; i++)
        ok &= add(out, response_common_headers[i].name, response_common_headers[i].value);
    return ok;
}

void response_release(struct response *out)
{
    free(out->owned_body);
    out->owned_body = NULL;
    if (out->stream.free_context)
        out->stream.free_context(out->stream.context);
    out->stream = (struct reply_stream){ 0 };
}

/* A body made over time (/drip) or cut short on purpose (/fault/truncate): the reply's
 * headers, its type, Cache-Control and the common set. */
static bool shaped_body(struct reply *reply, struct response *out)
{
    bool ok = true;
    for (size_t i = 0; i < reply->header_count; i++)
        ok &= add(out, reply->headers[i].name, reply->headers[i].value);
    ok &= add(out, "Content-Type", reply->content_type ? reply->content_type
                                                      : "application/octet-stream");
    ok &= add(out, "Cache-Control", reply->cache_control ? reply->cache_control : "no-store");
    ok &= add_common(out);
    out->body_length = reply->fault == FAULT_TRUNCATE ? reply->body_length
                                                      : reply->stream.length;
    if (reply->fault == FAULT_TRUNCATE) {
        out->kind = RESPONSE_TRUNCATED;
        out->body = reply->body;
    } else { /* the response owns the stream from now on */
        out->kind = RESPONSE_STREAM;
        out->stream = reply->stream;
        reply->stream = (struct reply_stream){ 0 };
    }
    if (!ok)
        response_release(out);
    return ok;
}

bool response_from_reply(struct request *request, struct reply *reply, struct response *out)
{
    *out = (struct response){ .status = reply->status, .kind = RESPONSE_BUFFER,
                              .shape = reply->shape };
    /* Trailers only follow a body a client can see end: never after a 204 or a 304. */
    if (status_has_content(reply->status)) {
        memcpy(out->trailers, reply->trailers, reply->trailer_count * sizeof *out->trailers);
        out->trailer_count = reply->trailer_count;
    }
    enum reply_kind kind = reply_kind(reply);
    if (kind == REPLY_FAULT || kind == REPLY_STREAM) /* the faults that get here: truncate */
        return shaped_body(reply, out);
    char *body = NULL;
    size_t length = 0;
    bool explained = reply->body == NULL;
    /* A 304 is built with its 200's bytes: libmicrohttpd sends their length, not them. */
    if (explained && (status_has_content(reply->status) || reply->status == 304)) {
        struct strbuf rendered = { 0 };
        render_explanation(&rendered, request->format, request->languages, reply);
        body = strbuf_take(&rendered, &length);
        if (!body)
            return false;
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
        return response_from_reply(request, reply, out);
    }
    /* Hashing a body costs time proportional to it: only for a catalogue {etag}. */
    char etag[24] = "";
    for (size_t i = 0; i < reply->header_count; i++)
        if (is_catalogue_value(reply, &reply->headers[i]) &&
            strstr(reply->headers[i].value, "{etag}"))
            entity_tag(body ? body : reply->body, body ? length : reply->body_length, etag,
                       sizeof etag);
    if (!body && reply->owned_body) {
        /* The response takes the handler's buffer over; nobody else may free it now. */
        body = reply->owned_body;
        length = reply->body_length;
        reply->owned_body = NULL;
    }
    if (body) {
        out->owned_body = body;
        out->body = body;
    } else {
        out->body = reply->body;
        length = reply->body ? reply->body_length : 0;
    }
    out->body_length = length;
    bool ok = true;
    uint64_t representation_length = reply->status == 206 ? full : length;
    for (size_t i = 0; !reply->headers_described_only && i < reply->header_count; i++) {
        /* Only the catalogue's own values hold placeholders: a value that came from the
         * request ("/etag/{etag}") is sent as it is. */
        const char *value = is_catalogue_value(reply, &reply->headers[i])
                                ? fill_placeholders(request, reply->headers[i].value,
                                                    representation_length, first, last, etag)
                                : reply->headers[i].value;
        ok &= add(out, reply->headers[i].name, value);
    }
    bool metadata = status_has_content(reply->status);
    if (metadata)
        ok &= add(out, "Content-Type", reply->content_type ? reply->content_type
                                                          : format_content_types[request->format]);
    if (reply->lean) {
        ok &= add(out, "Server", "statusd/" STATUSD_VERSION);
    } else {
        if (metadata && request->format == FORMAT_HTML && explained)
            ok &= add(out, "Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'");
        if (!reply_get_header(reply, "Cache-Control"))
            ok &= add(out, "Cache-Control", reply->cache_control ? reply->cache_control
                                                                : "no-store");
        if (explained && !reply_get_header(reply, "Vary"))
            ok &= add(out, "Vary", "Accept, Accept-Language");
        if (!reply_get_header(reply, "Access-Control-Expose-Headers")) {
            ok &= add_common(out);
        } else {
            ok &= add(out, "Server", "statusd/" STATUSD_VERSION);
            ok &= add(out, "Access-Control-Allow-Origin", "*");
        }
    }
    if (!ok)
        response_release(out);
    return ok;
}
