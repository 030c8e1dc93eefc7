#include "state.h"

#include "hash.h"

#include "strbuf.h"
#include "timer.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

bool state_init(size_t max_keys, uint64_t ttl_ms)
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

bool state_update(const char *key, void (*update)(struct state_counters *, void *), void *arg)
{
    pthread_mutex_lock(&store.lock);
    struct entry *e = find_locked(key, true);
    if (e)
        update(&e->counters, arg);
    pthread_mutex_unlock(&store.lock);
    return e != NULL;
}

void state_forget(const char *key)
{
    pthread_mutex_lock(&store.lock);
    struct entry *e = find_locked(key, false);
    if (e)
        remove_locked(e);
    pthread_mutex_unlock(&store.lock);
}

/* Journal keys live in the same store under their own prefix, so they are bounded and
 * expire like every other key. */
static void journal_key(const char *client_key, char *out, size_t size)
{
    snprintf(out, size, "journal\x1f%s", client_key);
}

void state_journal_append(const char *client_key, const char *record_json)
{
    char key[600];
    journal_key(client_key, key, sizeof key);
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

char *state_journal_json(const char *client_key, size_t *length)
{
    char key[600];
    journal_key(client_key, key, sizeof key);
    struct strbuf out = { 0 };
    strbuf_append(&out, "[");
    pthread_mutex_lock(&store.lock);
    struct entry *e = find_locked(key, false);
    for (size_t i = 0; e && e->journal && i < e->journal_count; i++) {
        strbuf_append(&out, i ? ",\n" : "\n");
        strbuf_append(&out, e->journal[(e->journal_first + i) % JOURNAL_MAX]);
    }
    pthread_mutex_unlock(&store.lock);
    strbuf_append(&out, "\n]\n");
    return strbuf_take(&out, length);
}

void state_free(void)
{
    pthread_mutex_lock(&store.lock);
    while (store.oldest)
        remove_locked(store.oldest);
    free(store.buckets);
    store.buckets = NULL;
    pthread_mutex_unlock(&store.lock);
}
