/* /status/101 done for real (SPEC §3): the WebSocket opening handshake (RFC 6455 §4.2) and an
 * echo session on the upgraded connection.
 *
 * The handshake is checked like any other request and answered with a reply; a valid one
 * becomes a 101 whose reply->upgrade_handler takes the socket. Each session then runs on its
 * own detached thread (never on a libmicrohttpd worker, which serves other connections), with
 * a bounded number of sessions, an idle timeout and a prompt exit at shutdown. */
#ifndef STATUSD_WEBSOCKET_H
#define STATUSD_WEBSOCKET_H

#include "exchange.h"

#include <stdbool.h>

/* At most this many sessions at once; the next handshake gets 503. */
#define WEBSOCKET_MAX_SESSIONS 256
/* base64 of a SHA-1 digest: 28 characters and the NUL. */
#define WEBSOCKET_ACCEPT_SIZE 29

/* Whether an Upgrade header value lists the websocket protocol (case-insensitive). */
bool websocket_upgrade_requested(const char *upgrade);

/* Answers a request that asks to upgrade to websocket: a 101 that starts a session, or the
 * refusal RFC 6455 §4.2 prescribes (400 naming the bad header, 426 with
 * Sec-WebSocket-Version: 13 for another version, 503 when all sessions are taken). */
void websocket_handshake(struct request *request, struct reply *reply);

/* Sec-WebSocket-Accept for a Sec-WebSocket-Key: base64(SHA-1(key + the RFC 6455 GUID)).
 * False if GnuTLS fails. */
bool websocket_accept_key(const char *key, char accept[WEBSOCKET_ACCEPT_SIZE]);

/* Shutdown: every session sends "1001 going away" and closes; new ones are refused. Returns
 * when none is left, or after a few seconds. Call before MHD_stop_daemon(): an upgraded
 * connection still open there is a crash in libmicrohttpd 0.9.75. */
void websocket_shutdown(void);

#endif
