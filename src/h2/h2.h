/* The HTTP/2 transport: statusd's own accept loop, which splits connections between
 * libmicrohttpd (HTTP/1.1) and HTTP/2 sessions served with libnghttp2 (docs/http2.md).
 *
 * With HTTP/2 on, libmicrohttpd runs without a listening socket (MHD_USE_NO_LISTEN_SOCKET and
 * MHD_USE_ITC). One loop thread owns the listening socket: it accepts, peeks at each new
 * connection's first bytes (client_hello.h) and either passes it to libmicrohttpd with
 * MHD_add_connection, unread, or serves it as HTTP/2 itself: h2c with prior knowledge on a
 * plain port, or TLS terminated here with GnuTLS when the ClientHello offers "h2" in ALPN.
 * Upgrade from HTTP/1.1 (Upgrade: h2c) is not offered: RFC 9113 §3.1 deprecated it and no
 * browser ever sent it.
 *
 * The application sees complete requests (h2_serve_fn) and answers through the h2_stream_*
 * functions, from the loop thread or any other. Nothing here knows statusd's routes. */
#ifndef STATUSD_H2_H
#define STATUSD_H2_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct listener;

struct h2_options {
    bool enabled;             /* --http2=on|off; h2_start is only called when on */
    unsigned max_streams;     /* SETTINGS_MAX_CONCURRENT_STREAMS (--h2-max-streams, 100) */
    size_t max_header_list;   /* header bytes per request as RFC 9113 counts them (name +
                                 value + 32 each); more is answered 431 (--max-header-bytes) */
    uint64_t max_body;        /* request body bytes; more is answered 413 (--max-body) */
    unsigned idle_timeout_s;  /* a connection with nothing to do, or whose client reads
                                 nothing, is closed after this long (--timeout) */
    unsigned preface_timeout_s; /* a new connection must say what it speaks within this */
    unsigned max_connections; /* HTTP/2 connections open at once, more are closed at once;
                                 0: no limit (--max-connections) */
};

/* The defaults above, for options a caller does not set. */
#define H2_OPTIONS_DEFAULT                                                                   \
    (struct h2_options)                                                                      \
    {                                                                                        \
        .enabled = true, .max_streams = 100, .max_header_list = 16384,                      \
        .max_body = 1u << 20, .idle_timeout_s = 30, .preface_timeout_s = 10                 \
    }

struct h2_field {
    const char *name;
    size_t name_length;
    const char *value;
    size_t value_length;
};

struct h2_stream;

struct h2_request {             /* valid until the app's last h2_stream_* call on it */
    const char *method, *scheme, *authority, *path; /* pseudo-headers, NUL-terminated; a
                                                      missing :authority is "" */
    const struct h2_field *fields; /* regular fields in arrival order, names lower-case
                                      (HTTP/2 requires it) and values NUL-terminated */
    size_t field_count;
    const char *body;            /* the whole body (NUL-terminated), at most max_body */
    size_t body_length;
    const struct sockaddr *client;
    socklen_t client_length;
    bool tls;
    struct h2_stream *stream;    /* the handle for the answer */
};

/* Called on the loop thread once a request (with its body) is complete. The app answers now
 * or later, from any thread, with h2_stream_respond, h2_stream_reset or h2_stream_goaway
 * (exactly one of them, once), after any number of h2_stream_interim. It must not block:
 * every HTTP/2 connection waits while it runs. */
typedef void (*h2_serve_fn)(void *app, const struct h2_request *request);

/* The answers. Each is safe from any thread. Each returns false when the stream is gone (the
 * client reset it, the connection closed) or the call was wrong (a status out of range): the
 * stream and request are then released, and the app drops its state for them. After a
 * successful respond, reset or goaway the handle is released too and must not be used.
 *
 * Names are lower-cased and connection-specific fields (connection, keep-alive,
 * proxy-connection, transfer-encoding, upgrade) dropped, as RFC 9113 §8.2.2 requires. */

/* An interim response, 100 or 102..199 (101 does not exist in HTTP/2), e.g. 103 with link. */
bool h2_stream_interim(struct h2_stream *stream, unsigned status, const struct h2_field *fields,
                       size_t field_count);

/* The final response, 200..999. The body (may be NULL with length 0) is sent as is and then
 * free_body(free_argument) is called, on the loop thread, also if the stream is gone;
 * free_body may be NULL for static bytes. content-length is the body's true length, whatever
 * the app passed, except for HEAD, where the app's content-length is kept and no body sent,
 * and for 204 and 304, which never have one. */
bool h2_stream_respond(struct h2_stream *stream, unsigned status, const struct h2_field *fields,
                       size_t field_count, const char *body, size_t length,
                       void (*free_body)(void *), void *free_argument);

/* A final response whose body follows in pieces (a body made over time, /drip): the headers
 * now, with content-length as length says, or none with H2_LENGTH_UNKNOWN; then
 * h2_stream_write until a piece marked last (or h2_stream_reset to break it off). HEAD, 204
 * and 304 send the headers only, and the pieces written are dropped. */
#define H2_LENGTH_UNKNOWN UINT64_MAX
bool h2_stream_respond_streamed(struct h2_stream *stream, unsigned status,
                                const struct h2_field *fields, size_t field_count,
                                uint64_t length);

/* The next piece of a streamed body, copied; last ends the stream, and the handle is then
 * released. A body shorter than the content-length announced is sent as it is (the
 * transport does not pad it): a truncated response on purpose. */
bool h2_stream_write(struct h2_stream *stream, const char *data, size_t length, bool last);

/* RST_STREAM with this error code (RFC 9113 §7: 0 NO_ERROR .. 13 HTTP_1_1_REQUIRED). */
bool h2_stream_reset(struct h2_stream *stream, uint32_t error_code);

/* GOAWAY whose last-stream-id is the client stream before this one, so this stream and every
 * later one count as never processed (a client may retry them), then the connection closes. */
bool h2_stream_goaway(struct h2_stream *stream, uint32_t error_code);

/* --- the server ---------------------------------------------------------------------- */

/* The listening socket for h2_start from what listen.c decided: systemd's socket as it is,
 * or a new one bound to the address (dual stack for "::"), non-blocking, close-on-exec.
 * -1 with the reason on stderr. */
int h2_listen_socket(const struct listener *listener);

/* Starts the loop thread on listen_fd (h2_stop closes it). cert_pem and key_pem (both or
 * neither) make the port a TLS port: libmicrohttpd must then have the same credentials.
 * daemon must run with MHD_USE_NO_LISTEN_SOCKET and MHD_USE_ITC and stay up until h2_stop
 * returns. false with the reason on stderr. One server per process. */
bool h2_start(const struct h2_options *options, int listen_fd, const char *cert_pem,
              const char *key_pem, struct MHD_Daemon *daemon, h2_serve_fn serve, void *app);

/* The port listen_fd is bound to (the real one after --port 0), 0 if unknown. */
uint16_t h2_bound_port(void);

/* Closes the listening socket, sends GOAWAY on every session, lets streams in flight finish
 * for up to drain_ms, then closes everything and joins the thread. The app's outstanding
 * handles stay valid until it releases them (its calls then return false). */
void h2_stop(unsigned drain_ms);

#endif
