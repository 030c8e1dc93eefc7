/* UTF-8 checks for bytes from clients (RFC 3629: no overlong forms, no surrogates, nothing
 * above U+10FFFF). One implementation for echo bodies, auth notes and WebSocket text. */
#ifndef STATUSD_UTF8_H
#define STATUSD_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Decodes the sequence at p (at most left bytes): its length, and the code point in *code;
 * 0 when p does not start a well-formed sequence. */
size_t utf8_decode(const unsigned char *p, size_t left, uint32_t *code);

/* Well-formed UTF-8 (NUL included: it is a character). */
bool utf8_valid(const void *bytes, size_t length);

/* Well-formed UTF-8 without control characters (C0, DEL, C1): text that renders the same in
 * plain text, HTML and JSON. */
bool utf8_printable(const void *bytes, size_t length);

#endif
