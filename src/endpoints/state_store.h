/* What a state store provides (state.h's operations), so state.c can hand each call to the
 * store that runs: in process (state.c) or Redis (state_redis.c). Internal to those files. */
#ifndef STATUSD_STATE_STORE_H
#define STATUSD_STATE_STORE_H

#include "state.h"

/* Receives journal records oldest first. */
typedef void (*state_record_visitor)(void *cls, const char *record, size_t length);

struct state_store {
    const char *name; /* "in-process", "Redis 127.0.0.1:6379" */
    enum state_result (*step)(const char *key, uint64_t *step, struct state_error *error);
    enum state_result (*count_in_window)(const char *key, uint64_t window_ms,
                                         struct state_window *window, struct state_error *error);
    enum state_result (*forget)(const char *key, struct state_error *error);
    void (*journal_append)(const char *journal_key, const char *record_json);
    enum state_result (*journal_visit)(const char *journal_key, state_record_visitor visit,
                                       void *cls, struct state_error *error);
    bool (*ready)(struct state_error *error);
    void (*close)(void);
};

/* Formats error->text as "<store name>: <reason>". */
void state_error_set(struct state_error *error, const char *store_name, const char *reason);

#endif
