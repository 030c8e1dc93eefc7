/* Base64 (RFC 4648 §4, and §5's URL-safe alphabet): the one encoder and decoder that /base64,
 * ?body_base64= and the echo's "data" share. */
#ifndef STATUSD_BASE64_H
#define STATUSD_BASE64_H

#include <stdbool.h>
#include <stddef.h>

/* The length of length bytes encoded: padded to a multiple of 4, or without the '='. */
size_t base64_encoded_length(size_t length, bool pad);

/* Writes length bytes as base64 into out (room for base64_encoded_length(length, pad) bytes;
 * no NUL is added): the standard alphabet ("+/") or the URL-safe one ("-_"), with or without
 * the '=' padding. Returns the number of bytes written. */
size_t base64_encode(const unsigned char *in, size_t length, bool url_safe, bool pad, char *out);

/* Decodes length base64 digits, padding already taken off, of either alphabet (a URL carries
 * the URL-safe one more easily) into out, which has room for max bytes. False for a foreign
 * character (an '=' included), a lone last digit (length % 4 == 1), more than max bytes, or
 * unused low bits of the last digit that are not 0 (RFC 4648 §3.5: the text was cut or
 * mangled); else true with the decoded length in *out_length. */
bool base64_decode_digits(const char *text, size_t length, unsigned char *out, size_t max,
                          size_t *out_length);

#endif
