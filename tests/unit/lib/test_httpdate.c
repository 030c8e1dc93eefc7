/* HTTP dates (src/lib/httpdate.c): the three forms in, IMF-fixdate out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "httpdate.h"

#include <string.h>

/* RFC 9110 §5.6.7's own example instant. */
#define EXAMPLE_TIME ((time_t)784111777)

static void formats_imf_fixdate(void **state)
{
    (void)state;
    char out[HTTP_DATE_SIZE];
    http_date_format(EXAMPLE_TIME, out);
    assert_string_equal(out, "Sun, 06 Nov 1994 08:49:37 GMT");
    http_date_format(0, out);
    assert_string_equal(out, "Thu, 01 Jan 1970 00:00:00 GMT");
    http_date_format((time_t)951782400, out); /* a leap day */
    assert_string_equal(out, "Tue, 29 Feb 2000 00:00:00 GMT");
}

static void parses_the_three_forms(void **state)
{
    (void)state;
    time_t when = 0;
    assert_true(http_date_parse("Sun, 06 Nov 1994 08:49:37 GMT", &when));
    assert_int_equal(when, EXAMPLE_TIME);
    when = 0;
    assert_true(http_date_parse("Sunday, 06-Nov-94 08:49:37 GMT", &when));
    assert_int_equal(when, EXAMPLE_TIME);
    when = 0;
    assert_true(http_date_parse("Sun Nov  6 08:49:37 1994", &when));
    assert_int_equal(when, EXAMPLE_TIME);
}

static void round_trips(void **state)
{
    (void)state;
    char out[HTTP_DATE_SIZE];
    for (time_t t = 0; t < (time_t)4102444800; t += 86400 * 37 + 3601) {
        time_t back = -1;
        http_date_format(t, out);
        assert_true(http_date_parse(out, &back));
        assert_int_equal(back, t);
    }
}

static void refuses_what_the_grammar_does_not_allow(void **state)
{
    (void)state;
    static const char *const bad[] = {
        NULL,
        "",
        "sun, 06 Nov 1994 08:49:37 GMT",   /* names are case-sensitive */
        "Sun, 06 Nov 1994 08:49:37 UTC",   /* only GMT */
        "Sun, 6 Nov 1994 08:49:37 GMT",    /* two-digit day */
        " Sun, 06 Nov 1994 08:49:37 GMT",  /* no surrounding whitespace */
        "Sun, 06 Nov 1994 08:49:37 GMT ",
        "Sun, 31 Feb 1994 08:49:37 GMT",   /* no such day */
        "Sun, 29 Feb 1900 08:49:37 GMT",   /* 1900 was not a leap year */
        "Sun, 06 Nov 1994 24:00:00 GMT",
        "Sun, 06 Nov 1994 08:60:00 GMT",
        "Sun, 06 Foo 1994 08:49:37 GMT",
        "Sun Nov  6 08:49:37 94",
        "1994-11-06T08:49:37Z",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        time_t when = 42;
        assert_false(http_date_parse(bad[i], &when));
        assert_int_equal(when, 42); /* untouched */
    }
}

static void leap_second_is_admitted(void **state)
{
    (void)state;
    time_t when;
    assert_true(http_date_parse("Sat, 31 Dec 2016 23:59:60 GMT", &when));
    assert_int_equal(when, (time_t)1483228800);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(formats_imf_fixdate),
        cmocka_unit_test(parses_the_three_forms),
        cmocka_unit_test(round_trips),
        cmocka_unit_test(refuses_what_the_grammar_does_not_allow),
        cmocka_unit_test(leap_second_is_admitted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
