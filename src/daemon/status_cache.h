/* Responses of /status/{code} without header parameters depend only on (code, sub-status,
 * representation, languages): each is rendered the first time it is asked for and shared by
 * every later request, so the hot path renders and allocates nothing. */
#ifndef STATUSD_STATUS_CACHE_H
#define STATUSD_STATUS_CACHE_H

#include "negotiate.h"

#include <microhttpd.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

bool status_cache_init(void);
/* Destroys every cached response; only after the daemon has stopped. */
void status_cache_free(void);

struct status_cache_slot {
    _Atomic(struct MHD_Response *) response;
    /* Body bytes of the response, for the access log; written before the response is
     * published, and every builder writes the same value. */
    _Atomic uint64_t body_length;
};

/* The slot for one variant, or NULL for an unknown sub-status. */
struct status_cache_slot *status_cache_slot(unsigned code, unsigned sub, enum format format,
                                                  enum languages languages);

#endif
