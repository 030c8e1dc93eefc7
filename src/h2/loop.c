/* The HTTP/2 transport's thread: accepts connections, decides who serves each one, runs the
 * HTTP/2 sessions and carries out the answers other threads post. One thread and one epoll
 * set for everything; what that costs and how it would scale is in docs/http2.md. */
#include "h2_internal.h"

#include "client_hello.h"
#include "listen.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

struct h2_server h2_server = { .epoll_fd = -1, .listen_fd = -1, .wake_fd = -1 };

/* A new connection whose first bytes have not said yet what it speaks. */
struct pending {
    enum h2_kind kind; /* H2_KIND_PENDING, first */
    int fd;
    struct sockaddr_storage client;
    socklen_t client_length;
    uint64_t deadline_ms;
    bool registered;   /* in the epoll set and the list, waiting for its first bytes */
    struct pending *previous, *next;
};

static struct pending *pendings;
static enum h2_kind listener_tag = H2_KIND_LISTENER, wake_tag = H2_KIND_WAKE;
/* One peek buffer for every classification: only the loop thread peeks. */
static uint8_t peeked[CLIENT_HELLO_MAX_BYTES];

/* Timers are checked on this beat: timeouts are seconds, so a coarse sweep over every
 * connection is cheaper than a timer per connection (docs/http2.md). */
#define SWEEP_INTERVAL_MS 250
/* Accepts per wake-up, so a burst of new clients cannot starve the ones being served. */
#define ACCEPTS_PER_TURN 64

uint64_t h2_now_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000;
}

/* Set on the loop thread only: answers made there are carried out at once. */
static _Thread_local bool on_loop_thread;

bool h2_on_loop_thread(void)
{
    return on_loop_thread;
}

/* --- the listening socket ------------------------------------------------------------ */

static bool make_non_blocking(int fd)
{
    int flags = fcntl(fd, F_GETFL);
    return flags >= 0 && fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0;
}

int h2_listen_socket(const struct listener *listener)
{
    if (listener->inherited_fd >= 0) {
        /* systemd's socket is bound and listening already (listen.c checked it). */
        if (!make_non_blocking(listener->inherited_fd)) {
            fprintf(stderr, "statusd: LISTEN_FDS: fd %d: %s\n", listener->inherited_fd,
                    strerror(errno));
            return -1;
        }
        return listener->inherited_fd;
    }
    const struct sockaddr *address = (const struct sockaddr *)&listener->address;
    socklen_t length = address->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                      : sizeof(struct sockaddr_in);
    int fd = socket(address->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        fprintf(stderr, "statusd: cannot create a socket: %s\n", strerror(errno));
        return -1;
    }
    int yes = 1;
    /* "::" serves IPv4 too (MHD_USE_DUAL_STACK in listen.c); a specific IPv6 address only
     * IPv6, whatever the system default (net.ipv6.bindv6only) says. */
    int v6_only = (listener->mhd_flags & MHD_USE_DUAL_STACK) ? 0 : 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes) != 0 ||
        (address->sa_family == AF_INET6 &&
         setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6_only, sizeof v6_only) != 0) ||
        bind(fd, address, length) != 0 || listen(fd, SOMAXCONN) != 0) {
        fprintf(stderr, "statusd: cannot listen on %s: %s\n", listener->host_text,
                strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

uint16_t h2_bound_port(void)
{
    struct sockaddr_storage address;
    socklen_t length = sizeof address;
    if (h2_server.listen_fd < 0 ||
        getsockname(h2_server.listen_fd, (struct sockaddr *)&address, &length) != 0)
        return 0;
    if (address.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&address)->sin6_port);
    return ntohs(((struct sockaddr_in *)&address)->sin_port);
}

/* --- new connections ----------------------------------------------------------------- */

static void pending_unlink(struct pending *pending)
{
    if (!pending->registered)
        return; /* decided at accept: never waited for bytes */
    if (pending->previous)
        pending->previous->next = pending->next;
    else
        pendings = pending->next;
    if (pending->next)
        pending->next->previous = pending->previous;
    epoll_ctl(h2_server.epoll_fd, EPOLL_CTL_DEL, pending->fd, NULL);
}

static void pending_close(struct pending *pending)
{
    pending_unlink(pending);
    close(pending->fd);
    free(pending);
}

/* HTTP/1.1, or anything we do not recognise: libmicrohttpd gets the connection with every
 * byte still unread, and does its own TLS handshake as if it had accepted it. */
static void hand_to_mhd(struct pending *pending)
{
    pending_unlink(pending);
    /* It closes the socket itself when it cannot take it (at its connection limit). */
    MHD_add_connection(h2_server.daemon, pending->fd, (const struct sockaddr *)&pending->client,
                       pending->client_length);
    free(pending);
}

static void hand_to_h2(struct pending *pending)
{
    pending_unlink(pending);
    unsigned limit = h2_server.options.max_connections;
    if (limit && h2_server.session_count >= limit) {
        /* At the limit: closed at once, as libmicrohttpd's accept policy does for HTTP/1.1,
         * so the client learns it within milliseconds instead of waiting. */
        close(pending->fd);
        free(pending);
        return;
    }
    h2_session_open(pending->fd, (const struct sockaddr *)&pending->client,
                    pending->client_length);
    free(pending);
}

/* Peeks at what arrived so far and decides, or waits for more (the socket is registered
 * edge-triggered, so each new arrival wakes us once, not on every turn). False while it
 * waits. */
static bool classify(struct pending *pending)
{
    ssize_t got = recv(pending->fd, peeked, sizeof peeked, MSG_PEEK);
    if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR)) {
        pending_close(pending); /* gone before saying anything */
        return true;
    }
    if (got < 0)
        return false;
    enum client_hello_result result =
        h2_server.credentials ? client_hello_classify(peeked, (size_t)got)
                              : client_hello_classify_plain(peeked, (size_t)got);
    switch (result) {
    case CLIENT_HELLO_H2:
        hand_to_h2(pending);
        break;
    case CLIENT_HELLO_NOT_H2:
    case CLIENT_HELLO_NOT_TLS:
        hand_to_mhd(pending);
        break;
    case CLIENT_HELLO_NEED_MORE:
        return false;
    }
    return true;
}

static void accept_connections(void)
{
    for (int i = 0; i < ACCEPTS_PER_TURN; i++) {
        struct pending *pending = calloc(1, sizeof *pending);
        if (!pending)
            return;
        pending->kind = H2_KIND_PENDING;
        pending->client_length = sizeof pending->client;
        pending->fd = accept4(h2_server.listen_fd, (struct sockaddr *)&pending->client,
                              &pending->client_length, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (pending->fd < 0) {
            int error = errno;
            free(pending);
            if (error == EMFILE || error == ENFILE)
                fprintf(stderr, "statusd: cannot accept: %s (raise ulimit -n)\n",
                        strerror(error));
            return; /* EAGAIN: all taken; anything else: the client is gone already */
        }
        /* Clients speak first, usually in the same round trip as the handshake: the bytes
         * are mostly here already, and then the connection is handed on without ever
         * entering the epoll set (two epoll_ctl calls saved per connection). */
        if (classify(pending))
            continue;
        pending->deadline_ms = h2_now_ms() + 1000ull * h2_server.options.preface_timeout_s;
        struct epoll_event event = { .events = EPOLLIN | EPOLLRDHUP | EPOLLET,
                                     .data.ptr = pending };
        /* Registered after the peek: adding a socket that became readable meanwhile
         * reports it at once, so no arrival is missed. */
        if (epoll_ctl(h2_server.epoll_fd, EPOLL_CTL_ADD, pending->fd, &event) != 0) {
            close(pending->fd);
            free(pending);
            continue;
        }
        pending->registered = true;
        pending->next = pendings;
        if (pendings)
            pendings->previous = pending;
        pendings = pending;
    }
}

static void sweep_pendings(uint64_t now)
{
    struct pending *next;
    for (struct pending *pending = pendings; pending; pending = next) {
        next = pending->next;
        if (now >= pending->deadline_ms)
            pending_close(pending); /* silent for too long: neither HTTP/1.1 nor HTTP/2 */
    }
}

/* --- answers from other threads ------------------------------------------------------ */

void h2_post(struct h2_command *command)
{
    if (h2_on_loop_thread()) {
        h2_command_run(command);
        return;
    }
    pthread_mutex_lock(&h2_server.queue_lock);
    bool closed = h2_server.queue_closed;
    if (!closed) {
        command->next = NULL;
        if (h2_server.queue_tail)
            h2_server.queue_tail->next = command;
        else
            h2_server.queue_head = command;
        h2_server.queue_tail = command;
    }
    pthread_mutex_unlock(&h2_server.queue_lock);
    if (closed) {
        /* The loop has ended: every stream is gone, so this only releases. */
        h2_command_discard(command);
        return;
    }
    uint64_t one = 1;
    if (write(h2_server.wake_fd, &one, sizeof one) < 0 && errno != EAGAIN)
        perror("statusd: h2 wake-up");
}

static void run_posted(bool discard)
{
    uint64_t count;
    if (read(h2_server.wake_fd, &count, sizeof count) < 0 && errno != EAGAIN)
        perror("statusd: h2 wake-up");
    pthread_mutex_lock(&h2_server.queue_lock);
    struct h2_command *command = h2_server.queue_head;
    h2_server.queue_head = h2_server.queue_tail = NULL;
    pthread_mutex_unlock(&h2_server.queue_lock);
    while (command) {
        struct h2_command *next = command->next;
        if (discard)
            h2_command_discard(command);
        else
            h2_command_run(command);
        command = next;
    }
}

/* --- the loop ------------------------------------------------------------------------ */

static void stop_listening(void)
{
    if (h2_server.listen_fd < 0)
        return;
    epoll_ctl(h2_server.epoll_fd, EPOLL_CTL_DEL, h2_server.listen_fd, NULL);
    /* Under systemd, systemd keeps its own copy listening for the next start. */
    close(h2_server.listen_fd);
    h2_server.listen_fd = -1;
    while (pendings)
        pending_close(pendings);
    h2_session_goaway_all();
}

static void *loop_main(void *unused)
{
    (void)unused;
    on_loop_thread = true;
    struct epoll_event events[64];
    uint64_t next_sweep = h2_now_ms() + SWEEP_INTERVAL_MS;
    uint64_t drain_deadline = 0;
    for (;;) {
        if (atomic_load(&h2_server.stop_requested) && drain_deadline == 0) {
            stop_listening();
            drain_deadline = h2_now_ms() + h2_server.drain_ms + 1;
        }
        if (drain_deadline && (h2_server.session_count == 0 || h2_now_ms() >= drain_deadline))
            break;
        int timeout = h2_server.work ? 0 : SWEEP_INTERVAL_MS;
        int count = epoll_wait(h2_server.epoll_fd, events, 64, timeout);
        if (count < 0 && errno != EINTR) {
            perror("statusd: h2 epoll_wait");
            break;
        }
        for (int i = 0; i < count; i++) {
            enum h2_kind *kind = events[i].data.ptr;
            switch (*kind) {
            case H2_KIND_LISTENER:
                accept_connections();
                break;
            case H2_KIND_WAKE:
                run_posted(false);
                break;
            case H2_KIND_PENDING:
                classify((struct pending *)kind);
                break;
            case H2_KIND_SESSION:
                h2_session_on_event((struct h2_session *)kind, events[i].events);
                break;
            }
        }
        h2_session_run_work();
        uint64_t now = h2_now_ms();
        if (now >= next_sweep) {
            sweep_pendings(now);
            h2_session_sweep(now);
            next_sweep = now + SWEEP_INTERVAL_MS;
        }
        h2_session_reap();
    }
    h2_session_close_all();
    pthread_mutex_lock(&h2_server.queue_lock);
    h2_server.queue_closed = true;
    pthread_mutex_unlock(&h2_server.queue_lock);
    run_posted(true);
    return NULL;
}

/* --- start and stop ------------------------------------------------------------------ */

static bool load_credentials(const char *cert_pem, const char *key_pem)
{
    if (!cert_pem)
        return true;
    gnutls_datum_t cert = { (unsigned char *)cert_pem, (unsigned)strlen(cert_pem) };
    gnutls_datum_t key = { (unsigned char *)key_pem, (unsigned)strlen(key_pem) };
    int error = gnutls_certificate_allocate_credentials(&h2_server.credentials);
    if (error >= 0)
        error = gnutls_certificate_set_x509_key_mem(h2_server.credentials, &cert, &key,
                                                    GNUTLS_X509_FMT_PEM);
    /* The same priorities as libmicrohttpd's default, so both halves offer the same TLS. */
    if (error >= 0)
        error = gnutls_priority_init(&h2_server.priorities, "NORMAL", NULL);
    if (error < 0) {
        fprintf(stderr, "statusd: HTTP/2 over TLS: %s\n", gnutls_strerror(error));
        return false;
    }
    return true;
}

static void release_resources(void)
{
    if (h2_server.priorities)
        gnutls_priority_deinit(h2_server.priorities);
    if (h2_server.credentials)
        gnutls_certificate_free_credentials(h2_server.credentials);
    h2_server.priorities = NULL;
    h2_server.credentials = NULL;
    h2_session_teardown();
    if (h2_server.epoll_fd >= 0)
        close(h2_server.epoll_fd);
    if (h2_server.wake_fd >= 0)
        close(h2_server.wake_fd);
    if (h2_server.listen_fd >= 0)
        close(h2_server.listen_fd);
    h2_server.epoll_fd = h2_server.wake_fd = h2_server.listen_fd = -1;
    /* The queue's lock is not destroyed: an app thread may still be about to find its
     * stream gone, and the lock lives in static storage anyway. */
}

bool h2_start(const struct h2_options *options, int listen_fd, const char *cert_pem,
              const char *key_pem, struct MHD_Daemon *daemon, h2_serve_fn serve, void *app)
{
    h2_server = (struct h2_server){ .options = *options, .epoll_fd = -1, .wake_fd = -1,
                                    .listen_fd = listen_fd, .daemon = daemon, .serve = serve,
                                    .app = app };
    pthread_mutex_init(&h2_server.queue_lock, NULL);
    if ((cert_pem == NULL) != (key_pem == NULL)) {
        fprintf(stderr, "statusd: HTTP/2: a certificate needs its key\n");
        release_resources();
        return false;
    }
    if (!make_non_blocking(listen_fd) || !load_credentials(cert_pem, key_pem) ||
        !h2_session_setup())
        goto fail;
    h2_server.epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    h2_server.wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    struct epoll_event listen_event = { .events = EPOLLIN, .data.ptr = &listener_tag };
    struct epoll_event wake_event = { .events = EPOLLIN, .data.ptr = &wake_tag };
    if (h2_server.epoll_fd < 0 || h2_server.wake_fd < 0 ||
        epoll_ctl(h2_server.epoll_fd, EPOLL_CTL_ADD, listen_fd, &listen_event) != 0 ||
        epoll_ctl(h2_server.epoll_fd, EPOLL_CTL_ADD, h2_server.wake_fd, &wake_event) != 0) {
        perror("statusd: HTTP/2 loop");
        goto fail;
    }
    atomic_store(&h2_server.running, true);
    int error = pthread_create(&h2_server.thread, NULL, loop_main, NULL);
    if (error) {
        atomic_store(&h2_server.running, false);
        fprintf(stderr, "statusd: HTTP/2 loop thread: %s\n", strerror(error));
        goto fail;
    }
    return true;
fail:
    release_resources();
    return false;
}

void h2_stop(unsigned drain_ms)
{
    if (!atomic_load(&h2_server.running))
        return;
    h2_server.drain_ms = drain_ms;
    atomic_store(&h2_server.stop_requested, true);
    uint64_t one = 1;
    if (write(h2_server.wake_fd, &one, sizeof one) < 0)
        perror("statusd: h2 wake-up");
    pthread_join(h2_server.thread, NULL);
    atomic_store(&h2_server.running, false);
    release_resources();
}
