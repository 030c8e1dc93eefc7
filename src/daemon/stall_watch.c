#include "stall_watch.h"

#include "render.h"
#include "timer.h"
#include "wire.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

static struct {
    pthread_mutex_t lock;
    struct stall_entry *head;
    uint64_t timeout_ms;
    char *body; /* the explanation of 408, rendered once */
    size_t body_length;
    bool tls; /* close stalled requests without a 408 (stall_watch.h) */
} watch = { .lock = PTHREAD_MUTEX_INITIALIZER };

bool stall_watch_init(unsigned timeout_s)
{
    watch.timeout_ms = (uint64_t)timeout_s * 1000;
    struct reply reply;
    reply_error(&reply, NULL, 408,
                "The request did not arrive in full within the server's --timeout; the "
                "connection is closed.",
                "请求未能在服务器的 --timeout 时间内完整到达；连接已关闭。");
    struct strbuf out = { 0 };
    render_explanation(&out, FORMAT_TEXT, LANGUAGES_ZH_EN, &reply);
    watch.body = strbuf_take(&out, &watch.body_length);
    return watch.body != NULL;
}

void stall_watch_free(void)
{
    free(watch.body);
    watch.body = NULL;
}

void stall_watch_use_tls(bool tls)
{
    pthread_mutex_lock(&watch.lock); /* the timer thread may already be ticking */
    watch.tls = tls;
    pthread_mutex_unlock(&watch.lock);
}

void stall_watch_add(struct stall_entry *entry, struct MHD_Connection *connection)
{
    entry->connection = connection;
    entry->last_progress_ms = now_ms();
    entry->answered = false;
    entry->body_sent = 0;
    pthread_mutex_lock(&watch.lock);
    entry->previous = NULL;
    entry->next = watch.head;
    if (watch.head)
        watch.head->previous = entry;
    watch.head = entry;
    entry->watched = true;
    pthread_mutex_unlock(&watch.lock);
}

void stall_watch_progress(struct stall_entry *entry)
{
    pthread_mutex_lock(&watch.lock);
    entry->last_progress_ms = now_ms();
    pthread_mutex_unlock(&watch.lock);
}

static void unlink_locked(struct stall_entry *entry)
{
    if (entry->previous)
        entry->previous->next = entry->next;
    else
        watch.head = entry->next;
    if (entry->next)
        entry->next->previous = entry->previous;
    entry->watched = false;
}

bool stall_watch_remove(struct stall_entry *entry)
{
    pthread_mutex_lock(&watch.lock);
    if (entry->watched)
        unlink_locked(entry);
    bool answered = entry->answered;
    pthread_mutex_unlock(&watch.lock);
    return !answered;
}

/* Best effort, never blocking: a client that stalls on sending may not read either. */
static void send_408(struct stall_entry *entry)
{
    struct wire_target target;
    if (!wire_target_of(entry->connection, false, &target))
        return;
    if (watch.tls) {
        /* Plaintext would corrupt the TLS stream and the session is not ours to use from
         * this thread (stall_watch.h); the client sees the connection close. */
        shutdown(target.fd, SHUT_RDWR);
        return;
    }
    struct strbuf head = { 0 };
    wire_final_head(&head, 408, "text/plain; charset=utf-8", watch.body_length);
    if (!strbuf_failed(&head) &&
        send(target.fd, head.data, head.length, MSG_NOSIGNAL | MSG_DONTWAIT) ==
            (ssize_t)head.length) {
        ssize_t sent = send(target.fd, watch.body, watch.body_length, MSG_NOSIGNAL | MSG_DONTWAIT);
        entry->body_sent = sent > 0 ? (uint64_t)sent : 0;
    }
    strbuf_free(&head);
    /* libmicrohttpd sees the end of the stream on its next read and closes the connection. */
    shutdown(target.fd, SHUT_RDWR);
}

void stall_watch_tick(void)
{
    if (!watch.timeout_ms)
        return;
    uint64_t now = now_ms();
    pthread_mutex_lock(&watch.lock);
    /* O(n) over requests in progress; idle keep-alive connections are not in the list, and
     * a tick is a few times a second, so this stays far below the cost of serving them. */
    for (struct stall_entry *e = watch.head, *next; e; e = next) {
        next = e->next;
        if (now - e->last_progress_ms < watch.timeout_ms)
            continue;
        unlink_locked(e);
        e->answered = true;
        send_408(e);
    }
    pthread_mutex_unlock(&watch.lock);
}
