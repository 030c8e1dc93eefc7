/* The libmicrohttpd daemon: start-up, the per-request state machine, delays, interim
 * responses, the access log hooks and graceful shutdown. */
#ifndef STATUSD_SERVER_H
#define STATUSD_SERVER_H

#include "config.h"

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

/* Binds and starts serving; prints "statusd listening on http://HOST:PORT" on success, and
 * the reason on stderr on failure. */
bool server_start(const struct config *config);

/* Writes bytes to the client behind libmicrohttpd's back (interim 1xx, refusals, faults):
 * through the connection's TLS session when there is one, else to the socket. Only from the
 * connection's own thread (its handler), and only before a response is queued for it. */
bool server_write_raw(struct MHD_Connection *connection, const char *data, size_t size);

/* Stops accepting, finishes in-flight requests (delays end early), then stops. */
void server_stop(void);

#endif
