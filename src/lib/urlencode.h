/* Percent-decoding (RFC 3986 §2.1) of paths and query text, in place. */
#ifndef STATUSD_URLENCODE_H
#define STATUSD_URLENCODE_H

#include <stdbool.h>
#include <stddef.h>

/* Decodes %XX to its byte, and '+' to a space when form is true (query strings and
 * application/x-www-form-urlencoded bodies); a '%' not followed by two hex digits stays as
 * it is, as libmicrohttpd and browsers leave it. Returns the decoded length; the result may
 * hold a NUL byte. */
size_t url_decode(char *text, size_t length, bool form);

#endif
