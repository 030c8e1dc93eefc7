#include "timer.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#define TICK_US 250000

struct wake {
    uint64_t deadline;
    struct MHD_Connection *connection;
};

/* Why resumes are handed over in batches. libmicrohttpd 0.9.75 resumes a connection by flagging
 * it and writing to its thread's wake-up descriptor; the woken thread then walks its whole list
 * of suspended connections (docs/libmicrohttpd.md §4). When this thread resumed 10,000 due
 * connections one by one, the libmicrohttpd thread woke up and walked the list for each few of
 * them, and on a shared core the two threads switched about 7,000 times in one release
 * (bench/README.md, "What decides the delay lag"). So the waits are kept per libmicrohttpd
 * thread (a "lane": the thread that suspended the connection is the one that serves it), and
 * when waits of a lane are due this thread resumes only one of them, the leader. The leader's
 * callback runs on the lane's own thread and calls timer_release_due(), which resumes every
 * other due wait of that lane from there: all are flagged before that thread looks at its list
 * again, so it walks it once per batch. A leader whose client reset the connection is closed by
 * libmicrohttpd without a callback on it; the closing connection calls timer_release_due()
 * instead (server.c). As a last resort, a lane whose leader has not come back after
 * LEADER_PATIENCE_US is released by this thread itself, one by one. */
#define MAX_LANES 64
#define DIRECT_LANE MAX_LANES /* threads beyond MAX_LANES: resumed one by one, as before */
#define LEADER_PATIENCE_US 500000
/* While a lane's leader is out, this thread looks at the lane again this often (the leader's
 * thread, busy answering, resumes what falls due meanwhile by itself): a wake-up of this thread
 * is a context switch on a shared core, and per wait that was the cost this design removes. */
#define LEADER_POLL_US 2000
#define RELEASE_BATCH 256

struct lane {
    struct wake *heap; /* min-heap on deadline */
    size_t count, capacity;
    /* When this lane's leader was resumed, 0 if none is out. Written under the lock; atomic
     * so that timer_release_due() can look without it. */
    _Atomic uint64_t leader_sent_us;
    /* The earliest deadline, 0 when empty: written under the lock, read without it. */
    _Atomic uint64_t earliest_us;
};

static struct {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    pthread_t thread;
    bool running;
    bool expire_all;
    struct lane lanes[MAX_LANES + 1];
    size_t lane_count; /* lanes handed out so far, at most MAX_LANES */
    size_t waiting;    /* waits in every lane */
    /* Plain calls at a deadline (timer_call_at: HTTP/2's delays and paced bodies), apart
     * from the lanes: they resume no libmicrohttpd connection, so nothing to batch. */
    struct call *calls; /* min-heap on deadline */
    size_t call_count, call_capacity;
    void (*tick)(void);
} timer = { .lock = PTHREAD_MUTEX_INITIALIZER };

struct call {
    uint64_t deadline;
    void (*call)(void *argument);
    void *argument;
};

static void call_swap(size_t a, size_t b)
{
    struct call c = timer.calls[a];
    timer.calls[a] = timer.calls[b];
    timer.calls[b] = c;
}

static void call_push(struct call c)
{
    size_t i = timer.call_count++;
    timer.calls[i] = c;
    while (i > 0 && timer.calls[(i - 1) / 2].deadline > timer.calls[i].deadline) {
        call_swap(i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}

static struct call call_pop(void)
{
    struct call top = timer.calls[0];
    timer.calls[0] = timer.calls[--timer.call_count];
    for (size_t i = 0;;) {
        size_t smallest = i, left = 2 * i + 1, right = 2 * i + 2;
        if (left < timer.call_count && timer.calls[left].deadline < timer.calls[smallest].deadline)
            smallest = left;
        if (right < timer.call_count &&
            timer.calls[right].deadline < timer.calls[smallest].deadline)
            smallest = right;
        if (smallest == i)
            break;
        call_swap(i, smallest);
        i = smallest;
    }
    return top;
}

/* The calling thread's lane, given out on its first wait. */
static _Thread_local struct lane *my_lane;

uint64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

static void heap_swap(struct lane *l, size_t a, size_t b)
{
    struct wake w = l->heap[a];
    l->heap[a] = l->heap[b];
    l->heap[b] = w;
}

static void heap_push(struct lane *l, struct wake w)
{
    size_t i = l->count++;
    l->heap[i] = w;
    while (i > 0 && l->heap[(i - 1) / 2].deadline > l->heap[i].deadline) {
        heap_swap(l, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
    atomic_store_explicit(&l->earliest_us, l->heap[0].deadline, memory_order_relaxed);
}

static struct wake heap_pop(struct lane *l)
{
    struct wake top = l->heap[0];
    l->heap[0] = l->heap[--l->count];
    for (size_t i = 0;;) {
        size_t smallest = i, left = 2 * i + 1, right = 2 * i + 2;
        if (left < l->count && l->heap[left].deadline < l->heap[smallest].deadline)
            smallest = left;
        if (right < l->count && l->heap[right].deadline < l->heap[smallest].deadline)
            smallest = right;
        if (smallest == i)
            break;
        heap_swap(l, i, smallest);
        i = smallest;
    }
    timer.waiting--;
    atomic_store_explicit(&l->earliest_us, l->count ? l->heap[0].deadline : 0,
                          memory_order_relaxed);
    return top;
}

static bool lane_due(const struct lane *l, uint64_t now)
{
    return l->count && (timer.expire_all || l->heap[0].deadline <= now);
}

/* Resumes up to RELEASE_BATCH due waits of lane; called with the lock held, returns with it
 * held, resumes outside it (MHD_resume_connection takes libmicrohttpd's own lock). Returns how
 * many it resumed. */
static size_t release_batch(struct lane *l, uint64_t now)
{
    struct MHD_Connection *batch[RELEASE_BATCH];
    size_t n = 0;
    while (n < RELEASE_BATCH && lane_due(l, now))
        batch[n++] = heap_pop(l).connection;
    pthread_mutex_unlock(&timer.lock);
    for (size_t i = 0; i < n; i++)
        MHD_resume_connection(batch[i]);
    pthread_mutex_lock(&timer.lock);
    return n;
}

static struct timespec deadline_to_timespec(uint64_t deadline_us)
{
    return (struct timespec){ .tv_sec = (time_t)(deadline_us / 1000000),
                              .tv_nsec = (long)(deadline_us % 1000000) * 1000 };
}

static void *timer_main(void *unused)
{
    (void)unused;
    uint64_t next_tick = now_us() + TICK_US;
    pthread_mutex_lock(&timer.lock);
    while (timer.running || timer.waiting || timer.call_count) {
        uint64_t now = now_us();
        uint64_t wake_at = next_tick;
        /* Calls run outside the lock: they may schedule the next one (a paced body). */
        while (timer.call_count && (timer.expire_all || timer.calls[0].deadline <= now)) {
            struct call c = call_pop();
            pthread_mutex_unlock(&timer.lock);
            c.call(c.argument);
            pthread_mutex_lock(&timer.lock);
        }
        if (timer.call_count && timer.calls[0].deadline < wake_at)
            wake_at = timer.calls[0].deadline;
        for (size_t i = 0; i <= MAX_LANES; i++) {
            struct lane *l = &timer.lanes[i];
            if (!lane_due(l, now)) {
                if (l->count && l->heap[0].deadline < wake_at)
                    wake_at = l->heap[0].deadline;
                continue;
            }
            bool leader_late = l->leader_sent_us && now - l->leader_sent_us >= LEADER_PATIENCE_US;
            if (timer.expire_all || i == DIRECT_LANE || leader_late) {
                while (release_batch(l, now))
                    ;
                l->leader_sent_us = 0;
            } else if (!l->leader_sent_us) {
                struct MHD_Connection *leader = heap_pop(l).connection;
                l->leader_sent_us = now;
                pthread_mutex_unlock(&timer.lock);
                MHD_resume_connection(leader);
                pthread_mutex_lock(&timer.lock);
            }
            /* Still due: look again soon (the leader's thread may take them meanwhile). */
            if (lane_due(l, now) && now + LEADER_POLL_US < wake_at)
                wake_at = now + LEADER_POLL_US;
        }
        if (now >= next_tick) {
            next_tick = now + TICK_US;
            if (timer.tick) {
                pthread_mutex_unlock(&timer.lock);
                timer.tick();
                pthread_mutex_lock(&timer.lock);
            }
        }
        if (!timer.running && !timer.waiting && !timer.call_count)
            break;
        if (wake_at <= now_us())
            continue;
        struct timespec until = deadline_to_timespec(wake_at);
        pthread_cond_timedwait(&timer.changed, &timer.lock, &until);
    }
    pthread_mutex_unlock(&timer.lock);
    return NULL;
}

bool timer_start(void (*tick)(void))
{
    pthread_condattr_t attributes;
    pthread_condattr_init(&attributes);
    pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC);
    pthread_cond_init(&timer.changed, &attributes);
    pthread_condattr_destroy(&attributes);
    timer.tick = tick;
    timer.running = true;
    if (pthread_create(&timer.thread, NULL, timer_main, NULL) != 0) {
        timer.running = false;
        return false;
    }
    return true;
}

void timer_stop(void)
{
    pthread_mutex_lock(&timer.lock);
    bool was_running = timer.running;
    timer.running = false;
    timer.expire_all = true;
    pthread_cond_signal(&timer.changed);
    pthread_mutex_unlock(&timer.lock);
    if (was_running)
        pthread_join(timer.thread, NULL);
    for (size_t i = 0; i <= MAX_LANES; i++) {
        free(timer.lanes[i].heap);
        timer.lanes[i].heap = NULL;
        timer.lanes[i].count = timer.lanes[i].capacity = 0;
        timer.lanes[i].leader_sent_us = timer.lanes[i].earliest_us = 0;
    }
    timer.lane_count = timer.waiting = 0;
    free(timer.calls);
    timer.calls = NULL;
    timer.call_count = timer.call_capacity = 0;
}

bool timer_call_at(uint64_t deadline_us, void (*call)(void *argument), void *argument)
{
    pthread_mutex_lock(&timer.lock);
    if (timer.call_count == timer.call_capacity) {
        size_t capacity = timer.call_capacity ? timer.call_capacity * 2 : 1024;
        struct call *grown = realloc(timer.calls, capacity * sizeof *grown);
        if (!grown) {
            pthread_mutex_unlock(&timer.lock);
            return false;
        }
        timer.calls = grown;
        timer.call_capacity = capacity;
    }
    call_push((struct call){ deadline_us, call, argument });
    /* Only a new earliest deadline needs the thread to recompute its sleep. */
    if (timer.calls[0].argument == argument && timer.calls[0].call == call)
        pthread_cond_signal(&timer.changed);
    pthread_mutex_unlock(&timer.lock);
    return true;
}

bool timer_resume_at(struct MHD_Connection *connection, uint64_t deadline_us)
{
    pthread_mutex_lock(&timer.lock);
    if (!my_lane)
        my_lane = timer.lane_count < MAX_LANES ? &timer.lanes[timer.lane_count++]
                                               : &timer.lanes[DIRECT_LANE];
    struct lane *l = my_lane;
    if (l->count == l->capacity) {
        size_t capacity = l->capacity ? l->capacity * 2 : 1024;
        struct wake *grown = realloc(l->heap, capacity * sizeof *grown);
        if (!grown) {
            pthread_mutex_unlock(&timer.lock);
            return false;
        }
        l->heap = grown;
        l->capacity = capacity;
    }
    heap_push(l, (struct wake){ deadline_us, connection });
    timer.waiting++;
    /* Only a new earliest deadline of its lane needs the thread to recompute its sleep. */
    if (l->heap[0].connection == connection)
        pthread_cond_signal(&timer.changed);
    pthread_mutex_unlock(&timer.lock);
    return true;
}

void timer_release_due(void)
{
    /* Nothing to do unless this thread's lane has a leader out or a wait due: cheap enough
     * for every resumed request and every closed connection. */
    if (!my_lane)
        return; /* this thread never suspended anything */
    uint64_t earliest = atomic_load_explicit(&my_lane->earliest_us, memory_order_relaxed);
    if (!atomic_load_explicit(&my_lane->leader_sent_us, memory_order_relaxed) &&
        !(earliest && earliest <= now_us()))
        return;
    pthread_mutex_lock(&timer.lock);
    uint64_t now = now_us();
    while (release_batch(my_lane, now))
        ;
    /* No signal to the timer thread: it looks again within LEADER_POLL_US, and waking it
     * here would cost the very switch this avoids. */
    my_lane->leader_sent_us = 0;
    pthread_mutex_unlock(&timer.lock);
}

void timer_expire_all(void)
{
    pthread_mutex_lock(&timer.lock);
    timer.expire_all = true;
    pthread_cond_signal(&timer.changed);
    pthread_mutex_unlock(&timer.lock);
}

uint64_t now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000 + (uint64_t)t.tv_nsec / 1000;
}

bool timer_shutting_down(void)
{
    pthread_mutex_lock(&timer.lock);
    bool expiring = timer.expire_all;
    pthread_mutex_unlock(&timer.lock);
    return expiring;
}
