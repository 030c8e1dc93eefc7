#include "utf8.h"

size_t utf8_decode(const unsigned char *p, size_t left, uint32_t *code)
{
    if (left == 0)
        return 0;
    if (p[0] < 0x80) {
        *code = p[0];
        return 1;
    }
    size_t length;
    uint32_t value, smallest;
    if (p[0] >= 0xc2 && p[0] <= 0xdf) {
        length = 2, value = p[0] & 0x1fu, smallest = 0x80;
    } else if (p[0] >= 0xe0 && p[0] <= 0xef) {
        length = 3, value = p[0] & 0x0fu, smallest = 0x800;
    } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
        length = 4, value = p[0] & 0x07u, smallest = 0x10000;
    } else {
        return 0; /* a continuation byte, an overlong C0/C1 lead, or 0xF5-0xFF */
    }
    if (left < length)
        return 0;
    for (size_t i = 1; i < length; i++) {
        if ((p[i] & 0xc0u) != 0x80)
            return 0;
        value = (value << 6) | (p[i] & 0x3fu);
    }
    if (value < smallest || value > 0x10ffff || (value >= 0xd800 && value <= 0xdfff))
        return 0;
    *code = value;
    return length;
}

static bool utf8_check(const void *bytes, size_t length, bool printable)
{
    const unsigned char *p = bytes;
    for (size_t i = 0; i < length;) {
        uint32_t code;
        size_t n = utf8_decode(p + i, length - i, &code);
        if (!n)
            return false;
        if (printable && (code < 0x20 || (code >= 0x7f && code <= 0x9f)))
            return false;
        i += n;
    }
    return true;
}

bool utf8_valid(const void *bytes, size_t length)
{
    return utf8_check(bytes, length, false);
}

bool utf8_printable(const void *bytes, size_t length)
{
    return utf8_check(bytes, length, true);
}
