/* Percent-decoding (src/lib/urlencode.c): %XX, '+' only in form mode, malformed escapes kept. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "urlencode.h"

static void decode(const char *in, bool form, const char *expected, size_t expected_length)
{
    char text[64];
    strcpy(text, in);
    size_t n = url_decode(text, strlen(text), form);
    assert_int_equal(n, expected_length);
    assert_memory_equal(text, expected, n);
}

static void escapes_and_plus(void **state)
{
    (void)state;
    decode("a%20b", false, "a b", 3);
    decode("a+b", false, "a+b", 3);      /* a path keeps '+' */
    decode("a+b", true, "a b", 3);       /* a query or form makes it a space */
    decode("%E4%B8%AD", true, "\xe4\xb8\xad", 3);
    decode("%e4%b8%ad", true, "\xe4\xb8\xad", 3);
    decode("a%00b", true, "a\0b", 3);    /* a NUL is decoded; callers refuse it */
}

static void malformed_escapes_stay(void **state)
{
    (void)state;
    decode("100%", true, "100%", 4);
    decode("%4", true, "%4", 2);
    decode("%zz%41", true, "%zzA", 4);
    decode("", true, "", 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(escapes_and_plus),
        cmocka_unit_test(malformed_escapes_stay),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
