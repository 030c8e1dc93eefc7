/* Checks on a request head before its body is read. */
#ifndef STATUSD_HEAD_CHECK_H
#define STATUSD_HEAD_CHECK_H

#include "exchange.h"

struct config;

/* What must be refused before the body is read: a head over --max-header-bytes (414, 431,
 * with reply->lean set: see server.c refuse_raw), header lines libmicrohttpd 0.9.75 accepts
 * but RFC 9112 rejects (obsolete folding, names that are not tokens, control bytes, NUL),
 * framing that could smuggle a request past a proxy (400), a body over --max-body (413), an
 * expectation statusd cannot meet (417). target is the raw request target. Returns false
 * with reply filled to refuse. */
bool head_check(struct request *request, const char *target, const struct config *config,
                struct reply *reply);

#endif
