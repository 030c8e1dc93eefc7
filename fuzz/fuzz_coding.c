/* Content codings: Accept-Encoding (src/http/negotiate.c) and the request-body decoders
 * (src/lib/coding.c), the two places client bytes meet the codings.
 *
 * The first byte picks what the rest is: below 0x40 an Accept-Encoding value, whose choice
 * must be the coding of highest q (and none only when every q is 0); otherwise a body in
 * coding (byte % 4), decoded with a 64 KiB limit, which must never be passed, and whatever
 * decodes must code and decode back to the same bytes. */
#include "fuzz.h"

#include "coding.h"
#include "negotiate.h"

#define DECODE_LIMIT 65536

static void check_accept_encoding(const uint8_t *data, size_t size)
{
    char *value = fuzz_string(data, size);
    enum coding chosen = CODING_COUNT;
    bool acceptable = negotiate_coding(value, &chosen);
    int best = 0;
    for (int c = 0; c < CODING_COUNT; c++) {
        int q = negotiate_coding_quality(value, (enum coding)c);
        FUZZ_ASSERT(q >= 0 && q <= 1000);
        if (q > best)
            best = q;
    }
    FUZZ_ASSERT(acceptable == (best > 0));
    if (acceptable) {
        FUZZ_ASSERT(chosen < CODING_COUNT);
        FUZZ_ASSERT(negotiate_coding_quality(value, chosen) == best);
    }
    free(value);
}

static void check_body(enum coding coding, const uint8_t *data, size_t size)
{
    char *decoded = NULL;
    size_t decoded_length = 0;
    /* An exact-size heap copy, so a read past the input is an ASan report. */
    char *input = malloc(size ? size : 1);
    FUZZ_ASSERT(input != NULL);
    if (size)
        memcpy(input, data, size);
    enum coding_decoded result =
        coding_decompress(coding, input, size, DECODE_LIMIT, &decoded, &decoded_length);
    free(input);
    if (result != CODING_DECODED) {
        FUZZ_ASSERT(decoded == NULL && decoded_length == 0);
        return;
    }
    FUZZ_ASSERT(decoded_length <= DECODE_LIMIT);
    size_t coded_length, again_length;
    char *coded = coding_compress(coding, decoded ? decoded : "", decoded_length, &coded_length);
    FUZZ_ASSERT(coded != NULL);
    char *again = NULL;
    FUZZ_ASSERT(coding_decompress(coding, coded, coded_length, DECODE_LIMIT, &again,
                                  &again_length) == CODING_DECODED);
    FUZZ_ASSERT(again_length == decoded_length);
    FUZZ_ASSERT(decoded_length == 0 || memcmp(again, decoded, decoded_length) == 0);
    free(again);
    free(coded);
    free(decoded);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static const enum coding codings[4] = { CODING_GZIP, CODING_DEFLATE, CODING_BR,
                                            CODING_ZSTD };
    if (data[0] < 0x40)
        check_accept_encoding(data + 1, size - 1);
    else
        check_body(codings[data[0] % 4], data + 1, size - 1);
    return 0;
}
