/* What every fuzz target shares: the libFuzzer entry point, NUL-terminated copies of the
 * input, and an assertion that reports which invariant broke.
 *
 * A target is built twice (fuzz/meson.build): against libFuzzer with clang, and against
 * replay_main.c, which feeds it the seed corpus and the regression inputs in the normal test
 * suite. Both hand the target a heap buffer of exactly the input's size, so AddressSanitizer
 * catches a read one byte past it. */
#ifndef STATUSD_FUZZ_H
#define STATUSD_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Invariants are checked in every build, NDEBUG or not: a fuzz target that stops checking
 * only proves the code does not crash. */
#define FUZZ_ASSERT(condition)                                                                 \
    do {                                                                                       \
        if (!(condition)) {                                                                    \
            fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #condition); \
            abort();                                                                           \
        }                                                                                      \
    } while (0)

/* bytes[0..size) as a C string in a heap block of exactly size + 1 bytes. Parsers get their
 * text from libmicrohttpd as C strings, so an embedded NUL ends the text there too. */
static inline char *fuzz_string(const uint8_t *bytes, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        abort();
    if (size)
        memcpy(text, bytes, size);
    text[size] = '\0';
    return text;
}

/* Splits the input at the first '\n': the text before it, and the rest. Lets one input carry
 * two strings (a header value and a media type, a value and a limit). */
static inline void fuzz_split(const uint8_t *data, size_t size, char **first, char **second)
{
    const uint8_t *newline = size ? memchr(data, '\n', size) : NULL;
    size_t n = newline ? (size_t)(newline - data) : size;
    *first = fuzz_string(data, n);
    *second = newline ? fuzz_string(newline + 1, size - n - 1) : NULL;
}

/* Well-formed UTF-8 straight from Unicode table 3-7, written independently of src/utf8.c so
 * the fuzz targets can compare against it; printable also refuses C0, DEL and C1 controls. */
static inline bool fuzz_reference_utf8(const unsigned char *s, size_t n, bool printable)
{
    for (size_t i = 0; i < n;) {
        unsigned char b = s[i];
        unsigned char low = 0x80, high = 0xBF;
        size_t extra;
        if (printable && (b < 0x20 || b == 0x7F))
            return false;
        if (b < 0x80) {
            i++;
            continue;
        }
        if (b >= 0xC2 && b <= 0xDF) {
            extra = 1;
            if (printable && b == 0xC2)
                low = 0xA0; /* U+0080-U+009F are the C1 controls */
        } else if (b >= 0xE0 && b <= 0xEF) {
            extra = 2;
            low = b == 0xE0 ? 0xA0 : 0x80;
            high = b == 0xED ? 0x9F : 0xBF;
        } else if (b >= 0xF0 && b <= 0xF4) {
            extra = 3;
            low = b == 0xF0 ? 0x90 : 0x80;
            high = b == 0xF4 ? 0x8F : 0xBF;
        } else {
            return false;
        }
        if (n - i <= extra || s[i + 1] < low || s[i + 1] > high)
            return false;
        for (size_t k = 2; k <= extra; k++)
            if (s[i + k] < 0x80 || s[i + k] > 0xBF)
                return false;
        i += extra + 1;
    }
    return true;
}

#endif
