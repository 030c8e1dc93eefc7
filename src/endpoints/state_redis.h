/* The Redis state store: every replica pointed at one Redis shares /sequence, /flaky,
 * /ratelimit and /journal state (--state redis://HOST:PORT[/DB] or unix:/PATH[?db=N]). */
#ifndef STATUSD_STATE_REDIS_H
#define STATUSD_STATE_REDIS_H

#include "redis_url.h"
#include "state_store.h"

#include <stdbool.h>
#include <stdint.h>

/* Starts the pool and the health watcher; Redis need not answer yet. NULL (error set) when
 * out of memory or without a thread. */
const struct state_store *state_redis_open(const struct redis_address *address,
                                           const struct config *config,
                                           struct state_error *error);

#endif
