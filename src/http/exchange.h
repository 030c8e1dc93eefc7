/* What a handler gets (struct request) and what it gives back (struct reply).
 *
 * Handlers never touch libmicrohttpd responses: they fill a reply with a status, the entry
 * whose explanation is the body, and headers; response.c renders it in the negotiated
 * representation and adds the headers every response carries. Errors are replies too. */
#ifndef STATUSD_EXCHANGE_H
#define STATUSD_EXCHANGE_H

#include "catalog.h"
#include "negotiate.h"
#include "once.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config;
struct strbuf;

enum method {
    METHOD_GET,
    METHOD_HEAD,
    METHOD_POST,
    METHOD_PUT,
    METHOD_PATCH,
    METHOD_DELETE,
    METHOD_OPTIONS,
    METHOD_OTHER,
    METHOD_COUNT
};
#define METHOD_BIT(m) (1u << (m))
#define METHODS_READ (METHOD_BIT(METHOD_GET) | METHOD_BIT(METHOD_HEAD))
#define METHODS_ANY 0xFFFFu

extern const char *const method_names[METHOD_COUNT];
enum method method_from_name(const char *name);

/* The largest body statusd generates on request (/range/{n}, /bytes/{n}, /drip): a fixed
 * bound rather than a flag, large enough to test downloads and resumption, small enough that a
 * burst of requests cannot exhaust memory. */
#define GENERATED_MAX_BYTES (10u * 1024u * 1024u)
#define GENERATED_MAX_TEXT "10485760"

/* Per-request scratch space for strings a reply points to (header values, notes). */
#define REQUEST_ARENA_SIZE 4096

struct request;

/* Digest authentication (RFC 7616): the algorithms offered, and what a check found. */
enum digest_algorithm { DIGEST_MD5, DIGEST_SHA256 };
enum digest_result { DIGEST_ACCEPTED, DIGEST_REFUSED, DIGEST_STALE_NONCE };

/* The two lists of name/value pairs a request carries. */
enum request_field { REQUEST_HEADER, REQUEST_QUERY };

/* Sees one name/value pair; returning false stops the walk. */
typedef bool (*request_visitor)(void *context, const char *name, const char *value);

/* How the transport that received a request (libmicrohttpd for HTTP/1.1) answers questions
 * about it. Only the daemon fills this in; handlers ask through the request_* functions, so
 * none of them depends on which library or protocol carried the request. */
struct request_transport {
    /* The first pair called name (headers case-insensitively), its value's length in
     * *length (a query value may hold a NUL); NULL when absent. */
    const char *(*lookup)(const struct request *request, enum request_field field,
                          const char *name, size_t *length);
    /* Every pair of field, in the order they arrived. */
    void (*each)(const struct request *request, enum request_field field,
                 request_visitor visit, void *context);
    /* The client's address, or NULL when unknown. */
    const struct sockaddr *(*client)(const struct request *request);
    /* Bytes of the request head as received (request line and header section). */
    size_t (*head_size)(const struct request *request);
    /* Digest authentication as the transport implements it (its nonces are its own): the
     * user name in the Authorization header (free() it; NULL when none can be read), and the
     * check of the client's response for user and password. */
    char *(*digest_username)(const struct request *request);
    enum digest_result (*digest_check)(const struct request *request, const char *realm,
                                       const char *user, const char *password,
                                       unsigned nonce_timeout_s,
                                       enum digest_algorithm algorithm);
    /* Appends the request head as its bytes arrived (request line, header lines in order with
     * their case, spacing and line ends, the blank line) to out; false, with out unchanged,
     * when the transport cannot tell (it may be NULL: a transport with no such bytes, as
     * HTTP/2's compressed headers). /dump/request shows it. */
    bool (*raw_head)(const struct request *request, struct strbuf *out);
};

/* Which protocol carried a request: the access log and the journal record it, and the few
 * answers HTTP/2 cannot give (101) depend on it. */
enum protocol { PROTOCOL_H1, PROTOCOL_H2, PROTOCOL_COUNT };
extern const char *const protocol_names[PROTOCOL_COUNT]; /* "h1", "h2" */

struct request {
    const struct request_transport *transport;
    enum protocol protocol;
    void *transport_context; /* the transport's own handle (a libmicrohttpd connection) */
    bool tls;                /* arrived over TLS */
    const struct config *config;
    const char *method;   /* as sent, e.g. "GET" or "BREW" */
    enum method method_id;
    const char *path;     /* percent-decoded path, without the query */
    const char *target;   /* the request target as sent: raw, query included */
    const char *tail;     /* the part of path after the route's prefix */
    const char *version;  /* "HTTP/1.1" */
    /* host[:port] from an absolute-form target ("GET http://host:port/path"), NULL for the
     * usual origin form. RFC 9112 §3.2.2 has the server use it instead of the Host header, so
     * request_header and request_each show it as Host. */
    const char *authority;
    bool authority_refused; /* an authority too long to keep: head_check refuses it */
    enum format format;
    enum languages languages;
    uint64_t body_bytes;  /* request body bytes read so far */
    /* A precheck's tighter limit on body_bytes (/upload?max=), 0 for --max-body; enforced
     * while reading, so a chunked body cannot run past it. */
    uint64_t body_limit;
    /* The body itself, for routes with ROUTE_KEEPS_BODY (NULL otherwise, or when empty);
     * not NUL-terminated, may hold any byte. */
    const char *body;
    size_t body_length;
    /* Set when the target has no '?': every query lookup is then NULL without a scan of the
     * parameters (a dozen per request otherwise). Zero, the default, means "look". */
    bool no_query;
    size_t arena_used;
    char arena[REQUEST_ARENA_SIZE]; /* last: the daemon clears the fields before it only */
};

/* A request header or query parameter, or NULL. Host is the target's authority when the
 * request had an absolute-form target. */
const char *request_header(const struct request *request, const char *name);
const char *request_query(const struct request *request, const char *name);
/* The same with the value's length (a query value may hold a NUL byte). */
const char *request_query_n(const struct request *request, const char *name, size_t *length);
/* Every header or query parameter, in arrival order. */
void request_each(const struct request *request, enum request_field field,
                  request_visitor visit, void *context);
size_t request_head_size(const struct request *request);
/* The head as received (see request_transport.raw_head); false when the transport cannot say. */
bool request_raw_head(const struct request *request, struct strbuf *out);
/* Formats into the request's arena; NULL when the arena is full (the caller answers 500 or
 * falls back to a fixed text). Valid until the request completes. */
const char *request_printf(struct request *request, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
bool request_is_http10(const struct request *request);
/* The method a body or note names: GET for a HEAD request, whose answer must be GET's without
 * the body (RFC 9110 §9.3.2), the request's own method otherwise. */
const char *request_method_as_get(const struct request *request);
/* The client's address as text ("127.0.0.1", "::1"; an IPv4 client of a dual-stack socket
 * shows as plain IPv4), or "-" when unknown. */
const char *request_client_address(const struct request *request, char *out, size_t size);
const char *address_text(const struct sockaddr *address, char *out, size_t size);

/* Every header this server sets on purpose, so browser scripts may read them (SPEC §1). */
#define EXPOSED_HEADERS                                                                        \
    "Location, Retry-After, WWW-Authenticate, Proxy-Authenticate, Allow, Content-Range, "     \
    "Content-Length, ETag, Last-Modified, Link, Upgrade, Accept-Post, Accept-Patch, Vary, "   \
    "Server, Date, RateLimit, RateLimit-Policy, RateLimit-Limit, RateLimit-Remaining, "       \
    "RateLimit-Reset, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, "          \
    "X-Sequence-Index"

/* The ways /fault/{kind} breaks a connection on purpose (SPEC §9). */
enum reply_fault {
    FAULT_NONE,
    FAULT_RESET,     /* TCP RST */
    FAULT_CLOSE,     /* FIN without a byte */
    FAULT_HANG,      /* nothing until --max-delay, then FIN */
    FAULT_TRUNCATE,  /* a 200 whose body stops halfway through its Content-Length */
    FAULT_BAD_CHUNK, /* reply->body as is (a head, then a chunk that is not one), then FIN */
    FAULT_GARBAGE,   /* reply->body as is (not HTTP at all), then FIN */
    FAULT_HEADERS_ONLY, /* HTTP/2: the head, then silence until --max-delay (HTTP/1.1: hang) */
    FAULT_COUNT
};
/* "fault-reset", ... for the access log; NULL for FAULT_NONE. */
extern const char *const fault_names[FAULT_COUNT];

/* A body produced piece by piece, as time passes (/drip). next() writes up to max bytes of the
 * body at position into buffer and returns how many; 0 means nothing is due yet, and
 * *wait_us says when to ask again (the transport waits without holding a thread); at the end
 * it is not called again (length is known). free_context, if set, runs when the response is
 * gone. */
struct reply_stream {
    /* REPLY_LENGTH_UNKNOWN: the body ends when next() says so (chunked on HTTP/1.1). */
    uint64_t length;
    size_t (*next)(void *context, uint64_t position, char *buffer, size_t max,
                   uint64_t *wait_us);
    void *context;
    void (*free_context)(void *context);
};

/* A stream whose end is known only when it comes (/sse, /stream/{n}): HTTP/1.1 frames it
 * with chunked transfer coding, HTTP/2 with END_STREAM on its last DATA frame. */
#define REPLY_LENGTH_UNKNOWN UINT64_MAX
/* What next() may return besides a byte count: the body is complete (a stream of unknown
 * length), or it is broken off on purpose (/sse?fail_after=, ?abort_after=): HTTP/1.1 closes
 * the connection without finishing the body, HTTP/2 resets the stream. */
#define REPLY_STREAM_END ((size_t)-1)
#define REPLY_STREAM_BREAK ((size_t)-2)

/* How the body goes out, on any URL (?rate=, ?chunk=, ?abort_after=; README "Shaping"):
 * the transport applies it to whatever body the reply has, without a thread per
 * connection. All zero: as fast as the transport can. */
struct reply_shape {
    uint64_t rate;        /* bytes per second, 0 for unthrottled */
    uint64_t chunk;       /* at most this many bytes per write, each its own chunk on
                           * HTTP/1.1 (a DATA frame on HTTP/2); 0 for the transport's own */
    bool abort;           /* break the body off (REPLY_STREAM_BREAK) after abort_after bytes */
    uint64_t abort_after;
};
/* True when shape asks for anything (a shaped body is never a shared, prebuilt one). */
bool reply_shape_active(const struct reply_shape *shape);

/* Trailer fields (/trailers): sent after the body, on HTTP/1.1 in the last chunk (so the body
 * is chunked), on HTTP/2 as a trailing HEADERS frame. */
#define REPLY_MAX_TRAILERS 8

/* A connection handed over after a 101 (the WebSocket echo): its socket, the bytes the client
 * sent right behind its handshake, and how to give it back. The transport fills it in;
 * finish() must be called exactly once, and the socket never closed by the taker. */
struct upgraded_connection {
    int fd;
    const char *extra;   /* already read past the handshake; valid until the call returns */
    size_t extra_length;
    void (*finish)(struct upgraded_connection *connection);
    void *transport;     /* the transport's own handle */
};
/* Who takes the connection over: a constant of the taker's (websocket.c), so a transport can
 * carry its address through a callback's void * argument. */
struct reply_upgrade {
    void (*take)(struct upgraded_connection *connection);
};

#define REPLY_MAX_HEADERS 32
#define REPLY_MAX_INTERIM_LINKS 8

struct reply_header {
    const char *name;
    const char *value;
};

struct reply {
    unsigned status;
    /* Sticky: a header could not be set because the table or the request's arena was full.
     * The daemon then answers 500 (and logs it) rather than send a reply missing a header. */
    bool failed;
    /* What the body explains: a catalogue entry, or (entry NULL) the class of explained_code. */
    const struct catalog_entry *entry;
    unsigned explained_code;
    /* An informational code sent on the wire before the final status (SPEC §3), 0 for none. */
    unsigned interim;
    /* Link field values the interim 103 carries instead of the catalogue's (?link=). */
    const char *interim_links[REPLY_MAX_INTERIM_LINKS];
    size_t interim_link_count;
    /* A sentence about this response in particular: which parameter was wrong, ... */
    const char *note[LANGUAGE_COUNT];
    /* The note is the point of the body (a 400 naming the bad parameter): it comes first. */
    bool note_first;
    /* Overrides the entry's "temporary or permanent" when not PERSISTENCE_NONE: a 404 for a
     * route statusd does not have is permanent, though a 404 in general may not be. */
    enum persistence persistence;
    /* Why Location points where it does, when a route chose it (/redirect/, /loop/): the
     * catalogue's sentence describes /status/3xx's default target. NULL: the catalogue's. */
    const char *location_why[LANGUAGE_COUNT];
    /* Where to go next; the body links it (3xx targets, the index from a 404). */
    const char *link;
    struct reply_header headers[REPLY_MAX_HEADERS];
    size_t header_count;
    /* A body that is not an explanation (echo JSON, assets), not copied: it must outlive the
     * response (static data, or the arena). */
    const char *content_type;
    const char *body;
    size_t body_length;
    /* A malloc'ed body the response takes over (freed when sent): point body at it too. */
    char *owned_body;
    /* Cache-Control; NULL means "no-store" (SPEC §1: a browser must never remember a test). */
    const char *cache_control;
    /* A response the transport built once and shares (its status cache hands it out), used
     * as is: opaque here, the transport's own object. */
    void *shared;
    uint64_t shared_length; /* its body bytes, for the access log */
    /* The same answer built once in transport-neutral form (struct response, response.h),
     * for a transport without a prebuilt object of its own (HTTP/2); shared, never freed by
     * the request. */
    const struct response *shared_response;
    /* Few headers: the request head nearly filled the connection's memory and a full set
     * would not fit beside it (the 414/431 refusals). */
    bool lean;
    /* The headers are listed in the body but not sent (/codes/{code} describes a code at 200). */
    bool headers_described_only;
    /* Wait this long before answering (?delay=, /delay/{s}). */
    uint64_t delay_ms;
    /* A protocol switch (status 101, websocket.c): after the 101 and the reply's headers this
     * handler takes the connection over. No body; only the common headers are added. */
    const struct reply_upgrade *upgrade_handler;
    /* A body produced over time (stream.next set); the reply's headers still apply. */
    struct reply_stream stream;
    /* A broken connection on purpose (/fault/{kind}), carried out after any delay by the
     * wire module (wire.h); the access log names it (fault_names). */
    enum reply_fault fault;
    /* The HTTP/2 error code of a reset or GOAWAY fault (?code=), when fault_code_set. */
    uint32_t fault_code;
    bool fault_code_set;
    /* A 401 with a Digest challenge (SPEC §6). libmicrohttpd computes the nonce and adds
     * WWW-Authenticate itself while queueing (MHD_queue_auth_fail_response2), so the daemon
     * queues this reply with the challenge's own call instead; headers then only describe
     * the challenge (headers_described_only). */
    bool digest_fail;
    struct {
        const char *realm;  /* quoted as is: no '"' or '\' */
        const char *opaque;
        enum digest_algorithm algorithm;
        bool stale;         /* the nonce was valid once: stale=true, no new password needed */
    } digest_challenge;
    /* The content coding the body is sent in whatever Accept-Encoding says (/gzip, /brotli,
     * ...); response.c compresses it. Identity (the default) leaves the choice to
     * ?encoding=auto. Added last, for the branches being merged beside this one. */
    enum coding coding;
    /* CODING_COUNT slots (once.h) where the coded forms of body are made the first time they
     * are asked for and kept: for a body made once and kept as long as the slots (a page).
     * NULL: a coded form is made for each response. */
    struct once *coded_forms;
    /* Trailer fields after the body (names checked by the handler, values by
     * reply_add_trailer); the handler announces them in a Trailer header. */
    struct reply_header trailers[REPLY_MAX_TRAILERS];
    size_t trailer_count;
    /* How the body is paced, sliced or cut (?rate=, ?chunk=, ?abort_after=). */
    struct reply_shape shape;
};

/* What a reply asks the transport to do. A reply is filled field by field by its handler;
 * reply_kind() is the one place that says which of these the fields add up to, so no
 * transport works it out for itself. */
enum reply_kind {
    REPLY_EXPLANATION, /* the catalogue's explanation of status, rendered as negotiated */
    REPLY_BODY,        /* body/body_length (or owned_body) with content_type */
    REPLY_STREAM,      /* stream: a body made over time */
    REPLY_SHARED,      /* shared: a response built once and handed out as it is */
    REPLY_CHALLENGE,   /* a 401 whose Digest challenge the transport writes (digest_challenge) */
    REPLY_UPGRADE,     /* 101, then upgrade_handler owns the connection */
    REPLY_FAULT,       /* a broken connection on purpose (fault; FAULT_TRUNCATE is a body cut
                        * short, still sent as a response) */
};
enum reply_kind reply_kind(const struct reply *reply);

/* Sets a header, replacing one of the same name (case-insensitive). Values are checked:
 * false (and nothing set) if the value is empty or holds a control byte (the caller refuses
 * the input), or if the value is NULL or the table is full, which also marks the reply
 * failed. */
bool reply_set_header(struct reply *reply, const char *name, const char *value);
/* Adds a header beside any of the same name (two WWW-Authenticate challenges); the same
 * checks and failure as reply_set_header. */
bool reply_add_header(struct reply *reply, const char *name, const char *value);
const char *reply_get_header(const struct reply *reply, const char *name);
/* Adds a trailer field; the same value checks and failure as reply_add_header. */
bool reply_add_trailer(struct reply *reply, const char *name, const char *value);
void reply_remove_header(struct reply *reply, const char *name);

/* The reply explains status code (sub-status sub, 0 for none): it takes the catalogue entry
 * and every header the catalogue says the code carries, with default values. Every endpoint
 * that sends code N goes through here, so N carries the same headers whichever URL sent it. */
/* request may be NULL (a page or the 408 explaining a code outside any request): {methods}
 * is then as for GET. */
void reply_explain(struct reply *reply, struct request *request, unsigned code, unsigned sub);

/* A 400 naming the parameter and what it accepts, in both languages.
 * Name a path segment in braces ("{n}"): the body then says "path segment", not
 * "parameter". The note comes first in the body. */
void reply_bad_parameter(struct reply *reply, struct request *request, const char *parameter,
                         const char *accepted_en, const char *accepted_zh);

/* Any status with a note in both languages. */
void reply_error(struct reply *reply, struct request *request, unsigned status,
                 const char *note_en, const char *note_zh);

#endif
