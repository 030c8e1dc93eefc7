/* Responses of /status/{code} without header parameters depend only on (code, sub-status,
 * representation, languages, content coding): each is rendered the first time it is asked for (once.h) and
 * shared by every later request, so the hot path renders and allocates nothing. */
#ifndef STATUSD_STATUS_CACHE_H
#define STATUSD_STATUS_CACHE_H

#include "negotiate.h"
#include "once.h"

#include <microhttpd.h>
#include <stdbool.h>
#include <stdint.h>

bool status_cache_init(void);
/* Destroys every cached response; only after the daemon has stopped. */
void status_cache_free(void);

/* What a slot holds once built. */
struct status_cache_entry {
    struct MHD_Response *response;   /* for libmicrohttpd (HTTP/1.1) */
    struct response *frozen;         /* the same, transport-neutral (HTTP/2); may be NULL */
    uint64_t body_length; /* for the access log */
};

/* The codings a cached response may be in: without ?encoding= (identity, no Vary), or the one
 * ?encoding=auto negotiated (identity included): the compressed bytes are made once too. */
#define STATUS_CACHE_CODINGS (1 + CODING_COUNT)
static inline unsigned status_cache_coding(bool negotiated, enum coding coding)
{
    return negotiated ? 1u + (unsigned)coding : 0u;
}

/* The slot for one variant, or NULL for an unknown sub-status. */
struct once *status_cache_slot(unsigned code, unsigned sub, enum format format,
                               enum languages languages, unsigned coding);

/* Frees an entry (a loser of once_get's race, or at exit). */
void status_cache_entry_free(void *entry);

#endif
