/* Strict numbers (src/lib/numbers.c), checked against a reference that computes in 128 bits and
 * so cannot overflow. The input is "text" or "text\nmax": max is the limit in decimal (the
 * largest uint64_t when absent or unreadable). parse_uint and parse_seconds_ms must accept
 * exactly what the reference accepts, with the same value. */
#include "fuzz.h"

#include "numbers.h"

typedef unsigned __int128 wide;

/* Past every uint64_t, so saturating here keeps comparisons with a limit exact. */
#define WIDE_CAP ((wide)1 << 80)

static wide wide_digits(const char *p, size_t n)
{
    wide v = 0;
    for (size_t i = 0; i < n; i++) {
        v = v * 10 + (wide)(p[i] - '0');
        if (v > WIDE_CAP)
            v = WIDE_CAP;
    }
    return v;
}

static uint64_t limit_from(const char *text)
{
    size_t n = text ? strlen(text) : 0;
    if (n == 0 || strspn(text, "0123456789") != n)
        return UINT64_MAX;
    wide v = wide_digits(text, n);
    return v > UINT64_MAX ? UINT64_MAX : (uint64_t)v;
}

/* digits only, at least one */
static bool reference_uint(const char *text, uint64_t max, uint64_t *value)
{
    size_t n = strlen(text);
    if (n == 0 || strspn(text, "0123456789") != n)
        return false;
    wide v = wide_digits(text, n);
    if (v > max)
        return false;
    *value = (uint64_t)v;
    return true;
}

/* digits, then optionally '.' and one to three digits */
static bool reference_seconds_ms(const char *text, uint64_t max_ms, uint64_t *ms)
{
    size_t whole_digits = strspn(text, "0123456789");
    if (whole_digits == 0)
        return false;
    const char *rest = text + whole_digits;
    size_t decimals = 0;
    if (*rest == '.') {
        decimals = strspn(rest + 1, "0123456789");
        if (decimals == 0 || decimals > 3)
            return false;
        rest += 1 + decimals;
    }
    if (*rest)
        return false;
    wide fraction = wide_digits(text + whole_digits + 1, decimals);
    for (size_t d = decimals; d < 3; d++)
        fraction *= 10;
    wide total = wide_digits(text, whole_digits) * 1000 + fraction;
    if (total > max_ms)
        return false;
    *ms = (uint64_t)total;
    return true;
}

static void check_uint(const char *text, uint64_t max)
{
    uint64_t got = 0, expected = 0;
    bool accepted = parse_uint(text, max, &got);
    bool should_accept = reference_uint(text, max, &expected);
    if (accepted != should_accept)
        fprintf(stderr, "parse_uint(\"%s\", %llu): %d, expected %d\n", text,
                (unsigned long long)max, accepted, should_accept);
    FUZZ_ASSERT(accepted == should_accept);
    if (accepted) {
        FUZZ_ASSERT(got == expected);
        FUZZ_ASSERT(got <= max);
    }
}

static void check_seconds_ms(const char *text, uint64_t max_ms)
{
    uint64_t got = 0, expected = 0;
    bool accepted = parse_seconds_ms(text, max_ms, &got);
    bool should_accept = reference_seconds_ms(text, max_ms, &expected);
    if (accepted != should_accept || (accepted && got != expected))
        fprintf(stderr, "parse_seconds_ms(\"%s\", %llu): %d (%llu), expected %d (%llu)\n", text,
                (unsigned long long)max_ms, accepted, (unsigned long long)got, should_accept,
                (unsigned long long)expected);
    FUZZ_ASSERT(accepted == should_accept);
    if (accepted) {
        FUZZ_ASSERT(got == expected);
        FUZZ_ASSERT(got <= max_ms);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text, *max_text;
    fuzz_split(data, size, &text, &max_text);
    uint64_t max = limit_from(max_text);
    check_uint(text, max);
    check_seconds_ms(text, max);
    /* The limits the server really uses (SPEC: 999 for codes, a year for retry_after, 120 s
     * of delay) sit where an off-by-one would show. */
    check_uint(text, 999);
    check_uint(text, 31536000);
    check_seconds_ms(text, 120000);
    free(text);
    free(max_text);
    return 0;
}
