/* State of the stateful endpoints (/sequence, /flaky, /ratelimit) and the journal, per key.
 *
 * Two stores sit behind this one interface, so the handlers (stateful.c) never know which
 * runs:
 * - in process (the default, state.c): in memory, bounded by --max-keys (the least recently
 *   used key goes first) and expiring after --state-ttl of disuse. One lock guards it all:
 *   every operation is a few counter updates or one journal append, far cheaper than the
 *   request around it, and a single lock makes "concurrent requests never lose or
 *   double-count a step" easy to see.
 * - Redis (--state redis://..., state_redis.c), shared by every replica: each operation is one
 *   atomic round trip, bounded by --state-timeout.
 *
 * Keys are text without NUL bytes, at most STATE_KEY_MAX bytes; the handlers build them as
 * "kind:parameters:client key", the client key always last. */
#ifndef STATUSD_STATE_H
#define STATUSD_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config;

#define STATE_KEY_MAX 2048
#define STATE_ERROR_SIZE 200

enum state_result {
    STATE_OK,
    STATE_UNAVAILABLE, /* the store cannot answer now (out of memory, Redis down or slow) */
};

/* Why an operation failed, in words for the 503 body: "Redis 127.0.0.1:6379: Connection
 * refused". */
struct state_error {
    char text[STATE_ERROR_SIZE];
};

/* A fixed-window rate limit after one more request. Times are the store's clock, in ms. */
struct state_window {
    uint64_t count;           /* requests in the current window, this one included */
    uint64_t window_start_ms; /* when the current window opened */
    uint64_t now_ms;          /* when this request was counted */
};

/* Opens the store config->state_url names (NULL or "memory": in process). An unreachable
 * Redis is not an error here: statusd starts, reports not ready and keeps trying. False (with
 * error) only for what cannot work at all: out of memory, no thread. */
bool state_open(const struct config *config, struct state_error *error);
void state_close(void);

/* Takes the next step of the counter at key and sets *step to its 0-based number. */
enum state_result state_step(const char *key, uint64_t *step, struct state_error *error);

/* Counts one request in the fixed window of window_ms at key: a window opens with the first
 * request after the previous one closed. */
enum state_result state_count_in_window(const char *key, uint64_t window_ms,
                                        struct state_window *window, struct state_error *error);

/* Forgets key (DELETE /sequence). */
enum state_result state_forget(const char *key, struct state_error *error);

/* Appends one JSON object (text) to the journal of a client key. The journal keeps the last
 * JOURNAL_MAX records of each key. Best effort: a store that cannot take it drops it (the
 * request it records has been answered already). */
#define JOURNAL_MAX 1000
/* All in-process journals together hold at most this much text; beyond it the least
 * recently used keys are forgotten. A record holds at most 64 headers of 256 bytes
 * (stateful.c). */
#define JOURNAL_BUDGET ((size_t)64 << 20)
void state_journal_append(const char *client_key, const char *record_json);

/* The journal of a client key as a JSON array (malloc'ed text in *json), "[]" when unknown. */
enum state_result state_journal_json(const char *client_key, char **json, size_t *length,
                                     struct state_error *error);

/* True when the store answers (always, in process); false with the reason while Redis is
 * unreachable. For /ready. */
bool state_ready(struct state_error *error);

/* "in-process" or "Redis 127.0.0.1:6379", for bodies and logs (never a password). */
const char *state_store_name(void);

#endif
