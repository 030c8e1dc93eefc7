#include "range.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

static bool parse_number(const char **p, uint64_t *value)
{
    const char *s = *p;
    if (*s < '0' || *s > '9')
        return false;
    uint64_t v = 0;
    for (; *s >= '0' && *s <= '9'; s++) {
        if (v > (UINT64_MAX - 9) / 10)
            return false;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *value = v;
    *p = s;
    return true;
}

static void skip_spaces(const char **p)
{
    while (**p == ' ' || **p == '\t')
        (*p)++;
}

static enum range_result parse_ranges(const char *header, uint64_t length,
                                      struct byte_range *ranges, size_t *count)
{
    *count = 0;
    if (!header || strncasecmp(header, "bytes=", 6) != 0)
        return RANGE_IGNORED;
    const char *p = header + 6;
    size_t specs = 0;
    for (;;) {
        skip_spaces(&p);
        uint64_t first = 0, last = 0;
        bool has_first = parse_number(&p, &first);
        if (*p++ != '-')
            return RANGE_IGNORED;
        bool has_last = parse_number(&p, &last);
        skip_spaces(&p);
        if (*p != ',' && *p != '\0')
            return RANGE_IGNORED;
        if (!has_first && !has_last)
            return RANGE_IGNORED;
        if (has_first && has_last && last < first)
            return RANGE_IGNORED; /* invalid range-spec: the whole field is ignored (§14.1.1) */
        if (++specs > RANGE_MAX)
            return RANGE_IGNORED;
        if (!has_first) { /* suffix: the last `last` bytes */
            if (last > 0 && length > 0) {
                uint64_t n = last < length ? last : length;
                ranges[(*count)++] = (struct byte_range){ length - n, length - 1 };
            }
        } else if (first < length) {
            uint64_t end = has_last && last < length - 1 ? last : length - 1;
            ranges[(*count)++] = (struct byte_range){ first, end };
        }
        if (*p == '\0')
            break;
        p++;
    }
    return *count ? RANGE_SATISFIABLE : RANGE_UNSATISFIABLE;
}

enum range_result range_parse(const char *header, uint64_t length, struct byte_range *ranges,
                              size_t *count)
{
    enum range_result result = parse_ranges(header, length, ranges, count);
    if (result == RANGE_IGNORED)
        *count = 0; /* a Range ignored as a whole names no range, even if a prefix parsed */
    return result;
}
