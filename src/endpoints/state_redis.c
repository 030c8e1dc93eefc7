/* The Redis state store (--state redis://...): replicas behind any load balancer share
 * /sequence, /flaky, /ratelimit and /journal, with the same answers as one instance.
 *
 * Design: a small pool of synchronous hiredis connections, one per serving thread (a thread
 * keeps its slot, so slots are rarely contended), each command bounded by --state-timeout
 * through socket timeouts. The cost, chosen for simplicity: a serving thread waits for Redis,
 * up to --state-timeout, and the other connections that thread serves wait with it. An event
 * loop of its own with hiredis's async API would hold no thread, at the price of suspending
 * and resuming every stateful request.
 *
 * Atomicity: each read-modify-write is one Lua script (EVALSHA; Redis runs a script alone),
 * so a step, a window count or a journal append is exact across replicas and costs one round
 * trip. Scripts are loaded (SCRIPT LOAD) on every new connection and again on NOSCRIPT.
 * Client bytes only ever travel as arguments (redisCommandArgv with lengths), never inside a
 * command's text, so no key can form a command.
 *
 * Failures: a watcher thread PINGs Redis. When a command fails (no connection, no answer in
 * time) or the PING does, the store is "down": stateful requests get a 503 at once, without
 * touching Redis, until the watcher reconnects (backoff from 50 ms to 2 s) and marks it "up"
 * again. One log line per change, never per request. */
#include "state_redis.h"

#include "config.h"
#include "numbers.h"
#include "timer.h"

#include <errno.h>
#include <gnutls/crypto.h>
#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WATCH_INTERVAL_MS 1000 /* PING while up */
#define BACKOFF_FIRST_MS 50    /* reconnect attempts while down, doubling ... */
#define BACKOFF_MAX_MS 2000    /* ... up to this */
#define PREFIX_MAX 64          /* --state-prefix (config.c checks) */
#define REASON_SIZE 160

/* Times are read from the store's clock (TIME), so every replica sees one clock. Lua numbers
 * are doubles: milliseconds since 1970 are exact in them. */
enum script { SCRIPT_STEP, SCRIPT_WINDOW, SCRIPT_JOURNAL, SCRIPT_COUNT };
static const char *const scripts[SCRIPT_COUNT] = {
    /* KEYS[1] counter; ARGV[1] ttl ms. Returns the 0-based step taken. */
    [SCRIPT_STEP] = "local n = redis.call('INCR', KEYS[1])\n"
                    "redis.call('PEXPIRE', KEYS[1], ARGV[1])\n"
                    "return n - 1\n",
    /* KEYS[1] window hash; ARGV[1] window ms, ARGV[2] ttl ms. A window opens with the first
     * request after the previous one closed; the key outlives its window. Returns
     * {count, window start ms, now ms}. */
    [SCRIPT_WINDOW] = "local t = redis.call('TIME')\n"
                      "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
                      "local window = tonumber(ARGV[1])\n"
                      "local v = redis.call('HMGET', KEYS[1], 'count', 'start')\n"
                      "local count = tonumber(v[1]) or 0\n"
                      "local start = tonumber(v[2]) or 0\n"
                      "if count == 0 or now >= start + window then\n"
                      "  start = now\n"
                      "  count = 0\n"
                      "end\n"
                      "count = count + 1\n"
                      "redis.call('HSET', KEYS[1], 'count', count, 'start', start)\n"
                      "redis.call('PEXPIRE', KEYS[1], math.max(tonumber(ARGV[2]), start + window - now))\n"
                      "return {count, start, now}\n",
    /* KEYS[1] journal list, newest first; ARGV[1] record, ARGV[2] ttl ms, ARGV[3] records
     * kept. */
    [SCRIPT_JOURNAL] = "redis.call('LPUSH', KEYS[1], ARGV[1])\n"
                       "redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[3]) - 1)\n"
                       "redis.call('PEXPIRE', KEYS[1], ARGV[2])\n"
                       "return 1\n",
};

/* One connection; a serving thread always uses the same one. */
struct slot {
    pthread_mutex_t lock;
    redisContext *context;   /* NULL until needed, and after a failure */
    unsigned generation;     /* the store's generation when context was opened */
};

static struct {
    struct redis_address address;
    char name[sizeof "Redis unix:" + sizeof ((struct redis_address *)0)->path + 16];
    char *password;          /* STATUSD_REDIS_PASSWORD, NULL for none; never logged */
    char db_text[24];
    uint64_t timeout_ms;
    char ttl_text[24];
    char prefix[PREFIX_MAX + 1];
    size_t prefix_length;
    char sha[SCRIPT_COUNT][41];
    struct slot *slots;
    size_t slot_count;
    atomic_size_t next_slot;
    atomic_bool up;
    /* Goes up with every up→down change: connections opened before it are dropped, as
     * Redis may have restarted behind them. */
    atomic_uint generation;
    /* The watcher, and what it shares with the serving threads. */
    pthread_t watcher;
    bool watcher_running;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stopping;
    char down_reason[REASON_SIZE];
} redis = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* --- time -------------------------------------------------------------------------------- */

/* Milliseconds left before deadline (now_ms() time), at least 1: a zero timeout would make
 * hiredis wait forever. */
static uint64_t left_ms(uint64_t deadline_ms)
{
    uint64_t now = now_ms();
    return deadline_ms > now ? deadline_ms - now : 1;
}

static struct timeval timeval_of(uint64_t ms)
{
    return (struct timeval){ .tv_sec = (time_t)(ms / 1000), .tv_usec = (suseconds_t)(ms % 1000) * 1000 };
}

/* --- one connection ---------------------------------------------------------------------- */

/* Why context failed, in words: hiredis reports a socket timeout as EAGAIN's text. */
static void context_reason(const redisContext *context, char *reason)
{
    if (context->err == REDIS_ERR_IO && strcmp(context->errstr, strerror(EAGAIN)) == 0)
        snprintf(reason, REASON_SIZE, "no answer within --state-timeout (%llu ms)",
                 (unsigned long long)redis.timeout_ms);
    else
        snprintf(reason, REASON_SIZE, "%s", context->errstr[0] ? context->errstr : "I/O error");
}

/* One command, answered before deadline. NULL with reason when the connection failed (it is
 * then unusable); an error reply is returned as is. */
static redisReply *send_command(redisContext *context, uint64_t deadline_ms, int argc,
                                const char **argv, const size_t *lengths, char *reason)
{
    if (redisSetTimeout(context, timeval_of(left_ms(deadline_ms))) != REDIS_OK) {
        context_reason(context, reason);
        return NULL;
    }
    redisReply *reply = redisCommandArgv(context, argc, argv, lengths);
    if (!reply)
        context_reason(context, reason);
    return reply;
}

/* A command whose reply must not be an error (AUTH, SELECT, SCRIPT LOAD, PING). */
static bool run_setup(redisContext *context, uint64_t deadline_ms, int argc, const char **argv,
                      char *reason)
{
    redisReply *reply = send_command(context, deadline_ms, argc, argv, NULL, reason);
    if (!reply)
        return false;
    bool ok = reply->type != REDIS_REPLY_ERROR;
    if (!ok) /* Redis's own words; AUTH's never repeat the password */
        snprintf(reason, REASON_SIZE, "%s: %s", argv[0], reply->str);
    freeReplyObject(reply);
    return ok;
}

static bool load_scripts(redisContext *context, uint64_t deadline_ms, char *reason)
{
    for (int i = 0; i < SCRIPT_COUNT; i++) {
        const char *argv[] = { "SCRIPT", "LOAD", scripts[i] };
        if (!run_setup(context, deadline_ms, 3, argv, reason))
            return false;
    }
    return true;
}

/* Connects, authenticates, selects the database and loads the scripts, all before
 * deadline. NULL with reason on failure. */
static redisContext *connect_context(uint64_t deadline_ms, char *reason)
{
    struct timeval timeout = timeval_of(left_ms(deadline_ms));
    redisContext *context = redis.address.unix_socket
                                ? redisConnectUnixWithTimeout(redis.address.path, timeout)
                                : redisConnectWithTimeout(redis.address.host,
                                                          (int)redis.address.port, timeout);
    if (!context) {
        snprintf(reason, REASON_SIZE, "out of memory");
        return NULL;
    }
    if (context->err) {
        context_reason(context, reason);
        goto fail;
    }
    if (redis.password) {
        const char *argv[] = { "AUTH", redis.password };
        if (!run_setup(context, deadline_ms, 2, argv, reason))
            goto fail;
    }
    if (redis.address.db) {
        const char *argv[] = { "SELECT", redis.db_text };
        if (!run_setup(context, deadline_ms, 2, argv, reason))
            goto fail;
    }
    if (!load_scripts(context, deadline_ms, reason))
        goto fail;
    return context;
fail:
    redisFree(context);
    return NULL;
}

/* --- up and down ------------------------------------------------------------------------- */

/* Both under redis.lock. */
static void mark_down_locked(const char *reason)
{
    snprintf(redis.down_reason, sizeof redis.down_reason, "%s", reason);
    if (!atomic_load(&redis.up))
        return;
    atomic_store(&redis.up, false);
    atomic_fetch_add(&redis.generation, 1);
    fprintf(stderr, "statusd: state store %s is down (%s): /sequence, /flaky, /ratelimit and "
                    "/journal answer 503 until it is back\n", redis.name, reason);
    pthread_cond_signal(&redis.wake); /* the watcher starts reconnecting now */
}

static void mark_up_locked(void)
{
    if (atomic_load(&redis.up))
        return;
    atomic_store(&redis.up, true);
    fprintf(stderr, "statusd: state store %s is up\n", redis.name);
}

/* A serving thread's command failed on the connection: the store counts as down until the
 * watcher reaches it again. */
static void report_failure(const char *reason)
{
    pthread_mutex_lock(&redis.lock);
    mark_down_locked(reason);
    pthread_mutex_unlock(&redis.lock);
}

/* PINGs through *context (made first if NULL), within --state-timeout. */
static bool probe(redisContext **context, char *reason)
{
    uint64_t deadline = now_ms() + redis.timeout_ms;
    if (!*context && !(*context = connect_context(deadline, reason)))
        return false;
    const char *argv[] = { "PING" };
    if (run_setup(*context, deadline, 1, argv, reason))
        return true;
    redisFree(*context);
    *context = NULL;
    return false;
}

static void wait_locked(uint64_t ms)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += (time_t)(ms / 1000);
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&redis.wake, &redis.lock, &until);
}

static void *watch(void *initial_context)
{
    redisContext *context = initial_context;
    uint64_t backoff_ms = BACKOFF_FIRST_MS;
    pthread_mutex_lock(&redis.lock);
    while (!redis.stopping) {
        bool was_up = atomic_load(&redis.up);
        wait_locked(was_up ? WATCH_INTERVAL_MS : backoff_ms);
        if (redis.stopping)
            break;
        was_up = atomic_load(&redis.up);
        pthread_mutex_unlock(&redis.lock);
        if (!was_up && context) { /* a fresh connection proves more than an old one */
            redisFree(context);
            context = NULL;
        }
        char reason[REASON_SIZE];
        bool reached = probe(&context, reason);
        pthread_mutex_lock(&redis.lock);
        if (reached) {
            backoff_ms = BACKOFF_FIRST_MS;
            mark_up_locked();
        } else {
            mark_down_locked(reason);
            backoff_ms = backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff_ms * 2;
        }
    }
    pthread_mutex_unlock(&redis.lock);
    if (context)
        redisFree(context);
    return NULL;
}

/* --- commands from serving threads ------------------------------------------------------- */

static struct slot *own_slot(void)
{
    static _Thread_local size_t index = SIZE_MAX;
    if (index == SIZE_MAX)
        index = atomic_fetch_add(&redis.next_slot, 1) % redis.slot_count;
    return &redis.slots[index];
}

static bool lock_before(pthread_mutex_t *lock, uint64_t deadline_ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until); /* pthread_mutex_timedlock's clock */
    uint64_t ms = left_ms(deadline_ms);
    until.tv_sec += (time_t)(ms / 1000);
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    return pthread_mutex_timedlock(lock, &until) == 0;
}

static void set_error(struct state_error *error, const char *reason)
{
    state_error_set(error, redis.name, reason);
}

/* One command within --state-timeout. The reply (never an error reply), or NULL with error
 * set. Nothing here waits longer than the timeout: the slot's lock, a reconnect and the
 * command share one deadline. */
static redisReply *command(int argc, const char **argv, const size_t *lengths,
                           struct state_error *error)
{
    if (!atomic_load(&redis.up)) {
        pthread_mutex_lock(&redis.lock);
        set_error(error, redis.down_reason);
        pthread_mutex_unlock(&redis.lock);
        return NULL;
    }
    uint64_t deadline = now_ms() + redis.timeout_ms;
    struct slot *slot = own_slot();
    if (!lock_before(&slot->lock, deadline)) {
        set_error(error, "every connection busy for --state-timeout");
        return NULL;
    }
    char reason[REASON_SIZE];
    redisReply *reply = NULL;
    unsigned generation = atomic_load(&redis.generation);
    if (slot->context && slot->generation != generation) {
        redisFree(slot->context);
        slot->context = NULL;
    }
    if (!slot->context) {
        slot->context = connect_context(deadline, reason);
        slot->generation = generation;
    }
    if (slot->context)
        reply = send_command(slot->context, deadline, argc, argv, lengths, reason);
    if (reply && reply->type == REDIS_REPLY_ERROR && strncmp(reply->str, "NOSCRIPT", 8) == 0) {
        /* Redis lost its scripts (SCRIPT FLUSH, or a restart this connection survived). */
        freeReplyObject(reply);
        reply = NULL;
        if (load_scripts(slot->context, deadline, reason))
            reply = send_command(slot->context, deadline, argc, argv, lengths, reason);
    }
    if (!reply && slot->context) {
        redisFree(slot->context);
        slot->context = NULL;
    }
    pthread_mutex_unlock(&slot->lock);
    if (!reply) {
        report_failure(reason);
        set_error(error, reason);
        return NULL;
    }
    if (reply->type == REDIS_REPLY_ERROR) { /* Redis answered: it is up, this one failed */
        set_error(error, reply->str);
        freeReplyObject(reply);
        return NULL;
    }
    return reply;
}

/* The Redis key of a state key: --state-prefix, then the key's bytes. */
static size_t full_key(const char *key, char *out)
{
    size_t n = strlen(key); /* state.c bounds it by STATE_KEY_MAX */
    memcpy(out, redis.prefix, redis.prefix_length);
    memcpy(out + redis.prefix_length, key, n);
    return redis.prefix_length + n;
}

#define FULL_KEY_SIZE (PREFIX_MAX + STATE_KEY_MAX)

static bool reply_is_integer(const redisReply *reply)
{
    return reply->type == REDIS_REPLY_INTEGER && reply->integer >= 0;
}

static enum state_result unexpected(redisReply *reply, struct state_error *error)
{
    freeReplyObject(reply);
    set_error(error, "unexpected reply");
    return STATE_UNAVAILABLE;
}

static enum state_result redis_step(const char *key, uint64_t *step, struct state_error *error)
{
    char name[FULL_KEY_SIZE];
    const char *argv[] = { "EVALSHA", redis.sha[SCRIPT_STEP], "1", name, redis.ttl_text };
    size_t lengths[] = { 7, 40, 1, full_key(key, name), strlen(redis.ttl_text) };
    redisReply *reply = command(5, argv, lengths, error);
    if (!reply)
        return STATE_UNAVAILABLE;
    if (!reply_is_integer(reply))
        return unexpected(reply, error);
    *step = (uint64_t)reply->integer;
    freeReplyObject(reply);
    return STATE_OK;
}

static enum state_result redis_count_in_window(const char *key, uint64_t window_ms,
                                               struct state_window *window,
                                               struct state_error *error)
{
    char name[FULL_KEY_SIZE], window_text[24];
    snprintf(window_text, sizeof window_text, "%llu", (unsigned long long)window_ms);
    const char *argv[] = { "EVALSHA", redis.sha[SCRIPT_WINDOW], "1", name, window_text,
                           redis.ttl_text };
    size_t lengths[] = { 7, 40, 1, full_key(key, name), strlen(window_text),
                         strlen(redis.ttl_text) };
    redisReply *reply = command(6, argv, lengths, error);
    if (!reply)
        return STATE_UNAVAILABLE;
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 3 ||
        !reply_is_integer(reply->element[0]) || !reply_is_integer(reply->element[1]) ||
        !reply_is_integer(reply->element[2]))
        return unexpected(reply, error);
    window->count = (uint64_t)reply->element[0]->integer;
    window->window_start_ms = (uint64_t)reply->element[1]->integer;
    window->now_ms = (uint64_t)reply->element[2]->integer;
    freeReplyObject(reply);
    return STATE_OK;
}

static enum state_result redis_forget(const char *key, struct state_error *error)
{
    char name[FULL_KEY_SIZE];
    const char *argv[] = { "DEL", name };
    size_t lengths[] = { 3, full_key(key, name) };
    redisReply *reply = command(2, argv, lengths, error);
    if (!reply)
        return STATE_UNAVAILABLE;
    freeReplyObject(reply);
    return STATE_OK;
}

static void redis_journal_append(const char *key, const char *record_json)
{
    char name[FULL_KEY_SIZE], kept[24];
    snprintf(kept, sizeof kept, "%d", JOURNAL_MAX);
    const char *argv[] = { "EVALSHA", redis.sha[SCRIPT_JOURNAL], "1", name, record_json,
                           redis.ttl_text, kept };
    size_t lengths[] = { 7, 40, 1, full_key(key, name), strlen(record_json),
                         strlen(redis.ttl_text), strlen(kept) };
    struct state_error error; /* the request is answered already: nobody to tell */
    redisReply *reply = command(7, argv, lengths, &error);
    if (reply)
        freeReplyObject(reply);
}

static enum state_result redis_journal_visit(const char *key, state_record_visitor visit,
                                             void *cls, struct state_error *error)
{
    char name[FULL_KEY_SIZE];
    const char *argv[] = { "LRANGE", name, "0", "-1" };
    size_t lengths[] = { 6, full_key(key, name), 1, 2 };
    redisReply *reply = command(4, argv, lengths, error);
    if (!reply)
        return STATE_UNAVAILABLE;
    if (reply->type != REDIS_REPLY_ARRAY)
        return unexpected(reply, error);
    for (size_t i = reply->elements; i-- > 0;) { /* newest first in Redis */
        const redisReply *record = reply->element[i];
        if (record->type == REDIS_REPLY_STRING)
            visit(cls, record->str, record->len);
    }
    freeReplyObject(reply);
    return STATE_OK;
}

static bool redis_ready(struct state_error *error)
{
    if (atomic_load(&redis.up))
        return true;
    pthread_mutex_lock(&redis.lock);
    set_error(error, redis.down_reason);
    pthread_mutex_unlock(&redis.lock);
    return false;
}

static void redis_close(void)
{
    pthread_mutex_lock(&redis.lock);
    redis.stopping = true;
    pthread_cond_signal(&redis.wake);
    pthread_mutex_unlock(&redis.lock);
    if (redis.watcher_running)
        pthread_join(redis.watcher, NULL);
    redis.watcher_running = false;
    for (size_t i = 0; redis.slots && i < redis.slot_count; i++) {
        if (redis.slots[i].context)
            redisFree(redis.slots[i].context);
        pthread_mutex_destroy(&redis.slots[i].lock);
    }
    free(redis.slots);
    redis.slots = NULL;
    free(redis.password);
    redis.password = NULL;
    pthread_cond_destroy(&redis.wake);
}

static struct state_store redis_store = {
    .step = redis_step,
    .count_in_window = redis_count_in_window,
    .forget = redis_forget,
    .journal_append = redis_journal_append,
    .journal_visit = redis_journal_visit,
    .ready = redis_ready,
    .close = redis_close,
};

/* EVALSHA names a script by the SHA-1 of its text, so the names are known before Redis is. */
static bool hash_scripts(void)
{
    for (int i = 0; i < SCRIPT_COUNT; i++) {
        unsigned char digest[20];
        if (gnutls_hash_fast(GNUTLS_DIG_SHA1, scripts[i], strlen(scripts[i]), digest) != 0)
            return false;
        for (int j = 0; j < 20; j++)
            snprintf(redis.sha[i] + 2 * j, 3, "%02x", digest[j]);
    }
    return true;
}

const struct state_store *state_redis_open(const struct redis_address *address,
                                           const struct config *config,
                                           struct state_error *error)
{
    redis.address = *address;
    if (address->unix_socket)
        snprintf(redis.name, sizeof redis.name, "Redis unix:%s", address->path);
    else
        snprintf(redis.name, sizeof redis.name, strchr(address->host, ':') ? "Redis [%s]:%u"
                                                                           : "Redis %s:%u",
                 address->host, address->port);
    if (address->db)
        snprintf(redis.name + strlen(redis.name), sizeof redis.name - strlen(redis.name),
                 "/%u", address->db);
    redis_store.name = redis.name;
    snprintf(redis.db_text, sizeof redis.db_text, "%u", address->db);
    redis.timeout_ms = config->state_timeout_ms ? config->state_timeout_ms : 200;
    /* PEXPIRE 0 would delete a key at once: at least 1 ms. */
    snprintf(redis.ttl_text, sizeof redis.ttl_text, "%llu",
             (unsigned long long)(config->state_ttl_ms ? config->state_ttl_ms : 1));
    const char *prefix = config->state_prefix ? config->state_prefix : "statusd:v1:";
    redis.prefix_length = strlen(prefix) > PREFIX_MAX ? PREFIX_MAX : strlen(prefix);
    memcpy(redis.prefix, prefix, redis.prefix_length);
    const char *password = getenv("STATUSD_REDIS_PASSWORD");
    redis.password = password && *password ? strdup(password) : NULL;
    if (password && *password && !redis.password)
        goto out_of_memory;
    if (!hash_scripts()) {
        state_error_set(error, redis.name, "cannot hash the Lua scripts");
        return NULL;
    }
    /* One connection per serving thread, and one spare for any other thread. */
    redis.slot_count = (size_t)config->threads + 1;
    redis.slots = calloc(redis.slot_count, sizeof *redis.slots);
    if (!redis.slots)
        goto out_of_memory;
    for (size_t i = 0; i < redis.slot_count; i++)
        pthread_mutex_init(&redis.slots[i].lock, NULL);
    pthread_condattr_t attributes;
    pthread_condattr_init(&attributes);
    pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC);
    pthread_cond_init(&redis.wake, &attributes);
    pthread_condattr_destroy(&attributes);

    /* A first probe, so the log and /ready tell the truth from the start; statusd starts
     * either way and keeps trying. */
    redisContext *context = NULL;
    char reason[REASON_SIZE];
    if (probe(&context, reason)) {
        atomic_store(&redis.up, true);
        fprintf(stderr, "statusd: state store %s is up\n", redis.name);
    } else {
        atomic_store(&redis.up, false);
        snprintf(redis.down_reason, sizeof redis.down_reason, "%s", reason);
        fprintf(stderr, "statusd: state store %s is down (%s): /sequence, /flaky, /ratelimit "
                        "and /journal answer 503 until it is up\n", redis.name, reason);
    }
    if (pthread_create(&redis.watcher, NULL, watch, context) != 0) {
        if (context)
            redisFree(context);
        redis_close();
        state_error_set(error, redis.name, "cannot start the watcher thread");
        return NULL;
    }
    redis.watcher_running = true;
    return &redis_store;
out_of_memory:
    free(redis.password);
    redis.password = NULL;
    state_error_set(error, redis.name, "out of memory");
    return NULL;
}
