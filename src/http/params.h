/* Query parameters that end up in response headers. Each check refuses what could break
 * the wire (control bytes, CR, LF) or mislead a client, and says what it accepts. */
#ifndef STATUSD_PARAMS_H
#define STATUSD_PARAMS_H

#include "exchange.h"

#include <stdbool.h>

/* A redirect target: an http(s) URL, a scheme-relative "//host/path" or a relative
 * reference; printable ASCII without spaces, at most 2048 bytes. */
bool params_valid_location(const char *value);

/* A DNS name is at most 253 bytes; a bracketed IPv6 literal and a port fit in the rest. */
#define PARAMS_MAX_HOST 262

/* host[:port] as a Host header carries it (RFC 9110 §7.2): a name or IPv4 address, or an
 * IPv6 literal in brackets, then an optional port; at most 262 bytes. */
bool params_valid_host(const char *host);

/* Whether a valid location may be sent under --redirect-allow: relative references always;
 * an absolute or scheme-relative one only when its host (without userinfo or port) is one of
 * the configured hosts, compared case-insensitively. Any host when none is configured. */
bool params_location_allowed(const struct config *config, const char *location);

/* The 400 for a location whose host --redirect-allow does not list, naming the hosts. */
void params_refuse_location_host(struct request *request, struct reply *reply,
                                 const char *parameter);

/* retry_after=S (0 to one year) or retry_after=date:S: the Retry-After value, in the arena,
 * or NULL when invalid. */
const char *params_retry_after(struct request *request, const char *value);

/* ?seed=N into *seed, or a fresh random seed when there is none. False, with a 400 in reply,
 * when present and not a whole number that fits 64 bits. */
bool params_read_seed(struct request *request, struct reply *reply, uint64_t *seed);

/* A header or method name: an RFC 9110 token of at most 64 bytes. */
bool params_valid_token(const char *value);

/* A media type as Content-Type carries it (RFC 9110 §8.3.1): type "/" subtype, then any
 * number of ";" parameters whose value is a token or a quoted-string; optional spaces around
 * ";" and no other whitespace. At most 256 bytes; no control byte, CR, LF or non-ASCII byte
 * anywhere, so the value cannot break the header section it goes into. */
bool params_valid_media_type(const char *value);

/* realm=: printable ASCII without '"' or '\', at most 128 bytes, so it fits a quoted-string
 * without escaping. */
bool params_valid_realm(const char *value);

/* Sets (replace) or adds a header a client asked for by name and value: the one check behind
 * ?h= and /response-headers. False, with *why saying what was refused in English, when the
 * name is not a token or names a header that changes framing, or the value is empty or holds
 * a control byte. */
bool params_set_client_header(struct reply *reply, const char *name, const char *value,
                              bool replace, const char **why);

/* Applies every h=Name:Value to reply. False, with reply set to a 400 naming the offending
 * value, when one is not a token, holds a control byte, or names a header that would change
 * the framing (Content-Length, Transfer-Encoding, Connection, ...). */
bool params_apply_extra_headers(struct request *request, struct reply *reply);

/* True when any h= parameter is present. */
bool params_has_extra_headers(struct request *request);

#endif
