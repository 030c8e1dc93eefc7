#include "server.h"

#include "accesslog.h"
#include "numbers.h"
#include "response.h"
#include "fault.h"
#include "routes.h"
#include "stall_watch.h"
#include "timer.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

/* Room libmicrohttpd needs in a connection's memory pool beyond the request head itself (its
 * own parsing and the response header lines). statusd enforces --max-header-bytes exactly
 * itself (414/431); the pool is only the backstop. */
#define POOL_HEADROOM 4096
#define SHUTDOWN_GRACE_MS 10000

enum phase {
    PHASE_HEADERS, /* first call: the head has arrived, nothing queued yet */
    PHASE_BODY,    /* reading the body; the call with no data marks its end */
    PHASE_WAITING, /* suspended for a delay */
    PHASE_DONE,
};

/* Everything about one request, from the URI-log callback to the completion callback. */
struct exchange {
    enum phase phase;
    uint64_t started_us;
    bool refused;          /* an error was queued before the body was read */
    struct stall_entry stall; /* watched for a 408 until the request is complete */
    const struct route *route; /* found when the head arrives, NULL for an unknown path */
    char *body;            /* kept for routes with ROUTE_KEEPS_BODY */
    size_t body_capacity;
    struct request request;
    struct reply reply;
    uint64_t body_length;  /* bytes of the response body, for the log */
    char target[];         /* the raw request target, as the client sent it */
};

static struct {
    struct MHD_Daemon *daemon;
    const struct config *config;
    atomic_long in_flight;
    bool listening;
    bool debug;
} server;

/* --- MHD callbacks around each request ------------------------------------------------ */

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *connection)
{
    (void)cls;
    size_t n = strlen(uri);
    struct exchange *x = malloc(sizeof *x + n + 1);
    if (!x)
        return NULL;
    x->phase = PHASE_HEADERS;
    x->started_us = now_us();
    x->refused = false;
    x->body_length = 0;
    x->route = NULL;
    x->body = NULL;
    x->body_capacity = 0;
    /* The completion callback reads these even when the handler never ran (a 431 that
     * libmicrohttpd answered itself). */
    x->request.method = NULL;
    x->reply.owned_body = NULL;
    x->reply.prepared = NULL;
    memcpy(x->target, uri, n + 1);
    stall_watch_add(&x->stall, connection);
    atomic_fetch_add(&server.in_flight, 1);
    return x;
}

static const char *client_address(struct MHD_Connection *connection, char *out, size_t size)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf(out, size, "-");
    if (!info || !info->client_addr)
        return out;
    const struct sockaddr *a = info->client_addr;
    if (a->sa_family == AF_INET) {
        inet_ntop(AF_INET, &((const struct sockaddr_in *)a)->sin_addr, out, (socklen_t)size);
    } else if (a->sa_family == AF_INET6) {
        const struct in6_addr *v6 = &((const struct sockaddr_in6 *)a)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(v6)) /* dual stack: show 127.0.0.1, not ::ffff:127.0.0.1 */
            inet_ntop(AF_INET, &v6->s6_addr[12], out, (socklen_t)size);
        else
            inet_ntop(AF_INET6, v6, out, (socklen_t)size);
    }
    return out;
}

static void on_completed(void *cls, struct MHD_Connection *connection, void **context,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    struct exchange *x = *context;
    if (!x)
        return;
    bool answered_408 = !stall_watch_remove(&x->stall);
    static const char *const outcomes[] = { "ok", "error", "timeout", "shutdown",
                                            "read-error", "client-aborted" };
    const union MHD_ConnectionInfo *status =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_HTTP_STATUS);
    char client[INET6_ADDRSTRLEN];
    const char *method = x->request.method ? x->request.method : "-";
    struct access_record record = {
        .client = client_address(connection, client, sizeof client),
        .method = method,
        .target = x->target,
        .status = answered_408 ? 408 : status ? status->http_status : 0,
        .bytes = strcmp(method, "HEAD") == 0 ? 0 : x->body_length,
        .duration_ms = (double)(now_us() - x->started_us) / 1000.0,
        .outcome = answered_408                                       ? "stalled"
                   : (unsigned)toe < sizeof outcomes / sizeof outcomes[0] ? outcomes[toe]
                                                                          : "?",
    };
    accesslog_write(&record);
    if (x->request.method)
        stateful_record(connection, x->request.method, x->target, record.status);
    free(x->reply.owned_body); /* set only if no response took it over */
    if (x->reply.prepared)
        MHD_destroy_response(x->reply.prepared);
    free(x->body);
    free(x);
    *context = NULL;
    atomic_fetch_sub(&server.in_flight, 1);
}

static void on_mhd_log(void *cls, const char *format, va_list args)
{
    (void)cls;
    /* Once listening, libmicrohttpd reports every client that hangs up or sends garbage: for
     * a server that breaks connections on purpose that is noise, so it is kept for
     * STATUSD_DEBUG=1. Start-up errors (a port in use) always show. */
    if (server.listening && !server.debug)
        return;
    fprintf(stderr, "statusd: libmicrohttpd: ");
    vfprintf(stderr, format, args);
}

/* --- checks on the request head (first call) ----------------------------------------- */

struct head_size {
    size_t bytes;
    unsigned content_lengths;
    bool transfer_encoding;
};

static enum MHD_Result measure_header(void *cls, enum MHD_ValueKind kind, const char *name,
                                      const char *value)
{
    (void)kind;
    struct head_size *size = cls;
    size->bytes += strlen(name) + 2 + (value ? strlen(value) : 0) + 2;
    if (strcasecmp(name, "Content-Length") == 0)
        size->content_lengths++;
    if (strcasecmp(name, "Transfer-Encoding") == 0)
        size->transfer_encoding = true;
    return MHD_YES;
}

/* What must be refused before the body is read: a head over --max-header-bytes (414, 431),
 * framing that could smuggle a request past a proxy (400), a body over --max-body (413), an
 * expectation statusd cannot meet (417). Returns false and fills reply to refuse. */
static bool check_head(struct exchange *x)
{
    struct request *r = &x->request;
    struct reply *reply = &x->reply;
    const struct config *config = server.config;
    size_t line = strlen(r->method) + 1 + strlen(x->target) + 1 + strlen(r->version) + 2;
    if (line > config->max_header_bytes) {
        reply_error(reply, r, 414,
                    request_printf(r, "The request line is %zu bytes; this server accepts at most %zu "
                                      "(--max-header-bytes).", line, config->max_header_bytes),
                    request_printf(r, "请求行有 %zu 字节；本服务器最多接受 %zu 字节（--max-header-bytes）。",
                                   line, config->max_header_bytes));
        return false;
    }
    struct head_size size = { .bytes = line };
    MHD_get_connection_values(r->connection, MHD_HEADER_KIND, measure_header, &size);
    if (size.bytes + 2 > config->max_header_bytes) {
        reply_error(reply, r, 431,
                    request_printf(r, "The request head is %zu bytes; this server accepts at most %zu "
                                      "(--max-header-bytes).", size.bytes + 2, config->max_header_bytes),
                    request_printf(r, "请求头部共 %zu 字节；本服务器最多接受 %zu 字节（--max-header-bytes）。",
                                   size.bytes + 2, config->max_header_bytes));
        return false;
    }
    if (size.content_lengths > 1 || (size.content_lengths && size.transfer_encoding)) {
        reply_error(reply, r, 400,
                    "The request has more than one way to find where its body ends (several "
                    "Content-Length headers, or Content-Length with Transfer-Encoding): a proxy "
                    "and this server could disagree, which is how requests are smuggled.",
                    "请求有多种确定消息体结尾的方式（多个 Content-Length，或同时带有 Content-Length 和 "
                    "Transfer-Encoding）：代理和本服务器可能理解不一致，这正是请求走私的手法。");
        return false;
    }
    const char *length = request_header(r, MHD_HTTP_HEADER_CONTENT_LENGTH);
    uint64_t declared;
    if (length && parse_uint(length, UINT64_MAX, &declared) && declared > config->max_body) {
        reply_error(reply, r, 413,
                    request_printf(r, "The body would be %llu bytes; this server accepts at most %llu "
                                      "(--max-body). It was not read.",
                                   (unsigned long long)declared,
                                   (unsigned long long)config->max_body),
                    request_printf(r, "消息体将有 %llu 字节；本服务器最多接受 %llu 字节（--max-body），未读取。",
                                   (unsigned long long)declared,
                                   (unsigned long long)config->max_body));
        return false;
    }
    const char *expect = request_header(r, MHD_HTTP_HEADER_EXPECT);
    if (expect && strcasecmp(expect, "100-continue") != 0) {
        reply_error(reply, r, 417,
                    request_printf(r, "This server meets only 'Expect: 100-continue', not '%s'.",
                                   expect),
                    request_printf(r, "本服务器只支持 'Expect: 100-continue'，不支持 '%s'。", expect));
        return false;
    }
    return true;
}

/* --- answering ----------------------------------------------------------------------- */

/* Writes an interim 1xx response straight to the socket (MHD-NOTES §1: libmicrohttpd has no
 * API for them). Safe because MHD writes nothing for this request until a response is queued
 * and the previous response on the connection is complete. */
static bool send_interim(struct exchange *x)
{
    struct request *r = &x->request;
    unsigned code = x->reply.interim;
    if (!code || request_is_http10(r))
        return true; /* RFC 9110 §15.2: never a 1xx to an HTTP/1.0 client */
    const char *expect = request_header(r, MHD_HTTP_HEADER_EXPECT);
    if (code == 100 && expect && strcasecmp(expect, "100-continue") == 0)
        return true; /* libmicrohttpd already sent its own 100 Continue */
    const struct catalog_entry *entry = catalog_find(code, 0);
    char head[1024];
    int n = snprintf(head, sizeof head, "HTTP/1.1 %u %s\r\n", code,
                     entry ? entry->reason : "Informational");
    for (size_t i = 0; entry && i < entry->header_count && n > 0 && (size_t)n < sizeof head; i++)
        n += snprintf(head + n, sizeof head - (size_t)n, "%s: %s\r\n", entry->headers[i].name,
                      entry->headers[i].value);
    if (n < 0 || (size_t)n + 3 > sizeof head)
        return false;
    n += snprintf(head + n, sizeof head - (size_t)n, "\r\n");
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(r->connection, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (!info)
        return false;
    size_t sent = 0;
    while (sent < (size_t)n) {
        ssize_t w = send(info->connect_fd, head + sent, (size_t)n - sent, MSG_NOSIGNAL);
        if (w > 0) {
            sent += (size_t)w;
            continue;
        }
        if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            return false;
        /* The socket is non-blocking; an empty send buffer makes this rare and short. */
        struct pollfd wait = { .fd = info->connect_fd, .events = POLLOUT };
        if (poll(&wait, 1, 1000) <= 0)
            return false;
    }
    return true;
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
    struct MHD_Response *response = response_build(&x->request, reply, &x->body_length);
    reply->prepared = NULL; /* taken over by response (or gone with it) */
    if (!response)
        return MHD_NO;
    if (!reply->shared && reply->status == 205)
        x->body_length = 0;
    enum MHD_Result queued;
    if (reply->digest_fail && !reply->shared)
        /* The call adds the Digest challenge (with a nonce only it can make) to the response
         * it is given, so it must get this request's own, never a shared one (MHD-NOTES §5). */
        queued = MHD_queue_auth_fail_response2(
            x->request.connection, reply->digest_challenge.realm, reply->digest_challenge.opaque,
            response, reply->digest_challenge.stale ? MHD_YES : MHD_NO,
            (enum MHD_DigestAuthAlgorithm)reply->digest_challenge.algorithm);
    else
        queued = MHD_queue_response(x->request.connection, reply->status, response);
    if (!reply->shared)
        MHD_destroy_response(response);
    return queued;
}

/* Sends what was decided, once any delay is over. */
static enum MHD_Result answer(struct exchange *x)
{
    x->phase = PHASE_DONE;
    if (x->reply.fault != FAULT_NONE)
        return fault_carry_out(&x->request, &x->reply);
    if (!send_interim(x))
        return MHD_NO;
    return queue_reply(x);
}

/* ?format=, ?lang= and the Accept headers; ?delay= on every URL. False with a 400 reply. */
static bool read_common_parameters(struct exchange *x)
{
    struct request *r = &x->request;
    const char *format = request_query(r, "format");
    const char *lang = request_query(r, "lang");
    r->format = negotiate_format(request_header(r, MHD_HTTP_HEADER_ACCEPT));
    r->languages = negotiate_languages(request_header(r, MHD_HTTP_HEADER_ACCEPT_LANGUAGE));
    if (format && !negotiate_format_name(format, &r->format)) {
        reply_bad_parameter(&x->reply, r, "format", "text, html or json", "text、html 或 json");
        return false;
    }
    if (lang && !negotiate_language_name(lang, &r->languages)) {
        reply_bad_parameter(&x->reply, r, "lang", "zh or en", "zh 或 en");
        return false;
    }
    const char *delay = request_query(r, "delay");
    uint64_t max = server.config->max_delay_ms;
    if (delay && !parse_seconds_ms(delay, max, &x->reply.delay_ms)) {
        reply_bad_parameter(
            &x->reply, r, "delay",
            request_printf(r, "seconds from 0 to %llu.%03llu (--max-delay), at most 3 decimals",
                           (unsigned long long)(max / 1000), (unsigned long long)(max % 1000)),
            request_printf(r, "0 到 %llu.%03llu 秒（--max-delay），最多 3 位小数",
                           (unsigned long long)(max / 1000), (unsigned long long)(max % 1000)));
        return false;
    }
    return true;
}

/* The request is complete: decide the reply, then wait or answer. */
static enum MHD_Result dispatch(struct exchange *x)
{
    if (!stall_watch_remove(&x->stall))
        return MHD_NO; /* too late: a 408 went out and the connection is closing */
    uint64_t delay_ms = 0;
    if (read_common_parameters(x)) {
        delay_ms = x->reply.delay_ms;
        route_dispatch(&x->request, &x->reply);
        if (x->reply.delay_ms > delay_ms)
            delay_ms = x->reply.delay_ms; /* an endpoint's own wait (/delay/{s}) */
    }
    if (delay_ms) {
        x->phase = PHASE_WAITING;
        MHD_suspend_connection(x->request.connection);
        /* Scheduled after suspending, so the resume can never come first. */
        if (!timer_resume_at(x->request.connection, now_ms() + delay_ms))
            MHD_resume_connection(x->request.connection);
        return MHD_YES;
    }
    return answer(x);
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
        x->request = (struct request){
            .connection = connection,
            .config = server.config,
            .method = method,
            .method_id = method_from_name(method),
            .path = url,
            .version = version,
        };
        x->reply = (struct reply){ 0 };
        x->phase = PHASE_BODY;
        x->route = route_find(url, &x->request.tail);
        /* Negotiated now so that a refusal below is rendered as the client asked; bad
         * ?format= or ?lang= values are reported once the request is complete. */
        x->request.format = negotiate_format(request_header(&x->request, MHD_HTTP_HEADER_ACCEPT));
        x->request.languages = negotiate_languages(
            request_header(&x->request, MHD_HTTP_HEADER_ACCEPT_LANGUAGE));
        if (!check_head(x) ||
            (x->route && x->route->precheck &&
             (x->route->methods & METHOD_BIT(x->request.method_id)) &&
             !x->route->precheck(&x->request, &x->reply))) {
            /* Queued in the first call, so libmicrohttpd closes the connection after it:
             * right for a refused body, whose bytes would otherwise be read as a request. */
            x->refused = true;
            x->phase = PHASE_DONE;
            if (!stall_watch_remove(&x->stall))
                return MHD_NO;
            return queue_reply(x);
        }
        stall_watch_progress(&x->stall);
        /* Queueing now would close the connection (MHD-NOTES §2): wait for the next call. */
        return MHD_YES;
    case PHASE_BODY:
        if (*upload_data_size) {
            size_t size = *upload_data_size;
            x->request.body_bytes += size;
            stall_watch_progress(&x->stall);
            *upload_data_size = 0;
            uint64_t limit = x->request.body_limit ? x->request.body_limit
                                                   : server.config->max_body;
            if (x->request.body_bytes > limit) {
                reply_error(&x->reply, &x->request, 413,
                            x->request.body_limit
                                ? "The body grew past this URL's limit (?max=) while it was "
                                  "being read."
                                : "The body grew past --max-body while it was being read.",
                            x->request.body_limit ? "读取过程中消息体超过了此 URL 的上限（?max=）。"
                                                  : "读取过程中消息体超过了 --max-body。");
                x->phase = PHASE_DONE;
                if (!stall_watch_remove(&x->stall))
                    return MHD_NO;
                return queue_reply(x);
            }
            if (x->route && (x->route->flags & ROUTE_KEEPS_BODY) &&
                !keep_body(x, upload_data, size))
                return MHD_NO; /* out of memory: drop this connection, not the server */
            return MHD_YES;
        }
        return dispatch(x);
    case PHASE_WAITING:
        return answer(x);
    case PHASE_DONE:
    default:
        /* Called again after a response was queued (a refused body still arriving). */
        *upload_data_size = 0;
        return MHD_YES;
    }
}

/* --- start and stop ------------------------------------------------------------------ */

static unsigned connection_limit(void)
{
    /* Each connection is a file descriptor; keep some for the listener, logs and timers. */
    long open_max = sysconf(_SC_OPEN_MAX);
    long limit = open_max > 0 ? open_max - 64 : 1000;
    if (limit > 20000)
        limit = 20000;
    return limit < 16 ? 16 : (unsigned)limit;
}

bool server_start(const struct config *config)
{
    server.config = config;
    const char *debug = getenv("STATUSD_DEBUG");
    server.debug = debug && strcmp(debug, "1") == 0;
    char port_text[8];
    snprintf(port_text, sizeof port_text, "%u", config->port);
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE }, *address;
    int error = getaddrinfo(config->host, port_text, &hints, &address);
    if (error) {
        fprintf(stderr, "statusd: cannot use --host %s: %s\n", config->host, gai_strerror(error));
        return false;
    }
    /* Digest nonces are derived from this; without it they would be predictable. */
    static unsigned char nonce_seed[32];
    if (getrandom(nonce_seed, sizeof nonce_seed, 0) != (ssize_t)sizeof nonce_seed) {
        fprintf(stderr, "statusd: cannot read random bytes for digest nonces\n");
        freeaddrinfo(address);
        return false;
    }
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_ALLOW_UPGRADE | MHD_USE_ERROR_LOG | MHD_USE_TURBO;
    if (address->ai_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    server.daemon = MHD_start_daemon(
        flags, (uint16_t)config->port, NULL, NULL, on_request, NULL,
        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
        MHD_OPTION_SOCK_ADDR, address->ai_addr,
        MHD_OPTION_THREAD_POOL_SIZE, config->threads,
        MHD_OPTION_CONNECTION_LIMIT, connection_limit(),
        /* One second past --timeout: the stall watch answers 408 first (stall_watch.h). */
        MHD_OPTION_CONNECTION_TIMEOUT, config->timeout_s + 1,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, config->max_header_bytes + POOL_HEADROOM,
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
        MHD_OPTION_DIGEST_AUTH_RANDOM, sizeof nonce_seed, nonce_seed,
        /* The default of 4 makes concurrent digest clients evict each other's nonces. */
        MHD_OPTION_NONCE_NC_SIZE, 4096U,
        MHD_OPTION_END);
    char host[INET6_ADDRSTRLEN] = "";
    if (address->ai_family == AF_INET6)
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)address->ai_addr)->sin6_addr, host, sizeof host);
    else
        inet_ntop(AF_INET, &((struct sockaddr_in *)address->ai_addr)->sin_addr, host, sizeof host);
    bool ipv6 = address->ai_family == AF_INET6;
    freeaddrinfo(address);
    if (!server.daemon) {
        fprintf(stderr, "statusd: cannot listen on %s port %u (in use, or not permitted?)\n",
                config->host, config->port);
        return false;
    }
    const union MHD_DaemonInfo *bound =
        MHD_get_daemon_info(server.daemon, MHD_DAEMON_INFO_BIND_PORT);
    printf("statusd listening on http://%s%s%s:%u\n", ipv6 ? "[" : "", host, ipv6 ? "]" : "",
           bound ? bound->port : config->port);
    fflush(stdout);
    server.listening = true;
    return true;
}

void server_stop(void)
{
    if (!server.daemon)
        return;
    /* 1. Stop accepting. shutdown() makes new clients get "connection refused" at once
     *    instead of waiting in the kernel backlog (MHD-NOTES §7). */
    MHD_socket listener = MHD_quiesce_daemon(server.daemon);
    if (listener != MHD_INVALID_SOCKET)
        shutdown(listener, SHUT_RDWR);
    /* 2. Delayed requests are answered now rather than dropped. */
    timer_expire_all();
    /* 3. Let in-flight requests finish, within a bound. */
    uint64_t deadline = now_ms() + SHUTDOWN_GRACE_MS;
    while (atomic_load(&server.in_flight) > 0 && now_ms() < deadline)
        usleep(10000);
    MHD_stop_daemon(server.daemon);
    if (listener != MHD_INVALID_SOCKET)
        close(listener);
    server.daemon = NULL;
}
