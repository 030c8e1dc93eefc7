/* statusd's routes over HTTP/2 (serve.h). One exchange per stream: the request as handlers
 * read it, the reply they fill, and the response sent from it. The exchange lives until the
 * transport is done with the body it points into (the request's arena, the reply's buffers),
 * so a response body is never copied. */
#include "serve.h"

#include "digest.h"
#include "h2.h"
#include "listen.h"
#include "response.h"
#include "routes.h"
#include "timer.h"
#include "urlencode.h"

#include <nghttp2/nghttp2.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

/* The largest piece of a body made over time handed to the transport at once. */
#define STREAM_PIECE 16384

struct query_pair {
    const char *name;
    const char *value; /* NULL for a parameter without '=' */
    size_t value_length;
};

struct h2_exchange {
    const struct h2_request *h2;
    struct h2_stream *stream;
    uint64_t started_us;
    const struct route *route;
    /* The decoded path, the decoded query pairs and their text, in one allocation. */
    char *decoded;
    const char *target, *method; /* copies, in decoded's block */
    struct query_pair *query;
    size_t query_count;
    size_t header_bytes;
    struct response response;
    bool response_built;
    uint64_t sent;          /* body bytes handed to the transport */
    uint64_t body_started_us; /* when the first piece went (?rate= ends at --max-delay) */
    bool client_gone;       /* a call on the stream found it closed */
    bool logged;
    bool interim_sent;      /* before a delay */
    struct reply reply;
    struct request request; /* last: its arena is large */
};

static struct {
    const struct config *config;
    atomic_long in_flight;
} served;

/* --- the request as HTTP/2 carries it (struct request_transport) ---------------------- */

static const struct h2_exchange *exchange_of(const struct request *request)
{
    return request->transport_context;
}

/* RFC 9113 §8.3.1: :authority stands for Host; a Host field, if a client sends one too, is
 * the same (nghttp2 checks neither, so :authority is preferred). */
static const char *authority_of(const struct h2_exchange *x)
{
    return x->h2->authority[0] ? x->h2->authority : NULL;
}

static const char *h2_lookup(const struct request *request, enum request_field field,
                             const char *name, size_t *length)
{
    const struct h2_exchange *x = exchange_of(request);
    if (field == REQUEST_QUERY) {
        for (size_t i = 0; i < x->query_count; i++)
            if (strcmp(x->query[i].name, name) == 0) {
                *length = x->query[i].value_length;
                return x->query[i].value;
            }
        return NULL;
    }
    if (strcasecmp(name, "host") == 0 && authority_of(x)) {
        *length = strlen(authority_of(x));
        return authority_of(x);
    }
    for (size_t i = 0; i < x->h2->field_count; i++) {
        const struct h2_field *f = &x->h2->fields[i];
        if (strlen(name) == f->name_length && strncasecmp(f->name, name, f->name_length) == 0) {
            *length = f->value_length;
            return f->value;
        }
    }
    return NULL;
}

static void h2_each(const struct request *request, enum request_field field,
                    request_visitor visit, void *context)
{
    const struct h2_exchange *x = exchange_of(request);
    if (field == REQUEST_QUERY) {
        for (size_t i = 0; i < x->query_count; i++)
            if (!visit(context, x->query[i].name, x->query[i].value))
                return;
        return;
    }
    /* Host first, where an HTTP/1.1 client puts it. */
    if (authority_of(x) && !visit(context, "host", authority_of(x)))
        return;
    for (size_t i = 0; i < x->h2->field_count; i++) {
        const struct h2_field *f = &x->h2->fields[i];
        if (authority_of(x) && strcmp(f->name, "host") == 0)
            continue;
        if (!visit(context, f->name, f->value))
            return;
    }
}

static const struct sockaddr *h2_client(const struct request *request)
{
    return exchange_of(request)->h2->client;
}

static size_t h2_head_size(const struct request *request)
{
    return exchange_of(request)->header_bytes;
}

static char *h2_digest_username(const struct request *request);
static enum digest_result h2_digest_check(const struct request *request, const char *realm,
                                          const char *user, const char *password,
                                          unsigned nonce_timeout_s,
                                          enum digest_algorithm algorithm);

static const char *digest_challenge(struct request *request, const struct reply *reply);

static const struct request_transport h2_transport = {
    .lookup = h2_lookup,
    .each = h2_each,
    .client = h2_client,
    .head_size = h2_head_size,
    .digest_username = h2_digest_username,
    .digest_check = h2_digest_check,
};

/* Splits :path into the decoded path and the decoded query pairs, as libmicrohttpd does for
 * HTTP/1.1 ('+' is a space in the query only). False when out of memory. */
static bool parse_target(struct h2_exchange *x)
{
    const char *target = x->h2->path;
    size_t length = strlen(target);
    size_t path_length = strcspn(target, "?");
    size_t pairs = 1;
    for (const char *p = target + path_length; *p; p++)
        pairs += *p == '&';
    /* The decoded text, copies of the raw target and the method (the access log reads them
     * after the stream, which owns the originals, may be gone), then the pairs at an aligned
     * offset. */
    size_t method_length = strlen(x->h2->method);
    size_t text_size = (2 * length + 3 + method_length + 1 + 7) & ~(size_t)7;
    x->decoded = malloc(text_size + pairs * sizeof(struct query_pair));
    if (!x->decoded)
        return false;
    x->query = (struct query_pair *)(void *)(x->decoded + text_size);
    x->target = memcpy(x->decoded + length + 2, target, length + 1);
    x->method = memcpy(x->decoded + 2 * length + 3, x->h2->method, method_length + 1);
    memcpy(x->decoded, target, length + 1);
    char *path = x->decoded;
    path[url_decode(path, path_length, false)] = '\0';
    if (path_length == length)
        return true;
    /* The query text starts after the path's own terminator. */
    char *query = x->decoded + path_length + 1;
    memmove(query, target + path_length + 1, length - path_length);
    for (char *field = query; field && *field;) {
        char *amp = strchr(field, '&');
        if (amp)
            *amp = '\0';
        if (*field) {
            char *equals = strchr(field, '=');
            if (equals)
                *equals = '\0';
            struct query_pair *pair = &x->query[x->query_count++];
            pair->name = field;
            field[url_decode(field, strlen(field), true)] = '\0';
            if (equals) {
                char *value = equals + 1;
                pair->value_length = url_decode(value, strlen(value), true);
                value[pair->value_length] = '\0';
                pair->value = value;
            } else {
                pair->value = NULL;
                pair->value_length = 0;
            }
        }
        field = amp ? amp + 1 : NULL;
    }
    return true;
}

/* --- the exchange's end -------------------------------------------------------------- */

static void exchange_free(void *argument)
{
    struct h2_exchange *x = argument;
    if (x->response_built)
        response_release(&x->response);
    free(x->reply.owned_body);
    if (x->reply.stream.free_context)
        x->reply.stream.free_context(x->reply.stream.context);
    free(x->decoded);
    free(x);
    atomic_fetch_sub(&served.in_flight, 1);
}

/* The access log line, once the answer is given (or the stream found gone). */
static void log_exchange(struct h2_exchange *x, unsigned status, uint64_t bytes,
                         const char *outcome)
{
    if (x->logged)
        return;
    x->logged = true;
    char client[INET6_ADDRSTRLEN];
    struct access_record record = {
        .client = served.config->log_format == LOG_OFF
                      ? "-"
                      : address_text(x->h2->client, client, sizeof client),
        .method = x->request.method,
        .target = x->request.target,
        .protocol = protocol_names[PROTOCOL_H2],
        .status = status,
        .bytes = x->request.method_id == METHOD_HEAD ? 0 : bytes,
        .duration_ms = (double)(now_us() - x->started_us) / 1000.0,
        .outcome = x->client_gone ? "client-closed" : outcome,
    };
    server_record_completion(&record);
}

/* --- answering ----------------------------------------------------------------------- */

/* The error code a reset or GOAWAY fault sends: the one ?code= chose (fault.c), or fallback. */
static uint32_t fault_error_code(const struct reply *reply, uint32_t fallback)
{
    return reply->fault_code_set ? reply->fault_code : fallback;
}

static void finish_hang(void *argument)
{
    struct h2_exchange *x = argument;
    /* Still there after --max-delay: end the stream, as HTTP/1.1 closes the connection. */
    h2_stream_reset(x->stream, NGHTTP2_CANCEL);
    exchange_free(x);
}

/* Breaks the stream the way /fault/{kind} asks, in HTTP/2's terms (README "Faults"). */
static void answer_fault(struct h2_exchange *x)
{
    const char *fault = fault_names[x->reply.fault];
    switch (x->reply.fault) {
    case FAULT_RESET:
        server_record_answer(&x->request, x->request.target, 0, fault);
        h2_stream_reset(x->stream, fault_error_code(&x->reply, NGHTTP2_INTERNAL_ERROR));
        break;
    case FAULT_CLOSE:
        server_record_answer(&x->request, x->request.target, 0, fault);
        h2_stream_goaway(x->stream, fault_error_code(&x->reply, NGHTTP2_NO_ERROR));
        break;
    case FAULT_HANG:
        /* The wait (--max-delay) is over: nothing was ever sent. */
        server_record_answer(&x->request, x->request.target, 0, fault);
        h2_stream_reset(x->stream, NGHTTP2_CANCEL);
        break;
    case FAULT_HEADERS_ONLY: {
        server_record_answer(&x->request, x->request.target, 200, fault);
        static const struct h2_field fields[] = {
            { "content-type", 12, "text/plain; charset=utf-8", 25 },
            { "cache-control", 13, "no-store", 8 },
        };
        log_exchange(x, 200, 0, fault);
        if (!h2_stream_respond_streamed(x->stream, 200, fields, 2, 1000) ||
            !timer_call_at(now_us() + served.config->max_delay_ms * 1000, finish_hang, x))
            exchange_free(x);
        return;
    }
    case FAULT_BAD_CHUNK:
    case FAULT_GARBAGE:
    default:
        /* HTTP/2 has no chunks and nghttp2 frames every byte: a broken body is a stream
         * reset after the head, and garbage a connection ended for a protocol error. */
        server_record_answer(&x->request, x->request.target,
                             x->reply.fault == FAULT_BAD_CHUNK ? 200 : 0, fault);
        if (x->reply.fault == FAULT_BAD_CHUNK) {
            static const struct h2_field type = { "content-type", 12, "text/plain", 10 };
            if (h2_stream_respond_streamed(x->stream, 200, &type, 1, H2_LENGTH_UNKNOWN) &&
                h2_stream_write(x->stream, "this body breaks off\n", 21, false))
                h2_stream_reset(x->stream, NGHTTP2_PROTOCOL_ERROR);
        } else {
            h2_stream_goaway(x->stream, NGHTTP2_PROTOCOL_ERROR);
        }
        break;
    }
    log_exchange(x, x->reply.fault == FAULT_BAD_CHUNK ? 200 : 0, 0, fault);
    exchange_free(x);
}

/* The interim response the reply asks for, with the Link fields a 103 carries. */
static void send_interim(struct h2_exchange *x)
{
    unsigned code = x->reply.interim;
    const char *expect = request_header(&x->request, "expect");
    if (!code || (code == 100 && expect && strcasecmp(expect, "100-continue") == 0))
        return; /* the transport already sent its own 100 Continue */
    struct h2_field fields[REPLY_MAX_INTERIM_LINKS + 8];
    size_t count = 0;
    for (size_t i = 0; i < x->reply.interim_link_count; i++)
        fields[count++] = (struct h2_field){ "link", 4, x->reply.interim_links[i],
                                             strlen(x->reply.interim_links[i]) };
    const struct catalog_entry *entry = catalog_find(code, 0);
    for (size_t i = 0; entry && i < entry->header_count && count < sizeof fields / sizeof *fields;
         i++) {
        if (x->reply.interim_link_count && strcasecmp(entry->headers[i].name, "link") == 0)
            continue; /* ?link= replaces the catalogue's */
        fields[count++] = (struct h2_field){ entry->headers[i].name,
                                             strlen(entry->headers[i].name),
                                             entry->headers[i].value,
                                             strlen(entry->headers[i].value) };
    }
    h2_stream_interim(x->stream, code, fields, count);
}

/* The response's fields for h2.h: names as they are (the transport lower-cases them). HEAD
 * and 304 say the length of the body they do not carry. */
static size_t response_fields(struct h2_exchange *x, struct h2_field *fields, size_t size,
                              char *length_text, size_t length_size)
{
    const struct response *r = &x->response;
    size_t count = 0;
    for (size_t i = 0; i < r->header_count && count < size - 1; i++)
        fields[count++] = (struct h2_field){ r->headers[i].name, strlen(r->headers[i].name),
                                             r->headers[i].value, strlen(r->headers[i].value) };
    bool describes_body = x->request.method_id == METHOD_HEAD || r->status == 304;
    /* A stream of unknown length (/sse) has no length to describe. */
    if (describes_body && r->status != 204 && r->body_length != REPLY_LENGTH_UNKNOWN) {
        int n = snprintf(length_text, length_size, "%llu", (unsigned long long)r->body_length);
        fields[count++] = (struct h2_field){ "content-length", 14, length_text, (size_t)n };
    }
    return count;
}

/* ?rate= paces a body in slices of a tenth of a second's worth (README "Shaping"). */
#define RATE_TICK_US 100000

static void pump_body(void *argument);

/* The end of a body: trailers (a HEADERS frame after the DATA) when the reply has any. */
static bool finish_body(struct h2_exchange *x, const char *piece, size_t n)
{
    const struct response *r = &x->response;
    if (!r->trailer_count)
        return h2_stream_write(x->stream, piece, n, true);
    struct h2_field trailers[REPLY_MAX_TRAILERS];
    for (size_t i = 0; i < r->trailer_count; i++)
        trailers[i] = (struct h2_field){ r->trailers[i].name, strlen(r->trailers[i].name),
                                         r->trailers[i].value, strlen(r->trailers[i].value) };
    if (n && !h2_stream_write(x->stream, piece, n, false))
        return false;
    return h2_stream_end_with_trailers(x->stream, trailers, r->trailer_count);
}

/* Schedules the next turn of pump_body, or gives up on the stream when it cannot. */
static void pump_later(struct h2_exchange *x, uint64_t wait_us)
{
    if (timer_call_at(now_us() + (wait_us ? wait_us : 1000), pump_body, x))
        return;
    h2_stream_reset(x->stream, NGHTTP2_INTERNAL_ERROR);
    log_exchange(x, x->response.status, x->sent, "error");
    exchange_free(x);
}

/* A body handed over piece by piece: one made over time (/drip, /sse: asks the reply's
 * stream for what is due), or a buffer that is shaped (?rate=, ?chunk=, ?abort_after=) or
 * followed by trailers. Runs on the loop thread first, then on the timer's; never waits. */
static void pump_body(void *argument)
{
    struct h2_exchange *x = argument;
    const struct response *r = &x->response;
    const struct reply_shape *shape = &r->shape;
    bool buffer = r->kind != RESPONSE_STREAM;
    uint64_t length = buffer ? r->body_length : r->stream.length;
    /* Past --max-delay a throttled body goes at full speed, as over HTTP/1.1. */
    bool paced = shape->rate &&
                 now_us() - x->body_started_us < served.config->max_delay_ms * 1000;
    uint64_t allowance = paced ? (shape->rate / 10 ? shape->rate / 10 : 1) : UINT64_MAX;
    char piece[STREAM_PIECE];
    for (;;) {
        if (shape->abort && x->sent >= shape->abort_after) {
            /* ?abort_after=: the stream is reset there, as HTTP/1.1 closes the connection. */
            log_exchange(x, r->status, x->sent, "aborted");
            h2_stream_reset(x->stream, NGHTTP2_INTERNAL_ERROR);
            exchange_free(x);
            return;
        }
        if (allowance == 0) {
            pump_later(x, RATE_TICK_US);
            return;
        }
        size_t max = sizeof piece;
        if (shape->chunk && shape->chunk < max)
            max = (size_t)shape->chunk;
        if (allowance < max)
            max = (size_t)allowance;
        if (shape->abort && shape->abort_after - x->sent < max)
            max = (size_t)(shape->abort_after - x->sent);
        if (length != REPLY_LENGTH_UNKNOWN && length - x->sent < max)
            max = (size_t)(length - x->sent);
        uint64_t wait_us = 0;
        size_t n = 0;
        if (buffer) {
            n = max;
            memcpy(piece, r->body + x->sent, n);
        } else if (length == REPLY_LENGTH_UNKNOWN || x->sent < length) {
            n = r->stream.next(r->stream.context, x->sent, piece, max, &wait_us);
        }
        /* A stream broken off on purpose (/sse?fail_after=): RST_STREAM, as HTTP/1.1 closes. */
        if (n == REPLY_STREAM_BREAK) {
            log_exchange(x, r->status, x->sent, "error");
            h2_stream_reset(x->stream, NGHTTP2_INTERNAL_ERROR);
            exchange_free(x);
            return;
        }
        /* The end of a stream of unknown length (REPLY_LENGTH_UNKNOWN: /sse, /stream/{n}). */
        bool end = n == REPLY_STREAM_END;
        if (end)
            n = 0;
        if (n == 0 && !end && x->sent < length) {
            pump_later(x, wait_us);
            return;
        }
        x->sent += n;
        allowance -= paced ? n : 0;
        bool last = end || x->sent >= length;
        if (last)
            log_exchange(x, r->status, x->sent, "ok");
        bool written = last ? finish_body(x, piece, n)
                            : h2_stream_write(x->stream, piece, n, false);
        if (!written) {
            x->client_gone = true;
            last = true;
        }
        if (last) {
            exchange_free(x);
            return;
        }
    }
}

/* Sends what was decided, once any delay is over. Takes the exchange over. */
static void answer(void *argument)
{
    struct h2_exchange *x = argument;
    if (reply_kind(&x->reply) == REPLY_FAULT && x->reply.fault != FAULT_TRUNCATE) {
        answer_fault(x);
        return;
    }
    if (!x->interim_sent)
        send_interim(x);
    if (x->reply.shared_response) {
        /* Built once (the /status cache): used as it is, never released here. */
        x->response = *x->reply.shared_response;
    } else if (response_from_reply(&x->request, &x->reply, &x->response)) {
        x->response_built = true;
    } else {
        h2_stream_reset(x->stream, NGHTTP2_INTERNAL_ERROR);
        log_exchange(x, 0, 0, "error");
        exchange_free(x);
        return;
    }
    const char *fault = fault_names[x->reply.fault];
    server_record_answer(&x->request, x->request.target, x->response.status, fault);
    struct h2_field fields[RESPONSE_MAX_HEADERS + 1];
    char length_text[24];
    size_t count = response_fields(x, fields, sizeof fields / sizeof *fields - 1, length_text,
                                   sizeof length_text);
    /* A Digest challenge: the reply only described it; the nonce is made here. */
    const char *challenge = reply_kind(&x->reply) == REPLY_CHALLENGE
                                ? digest_challenge(&x->request, &x->reply)
                                : NULL;
    if (challenge)
        fields[count++] = (struct h2_field){ "www-authenticate", 16, challenge,
                                             strlen(challenge) };
    const struct response *r = &x->response;
    switch (r->kind) {
    case RESPONSE_BUFFER:
        if (!reply_shape_active(&r->shape) && !r->trailer_count) {
            /* The exchange is freed with the body it points into, once the transport is
             * done with it. */
            log_exchange(x, r->status, r->body_length, "ok");
            h2_stream_respond(x->stream, r->status, fields, count, r->body,
                              (size_t)r->body_length, exchange_free, x);
            return;
        }
        break; /* shaped or with trailers: piece by piece, below */
    case RESPONSE_TRUNCATED:
        /* content-length promises the whole body; half is sent, then the stream ends. */
        log_exchange(x, r->status, r->body_length / 2, fault ? fault : "ok");
        if (h2_stream_respond_streamed(x->stream, r->status, fields, count, r->body_length))
            h2_stream_write(x->stream, r->body, (size_t)(r->body_length / 2), true);
        exchange_free(x);
        return;
    case RESPONSE_STREAM:
        break;
    }
    uint64_t length = r->kind == RESPONSE_STREAM ? r->stream.length : r->body_length;
    if (!h2_stream_respond_streamed(x->stream, r->status, fields, count,
                                    length == REPLY_LENGTH_UNKNOWN ? H2_LENGTH_UNKNOWN
                                                                   : length)) {
        x->client_gone = true;
        log_exchange(x, r->status, 0, "ok");
        exchange_free(x);
        return;
    }
    if (x->request.method_id == METHOD_HEAD || length == 0) {
        log_exchange(x, r->status, 0, "ok");
        finish_body(x, "", 0);
        exchange_free(x);
        return;
    }
    x->body_started_us = now_us();
    pump_body(x);
}

/* The body limit a route's precheck set (/upload?max=), checked on the whole body, which
 * HTTP/2 delivers before the request is served. */
static bool within_body_limit(struct h2_exchange *x)
{
    if (!x->request.body_limit || x->request.body_bytes <= x->request.body_limit)
        return true;
    reply_error(&x->reply, &x->request, 413,
                "The body is longer than this URL's limit (?max=).",
                "消息体超过了此 URL 的上限（?max=）。");
    return false;
}

static void serve(void *app, const struct h2_request *h2)
{
    (void)app;
    struct h2_exchange *x = malloc(sizeof *x);
    if (!x) {
        h2_stream_reset(h2->stream, NGHTTP2_INTERNAL_ERROR);
        return;
    }
    memset(x, 0, offsetof(struct h2_exchange, request) + offsetof(struct request, arena));
    atomic_fetch_add(&served.in_flight, 1);
    x->h2 = h2;
    x->stream = h2->stream;
    x->started_us = now_us();
    struct request *r = &x->request;
    r->transport = &h2_transport;
    r->transport_context = x;
    r->protocol = PROTOCOL_H2;
    r->tls = h2->tls;
    r->config = served.config;
    r->version = "HTTP/2";
    for (size_t i = 0; i < h2->field_count; i++)
        x->header_bytes += h2->fields[i].name_length + h2->fields[i].value_length + 32;
    if (!parse_target(x)) {
        h2_stream_reset(h2->stream, NGHTTP2_INTERNAL_ERROR);
        exchange_free(x);
        return;
    }
    r->method = x->method;
    r->method_id = method_from_name(x->method);
    r->target = x->target;
    r->path = x->decoded;
    r->no_query = x->query_count == 0;
    r->format = negotiate_format(request_header(r, "accept"));
    r->languages = negotiate_languages(request_header(r, "accept-language"));
    x->route = route_find(r->path, &r->tail);
    r->body_bytes = h2->body_length;
    if (x->route && (x->route->flags & ROUTE_KEEPS_BODY) && h2->body_length) {
        r->body = h2->body;
        r->body_length = h2->body_length;
    }
    uint64_t delay_ms = 0;
    bool refused = x->route && x->route->precheck &&
                   (x->route->methods & METHOD_BIT(r->method_id)) &&
                   !x->route->precheck(r, &x->reply);
    if (!refused && within_body_limit(x))
        delay_ms = route_decide(r, &x->reply);
    if (reply_kind(&x->reply) == REPLY_UPGRADE) {
        /* Never reached: HTTP/2 requests carry no Upgrade (status.c explains 101). Should a
         * handler switch anyway, the protocol's own answer: retry over HTTP/1.1. */
        h2_stream_reset(x->stream, NGHTTP2_HTTP_1_1_REQUIRED);
        exchange_free(x);
        return;
    }
    if (delay_ms) {
        /* A hang is recorded as it begins, as over HTTP/1.1. */
        if (x->reply.fault == FAULT_HANG)
            server_record_answer(r, r->target, 0, fault_names[FAULT_HANG]);
        /* The interim response before the wait: 103 Early Hints while the final answer is
         * still being worked on. */
        if (x->reply.interim && reply_kind(&x->reply) != REPLY_FAULT) {
            send_interim(x);
            x->interim_sent = true;
        }
        if (timer_call_at(now_us() + delay_ms * 1000, answer, x))
            return;
    }
    answer(x);
}

/* --- Digest authentication ----------------------------------------------------------- */

/* The key of this process's nonces (digest.h), random at start. */
static unsigned char nonce_key[32];

static enum digest_hash hash_of(enum digest_algorithm algorithm)
{
    return algorithm == DIGEST_MD5 ? DIGEST_HASH_MD5 : DIGEST_HASH_SHA256;
}

static char *h2_digest_username(const struct request *request)
{
    struct digest_credentials sent;
    if (!digest_parse(request_header(request, "authorization"), &sent))
        return NULL;
    return strdup(sent.username);
}

static enum digest_result h2_digest_check(const struct request *request, const char *realm,
                                          const char *user, const char *password,
                                          unsigned nonce_timeout_s,
                                          enum digest_algorithm algorithm)
{
    struct digest_credentials sent;
    if (!digest_parse(request_header(request, "authorization"), &sent))
        return DIGEST_REFUSED;
    switch (digest_verify(&sent, nonce_key, sizeof nonce_key, (uint64_t)time(NULL),
                          nonce_timeout_s, request->method, request->target, realm,
                          hash_of(algorithm), user, password)) {
    case DIGEST_VERDICT_OK: return DIGEST_ACCEPTED;
    case DIGEST_VERDICT_STALE: return DIGEST_STALE_NONCE;
    default: return DIGEST_REFUSED;
    }
}

/* The WWW-Authenticate field of a Digest challenge, with a nonce for this URL, in the
 * request's arena. NULL when it does not fit. */
static const char *digest_challenge(struct request *request, const struct reply *reply)
{
    char nonce[DIGEST_NONCE_SIZE];
    digest_nonce_make(nonce_key, sizeof nonce_key, (uint64_t)time(NULL),
                      reply->digest_challenge.realm,
                      hash_of(reply->digest_challenge.algorithm), request->target, nonce);
    return request_printf(request, "Digest realm=\"%s\",qop=\"auth\",nonce=\"%s\",opaque=\"%s\","
                                   "algorithm=%s%s",
                          reply->digest_challenge.realm, nonce, reply->digest_challenge.opaque,
                          reply->digest_challenge.algorithm == DIGEST_MD5 ? "MD5" : "SHA-256",
                          reply->digest_challenge.stale ? ",stale=true" : "");
}

/* --- start and stop ------------------------------------------------------------------ */

static bool start(const struct listener *listener, const struct config *config,
                  struct MHD_Daemon *daemon, uint16_t *port)
{
    served.config = config;
    if (getrandom(nonce_key, sizeof nonce_key, 0) != (ssize_t)sizeof nonce_key) {
        fprintf(stderr, "statusd: cannot read random bytes for HTTP/2 digest nonces\n");
        return false;
    }
    struct h2_options options = H2_OPTIONS_DEFAULT;
    options.max_streams = config->h2_max_streams;
    options.max_header_list = config->max_header_bytes;
    options.max_body = config->max_body;
    options.idle_timeout_s = config->timeout_s;
    options.max_connections = server_max_connections();
    int fd = h2_listen_socket(listener);
    if (fd < 0)
        return false;
    if (!h2_start(&options, fd, listener->tls_cert_pem, listener->tls_key_pem, daemon, serve,
                  NULL))
        return false;
    *port = h2_bound_port();
    return true;
}

static void stop(unsigned drain_ms)
{
    h2_stop(drain_ms);
}

const struct server_acceptor h2_serve_acceptor = { .start = start, .stop = stop };
