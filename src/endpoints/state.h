/* State of the stateful endpoints (/sequence, /flaky, /ratelimit) and the journal, per key.
 *
 * In memory, bounded by --max-keys (the least recently used key goes first) and expiring
 * after --state-ttl of disuse. One lock guards it all: every operation is a few counter
 * updates or one journal append, far cheaper than the request around it, and a single lock
 * makes "concurrent requests never lose or double-count a step" easy to see. */
#ifndef STATUSD_STATE_H
#define STATUSD_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What an endpoint keeps for one key. */
struct state_counters {
    uint64_t count;           /* requests seen (sequence, flaky, ratelimit in its window) */
    uint64_t window_start_ms; /* ratelimit: when the current window opened */
};

bool state_init(size_t max_keys, uint64_t ttl_ms);
void state_free(void);

/* Calls update on the counters of key (created zeroed if new) under the store's lock, so
 * read-modify-write is atomic. Returns false only when out of memory. */
bool state_update(const char *key, void (*update)(struct state_counters *counters, void *arg),
                  void *arg);

/* Forgets key (DELETE /sequence). */
void state_forget(const char *key);

/* Appends one JSON object (text) to the journal of a client key. The journal keeps the last
 * JOURNAL_MAX records of each key. */
#define JOURNAL_MAX 1000
/* All journals together hold at most this much text; beyond it the least recently used keys
 * are forgotten. A record holds at most 64 headers of 256 bytes (stateful.c). */
#define JOURNAL_BUDGET ((size_t)64 << 20)
void state_journal_append(const char *client_key, const char *record_json);

/* The journal of a client key as a JSON array (malloc'ed text), "[]" when unknown. */
char *state_journal_json(const char *client_key, size_t *length);

#endif
