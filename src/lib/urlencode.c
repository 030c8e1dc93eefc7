#include "urlencode.h"

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

size_t url_decode(char *text, size_t length, bool form)
{
    size_t out = 0;
    for (size_t i = 0; i < length; i++) {
        int high, low;
        if (form && text[i] == '+')
            text[out++] = ' ';
        else if (text[i] == '%' && i + 2 < length && (high = hex_value(text[i + 1])) >= 0 &&
                 (low = hex_value(text[i + 2])) >= 0) {
            text[out++] = (char)(high * 16 + low);
            i += 2;
        } else
            text[out++] = text[i];
    }
    return out;
}
