/* A growable byte buffer for building bodies. Out of memory is sticky: appends after a
 * failed growth are ignored and strbuf_failed() says so, so callers check once at the end. */
#ifndef STATUSD_STRBUF_H
#define STATUSD_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

struct strbuf {
    char *data;
    size_t length;
    size_t capacity;
    bool failed;
};

void strbuf_append(struct strbuf *b, const char *s);
void strbuf_append_bytes(struct strbuf *b, const void *bytes, size_t n);
void strbuf_printf(struct strbuf *b, const char *format, ...) __attribute__((format(printf, 2, 3)));
/* Appends s with &, <, >, " and ' escaped for HTML text and attribute values. */
void strbuf_append_html(struct strbuf *b, const char *s);
bool strbuf_failed(const struct strbuf *b);
/* Hands the bytes to the caller (free() them); the buffer is empty afterwards. */
char *strbuf_take(struct strbuf *b, size_t *length);
void strbuf_free(struct strbuf *b);

#endif
