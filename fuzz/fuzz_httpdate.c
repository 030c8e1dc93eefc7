/* HTTP dates (src/lib/httpdate.c): whatever parses, formats to an IMF-fixdate that parses
 * back to the same instant; anything that fails leaves the result untouched. */
#include "fuzz.h"

#include "httpdate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_string(data, size);
    time_t when = (time_t)-12345;
    if (http_date_parse(text, &when)) {
        char out[HTTP_DATE_SIZE];
        http_date_format(when, out);
        FUZZ_ASSERT(strlen(out) == HTTP_DATE_SIZE - 1);
        time_t back = (time_t)-12345;
        FUZZ_ASSERT(http_date_parse(out, &back));
        FUZZ_ASSERT(back == when);
    } else {
        FUZZ_ASSERT(when == (time_t)-12345);
    }
    free(text);
    return 0;
}
