#include "base64.h"

#include <stdint.h>

size_t base64_encoded_length(size_t length, bool pad)
{
    if (pad)
        return (length + 2) / 3 * 4;
    /* 4 digits per 3 bytes, then 2 digits for a last single byte and 3 for a last pair */
    return length / 3 * 4 + (length % 3 ? length % 3 + 1 : 0);
}

size_t base64_encode(const unsigned char *in, size_t length, bool url_safe, bool pad, char *out)
{
    const char *alphabet = url_safe
                               ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
                               : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < length; i += 3) {
        uint32_t group = (uint32_t)in[i] << 16;
        if (i + 1 < length)
            group |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < length)
            group |= in[i + 2];
        out[o++] = alphabet[(group >> 18) & 63];
        out[o++] = alphabet[(group >> 12) & 63];
        if (i + 1 < length)
            out[o++] = alphabet[(group >> 6) & 63];
        else if (pad)
            out[o++] = '=';
        if (i + 2 < length)
            out[o++] = alphabet[group & 63];
        else if (pad)
            out[o++] = '=';
    }
    return o;
}

/* 0..63 for a digit of either alphabet, -1 for anything else. */
static int base64_digit(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+' || c == '-')
        return 62;
    if (c == '/' || c == '_')
        return 63;
    return -1;
}

bool base64_decode_digits(const char *text, size_t length, unsigned char *out, size_t max,
                          size_t *out_length)
{
    if (length % 4 == 1)
        return false;
    uint32_t bits = 0;
    unsigned held = 0;
    size_t n = 0;
    for (size_t i = 0; i < length; i++) {
        int digit = base64_digit(text[i]);
        if (digit < 0)
            return false;
        bits = bits << 6 | (uint32_t)digit;
        held += 6;
        if (held >= 8) {
            held -= 8;
            if (n == max)
                return false;
            out[n++] = (unsigned char)(bits >> held);
            bits &= (1u << held) - 1;
        }
    }
    if (bits != 0)
        return false;
    *out_length = n;
    return true;
}
