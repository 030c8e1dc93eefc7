/* Credentials in an Authorization-style header value (RFC 9110 §11.4): the scheme and its
 * token, Basic's base64 "user:password" (RFC 7617), Bearer's b64token (RFC 6750), and a
 * comparison that does not leak by its timing how much of a secret matched. Pure functions
 * over the bytes given; nothing is allocated but by credentials_basic_decode's caller.
 *
 * credentials_of_scheme: what follows scheme ("Basic dTpw" → "dTpw"), scheme compared
 * case-insensitively and followed by a space or the end, with the blanks around the rest
 * dropped; *length is its length. NULL for another scheme.
 *
 * credentials_basic_decode: the canonical padded base64 of at most CREDENTIALS_BASIC_MAX_BASE64
 * characters decoded into out (at most CREDENTIALS_BASIC_MAX_DECODED bytes, not NUL-terminated)
 * and split at the first colon: the user is out[0, *user_length), the password follows the
 * colon up to *decoded_length. False (out undefined) for anything else: not base64, bits left
 * over in the padding, too long, or no colon.
 *
 * credentials_is_b64token: RFC 6750 §2.1's b64token, exactly length bytes.
 *
 * credentials_equal: whether given equals expected, in a time that depends only on
 * expected_length. */
#ifndef STATUSD_CREDENTIALS_H
#define STATUSD_CREDENTIALS_H

#include <stdbool.h>
#include <stddef.h>

/* Base64 of a 128-byte user, ':' and a 128-byte password is 344 characters: anything much
 * longer cannot match, and is not decoded. */
#define CREDENTIALS_BASIC_MAX_BASE64 1024
#define CREDENTIALS_BASIC_MAX_DECODED (CREDENTIALS_BASIC_MAX_BASE64 / 4 * 3)

const char *credentials_of_scheme(const char *value, const char *scheme, size_t *length);
bool credentials_basic_decode(const char *encoded, size_t length,
                              char out[CREDENTIALS_BASIC_MAX_DECODED], size_t *decoded_length,
                              size_t *user_length);
bool credentials_is_b64token(const char *text, size_t length);
bool credentials_equal(const char *given, size_t given_length, const char *expected,
                       size_t expected_length);

#endif
