/* The state interface (state.h) and the in-process store behind it. */
#include "state.h"

#include "config.h"
#include "hash.h"
#include "state_redis.h"
#include "state_store.h"
#include "strbuf.h"
#include "timer.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What an endpoint keeps for one key. */
struct state_counters {
    uint64_t count;           /* requests seen (sequence, flaky, ratelimit in its window) */
    uint64_t window_start_ms; /* ratelimit: when the current window opened */
};

struct entry {
    char *key;
    uint64_t touched_ms;
    struct entry *newer, *older; /* LRU list: head is the most recently used */
    struct entry *chain;         /* hash bucket */
    struct state_counters counters;
    char **journal;              /* ring of JSON texts, allocated on first append */
    size_t journal_first, journal_count;
    size_t journal_bytes;        /* text held in journal, counted in store.journal_bytes */
};

static struct {
    pthread_mutex_t lock;
    struct entry **buckets;
    size_t bucket_count;
    size_t count, max_keys;
    uint64_t ttl_ms;
    struct entry *newest, *oldest;
    size_t journal_bytes;        /* all journals' text, bounded by JOURNAL_BUDGET */
} store = { .lock = PTHREAD_MUTEX_INITIALIZER };

static uint64_t hash_key(const char *key)
{
    return hash_fnv1a64_string(key);
}

static bool memory_open(size_t max_keys, uint64_t ttl_ms)
{
    store.max_keys = max_keys;
    store.ttl_ms = ttl_ms;
    store.bucket_count = 64;
    while (store.bucket_count < max_keys && store.bucket_count < (1u << 24))
        store.bucket_count *= 2;
    store.buckets = calloc(store.bucket_count, sizeof *store.buckets);
    return store.buckets != NULL;
}

static void entry_destroy(struct entry *e)
{
    store.journal_bytes -= e->journal_bytes;
    for (size_t i = 0; e->journal && i < e->journal_count; i++)
        free(e->journal[(e->journal_first + i) % JOURNAL_MAX]);
    free(e->journal);
    free(e->key);
    free(e);
}

static void lru_unlink(struct entry *e)
{
    if (e->newer)
        e->newer->older = e->older;
    else
        store.newest = e->older;
    if (e->older)
        e->older->newer = e->newer;
    else
        store.oldest = e->newer;
    e->newer = e->older = NULL;
}

static void lru_push_newest(struct entry *e)
{
    e->older = store.newest;
    e->newer = NULL;
    if (store.newest)
        store.newest->newer = e;
    store.newest = e;
    if (!store.oldest)
        store.oldest = e;
}

static void remove_locked(struct entry *e)
{
    struct entry **link = &store.buckets[hash_key(e->key) & (store.bucket_count - 1)];
    while (*link != e)
        link = &(*link)->chain;
    *link = e->chain;
    lru_unlink(e);
    store.count--;
    entry_destroy(e);
}

/* Drops expired keys from the old end, and the oldest ones beyond --max-keys or beyond the
 * journals' memory budget. */
static void evict_locked(uint64_t now)
{
    while (store.oldest && (store.count > store.max_keys ||
                            store.journal_bytes > JOURNAL_BUDGET ||
                            now - store.oldest->touched_ms > store.ttl_ms))
        remove_locked(store.oldest);
}

static struct entry *find_locked(const char *key, bool create)
{
    uint64_t now = now_ms();
    evict_locked(now);
    struct entry **bucket = &store.buckets[hash_key(key) & (store.bucket_count - 1)];
    for (struct entry *e = *bucket; e; e = e->chain)
        if (strcmp(e->key, key) == 0) {
            e->touched_ms = now;
            lru_unlink(e);
            lru_push_newest(e);
            return e;
        }
    if (!create || store.max_keys == 0)
        return NULL;
    struct entry *e = calloc(1, sizeof *e);
    if (!e || !(e->key = strdup(key))) {
        free(e);
        return NULL;
    }
    e->touched_ms = now;
    e->chain = *bucket;
    *bucket = e;
    lru_push_newest(e);
    store.count++;
    evict_locked(now);
    return e;
}

static enum state_result memory_step(const char *key, uint64_t *step, struct state_error *error)
{
    pthread_mutex_lock(&store.lock);
    struct entry *e = find_locked(key, true);
    if (e)
        *step = e->counters.count++;
    pthread_mutex_unlock(&store.lock);
    if (!e)
        state_error_set(error, "in-process", "out of memory");
    return e ? STATE_OK : STATE_UNAVAILABLE;
}

/* The clock is read under the lock: read before it, a request that waited for the lock would
 * see a time earlier than the window another request just opened. */
static enum state_result memory_count_in_window(const char *key, uint64_t window_ms,
                                                struct state_window *w, struct state_error *error)
{
    pthread_mutex_lock(&store.lock);
    struct entry *e = find_locked(key, true);
    if (e) {
        struct state_counters *counters = &e->counters;
        w->now_ms = now_ms();
        if (counters->count == 0 || w->now_ms >= counters->window_start_ms + window_ms) {
            counters->window_start_ms = w->now_ms;
            counters->count = 0;
        }
        w->count = ++counters->count;
        w->window_start_ms = counters->window_start_ms;
    }
    pthread_mutex_unlock(&store.lock);
    if (!e)
        state_error_set(error, "in-process", "out of memory");
    return e ? STATE_OK : STATE_UNAVAILABLE;
}

static enum state_result memory_forget(const char *key, struct state_error *error)
{
    (void)error;
    pthread_mutex_lock(&store.lock);
    struct entry *e = find_locked(key, false);
    if (e)
        remove_locked(e);
    pthread_mutex_unlock(&store.lock);
    return STATE_OK;
}

/* Journal keys live in the same store under their own prefix, so they are bounded and
 * expire like every other key. */
static void memory_journal_append(const char *key, const char *record_json)
{
    char *copy = strdup(record_json);
    if (!copy)
        return;
    pthread_mutex_lock(&store.lock);
    struct entry *e = find_locked(key, true);
    if (e && !e->journal)
        e->journal = calloc(JOURNAL_MAX, sizeof *e->journal);
    if (e && e->journal) {
        if (e->journal_count == JOURNAL_MAX) { /* full: the oldest record goes */
            size_t gone = strlen(e->journal[e->journal_first]);
            e->journal_bytes -= gone;
            store.journal_bytes -= gone;
            free(e->journal[e->journal_first]);
            e->journal_first = (e->journal_first + 1) % JOURNAL_MAX;
            e->journal_count--;
        }
        e->journal[(e->journal_first + e->journal_count) % JOURNAL_MAX] = copy;
        e->journal_count++;
        e->journal_bytes += strlen(copy);
        store.journal_bytes += strlen(copy);
        copy = NULL;
        /* Over budget: the least recently used keys go, as for --max-keys. This one was just
         * used, so it stays unless it alone is over the budget. */
        if (store.journal_bytes > JOURNAL_BUDGET && store.oldest != e)
            evict_locked(now_ms());
    }
    pthread_mutex_unlock(&store.lock);
    free(copy);
}

static enum state_result memory_journal_visit(const char *key, state_record_visitor visit,
                                              void *cls, struct state_error *error)
{
    (void)error;
    pthread_mutex_lock(&store.lock);
    struct entry *e = find_locked(key, false);
    for (size_t i = 0; e && e->journal && i < e->journal_count; i++) {
        const char *record = e->journal[(e->journal_first + i) % JOURNAL_MAX];
        visit(cls, record, strlen(record));
    }
    pthread_mutex_unlock(&store.lock);
    return STATE_OK;
}

static bool memory_ready(struct state_error *error)
{
    (void)error;
    return true;
}

static void memory_close(void)
{
    pthread_mutex_lock(&store.lock);
    while (store.oldest)
        remove_locked(store.oldest);
    free(store.buckets);
    store.buckets = NULL;
    pthread_mutex_unlock(&store.lock);
}

static const struct state_store memory_store = {
    .name = "in-process",
    .step = memory_step,
    .count_in_window = memory_count_in_window,
    .forget = memory_forget,
    .journal_append = memory_journal_append,
    .journal_visit = memory_journal_visit,
    .ready = memory_ready,
    .close = memory_close,
};

/* --- the interface: each call goes to the store that runs ---------------------------------- */

static const struct state_store *active = &memory_store;

void state_error_set(struct state_error *error, const char *store_name, const char *reason)
{
    snprintf(error->text, sizeof error->text, "%s: %s", store_name, reason);
}

bool state_open(const struct config *config, struct state_error *error)
{
    active = &memory_store;
    struct redis_address address;
    if (!config->state_url || strcmp(config->state_url, "memory") == 0) {
        if (memory_open(config->max_keys, config->state_ttl_ms))
            return true;
        state_error_set(error, memory_store.name, "out of memory");
        return false;
    }
    if (!redis_url_parse(config->state_url, &address)) { /* config_parse checked it */
        state_error_set(error, "--state", "not a redis:// or unix: address");
        return false;
    }
    const struct state_store *redis = state_redis_open(&address, config, error);
    if (!redis)
        return false;
    active = redis;
    return true;
}

void state_close(void)
{
    if (active != &memory_store)
        active->close();
    memory_close();
    active = &memory_store;
}

/* Keys are built by the handlers from bounded parts; this is the last check before a store
 * (and Redis) sees one. */
static bool key_acceptable(const char *key, struct state_error *error)
{
    if (strlen(key) <= STATE_KEY_MAX)
        return true;
    state_error_set(error, active->name, "key too long");
    return false;
}

enum state_result state_step(const char *key, uint64_t *step, struct state_error *error)
{
    if (!key_acceptable(key, error))
        return STATE_UNAVAILABLE;
    return active->step(key, step, error);
}

enum state_result state_count_in_window(const char *key, uint64_t window_ms,
                                        struct state_window *window, struct state_error *error)
{
    if (!key_acceptable(key, error))
        return STATE_UNAVAILABLE;
    return active->count_in_window(key, window_ms, window, error);
}

enum state_result state_forget(const char *key, struct state_error *error)
{
    if (!key_acceptable(key, error))
        return STATE_UNAVAILABLE;
    return active->forget(key, error);
}

/* A client key's journal is kept under its own kind, like every other key. */
static const char *journal_key(const char *client_key, char *out, size_t size)
{
    int n = snprintf(out, size, "journal:%s", client_key);
    return n >= 0 && (size_t)n < size ? out : NULL;
}

void state_journal_append(const char *client_key, const char *record_json)
{
    char key[STATE_KEY_MAX + 1];
    if (journal_key(client_key, key, sizeof key))
        active->journal_append(key, record_json);
}

static void append_record(void *cls, const char *record, size_t length)
{
    struct strbuf *out = cls;
    strbuf_append(out, out->length > 1 ? ",\n" : "\n");
    strbuf_append_bytes(out, record, length);
}

enum state_result state_journal_json(const char *client_key, char **json, size_t *length,
                                     struct state_error *error)
{
    char key[STATE_KEY_MAX + 1];
    if (!journal_key(client_key, key, sizeof key)) {
        state_error_set(error, active->name, "key too long");
        return STATE_UNAVAILABLE;
    }
    struct strbuf out = { 0 };
    strbuf_append(&out, "[");
    enum state_result result = active->journal_visit(key, append_record, &out, error);
    strbuf_append(&out, "\n]\n");
    if (result == STATE_OK && strbuf_failed(&out)) {
        state_error_set(error, active->name, "out of memory");
        result = STATE_UNAVAILABLE;
    }
    if (result != STATE_OK) {
        strbuf_free(&out);
        return result;
    }
    *json = strbuf_take(&out, length);
    return STATE_OK;
}

bool state_ready(struct state_error *error)
{
    return active->ready(error);
}

const char *state_store_name(void)
{
    return active->name;
}
