#include "strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool strbuf_reserve(struct strbuf *b, size_t extra)
{
    if (b->failed)
        return false;
    if (b->length + extra + 1 <= b->capacity)
        return true;
    size_t capacity = b->capacity ? b->capacity : 1024;
    while (capacity < b->length + extra + 1)
        capacity *= 2;
    char *grown = realloc(b->data, capacity);
    if (!grown) {
        b->failed = true;
        return false;
    }
    b->data = grown;
    b->capacity = capacity;
    return true;
}

void strbuf_append_bytes(struct strbuf *b, const void *bytes, size_t n)
{
    if (!strbuf_reserve(b, n))
        return;
    memcpy(b->data + b->length, bytes, n);
    b->length += n;
    b->data[b->length] = '\0';
}

void strbuf_append(struct strbuf *b, const char *s)
{
    strbuf_append_bytes(b, s, strlen(s));
}

void strbuf_printf(struct strbuf *b, const char *format, ...)
{
    if (b->failed)
        return;
    /* Formatted straight into the free space; a second pass only when it did not fit. */
    size_t room = b->capacity - b->length;
    va_list args;
    va_start(args, format);
    int needed = vsnprintf(room ? b->data + b->length : NULL, room, format, args);
    va_end(args);
    if (needed < 0)
        return;
    if ((size_t)needed >= room) {
        if (room)
            b->data[b->length] = '\0'; /* undo the cut-off attempt */
        if (!strbuf_reserve(b, (size_t)needed))
            return;
        va_start(args, format);
        vsnprintf(b->data + b->length, (size_t)needed + 1, format, args);
        va_end(args);
    }
    b->length += (size_t)needed;
}

void strbuf_append_html(struct strbuf *b, const char *s)
{
    const char *run = s;
    for (; *s; s++) {
        const char *entity = NULL;
        switch (*s) {
        case '&': entity = "&amp;"; break;
        case '<': entity = "&lt;"; break;
        case '>': entity = "&gt;"; break;
        case '"': entity = "&quot;"; break;
        case '\'': entity = "&#39;"; break;
        default: continue;
        }
        strbuf_append_bytes(b, run, (size_t)(s - run));
        strbuf_append(b, entity);
        run = s + 1;
    }
    strbuf_append_bytes(b, run, (size_t)(s - run));
}

bool strbuf_failed(const struct strbuf *b)
{
    return b->failed;
}

char *strbuf_take(struct strbuf *b, size_t *length)
{
    if (!strbuf_reserve(b, 0)) {
        strbuf_free(b);
        return NULL;
    }
    b->data[b->length] = '\0'; /* also when nothing was ever appended */
    char *data = b->data;
    *length = b->length;
    *b = (struct strbuf){ 0 };
    return data;
}

void strbuf_free(struct strbuf *b)
{
    free(b->data);
    *b = (struct strbuf){ 0 };
}
