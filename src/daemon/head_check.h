/* Checks on a request head before its body is read. */
#ifndef STATUSD_HEAD_CHECK_H
#define STATUSD_HEAD_CHECK_H

#include "exchange.h"

struct config;

/* What must be refused before the body is read: a head over --max-header-bytes (414, 431,
 * with reply->lean set: see server.c refuse_raw), header lines libmicrohttpd 0.9.75 accepts
 * but RFC 9112 rejects (obsolete folding, names that are not tokens, control bytes, NUL),
 * framing that could smuggle a request past a proxy (400), a missing, repeated or malformed
 * Host (400), Transfer-Encoding other than a final chunked (400, or 501), a body over
 * --max-body (413), an expectation statusd cannot meet (417). target is the raw request
 * target. Returns false with reply filled to refuse. */
bool head_check(struct request *request, const char *target, const struct config *config,
                struct reply *reply);

/* The path to route on for url as libmicrohttpd passes it: url itself, or for an absolute-form
 * target ("http://host:port/path", RFC 9112 §3.2.2, which a server must accept) the path after
 * the authority ("/" when there is none), with request->authority set to the authority for
 * head_check to check and Host lookups to return. */
const char *head_target_path(struct request *request, const char *url);

/* The head of a request as its bytes arrived, appended to out (request_transport.raw_head for
 * libmicrohttpd); false, out unchanged, when the layout is not the one expected. */
bool head_raw_bytes(const struct request *request, struct strbuf *out);

#endif
