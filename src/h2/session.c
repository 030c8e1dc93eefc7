/* One HTTP/2 connection: TLS (GnuTLS) when the port has a certificate, the protocol itself
 * (libnghttp2: framing, HPACK, flow control, stream states, flood limits), the requests as
 * they arrive and the answers the app gives (h2.h). Everything here runs on the loop thread
 * except the h2_stream_* functions at the end, which only build a command and post it. */
#include "h2_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/* Bytes read from one connection per turn of the loop before the others get theirs. */
#define READ_BUDGET (256 * 1024)
/* After the last frame, input is read and dropped for this long before the socket closes:
 * closing with unread input makes the kernel send a reset, which can destroy the GOAWAY the
 * client has not read yet (the same reason nginx has lingering_close). */
#define LINGER_MS 2000
/* Flood limits (docs/http2.md). nghttp2's own defaults, set explicitly so they are visible
 * and do not change under us with a library update. Debian's 1.52.0-1+deb12u1 and deb12u2
 * carry the upstream fixes that add the reset-rate and CONTINUATION options. */
#define STREAM_RESET_BURST 1000 /* RST_STREAMs a client may cause at once (CVE-2023-44487) */
#define STREAM_RESET_RATE 33    /* ... and then per second */
#define MAX_CONTINUATIONS 8     /* CONTINUATION frames after one HEADERS (CVE-2024-28182) */
#define MAX_OUTBOUND_ACK 1000   /* unsent SETTINGS/PING acks and resets (PING/SETTINGS floods) */
#define MAX_SETTINGS 32         /* entries in one SETTINGS frame */
#define OUT_MAX (256 * 1024)    /* frames gathered for one connection and not yet written */

static const char headers_too_large_text[] =
    "431 请求头字段太大 Request Header Fields Too Large\n";
static const char body_too_large_text[] = "413 内容太大 Content Too Large\n";
static const char protocol_h2[] = "h2", protocol_http11[] = "http/1.1";

/* Only the loop thread reads, so one buffer serves every connection. */
static uint8_t input[16384];

/* --- streams ------------------------------------------------------------------------- */

static void stream_release(struct h2_stream *stream)
{
    if (atomic_fetch_sub(&stream->references, 1) != 1)
        return;
    free(stream->method);
    free(stream->scheme);
    free(stream->authority);
    free(stream->path);
    free(stream->field_text);
    free(stream->offsets);
    free(stream->body);
    free(stream->fields);
    free(stream);
}

static void stream_free_response_body(struct h2_stream *stream)
{
    if (stream->free_body)
        stream->free_body(stream->free_argument);
    stream->free_body = NULL;
    stream->out_body = NULL;
    while (stream->chunks) {
        struct h2_chunk *next = stream->chunks->next;
        free(stream->chunks->trailers);
        free(stream->chunks);
        stream->chunks = next;
    }
    stream->chunks_tail = NULL;
}

/* The transport's end of a stream: nghttp2 closed it, or the connection ended. */
static void stream_detach(struct h2_stream *stream)
{
    struct h2_session *session = stream->session;
    if (stream->previous)
        stream->previous->next = stream->next;
    else
        session->streams = stream->next;
    if (stream->next)
        stream->next->previous = stream->previous;
    if (stream->awaiting_app) {
        stream->awaiting_app = false;
        session->awaiting_app--;
    }
    stream_free_response_body(stream);
    atomic_store(&stream->gone, true);
    stream_release(stream);
}

/* --- sessions: life and death -------------------------------------------------------- */

static void session_queue(struct h2_session *session)
{
    if (session->queued || session->dead)
        return;
    session->queued = true;
    session->next_work = h2_server.work;
    h2_server.work = session;
}

static struct h2_session *dead_sessions;

static uint64_t elapsed(uint64_t now, uint64_t since)
{
    return now > since ? now - since : 0;
}

/* Closes the socket at once; the memory waits for h2_session_reap at the end of the turn,
 * so that no caller up the stack (or the work list) is left holding a freed session. */
static void session_destroy(struct h2_session *session)
{
    if (session->dead)
        return;
    session->dead = true;
    epoll_ctl(h2_server.epoll_fd, EPOLL_CTL_DEL, session->fd, NULL);
    close(session->fd);
    if (session->previous)
        session->previous->next = session->next;
    else
        h2_server.sessions = session->next;
    if (session->next)
        session->next->previous = session->previous;
    h2_server.session_count--;
    session->next_dead = dead_sessions;
    dead_sessions = session;
}

void h2_session_reap(void)
{
    struct h2_session **link = &dead_sessions;
    while (*link) {
        struct h2_session *session = *link;
        if (session->queued) { /* still on the work list: next turn */
            link = &session->next_dead;
            continue;
        }
        *link = session->next_dead;
        free(session->out);
        free(session);
    }
}

static void discard_input(struct h2_session *session)
{
    for (size_t read_total = 0; read_total < READ_BUDGET;) {
        ssize_t got = recv(session->fd, input, sizeof input, 0);
        if (got > 0) {
            read_total += (size_t)got;
            continue;
        }
        if (got < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        break; /* the peer closed too, or the connection broke */
    }
    session_destroy(session);
}

static bool session_write(struct h2_session *session);

/* The protocol is over: free what the connection held, then linger (LINGER_MS above). */
static void session_finish(struct h2_session *session)
{
    if (session->lingering)
        return;
    if (!session->handshaking && session->out_length)
        session_write(session); /* the last frames (a GOAWAY), as far as the socket takes them */
    if (session->nghttp2) {
        while (session->streams) {
            nghttp2_session_set_stream_user_data(session->nghttp2, session->streams->id, NULL);
            stream_detach(session->streams);
        }
        nghttp2_session_del(session->nghttp2);
        session->nghttp2 = NULL;
    }
    if (session->tls) {
        gnutls_bye(session->tls, GNUTLS_SHUT_WR); /* best effort: the socket does not block */
        gnutls_deinit(session->tls);
        session->tls = NULL;
    }
    shutdown(session->fd, SHUT_WR);
    session->lingering = true;
    session->linger_until_ms = h2_now_ms() + LINGER_MS;
    discard_input(session);
}

static bool session_send(struct h2_session *session);

/* Sends what nghttp2 has ready; ends the session when neither side has anything left. */
static void session_flush(struct h2_session *session)
{
    if (session->lingering || session->handshaking)
        return;
    if (!session_send(session) ||
        (!nghttp2_session_want_read(session->nghttp2) &&
         !nghttp2_session_want_write(session->nghttp2) && !session->out_length))
        session_finish(session);
}

static void session_start_http2(struct h2_session *session)
{
    if (nghttp2_session_server_new2(&session->nghttp2, h2_server.callbacks, session,
                                    h2_server.nghttp2_options) != 0) {
        session->nghttp2 = NULL;
        session_finish(session);
        return;
    }
    const struct h2_options *options = &h2_server.options;
    nghttp2_settings_entry settings[] = {
        { NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, options->max_streams },
        /* Advisory for the client; the limit itself is counted in on_header. */
        { NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, (uint32_t)options->max_header_list },
        /* RFC 9113 §5.3.2: the RFC 7540 priority tree is not used here. */
        { NGHTTP2_SETTINGS_NO_RFC7540_PRIORITIES, 1 },
    };
    if (nghttp2_submit_settings(session->nghttp2, NGHTTP2_FLAG_NONE, settings,
                                sizeof settings / sizeof settings[0]) != 0) {
        session_finish(session);
        return;
    }
    /* The client preface may have arrived with the connection (h2c) or with the last
     * handshake flight (TLS): read it now, an edge-triggered socket may not say again. */
    session->more_input = true;
    session_queue(session);
}

static void session_handshake(struct h2_session *session)
{
    int result;
    do
        result = gnutls_handshake(session->tls);
    while (result < 0 && !gnutls_error_is_fatal(result) && result != GNUTLS_E_AGAIN);
    if (result == GNUTLS_E_AGAIN)
        return;
    if (result < 0) {
        session_destroy(session); /* nothing to say over a failed handshake */
        return;
    }
    session->last_read_ms = h2_now_ms();
    session->handshaking = false;
    /* The ClientHello offered h2 and we prefer it, so anything else is a broken client. */
    gnutls_datum_t chosen = { NULL, 0 };
    if (gnutls_alpn_get_selected_protocol(session->tls, &chosen) != 0 || chosen.size != 2 ||
        memcmp(chosen.data, protocol_h2, 2) != 0) {
        session_finish(session);
        return;
    }
    session_start_http2(session);
}

void h2_session_open(int fd, const struct sockaddr *client, socklen_t client_length)
{
    struct h2_session *session = calloc(1, sizeof *session);
    if (!session) {
        close(fd);
        return;
    }
    session->kind = H2_KIND_SESSION;
    session->fd = fd;
    /* Answers leave whole (session_write): Nagle would only hold the last segment back. */
    int one = 1;
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0)
        perror("statusd: h2 TCP_NODELAY");
    memcpy(&session->client, client, client_length);
    session->client_length = client_length;
    session->last_read_ms = session->last_write_ms = h2_now_ms();
    session->next = h2_server.sessions;
    if (h2_server.sessions)
        h2_server.sessions->previous = session;
    h2_server.sessions = session;
    h2_server.session_count++;
    /* Edge-triggered both ways: a turn reads until the socket is empty (or the budget is
     * spent) and nghttp2 writes until it blocks, so readiness is only reported when new. */
    struct epoll_event event = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
                                 .data.ptr = session };
    if (epoll_ctl(h2_server.epoll_fd, EPOLL_CTL_ADD, fd, &event) != 0) {
        session_destroy(session);
        return;
    }
    if (!h2_server.credentials) {
        session_start_http2(session);
        return;
    }
    const gnutls_datum_t protocols[] = {
        { (unsigned char *)protocol_h2, sizeof protocol_h2 - 1 },
        { (unsigned char *)protocol_http11, sizeof protocol_http11 - 1 },
    };
    if (gnutls_init(&session->tls, GNUTLS_SERVER | GNUTLS_NONBLOCK | GNUTLS_NO_SIGNAL) < 0) {
        session->tls = NULL;
        session_destroy(session);
        return;
    }
    if (gnutls_priority_set(session->tls, h2_server.priorities) < 0 ||
        gnutls_credentials_set(session->tls, GNUTLS_CRD_CERTIFICATE, h2_server.credentials) <
            0 ||
        gnutls_alpn_set_protocols(session->tls, protocols, 2, GNUTLS_ALPN_SERVER_PRECEDENCE) <
            0) {
        gnutls_deinit(session->tls);
        session->tls = NULL;
        session_destroy(session);
        return;
    }
    gnutls_transport_set_int(session->tls, fd);
    session->handshaking = true;
    session_handshake(session);
}

/* --- sessions: bytes in -------------------------------------------------------------- */

static void session_read(struct h2_session *session)
{
    for (size_t read_total = 0;;) {
        if (read_total >= READ_BUDGET) {
            session->more_input = true; /* the rest on the next turn */
            session_queue(session);
            return;
        }
        ssize_t got = session->tls ? gnutls_record_recv(session->tls, input, sizeof input)
                                   : recv(session->fd, input, sizeof input, 0);
        if (got > 0) {
            read_total += (size_t)got;
            session->last_read_ms = h2_now_ms();
            ssize_t used = nghttp2_session_mem_recv(session->nghttp2, input, (size_t)got);
            if (used < 0) {
                /* A protocol error or a flood: nghttp2 may have queued a GOAWAY saying why. */
                session_send(session);
                session_finish(session);
                return;
            }
            continue;
        }
        bool again = session->tls ? (got == GNUTLS_E_AGAIN || got == GNUTLS_E_INTERRUPTED)
                                  : (got < 0 && (errno == EAGAIN || errno == EINTR));
        if (again)
            return;
        if (session->tls && got < 0 && !gnutls_error_is_fatal((int)got))
            continue; /* a warning alert */
        session_finish(session); /* the client closed, or the connection broke */
        return;
    }
}

void h2_session_on_event(struct h2_session *session, uint32_t events)
{
    if (session->dead)
        return;
    if (session->lingering) {
        discard_input(session);
        return;
    }
    if (session->handshaking) {
        session_handshake(session);
        return;
    }
    if (events & EPOLLOUT)
        session->write_blocked = false;
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
        session_read(session);
    if (!session->lingering)
        session_queue(session); /* answers to what was read, or output that can go now */
}

void h2_session_run_work(void)
{
    struct h2_session *work = h2_server.work;
    h2_server.work = NULL;
    while (work) {
        struct h2_session *session = work;
        work = session->next_work;
        session->queued = false;
        if (session->dead || session->lingering)
            continue;
        if (session->more_input) {
            session->more_input = false;
            session_read(session);
        }
        if (!session->dead && !session->lingering)
            session_flush(session);
    }
}

void h2_session_sweep(uint64_t now)
{
    const struct h2_options *options = &h2_server.options;
    uint64_t idle_ms = 1000ull * options->idle_timeout_s;
    struct h2_session *next;
    for (struct h2_session *session = h2_server.sessions; session; session = next) {
        next = session->next;
        uint64_t last = session->last_read_ms > session->last_write_ms ? session->last_read_ms
                                                                         : session->last_write_ms;
        if (session->lingering) {
            if (now >= session->linger_until_ms)
                session_destroy(session);
        } else if (session->handshaking) {
            if (elapsed(now, last) >= 1000ull * options->preface_timeout_s)
                session_destroy(session);
        } else if ((session->awaiting_app == 0 && elapsed(now, last) >= idle_ms) ||
                   (session->write_blocked && elapsed(now, session->last_write_ms) >= idle_ms)) {
            /* Nothing to do, or a client that reads nothing (a full socket or a zero
             * window): whatever it holds is freed now. */
            nghttp2_session_terminate_session(session->nghttp2, NGHTTP2_NO_ERROR);
            session_send(session);
            session_finish(session);
        }
    }
}

void h2_session_goaway_all(void)
{
    struct h2_session *next;
    for (struct h2_session *session = h2_server.sessions; session; session = next) {
        next = session->next;
        if (session->lingering)
            continue;
        if (session->handshaking) {
            session_destroy(session);
            continue;
        }
        /* Streams already received are answered; nghttp2 ends the session after them. */
        nghttp2_submit_goaway(session->nghttp2, NGHTTP2_FLAG_NONE,
                              nghttp2_session_get_last_proc_stream_id(session->nghttp2),
                              NGHTTP2_NO_ERROR, NULL, 0);
        session_queue(session);
    }
}

void h2_session_close_all(void)
{
    for (struct h2_session *session = h2_server.work; session; session = session->next_work)
        session->queued = false;
    h2_server.work = NULL;
    while (h2_server.sessions) {
        struct h2_session *session = h2_server.sessions;
        session_finish(session); /* may destroy it already (the peer closed) */
        session_destroy(session);
    }
    h2_session_reap();
}

/* --- nghttp2 callbacks: bytes out ---------------------------------------------------- */

static ssize_t on_send(nghttp2_session *nghttp2, const uint8_t *data, size_t length, int flags,
                       void *user_data)
{
    (void)nghttp2;
    (void)flags;
    struct h2_session *session = user_data;
    /* Gathered, not sent: session_write sends them in one go. A client that reads nothing
     * holds at most OUT_MAX here, then nghttp2 is told to wait. */
    if (session->out_length - session->out_sent >= OUT_MAX)
        return NGHTTP2_ERR_WOULDBLOCK;
    if (session->out_length + length > session->out_capacity) {
        if (session->out_sent) { /* move the unsent rest to the front first */
            memmove(session->out, session->out + session->out_sent,
                    session->out_length - session->out_sent);
            session->out_length -= session->out_sent;
            session->out_sent = 0;
        }
        size_t capacity = session->out_capacity ? session->out_capacity : 16384;
        while (capacity < session->out_length + length)
            capacity *= 2;
        if (capacity != session->out_capacity) {
            uint8_t *grown = realloc(session->out, capacity);
            if (!grown)
                return NGHTTP2_ERR_CALLBACK_FAILURE;
            session->out = grown;
            session->out_capacity = capacity;
        }
    }
    memcpy(session->out + session->out_length, data, length);
    session->out_length += length;
    return (ssize_t)length;
}

/* Writes what on_send gathered. False when the connection broke; a socket that took less
 * sets write_blocked, and the rest waits for EPOLLOUT. */
static bool session_write(struct h2_session *session)
{
    while (session->out_sent < session->out_length) {
        size_t left = session->out_length - session->out_sent;
        ssize_t sent;
        if (session->tls) {
            /* After GNUTLS_E_AGAIN GnuTLS wants the same record again: same bytes, same
             * length (nothing is gathered in front of them meanwhile). */
            size_t size = session->tls_retry ? session->tls_retry : left;
            sent = gnutls_record_send(session->tls, session->out + session->out_sent, size);
            if (sent == GNUTLS_E_AGAIN || sent == GNUTLS_E_INTERRUPTED) {
                session->tls_retry = size;
                session->write_blocked = true;
                return true;
            }
            session->tls_retry = 0;
            if (sent < 0)
                return false;
        } else {
            sent = send(session->fd, session->out + session->out_sent, left, MSG_NOSIGNAL);
            if (sent < 0) {
                if (errno == EAGAIN || errno == EINTR) {
                    session->write_blocked = true;
                    return true;
                }
                return false;
            }
        }
        session->out_sent += (size_t)sent;
        session->last_write_ms = h2_now_ms();
    }
    session->out_length = session->out_sent = 0;
    return true;
}

/* nghttp2's frames out to the socket, as far as it takes them. False when it broke. */
static bool session_send(struct h2_session *session)
{
    /* Bounded: each round gathers at most OUT_MAX; a socket that blocks ends it. */
    for (int round = 0; round < 8; round++) {
        if (nghttp2_session_send(session->nghttp2) != 0) {
            session_write(session);
            return false;
        }
        if (!session_write(session))
            return false;
        if (session->out_length || !nghttp2_session_want_write(session->nghttp2))
            return true;
    }
    /* More to send and the socket still takes it: the rest on the next turn, after the other
     * connections had theirs (without this a body past 8 rounds stalled at 2 MiB). */
    session_queue(session);
    return true;
}

static ssize_t read_response_body(nghttp2_session *nghttp2, int32_t stream_id, uint8_t *buffer,
                                  size_t length, uint32_t *flags, nghttp2_data_source *source,
                                  void *user_data)
{
    (void)nghttp2;
    (void)stream_id;
    (void)user_data;
    struct h2_stream *stream = source->ptr;
    size_t left = stream->out_length - stream->out_offset;
    size_t count = left < length ? left : length;
    memcpy(buffer, stream->out_body + stream->out_offset, count);
    stream->out_offset += count;
    if (stream->out_offset == stream->out_length)
        *flags |= NGHTTP2_DATA_FLAG_EOF;
    return (ssize_t)count;
}

/* A streamed body: the pieces written so far, in order; DEFERRED until the next arrives
 * (h2_command_run resumes the stream then). */
static ssize_t read_streamed_body(nghttp2_session *nghttp2, int32_t stream_id, uint8_t *buffer,
                                  size_t length, uint32_t *flags, nghttp2_data_source *source,
                                  void *user_data)
{
    (void)user_data;
    struct h2_stream *stream = source->ptr;
    size_t count = 0;
    while (stream->chunks && count < length) {
        struct h2_chunk *chunk = stream->chunks;
        size_t left = chunk->length - chunk->offset;
        size_t take = left < length - count ? left : length - count;
        memcpy(buffer + count, chunk->data + chunk->offset, take);
        chunk->offset += take;
        count += take;
        if (chunk->offset < chunk->length)
            break;
        bool last = chunk->last;
        stream->chunks = chunk->next;
        if (!stream->chunks)
            stream->chunks_tail = NULL;
        if (last) {
            *flags |= NGHTTP2_DATA_FLAG_EOF;
            /* Trailers end the stream instead of the last DATA frame; nghttp2 copies them. */
            if (chunk->trailers &&
                nghttp2_submit_trailer(nghttp2, stream_id, chunk->trailers,
                                       chunk->trailer_count) == 0)
                *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
            free(chunk->trailers);
            free(chunk);
            return (ssize_t)count;
        }
        free(chunk);
        /* One piece a DATA frame: the app sliced the body on purpose (?chunk=, /drip). */
        break;
    }
    if (count == 0) {
        if (stream->reset_pending) /* every piece before the cut is out */
            nghttp2_submit_rst_stream(nghttp2, NGHTTP2_FLAG_NONE, stream_id, stream->reset_code);
        return NGHTTP2_ERR_DEFERRED;
    }
    return (ssize_t)count;
}

/* --- nghttp2 callbacks: requests in -------------------------------------------------- */

static struct h2_stream *stream_of(nghttp2_session *nghttp2, int32_t stream_id)
{
    return nghttp2_session_get_stream_user_data(nghttp2, stream_id);
}

static int on_begin_headers(nghttp2_session *nghttp2, const nghttp2_frame *frame,
                            void *user_data)
{
    struct h2_session *session = user_data;
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
        return 0;
    struct h2_stream *stream = calloc(1, sizeof *stream);
    if (!stream)
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE; /* this stream is reset, not the rest */
    atomic_init(&stream->references, 1);
    atomic_init(&stream->gone, false);
    stream->session = session;
    stream->id = frame->hd.stream_id;
    stream->next = session->streams;
    if (session->streams)
        session->streams->previous = stream;
    session->streams = stream;
    nghttp2_session_set_stream_user_data(nghttp2, stream->id, stream);
    return 0;
}

static bool grow(void **block, size_t *capacity, size_t needed, size_t item_size)
{
    if (needed <= *capacity)
        return true;
    size_t wanted = *capacity ? *capacity * 2 : 8;
    while (wanted < needed)
        wanted *= 2;
    void *bigger = realloc(*block, wanted * item_size);
    if (!bigger)
        return false;
    *block = bigger;
    *capacity = wanted;
    return true;
}

static bool add_field(struct h2_stream *stream, const uint8_t *name, size_t name_length,
                      const uint8_t *value, size_t value_length)
{
    size_t at = stream->field_text_length;
    if (!grow((void **)&stream->field_text, &stream->field_text_capacity,
              at + name_length + value_length + 2, 1) ||
        !grow((void **)&stream->offsets, &stream->field_capacity, stream->field_count + 1,
              sizeof *stream->offsets))
        return false;
    memcpy(stream->field_text + at, name, name_length);
    stream->field_text[at + name_length] = '\0';
    memcpy(stream->field_text + at + name_length + 1, value, value_length);
    stream->field_text[at + name_length + 1 + value_length] = '\0';
    stream->offsets[stream->field_count++] =
        (struct h2_field_offsets){ at, name_length, at + name_length + 1, value_length };
    stream->field_text_length = at + name_length + value_length + 2;
    return true;
}

static bool is_name(const uint8_t *name, size_t length, const char *expected)
{
    return length == strlen(expected) && memcmp(name, expected, length) == 0;
}

static int on_header(nghttp2_session *nghttp2, const nghttp2_frame *frame, const uint8_t *name,
                     size_t name_length, const uint8_t *value, size_t value_length,
                     uint8_t flags, void *user_data)
{
    (void)flags;
    (void)user_data;
    struct h2_stream *stream = stream_of(nghttp2, frame->hd.stream_id);
    if (!stream || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
        return 0; /* trailers: nothing uses them yet */
    /* RFC 9113 §6.5.2 counts each field as name + value + 32. Past the limit the rest is
     * still decoded (HPACK state is shared by the connection) but not kept, and the stream
     * is answered 431 once its headers end. Their total is bounded by nghttp2 anyway: at
     * most MAX_CONTINUATIONS frames of 16 KiB. */
    stream->header_bytes += name_length + value_length + 32;
    if (stream->header_bytes > h2_server.options.max_header_list)
        stream->headers_too_large = true;
    if (stream->headers_too_large)
        return 0;
    if (name_length > 0 && name[0] == ':') {
        char **slot = is_name(name, name_length, ":method")      ? &stream->method
                      : is_name(name, name_length, ":scheme")    ? &stream->scheme
                      : is_name(name, name_length, ":authority") ? &stream->authority
                      : is_name(name, name_length, ":path")      ? &stream->path
                                                                 : NULL;
        if (!slot || *slot)
            return 0; /* :protocol (RFC 8441) is not offered; nghttp2 rejects duplicates */
        *slot = strndup((const char *)value, value_length);
        return *slot ? 0 : NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    }
    if (is_name(name, name_length, "content-length")) {
        /* nghttp2 checked it is digits only and will check the DATA adds up to it. */
        uint64_t length = 0;
        for (size_t i = 0; i < value_length && length <= UINT64_MAX / 10 - 9; i++)
            length = length * 10 + (uint64_t)(value[i] - '0');
        stream->has_content_length = true;
        stream->content_length = length;
    } else if (is_name(name, name_length, "expect")) {
        stream->expects_continue =
            value_length == 12 && strncasecmp((const char *)value, "100-continue", 12) == 0;
    }
    return add_field(stream, name, name_length, value, value_length)
               ? 0
               : NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
}

static struct h2_command *command_new(enum h2_command_type type, struct h2_stream *stream);
static bool build_headers(struct h2_command *command, unsigned status,
                          const struct h2_field *fields, size_t field_count, bool final);

/* An answer of the transport's own (413, 431, 100 Continue) for a stream the app never saw. */
static void answer_from_transport(struct h2_stream *stream, unsigned status, const char *text)
{
    struct h2_command *command = command_new(text ? H2_RESPOND : H2_INTERIM, stream);
    if (!command)
        return;
    atomic_fetch_add(&stream->references, 1); /* the command's own, as for the app's */
    static const struct h2_field type = { "content-type", 12, "text/plain; charset=utf-8", 25 };
    command->body = text;
    command->length = text ? strlen(text) : 0;
    if (!build_headers(command, status, text ? &type : NULL, text ? 1 : 0, text != NULL)) {
        h2_command_discard(command);
        return;
    }
    h2_command_run(command);
}

static void dispatch(struct h2_session *session, struct h2_stream *stream)
{
    stream->fields = calloc(stream->field_count ? stream->field_count : 1,
                            sizeof *stream->fields);
    if (!stream->fields) {
        nghttp2_submit_rst_stream(session->nghttp2, NGHTTP2_FLAG_NONE, stream->id,
                                  NGHTTP2_INTERNAL_ERROR);
        return;
    }
    for (size_t i = 0; i < stream->field_count; i++) {
        const struct h2_field_offsets *at = &stream->offsets[i];
        stream->fields[i] = (struct h2_field){ stream->field_text + at->name, at->name_length,
                                               stream->field_text + at->value,
                                               at->value_length };
    }
    if (stream->body)
        stream->body[stream->body_length] = '\0'; /* grow() kept a byte for it */
    memcpy(&stream->client, &session->client, session->client_length);
    stream->request = (struct h2_request){
        .method = stream->method ? stream->method : "",
        .scheme = stream->scheme ? stream->scheme : "",
        .authority = stream->authority ? stream->authority : "",
        .path = stream->path ? stream->path : "",
        .fields = stream->fields,
        .field_count = stream->field_count,
        .body = stream->body ? stream->body : "",
        .body_length = stream->body_length,
        .client = (const struct sockaddr *)&stream->client,
        .client_length = session->client_length,
        .tls = session->tls != NULL,
        .stream = stream,
    };
    stream->dispatched = true;
    stream->awaiting_app = true;
    session->awaiting_app++;
    atomic_fetch_add(&stream->references, 1); /* the app's */
    h2_server.serve(h2_server.app, &stream->request);
}

static int on_frame_recv(nghttp2_session *nghttp2, const nghttp2_frame *frame, void *user_data)
{
    struct h2_session *session = user_data;
    if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA)
        return 0;
    struct h2_stream *stream = stream_of(nghttp2, frame->hd.stream_id);
    if (!stream)
        return 0;
    bool ends = frame->hd.flags & NGHTTP2_FLAG_END_STREAM;
    if (ends)
        stream->request_complete = true;
    if (stream->answered || stream->dispatched)
        return 0;
    if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
        if (stream->headers_too_large) {
            answer_from_transport(stream, 431, headers_too_large_text);
            return 0;
        }
        /* Refused before the body is read, as an HTTP/1.1 server answers before 100. */
        if (stream->has_content_length && stream->content_length > h2_server.options.max_body) {
            answer_from_transport(stream, 413, body_too_large_text);
            return 0;
        }
        if (!ends && stream->expects_continue)
            answer_from_transport(stream, 100, NULL);
    }
    if (ends)
        dispatch(session, stream);
    return 0;
}

static int on_data_chunk_recv(nghttp2_session *nghttp2, uint8_t flags, int32_t stream_id,
                              const uint8_t *data, size_t length, void *user_data)
{
    (void)flags;
    (void)user_data;
    struct h2_stream *stream = stream_of(nghttp2, stream_id);
    if (!stream || stream->answered || stream->body_too_large)
        return 0;
    if (stream->body_length + length > h2_server.options.max_body) {
        stream->body_too_large = true;
        answer_from_transport(stream, 413, body_too_large_text);
        return 0;
    }
    if (!grow((void **)&stream->body, &stream->body_capacity, stream->body_length + length + 1,
              1))
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    memcpy(stream->body + stream->body_length, data, length);
    stream->body_length += length;
    return 0;
}

static int on_frame_send(nghttp2_session *nghttp2, const nghttp2_frame *frame, void *user_data)
{
    (void)user_data;
    if ((frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) ||
        !(frame->hd.flags & NGHTTP2_FLAG_END_STREAM))
        return 0;
    struct h2_stream *stream = stream_of(nghttp2, frame->hd.stream_id);
    /* Answered before the request ended (413, or an app that does not wait for the body):
     * RFC 9113 §8.1 says to tell the client to stop sending with RST_STREAM(NO_ERROR). */
    if (stream && !stream->request_complete)
        nghttp2_submit_rst_stream(nghttp2, NGHTTP2_FLAG_NONE, stream->id, NGHTTP2_NO_ERROR);
    return 0;
}

static int on_stream_close(nghttp2_session *nghttp2, int32_t stream_id, uint32_t error_code,
                           void *user_data)
{
    (void)error_code;
    (void)user_data;
    struct h2_stream *stream = stream_of(nghttp2, stream_id);
    if (stream) {
        nghttp2_session_set_stream_user_data(nghttp2, stream_id, NULL);
        stream_detach(stream);
    }
    return 0;
}

bool h2_session_setup(void)
{
    nghttp2_session_callbacks *callbacks;
    nghttp2_option *options;
    if (nghttp2_session_callbacks_new(&callbacks) != 0)
        return false;
    if (nghttp2_option_new(&options) != 0) {
        nghttp2_session_callbacks_del(callbacks);
        return false;
    }
    nghttp2_session_callbacks_set_send_callback(callbacks, on_send);
    nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, on_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(callbacks, on_header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, on_frame_recv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, on_data_chunk_recv);
    nghttp2_session_callbacks_set_on_frame_send_callback(callbacks, on_frame_send);
    nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, on_stream_close);
    nghttp2_option_set_stream_reset_rate_limit(options, STREAM_RESET_BURST, STREAM_RESET_RATE);
    nghttp2_option_set_max_continuations(options, MAX_CONTINUATIONS);
    nghttp2_option_set_max_outbound_ack(options, MAX_OUTBOUND_ACK);
    nghttp2_option_set_max_settings(options, MAX_SETTINGS);
    /* Closed streams are kept only for the RFC 7540 priority tree, which is not used. */
    nghttp2_option_set_no_closed_streams(options, 1);
    h2_server.callbacks = callbacks;
    h2_server.nghttp2_options = options;
    return true;
}

void h2_session_teardown(void)
{
    if (h2_server.callbacks)
        nghttp2_session_callbacks_del(h2_server.callbacks);
    if (h2_server.nghttp2_options)
        nghttp2_option_del(h2_server.nghttp2_options);
    h2_server.callbacks = NULL;
    h2_server.nghttp2_options = NULL;
}

/* --- answers ------------------------------------------------------------------------- */

static struct h2_command *command_new(enum h2_command_type type, struct h2_stream *stream)
{
    struct h2_command *command = calloc(1, sizeof *command);
    if (command) {
        command->type = type;
        command->stream = stream;
    }
    return command;
}

void h2_command_discard(struct h2_command *command)
{
    if (command->chunk)
        free(command->chunk->trailers);
    free(command->chunk);
    if (command->free_body)
        command->free_body(command->free_argument);
    free(command->headers);
    stream_release(command->stream);
    free(command);
}

void h2_command_run(struct h2_command *command)
{
    struct h2_stream *stream = command->stream;
    /* After the final response only the pieces of a streamed body, or a reset or GOAWAY that
     * breaks it off, still mean something. */
    bool follows_answer = (command->type == H2_DATA && stream->out_streamed) ||
                          command->type == H2_RESET || command->type == H2_GOAWAY;
    if (atomic_load(&stream->gone) || (stream->answered && !follows_answer)) {
        h2_command_discard(command);
        return;
    }
    struct h2_session *session = stream->session;
    nghttp2_session *nghttp2 = session->nghttp2;
    session->last_read_ms = h2_now_ms(); /* the app's answer counts as activity */
    /* A streamed body keeps the stream the app's until its last piece. */
    bool app_done = command->type == H2_RESET || command->type == H2_GOAWAY ||
                    (command->type == H2_RESPOND && !command->streamed) ||
                    (command->type == H2_DATA && command->chunk && command->chunk->last);
    if (command->type == H2_RESPOND)
        stream->answered = true;
    if (app_done) {
        stream->answered = true;
        if (stream->awaiting_app) {
            stream->awaiting_app = false;
            session->awaiting_app--;
        }
    }
    int result = 0;
    switch (command->type) {
    case H2_INTERIM:
        result = nghttp2_submit_headers(nghttp2, NGHTTP2_FLAG_NONE, stream->id, NULL,
                                        command->headers, command->header_count, NULL);
        break;
    case H2_RESPOND: {
        nghttp2_data_provider provider = { .source.ptr = stream,
                                           .read_callback = command->streamed
                                                                ? read_streamed_body
                                                                : read_response_body };
        if (command->streamed) {
            stream->out_streamed = command->body != NULL; /* NULL: HEAD, 204, 304 */
            result = nghttp2_submit_response(nghttp2, stream->id, command->headers,
                                             command->header_count,
                                             stream->out_streamed ? &provider : NULL);
            break;
        }
        bool has_body = command->body && command->length > 0;
        if (has_body) {
            /* The stream owns the body now; it is freed when the stream closes. */
            stream->out_body = command->body;
            stream->out_length = command->length;
            stream->free_body = command->free_body;
            stream->free_argument = command->free_argument;
            command->free_body = NULL;
        }
        result = nghttp2_submit_response(nghttp2, stream->id, command->headers,
                                         command->header_count, has_body ? &provider : NULL);
        break;
    }
    case H2_DATA:
        if (stream->chunks_tail)
            stream->chunks_tail->next = command->chunk;
        else
            stream->chunks = command->chunk;
        stream->chunks_tail = command->chunk;
        command->chunk = NULL;
        result = nghttp2_session_resume_data(nghttp2, stream->id);
        if (result == NGHTTP2_ERR_INVALID_ARGUMENT)
            result = 0; /* not deferred: nghttp2 will read the piece on its own */
        break;
    case H2_RESET:
        if (stream->out_streamed && stream->chunks) {
            /* Pieces written before the reset go first (RST_STREAM would overtake them). */
            stream->reset_pending = true;
            stream->reset_code = command->error_code;
            break;
        }
        result = nghttp2_submit_rst_stream(nghttp2, NGHTTP2_FLAG_NONE, stream->id,
                                           command->error_code);
        break;
    case H2_GOAWAY:
        /* Client streams are odd: the one before this is id - 2 (0: none was processed). */
        result = nghttp2_session_terminate_session2(nghttp2, stream->id > 2 ? stream->id - 2 : 0,
                                                    command->error_code);
        break;
    }
    if (result != 0)
        nghttp2_submit_rst_stream(nghttp2, NGHTTP2_FLAG_NONE, stream->id,
                                  NGHTTP2_INTERNAL_ERROR);
    session_queue(session);
    h2_command_discard(command); /* its body, if any, belongs to the stream now */
}

/* RFC 9113 §8.2.2: these mean something for one HTTP/1.1 connection only. */
static bool connection_specific(const char *name, size_t length)
{
    static const char *const names[] = { "connection", "keep-alive", "proxy-connection",
                                         "transfer-encoding", "upgrade" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (length == strlen(names[i]) && strncasecmp(name, names[i], length) == 0)
            return true;
    return false;
}

/* One field for nghttp2: its name lower-cased (RFC 9113 §8.2.1) and its value, copied to
 * *text, which moves past them. */
static nghttp2_nv copy_field(const struct h2_field *field, char **text)
{
    char *name = *text;
    for (size_t j = 0; j < field->name_length; j++)
        name[j] = (char)(field->name[j] >= 'A' && field->name[j] <= 'Z'
                             ? field->name[j] - 'A' + 'a'
                             : field->name[j]);
    char *value = name + field->name_length;
    memcpy(value, field->value, field->value_length);
    *text = value + field->value_length;
    return (nghttp2_nv){ (uint8_t *)name, (uint8_t *)value, field->name_length,
                         field->value_length, NGHTTP2_NV_FLAG_NONE };
}

static bool named(const struct h2_field *field, const char *name)
{
    return field->name_length == strlen(name) &&
           strncasecmp(field->name, name, field->name_length) == 0;
}

/* The header block of an answer, copied (the app's fields may live on its stack) into one
 * allocation with its strings: :status, the app's fields (lower-cased, filtered), then
 * content-length and date when the final response needs them. */
static bool build_headers(struct h2_command *command, unsigned status,
                          const struct h2_field *fields, size_t field_count, bool final)
{
    struct h2_stream *stream = command->stream;
    bool head = stream->method && strcmp(stream->method, "HEAD") == 0;
    /* HEAD and 304 describe a body not sent: the app's content-length says how long it is.
     * 204 has none. Otherwise the body's true length, whatever the app said. */
    bool keep_app_length = final && (head || status == 304);
    bool add_length = final && !keep_app_length && status != 204 &&
                      !(command->streamed && command->length == SIZE_MAX);
    bool has_date = false;
    size_t text_size = 4 + 24 + 32;
    for (size_t i = 0; i < field_count; i++) {
        text_size += fields[i].name_length + fields[i].value_length + 2;
        has_date = has_date || named(&fields[i], "date");
    }
    bool add_date = final && !has_date;
    size_t slots = field_count + 3;
    char *block = malloc(slots * sizeof(nghttp2_nv) + text_size);
    if (!block)
        return false;
    nghttp2_nv *nv = (nghttp2_nv *)block;
    char *text = block + slots * sizeof(nghttp2_nv);
    size_t count = 0;
    int written = snprintf(text, 4, "%03u", status);
    nv[count++] = (nghttp2_nv){ (uint8_t *)":status", (uint8_t *)text, 7, (size_t)written,
                                NGHTTP2_NV_FLAG_NONE };
    text += written + 1;
    for (size_t i = 0; i < field_count; i++) {
        const struct h2_field *field = &fields[i];
        if (field->name_length == 0 || field->name[0] == ':' ||
            connection_specific(field->name, field->name_length) ||
            (named(field, "content-length") && !keep_app_length))
            continue;
        nv[count++] = copy_field(field, &text);
    }
    if (add_length) {
        size_t length = head ? 0 : command->length;
        written = snprintf(text, 24, "%zu", length);
        nv[count++] = (nghttp2_nv){ (uint8_t *)"content-length", (uint8_t *)text, 14,
                                    (size_t)written, NGHTTP2_NV_FLAG_NONE };
        text += written + 1;
    }
    if (add_date) {
        /* RFC 9110 §6.6.1: an origin server with a clock sends Date. */
        time_t now = time(NULL);
        struct tm utc;
        gmtime_r(&now, &utc);
        size_t length = strftime(text, 32, "%a, %d %b %Y %H:%M:%S GMT", &utc);
        nv[count++] = (nghttp2_nv){ (uint8_t *)"date", (uint8_t *)text, 4, length,
                                    NGHTTP2_NV_FLAG_NONE };
    }
    command->headers = nv;
    command->header_count = count;
    return true;
}

/* true if the app may go on; else its reference is released (and the body freed). */
static bool stream_usable(struct h2_stream *stream, void (*free_body)(void *), void *argument)
{
    if (!atomic_load(&stream->gone))
        return true;
    if (free_body)
        free_body(argument);
    stream_release(stream);
    return false;
}

/* RST_STREAM or GOAWAY with an error code, posted to the loop. */
static bool post_error(struct h2_stream *stream, enum h2_command_type kind, uint32_t error_code)
{
    if (!stream_usable(stream, NULL, NULL))
        return false;
    struct h2_command *command = command_new(kind, stream);
    if (!command) {
        stream_release(stream);
        return false;
    }
    command->error_code = error_code;
    h2_post(command);
    return true;
}

bool h2_stream_reset(struct h2_stream *stream, uint32_t error_code)
{
    return post_error(stream, H2_RESET, error_code);
}

bool h2_stream_goaway(struct h2_stream *stream, uint32_t error_code)
{
    return post_error(stream, H2_GOAWAY, error_code);
}

bool h2_stream_interim(struct h2_stream *stream, unsigned status, const struct h2_field *fields,
                       size_t field_count)
{
    if (!stream_usable(stream, NULL, NULL))
        return false;
    if (status < 100 || status > 199 || status == 101) {
        h2_stream_reset(stream, NGHTTP2_INTERNAL_ERROR); /* a bug in the app: end it */
        return false;
    }
    struct h2_command *command = command_new(H2_INTERIM, stream);
    if (!command || !build_headers(command, status, fields, field_count, false)) {
        free(command);
        return true; /* out of memory: the interim response is optional anyway */
    }
    atomic_fetch_add(&stream->references, 1); /* the command's; the app keeps its own */
    h2_post(command);
    return true;
}

bool h2_stream_respond(struct h2_stream *stream, unsigned status, const struct h2_field *fields,
                       size_t field_count, const char *body, size_t length,
                       void (*free_body)(void *), void *free_argument)
{
    if (!stream_usable(stream, free_body, free_argument))
        return false;
    if (status < 200 || status > 999) {
        if (free_body)
            free_body(free_argument);
        h2_stream_reset(stream, NGHTTP2_INTERNAL_ERROR);
        return false;
    }
    bool head = stream->method && strcmp(stream->method, "HEAD") == 0;
    bool sends_body = !head && status != 204 && status != 304;
    struct h2_command *command = command_new(H2_RESPOND, stream);
    if (command) {
        command->body = sends_body ? body : NULL;
        command->length = sends_body ? length : 0;
    }
    if (!command || !build_headers(command, status, fields, field_count, true)) {
        free(command);
        if (free_body)
            free_body(free_argument);
        h2_stream_reset(stream, NGHTTP2_INTERNAL_ERROR);
        return false;
    }
    if (sends_body && length > 0) {
        command->free_body = free_body;
        command->free_argument = free_argument;
    } else if (free_body) {
        free_body(free_argument); /* nothing of it is sent */
    }
    h2_post(command);
    return true;
}

bool h2_stream_respond_streamed(struct h2_stream *stream, unsigned status,
                                const struct h2_field *fields, size_t field_count,
                                uint64_t length)
{
    if (!stream_usable(stream, NULL, NULL))
        return false;
    if (status < 200 || status > 999) {
        h2_stream_reset(stream, NGHTTP2_INTERNAL_ERROR);
        return false;
    }
    bool head = stream->method && strcmp(stream->method, "HEAD") == 0;
    bool sends_body = !head && status != 204 && status != 304;
    struct h2_command *command = command_new(H2_RESPOND, stream);
    if (command) {
        command->streamed = true;
        /* Not read as a body: it tells h2_command_run whether DATA follows. */
        command->body = sends_body ? "" : NULL;
        command->length = length == H2_LENGTH_UNKNOWN ? SIZE_MAX : (size_t)length;
    }
    if (!command || !build_headers(command, status, fields, field_count, true)) {
        free(command);
        h2_stream_reset(stream, NGHTTP2_INTERNAL_ERROR);
        return false;
    }
    atomic_fetch_add(&stream->references, 1); /* the command's; the app keeps its own */
    h2_post(command);
    return true;
}

bool h2_stream_write(struct h2_stream *stream, const char *data, size_t length, bool last)
{
    if (!stream_usable(stream, NULL, NULL))
        return false;
    struct h2_chunk *chunk = malloc(sizeof *chunk + length);
    struct h2_command *command = chunk ? command_new(H2_DATA, stream) : NULL;
    if (!command) {
        free(chunk);
        h2_stream_reset(stream, NGHTTP2_INTERNAL_ERROR); /* out of memory: a broken body */
        return false;
    }
    *chunk = (struct h2_chunk){ .length = length, .last = last };
    memcpy(chunk->data, data, length);
    command->chunk = chunk;
    if (!last)
        atomic_fetch_add(&stream->references, 1); /* the command's; the app keeps its own */
    h2_post(command);
    return true;
}

/* The trailer fields as nghttp2 wants them, in one allocation with their strings. */
static nghttp2_nv *copy_trailers(const struct h2_field *fields, size_t field_count,
                                 size_t *count)
{
    size_t text_size = 0;
    for (size_t i = 0; i < field_count; i++)
        text_size += fields[i].name_length + fields[i].value_length;
    char *block = malloc((field_count ? field_count : 1) * sizeof(nghttp2_nv) + text_size + 1);
    if (!block)
        return NULL;
    nghttp2_nv *nv = (nghttp2_nv *)block;
    char *text = block + (field_count ? field_count : 1) * sizeof(nghttp2_nv);
    *count = 0;
    for (size_t i = 0; i < field_count; i++) {
        const struct h2_field *field = &fields[i];
        if (field->name_length == 0 || field->name[0] == ':' ||
            connection_specific(field->name, field->name_length))
            continue;
        nv[(*count)++] = copy_field(field, &text);
    }
    return nv;
}

bool h2_stream_end_with_trailers(struct h2_stream *stream, const struct h2_field *fields,
                                 size_t field_count)
{
    if (!stream_usable(stream, NULL, NULL))
        return false;
    struct h2_chunk *chunk = malloc(sizeof *chunk);
    struct h2_command *command = chunk ? command_new(H2_DATA, stream) : NULL;
    size_t count = 0;
    nghttp2_nv *trailers = command ? copy_trailers(fields, field_count, &count) : NULL;
    if (!trailers) {
        free(chunk);
        free(command);
        return h2_stream_write(stream, "", 0, true); /* the body ends without them */
    }
    *chunk = (struct h2_chunk){ .last = true, .trailers = trailers, .trailer_count = count };
    command->chunk = chunk;
    h2_post(command);
    return true;
}
