/* One line per request (client, method, path, status, bytes, duration). Serving threads never
 * wait for the log's reader: lines go through a bounded buffer to a writer thread of their
 * own; what does not fit is dropped and counted, and the count is logged (accesslog.c). */
#ifndef STATUSD_ACCESSLOG_H
#define STATUSD_ACCESSLOG_H

#include "config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct access_record {
    const char *client;   /* "127.0.0.1" */
    const char *method;
    const char *target;   /* the raw request target, query included */
    const char *protocol; /* "h1", "h2" */
    unsigned status;      /* 0: no response was sent */
    uint64_t bytes;       /* body bytes of the response */
    double duration_ms;
    const char *outcome;  /* "ok", "client-aborted", "timeout", ... */
};

/* Starts the writer for fd with a buffer of capacity bytes; false when it cannot. */
bool accesslog_init(enum log_format format, int fd, size_t capacity);
void accesslog_write(const struct access_record *record);
/* Writes what is buffered (and the count of dropped lines), waiting at most wait_ms for the
 * reader. */
void accesslog_stop(unsigned wait_ms);

#endif
