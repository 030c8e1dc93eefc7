/* Shaping on any URL (README "Shaping"): when the answer starts (?delay= with a range or a
 * jitter, reproducible with ?seed=) and how its body goes out (?rate=, ?chunk=,
 * ?abort_after=). Read once per request by whichever transport carried it; the result lives
 * in the transport-neutral reply (delay_ms, shape), which the transport carries out. */
#ifndef STATUSD_SHAPING_H
#define STATUSD_SHAPING_H

#include "exchange.h"

/* What the parameters asked for: kept aside while the handler runs, because a handler that
 * starts its reply afresh (reply_error) clears the reply. */
struct shaping {
    uint64_t delay_ms;
    struct reply_shape shape;
    /* "delay;dur=N" when the delay was drawn (a range or a jitter), so a client can see
     * which one it got; NULL for a fixed delay or none. */
    const char *timing;
};

/* Reads the parameters. False with a 400 naming the bad one in reply. */
bool shaping_read(struct request *request, struct reply *reply, struct shaping *out);

/* Puts the shaping into reply: before the handler (so it knows the body will be shaped), and
 * again after it. An endpoint's own longer wait (/delay/{s}) is kept. */
void shaping_apply(const struct shaping *shaping, struct reply *reply);

#endif
