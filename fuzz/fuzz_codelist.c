/* The {code} part of /status/{code} (src/lib/codelist.c): "404", "403.4", "200,500",
 * "200:9,500:1", "500-504", "200,500-504:3". A list that parses is one the server can always pick from. */
#include "fuzz.h"

#include "codelist.h"

#include <math.h>

static void check_item(const struct code_choice *item)
{
    FUZZ_ASSERT(item->code >= 100 && item->code <= 999);
    FUZZ_ASSERT(item->last >= item->code && item->last <= 999);
    FUZZ_ASSERT(item->sub <= 999);
    FUZZ_ASSERT(isfinite(item->weight) && item->weight >= 0 && item->weight <= 1e9);
}

/* The pick is a code of an item of the list (inside its range), one with weight, whatever
 * the random number in [0, 1). */
static void check_pick(const struct code_list *list, double random)
{
    FUZZ_ASSERT(random >= 0 && random < 1);
    struct code_choice picked = codelist_pick(list, random);
    FUZZ_ASSERT(picked.last == picked.code);
    bool found = false;
    for (size_t i = 0; i < list->count && !found; i++)
        found = list->items[i].weight > 0 && list->items[i].sub == picked.sub &&
                picked.code >= list->items[i].code && picked.code <= list->items[i].last;
    FUZZ_ASSERT(found);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *spec = fuzz_string(data, size);
    struct code_list *list = malloc(sizeof *list);
    FUZZ_ASSERT(list != NULL);
    size_t bad_item = SIZE_MAX;
    enum codelist_error error = codelist_parse(spec, list, &bad_item);
    FUZZ_ASSERT(error >= CODELIST_OK && error <= CODELIST_ZERO_WEIGHTS);
    FUZZ_ASSERT(list->count <= CODELIST_MAX);
    if (error == CODELIST_OK) {
        FUZZ_ASSERT(list->count >= 1);
        bool any_weight = false;
        for (size_t i = 0; i < list->count; i++) {
            check_item(&list->items[i]);
            any_weight = any_weight || list->items[i].weight > 0;
        }
        FUZZ_ASSERT(any_weight);
        check_pick(list, 0.0);
        check_pick(list, 0.5);
        check_pick(list, nextafter(1.0, 0.0)); /* the largest random number there is */
        for (uint64_t seed = 0; seed < 4; seed++)
            check_pick(list, codelist_seeded_random(spec, seed));
        /* ?seed= promises a pure function of (list, seed). */
        FUZZ_ASSERT(codelist_seeded_random(spec, size) == codelist_seeded_random(spec, size));
    } else {
        /* The 400 names the offending item: one that exists in the spec. */
        FUZZ_ASSERT(bad_item <= list->count && bad_item <= CODELIST_MAX);
    }
    free(list);
    free(spec);
    return 0;
}
