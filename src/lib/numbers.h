/* Strict number parsing for flags and query parameters: digits only, no sign, no spaces, no
 * hex or exponent (strtoul would take " +0x1f"), overflow refused. */
#ifndef STATUSD_NUMBERS_H
#define STATUSD_NUMBERS_H

#include <stdbool.h>
#include <stdint.h>

/* "123" → 123, if it is no more than max. */
bool parse_uint(const char *text, uint64_t max, uint64_t *value);

/* Seconds with up to three decimals, "1.5" → 1500 milliseconds, if no more than max_ms.
 * More decimals are refused rather than silently rounded. */
bool parse_seconds_ms(const char *text, uint64_t max_ms, uint64_t *ms);

#endif
