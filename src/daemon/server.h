/* The libmicrohttpd daemon: start-up, the per-request state machine, delays, interim
 * responses, the access log hooks and graceful shutdown. */
#ifndef STATUSD_SERVER_H
#define STATUSD_SERVER_H

#include "accesslog.h"
#include "config.h"
#include "exchange.h"

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Binds and starts serving; prints "statusd listening on http://HOST:PORT" on success, and
 * the reason on stderr on failure. */
bool server_start(const struct config *config);

/* Stops accepting, finishes in-flight requests (delays end early), then stops. */
void server_stop(void);

/* What the daemon tells the rest of statusd, registered at start-up (before server_start) so
 * that the daemon itself knows no endpoint. At most SERVER_MAX_OBSERVERS of each. */
#define SERVER_MAX_OBSERVERS 4

/* Once per request, when its answer is decided and before a byte of it goes out, so that a
 * client reading /journal after an answer always finds that request there. status is the
 * status line that goes out, 0 when none does; fault names a broken connection on purpose
 * ("fault-hang" as the hang begins), NULL otherwise. */
typedef void (*server_answer_observer)(const struct request *request, const char *target,
                                       unsigned status, const char *fault);
void server_observe_answers(server_answer_observer observer);

/* Once per finished request (the access log). */
typedef void (*server_completion_observer)(const struct access_record *record);
void server_observe_completions(server_completion_observer observer);

/* For a second transport: what the daemon tells observers, said by that transport. */
void server_record_answer(const struct request *request, const char *target, unsigned status,
                          const char *fault);
void server_record_completion(const struct access_record *record);

/* Another acceptor of connections (the HTTP/2 transport): it owns the listening socket and
 * hands HTTP/1.1 connections to libmicrohttpd, which then runs without one. Registered before
 * server_start. start() gets the listener and the running daemon and says which port it is
 * bound to; stop() stops accepting and lets its requests finish within drain_ms. */
struct listener;
struct server_acceptor {
    bool (*start)(const struct listener *listener, const struct config *config,
                  struct MHD_Daemon *daemon, uint16_t *port);
    void (*stop)(unsigned drain_ms);
};
void server_use_acceptor(const struct server_acceptor *acceptor);

/* --max-connections, or what the file descriptors allow: libmicrohttpd's limit for HTTP/1.1
 * connections, and the acceptor's for its own (each counts its own connections). */
unsigned server_max_connections(void);

/* At shutdown, after new connections stop and delays are released, before waiting for
 * in-flight requests: what holds connections of its own closes them (WebSocket sessions). */
typedef void (*server_shutdown_observer)(void);
void server_observe_shutdown(server_shutdown_observer observer);

#endif
