/* The {code} part of /status/{code}: lists, weights, sub-statuses, seeded picks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "codelist.h"

#include <string.h>

static enum codelist_error parse(const char *spec, struct code_list *list)
{
    size_t bad;
    return codelist_parse(spec, list, &bad);
}

static void single_code_parses(void **state)
{
    (void)state;
    struct code_list list;
    assert_int_equal(parse("404", &list), CODELIST_OK);
    assert_int_equal(list.count, 1);
    assert_int_equal(list.items[0].code, 404);
    assert_int_equal(list.items[0].sub, 0);
}

static void sub_status_parses(void **state)
{
    (void)state;
    struct code_list list;
    assert_int_equal(parse("403.4", &list), CODELIST_OK);
    assert_int_equal(list.items[0].code, 403);
    assert_int_equal(list.items[0].sub, 4);
    assert_int_equal(parse("500.100", &list), CODELIST_OK);
    assert_int_equal(list.items[0].sub, 100);
}

static void dot_zero_is_the_code_itself(void **state)
{
    (void)state;
    struct code_list list;
    assert_int_equal(parse("404.0", &list), CODELIST_OK);
    assert_int_equal(list.items[0].code, 404);
    assert_int_equal(list.items[0].sub, 0);
    assert_int_equal(parse("404.00", &list), CODELIST_SYNTAX);
    assert_int_equal(parse("403.04", &list), CODELIST_SYNTAX);
}

/* The seed documents write 500-13; a dash followed by a code no lower than the first is a
 * range (issue 14), never a sub-status. */
static void dash_sub_status_parses_only_where_no_range_could_be_meant(void **state)
{
    (void)state;
    struct code_list list;
    assert_int_equal(parse("500-13", &list), CODELIST_OK);
    assert_int_equal(list.items[0].code, 500);
    assert_int_equal(list.items[0].sub, 13);
    assert_int_equal(parse("500-100,200", &list), CODELIST_OK);
    assert_int_equal(list.items[0].sub, 100);
    assert_int_equal(list.items[1].code, 200);
    assert_int_equal(parse("403-4:3", &list), CODELIST_OK);
    assert_int_equal(list.items[0].sub, 4);
    const char *not_sub[] = { "500-0", "500-", "500-1000", "500-013", "500-1-2", "500-504.1",
                              "500-5040" };
    for (size_t i = 0; i < sizeof not_sub / sizeof not_sub[0]; i++)
        assert_int_equal(parse(not_sub[i], &list), CODELIST_SYNTAX);
}

/* Issue 14: 500-504 is the codes 500 to 504, one item however long, picked uniformly. */
static void ranges_parse_as_one_item(void **state)
{
    (void)state;
    struct code_list list;
    assert_int_equal(parse("500-504", &list), CODELIST_OK);
    assert_int_equal(list.count, 1);
    assert_int_equal(list.items[0].code, 500);
    assert_int_equal(list.items[0].last, 504);
    assert_int_equal(list.items[0].sub, 0);
    assert_int_equal(parse("500-500", &list), CODELIST_OK);
    assert_int_equal(list.items[0].last, 500);
    assert_int_equal(parse("100-999", &list), CODELIST_OK);
    assert_int_equal(list.items[0].last, 999);
    assert_int_equal(parse("200,500-504:3", &list), CODELIST_OK);
    assert_int_equal(list.count, 2);
    assert_int_equal(list.items[0].last, 200);
    assert_int_equal(list.items[1].code, 500);
    assert_int_equal(list.items[1].last, 504);
    assert_true(list.items[1].weight == 3.0);
    /* Below 100 at either end, or past 999, is no range. */
    assert_int_equal(parse("099-200", &list), CODELIST_RANGE);
    assert_int_equal(parse("500-1000", &list), CODELIST_SYNTAX);
}

static void ranges_pick_every_code_uniformly(void **state)
{
    (void)state;
    struct code_list list;
    assert_int_equal(parse("500-504", &list), CODELIST_OK);
    unsigned counts[5] = { 0 };
    for (int i = 0; i < 1000; i++) {
        struct code_choice picked = codelist_pick(&list, i / 1000.0);
        assert_in_range(picked.code, 500, 504);
        assert_int_equal(picked.last, picked.code);
        counts[picked.code - 500]++;
    }
    for (int c = 0; c < 5; c++)
        assert_int_equal(counts[c], 200); /* evenly spaced numbers: exactly a fifth each */
    assert_int_equal(codelist_pick(&list, 0.999999999).code, 504);
    /* 200 weighs 1, each of 500-504 weighs 3: 200 is 1/16 of the picks. */
    assert_int_equal(parse("200,500-504:3", &list), CODELIST_OK);
    unsigned two_hundreds = 0;
    for (int i = 0; i < 1600; i++)
        two_hundreds += codelist_pick(&list, i / 1600.0).code == 200;
    assert_int_equal(two_hundreds, 100);
    assert_int_equal(codelist_pick(&list, 1.0 / 16 + 0.0001).code, 500);
}

static void malformed_codes_are_refused(void **state)
{
    (void)state;
    struct code_list list;
    const char *bad[] = { "", "20", "2000", "abc", "-200", "+200", " 200", "200 ", "20a",
                          "403.", "403.1234", "403.x", "200,", ",200", "200,,500",
                          "0x1F4" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(parse(bad[i], &list), CODELIST_SYNTAX);
}

static void codes_below_100_are_out_of_range(void **state)
{
    (void)state;
    struct code_list list;
    assert_int_equal(parse("099", &list), CODELIST_RANGE);
    assert_int_equal(parse("000", &list), CODELIST_RANGE);
    assert_int_equal(parse("999", &list), CODELIST_OK);
}

static void weighted_list_parses(void **state)
{
    (void)state;
    struct code_list list;
    assert_int_equal(parse("200:9,500:1.5,503", &list), CODELIST_OK);
    assert_int_equal(list.count, 3);
    assert_true(list.items[0].weight == 9.0);
    assert_true(list.items[1].weight == 1.5);
    assert_true(list.items[2].weight == 1.0);
}

static void bad_weights_are_refused(void **state)
{
    (void)state;
    struct code_list list;
    assert_int_equal(parse("200:-1", &list), CODELIST_WEIGHT);
    assert_int_equal(parse("200:", &list), CODELIST_WEIGHT);
    assert_int_equal(parse("200:1e3", &list), CODELIST_WEIGHT);
    assert_int_equal(parse("200:1.", &list), CODELIST_WEIGHT);
    assert_int_equal(parse("200:99999999999", &list), CODELIST_WEIGHT);
    assert_int_equal(parse("200:0,500:0", &list), CODELIST_ZERO_WEIGHTS);
}

static void long_lists_are_refused(void **state)
{
    (void)state;
    char spec[1024] = "200";
    for (int i = 1; i <= CODELIST_MAX; i++)
        strcat(spec, ",200");
    struct code_list list;
    size_t bad;
    assert_int_equal(codelist_parse(spec, &list, &bad), CODELIST_TOO_MANY);
    assert_int_equal(bad, CODELIST_MAX);
}

static void pick_follows_weights(void **state)
{
    (void)state;
    struct code_list list;
    assert_int_equal(parse("200:0,503:1", &list), CODELIST_OK);
    for (double r = 0; r < 1; r += 0.01)
        assert_int_equal(codelist_pick(&list, r).code, 503);
    assert_int_equal(parse("200:1,500:3", &list), CODELIST_OK);
    assert_int_equal(codelist_pick(&list, 0.2).code, 200);
    assert_int_equal(codelist_pick(&list, 0.3).code, 500);
    assert_int_equal(codelist_pick(&list, 0.999999).code, 500);
}

static void seeded_pick_is_a_pure_function(void **state)
{
    (void)state;
    assert_true(codelist_seeded_random("200,500", 7) == codelist_seeded_random("200,500", 7));
    assert_true(codelist_seeded_random("200,500", 7) != codelist_seeded_random("200,500", 8));
    assert_true(codelist_seeded_random("200,500", 7) != codelist_seeded_random("200,501", 7));
    /* Over many seeds both codes come up: the seed really steers the pick. */
    struct code_list list;
    assert_int_equal(parse("200,500", &list), CODELIST_OK);
    int counts[2] = { 0, 0 };
    for (uint64_t seed = 0; seed < 1000; seed++) {
        double r = codelist_seeded_random("200,500", seed);
        assert_true(r >= 0 && r < 1);
        counts[codelist_pick(&list, r).code == 500]++;
    }
    assert_in_range(counts[0], 400, 600);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(single_code_parses),
        cmocka_unit_test(sub_status_parses),
        cmocka_unit_test(dot_zero_is_the_code_itself),
        cmocka_unit_test(dash_sub_status_parses_only_where_no_range_could_be_meant),
        cmocka_unit_test(ranges_parse_as_one_item),
        cmocka_unit_test(ranges_pick_every_code_uniformly),
        cmocka_unit_test(malformed_codes_are_refused),
        cmocka_unit_test(codes_below_100_are_out_of_range),
        cmocka_unit_test(weighted_list_parses),
        cmocka_unit_test(bad_weights_are_refused),
        cmocka_unit_test(long_lists_are_refused),
        cmocka_unit_test(pick_follows_weights),
        cmocka_unit_test(seeded_pick_is_a_pure_function),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
