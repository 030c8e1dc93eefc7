/* /cookies, /cookies/set, /cookies/delete over real sockets (README "Cookies"): cookies are set
 * one Set-Cookie line each with the attributes asked for, and nothing a client sends can end a
 * value early, add an attribute of its own or start a header line. */
#include "http.h"
#include "server.h"

#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

/* The index-th Set-Cookie line of the final head, or NULL. */
static const char *set_cookie(const struct http_response *r, size_t index)
{
    const struct http_head *head = &r->heads[r->head_count - 1];
    for (size_t i = 0; i < head->header_count; i++)
        if (strcasecmp(head->headers[i].name, "Set-Cookie") == 0 && index-- == 0)
            return head->headers[i].value;
    return NULL;
}

/* A 302 to /cookies carrying exactly the Set-Cookie lines given (NULL-terminated). */
static void assert_sets(void **state, const char *target, const char *const *lines)
{
    struct http_response *r = http_get(state, target);
    assert_true(http_expect_status(r, 302));
    assert_string_equal(http_header(r, "Location"), "/cookies");
    size_t n = 0;
    for (; lines[n]; n++) {
        const char *line = set_cookie(r, n);
        if (!line || strcmp(line, lines[n]) != 0)
            fail_msg("%s: Set-Cookie #%zu is '%s', want '%s'", target, n, line ? line : "(none)",
                     lines[n]);
    }
    assert_int_equal(http_header_count(r, "Set-Cookie"), n);
    http_response_free(r);
}

/* A 400 naming parameter, with no Set-Cookie at all. */
static void assert_refused(void **state, const char *target, const char *parameter)
{
    struct http_response *r = http_get(state, target);
    http_assert_bad_parameter(r, parameter);
    assert_int_equal(http_header_count(r, "Set-Cookie"), 0);
    assert_null(http_header(r, "X-Evil"));
    http_response_free(r);
}

static void cookies_lists_what_arrived_as_json(void **state)
{
    struct http_response *r =
        http_get_with(state, "/cookies", "Cookie: a=1; b=two; empty=; theme=dark");
    assert_true(http_expect_status(r, 200));
    assert_string_equal(http_header(r, "Content-Type"), "application/json");
    json_error_t error;
    json_t *root = json_loadb(r->body, r->body_length, 0, &error);
    assert_non_null(root);
    json_t *cookies = json_object_get(root, "cookies");
    assert_int_equal(json_object_size(cookies), 4);
    assert_string_equal(json_string_value(json_object_get(cookies, "a")), "1");
    assert_string_equal(json_string_value(json_object_get(cookies, "b")), "two");
    assert_string_equal(json_string_value(json_object_get(cookies, "empty")), "");
    json_decref(root);
    http_response_free(r);
    r = http_get(state, "/cookies");
    assert_true(http_expect_status(r, 200));
    assert_true(http_body_contains(r, "\"cookies\": {}"));
    http_response_free(r);
}

static void set_by_query_sends_one_set_cookie_per_cookie(void **state)
{
    assert_sets(state, "/cookies/set?a=1&b=two",
                (const char *[]){ "a=1; Path=/", "b=two; Path=/", NULL });
    assert_sets(state, "/cookies/set?flag", (const char *[]){ "flag=; Path=/", NULL });
}

static void set_by_path_sends_one_cookie(void **state)
{
    assert_sets(state, "/cookies/set/session/abc123", (const char *[]){ "session=abc123; Path=/", NULL });
    /* A cookie called like an attribute parameter is set through the path. */
    assert_sets(state, "/cookies/set/path/x", (const char *[]){ "path=x; Path=/", NULL });
}

static void attributes_are_set_from_their_parameters(void **state)
{
    assert_sets(state, "/cookies/set?a=1&secure&httponly=1&samesite=strict&max_age=60&path=/x",
                (const char *[]){ "a=1; Path=/x; Max-Age=60; Secure; HttpOnly; SameSite=Strict",
                                  NULL });
    assert_sets(state, "/cookies/set/a/1?samesite=None&secure=true",
                (const char *[]){ "a=1; Path=/; Secure; SameSite=None", NULL });
    assert_sets(state, "/cookies/set?a=1&secure=0&samesite=Lax",
                (const char *[]){ "a=1; Path=/; SameSite=Lax", NULL });
}

static void delete_expires_each_named_cookie(void **state)
{
    assert_sets(state, "/cookies/delete?a&b",
                (const char *[]){ "a=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
                                  "b=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
                                  NULL });
    assert_refused(state, "/cookies/delete", "name");
    assert_refused(state, "/cookies/set", "name");
}

static void values_that_could_inject_are_400(void **state)
{
    /* CR LF, a ';' that would start an attribute, ',', a space, quotes, a backslash, a tab,
     * a byte past ASCII. */
    assert_refused(state, "/cookies/set?a=1%0d%0aX-Evil:%201", "a");
    assert_refused(state, "/cookies/set?a=1%0aX-Evil:1", "a");
    assert_refused(state, "/cookies/set?a=1;%20Domain=evil.example", "a");
    assert_refused(state, "/cookies/set?a=1,b=2", "a");
    assert_refused(state, "/cookies/set?a=x%20y", "a");
    assert_refused(state, "/cookies/set?a=%22q%22", "a");
    assert_refused(state, "/cookies/set?a=back%5Cslash", "a");
    assert_refused(state, "/cookies/set?a=tab%09", "a");
    assert_refused(state, "/cookies/set?a=%C3%A9", "a");
    assert_refused(state, "/cookies/set/a/1%0d%0aX-Evil:1", "value");
    assert_refused(state, "/cookies/set/a/1;%20Secure", "value");
    /* One bad cookie refuses the whole request: nothing is half set. */
    assert_refused(state, "/cookies/set?good=1&bad=%0d%0a", "bad");
}

static void names_that_are_not_tokens_are_400(void **state)
{
    struct http_response *r = http_get(state, "/cookies/set?a%20b=1");
    assert_true(http_expect_status(r, 400));
    assert_true(http_body_contains(r, "(cookie name)"));
    assert_int_equal(http_header_count(r, "Set-Cookie"), 0);
    http_response_free(r);
    assert_refused(state, "/cookies/set?a%0d%0aX-Evil:1=1", "(cookie name)");
    assert_refused(state, "/cookies/set/a;b/1", "name");
    assert_refused(state, "/cookies/set/a%3D/1", "name");
    assert_refused(state, "/cookies/set/a/b/c", "name");
    assert_refused(state, "/cookies/delete?a%20b", "(cookie name)");
}

static void bad_attributes_are_400(void **state)
{
    assert_refused(state, "/cookies/set?a=1&samesite=always", "samesite");
    assert_refused(state, "/cookies/set?a=1&samesite=None", "samesite"); /* needs secure */
    assert_refused(state, "/cookies/set?a=1&max_age=-1", "max_age");
    assert_refused(state, "/cookies/set?a=1&max_age=34560001", "max_age");
    assert_refused(state, "/cookies/set?a=1&path=x", "path");
    assert_refused(state, "/cookies/set?a=1&path=/x;%20Domain=evil", "path");
    assert_refused(state, "/cookies/set?a=1&path=/x%0d%0aX-Evil:1", "path");
    assert_refused(state, "/cookies/set?a=1&secure=maybe", "secure");
    assert_refused(state, "/cookies/set?a=1&httponly=2", "httponly");
}

static void too_many_cookies_are_400(void **state)
{
    char target[512] = "/cookies/set?";
    for (int i = 0; i < 11; i++)
        snprintf(target + strlen(target), sizeof target - strlen(target), "c%d=1&", i);
    struct http_response *r = http_get(state, target);
    assert_true(http_expect_status(r, 400));
    assert_true(http_body_contains(r, "Too many cookies"));
    assert_int_equal(http_header_count(r, "Set-Cookie"), 0);
    http_response_free(r);
    /* Ten cookies with the longest path and every attribute: over the byte budget, a 400
     * (not a reply too big for the request's scratch space, which would be a 500). */
    char path[257] = "/";
    memset(path + 1, 'p', 255);
    path[256] = '\0';
    char *long_target = malloc(1024);
    assert_non_null(long_target);
    snprintf(long_target, 1024,
             "/cookies/set?c0=1&c1=1&c2=1&c3=1&c4=1&c5=1&c6=1&c7=1&c8=1&c9=%0200d&path=%s"
             "&secure&httponly&samesite=Strict&max_age=34560000", 0, path);
    r = http_get(state, long_target);
    assert_true(http_expect_status(r, 400));
    assert_true(http_body_contains(r, "Too many cookies"));
    http_response_free(r);
    /* Five of them fit. */
    snprintf(long_target, 1024,
             "/cookies/set?c0=1&c1=1&c2=1&c3=1&c4=%0200d&path=%s&secure&httponly"
             "&samesite=Strict&max_age=34560000", 0, path);
    r = http_get(state, long_target);
    assert_true(http_expect_status(r, 302));
    assert_int_equal(http_header_count(r, "Set-Cookie"), 5);
    http_response_free(r);
    free(long_target);
    /* /cookies/delete does not judge values it does not send. */
    r = http_get(state, "/cookies/delete?a=%0d%0a");
    assert_true(http_expect_status(r, 302));
    assert_string_equal(set_cookie(r, 0), "a=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT");
    http_response_free(r);
    /* Ten is the limit, and fits. */
    target[strlen("/cookies/set?c0=1&c1=1&c2=1&c3=1&c4=1&c5=1&c6=1&c7=1&c8=1&c9=1")] = '\0';
    r = http_get(state, target);
    assert_true(http_expect_status(r, 302));
    assert_int_equal(http_header_count(r, "Set-Cookie"), 10);
    http_response_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cookies_lists_what_arrived_as_json),
        cmocka_unit_test(set_by_query_sends_one_set_cookie_per_cookie),
        cmocka_unit_test(set_by_path_sends_one_cookie),
        cmocka_unit_test(attributes_are_set_from_their_parameters),
        cmocka_unit_test(delete_expires_each_named_cookie),
        cmocka_unit_test(values_that_could_inject_are_400),
        cmocka_unit_test(names_that_are_not_tokens_are_400),
        cmocka_unit_test(bad_attributes_are_400),
        cmocka_unit_test(too_many_cookies_are_400),
    };
    return cmocka_run_group_tests_name("cookies", tests, server_group_setup, server_group_teardown);
}
