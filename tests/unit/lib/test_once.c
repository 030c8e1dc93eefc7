/* Render once, share forever (src/lib/once.c), including the race: several threads asking
 * for an empty slot at once all get the one value that was stored, and every other build is
 * destroyed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "once.h"

#include <pthread.h>
#include <stdlib.h>

static atomic_int builds, destroys;

static void *build_int(void *context)
{
    atomic_fetch_add(&builds, 1);
    int *value = malloc(sizeof *value);
    if (value)
        *value = *(int *)context;
    return value;
}

static void *build_nothing(void *context)
{
    (void)context;
    atomic_fetch_add(&builds, 1);
    return NULL;
}

static void destroy_int(void *value)
{
    atomic_fetch_add(&destroys, 1);
    free(value);
}

static void builds_the_first_time_only(void **state)
{
    (void)state;
    builds = destroys = 0;
    struct once slot = { NULL };
    int seven = 7, eight = 8;
    int *first = once_get(&slot, build_int, destroy_int, &seven);
    int *second = once_get(&slot, build_int, destroy_int, &eight);
    assert_ptr_equal(first, second);
    assert_int_equal(*second, 7);
    assert_int_equal(builds, 1);
    once_clear(&slot, destroy_int);
    assert_int_equal(destroys, 1);
    assert_null(atomic_load(&slot.value));
}

static void a_failed_build_is_tried_again(void **state)
{
    (void)state;
    builds = destroys = 0;
    struct once slot = { NULL };
    assert_null(once_get(&slot, build_nothing, destroy_int, NULL));
    int nine = 9;
    int *value = once_get(&slot, build_int, destroy_int, &nine);
    assert_non_null(value);
    assert_int_equal(builds, 2);
    once_clear(&slot, destroy_int);
}

#define RACERS 8
static struct once raced;
static pthread_barrier_t start;

static void *race(void *context)
{
    pthread_barrier_wait(&start);
    return once_get(&raced, build_int, destroy_int, context);
}

static void racing_threads_share_one_value(void **state)
{
    (void)state;
    for (int round = 0; round < 50; round++) {
        builds = destroys = 0;
        atomic_store(&raced.value, NULL);
        pthread_barrier_init(&start, NULL, RACERS);
        pthread_t threads[RACERS];
        int ids[RACERS];
        for (int i = 0; i < RACERS; i++) {
            ids[i] = i;
            assert_int_equal(pthread_create(&threads[i], NULL, race, &ids[i]), 0);
        }
        void *seen[RACERS];
        for (int i = 0; i < RACERS; i++)
            pthread_join(threads[i], &seen[i]);
        for (int i = 1; i < RACERS; i++)
            assert_ptr_equal(seen[i], seen[0]);
        /* Every build but the stored one was destroyed. */
        assert_int_equal(destroys, builds - 1);
        pthread_barrier_destroy(&start);
        once_clear(&raced, destroy_int);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(builds_the_first_time_only),
        cmocka_unit_test(a_failed_build_is_tried_again),
        cmocka_unit_test(racing_threads_share_one_value),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
