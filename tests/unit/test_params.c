/* Parameters that reach response headers: what gets through and what is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "params.h"

#include <string.h>

static void redirect_targets(void **state)
{
    (void)state;
    const char *good[] = { "/status/200", "https://example.org/x?y=1", "HTTP://a", "//host/p",
                           "relative/path", "?q=1", "/a:b" };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_true(params_valid_location(good[i]));
    const char *bad[] = { "", "javascript:alert(1)", "data:text/html,x", "ftp://x",
                          "/a\r\nX-Injected: 1", "/a b", "/a\tb", "/\x01", "/\x7f",
                          "/caf\xc3\xa9", "\\\\host" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(params_valid_location(bad[i]));
    char huge[3000];
    memset(huge, 'a', sizeof huge - 1);
    huge[0] = '/';
    huge[sizeof huge - 1] = '\0';
    assert_false(params_valid_location(huge));
}

/* ?content_type= of /status/{code} (issue 14): a media type, nothing that could end the
 * header line or add another. */
static void media_types(void **state)
{
    (void)state;
    const char *good[] = { "text/plain", "application/json; charset=utf-8", "text/csv;header=present",
                           "multipart/form-data; boundary=\"a b;c\"", "application/vnd.api+json",
                           "x/y ;  a=b" };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_true(params_valid_media_type(good[i]));
    const char *bad[] = { "", "text", "text/", "/plain", "text/plain\r\nX-Injected: 1",
                          "text/plain\nX: 1", "text/plain;", "text/plain; a", "text/plain; a=",
                          "text/plain; a=\"unterminated", "text/pl ain", "text/plain ",
                          "text/plain\t", "text/\x01", "text/caf\xc3\xa9", "text/plain; a=\"\x7f\"",
                          "text/plain, text/html", "text/plain; a=\"x\\" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(params_valid_media_type(bad[i]));
    char huge[300];
    memset(huge, 'a', sizeof huge - 1);
    huge[1] = '/';
    huge[sizeof huge - 1] = '\0';
    assert_false(params_valid_media_type(huge));
}

static void tokens_and_realms(void **state)
{
    (void)state;
    assert_true(params_valid_token("X-Custom_1"));
    assert_true(params_valid_token("GET"));
    assert_false(params_valid_token(""));
    assert_false(params_valid_token("X Custom"));
    assert_false(params_valid_token("X:Y"));
    assert_false(params_valid_token("X\r\n"));
    assert_true(params_valid_realm("statusd test"));
    assert_false(params_valid_realm("a\"b"));
    assert_false(params_valid_realm("a\\b"));
    assert_false(params_valid_realm("a\nb"));
    assert_false(params_valid_realm(""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(redirect_targets),
        cmocka_unit_test(media_types),
        cmocka_unit_test(tokens_and_realms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
