/* The Redis state store: every replica pointed at one Redis shares /sequence, /flaky,
 * /ratelimit and /journal state (--state redis://HOST:PORT[/DB] or unix:/PATH[?db=N]). */
#ifndef STATUSD_STATE_REDIS_H
#define STATUSD_STATE_REDIS_H

#include "state_store.h"

#include <stdbool.h>
#include <stdint.h>

struct redis_address {
    bool unix_socket;
    char host[256]; /* TCP: name or address, without IPv6 brackets */
    unsigned port;
    char path[108]; /* unix: the socket's path (sun_path's size) */
    unsigned db;    /* SELECT db after connecting; 0 is Redis's default */
};

/* redis://HOST[:PORT][/DB] (IPv6 as [::1]), unix:/PATH[?db=N]. False for anything else,
 * including user information ("redis://:secret@host"): the password comes from
 * STATUSD_REDIS_PASSWORD only, so it never shows in a process list. */
bool state_redis_parse_url(const char *url, struct redis_address *address);

/* Starts the pool and the health watcher; Redis need not answer yet. NULL (error set) when
 * out of memory or without a thread. */
const struct state_store *state_redis_open(const struct redis_address *address,
                                           const struct config *config,
                                           struct state_error *error);

#endif
