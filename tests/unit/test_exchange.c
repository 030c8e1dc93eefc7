/* struct reply's header table (src/http/exchange.c): what is refused as input, and what marks
 * the reply failed so that the daemon answers 500 instead of sending it without a header. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "exchange.h"

#include <stdio.h>

static void unsafe_values_are_refused_without_failing(void **state)
{
    (void)state;
    struct reply reply = { 0 };
    assert_false(reply_set_header(&reply, "X-A", "a\r\nSet-Cookie: x=1"));
    assert_false(reply_set_header(&reply, "X-A", "tab\there"));
    assert_false(reply_set_header(&reply, "X-A", ""));
    assert_int_equal(reply.header_count, 0);
    assert_false(reply.failed);
}

static void a_missing_value_fails_the_reply(void **state)
{
    (void)state;
    struct reply reply = { 0 };
    assert_false(reply_set_header(&reply, "X-A", NULL)); /* an exhausted arena's NULL */
    assert_true(reply.failed);
}

static void a_full_table_fails_the_reply(void **state)
{
    (void)state;
    static char names[REPLY_MAX_HEADERS + 1][16];
    struct reply reply = { 0 };
    for (int i = 0; i < REPLY_MAX_HEADERS; i++) {
        snprintf(names[i], sizeof names[i], "X-%d", i);
        assert_true(reply_set_header(&reply, names[i], "v"));
    }
    assert_false(reply.failed);
    assert_true(reply_set_header(&reply, "x-0", "replaced")); /* same name: replaced */
    assert_string_equal(reply_get_header(&reply, "X-0"), "replaced");
    snprintf(names[REPLY_MAX_HEADERS], sizeof names[0], "X-%d", REPLY_MAX_HEADERS);
    assert_false(reply_set_header(&reply, names[REPLY_MAX_HEADERS], "v"));
    assert_true(reply.failed);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(unsafe_values_are_refused_without_failing),
        cmocka_unit_test(a_missing_value_fails_the_reply),
        cmocka_unit_test(a_full_table_fails_the_reply),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
