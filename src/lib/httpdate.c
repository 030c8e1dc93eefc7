/* HTTP dates: see httpdate.h for the contract. */
#include "httpdate.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static const char *const day_names[7] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char *const long_day_names[7] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                              "Thursday", "Friday", "Saturday"};
static const char *const month_names[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* Spelled out rather than with strftime, whose %a and %b follow the locale. */
void http_date_format(time_t when, char out[HTTP_DATE_SIZE])
{
    struct tm utc;
    if (!gmtime_r(&when, &utc)) {
        snprintf(out, HTTP_DATE_SIZE, "Thu, 01 Jan 1970 00:00:00 GMT");
        return;
    }
    snprintf(out, HTTP_DATE_SIZE, "%s, %02d %s %04d %02d:%02d:%02d GMT", day_names[utc.tm_wday % 7],
             utc.tm_mday % 100, month_names[utc.tm_mon % 12], (utc.tm_year + 1900) % 10000,
             utc.tm_hour % 100, utc.tm_min % 100, utc.tm_sec % 100);
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil), so
 * parsing depends on neither the TZ variable nor timegm. */
static int64_t days_from_civil(int64_t year, unsigned month, unsigned day)
{
    year -= month <= 2;
    int64_t era = (year >= 0 ? year : year - 399) / 400;
    unsigned year_of_era = (unsigned)(year - era * 400);
    unsigned day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
    unsigned day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + (int64_t)day_of_era - 719468;
}

static bool is_leap_year(int year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static bool parse_digits(const char **p, int count, int *value)
{
    int v = 0;
    for (int i = 0; i < count; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (c - '0');
    }
    *value = v;
    *p += count;
    return true;
}

static bool parse_literal(const char **p, const char *literal)
{
    size_t n = strlen(literal);
    if (strncmp(*p, literal, n) != 0)
        return false;
    *p += n;
    return true;
}

/* One of names (case-sensitive: RFC 9110 §5.6.7 says the formats are). */
static bool parse_name(const char **p, const char *const *names, int count, int *index)
{
    for (int i = 0; i < count; i++)
        if (parse_literal(p, names[i])) {
            *index = i;
            return true;
        }
    return false;
}

struct date_parts {
    int year, month, day, hour, minute, second; /* month 1-12 */
};

static bool parse_time_of_day(const char **p, struct date_parts *d)
{
    return parse_digits(p, 2, &d->hour) && parse_literal(p, ":") &&
           parse_digits(p, 2, &d->minute) && parse_literal(p, ":") &&
           parse_digits(p, 2, &d->second);
}

static bool parse_month(const char **p, struct date_parts *d)
{
    int index;
    if (!parse_name(p, month_names, 12, &index))
        return false;
    d->month = index + 1;
    return true;
}

/* "Sun, 06 Nov 1994 08:49:37 GMT" */
static bool parse_imf_fixdate(const char *p, struct date_parts *d)
{
    int weekday;
    return parse_name(&p, day_names, 7, &weekday) && parse_literal(&p, ", ") &&
           parse_digits(&p, 2, &d->day) && parse_literal(&p, " ") && parse_month(&p, d) &&
           parse_literal(&p, " ") && parse_digits(&p, 4, &d->year) && parse_literal(&p, " ") &&
           parse_time_of_day(&p, d) && parse_literal(&p, " GMT") && *p == '\0';
}

/* "Sunday, 06-Nov-94 08:49:37 GMT" (obsolete RFC 850 form). */
static bool parse_rfc850_date(const char *p, struct date_parts *d, time_t now)
{
    int weekday, two_digit_year;
    if (!(parse_name(&p, long_day_names, 7, &weekday) && parse_literal(&p, ", ") &&
          parse_digits(&p, 2, &d->day) && parse_literal(&p, "-") && parse_month(&p, d) &&
          parse_literal(&p, "-") && parse_digits(&p, 2, &two_digit_year) &&
          parse_literal(&p, " ") && parse_time_of_day(&p, d) && parse_literal(&p, " GMT") &&
          *p == '\0'))
        return false;
    /* RFC 9110 §5.6.7: a year more than 50 years ahead is the most recent past one with the
     * same last two digits. */
    struct tm utc;
    int current_year = gmtime_r(&now, &utc) ? utc.tm_year + 1900 : 2000;
    d->year = current_year / 100 * 100 + two_digit_year;
    if (d->year > current_year + 50)
        d->year -= 100;
    return true;
}

/* "Sun Nov  6 08:49:37 1994" (obsolete asctime form). */
static bool parse_asctime_date(const char *p, struct date_parts *d)
{
    int weekday;
    if (!(parse_name(&p, day_names, 7, &weekday) && parse_literal(&p, " ") && parse_month(&p, d) &&
          parse_literal(&p, " ")))
        return false;
    if (*p == ' ') {
        p++;
        if (!parse_digits(&p, 1, &d->day))
            return false;
    } else if (!parse_digits(&p, 2, &d->day)) {
        return false;
    }
    return parse_literal(&p, " ") && parse_time_of_day(&p, d) && parse_literal(&p, " ") &&
           parse_digits(&p, 4, &d->year) && *p == '\0';
}

static bool date_parts_valid(const struct date_parts *d)
{
    static const int month_days[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (d->month < 1 || d->month > 12 || d->day < 1 || d->day > month_days[d->month - 1])
        return false;
    if (d->month == 2 && d->day == 29 && !is_leap_year(d->year))
        return false;
    /* 60 is a leap second, which the grammar admits. */
    return d->hour <= 23 && d->minute <= 59 && d->second <= 60;
}

/* Any of the three forms a recipient must accept (RFC 9110 §5.6.7). */
bool http_date_parse(const char *text, time_t *when)
{
    struct date_parts d = {0};
    if (!text)
        return false;
    if (!parse_imf_fixdate(text, &d) && !parse_rfc850_date(text, &d, time(NULL)) &&
        !parse_asctime_date(text, &d))
        return false;
    if (!date_parts_valid(&d))
        return false;
    int64_t days = days_from_civil(d.year, (unsigned)d.month, (unsigned)d.day);
    *when = (time_t)(days * 86400 + d.hour * 3600 + d.minute * 60 + d.second);
    return true;
}
