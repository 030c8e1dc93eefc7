/* Comma-separated lists: see httplist.h for the contract. */
#include "httplist.h"

#include <string.h>
#include <strings.h>

static bool is_optional_whitespace(char c)
{
    return c == ' ' || c == '\t';
}

bool httplist_next(const char **cursor, struct httplist_item *item)
{
    const char *p = *cursor;
    /* Skipping commas with the whitespace skips empty elements too. */
    while (*p == ',' || is_optional_whitespace(*p))
        p++;
    if (!*p) {
        *cursor = p;
        return false;
    }
    const char *start = p;
    while (*p && *p != ',')
        p++;
    const char *end = p;
    while (is_optional_whitespace(end[-1])) /* stops at start, which is neither */
        end--;
    item->start = start;
    item->length = (size_t)(end - start);
    *cursor = p;
    return true;
}

bool httplist_has_token(const char *list, const char *token)
{
    if (!list)
        return false;
    size_t length = strlen(token);
    struct httplist_item item;
    while (httplist_next(&list, &item))
        if (item.length == length && strncasecmp(item.start, token, length) == 0)
            return true;
    return false;
}

bool httplist_has_empty_element(const char *list)
{
    for (const char *p = list;; p++) {
        p += strspn(p, " \t");
        if (*p == ',' || *p == '\0')
            return true; /* nothing between the previous comma (or the start) and this one */
        p += strcspn(p, ",");
        if (*p == '\0')
            return false;
    }
}
