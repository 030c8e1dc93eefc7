/* Entity tags (RFC 9110 §8.8.3) and the lists If-Match / If-None-Match carry.
 *
 * etag_opaque_is_valid: whether text (without quotes) may be sent as a tag: 1 to
 * ETAG_MAX_LENGTH visible characters (etagc without obs-text, so no '"', no control byte, no
 * byte over 0x7e).
 *
 * etag_list_matches: whether a field value ("*", or a comma-separated list of entity-tags,
 * each "..." or W/"...") names etag, a strong tag given with its quotes. Weak comparison
 * ignores W/; strong comparison never matches a weak tag (RFC 9110 §8.8.3.2). "*" matches
 * any etag. A malformed value matches nothing. Reads value up to its NUL, never past it. */
#ifndef STATUSD_ETAG_H
#define STATUSD_ETAG_H

#include <stdbool.h>

/* RFC 9110 allows any length; a bound keeps a tag, quoted in notes, well inside a request's
 * scratch space. */
#define ETAG_MAX_LENGTH 128

bool etag_opaque_is_valid(const char *text);
bool etag_list_matches(const char *value, const char *etag, bool weak_comparison);

#endif
