/* Credentials in header values (src/lib/credentials.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "credentials.h"

#include <string.h>

static void scheme_is_case_insensitive_and_trimmed(void **state)
{
    (void)state;
    size_t n;
    const char *token = credentials_of_scheme("basic   QWxhZGRpbg== \t", "Basic", &n);
    assert_non_null(token);
    assert_int_equal(n, strlen("QWxhZGRpbg=="));
    assert_null(credentials_of_scheme("Basicx QQ==", "Basic", &n));
    assert_null(credentials_of_scheme("Bearer abc", "Basic", &n));
    assert_non_null(credentials_of_scheme("Bearer", "Bearer", &n));
    assert_int_equal(n, 0);
}

static void basic_splits_at_the_first_colon(void **state)
{
    (void)state;
    char out[CREDENTIALS_BASIC_MAX_DECODED];
    size_t length, user;
    /* "Aladdin:open:sesame" */
    const char *encoded = "QWxhZGRpbjpvcGVuOnNlc2FtZQ==";
    assert_true(credentials_basic_decode(encoded, strlen(encoded), out, &length, &user));
    assert_int_equal(length, strlen("Aladdin:open:sesame"));
    assert_int_equal(user, strlen("Aladdin"));
    assert_memory_equal(out + user + 1, "open:sesame", strlen("open:sesame"));
}

static void basic_refuses_what_is_not_base64_of_user_colon_password(void **state)
{
    (void)state;
    char out[CREDENTIALS_BASIC_MAX_DECODED];
    size_t length, user;
    static const char *const bad[] = {
        "QWxhZGRpbg==",  /* "Aladdin": no colon */
        "QWxh ZGRp",     /* a space */
        "QWxhZA=x",      /* '=' not at the end */
        "QWxhZGRpbjpvcGVuOnNlc2FtZR==", /* bits left over in the padding */
        "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(credentials_basic_decode(bad[i], strlen(bad[i]), out, &length, &user));
    char longest[CREDENTIALS_BASIC_MAX_BASE64 + 5];
    memset(longest, 'A', sizeof longest - 1);
    longest[sizeof longest - 1] = '\0';
    assert_false(credentials_basic_decode(longest, strlen(longest), out, &length, &user));
}

static void bearer_tokens(void **state)
{
    (void)state;
    assert_true(credentials_is_b64token("abc-._~+/", 9));
    assert_true(credentials_is_b64token("abc==", 5));
    assert_false(credentials_is_b64token("a=b", 3));
    assert_false(credentials_is_b64token("=", 1));
    assert_false(credentials_is_b64token("a b", 3));
    assert_false(credentials_is_b64token("", 0));
}

static void equal_compares_whole_values(void **state)
{
    (void)state;
    assert_true(credentials_equal("secret", 6, "secret", 6));
    assert_false(credentials_equal("secre", 5, "secret", 6));
    assert_false(credentials_equal("secrets", 7, "secret", 6));
    assert_false(credentials_equal("Secret", 6, "secret", 6));
    assert_true(credentials_equal("", 0, "", 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(scheme_is_case_insensitive_and_trimmed),
        cmocka_unit_test(basic_splits_at_the_first_colon),
        cmocka_unit_test(basic_refuses_what_is_not_base64_of_user_colon_password),
        cmocka_unit_test(bearer_tokens),
        cmocka_unit_test(equal_compares_whole_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
