/* Comma-separated lists (RFC 9110 §5.6.1): "a, b ,c", as Accept, Connection, Upgrade,
 * If-Match and statusd's own list parameters (?allow=GET,PUT) are written.
 *
 * httplist_next: the next element of the list at *cursor, with the optional whitespace
 * (spaces and tabs) around it trimmed, as [item->start, item->start + item->length);
 * advances *cursor past it. Empty elements ("a,,b", a leading or trailing comma) are skipped,
 * as the RFC tells recipients to do. Returns false at the end of the list (the NUL). The
 * element is everything up to the next comma: a caller whose elements may hold quoted commas
 * (entity-tags, parameters with quoted strings) parses those itself.
 *
 * httplist_has_token: whether the list holds token as a whole element, compared
 * case-insensitively (Connection: keep-alive, Upgrade). NULL list: false.
 *
 * httplist_has_empty_element: whether an element is empty or blank ("a,,b", ",a", "a, ",
 * ""): statusd's own list parameters (?allow=GET,PUT, /method/GET,PUT) refuse those, where
 * a header's recipient would skip them. */
#ifndef STATUSD_HTTPLIST_H
#define STATUSD_HTTPLIST_H

#include <stdbool.h>
#include <stddef.h>

struct httplist_item {
    const char *start;
    size_t length;
};

bool httplist_next(const char **cursor, struct httplist_item *item);
bool httplist_has_token(const char *list, const char *token);
bool httplist_has_empty_element(const char *list);

#endif
