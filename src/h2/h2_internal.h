/* Shared between the two halves of the HTTP/2 transport: loop.c (the thread, accepting,
 * classifying, timers, the queue of answers from other threads) and session.c (one HTTP/2
 * connection: TLS, libnghttp2, streams). Not for the application: it uses h2.h. */
#ifndef STATUSD_H2_INTERNAL_H
#define STATUSD_H2_INTERNAL_H

#include "h2.h"

#include <gnutls/gnutls.h>
#include <nghttp2/nghttp2.h>
#include <pthread.h>
#include <stdatomic.h>

/* What an epoll event's data.ptr points at: every registered object starts with its kind. */
enum h2_kind { H2_KIND_LISTENER, H2_KIND_WAKE, H2_KIND_PENDING, H2_KIND_SESSION };

/* A regular request field, as offsets into the stream's field text (which may move while it
 * grows); turned into struct h2_field when the request is complete. */
struct h2_field_offsets {
    size_t name, name_length, value, value_length;
};

struct h2_session;

struct h2_stream {
    /* One reference for the transport (until the stream closes), one for the app (from
     * serve until its final call), one per queued interim answer. The last one frees. */
    atomic_uint references;
    atomic_bool gone;            /* closed: the app's calls return false */
    struct h2_session *session;  /* valid while !gone, on the loop thread only */
    int32_t id;
    struct h2_stream *previous, *next; /* the session's open streams */

    /* The request as it arrives. */
    char *method, *scheme, *authority, *path;
    char *field_text;            /* "name\0value\0" for each regular field */
    size_t field_text_length, field_text_capacity;
    struct h2_field_offsets *offsets;
    size_t field_count, field_capacity;
    size_t header_bytes;         /* as SETTINGS_MAX_HEADER_LIST_SIZE counts them */
    bool headers_too_large;
    bool has_content_length;
    uint64_t content_length;
    bool expects_continue;
    char *body;
    size_t body_length, body_capacity;
    bool body_too_large;
    bool request_complete;       /* END_STREAM received */
    bool dispatched;             /* serve was called: the app holds a reference */
    bool awaiting_app;           /* dispatched and not answered yet */
    bool answered;               /* a final response, reset or GOAWAY was submitted */
    struct h2_field *fields;     /* built when dispatched */
    struct h2_request request;
    struct sockaddr_storage client; /* the session's, copied: the request outlives it */

    /* The response body being sent: one buffer, or (streamed) pieces as the app writes
     * them, sent in order; END_STREAM after the piece marked last. */
    const char *out_body;
    size_t out_length, out_offset;
    void (*free_body)(void *);
    void *free_argument;
    bool out_streamed;
    struct h2_chunk *chunks, *chunks_tail;
    /* A reset asked for while pieces still wait: sent once they are (a body cut at a byte). */
    bool reset_pending;
    uint32_t reset_code;
};

/* A piece of a streamed body (h2_stream_write), copied. */
struct h2_chunk {
    struct h2_chunk *next;
    size_t length, offset;
    bool last;
    nghttp2_nv *trailers;  /* with the last piece: a trailing HEADERS frame (one allocation
                              with its strings), or NULL */
    size_t trailer_count;
    char data[];
};

struct h2_session {
    enum h2_kind kind;           /* H2_KIND_SESSION, first */
    int fd;
    struct sockaddr_storage client;
    socklen_t client_length;
    gnutls_session_t tls;        /* NULL on a plain port */
    bool handshaking;            /* TLS handshake not finished: no nghttp2 session yet */
    bool lingering;              /* done: discarding input until the peer closes (below) */
    nghttp2_session *nghttp2;
    uint64_t last_read_ms;       /* bytes in, or an answer from the app */
    uint64_t last_write_ms;      /* bytes out */
    uint64_t linger_until_ms;
    bool dead;                   /* closed; freed at the end of the turn (h2_session_reap) */
    bool write_blocked;          /* the socket took less than offered */
    /* Frames nghttp2 produced, gathered so a turn's answers leave in one write (each frame
     * its own send() would cost a syscall, and with Nagle a delayed-ACK wait, per frame). */
    uint8_t *out;
    size_t out_length, out_sent, out_capacity;
    size_t tls_retry;            /* GnuTLS wants a blocked record retried with this length */
    bool queued;                 /* on the loop's work list */
    bool more_input;             /* stopped reading at the per-turn budget */
    unsigned awaiting_app;       /* streams dispatched and not answered */
    struct h2_stream *streams;
    struct h2_session *previous, *next;  /* every session */
    struct h2_session *next_work;        /* the work list */
    struct h2_session *next_dead;        /* closed, to be freed */
};

/* The one server of the process, owned by the loop thread except where noted. */
struct h2_server {
    struct h2_options options;
    int epoll_fd, listen_fd, wake_fd;
    gnutls_certificate_credentials_t credentials; /* NULL on a plain port */
    gnutls_priority_t priorities;
    struct MHD_Daemon *daemon;
    h2_serve_fn serve;
    void *app;
    pthread_t thread;
    atomic_bool running;          /* the loop thread runs (set before it starts) */
    atomic_bool stop_requested;
    unsigned drain_ms;
    nghttp2_session_callbacks *callbacks;
    nghttp2_option *nghttp2_options;
    struct h2_session *sessions;
    size_t session_count;
    struct h2_session *work;      /* sessions to flush or read on this turn */
    /* Answers from other threads (any thread, under queue_lock). */
    pthread_mutex_t queue_lock;
    struct h2_command *queue_head, *queue_tail;
    bool queue_closed;            /* the loop has ended: answers are carried out inline */
};

extern struct h2_server h2_server;

uint64_t h2_now_ms(void);

/* session.c */
bool h2_session_setup(void);   /* callbacks and options, once at start */
void h2_session_teardown(void);
/* Takes the accepted, non-blocking fd: starts TLS or HTTP/2 at once. */
void h2_session_open(int fd, const struct sockaddr *client, socklen_t client_length);
void h2_session_on_event(struct h2_session *session, uint32_t events);
void h2_session_run_work(void);          /* flushes and reads what is on the work list */
void h2_session_sweep(uint64_t now_ms);  /* idle and linger timeouts */
void h2_session_reap(void);              /* frees the sessions closed on this turn */
void h2_session_goaway_all(void);
void h2_session_close_all(void);

/* An answer: made on the app's thread (h2.h's h2_stream_* functions), carried out on the
 * loop thread. It holds a reference to its stream. */
enum h2_command_type { H2_INTERIM, H2_RESPOND, H2_DATA, H2_RESET, H2_GOAWAY };
struct h2_command {
    struct h2_command *next;
    enum h2_command_type type;
    struct h2_stream *stream;
    uint32_t error_code;
    nghttp2_nv *headers;     /* with their names and values in the same allocation */
    size_t header_count;
    const char *body;
    size_t length;
    void (*free_body)(void *);
    void *free_argument;
    bool streamed;           /* H2_RESPOND: the body follows in H2_DATA commands */
    struct h2_chunk *chunk;  /* H2_DATA */
};
void h2_command_run(struct h2_command *command);   /* loop thread */
void h2_command_discard(struct h2_command *command);
/* loop.c: queues a command for the loop thread (or runs it inline there / after the loop). */
void h2_post(struct h2_command *command);
bool h2_on_loop_thread(void);

#endif
