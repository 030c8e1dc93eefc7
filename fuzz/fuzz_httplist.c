/* Comma-separated lists (src/lib/httplist.c): every element lies inside the text, is
 * non-empty, holds no comma and no whitespace at its ends, and the elements come in order. */
#include "fuzz.h"

#include "httplist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_string(data, size);
    const char *end = text + strlen(text);
    const char *cursor = text, *previous_end = text;
    struct httplist_item item;
    size_t count = 0;
    while (httplist_next(&cursor, &item)) {
        FUZZ_ASSERT(item.length > 0);
        FUZZ_ASSERT(item.start >= previous_end && item.start + item.length <= end);
        FUZZ_ASSERT(memchr(item.start, ',', item.length) == NULL);
        FUZZ_ASSERT(item.start[0] != ' ' && item.start[0] != '\t');
        FUZZ_ASSERT(item.start[item.length - 1] != ' ' && item.start[item.length - 1] != '\t');
        previous_end = item.start + item.length;
        FUZZ_ASSERT(++count <= size);
    }
    FUZZ_ASSERT(cursor == end);
    /* A list with no empty element has as many elements as commas plus one. */
    if (!httplist_has_empty_element(text)) {
        size_t commas = 0;
        for (const char *p = text; *p; p++)
            commas += *p == ',';
        FUZZ_ASSERT(count == commas + 1);
    }
    free(text);
    return 0;
}
