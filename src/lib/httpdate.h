/* HTTP dates (RFC 9110 §5.6.7), locale-free and independent of the TZ variable.
 *
 * http_date_format writes the preferred IMF-fixdate form, "Sun, 06 Nov 1994 08:49:37 GMT"
 * (29 characters and a NUL: HTTP_DATE_SIZE bytes). It never fails: a time gmtime_r cannot
 * represent is written as the epoch.
 *
 * http_date_parse accepts the three forms a recipient must accept (IMF-fixdate, the obsolete
 * RFC 850 and asctime forms), exactly as the grammar spells them (case-sensitive, no
 * surrounding whitespace). It returns false, leaving *when untouched, for anything else,
 * including NULL and impossible dates (31 Feb). A two-digit RFC 850 year is read as the
 * RFC requires: more than 50 years ahead of now means the century before. */
#ifndef STATUSD_HTTPDATE_H
#define STATUSD_HTTPDATE_H

#include <stdbool.h>
#include <time.h>

#define HTTP_DATE_SIZE 30

void http_date_format(time_t when, char out[HTTP_DATE_SIZE]);
bool http_date_parse(const char *text, time_t *when);

#endif
