/* The Range header against a representation of known length. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "range.h"

#include <stdio.h>
#include <string.h>

static enum range_result parse(const char *header, uint64_t length, struct byte_range *ranges,
                               size_t *count)
{
    return range_parse(header, length, ranges, count);
}

static void single_ranges(void **state)
{
    (void)state;
    struct byte_range r[RANGE_MAX];
    size_t n;
    assert_int_equal(parse("bytes=0-9", 100, r, &n), RANGE_SATISFIABLE);
    assert_int_equal(n, 1);
    assert_int_equal(r[0].first, 0);
    assert_int_equal(r[0].last, 9);
    assert_int_equal(parse("bytes=90-", 100, r, &n), RANGE_SATISFIABLE);
    assert_int_equal(r[0].last, 99);
    assert_int_equal(parse("bytes=-10", 100, r, &n), RANGE_SATISFIABLE);
    assert_int_equal(r[0].first, 90);
    assert_int_equal(parse("bytes=50-5000", 100, r, &n), RANGE_SATISFIABLE);
    assert_int_equal(r[0].last, 99); /* clipped */
    assert_int_equal(parse("bytes=-500", 100, r, &n), RANGE_SATISFIABLE);
    assert_int_equal(r[0].first, 0);
}

static void several_ranges(void **state)
{
    (void)state;
    struct byte_range r[RANGE_MAX];
    size_t n;
    assert_int_equal(parse("bytes=0-1, 5-6 ,-1", 10, r, &n), RANGE_SATISFIABLE);
    assert_int_equal(n, 3);
    assert_int_equal(r[2].first, 9);
    /* The unsatisfiable one is dropped, the others kept. */
    assert_int_equal(parse("bytes=200-300,0-0", 10, r, &n), RANGE_SATISFIABLE);
    assert_int_equal(n, 1);
}

static void unsatisfiable_ranges(void **state)
{
    (void)state;
    struct byte_range r[RANGE_MAX];
    size_t n;
    assert_int_equal(parse("bytes=100-", 100, r, &n), RANGE_UNSATISFIABLE);
    assert_int_equal(parse("bytes=-0", 100, r, &n), RANGE_UNSATISFIABLE);
    assert_int_equal(parse("bytes=0-", 0, r, &n), RANGE_UNSATISFIABLE);
}

static void malformed_ranges_are_ignored(void **state)
{
    (void)state;
    struct byte_range r[RANGE_MAX];
    size_t n;
    const char *bad[] = { NULL, "", "bytes", "items=0-1", "bytes=", "bytes=-", "bytes=5-1",
                          "bytes=a-b", "bytes=0-1;", "bytes=99999999999999999999-",
                          "bytes=0-1,,2-3", "bytes=1-2 3" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(parse(bad[i], 100, r, &n), RANGE_IGNORED);
}

static void too_many_ranges_are_ignored(void **state)
{
    (void)state;
    struct byte_range r[RANGE_MAX];
    size_t n;
    char header[512] = "bytes=0-0";
    for (int i = 1; i <= RANGE_MAX; i++)
        snprintf(header + strlen(header), sizeof header - strlen(header), ",%d-%d", i, i);
    assert_int_equal(parse(header, 100, r, &n), RANGE_IGNORED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(single_ranges),
        cmocka_unit_test(several_ranges),
        cmocka_unit_test(unsatisfiable_ranges),
        cmocka_unit_test(malformed_ranges_are_ignored),
        cmocka_unit_test(too_many_ranges_are_ignored),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
