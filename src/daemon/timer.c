#include "timer.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#define TICK_US 250000

struct wake {
    uint64_t deadline;
    void (*call)(void *argument);
    void *argument;
};

static struct {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    pthread_t thread;
    bool running;
    bool expire_all;
    struct wake *heap; /* min-heap on deadline */
    size_t count, capacity;
    void (*tick)(void);
} timer = { .lock = PTHREAD_MUTEX_INITIALIZER };

uint64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

static void heap_swap(size_t a, size_t b)
{
    struct wake w = timer.heap[a];
    timer.heap[a] = timer.heap[b];
    timer.heap[b] = w;
}

static void heap_push(struct wake w)
{
    size_t i = timer.count++;
    timer.heap[i] = w;
    while (i > 0 && timer.heap[(i - 1) / 2].deadline > timer.heap[i].deadline) {
        heap_swap(i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}

static struct wake heap_pop(void)
{
    struct wake top = timer.heap[0];
    timer.heap[0] = timer.heap[--timer.count];
    for (size_t i = 0;;) {
        size_t smallest = i, left = 2 * i + 1, right = 2 * i + 2;
        if (left < timer.count && timer.heap[left].deadline < timer.heap[smallest].deadline)
            smallest = left;
        if (right < timer.count && timer.heap[right].deadline < timer.heap[smallest].deadline)
            smallest = right;
        if (smallest == i)
            break;
        heap_swap(i, smallest);
        i = smallest;
    }
    return top;
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
    while (timer.running || timer.count) {
        uint64_t now = now_us();
        /* Resume outside the lock: MHD_resume_connection takes MHD's own locks. */
        while (timer.count && (timer.expire_all || timer.heap[0].deadline <= now)) {
            struct wake w = heap_pop();
            pthread_mutex_unlock(&timer.lock);
            w.call(w.argument);
            pthread_mutex_lock(&timer.lock);
        }
        if (now >= next_tick) {
            next_tick = now + TICK_US;
            if (timer.tick) {
                pthread_mutex_unlock(&timer.lock);
                timer.tick();
                pthread_mutex_lock(&timer.lock);
            }
        }
        if (!timer.running && !timer.count)
            break;
        uint64_t wake_at = next_tick;
        if (timer.count && timer.heap[0].deadline < wake_at)
            wake_at = timer.heap[0].deadline;
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
    free(timer.heap);
    timer.heap = NULL;
    timer.count = timer.capacity = 0;
}

static void resume_connection(void *connection)
{
    MHD_resume_connection(connection);
}

bool timer_resume_at(struct MHD_Connection *connection, uint64_t deadline_us)
{
    return timer_call_at(deadline_us, resume_connection, connection);
}

bool timer_call_at(uint64_t deadline_us, void (*call)(void *argument), void *argument)
{
    pthread_mutex_lock(&timer.lock);
    if (timer.count == timer.capacity) {
        size_t capacity = timer.capacity ? timer.capacity * 2 : 1024;
        struct wake *grown = realloc(timer.heap, capacity * sizeof *grown);
        if (!grown) {
            pthread_mutex_unlock(&timer.lock);
            return false;
        }
        timer.heap = grown;
        timer.capacity = capacity;
    }
    heap_push((struct wake){ deadline_us, call, argument });
    /* Only a new earliest deadline needs the thread to recompute its sleep. */
    if (timer.heap[0].argument == argument && timer.heap[0].call == call)
        pthread_cond_signal(&timer.changed);
    pthread_mutex_unlock(&timer.lock);
    return true;
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
