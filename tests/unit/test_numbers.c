/* Strict numbers for flags and parameters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "numbers.h"

static void integers_parse_strictly(void **state)
{
    (void)state;
    uint64_t v;
    assert_true(parse_uint("0", 10, &v) && v == 0);
    assert_true(parse_uint("18446744073709551615", UINT64_MAX, &v) && v == UINT64_MAX);
    assert_false(parse_uint("18446744073709551616", UINT64_MAX, &v));
    assert_false(parse_uint("11", 10, &v));
    assert_false(parse_uint("3", 2, &v)); /* a single digit above a small max */
    assert_true(parse_uint("2", 2, &v) && v == 2);
    const char *bad[] = { "", "-1", "+1", " 1", "1 ", "0x10", "1e3", "1.0" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(parse_uint(bad[i], UINT64_MAX, &v));
    assert_false(parse_uint(NULL, 10, &v));
}

static void seconds_become_milliseconds(void **state)
{
    (void)state;
    uint64_t ms;
    assert_true(parse_seconds_ms("1.5", 120000, &ms) && ms == 1500);
    assert_true(parse_seconds_ms("0.001", 120000, &ms) && ms == 1);
    assert_true(parse_seconds_ms("120", 120000, &ms) && ms == 120000);
    assert_false(parse_seconds_ms("120.001", 120000, &ms));
    assert_false(parse_seconds_ms("0.0001", 120000, &ms)); /* refused, never rounded */
    const char *bad[] = { "", "-1", ".5", "1.", "1..2", "1,5", "abc", "1e2", "99999999999999" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(parse_seconds_ms(bad[i], 120000, &ms));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(integers_parse_strictly),
        cmocka_unit_test(seconds_become_milliseconds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
