/* What the first bytes of a new connection say about HTTP/2, before anyone reads them.
 *
 * statusd peeks (recv with MSG_PEEK) at a new connection's first bytes and decides who serves
 * it: its own HTTP/2 transport or libmicrohttpd (HTTP/1.1). These two functions are that
 * decision, pure functions over the bytes seen so far, with no I/O and no allocation:
 *
 * - client_hello_classify: on a TLS port, the TLS ClientHello (RFC 8446 §4.1.2, the same
 *   layout in TLS 1.2) and its ALPN extension (RFC 7301): does the client offer "h2"?
 * - client_hello_classify_plain: on a plain port, the HTTP/2 client preface that a client
 *   with "prior knowledge" sends first (RFC 9113 §3.4).
 *
 * Contract (both): CLIENT_HELLO_NEED_MORE means the bytes so far are a valid beginning and
 * more are needed; any other result is final: more bytes never change it. Inputs are never
 * read beyond `length`. The TLS parser never needs more than CLIENT_HELLO_MAX_BYTES: a
 * ClientHello that claims to be larger is CLIENT_HELLO_NOT_H2 at once. */
#ifndef STATUSD_H2_CLIENT_HELLO_H
#define STATUSD_H2_CLIENT_HELLO_H

#include <stddef.h>
#include <stdint.h>

/* The most a caller ever has to peek: a ClientHello is a few hundred bytes (about 1.8 KiB
 * with post-quantum key shares); 16 KiB is one full TLS record plus its headers. */
#define CLIENT_HELLO_MAX_BYTES 16384

/* The 24 bytes an HTTP/2 client sends first ("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"). */
#define CLIENT_HELLO_PREFACE_LENGTH 24

enum client_hello_result {
    CLIENT_HELLO_H2,        /* TLS: ALPN offers "h2"; plain: the HTTP/2 client preface */
    CLIENT_HELLO_NOT_H2,    /* anything else, malformed included: HTTP/1.1 serves it */
    CLIENT_HELLO_NEED_MORE, /* a valid beginning; peek again when more bytes arrived */
    CLIENT_HELLO_NOT_TLS,   /* TLS only: the first bytes are not a TLS handshake record */
};

enum client_hello_result client_hello_classify(const uint8_t *bytes, size_t length);
enum client_hello_result client_hello_classify_plain(const uint8_t *bytes, size_t length);

#endif
