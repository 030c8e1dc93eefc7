/* A reply becomes a response: see response.h. */
#include "response.h"

#include "hash.h"
#include "range.h"
#include "render.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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
static bool catalogue_header_value(const struct reply *reply, const char *name,
                                   const char *value)
{
    const struct catalog_header *h = catalog_header(reply->entry, name);
    return h && h->value == value;
}

static bool is_catalogue_value(const struct reply *reply, const struct reply_header *header)
{
    return catalogue_header_value(reply, header->name, header->value);
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

struct response *response_freeze(const struct response *response)
{
    if (response->kind != RESPONSE_BUFFER || response->trailer_count ||
        reply_shape_active(&response->shape))
        return NULL;
    size_t size = sizeof *response + (size_t)response->body_length;
    for (size_t i = 0; i < response->header_count; i++)
        size += strlen(response->headers[i].name) + strlen(response->headers[i].value) + 2;
    struct response *frozen = malloc(size);
    if (!frozen)
        return NULL;
    *frozen = (struct response){ .status = response->status, .kind = RESPONSE_BUFFER,
                                 .body_length = response->body_length,
                                 .header_count = response->header_count };
    char *text = (char *)(frozen + 1);
    if (response->body_length)
        memcpy(text, response->body, (size_t)response->body_length);
    frozen->body = text;
    text += response->body_length;
    for (size_t i = 0; i < response->header_count; i++) {
        frozen->headers[i].name = strcpy(text, response->headers[i].name);
        text += strlen(text) + 1;
        frozen->headers[i].value = strcpy(text, response->headers[i].value);
        text += strlen(text) + 1;
    }
    return frozen;
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

enum response_encoding response_encoding(const struct request *request, enum coding *coding)
{
    *coding = CODING_IDENTITY;
    const char *asked = request_query(request, "encoding");
    if (!asked)
        return ENCODING_NOT_ASKED;
    if (strcmp(asked, "auto") != 0)
        return ENCODING_BAD_PARAMETER;
    return negotiate_coding(request_header(request, "Accept-Encoding"), coding)
               ? ENCODING_NEGOTIATED
               : ENCODING_NONE_ACCEPTABLE;
}

/* Before a reply is replaced by a refusal (reply_error clears it): the handler's malloc'ed
 * body would otherwise be lost. */
static void drop_owned_body(struct reply *reply)
{
    free(reply->owned_body);
    reply->owned_body = NULL;
    reply->body = NULL;
}

/* The content coding of this reply's body: the one the route fixed (/gzip), or the one
 * ?encoding=auto negotiated. False when the reply was replaced by a refusal instead (400 for
 * a bad ?encoding=, 406 when no coding is acceptable), which is then built without
 * negotiating again. *vary says whether Accept-Encoding chose. */
static bool choose_coding(struct request *request, struct reply *reply, enum coding *coding,
                          bool *vary)
{
    *coding = reply->coding;
    *vary = false;
    if (reply->coding != CODING_IDENTITY || reply->lean)
        return true;
    switch (response_encoding(request, coding)) {
    case ENCODING_NOT_ASKED:
        return true;
    case ENCODING_NEGOTIATED:
        *vary = true;
        return true;
    case ENCODING_BAD_PARAMETER:
        drop_owned_body(reply);
        reply_bad_parameter(reply, request, "encoding", "auto (the coding is then chosen by "
                            "Accept-Encoding)", "auto（随后由 Accept-Encoding 选择编码）");
        return false;
    case ENCODING_NONE_ACCEPTABLE:
        break;
    }
    *vary = true;
    /* RFC 9110 §12.5.3: with identity excluded too, a server answers 406 or disregards the
     * header (§12.1). A success becomes 406, naming what there is; an error or redirect is
     * what the client is testing, so it stays, sent as identity. */
    if (reply->status < 200 || reply->status > 299)
        return true;
    struct reply refused;
    reply_error(&refused, request, 406,
                "Accept-Encoding excludes every content coding statusd has, identity "
                "included. Available: identity, " CODING_LIST ".",
                "Accept-Encoding 排除了 statusd 的所有内容编码（包括 identity）。可用："
                "identity、gzip、deflate、br、zstd。");
    reply_set_header(&refused, "Vary", "Accept-Encoding");
    drop_owned_body(reply);
    *reply = refused;
    return false;
}

/* Whether ?encoding=auto may compress this body: a 206 a route cut itself (/range/{n}) is a
 * slice of the identity representation already, and stays one (RFC 9110 §14: a range is of
 * the representation the headers describe). */
static bool codable(const struct reply *reply, bool explained)
{
    if (reply->coding != CODING_IDENTITY)
        return true;
    if (reply_get_header(reply, "Content-Encoding"))
        return false;
    return explained || (reply->status != 206 && !reply_get_header(reply, "Content-Range"));
}

/* An entity tag a route set (not the hash of the bytes) names the identity representation;
 * the coded one gets its own, as RFC 9110 §8.8.3 asks of a strong tag: "abc" -> "abc-gzip".
 * A weak tag (W/"...") may be shared by both and is left as it is. */
static const char *coded_entity_tag(struct request *request, const char *value,
                                    enum coding coding)
{
    size_t n = strlen(value), suffix = strlen(coding_names[coding]) + 2; /* -gzip" */
    if (n < 2 || value[0] != '"' || value[n - 1] != '"')
        return value;
    /* A route that knows the coding (to compare If-None-Match with) tagged it already. */
    if (n > suffix && value[n - suffix] == '-' &&
        strncmp(value + n - suffix + 1, coding_names[coding], suffix - 2) == 0)
        return value;
    return request_printf(request, "%.*s-%s\"", (int)(n - 1), value, coding_names[coding]);
}

/* Whether the Range of a GET applies to this coded 200: the route serves ranges
 * (Accept-Ranges: bytes) and left them to the coded bytes here, and If-Range, if any, is the
 * coded representation's strong entity tag (RFC 9110 §13.1.5; a date is not compared, and
 * the whole body is sent, which is always allowed). */
static bool ranges_of_coded(const struct request *request, const struct reply *reply,
                            const char *tag)
{
    const char *accept_ranges = reply_get_header(reply, "Accept-Ranges");
    if (reply->status != 200 || request->method_id != METHOD_GET ||
        !request_header(request, "Range") || !accept_ranges ||
        strcmp(accept_ranges, "bytes") != 0)
        return false;
    const char *if_range = request_header(request, "If-Range");
    return !if_range || (tag && tag[0] == '"' && strcmp(if_range, tag) == 0);
}

static bool build_response(struct request *request, struct reply *reply, struct response *out,
                           bool negotiate);

bool response_from_reply(struct request *request, struct reply *reply, struct response *out)
{
    return build_response(request, reply, out, true);
}

static bool build_response(struct request *request, struct reply *reply, struct response *out,
                           bool negotiate)
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
        return shaped_body(reply, out); /* streams are sent as made: never coded */
    enum coding coding = CODING_IDENTITY;
    bool vary_encoding = false;
    if (negotiate && !choose_coding(request, reply, &coding, &vary_encoding))
        return build_response(request, reply, out, false);
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
    /* The whole body is coded before any range is cut: ranges count the coded bytes (RFC
     * 9110 §14.1.1: a range is of the selected representation, content coding included). */
    bool coded = false;
    /* A body the response does not own: the handler's, or its coded form kept once. */
    const char *borrowed = reply->body;
    size_t borrowed_length = reply->body ? reply->body_length : 0;
    const char *plain = body ? body : reply->body;
    size_t plain_length = body ? length : reply->body_length;
    if (coding != CODING_IDENTITY && plain && plain_length > 0 && codable(reply, explained) &&
        !body && reply->coded_forms) {
        /* A body made once (a page): its coded form is made once too, then shared. */
        const struct coded_form *form =
            coding_once(&reply->coded_forms[coding], coding, plain, plain_length);
        if (!form)
            return false;
        borrowed = form->bytes;
        borrowed_length = form->length;
        coded = true;
    } else if (coding != CODING_IDENTITY && plain && plain_length > 0 &&
               codable(reply, explained)) {
        size_t coded_length;
        char *compressed = coding_compress(coding, plain, plain_length, &coded_length);
        if (!compressed) {
            free(body);
            return false;
        }
        free(body); /* a handler's owned_body is still freed by whoever holds the reply */
        body = compressed;
        length = coded_length;
        coded = true;
    }
    uint64_t first = 0, last = 0, full = length;
    const char *route_tag = reply_get_header(reply, "ETag");
    if (coded && route_tag && !catalogue_header_value(reply, "ETag", route_tag))
        route_tag = coded_entity_tag(request, route_tag, coding);
    bool coded_partial = false;
    if (coded && ranges_of_coded(request, reply, route_tag)) {
        /* RFC 9110 §14.1.1: ranges count the bytes of the coded representation. As for an
         * explanation, the first range of several is sent. */
        size_t total = body ? length : borrowed_length;
        struct byte_range ranges[RANGE_MAX];
        size_t count;
        switch (range_parse(request_header(request, "Range"), total, ranges, &count)) {
        case RANGE_UNSATISFIABLE: {
            free(body);
            struct reply unsatisfiable;
            reply_error(&unsatisfiable, request, 416,
                        "No range in the Range header starts inside the coded representation "
                        "(ranges count its coded bytes); Content-Range gives its length.",
                        "Range 请求头中没有任何范围落在编码后的表示之内（范围按编码后的字节计）；"
                        "Content-Range 给出了它的长度。");
            reply_set_header(&unsatisfiable, "Content-Range",
                             request_printf(request, "bytes */%zu", total));
            drop_owned_body(reply);
            *reply = unsatisfiable;
            return build_response(request, reply, out, false);
        }
        case RANGE_SATISFIABLE:
            first = ranges[0].first;
            last = ranges[0].last;
            full = total;
            if (body) {
                memmove(body, body + first, (size_t)(last - first + 1));
                length = (size_t)(last - first + 1);
            } else {
                borrowed += first;
                borrowed_length = (size_t)(last - first + 1);
            }
            reply->status = out->status = 206;
            coded_partial = true;
            break;
        case RANGE_IGNORED:
            break;
        }
    }
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
        return build_response(request, reply, out, false);
    }
    /* Hashing a body costs time proportional to it: only for a catalogue {etag}. */
    char etag[24] = "";
    for (size_t i = 0; i < reply->header_count; i++)
        if (is_catalogue_value(reply, &reply->headers[i]) &&
            strstr(reply->headers[i].value, "{etag}"))
            entity_tag(body ? body : borrowed, body ? length : borrowed_length, etag,
                       sizeof etag);
    if (!body && !coded && reply->owned_body) {
        /* The response takes the handler's buffer over; nobody else may free it now. */
        body = reply->owned_body;
        length = reply->body_length;
        reply->owned_body = NULL;
    }
    if (body) {
        out->owned_body = body;
        out->body = body;
    } else {
        out->body = borrowed;
        length = borrowed_length;
    }
    out->body_length = length;
    bool ok = true;
    uint64_t representation_length = reply->status == 206 ? full : length;
    for (size_t i = 0; !reply->headers_described_only && i < reply->header_count; i++) {
        /* Only the catalogue's own values hold placeholders: a value that came from the
         * request ("/etag/{etag}") is sent as it is. */
        bool catalogue = is_catalogue_value(reply, &reply->headers[i]);
        const char *name = reply->headers[i].name;
        const char *value = catalogue ? fill_placeholders(request, reply->headers[i].value,
                                                          representation_length, first, last,
                                                          etag)
                                      : reply->headers[i].value;
        if (coded && !catalogue && strcasecmp(name, "ETag") == 0)
            value = coded_entity_tag(request, value, coding);
        if (vary_encoding && strcasecmp(name, "Vary") == 0)
            value = request_printf(request, "%s, Accept-Encoding", value);
        ok &= add(out, name, value);
    }
    if (coded)
        ok &= add(out, "Content-Encoding", coding_names[coding]);
    if (coded_partial)
        ok &= add(out, "Content-Range",
                  request_printf(request, "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, first, last,
                                 full));
    if (vary_encoding && !explained && !reply_get_header(reply, "Vary"))
        ok &= add(out, "Vary", "Accept-Encoding");
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
            ok &= add(out, "Vary", vary_encoding ? "Accept, Accept-Language, Accept-Encoding"
                                                 : "Accept, Accept-Language");
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
