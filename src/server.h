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

/* Stops accepting, finishes in-flight requests (delays end early), then stops. */
void server_stop(void);

#endif
