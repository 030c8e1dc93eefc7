/* Accept and Accept-Language: which representation and which language order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "negotiate.h"

static void no_accept_gives_text(void **state)
{
    (void)state;
    assert_int_equal(negotiate_format(NULL), FORMAT_TEXT);
    assert_int_equal(negotiate_format(""), FORMAT_TEXT);
    assert_int_equal(negotiate_format("*/*"), FORMAT_TEXT);
}

static void exact_types_are_chosen(void **state)
{
    (void)state;
    assert_int_equal(negotiate_format("application/json"), FORMAT_JSON);
    assert_int_equal(negotiate_format("text/html"), FORMAT_HTML);
    assert_int_equal(negotiate_format("text/plain"), FORMAT_TEXT);
    assert_int_equal(negotiate_format("APPLICATION/JSON"), FORMAT_JSON);
    assert_int_equal(negotiate_format("application/json; charset=utf-8"), FORMAT_JSON);
}

static void browser_accept_gives_html(void **state)
{
    (void)state;
    assert_int_equal(negotiate_format("text/html,application/xhtml+xml,application/xml;q=0.9,"
                                      "image/avif,image/webp,*/*;q=0.8"),
                     FORMAT_HTML);
}

static void quality_values_are_honoured(void **state)
{
    (void)state;
    assert_int_equal(negotiate_format("application/json;q=0.5, text/html"), FORMAT_HTML);
    assert_int_equal(negotiate_format("text/html;q=0, application/json"), FORMAT_JSON);
    assert_int_equal(negotiate_format("text/plain;q=0.1, application/json;q=0.2"), FORMAT_JSON);
    assert_int_equal(negotiate_format("text/*;q=0.9, application/json;q=0.8"), FORMAT_TEXT);
    assert_int_equal(negotiate_format("application/json ; q=0.002, text/plain;q=0.001"),
                     FORMAT_JSON);
}

static void more_specific_range_decides(void **state)
{
    (void)state;
    /* text/html is excluded by its own q=0 even though text/ * allows it. */
    assert_int_equal(negotiate_format("text/*, text/html;q=0"), FORMAT_TEXT);
    assert_false(negotiate_accepts("text/*, text/html;q=0", FORMAT_HTML));
    assert_true(negotiate_accepts("text/*, text/html;q=0", FORMAT_TEXT));
    assert_false(negotiate_accepts("image/png", FORMAT_JSON));
}

static void ties_go_to_the_first_listed(void **state)
{
    (void)state;
    assert_int_equal(negotiate_format("application/json, text/plain"), FORMAT_JSON);
    assert_int_equal(negotiate_format("text/plain, application/json"), FORMAT_TEXT);
}

static void nothing_acceptable_falls_back_to_text(void **state)
{
    (void)state;
    assert_int_equal(negotiate_format("image/png"), FORMAT_TEXT);
    assert_int_equal(negotiate_format("*/*;q=0"), FORMAT_TEXT);
    assert_int_equal(negotiate_format(",,,;;;q=,"), FORMAT_TEXT);
}

static void languages_default_to_chinese_first(void **state)
{
    (void)state;
    assert_int_equal(negotiate_languages(NULL), LANGUAGES_ZH_EN);
    assert_int_equal(negotiate_languages("fr"), LANGUAGES_ZH_EN);
    assert_int_equal(negotiate_languages("zh-CN,zh;q=0.9,en;q=0.8"), LANGUAGES_ZH_EN);
}

static void english_preference_puts_english_first(void **state)
{
    (void)state;
    assert_int_equal(negotiate_languages("en-US,en;q=0.9"), LANGUAGES_EN_ZH);
    assert_int_equal(negotiate_languages("zh;q=0.5, en"), LANGUAGES_EN_ZH);
    assert_int_equal(negotiate_languages("en, zh"), LANGUAGES_EN_ZH);
    assert_int_equal(negotiate_languages("fr, en;q=0.2"), LANGUAGES_EN_ZH);
    /* "english" is not the language tag "en". */
    assert_int_equal(negotiate_languages("english"), LANGUAGES_ZH_EN);
}

static void parameter_names_are_strict(void **state)
{
    (void)state;
    enum format f;
    enum languages l;
    assert_true(negotiate_format_name("json", &f) && f == FORMAT_JSON);
    assert_false(negotiate_format_name("JSON", &f));
    assert_false(negotiate_format_name("xml", &f));
    assert_true(negotiate_language_name("en", &l) && l == LANGUAGES_EN);
    assert_false(negotiate_language_name("fr", &l));
    assert_int_equal(languages_count(LANGUAGES_EN), 1);
    assert_int_equal(languages_at(LANGUAGES_EN_ZH, 1), LANGUAGE_ZH);
}

static void quality_of_any_media_type(void **state)
{
    (void)state;
    assert_true(negotiate_quality(NULL, "text/csv") == 1.0);
    assert_true(negotiate_quality("", "text/csv") == 1.0);
    assert_true(negotiate_quality("application/json;q=0.1, text/csv;q=0.9", "text/csv") == 0.9);
    assert_true(negotiate_quality("application/json;q=0.1, text/csv;q=0.9",
                                  "application/json") == 0.1);
    assert_true(negotiate_quality("TEXT/CSV", "text/csv") == 1.0);
    assert_true(negotiate_quality("image/png", "text/csv") == -1.0);
    assert_true(negotiate_quality("text/csv;q=0", "text/csv") == 0.0);
}

static void quality_comes_from_the_most_specific_range(void **state)
{
    (void)state;
    const char *accept = "*/*;q=0.1, text/*;q=0.5, text/csv;q=0.8";
    assert_true(negotiate_quality(accept, "text/csv") == 0.8);
    assert_true(negotiate_quality(accept, "text/html") == 0.5);
    assert_true(negotiate_quality(accept, "image/png") == 0.1);
    /* A refusal of every text type loses to the exact range for text/csv. */
    assert_true(negotiate_quality("text/*;q=0, text/csv", "text/csv") == 1.0);
    assert_true(negotiate_quality("text/*;q=0, text/csv", "text/plain") == 0.0);
}

/* Accept-Encoding (RFC 9110 §12.5.3). */
static enum coding chosen_coding(const char *accept_encoding)
{
    enum coding coding = CODING_COUNT;
    assert_true(negotiate_coding(accept_encoding, &coding));
    return coding;
}

static void codings_follow_q_values(void **state)
{
    (void)state;
    assert_int_equal(chosen_coding(NULL), CODING_IDENTITY);
    assert_int_equal(chosen_coding(""), CODING_IDENTITY);
    assert_int_equal(chosen_coding("gzip"), CODING_GZIP);
    assert_int_equal(chosen_coding("GZIP"), CODING_GZIP);
    assert_int_equal(chosen_coding("x-gzip"), CODING_GZIP);
    assert_int_equal(chosen_coding("deflate"), CODING_DEFLATE);
    assert_int_equal(chosen_coding("zstd"), CODING_ZSTD);
    assert_int_equal(chosen_coding("gzip;q=0.5, br;q=0.4"), CODING_GZIP);
    assert_int_equal(chosen_coding("gzip;q=0.5, br;q=0.9"), CODING_BR);
    /* Equal q: br, zstd, gzip, deflate, identity. */
    assert_int_equal(chosen_coding("gzip, deflate, br, zstd"), CODING_BR);
    assert_int_equal(chosen_coding("deflate, gzip"), CODING_GZIP);
    assert_int_equal(chosen_coding("gzip, identity"), CODING_GZIP);
    assert_int_equal(chosen_coding("*"), CODING_BR);
    assert_int_equal(chosen_coding("*, br;q=0"), CODING_ZSTD);
    /* Unknown codings are passed over; identity unnamed is the last resort. */
    assert_int_equal(chosen_coding("compress, exi"), CODING_IDENTITY);
    assert_int_equal(chosen_coding("gzip;q=0"), CODING_IDENTITY);
    assert_int_equal(chosen_coding("identity;q=0, gzip"), CODING_GZIP);
    assert_int_equal(chosen_coding("*;q=0, identity"), CODING_IDENTITY);
    assert_int_equal(chosen_coding("*;q=0, zstd;q=0.1"), CODING_ZSTD);
    /* The first entry for a coding counts. */
    assert_int_equal(chosen_coding("br;q=0, br, gzip;q=0.1"), CODING_GZIP);
}

static void nothing_acceptable_when_identity_is_excluded(void **state)
{
    (void)state;
    enum coding coding;
    assert_false(negotiate_coding("identity;q=0", &coding));
    assert_false(negotiate_coding("*;q=0", &coding));
    assert_false(negotiate_coding("identity;q=0, compress", &coding));
    assert_false(negotiate_coding("identity;q=0, gzip;q=0", &coding));
    assert_false(negotiate_coding("*;q=0.000", &coding));
}

static void coding_q_values_and_garbage(void **state)
{
    (void)state;
    assert_int_equal(negotiate_coding_quality("gzip;q=0.5", CODING_GZIP), 500);
    assert_int_equal(negotiate_coding_quality("gzip;q=0.123", CODING_GZIP), 123);
    assert_int_equal(negotiate_coding_quality("gzip ; q=0.2", CODING_GZIP), 200);
    assert_int_equal(negotiate_coding_quality("gzip", CODING_BR), 0);
    assert_int_equal(negotiate_coding_quality("gzip", CODING_IDENTITY), 1);
    assert_int_equal(negotiate_coding_quality("*;q=0.3", CODING_IDENTITY), 300);
    /* A malformed q counts as 1, as in Accept (browsers do the same). */
    assert_int_equal(negotiate_coding_quality("gzip;q=abc", CODING_GZIP), 1000);
    assert_int_equal(negotiate_coding_quality("gzip;q=2", CODING_GZIP), 1000);
    assert_int_equal(negotiate_coding_quality("gzip;q=0.12345", CODING_GZIP), 1000);
    assert_int_equal(negotiate_coding_quality("gzip;q=", CODING_GZIP), 1000);
    assert_int_equal(negotiate_coding_quality(",,;;,gzip;;q=0.4,", CODING_GZIP), 400);
    assert_int_equal(negotiate_coding_quality("gzipx, xgzip, gzi", CODING_GZIP), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(no_accept_gives_text),
        cmocka_unit_test(exact_types_are_chosen),
        cmocka_unit_test(browser_accept_gives_html),
        cmocka_unit_test(quality_values_are_honoured),
        cmocka_unit_test(more_specific_range_decides),
        cmocka_unit_test(ties_go_to_the_first_listed),
        cmocka_unit_test(nothing_acceptable_falls_back_to_text),
        cmocka_unit_test(languages_default_to_chinese_first),
        cmocka_unit_test(english_preference_puts_english_first),
        cmocka_unit_test(parameter_names_are_strict),
        cmocka_unit_test(quality_of_any_media_type),
        cmocka_unit_test(quality_comes_from_the_most_specific_range),
        cmocka_unit_test(codings_follow_q_values),
        cmocka_unit_test(nothing_acceptable_when_identity_is_excluded),
        cmocka_unit_test(coding_q_values_and_garbage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
