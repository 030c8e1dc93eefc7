/* The one thing of auth.c (SPEC §6) that is not a handler: queueing a Digest challenge, which
 * libmicrohttpd writes itself because only it can make the nonce it will later check. */
#ifndef STATUSD_AUTH_H
#define STATUSD_AUTH_H

#include "exchange.h"

/* Queues response (this request's own, never a shared one: the challenge is added to it) as
 * the 401 for a reply with digest_fail set, with reply->digest_challenge's parameters. */
enum MHD_Result auth_queue_digest_challenge(struct MHD_Connection *connection,
                                            const struct reply *reply,
                                            struct MHD_Response *response);

#endif
