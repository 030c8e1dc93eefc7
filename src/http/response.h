/* The one place a reply becomes a response, whatever carries it: the explanation rendered in
 * the negotiated representation, the body the status allows (none for 204, a slice for 206,
 * 416 when the Range cannot be met), computed header values ({length}, {etag}, ...), and the
 * headers every response carries. A transport (libmicrohttpd's glue in daemon/mhd_response.c)
 * only turns the result into its own objects. */
#ifndef STATUSD_RESPONSE_H
#define STATUSD_RESPONSE_H

#include "exchange.h"

/* The headers every response carries (Server, CORS), whoever writes it. */
#define RESPONSE_COMMON_HEADER_COUNT 3
extern const struct reply_header response_common_headers[RESPONSE_COMMON_HEADER_COUNT];

/* Room for the reply's own headers and the ones added here. */
#define RESPONSE_MAX_HEADERS (REPLY_MAX_HEADERS + 8)

enum response_body {
    RESPONSE_BUFFER,    /* body[0, body_length) */
    RESPONSE_STREAM,    /* stream (taken over from the reply) */
    RESPONSE_TRUNCATED, /* body is what Content-Length promises; only half of it is sent */
};

struct response {
    unsigned status;
    struct reply_header headers[RESPONSE_MAX_HEADERS];
    size_t header_count;
    enum response_body kind;
    const char *body;      /* RESPONSE_BUFFER, RESPONSE_TRUNCATED */
    uint64_t body_length;  /* what a GET receives (Content-Length) */
    char *owned_body;      /* malloc'ed bytes body points into, for the transport to free */
    struct reply_stream stream;
    /* Trailer fields after the body (the reply's, copied): a transport sends them after the
     * last byte (HTTP/1.1: in a chunked body's last chunk; HTTP/2: a trailing HEADERS frame).
     * Whichever kind the body is, a transport that has trailers or a shape to apply sends it
     * as a stream (mhd_response.c shows how). */
    struct reply_header trailers[REPLY_MAX_TRAILERS];
    size_t trailer_count;
    /* The reply's pacing, slicing and cut (?rate=, ?chunk=, ?abort_after=). */
    struct reply_shape shape;
};

/* What ?encoding= and Accept-Encoding ask of a request's response (README "Compression"). */
enum response_encoding {
    ENCODING_NOT_ASKED,       /* no ?encoding=: identity, and no Vary: Accept-Encoding */
    ENCODING_NEGOTIATED,      /* ?encoding=auto: *coding is Accept-Encoding's choice */
    ENCODING_NONE_ACCEPTABLE, /* ?encoding=auto, and Accept-Encoding excludes every coding */
    ENCODING_BAD_PARAMETER,   /* ?encoding= holds something other than auto */
};
enum response_encoding response_encoding(const struct request *request, enum coding *coding);

/* Builds out from reply (which may change: a 206 whose Range cannot be met becomes a 416).
 * False when out of memory or when a header did not fit (nothing to release then). */
bool response_from_reply(struct request *request, struct reply *reply, struct response *out);

/* Frees what out owns and a transport did not take over (owned_body, stream context). */
void response_release(struct response *out);

/* A buffered response copied whole into one allocation (its header strings and body too), so
 * it outlives the request that built it: a render-once cache hands it to any transport that
 * cannot use its own prebuilt form (HTTP/2). NULL when out of memory or not a buffer. Free
 * with free(). */
struct response *response_freeze(const struct response *response);

#endif
