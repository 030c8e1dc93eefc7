/* Digest credentials (src/lib/digest.c): parsing, and which nonces are stale. A correct answer
 * is checked end to end against Python's hashlib (tests/h2/test_h2_routes.py). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "digest.h"

static const unsigned char key[32] = "unit test key, thirty-two bytes";

static void parses_quoted_and_bare_parameters(void **state)
{
    (void)state;
    struct digest_credentials c;
    assert_true(digest_parse("Digest username=\"Mufasa\", realm=\"r\", nonce=\"n\", "
                             "uri=\"/dir/index.html\", response=\"abc\", qop=auth, "
                             "nc=00000001, cnonce=\"c\", algorithm=SHA-256", &c));
    assert_string_equal(c.username, "Mufasa");
    assert_string_equal(c.uri, "/dir/index.html");
    assert_string_equal(c.qop, "auth");
    assert_string_equal(c.algorithm, "SHA-256");
    assert_true(digest_parse("digest username=\"a\\\"b\",nonce=n,uri=/,response=r", &c));
    assert_string_equal(c.username, "a\"b");
}

static void refuses_what_is_not_digest_or_incomplete(void **state)
{
    (void)state;
    struct digest_credentials c;
    assert_false(digest_parse("Basic dTpw", &c));
    assert_false(digest_parse("Digest username=\"u\", uri=\"/\", response=\"r\"", &c));
    assert_false(digest_parse("Digest username=\"unterminated", &c));
    assert_false(digest_parse(NULL, &c));
}

static struct digest_credentials answer_with(const char *nonce, const char *uri)
{
    struct digest_credentials c;
    memset(&c, 0, sizeof c);
    strcpy(c.username, "u");
    strcpy(c.realm, "r");
    strcpy(c.nonce, nonce);
    strcpy(c.uri, uri);
    strcpy(c.response, "00000000000000000000000000000000");
    strcpy(c.qop, "auth");
    strcpy(c.nc, "00000001");
    strcpy(c.cnonce, "c");
    return c;
}

static void nonces_are_bound_to_time_url_and_algorithm(void **state)
{
    (void)state;
    char nonce[DIGEST_NONCE_SIZE];
    digest_nonce_make(key, sizeof key, 1000, "r", DIGEST_HASH_MD5, "/a", nonce);
    assert_int_equal(strlen(nonce), DIGEST_NONCE_SIZE - 1);
    struct digest_credentials c = answer_with(nonce, "/a");
    /* A fresh nonce with a wrong answer: wrong, not stale. */
    assert_int_equal(digest_verify(&c, key, sizeof key, 1010, 300, "GET", "/a", "r",
                                   DIGEST_HASH_MD5, "u", "p"), DIGEST_VERDICT_WRONG);
    /* Too old, or for another URL or algorithm, or under another key: stale. */
    assert_int_equal(digest_verify(&c, key, sizeof key, 1301, 300, "GET", "/a", "r",
                                   DIGEST_HASH_MD5, "u", "p"), DIGEST_VERDICT_STALE);
    struct digest_credentials other = answer_with(nonce, "/b");
    assert_int_equal(digest_verify(&other, key, sizeof key, 1010, 300, "GET", "/b", "r",
                                   DIGEST_HASH_MD5, "u", "p"), DIGEST_VERDICT_STALE);
    assert_int_equal(digest_verify(&c, key, sizeof key, 1010, 300, "GET", "/a", "r",
                                   DIGEST_HASH_SHA256, "u", "p"), DIGEST_VERDICT_STALE);
    static const unsigned char other_key[32] = "another key, thirty-two bytes..";
    assert_int_equal(digest_verify(&c, other_key, sizeof other_key, 1010, 300, "GET", "/a",
                                   "r", DIGEST_HASH_MD5, "u", "p"), DIGEST_VERDICT_STALE);
    /* Made in the future (a forged time): stale. */
    assert_int_equal(digest_verify(&c, key, sizeof key, 900, 300, "GET", "/a", "r",
                                   DIGEST_HASH_MD5, "u", "p"), DIGEST_VERDICT_STALE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_quoted_and_bare_parameters),
        cmocka_unit_test(refuses_what_is_not_digest_or_incomplete),
        cmocka_unit_test(nonces_are_bound_to_time_url_and_algorithm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
