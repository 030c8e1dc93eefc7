/* What statusd writes on an HTTP/1.1 connection itself, beside libmicrohttpd, which has no
 * API for it (docs/libmicrohttpd.md §1-§3): interim 1xx responses, the lean 414/431
 * refusals, the 408 of a stalled request, and the broken connections of /fault/. Every
 * final response written here carries the same header set as the ones libmicrohttpd sends
 * (response_common_headers). */
#ifndef STATUSD_WIRE_H
#define STATUSD_WIRE_H

#include "exchange.h"
#include "strbuf.h"

#include <gnutls/gnutls.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

/* Where the bytes go: the socket, or the connection's TLS session when there is one
 * (plaintext inside a TLS stream would break it). */
struct wire_target {
    int fd;
    gnutls_session_t tls; /* NULL for plain TCP */
};

/* The target of a libmicrohttpd connection; false when it has none (closed). */
bool wire_target_of(struct MHD_Connection *connection, bool tls, struct wire_target *target);

/* Writes all of data, waiting briefly when the socket is full; false when the client does not
 * take it. Only from the connection's own thread: a GnuTLS session is not safe in two. */
bool wire_write(const struct wire_target *target, const char *data, size_t size);

/* Appends a final response's status line and headers: Date, Connection: close, the common
 * set, Cache-Control: no-store, Content-Type and Content-Length, then the blank line. */
void wire_final_head(struct strbuf *out, unsigned status, const char *content_type,
                     size_t content_length);

/* The interim 1xx reply->interim with the catalogue's headers for it (103's Link, ...; the
 * reply's ?link= values replace the catalogue's Link), then the blank line. */
bool wire_interim(const struct wire_target *target, const struct reply *reply);

/* Carries out a fault (reply->fault): RST, FIN, or raw bytes then FIN. The connection is
 * dropped afterwards by the caller (the access handler returns MHD_NO). */
void wire_fault(const struct wire_target *target, const struct reply *reply);

#endif
