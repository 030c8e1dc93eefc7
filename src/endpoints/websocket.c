#include "websocket.h"

#include "httplist.h"
#include "timer.h"
#include "ws_frame.h"
#include "utf8.h"

#include <errno.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#define WEBSOCKET_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
/* A reassembled message may be this long; longer is closed with 1009. */
#define MAX_MESSAGE_BYTES (1024 * 1024)
#define INITIAL_INPUT_BYTES 16384
/* A session that hears nothing this long is closed with 1001. */
#define IDLE_TIMEOUT_MS 60000
/* A peer that reads nothing this long is dropped: its sends would block the session. */
#define WRITE_TIMEOUT_MS 10000
/* How long a closing session waits for the peer's close frame and end of stream. */
#define LINGER_MS 1000
/* After shutdown begins, every wait of a session ends within this. */
#define STOP_GRACE_MS 1000
/* websocket_shutdown() waits at most this for the sessions to end. */
#define SHUTDOWN_WAIT_MS 3000
/* The session threads only hold small frames on the stack; buffers are on the heap. */
#define SESSION_STACK_BYTES (256 * 1024)
/* The session's outcome when the peer is gone: RFC 6455 §7.4.1 reserves 1006 for reporting
 * exactly that, and it is never sent. */
#define CONNECTION_LOST 1006

static const char greeting[] =
    "101 Switching Protocols: 已切换到 WebSocket，发送的消息会原样返回 / "
    "switched to WebSocket; messages are echoed back";

static struct {
    atomic_int count;
    atomic_bool stopping;
    int stop_fd; /* an eventfd made readable once, at shutdown, and never read */
    pthread_once_t once;
} sessions = { .stop_fd = -1, .once = PTHREAD_ONCE_INIT };

struct session {
    int socket;
    struct upgraded_connection *connection; /* given back with finish() when done */
    uint8_t *input; /* bytes read and not yet parsed */
    size_t input_used, input_capacity;
    uint8_t *message; /* a fragmented message being reassembled */
    size_t message_length, message_capacity;
    unsigned message_opcode; /* its opcode (text or binary), 0 when none */
    bool stop_seen;
    uint64_t stop_deadline; /* every wait ends by then once shutdown began */
    bool peer_closed;       /* the peer's close frame has arrived */
    bool can_half_close;    /* the socket is the client's TCP connection itself */
    bool greet;             /* ?greeting=1: a text frame explaining 101 before the echo */
};

/* --- the handshake (RFC 6455 §4.2) ---------------------------------------------------- */

static void create_stop_fd(void)
{
    sessions.stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}

bool websocket_upgrade_requested(const char *upgrade)
{
    return httplist_has_token(upgrade, "websocket");
}

/* Connection may be sent more than once (keep-alive in one line, Upgrade in another). */
static bool find_connection_upgrade(void *cls, const char *name, const char *value)
{
    bool *found = cls;
    if (strcasecmp(name, "Connection") == 0 && httplist_has_token(value, "upgrade"))
        *found = true;
    return !*found;
}

static bool connection_asks_upgrade(const struct request *request)
{
    bool found = false;
    request_each(request, REQUEST_HEADER, find_connection_upgrade, &found);
    return found;
}

/* The key is base64 of 16 bytes (§4.1): 22 characters, "==", and a 22nd character whose
 * low bits are zero so it encodes nothing past the 16th byte. */
static bool key_is_valid(const char *key)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    if (!key || strlen(key) != 24 || strcmp(key + 22, "==") != 0)
        return false;
    for (size_t i = 0; i < 22; i++)
        if (!strchr(alphabet, key[i]))
            return false;
    return strchr("AQgw", key[21]) != NULL;
}

bool websocket_accept_key(const char *key, char accept[WEBSOCKET_ACCEPT_SIZE])
{
    char joined[128];
    int n = snprintf(joined, sizeof joined, "%s%s", key, WEBSOCKET_GUID);
    if (n < 0 || (size_t)n >= sizeof joined)
        return false;
    unsigned char digest[20];
    if (gnutls_hash_fast(GNUTLS_DIG_SHA1, joined, (size_t)n, digest) < 0)
        return false;
    gnutls_datum_t raw = { digest, sizeof digest }, encoded = { NULL, 0 };
    if (gnutls_base64_encode2(&raw, &encoded) < 0)
        return false;
    bool fits = encoded.size == WEBSOCKET_ACCEPT_SIZE - 1;
    if (fits) {
        memcpy(accept, encoded.data, encoded.size);
        accept[encoded.size] = '\0';
    }
    gnutls_free(encoded.data);
    return fits;
}

static bool sessions_available(void)
{
    pthread_once(&sessions.once, create_stop_fd);
    return sessions.stop_fd >= 0 && !atomic_load(&sessions.stopping) &&
           atomic_load(&sessions.count) < WEBSOCKET_MAX_SESSIONS;
}

static void on_upgrade(struct upgraded_connection *connection);
static void on_upgrade_with_greeting(struct upgraded_connection *connection);

/* The request asks for websocket; false with the refusal in reply when it is not a valid
 * opening handshake. Checked in the order of RFC 6455 §4.2.1. */
static bool check_handshake(struct request *request, struct reply *reply)
{
    if (request->method_id != METHOD_GET) {
        reply_error(reply, request, 400,
                    request_printf(request, "A WebSocket handshake is a GET request, not %s.",
                                   request->method),
                    request_printf(request, "WebSocket 握手必须是 GET 请求，而不是 %s。",
                                   request->method));
        return false;
    }
    if (request_is_http10(request)) {
        reply_error(reply, request, 400,
                    "A WebSocket handshake needs HTTP/1.1 (RFC 6455 §4.1); libmicrohttpd does "
                    "not send 101 to an HTTP/1.0 client either.",
                    "WebSocket 握手需要 HTTP/1.1（RFC 6455 §4.1）；libmicrohttpd 也不会向 "
                    "HTTP/1.0 客户端发送 101。");
        return false;
    }
    if (!connection_asks_upgrade(request)) {
        reply_error(reply, request, 400,
                    "Header 'Connection' must contain the token 'Upgrade' in a WebSocket "
                    "handshake (RFC 6455 §4.1).",
                    "WebSocket 握手中请求头 'Connection' 必须包含 'Upgrade'（RFC 6455 §4.1）。");
        return false;
    }
    const char *key = request_header(request, "Sec-WebSocket-Key");
    if (!key_is_valid(key)) {
        reply_error(reply, request, 400,
                    "Header 'Sec-WebSocket-Key' must be the base64 encoding of 16 random bytes "
                    "(24 characters ending in '==', RFC 6455 §4.1).",
                    "请求头 'Sec-WebSocket-Key' 必须是 16 个随机字节的 base64 编码（24 个字符，"
                    "以 '==' 结尾，RFC 6455 §4.1）。");
        return false;
    }
    const char *version = request_header(request, "Sec-WebSocket-Version");
    if (!version || strcmp(version, "13") != 0) {
        /* §4.2.2: 426 naming the versions this server speaks. */
        reply_error(reply, request, 426,
                    "This server speaks WebSocket version 13 only: send "
                    "'Sec-WebSocket-Version: 13'.",
                    "本服务器只支持 WebSocket 13 版：请发送 'Sec-WebSocket-Version: 13'。");
        reply_set_header(reply, "Sec-WebSocket-Version", "13");
        return false;
    }
    if (!sessions_available()) {
        reply_error(reply, request, 503,
                    "All WebSocket sessions are taken, or the server is stopping; try again "
                    "later.",
                    "WebSocket 会话已满，或服务器正在停止；请稍后再试。");
        return false;
    }
    return true;
}

void websocket_handshake(struct request *request, struct reply *reply)
{
    if (!check_handshake(request, reply))
        return;
    char accept[WEBSOCKET_ACCEPT_SIZE];
    const char *accept_value = NULL;
    if (websocket_accept_key(request_header(request, "Sec-WebSocket-Key"), accept))
        accept_value = request_printf(request, "%s", accept);
    if (!accept_value) {
        reply_error(reply, request, 500, "The handshake answer could not be computed.",
                    "无法计算握手应答。");
        return;
    }
    *reply = (struct reply){ 0 };
    reply_explain(reply, request, 101, 0); /* Upgrade: websocket, from the catalogue */
    reply_set_header(reply, "Sec-WebSocket-Accept", accept_value);
    const char *greet = request_query(request, "greeting");
    static const struct reply_upgrade echo = { on_upgrade },
                                      echo_with_greeting = { on_upgrade_with_greeting };
    reply->upgrade_handler = greet && strcmp(greet, "1") == 0 ? &echo_with_greeting : &echo;
}

/* --- waiting and writing --------------------------------------------------------------- */

enum wait_result { WAIT_READY, WAIT_TIMEOUT, WAIT_STOP };

/* Waits for events on the socket until deadline (now_ms() time). Reports WAIT_STOP once, when
 * shutdown begins; from then on every wait ends by the session's stop deadline. */
static enum wait_result wait_socket(struct session *s, short events, uint64_t deadline)
{
    for (;;) {
        if (s->stop_seen && s->stop_deadline < deadline)
            deadline = s->stop_deadline;
        uint64_t now = now_ms();
        if (now >= deadline)
            return WAIT_TIMEOUT;
        struct pollfd fds[2] = {
            { .fd = s->socket, .events = events },
            { .fd = s->stop_seen ? -1 : sessions.stop_fd, .events = POLLIN },
        };
        uint64_t left = deadline - now;
        int ready = poll(fds, 2, left > 60000 ? 60000 : (int)left);
        if (ready < 0 && errno != EINTR)
            return WAIT_TIMEOUT;
        if (ready <= 0)
            continue;
        if (fds[1].revents) {
            s->stop_seen = true;
            s->stop_deadline = now_ms() + STOP_GRACE_MS;
            return WAIT_STOP;
        }
        if (fds[0].revents)
            return WAIT_READY; /* errors and hang-ups too: the next read or write tells */
    }
}

/* Writes every byte of the pieces; false when the peer is gone or reads nothing for
 * WRITE_TIMEOUT_MS. The socket is non-blocking (libmicrohttpd hands it over that way). */
static bool send_all(struct session *s, struct iovec *pieces, int count)
{
    uint64_t deadline = now_ms() + WRITE_TIMEOUT_MS;
    while (count > 0) {
        struct msghdr message = { .msg_iov = pieces, .msg_iovlen = (size_t)count };
        ssize_t sent = sendmsg(s->socket, &message, MSG_NOSIGNAL);
        if (sent < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                return false;
            if (wait_socket(s, POLLOUT, deadline) == WAIT_TIMEOUT)
                return false;
            continue;
        }
        size_t done = (size_t)sent;
        while (count > 0 && done >= pieces->iov_len) {
            done -= pieces->iov_len;
            pieces++;
            count--;
        }
        if (count > 0) {
            pieces->iov_base = (uint8_t *)pieces->iov_base + done;
            pieces->iov_len -= done;
        }
    }
    return true;
}

/* One unfragmented, unmasked frame: header and payload in one write, so Nagle never holds
 * the payload back waiting for the header's acknowledgement. */
static bool send_frame(struct session *s, unsigned opcode, const void *payload, size_t length)
{
    uint8_t header[WS_FRAME_MAX_HEADER];
    struct iovec pieces[2] = {
        { .iov_base = header, .iov_len = ws_frame_header(header, true, opcode, length) },
        { .iov_base = (void *)payload, .iov_len = length },
    };
    return send_all(s, pieces, length ? 2 : 1);
}

static bool send_close(struct session *s, uint16_t code)
{
    uint8_t payload[2] = { (uint8_t)(code >> 8), (uint8_t)code };
    return send_frame(s, WS_OPCODE_CLOSE, payload, code ? sizeof payload : 0);
}

/* --- reading and echoing --------------------------------------------------------------- */

/* Room for at least `needed` bytes of input; false when out of memory. */
static bool reserve_input(struct session *s, size_t needed)
{
    if (needed <= s->input_capacity)
        return true;
    size_t capacity = s->input_capacity * 2;
    if (capacity < needed)
        capacity = needed;
    uint8_t *grown = realloc(s->input, capacity);
    if (!grown)
        return false;
    s->input = grown;
    s->input_capacity = capacity;
    return true;
}

/* Reads what the socket has into the input buffer: >0 bytes read, 0 end of stream, -1 error,
 * -2 nothing to read now. */
static ssize_t read_some(struct session *s)
{
    if (s->input_used == s->input_capacity && !reserve_input(s, s->input_capacity + 1))
        return -1;
    ssize_t n = recv(s->socket, s->input + s->input_used, s->input_capacity - s->input_used, 0);
    if (n < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? -2 : -1;
    s->input_used += (size_t)n;
    return n;
}

static bool append_to_message(struct session *s, const uint8_t *bytes, size_t length)
{
    size_t needed = s->message_length + length;
    if (needed > s->message_capacity) {
        size_t capacity = s->message_capacity ? s->message_capacity * 2 : 4096;
        while (capacity < needed)
            capacity *= 2;
        uint8_t *grown = realloc(s->message, capacity);
        if (!grown)
            return false;
        s->message = grown;
        s->message_capacity = capacity;
    }
    if (length)
        memcpy(s->message + s->message_length, bytes, length);
    s->message_length = needed;
    return true;
}

/* A whole message arrived: checked and sent back. Returns 0 or a close code. */
static uint16_t echo_message(struct session *s, unsigned opcode, const uint8_t *bytes,
                             size_t length)
{
    if (opcode == WS_OPCODE_TEXT && !utf8_valid(bytes, length))
        return WS_CLOSE_INVALID_DATA;
    return send_frame(s, opcode, bytes, length) ? 0 : CONNECTION_LOST;
}

static uint16_t handle_data(struct session *s, const struct ws_frame *frame, uint8_t *payload)
{
    size_t length = (size_t)frame->payload_length;
    unsigned started = s->message_opcode;
    uint16_t error = ws_fragment_check(&s->message_opcode, frame);
    if (error)
        return error;
    if (frame->fin && frame->opcode != WS_OPCODE_CONTINUATION)
        return echo_message(s, frame->opcode, payload, length); /* no copy for whole messages */
    if (!append_to_message(s, payload, length))
        return WS_CLOSE_INTERNAL_ERROR;
    if (!frame->fin)
        return 0;
    unsigned opcode = started ? started : frame->opcode;
    error = echo_message(s, opcode, s->message, s->message_length);
    s->message_length = 0;
    return error;
}

/* The session's reply to one frame: 0 to go on, or a close code. After the peer's close frame
 * has been answered, peer_closed is set and 0 returned. */
static uint16_t handle_frame(struct session *s, const struct ws_frame *frame)
{
    uint8_t *payload = s->input + frame->header_length; /* frame->payload, writable */
    size_t length = (size_t)frame->payload_length;
    ws_unmask(payload, length, frame->mask, 0);
    switch (frame->opcode) {
    case WS_OPCODE_PING:
        return send_frame(s, WS_OPCODE_PONG, payload, length) ? 0 : CONNECTION_LOST;
    case WS_OPCODE_PONG:
        return 0; /* unsolicited pongs are allowed and need no answer (§5.5.3) */
    case WS_OPCODE_CLOSE: {
        uint16_t code;
        uint16_t error = ws_close_payload_check(payload, length, &code);
        if (error)
            return error;
        s->peer_closed = true;
        send_close(s, code); /* the same code back, or none if none came (§5.5.1) */
        return 0;
    }
    default:
        return handle_data(s, frame, payload);
    }
}

/* Shutdown is also noticed between frames, so a client that never lets the session wait
 * cannot keep it open. */
static bool stop_requested(struct session *s)
{
    if (!s->stop_seen && atomic_load_explicit(&sessions.stopping, memory_order_relaxed)) {
        s->stop_seen = true;
        s->stop_deadline = now_ms() + STOP_GRACE_MS;
    }
    return s->stop_seen;
}

/* Reads and answers frames until the session ends. Returns the close code to send,
 * CONNECTION_LOST when the peer is gone, or 0 once the peer's close has been answered. */
static uint16_t serve(struct session *s)
{
    /* A pure echo unless asked: a client that tests echo sends "hello" and expects "hello"
     * as the first frame, as every WebSocket echo server does. */
    if (s->greet && !send_frame(s, WS_OPCODE_TEXT, greeting, sizeof greeting - 1))
        return CONNECTION_LOST;
    for (;;) {
        if (stop_requested(s))
            return WS_CLOSE_GOING_AWAY;
        struct ws_frame frame;
        size_t needed;
        uint16_t close_code;
        enum ws_parse_result result =
            ws_frame_parse(s->input, s->input_used, true,
                           MAX_MESSAGE_BYTES - s->message_length, &frame, &needed, &close_code);
        if (result == WS_PARSE_ERROR)
            return close_code;
        if (result == WS_PARSE_FRAME) {
            uint16_t error = handle_frame(s, &frame);
            if (error || s->peer_closed)
                return error;
            s->input_used -= needed;
            memmove(s->input, s->input + needed, s->input_used);
            continue;
        }
        if (!reserve_input(s, needed))
            return WS_CLOSE_INTERNAL_ERROR;
        ssize_t n = read_some(s);
        if (n == 0 || n == -1)
            return CONNECTION_LOST;
        if (n == -2 && wait_socket(s, POLLIN, now_ms() + IDLE_TIMEOUT_MS) != WAIT_READY)
            return WS_CLOSE_GOING_AWAY; /* idle too long, or the server is stopping */
    }
}

/* Drops input frames until the peer's close frame. Frames are no longer checked: the session
 * is ending, and only the close frame can still matter. */
static void skip_to_peer_close(struct session *s)
{
    while (!s->peer_closed) {
        struct ws_frame frame;
        size_t needed;
        uint16_t code;
        enum ws_parse_result result =
            ws_frame_parse(s->input, s->input_used, false, UINT64_MAX, &frame, &needed, &code);
        if (result == WS_PARSE_FRAME) {
            s->peer_closed = frame.opcode == WS_OPCODE_CLOSE;
            s->input_used -= needed;
            memmove(s->input, s->input + needed, s->input_used);
            continue;
        }
        if (result == WS_PARSE_ERROR || needed > s->input_capacity)
            s->input_used = 0; /* not worth keeping: nothing more is answered */
        return;
    }
}

/* Ends the connection so the last frames arrive: after our close frame, wait for the peer's;
 * then half-close and read until the peer closes too, since closing a socket with unread
 * input sends a reset that can destroy the close frame before the peer reads it. Over TLS,
 * libmicrohttpd ends the stream itself once the peer's close has come. */
static void linger(struct session *s)
{
    uint64_t deadline = now_ms() + LINGER_MS;
    bool half_closed = false;
    s->input_used = 0;
    for (;;) {
        if (s->peer_closed && !half_closed) {
            if (!s->can_half_close)
                return;
            shutdown(s->socket, SHUT_WR);
            half_closed = true;
        }
        if (half_closed)
            s->input_used = 0; /* only drained now */
        ssize_t n = read_some(s);
        if (n == 0 || n == -1)
            return;
        if (n == -2) {
            if (wait_socket(s, POLLIN, deadline) == WAIT_TIMEOUT)
                return;
            continue;
        }
        skip_to_peer_close(s);
    }
}

static void session_free(struct session *s)
{
    free(s->input);
    free(s->message);
    free(s);
}

static void *session_run(void *argument)
{
    struct session *s = argument;
    uint16_t code = serve(s);
    if (code != CONNECTION_LOST) {
        if (code)
            send_close(s, code);
        linger(s);
    }
    /* The last use of the socket: the transport closes it, never the session. */
    s->connection->finish(s->connection);
    session_free(s);
    atomic_fetch_sub(&sessions.count, 1);
    return NULL;
}

/* --- sessions ---------------------------------------------------------------------------- */

/* Ends a connection that gets no session: one best-effort close frame, no waiting, since this
 * runs on a libmicrohttpd thread. */
static void refuse_session(struct upgraded_connection *connection, uint16_t code)
{
    uint8_t frame[WS_FRAME_MAX_HEADER];
    size_t header = ws_frame_header(frame, true, WS_OPCODE_CLOSE, 2);
    frame[header] = (uint8_t)(code >> 8);
    frame[header + 1] = (uint8_t)code;
    /* The send buffer is empty right after the 101; if even this fails, the close is all. */
    (void)send(connection->fd, frame, header + 2, MSG_NOSIGNAL | MSG_DONTWAIT);
    connection->finish(connection);
}

/* Counts a session in, unless the limit is reached or shutdown has begun. */
static bool reserve_session(void)
{
    int count = atomic_load(&sessions.count);
    do {
        if (count >= WEBSOCKET_MAX_SESSIONS)
            return false;
    } while (!atomic_compare_exchange_weak(&sessions.count, &count, count + 1));
    /* Counted before looking at the flag, so websocket_shutdown() waits for this one or this
     * one sees the flag. */
    if (atomic_load(&sessions.stopping)) {
        atomic_fetch_sub(&sessions.count, 1);
        return false;
    }
    return true;
}

/* With TLS, libmicrohttpd hands over one end of a socketpair and does the TLS itself. A
 * half-close of that end leaves 0.9.75's forwarding stuck: the client's connection was never
 * closed (seen here). So only a TCP socket gets one. */
static bool is_tcp(int fd)
{
    int domain = 0;
    socklen_t size = sizeof domain;
    if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &size) != 0)
        return false;
    return domain == AF_INET || domain == AF_INET6;
}

static struct session *session_create(struct upgraded_connection *connection, bool greet)
{
    int fd = connection->fd;
    const char *extra_in = connection->extra;
    size_t extra_in_size = connection->extra_length;
    struct session *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->greet = greet;
    s->socket = fd;
    s->connection = connection;
    s->can_half_close = is_tcp(fd);
    s->input_capacity = extra_in_size > INITIAL_INPUT_BYTES ? extra_in_size : INITIAL_INPUT_BYTES;
    s->input = malloc(s->input_capacity);
    if (!s->input) {
        free(s);
        return NULL;
    }
    /* Frames the client sent right behind its handshake, already read by libmicrohttpd. */
    if (extra_in_size)
        memcpy(s->input, extra_in, extra_in_size);
    s->input_used = extra_in_size;
    return s;
}

static bool session_start(struct session *s)
{
    pthread_attr_t attributes;
    if (pthread_attr_init(&attributes) != 0)
        return false;
    pthread_t thread;
    bool started = pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED) == 0 &&
                   pthread_attr_setstacksize(&attributes, SESSION_STACK_BYTES) == 0 &&
                   pthread_create(&thread, &attributes, session_run, s) == 0;
    pthread_attr_destroy(&attributes);
    return started;
}

/* Runs on the libmicrohttpd thread right after the 101 went out; must not block. */
static void start_session(struct upgraded_connection *connection, bool greet)
{
    if (!reserve_session()) {
        /* Taken by a racing handshake since this one was checked, or shutdown began. */
        refuse_session(connection, atomic_load(&sessions.stopping) ? WS_CLOSE_GOING_AWAY
                                                                   : WS_CLOSE_TRY_AGAIN_LATER);
        return;
    }
    struct session *s = session_create(connection, greet);
    if (s && session_start(s))
        return;
    if (s)
        session_free(s);
    atomic_fetch_sub(&sessions.count, 1);
    refuse_session(connection, WS_CLOSE_INTERNAL_ERROR);
}

/* The upgrade handlers, one per kind of session: the reply carries no context of its own. */
static void on_upgrade(struct upgraded_connection *connection)
{
    start_session(connection, false);
}

static void on_upgrade_with_greeting(struct upgraded_connection *connection)
{
    start_session(connection, true);
}

void websocket_shutdown(void)
{
    atomic_store(&sessions.stopping, true);
    pthread_once(&sessions.once, create_stop_fd);
    if (sessions.stop_fd >= 0) {
        uint64_t one = 1;
        if (write(sessions.stop_fd, &one, sizeof one) != (ssize_t)sizeof one)
            fprintf(stderr, "statusd: cannot signal WebSocket sessions to stop\n");
    }
    uint64_t deadline = now_ms() + SHUTDOWN_WAIT_MS;
    while (atomic_load(&sessions.count) > 0 && now_ms() < deadline)
        usleep(10000);
    int left = atomic_load(&sessions.count);
    if (left > 0)
        fprintf(stderr, "statusd: %d WebSocket session(s) still open at shutdown\n", left);
}
