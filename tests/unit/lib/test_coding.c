/* The content codings (src/lib/coding.c): each round-trips through its library, a decoder
 * stops at its limit (a "bomb" never grows past it), and corrupt, truncated or trailing data
 * is refused rather than half-decoded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "coding.h"
#include "once.h"

#include <stdlib.h>
#include <string.h>

static const enum coding compressed[] = { CODING_GZIP, CODING_DEFLATE, CODING_BR, CODING_ZSTD };
#define COMPRESSED_COUNT (sizeof compressed / sizeof compressed[0])

static char *repeated(size_t length)
{
    char *text = malloc(length);
    assert_non_null(text);
    for (size_t i = 0; i < length; i++)
        text[i] = "statusd 状态 "[i % 14];
    return text;
}

static void every_coding_round_trips(void **state)
{
    (void)state;
    size_t lengths[] = { 0, 1, 100, 200000 };
    for (size_t c = 0; c < COMPRESSED_COUNT; c++)
        for (size_t l = 0; l < sizeof lengths / sizeof lengths[0]; l++) {
            char *plain = repeated(lengths[l] ? lengths[l] : 1);
            size_t coded_length, decoded_length;
            char *coded = coding_compress(compressed[c], plain, lengths[l], &coded_length);
            assert_non_null(coded);
            if (lengths[l] > 100)
                assert_true(coded_length < lengths[l] / 10); /* it did compress */
            char *decoded;
            assert_int_equal(coding_decompress(compressed[c], coded, coded_length, lengths[l],
                                               &decoded, &decoded_length),
                             CODING_DECODED);
            assert_int_equal(decoded_length, lengths[l]);
            if (lengths[l])
                assert_memory_equal(decoded, plain, lengths[l]);
            free(decoded);
            free(coded);
            free(plain);
        }
}

static void formats_are_the_registered_ones(void **state)
{
    (void)state;
    size_t n;
    char *gzip = coding_compress(CODING_GZIP, "x", 1, &n);
    assert_true(n > 2 && (unsigned char)gzip[0] == 0x1f && (unsigned char)gzip[1] == 0x8b);
    free(gzip);
    /* deflate is the zlib format (RFC 9110 §8.4.1.2): CMF 0x78, and CMF*256+FLG % 31 == 0. */
    char *zlib = coding_compress(CODING_DEFLATE, "x", 1, &n);
    assert_int_equal((unsigned char)zlib[0], 0x78);
    assert_int_equal(((unsigned char)zlib[0] * 256 + (unsigned char)zlib[1]) % 31, 0);
    free(zlib);
    char *zstd = coding_compress(CODING_ZSTD, "x", 1, &n);
    assert_memory_equal(zstd, "\x28\xb5\x2f\xfd", 4); /* the frame's magic number */
    free(zstd);
}

static void a_bomb_stops_at_the_limit(void **state)
{
    (void)state;
    size_t big = 4u << 20;
    char *zeros = calloc(1, big);
    assert_non_null(zeros);
    for (size_t c = 0; c < COMPRESSED_COUNT; c++) {
        size_t coded_length, decoded_length = 99;
        char *coded = coding_compress(compressed[c], zeros, big, &coded_length);
        assert_non_null(coded);
        char *decoded = (char *)1;
        assert_int_equal(coding_decompress(compressed[c], coded, coded_length, 65536, &decoded,
                                           &decoded_length),
                         CODING_TOO_LARGE);
        assert_null(decoded);
        assert_int_equal(decoded_length, 0);
        /* Exactly at the limit is allowed. */
        assert_int_equal(coding_decompress(compressed[c], coded, coded_length, big, &decoded,
                                           &decoded_length),
                         CODING_DECODED);
        assert_int_equal(decoded_length, big);
        free(decoded);
        assert_int_equal(coding_decompress(compressed[c], coded, coded_length, big - 1, &decoded,
                                           &decoded_length),
                         CODING_TOO_LARGE);
        free(coded);
    }
    free(zeros);
}

static void corrupt_truncated_and_trailing_data_are_refused(void **state)
{
    (void)state;
    char *plain = repeated(5000);
    for (size_t c = 0; c < COMPRESSED_COUNT; c++) {
        size_t coded_length, decoded_length;
        char *decoded;
        char *coded = coding_compress(compressed[c], plain, 5000, &coded_length);
        assert_non_null(coded);
        /* Cut short. */
        assert_int_equal(coding_decompress(compressed[c], coded, coded_length - 3, 1 << 20,
                                           &decoded, &decoded_length),
                         CODING_CORRUPT);
        /* Something after the end. */
        char *longer = malloc(coded_length + 4);
        memcpy(longer, coded, coded_length);
        memcpy(longer + coded_length, "junk", 4);
        assert_int_equal(coding_decompress(compressed[c], longer, coded_length + 4, 1 << 20,
                                           &decoded, &decoded_length),
                         CODING_CORRUPT);
        free(longer);
        /* Not that coding at all. */
        assert_int_equal(coding_decompress(compressed[c], "hello, world", 12, 1 << 20, &decoded,
                                           &decoded_length),
                         CODING_CORRUPT);
        free(coded);
    }
    free(plain);
}

static void gzip_members_follow_one_another(void **state)
{
    (void)state;
    size_t a_length, b_length, decoded_length;
    char *a = coding_compress(CODING_GZIP, "first ", 6, &a_length);
    char *b = coding_compress(CODING_GZIP, "second", 6, &b_length);
    char *both = malloc(a_length + b_length);
    memcpy(both, a, a_length);
    memcpy(both + a_length, b, b_length);
    char *decoded;
    assert_int_equal(coding_decompress(CODING_GZIP, both, a_length + b_length, 100, &decoded,
                                       &decoded_length),
                     CODING_DECODED);
    assert_int_equal(decoded_length, 12);
    assert_memory_equal(decoded, "first second", 12);
    free(decoded);
    free(both);
    free(a);
    free(b);
}

static void names_are_the_registry_tokens(void **state)
{
    (void)state;
    enum coding coding;
    assert_true(coding_from_name("br", 2, &coding));
    assert_int_equal(coding, CODING_BR);
    assert_true(coding_from_name("X-GZIP", 6, &coding));
    assert_int_equal(coding, CODING_GZIP);
    assert_true(coding_from_name("identity", 8, &coding));
    assert_int_equal(coding, CODING_IDENTITY);
    assert_false(coding_from_name("compress", 8, &coding));
    assert_false(coding_from_name("brotli", 6, &coding));
    assert_false(coding_from_name("gzip", 3, &coding)); /* "gzi" */
}

static void a_coded_form_is_made_once(void **state)
{
    (void)state;
    struct once slot = { NULL };
    const struct coded_form *first = coding_once(&slot, CODING_ZSTD, "abcabcabc", 9);
    const struct coded_form *second = coding_once(&slot, CODING_ZSTD, "abcabcabc", 9);
    assert_non_null(first);
    assert_ptr_equal(first, second);
    char *decoded;
    size_t decoded_length;
    assert_int_equal(coding_decompress(CODING_ZSTD, first->bytes, first->length, 9, &decoded,
                                       &decoded_length),
                     CODING_DECODED);
    assert_memory_equal(decoded, "abcabcabc", 9);
    free(decoded);
    once_clear(&slot, coded_form_free);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_coding_round_trips),
        cmocka_unit_test(formats_are_the_registered_ones),
        cmocka_unit_test(a_bomb_stops_at_the_limit),
        cmocka_unit_test(corrupt_truncated_and_trailing_data_are_refused),
        cmocka_unit_test(gzip_members_follow_one_another),
        cmocka_unit_test(names_are_the_registry_tokens),
        cmocka_unit_test(a_coded_form_is_made_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
