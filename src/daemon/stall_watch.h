/* A real 408 for a client that stalls mid-request (SPEC §8).
 *
 * libmicrohttpd closes a timed-out connection without a word (docs/libmicrohttpd.md §3). Every request
 * is watched from its request line until it is complete; one that makes no progress for
 * --timeout seconds gets "408 Request Timeout" written to its socket by the timer thread,
 * and the socket is shut down so libmicrohttpd closes it. libmicrohttpd's own timeout is set
 * a little longer, as the backstop for idle keep-alive connections. */
#ifndef STALL_WATCH_H
#define STALL_WATCH_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stdint.h>

struct stall_entry {
    struct stall_entry *previous, *next;
    struct MHD_Connection *connection;
    uint64_t last_progress_ms;
    bool watched;
    bool answered; /* the 408 went out: the request must not be answered again */
    uint64_t body_sent; /* bytes of the 408's body written, for the access log */
};

/* Renders the 408 once; false when out of memory. */
bool stall_watch_init(unsigned timeout_s);
void stall_watch_free(void);

void stall_watch_add(struct stall_entry *entry, struct MHD_Connection *connection);
/* Some bytes of the request arrived: the clock starts again. */
void stall_watch_progress(struct stall_entry *entry);
/* The request is complete (or finished): stop watching. Returns false if the 408 was already
 * sent, in which case the caller must not answer and should close the connection. */
bool stall_watch_remove(struct stall_entry *entry);

/* Over TLS a stalled request gets no 408, only a closed connection: the 408 would have to go
 * through the connection's GnuTLS session from the timer thread while libmicrohttpd's thread
 * may be using it, and a GnuTLS session must not be used from two threads at once. */
void stall_watch_use_tls(bool tls);

/* Sends the 408 to every request stalled for the timeout; called by the timer thread. */
void stall_watch_tick(void);

#endif
