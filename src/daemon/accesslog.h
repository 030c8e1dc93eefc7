/* One line per request (client, method, path, status, bytes, duration), buffered and written
 * about once a second by the timer thread, never a write() per request. */
#ifndef STATUSD_ACCESSLOG_H
#define STATUSD_ACCESSLOG_H

#include "config.h"

#include <stdint.h>
#include <stdio.h>

struct access_record {
    const char *client;   /* "127.0.0.1" */
    const char *method;
    const char *target;   /* the raw request target, query included */
    unsigned status;      /* 0: no response was sent */
    uint64_t bytes;       /* body bytes of the response */
    double duration_ms;
    const char *outcome;  /* "ok", "client-aborted", "timeout", ... */
};

void accesslog_init(enum log_format format, FILE *out);
void accesslog_write(const struct access_record *record);
/* Writes what is buffered; called by the timer tick and at exit. */
void accesslog_flush(void);

#endif
