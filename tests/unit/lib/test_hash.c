/* FNV-1a and splitmix64 (src/lib/hash.c) against their published reference values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "hash.h"

static void fnv1a64_reference_values(void **state)
{
    (void)state;
    /* From the FNV reference test vectors. */
    assert_true(hash_fnv1a64_string("") == 0xcbf29ce484222325ULL);
    assert_true(hash_fnv1a64_string("a") == 0xaf63dc4c8601ec8cULL);
    assert_true(hash_fnv1a64_string("foobar") == 0x85944171f73967e8ULL);
    assert_true(hash_fnv1a64(HASH_FNV1A64_OFFSET, "foobar", 6) == 0x85944171f73967e8ULL);
    /* Chained over pieces, the same as over the whole. */
    uint64_t h = hash_fnv1a64(HASH_FNV1A64_OFFSET, "foo", 3);
    assert_true(hash_fnv1a64(h, "bar", 3) == 0x85944171f73967e8ULL);
}

static void splitmix64_reference_values(void **state)
{
    (void)state;
    /* The first outputs for seed 0 of the reference implementation (Vigna's splitmix64.c). */
    uint64_t s = 0;
    assert_true(hash_splitmix64(&s) == 0xe220a8397b1dcdafULL);
    assert_true(hash_splitmix64(&s) == 0x6e789e6aa1b965f4ULL);
    assert_true(hash_splitmix64(&s) == 0x06c45d188009454fULL);
}

static void unit_interval_bounds(void **state)
{
    (void)state;
    assert_true(hash_unit_interval(0) == 0.0);
    double top = hash_unit_interval(UINT64_MAX);
    assert_true(top < 1.0 && top > 0.9999999);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fnv1a64_reference_values),
        cmocka_unit_test(splitmix64_reference_values),
        cmocka_unit_test(unit_interval_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
