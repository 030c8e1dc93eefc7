/* The Range header (src/lib/range.c) against a representation whose length the first byte picks.
 * Ranges that come back are inside the representation and never inverted. */
#include "fuzz.h"

#include "range.h"

#include <strings.h>

/* Small lengths, where clipping happens, and the largest ones, where arithmetic overflows. */
static uint64_t length_from(uint8_t selector)
{
    if (selector < 0xF0)
        return selector;
    return UINT64_MAX - (uint64_t)(0xFF - selector);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint64_t length = length_from(data[0]);
    char *header = fuzz_string(data + 1, size - 1);
    /* Exactly RANGE_MAX slots on the heap: writing one more is an ASan report. */
    struct byte_range *ranges = malloc(RANGE_MAX * sizeof *ranges);
    FUZZ_ASSERT(ranges != NULL);
    size_t count = SIZE_MAX;
    enum range_result result = range_parse(header, length, ranges, &count);
    switch (result) {
    case RANGE_IGNORED:
        /* Ranges read before the malformed one may be left in count; callers look at the
         * result first (range.h promises nothing more), but never more than fit. */
        FUZZ_ASSERT(count <= RANGE_MAX);
        break;
    case RANGE_UNSATISFIABLE:
        FUZZ_ASSERT(count == 0);
        break;
    case RANGE_SATISFIABLE:
        FUZZ_ASSERT(count >= 1 && count <= RANGE_MAX);
        FUZZ_ASSERT(length > 0);
        for (size_t i = 0; i < count; i++) {
            FUZZ_ASSERT(ranges[i].first <= ranges[i].last);
            FUZZ_ASSERT(ranges[i].last < length);
        }
        break;
    default:
        FUZZ_ASSERT(!"range_parse returned no enum range_result value");
    }
    /* Another unit, or no unit at all, is never parsed as bytes. */
    if (strncasecmp(header, "bytes=", 6) != 0)
        FUZZ_ASSERT(result == RANGE_IGNORED);
    /* An empty representation has no byte a range could overlap. */
    if (length == 0)
        FUZZ_ASSERT(result != RANGE_SATISFIABLE);
    free(ranges);
    free(header);
    return 0;
}
