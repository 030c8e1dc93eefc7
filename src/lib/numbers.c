#include "numbers.h"

bool parse_uint(const char *text, uint64_t max, uint64_t *value)
{
    if (!text || !*text)
        return false;
    uint64_t v = 0;
    for (const char *p = text; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        unsigned digit = (unsigned)(*p - '0');
        if (digit > max || v > (max - digit) / 10)
            return false;
        v = v * 10 + digit;
    }
    *value = v;
    return true;
}

bool parse_seconds_ms(const char *text, uint64_t max_ms, uint64_t *ms)
{
    if (!text || *text < '0' || *text > '9')
        return false;
    uint64_t whole = 0, fraction = 0;
    const char *p = text;
    for (; *p >= '0' && *p <= '9'; p++) {
        whole = whole * 10 + (uint64_t)(*p - '0');
        if (whole > max_ms / 1000 + 1)
            return false;
    }
    int decimals = 0;
    if (*p == '.') {
        p++;
        for (; *p >= '0' && *p <= '9'; p++) {
            if (++decimals > 3)
                return false;
            fraction = fraction * 10 + (uint64_t)(*p - '0');
        }
        if (decimals == 0)
            return false;
    }
    if (*p)
        return false;
    for (; decimals < 3; decimals++)
        fraction *= 10;
    /* Compared in parts: whole * 1000 + fraction wraps when max_ms is near UINT64_MAX. */
    if (whole > max_ms / 1000 || (whole == max_ms / 1000 && fraction > max_ms % 1000))
        return false;
    *ms = whole * 1000 + fraction;
    return true;
}
