/* Entity tags: see etag.h for the contract. */
#include "etag.h"

#include <stddef.h>
#include <string.h>

/* etagc, without obs-text: a tag that reaches a header must be plainly visible. */
static bool is_etag_character(unsigned char c)
{
    return c == 0x21 || (c >= 0x23 && c <= 0x7e);
}

bool etag_opaque_is_valid(const char *tag)
{
    size_t n = strlen(tag);
    if (n == 0 || n > ETAG_MAX_LENGTH)
        return false;
    for (const unsigned char *p = (const unsigned char *)tag; *p; p++)
        if (!is_etag_character(*p))
            return false;
    return true;
}

static void skip_whitespace(const char **p)
{
    while (**p == ' ' || **p == '\t')
        (*p)++;
}

/* Reads one entity-tag at *p: its opaque part (quotes included) as [start, start+length).
 * A request may use obs-text (bytes over 0x7f) in a tag it compares. */
static bool read_entity_tag(const char **p, bool *weak, const char **start, size_t *length)
{
    const char *s = *p;
    *weak = strncmp(s, "W/", 2) == 0;
    if (*weak)
        s += 2;
    if (*s != '"')
        return false;
    const char *opaque = s++;
    while (is_etag_character((unsigned char)*s) || (unsigned char)*s >= 0x80)
        s++;
    if (*s != '"')
        return false;
    s++;
    *start = opaque;
    *length = (size_t)(s - opaque);
    *p = s;
    return true;
}

bool etag_list_matches(const char *value, const char *etag, bool weak_comparison)
{
    const char *p = value;
    skip_whitespace(&p);
    if (*p == '*') {
        p++;
        skip_whitespace(&p);
        return *p == '\0';
    }
    bool matched = false;
    size_t etag_length = strlen(etag);
    for (;;) {
        while (*p == ',' || *p == ' ' || *p == '\t')
            p++;
        if (*p == '\0')
            return matched;
        bool weak;
        const char *opaque;
        size_t length;
        if (!read_entity_tag(&p, &weak, &opaque, &length))
            return false;
        if ((weak_comparison || !weak) && length == etag_length &&
            memcmp(opaque, etag, length) == 0)
            matched = true;
        skip_whitespace(&p);
        if (*p != ',' && *p != '\0')
            return false;
    }
}
