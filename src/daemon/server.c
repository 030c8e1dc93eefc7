#include "server.h"

#include "accesslog.h"
#include "numbers.h"
#include "render.h"
#include "mhd_response.h"
#include "head_check.h"
#include "listen.h"
#include "routes.h"
#include "stall_watch.h"
#include "timer.h"
#include "wire.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <gnutls/gnutls.h>
#include <malloc.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* A connection's memory pool holds the request head, a record of about 64 bytes per header
 * line, and the response's header lines. statusd enforces --max-header-bytes exactly itself
 * (414/431); the pool is the backstop above it. libmicrohttpd zeroes the whole pool after
 * every request on a keep-alive connection, so its size costs time per request and memory per
 * connection: 8 KiB over the limit serves a full-size head of up to about 100 header lines
 * (a head with more, shorter lines gets libmicrohttpd's own 431 earlier). */
#define POOL_SIZE(max_header_bytes) ((max_header_bytes) + 8192)
#define SHUTDOWN_GRACE_MS 10000

enum phase {
    PHASE_HEADERS, /* first call: the head has arrived, nothing queued yet */
    PHASE_BODY,    /* reading the body; the call with no data marks its end */
    PHASE_DRAINING, /* the body went past its limit: the rest is dropped, then 413 */
    PHASE_WAITING, /* suspended for a delay */
    PHASE_DONE,
};

/* Everything about one request, from the URI-log callback to the completion callback. */
struct exchange {
    enum phase phase;
    uint64_t started_us;
    bool refused;          /* an error was queued before the body was read */
    bool client_closed;    /* the client hung up while its answer was delayed */
    struct stall_entry stall; /* watched for a 408 until the request is complete */
    unsigned answered_raw;  /* status written by refuse_raw(), for the access log */
    bool journaled;        /* recorded in its key's /journal */
    bool interim_sent;     /* the 1xx went out before a delay */
    const struct route *route; /* found when the head arrives, NULL for an unknown path */
    char *body;            /* kept for routes with ROUTE_KEEPS_BODY */
    size_t body_capacity;
    struct MHD_Connection *connection;
    struct request request;
    struct reply reply;
    uint64_t body_length;  /* bytes of the response body, for the log */
    size_t target_capacity; /* bytes target[] has room for */
    char target[];         /* the raw request target, as the client sent it */
};

static struct {
    struct MHD_Daemon *daemon;
    const struct config *config;
    atomic_long in_flight;
    struct listener listener; /* address or inherited socket, TLS (listen.h) */
    atomic_bool listening; /* read by libmicrohttpd's threads in on_mhd_log */
    bool debug;
    atomic_bool stopping;
    atomic_uint connections; /* open now (on_connection) */
    unsigned max_connections; /* --max-connections, or what the descriptors allow */
    /* Set before server_start, read-only afterwards. */
    server_answer_observer answer_observers[SERVER_MAX_OBSERVERS];
    server_completion_observer completion_observers[SERVER_MAX_OBSERVERS];
    server_shutdown_observer shutdown_observers[SERVER_MAX_OBSERVERS];
    /* Who accepts connections when not libmicrohttpd (HTTP/2 on: server_use_acceptor). */
    const struct server_acceptor *acceptor;
} server;

void server_use_acceptor(const struct server_acceptor *acceptor)
{
    server.acceptor = acceptor;
}

unsigned server_max_connections(void)
{
    return server.max_connections;
}

/* Appends to a NULL-terminated table of SERVER_MAX_OBSERVERS; more is a programming error. */
#define OBSERVE(table, observer)                                                               \
    do {                                                                                       \
        size_t i_ = 0;                                                                         \
        while (i_ < SERVER_MAX_OBSERVERS && (table)[i_])                                       \
            i_++;                                                                              \
        if (i_ == SERVER_MAX_OBSERVERS)                                                        \
            abort();                                                                           \
        (table)[i_] = (observer);                                                              \
    } while (0)

void server_observe_answers(server_answer_observer observer)
{
    OBSERVE(server.answer_observers, observer);
}

void server_observe_completions(server_completion_observer observer)
{
    OBSERVE(server.completion_observers, observer);
}

void server_observe_shutdown(server_shutdown_observer observer)
{
    OBSERVE(server.shutdown_observers, observer);
}

/* --- the request as libmicrohttpd holds it (struct request_transport) ------------------ */

static struct MHD_Connection *connection_of(const struct request *request)
{
    return request->transport_context;
}

static enum MHD_ValueKind kind_of(enum request_field field)
{
    return field == REQUEST_HEADER ? MHD_HEADER_KIND : MHD_GET_ARGUMENT_KIND;
}

static const char *mhd_lookup(const struct request *request, enum request_field field,
                              const char *name, size_t *length)
{
    const char *value = NULL;
    if (MHD_lookup_connection_value_n(connection_of(request), kind_of(field), name, strlen(name),
                                      &value, length) != MHD_YES)
        return NULL;
    return value; /* NULL too for a parameter without '=' */
}

struct visit {
    request_visitor visit;
    void *context;
};

static enum MHD_Result visit_pair(void *cls, enum MHD_ValueKind kind, const char *name,
                                  const char *value)
{
    (void)kind;
    const struct visit *v = cls;
    return v->visit(v->context, name, value) ? MHD_YES : MHD_NO;
}

static void mhd_each(const struct request *request, enum request_field field,
                     request_visitor visit, void *context)
{
    struct visit v = { visit, context };
    MHD_get_connection_values(connection_of(request), kind_of(field), visit_pair, &v);
}

static const struct sockaddr *connection_client(struct MHD_Connection *connection)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    return info ? info->client_addr : NULL;
}

static const struct sockaddr *mhd_client(const struct request *request)
{
    return connection_client(connection_of(request));
}

static size_t mhd_head_size(const struct request *request)
{
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(
        connection_of(request), MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
    return info ? info->header_size : 0;
}

/* libmicrohttpd 0.9.75 writes algorithm=md5 or algorithm=sha-256; the registered names are
 * "MD5" and "SHA-256" (RFC 7616 §6.1) and some clients compare them exactly (Python's urllib
 * refuses "md5"), which is why 0.9.77 changed to upper case. The header is rewritten here, on
 * this request's own response, after queueing and before anything is sent: libmicrohttpd
 * builds the response head only once the access handler has returned. */
static void uppercase_digest_algorithm(struct MHD_Response *response)
{
    const char *challenge = MHD_get_response_header(response, "WWW-Authenticate");
    char fixed[512];
    if (!challenge || strlen(challenge) >= sizeof fixed)
        return;
    strcpy(fixed, challenge);
    char *algorithm = strstr(fixed, "algorithm=");
    if (!algorithm)
        return;
    for (char *p = algorithm + strlen("algorithm="); *p && *p != ','; p++)
        *p = (char)toupper((unsigned char)*p);
    /* Added before the original goes, so that a failure leaves a challenge in any case. */
    if (strcmp(fixed, challenge) != 0 &&
        MHD_add_response_header(response, "WWW-Authenticate", fixed) == MHD_YES)
        MHD_del_response_header(response, "WWW-Authenticate", challenge);
}

static enum MHD_DigestAuthAlgorithm mhd_algorithm(enum digest_algorithm algorithm)
{
    return algorithm == DIGEST_MD5 ? MHD_DIGEST_ALG_MD5 : MHD_DIGEST_ALG_SHA256;
}

/* Queues response (this request's own, never a shared one: the challenge is added to it) as
 * the 401 of a reply with digest_fail set: libmicrohttpd writes the challenge itself, because
 * only it can make the nonce it will later check. */
static enum MHD_Result queue_digest_challenge(struct MHD_Connection *connection,
                                              const struct reply *reply,
                                              struct MHD_Response *response)
{
    enum MHD_Result queued = MHD_queue_auth_fail_response2(
        connection, reply->digest_challenge.realm, reply->digest_challenge.opaque, response,
        reply->digest_challenge.stale ? MHD_YES : MHD_NO,
        mhd_algorithm(reply->digest_challenge.algorithm));
    if (queued == MHD_YES)
        uppercase_digest_algorithm(response);
    return queued;
}

static char *mhd_digest_username(const struct request *request)
{
    char *name = MHD_digest_auth_get_username(connection_of(request));
    char *copy = name ? strdup(name) : NULL; /* the caller frees with free(), not MHD_free() */
    MHD_free(name);
    return copy;
}

static enum digest_result mhd_digest_check(const struct request *request, const char *realm,
                                           const char *user, const char *password,
                                           unsigned nonce_timeout_s,
                                           enum digest_algorithm algorithm)
{
    int checked = MHD_digest_auth_check2(connection_of(request), realm, user, password,
                                         nonce_timeout_s, mhd_algorithm(algorithm));
    return checked == MHD_YES             ? DIGEST_ACCEPTED
           : checked == MHD_INVALID_NONCE ? DIGEST_STALE_NONCE
                                          : DIGEST_REFUSED;
}

static const struct request_transport mhd_transport = {
    .lookup = mhd_lookup,
    .each = mhd_each,
    .client = mhd_client,
    .head_size = mhd_head_size,
    .digest_username = mhd_digest_username,
    .digest_check = mhd_digest_check,
    .raw_head = head_raw_bytes,
};

/* --- MHD callbacks around each request ------------------------------------------------ */

/* One per TCP connection, from libmicrohttpd's "started" to its "closed" notification. It
 * knows the exchange in progress, because libmicrohttpd reports a request as completed only if
 * the handler was called for it: a client that leaves in the middle of its head would
 * otherwise leave its exchange (and its stall-watch entry) behind. */
struct connection_state {
    struct exchange *pending;
};

/* Finished exchanges are kept for the next request on the same libmicrohttpd thread, not on
 * their connection: a keep-alive request then costs no malloc, and an idle connection holds
 * no exchange (~5 KiB each: 10,000 idle connections would keep ~50 MiB). Each thread owns
 * its own cache, so no lock; the pthread key frees a thread's cache when the thread ends
 * (libmicrohttpd's threads end in MHD_stop_daemon). Only exchanges of the usual size
 * (EXCHANGE_TARGET_ROOM) are kept; longer targets get their own and free it. */
#define EXCHANGE_TARGET_ROOM 256
#define EXCHANGE_CACHE_SIZE 32

struct exchange_cache {
    size_t count;
    struct exchange *items[EXCHANGE_CACHE_SIZE];
};

static _Thread_local struct exchange_cache *thread_exchanges;
static pthread_key_t exchange_cache_key;
static pthread_once_t exchange_cache_once = PTHREAD_ONCE_INIT;

static void exchange_cache_free(void *cache_pointer)
{
    struct exchange_cache *cache = cache_pointer;
    while (cache && cache->count)
        free(cache->items[--cache->count]);
    free(cache);
}

static void exchange_cache_key_create(void)
{
    if (pthread_key_create(&exchange_cache_key, exchange_cache_free) != 0)
        abort(); /* only when the process is out of keys at start-up */
}

/* This thread's cache, made on its first request; NULL when out of memory (then every
 * exchange is simply allocated and freed). */
static struct exchange_cache *exchange_cache(void)
{
    if (!thread_exchanges) {
        pthread_once(&exchange_cache_once, exchange_cache_key_create);
        struct exchange_cache *cache = calloc(1, sizeof *cache);
        if (cache && pthread_setspecific(exchange_cache_key, cache) != 0) {
            free(cache);
            cache = NULL;
        }
        thread_exchanges = cache;
    }
    return thread_exchanges;
}

static struct exchange *exchange_new(size_t target_bytes)
{
    struct exchange_cache *cache = exchange_cache();
    if (target_bytes <= EXCHANGE_TARGET_ROOM && cache && cache->count)
        return cache->items[--cache->count];
    size_t capacity = target_bytes < EXCHANGE_TARGET_ROOM ? EXCHANGE_TARGET_ROOM : target_bytes;
    struct exchange *x = malloc(sizeof *x + capacity);
    if (x)
        x->target_capacity = capacity;
    return x;
}

static void exchange_recycle(struct exchange *x)
{
    struct exchange_cache *cache = exchange_cache();
    if (x->target_capacity == EXCHANGE_TARGET_ROOM && cache &&
        cache->count < EXCHANGE_CACHE_SIZE)
        cache->items[cache->count++] = x;
    else
        free(x);
}

/* glibc returns the top of a heap to the kernel whenever more than 128 KiB is free there, and
 * connections that come and go (Connection: close, each with a ~24 KiB pool) swing the top
 * across that line all the time: the pages are given back and faulted in again, on a VM
 * ~10 µs a page (bench/README.md "The close path"). Keeping up to 16 MiB free at the
 * top stops that; setting the trim threshold also freezes glibc's mmap threshold, so it is
 * set too, above --max-body's default, so that bodies come from the heap as they did. */
static void keep_freed_memory(void)
{
    if (mallopt(M_TRIM_THRESHOLD, 16 << 20) != 1 || mallopt(M_MMAP_THRESHOLD, 4 << 20) != 1)
        fprintf(stderr, "statusd: mallopt failed; connections will cost more page faults\n");
}

static struct connection_state *connection_state_of(struct MHD_Connection *connection)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return info ? info->socket_context : NULL;
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *connection)
{
    (void)cls;
    size_t n = strlen(uri);
    struct connection_state *state = connection_state_of(connection);
    struct exchange *x = exchange_new(n + 1);
    if (!x)
        return NULL;
    x->phase = PHASE_HEADERS;
    x->started_us = now_us();
    x->refused = false;
    x->client_closed = false;
    x->body_length = 0;
    x->route = NULL;
    x->body = NULL;
    x->body_capacity = 0;
    /* The completion callback reads these even when the handler never ran (a 431 that
     * libmicrohttpd answered itself). */
    x->request.method = NULL;
    x->reply.owned_body = NULL;
    x->answered_raw = 0;
    x->journaled = false;
    x->interim_sent = false;
    memcpy(x->target, uri, n + 1);
    stall_watch_add(&x->stall, connection);
    atomic_fetch_add(&server.in_flight, 1);
    if (state)
        state->pending = x;
    return x;
}

/* Records the request in its key's /journal once, as soon as its answer is decided and before
 * a byte of it goes out: a client that reads the journal after an answer then always finds
 * that request there, in the order the answers were given. */
static void journal_exchange(struct exchange *x, unsigned status)
{
    if (x->journaled || !x->request.method)
        return;
    x->journaled = true;
    server_record_answer(&x->request, x->target, status, fault_names[x->reply.fault]);
}

void server_record_answer(const struct request *request, const char *target, unsigned status,
                          const char *fault)
{
    for (size_t i = 0; i < SERVER_MAX_OBSERVERS && server.answer_observers[i]; i++)
        server.answer_observers[i](request, target, status, fault);
}

void server_record_completion(const struct access_record *record)
{
    for (size_t i = 0; i < SERVER_MAX_OBSERVERS && server.completion_observers[i]; i++)
        server.completion_observers[i](record);
}

/* The status line a fault sends: bad-chunk writes a 200 head before its broken body. */
static unsigned fault_status(const struct reply *reply)
{
    return reply->fault == FAULT_BAD_CHUNK ? 200 : 0;
}

/* Logs, records and frees a finished exchange. */
static void finish_exchange(struct exchange *x, struct MHD_Connection *connection,
                            enum MHD_RequestTerminationCode toe)
{
    struct connection_state *state = connection_state_of(connection);
    if (state && state->pending == x)
        state->pending = NULL;
    bool answered_408 = !stall_watch_remove(&x->stall);
    static const char *const outcomes[] = { "ok", "error", "timeout", "shutdown",
                                            "read-error", "client-aborted" };
    const union MHD_ConnectionInfo *status =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_HTTP_STATUS);
    char client[INET6_ADDRSTRLEN];
    const char *method = x->request.method ? x->request.method : "-";
    /* reply is valid once method is (both set by the first handler call) */
    const char *fault = x->request.method ? fault_names[x->reply.fault] : NULL;
    struct access_record record = {
        /* inet_ntop costs a tenth of a request: only for a log that will show it. */
        .client = server.config->log_format == LOG_OFF
                      ? "-"
                      : address_text(connection_client(connection), client, sizeof client),
        .method = method,
        .target = x->target,
        .protocol = protocol_names[PROTOCOL_H1],
        .status = answered_408                  ? 408
                  : x->answered_raw               ? x->answered_raw
                  : status && status->http_status ? status->http_status
                  /* after a protocol switch libmicrohttpd reports 0 */
                  : x->request.method && reply_kind(&x->reply) == REPLY_UPGRADE ? 101
                                                                  : 0,
        /* A 408 is written by the stall watch, which counts what it wrote. The method of a
         * head that never completed is not known: libmicrohttpd tells only the target then. */
        .bytes = answered_408                 ? x->stall.body_sent
                 : strcmp(method, "HEAD") == 0 ? 0
                                               : x->body_length,
        .duration_ms = (double)(now_us() - x->started_us) / 1000.0,
        .outcome = answered_408                                       ? "stalled"
                   : fault                                            ? fault
                   : x->client_closed                                 ? "client-closed"
                   : (unsigned)toe < sizeof outcomes / sizeof outcomes[0] ? outcomes[toe]
                                                                          : "?",
    };
    server_record_completion(&record);
    journal_exchange(x, record.status); /* answers not sent by this file (a 408) */
    free(x->reply.owned_body); /* set only if no response took it over */
    if (x->request.method && x->reply.stream.free_context) /* likewise */
        x->reply.stream.free_context(x->reply.stream.context);
    free(x->body);
    exchange_recycle(x);
    atomic_fetch_sub(&server.in_flight, 1);
}

static void on_completed(void *cls, struct MHD_Connection *connection, void **context,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    if (*context)
        finish_exchange(*context, connection, toe);
    *context = NULL;
}

static void on_connection(void *cls, struct MHD_Connection *connection, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    (void)cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        atomic_fetch_add(&server.connections, 1); /* for on_accept */
        *socket_context = calloc(1, sizeof(struct connection_state));
        return;
    }
    atomic_fetch_sub(&server.connections, 1);
    timer_release_due(); /* in case this was a batch's leader, closed before its callback */
    struct connection_state *state = *socket_context;
    if (state && state->pending) /* the client left before its head was complete */
        finish_exchange(state->pending, connection, MHD_REQUEST_TERMINATED_CLIENT_ABORT);
    free(state);
    *socket_context = NULL;
}

static void on_mhd_log(void *cls, const char *format, va_list args)
{
    (void)cls;
    /* Once listening, libmicrohttpd reports every client that hangs up or sends garbage: for
     * a server that breaks connections on purpose that is noise, so it is kept for
     * STATUSD_DEBUG=1. Start-up errors (a port in use) always show. */
    if (atomic_load(&server.listening) && !server.debug)
        return;
    fprintf(stderr, "statusd: libmicrohttpd: ");
    vfprintf(stderr, format, args);
}

/* --- answering ----------------------------------------------------------------------- */

/* The connection's socket or TLS session, for what wire.c writes beside libmicrohttpd. */
static bool target_of(struct MHD_Connection *connection, struct wire_target *target)
{
    return wire_target_of(connection, server.listener.mhd_flags & MHD_USE_TLS, target);
}

/* Sends an interim 1xx before the final response (SPEC §3). Safe because libmicrohttpd
 * writes nothing for this request until a response is queued and the previous response on
 * the connection is complete (docs/libmicrohttpd.md §1). */
static bool send_interim(struct exchange *x)
{
    struct request *r = &x->request;
    unsigned code = x->reply.interim;
    if (!code || request_is_http10(r))
        return true; /* RFC 9110 §15.2: never a 1xx to an HTTP/1.0 client */
    const char *expect = request_header(r, MHD_HTTP_HEADER_EXPECT);
    if (code == 100 && expect && strcasecmp(expect, "100-continue") == 0)
        return true; /* libmicrohttpd already sent its own 100 Continue */
    struct wire_target target;
    return target_of(x->connection, &target) && wire_interim(&target, &x->reply);
}

/* Answers a refused head (414, 431) by writing the response to the socket and closing.
 * libmicrohttpd would build the response in the connection's memory pool, which a head near
 * the pool's size has nearly filled: it then closes without a word ("failed to create response
 * header"). Written here, the answer needs no pool memory at all. */
static enum MHD_Result refuse_raw(struct exchange *x)
{
    struct request *r = &x->request;
    struct strbuf body = { 0 };
    render_explanation(&body, r->format, r->languages, &x->reply);
    struct strbuf head = { 0 };
    wire_final_head(&head, x->reply.status, format_content_types[r->format], body.length);
    bool head_only = r->method_id == METHOD_HEAD;
    journal_exchange(x, x->reply.status);
    struct wire_target target;
    if (!strbuf_failed(&head) && !strbuf_failed(&body) && target_of(x->connection, &target) &&
        wire_write(&target, head.data, head.length) &&
        (head_only || wire_write(&target, body.data, body.length)))
        x->body_length = head_only ? 0 : body.length;
    strbuf_free(&head);
    strbuf_free(&body);
    x->answered_raw = x->reply.status;
    return MHD_NO; /* libmicrohttpd closes the connection */
}

/* Appends a piece of the body for routes that read it; false when out of memory. */
static bool keep_body(struct exchange *x, const char *data, size_t size)
{
    size_t needed = x->request.body_length + size;
    if (needed > x->body_capacity) {
        size_t capacity = x->body_capacity ? x->body_capacity : 4096;
        while (capacity < needed)
            capacity *= 2;
        char *grown = realloc(x->body, capacity);
        if (!grown)
            return false;
        x->body = grown;
        x->body_capacity = capacity;
    }
    memcpy(x->body + x->request.body_length, data, size);
    x->request.body_length = needed;
    x->request.body = x->body;
    return true;
}

static enum MHD_Result queue_reply(struct exchange *x)
{
    struct reply *reply = &x->reply;
    struct MHD_Response *response = mhd_response_build(&x->request, reply, &x->body_length);
    if (!response)
        return MHD_NO;
    enum reply_kind kind = reply_kind(reply); /* after building: a 206 may have become 416 */
    if (kind != REPLY_SHARED && reply->status == 205)
        x->body_length = 0;
    enum MHD_Result queued;
    if (kind == REPLY_CHALLENGE)
        /* libmicrohttpd adds the Digest challenge (with a nonce only it can make) to the
         * response while queueing it, so it must be this request's own (docs/libmicrohttpd.md §5). */
        queued = queue_digest_challenge(x->connection, reply, response);
    else
        queued = MHD_queue_response(x->connection, reply->status, response);
    if (kind != REPLY_SHARED)
        MHD_destroy_response(response);
    if (queued == MHD_YES) /* nothing is sent before the handler returns */
        journal_exchange(x, reply->status);
    return queued;
}

/* True when the client closed its side while its request was suspended: libmicrohttpd does not
 * watch a suspended connection, and the answer's write then "succeeds" into a dead socket, so
 * the access log would say ok. The answer still goes out, for a client that only half-closed. */
static bool client_hung_up(struct MHD_Connection *connection)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
    char byte;
    ssize_t n = info ? recv(info->connect_fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) : -1;
    return n == 0 || (n < 0 && errno == ECONNRESET);
}

/* Sends what was decided, once any delay is over. */
static enum MHD_Result answer(struct exchange *x)
{
    x->phase = PHASE_DONE;
    if (reply_kind(&x->reply) == REPLY_FAULT && x->reply.fault != FAULT_TRUNCATE) {
        journal_exchange(x, fault_status(&x->reply));
        struct wire_target target;
        if (target_of(x->connection, &target))
            wire_fault(&target, &x->reply);
        return MHD_NO; /* libmicrohttpd drops the connection without a response */
    }
    if (!x->interim_sent && !send_interim(x))
        return MHD_NO;
    return queue_reply(x);
}

/* The request is complete: decide the reply, then wait or answer. */
static enum MHD_Result dispatch(struct exchange *x)
{
    if (!stall_watch_remove(&x->stall))
        return MHD_NO; /* too late: a 408 went out and the connection is closing */
    uint64_t delay_ms = route_decide(&x->request, &x->reply);
    if (delay_ms) {
        /* A hang is recorded as it begins: a client that gives up and reads the journal must
         * find the request it is still waiting for. */
        if (x->reply.fault == FAULT_HANG || x->reply.fault == FAULT_HEADERS_ONLY)
            journal_exchange(x, 0);
        /* An interim response goes out before the wait, as a server sends 103 Early Hints
         * while it is still working on the final answer. */
        if (x->reply.interim && reply_kind(&x->reply) != REPLY_FAULT) {
            if (!send_interim(x))
                return MHD_NO;
            x->interim_sent = true;
        }
        x->phase = PHASE_WAITING;
        MHD_suspend_connection(x->connection);
        /* Scheduled after suspending, so the resume can never come first. */
        if (!timer_resume_at(x->connection, now_us() + delay_ms * 1000))
            MHD_resume_connection(x->connection);
        return MHD_YES;
    }
    return answer(x);
}

/* The most body bytes this request may send: its route's tighter limit, or --max-body. */
static uint64_t body_limit(const struct exchange *x)
{
    return x->request.body_limit ? x->request.body_limit : server.config->max_body;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *connection, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **context)
{
    (void)cls;
    struct exchange *x = *context;
    if (!x)
        return MHD_NO; /* out of memory in on_uri: close the connection */
    switch (x->phase) {
    case PHASE_HEADERS:
        x->connection = connection;
        /* Everything but the arena, whose bytes are used only up to arena_used: zeroing its
         * 4 KiB for every request would cost more than the rest of this set-up. */
        memset(&x->request, 0, offsetof(struct request, arena));
        x->request.transport = &mhd_transport;
        x->request.transport_context = connection;
        x->request.tls = server.listener.mhd_flags & MHD_USE_TLS;
        x->request.config = server.config;
        x->request.method = method;
        x->request.method_id = method_from_name(method);
        x->request.target = x->target;
        x->request.version = version;
        x->request.path = head_target_path(&x->request, url);
        x->request.no_query = strchr(x->target, '?') == NULL;
        x->reply = (struct reply){ 0 };
        x->phase = PHASE_BODY;
        x->route = route_find(x->request.path, &x->request.tail);
        /* Negotiated now so that a refusal below is rendered as the client asked; bad
         * ?format= or ?lang= values are reported once the request is complete. */
        x->request.format = negotiate_format(request_header(&x->request, MHD_HTTP_HEADER_ACCEPT));
        x->request.languages = negotiate_languages(
            request_header(&x->request, MHD_HTTP_HEADER_ACCEPT_LANGUAGE));
        if (!head_check(&x->request, x->target, server.config, &x->reply) ||
            (x->route && x->route->precheck &&
             (x->route->methods & METHOD_BIT(x->request.method_id)) &&
             !x->route->precheck(&x->request, &x->reply))) {
            /* Queued in the first call, so libmicrohttpd closes the connection after it:
             * right for a refused body, whose bytes would otherwise be read as a request. */
            x->refused = true;
            x->phase = PHASE_DONE;
            if (!stall_watch_remove(&x->stall))
                return MHD_NO;
            if (x->reply.lean)
                return refuse_raw(x);
            return queue_reply(x);
        }
        stall_watch_progress(&x->stall);
        /* Queueing now would close the connection (docs/libmicrohttpd.md §2): wait for the next call. */
        return MHD_YES;
    case PHASE_BODY:
        if (*upload_data_size) {
            size_t size = *upload_data_size;
            x->request.body_bytes += size;
            stall_watch_progress(&x->stall);
            *upload_data_size = 0;
            if (x->request.body_bytes > body_limit(x)) {
                reply_error(&x->reply, &x->request, 413,
                            x->request.body_limit
                                ? "The body grew past this URL's limit (?max=) while it was "
                                  "being read."
                                : "The body grew past --max-body while it was being read.",
                            x->request.body_limit ? "读取过程中消息体超过了此 URL 的上限（?max=）。"
                                                  : "读取过程中消息体超过了 --max-body。");
                /* libmicrohttpd 0.9.75 refuses a response queued mid-body (MHD_queue_response
                 * returns MHD_NO and the client would get nothing): the rest is read and
                 * dropped, and the 413 (with Connection: close) goes out at its end. */
                x->phase = PHASE_DRAINING;
            }
            if (x->phase == PHASE_DRAINING)
                return MHD_YES;
            if (x->route && (x->route->flags & ROUTE_KEEPS_BODY) &&
                !keep_body(x, upload_data, size))
                return MHD_NO; /* out of memory: drop this connection, not the server */
            return MHD_YES;
        }
        return dispatch(x);
    case PHASE_DRAINING:
        if (*upload_data_size) {
            x->request.body_bytes += *upload_data_size;
            stall_watch_progress(&x->stall);
            *upload_data_size = 0;
            /* A client that sends another --max-body after the limit is not stopping. */
            return x->request.body_bytes - body_limit(x) > server.config->max_body ? MHD_NO
                                                                                   : MHD_YES;
        }
        x->phase = PHASE_DONE;
        if (!stall_watch_remove(&x->stall))
            return MHD_NO;
        return queue_reply(x);
    case PHASE_WAITING:
        timer_release_due(); /* the rest of this thread's due waits, in one batch */
        x->client_closed = client_hung_up(connection);
        return answer(x);
    case PHASE_DONE:
    default:
        /* Called again after a response was queued (a refused body still arriving). */
        *upload_data_size = 0;
        return MHD_YES;
    }
}

/* --- start and stop ------------------------------------------------------------------ */

static unsigned connection_limit(unsigned threads)
{
    /* Each connection is a file descriptor; keep some for the listener, logs and timers, and
     * per worker thread its epoll and wake-up descriptors and one connection being refused. */
    long open_max = sysconf(_SC_OPEN_MAX);
    long limit = open_max > 0 ? open_max - 64 - 3 * (long)threads : 1000;
    if (limit > 20000)
        limit = 20000;
    return limit < 16 ? 16 : (unsigned)limit;
}

/* At libmicrohttpd's own connection limit the listening socket leaves its poll set and new
 * clients hang in the kernel's backlog (docs/libmicrohttpd.md §3). statusd's limit sits just below it, so
 * a connection over the limit is accepted and closed at once: the client sees the connection
 * end within milliseconds instead of waiting. */
static enum MHD_Result on_accept(void *cls, const struct sockaddr *address, socklen_t length)
{
    (void)cls;
    (void)address;
    (void)length;
    if (atomic_load(&server.stopping))
        return MHD_NO; /* shutting down: whatever still gets in is closed at once */
    return atomic_load(&server.connections) < server.max_connections ? MHD_YES : MHD_NO;
}

static void choose_connection_limit(const struct config *config)
{
    unsigned fit = connection_limit(config->threads);
    server.max_connections = config->max_connections ? config->max_connections : fit;
    if (server.max_connections > fit) {
        fprintf(stderr, "statusd: --max-connections %u is more than the file descriptor limit "
                        "allows; using %u (raise ulimit -n)\n", server.max_connections, fit);
        server.max_connections = fit;
    }
}

bool server_start(const struct config *config)
{
    server.config = config;
    const char *debug = getenv("STATUSD_DEBUG");
    server.debug = debug && strcmp(debug, "1") == 0;
    /* --host/--port or systemd's socket, dual stack for "::", TLS: decided in listen.c. */
    if (!listener_prepare(&server.listener, config))
        return false;
    /* The timer thread cannot write a 408 into a TLS stream (stall_watch.c). */
    stall_watch_use_tls(server.listener.mhd_flags & MHD_USE_TLS);
    /* Digest nonces are derived from this; without it they would be predictable. */
    static unsigned char nonce_seed[32];
    if (getrandom(nonce_seed, sizeof nonce_seed, 0) != (ssize_t)sizeof nonce_seed) {
        fprintf(stderr, "statusd: cannot read random bytes for digest nonces\n");
        listener_free(&server.listener);
        return false;
    }
    choose_connection_limit(config);
    keep_freed_memory();
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_ALLOW_UPGRADE | MHD_USE_ERROR_LOG | MHD_USE_TURBO |
                     server.listener.mhd_flags;
    /* With another acceptor (HTTP/2 on) libmicrohttpd gets no listening socket: the acceptor
     * hands it the HTTP/1.1 connections (MHD_add_connection, which needs the wake-up
     * channel), so of the listener's options only TLS is passed, not the address. */
    struct MHD_OptionItem *listen_options = server.listener.options;
    if (server.acceptor) {
        flags |= MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ITC;
        listen_options++;
    }
    /* A pool of one is no pool: libmicrohttpd warns and ignores it, so then none is asked for. */
    struct MHD_OptionItem threading[] = {
        { config->threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END, config->threads,
          NULL },
        { MHD_OPTION_END, 0, NULL },
    };
    server.daemon = MHD_start_daemon(
        flags, server.listener.mhd_port, on_accept, NULL, on_request, NULL,
        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
        MHD_OPTION_ARRAY, listen_options, /* address or socket, TLS */
        MHD_OPTION_ARRAY, threading,
        /* Above statusd's own limit by what the workers can accept at the same moment, so
         * on_accept refuses first (libmicrohttpd splits this limit evenly among them). */
        MHD_OPTION_CONNECTION_LIMIT, server.max_connections + config->threads,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, config->max_connections_per_ip,
        /* One second past --timeout: the stall watch answers 408 first (stall_watch.h). */
        MHD_OPTION_CONNECTION_TIMEOUT, config->timeout_s + 1,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)POOL_SIZE(config->max_header_bytes),
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, NULL,
        MHD_OPTION_DIGEST_AUTH_RANDOM, sizeof nonce_seed, nonce_seed,
        /* The default of 4 makes concurrent digest clients evict each other's nonces. */
        MHD_OPTION_NONCE_NC_SIZE, 4096U,
        MHD_OPTION_END);
    if (!server.daemon) {
        if (server.listener.inherited_fd >= 0)
            fprintf(stderr, "statusd: cannot serve the socket systemd passed (LISTEN_FDS)\n");
        else
            fprintf(stderr, "statusd: cannot listen on %s port %u (in use, not permitted, or a "
                            "TLS key that does not fit?)\n", config->host, config->port);
        listener_free(&server.listener);
        return false;
    }
    /* Read back: with --port 0 or systemd's socket the port was chosen elsewhere. */
    unsigned port = config->port;
    if (server.acceptor) {
        uint16_t bound_port = 0;
        if (!server.acceptor->start(&server.listener, config, server.daemon, &bound_port)) {
            MHD_stop_daemon(server.daemon);
            server.daemon = NULL;
            listener_free(&server.listener);
            return false;
        }
        port = bound_port ? bound_port : port;
    } else {
        const union MHD_DaemonInfo *bound =
            MHD_get_daemon_info(server.daemon, MHD_DAEMON_INFO_BIND_PORT);
        port = bound ? bound->port : port;
    }
    printf("statusd listening on %s://%s:%u\n", listener_scheme(&server.listener),
           server.listener.host_text, port);
    fflush(stdout);
    atomic_store(&server.listening, true);
    return true;
}

/* Stops taking new connections. Not with MHD_quiesce_daemon(): in 0.9.75 it races the epoll
 * worker threads to remove the listening socket from their epoll sets, and the loser aborts
 * the process ("Failed to remove listen FD from epoll set"; a known upstream defect). Nor by
 * putting another socket in the listening one's place (dup2): a worker at its connection
 * limit then removes the listening descriptor from its epoll set, finds a socket that was
 * never in it, and aborts the same way (seen under ThreadSanitizer with a low ulimit).
 *
 * shutdown() makes the kernel stop listening on the very same socket: new clients get
 * "connection refused" at once instead of waiting in the backlog, and the descriptor stays
 * what libmicrohttpd registered. Its workers may then wake for it in a loop until
 * MHD_stop_daemon() (accept fails) during the grace period; better than aborting. Under
 * systemd the socket is systemd's too and must keep listening for the next start: it is left
 * alone here (on_accept closes whatever still gets in) and protected from MHD_stop_daemon()
 * by keep_inherited_socket(). */
static void stop_accepting(void)
{
    atomic_store(&server.stopping, true); /* on_accept closes whatever still gets in */
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(server.daemon, MHD_DAEMON_INFO_LISTEN_FD);
    if (!info || info->listen_fd == MHD_INVALID_SOCKET || server.listener.inherited_fd >= 0)
        return;
    shutdown(info->listen_fd, SHUT_RDWR);
}

/* MHD_stop_daemon() shuts the listening socket down, which would stop systemd's socket from
 * listening for the next start: a socket that never listened is put in its descriptor's place
 * first, for libmicrohttpd to close. Only once in-flight requests are done, so that no worker
 * is at its connection limit (where it would take the descriptor out of its epoll set). */
static void keep_inherited_socket(void)
{
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(server.daemon, MHD_DAEMON_INFO_LISTEN_FD);
    if (server.listener.inherited_fd < 0 || !info || info->listen_fd == MHD_INVALID_SOCKET)
        return;
    int placeholder = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (placeholder >= 0) {
        dup2(placeholder, info->listen_fd);
        close(placeholder);
    }
}

void server_stop(void)
{
    if (!server.daemon)
        return;
    /* 1. Stop accepting. */
    if (server.acceptor)
        atomic_store(&server.stopping, true);
    else
        stop_accepting();
    /* 2. Delayed requests are answered now rather than dropped. */
    timer_expire_all();
    /* WebSocket sessions close now (1001): an upgraded connection still open would keep
     * in_flight up below, and MHD_stop_daemon may crash on it (websocket.h). */
    for (size_t i = 0; i < SERVER_MAX_OBSERVERS && server.shutdown_observers[i]; i++)
        server.shutdown_observers[i]();
    /* The other acceptor stops taking connections and lets its own requests finish (its
     * delays were released above). */
    if (server.acceptor)
        server.acceptor->stop(SHUTDOWN_GRACE_MS);
    /* 3. Let in-flight requests finish, within a bound. */
    uint64_t deadline = now_ms() + SHUTDOWN_GRACE_MS;
    while (atomic_load(&server.in_flight) > 0 && now_ms() < deadline)
        usleep(10000);
    keep_inherited_socket();
    MHD_stop_daemon(server.daemon);
    /* libmicrohttpd's threads freed their caches as they ended; this thread may hold one if
     * connections were closed from here. */
    if (thread_exchanges) {
        pthread_setspecific(exchange_cache_key, NULL);
        exchange_cache_free(thread_exchanges);
        thread_exchanges = NULL;
    }
    listener_free(&server.listener);
    server.daemon = NULL;
}
