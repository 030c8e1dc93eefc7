/* Entity tags and If-Match / If-None-Match lists (src/lib/etag.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "etag.h"

#include <string.h>

static void opaque_tags(void **state)
{
    (void)state;
    assert_true(etag_opaque_is_valid("abc"));
    assert_true(etag_opaque_is_valid("!#~"));
    assert_false(etag_opaque_is_valid(""));
    assert_false(etag_opaque_is_valid("a\"b"));
    assert_false(etag_opaque_is_valid("a b"));
    assert_false(etag_opaque_is_valid("a\x7f"));
    assert_false(etag_opaque_is_valid("caf\xc3\xa9")); /* obs-text never goes out */
    char longest[ETAG_MAX_LENGTH + 2];
    memset(longest, 'x', ETAG_MAX_LENGTH);
    longest[ETAG_MAX_LENGTH] = '\0';
    assert_true(etag_opaque_is_valid(longest));
    longest[ETAG_MAX_LENGTH] = 'x';
    longest[ETAG_MAX_LENGTH + 1] = '\0';
    assert_false(etag_opaque_is_valid(longest));
}

static void weak_comparison_ignores_w(void **state)
{
    (void)state;
    assert_true(etag_list_matches("\"a\"", "\"a\"", true));
    assert_true(etag_list_matches("W/\"a\"", "\"a\"", true));
    assert_true(etag_list_matches("\"x\", W/\"a\" ,\"y\"", "\"a\"", true));
    assert_false(etag_list_matches("\"b\"", "\"a\"", true));
}

static void strong_comparison_refuses_weak_tags(void **state)
{
    (void)state;
    assert_true(etag_list_matches("\"a\"", "\"a\"", false));
    assert_false(etag_list_matches("W/\"a\"", "\"a\"", false));
}

static void star_matches_any(void **state)
{
    (void)state;
    assert_true(etag_list_matches("*", "\"a\"", false));
    assert_true(etag_list_matches("  * ", "\"a\"", true));
    assert_false(etag_list_matches("*, \"a\"", "\"a\"", true)); /* "*" stands alone */
}

static void malformed_lists_match_nothing(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "a", "\"a", "w/\"a\"", "\"a\" \"a\"", "\"a\";", "W/a", "\"a\"x",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(etag_list_matches(bad[i], "\"a\"", true));
    /* Empty elements are allowed by the list syntax. */
    assert_true(etag_list_matches(",,\"a\",", "\"a\"", true));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(opaque_tags),
        cmocka_unit_test(weak_comparison_ignores_w),
        cmocka_unit_test(strong_comparison_refuses_weak_tags),
        cmocka_unit_test(star_matches_any),
        cmocka_unit_test(malformed_lists_match_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
