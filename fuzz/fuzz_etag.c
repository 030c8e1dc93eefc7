/* If-Match / If-None-Match lists (src/lib/etag.c) against a tag the first line names: a strong
 * match is always a weak match, "*" matches, and reads stay inside the value. */
#include "fuzz.h"

#include "etag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *opaque, *value;
    fuzz_split(data, size, &opaque, &value);
    if (value && etag_opaque_is_valid(opaque)) {
        size_t n = strlen(opaque);
        char *etag = malloc(n + 3);
        FUZZ_ASSERT(etag != NULL);
        etag[0] = '"';
        memcpy(etag + 1, opaque, n);
        etag[n + 1] = '"';
        etag[n + 2] = '\0';
        bool strong = etag_list_matches(value, etag, false);
        bool weak = etag_list_matches(value, etag, true);
        FUZZ_ASSERT(!strong || weak);
        /* A list naming the tag itself always matches. */
        FUZZ_ASSERT(etag_list_matches(etag, etag, false));
        FUZZ_ASSERT(etag_list_matches("*", etag, false));
        free(etag);
    } else if (value) {
        etag_list_matches(value, "\"x\"", true);
    }
    free(opaque);
    free(value);
    return 0;
}
