/* Comma-separated lists (src/lib/httplist.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "httplist.h"

#include <stdio.h>
#include <string.h>

/* The elements of list joined with '|', to compare in one line. */
static const char *elements(const char *list)
{
    static char out[256];
    size_t used = 0;
    struct httplist_item item;
    out[0] = '\0';
    while (httplist_next(&list, &item))
        used += (size_t)snprintf(out + used, sizeof out - used, "%s%.*s", used ? "|" : "",
                                 (int)item.length, item.start);
    return out;
}

static void splits_and_trims(void **state)
{
    (void)state;
    assert_string_equal(elements("a,b"), "a|b");
    assert_string_equal(elements(" a , b\t,\tc "), "a|b|c");
    assert_string_equal(elements("text/html;q=0.5, */*"), "text/html;q=0.5|*/*");
    assert_string_equal(elements("one two, three"), "one two|three");
}

static void skips_empty_elements(void **state)
{
    (void)state;
    assert_string_equal(elements(""), "");
    assert_string_equal(elements(" , ,,\t"), "");
    assert_string_equal(elements(",a,,b,"), "a|b");
}

static void tokens_are_case_insensitive_whole_elements(void **state)
{
    (void)state;
    assert_true(httplist_has_token("keep-alive, Upgrade", "upgrade"));
    assert_true(httplist_has_token("UPGRADE", "upgrade"));
    assert_false(httplist_has_token("upgraded", "upgrade"));
    assert_false(httplist_has_token("up grade", "upgrade"));
    assert_false(httplist_has_token("", "upgrade"));
    assert_false(httplist_has_token(NULL, "upgrade"));
}

static void empty_elements_are_found_for_strict_lists(void **state)
{
    (void)state;
    assert_false(httplist_has_empty_element("GET"));
    assert_false(httplist_has_empty_element("GET, PUT ,\tPATCH"));
    assert_true(httplist_has_empty_element(""));
    assert_true(httplist_has_empty_element("  "));
    assert_true(httplist_has_empty_element("GET,,PUT"));
    assert_true(httplist_has_empty_element("GET, ,PUT"));
    assert_true(httplist_has_empty_element(",GET"));
    assert_true(httplist_has_empty_element("GET,"));
    assert_true(httplist_has_empty_element("GET, "));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(splits_and_trims),
        cmocka_unit_test(skips_empty_elements),
        cmocka_unit_test(tokens_are_case_insensitive_whole_elements),
        cmocka_unit_test(empty_elements_are_found_for_strict_lists),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
