/* Base64 (src/lib/base64.c): RFC 4648 §10's test vectors both ways, in both alphabets, with
 * and without padding, and what the decoder refuses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base64.h"

#include <string.h>

/* text encoded, as a NUL-terminated string (at most 63 characters). */
static const char *encoded(const char *text, bool url_safe, bool pad)
{
    static char out[64];
    size_t length = strlen(text);
    size_t n = base64_encode((const unsigned char *)text, length, url_safe, pad, out);
    assert_int_equal(n, base64_encoded_length(length, pad));
    out[n] = '\0';
    return out;
}

/* digits decoded with room for max bytes, as a string; NULL when refused. */
static const char *decoded(const char *digits, size_t max)
{
    static char out[64];
    size_t length = 99;
    assert_true(max < sizeof out);
    if (!base64_decode_digits(digits, strlen(digits), (unsigned char *)out, max, &length))
        return NULL;
    out[length] = '\0';
    return out;
}

static void encodes_the_rfc_vectors(void **state)
{
    (void)state;
    static const char *const vectors[][3] = {
        { "", "", "" },
        { "f", "Zg==", "Zg" },
        { "fo", "Zm8=", "Zm8" },
        { "foo", "Zm9v", "Zm9v" },
        { "foob", "Zm9vYg==", "Zm9vYg" },
        { "fooba", "Zm9vYmE=", "Zm9vYmE" },
        { "foobar", "Zm9vYmFy", "Zm9vYmFy" },
    };
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        assert_string_equal(encoded(vectors[i][0], false, true), vectors[i][1]);
        assert_string_equal(encoded(vectors[i][0], false, false), vectors[i][2]);
        assert_string_equal(decoded(vectors[i][2], 32), vectors[i][0]);
    }
}

static void the_alphabets_differ_in_two_digits(void **state)
{
    (void)state;
    /* 0xfb 0xff: digits 62 and 63 */
    assert_string_equal(encoded("\xfb\xff", false, true), "+/8=");
    assert_string_equal(encoded("\xfb\xff", true, false), "-_8");
    assert_string_equal(decoded("+/8", 32), "\xfb\xff");
    assert_string_equal(decoded("-_8", 32), "\xfb\xff");
}

static void refuses_what_is_not_canonical_base64(void **state)
{
    (void)state;
    assert_null(decoded("Zm9v!", 32));   /* a foreign character */
    assert_null(decoded("Zg==", 32));    /* padding is the caller's to take off */
    assert_null(decoded("Zm9vY", 32));   /* a lone last digit */
    assert_null(decoded("Zh", 32));      /* low bits left over that are not 0 */
    assert_null(decoded("Zm9vYmFy", 5)); /* 6 bytes, room for 5 */
    assert_string_equal(decoded("Zm9vYmFy", 6), "foobar");
    assert_string_equal(decoded("", 0), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(encodes_the_rfc_vectors),
        cmocka_unit_test(the_alphabets_differ_in_two_digits),
        cmocka_unit_test(refuses_what_is_not_canonical_base64),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
