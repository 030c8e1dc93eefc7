/* Base64 (src/lib/base64.c): digits that decode re-encode to the same digits (in the standard
 * alphabet: the decoder takes both, and refuses non-zero leftover bits, so the form is
 * canonical); any bytes encode, in either alphabet, to digits that decode back to them. */
#include "fuzz.h"

#include "base64.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *digits = (const char *)data;
    unsigned char *decoded = malloc(size + 1);
    char *encoded = malloc(base64_encoded_length(size, true) + 1);
    if (!decoded || !encoded)
        abort();
    size_t length = 0;
    if (base64_decode_digits(digits, size, decoded, size, &length)) {
        FUZZ_ASSERT(length <= size / 4 * 3 + 2);
        size_t n = base64_encode(decoded, length, false, false, encoded);
        FUZZ_ASSERT(n == size && n == base64_encoded_length(length, false));
        for (size_t i = 0; i < size; i++) {
            char c = digits[i] == '-' ? '+' : digits[i] == '_' ? '/' : digits[i];
            FUZZ_ASSERT(encoded[i] == c);
        }
    }
    /* room for exactly size - 1 bytes: a full decode must be refused, never overrun */
    for (int url_safe = 0; url_safe < 2; url_safe++) {
        size_t n = base64_encode(data, size, url_safe, false, encoded);
        FUZZ_ASSERT(base64_decode_digits(encoded, n, decoded, size, &length));
        FUZZ_ASSERT(length == size && (size == 0 || memcmp(decoded, data, size) == 0));
        if (size > 0)
            FUZZ_ASSERT(!base64_decode_digits(encoded, n, decoded, size - 1, &length));
        n = base64_encode(data, size, url_safe, true, encoded);
        FUZZ_ASSERT(n == base64_encoded_length(size, true) && n % 4 == 0);
    }
    free(decoded);
    free(encoded);
    return 0;
}
