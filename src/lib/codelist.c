#include "codelist.h"

#include "hash.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* "403" or "403.4": exactly three digits, then optionally a dot and 1-3 digits. ".0" is the
 * code itself, as IIS writes it ("404.0" in its logs and documentation).
 *
 * "500-13" is the same as "500.13": IIS documentation of old, and the seed documents, spell
 * sub-statuses with a dash. A dash can also mean a range of codes ("500-504"), so it is a
 * sub-status only when what follows could not be the end of a range: fewer than three digits
 * or a number below the first code. Whether the sub-status exists is the catalogue's call
 * (status.c), as for a dot. Three digits no lower than the first code end a range. */
static enum codelist_error parse_code(const char *s, size_t n, struct code_choice *choice)
{
    if (n < 3 || !is_digit(s[0]) || !is_digit(s[1]) || !is_digit(s[2]))
        return CODELIST_SYNTAX;
    choice->code = (unsigned)((s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0'));
    choice->sub = 0;
    choice->last = choice->code;
    if (n > 3) {
        if ((s[3] != '.' && s[3] != '-') || n == 4 || n > 7)
            return CODELIST_SYNTAX;
        bool leading_zero = n > 5 && s[4] == '0';
        for (size_t i = 4; i < n; i++) {
            if (!is_digit(s[i]))
                return CODELIST_SYNTAX;
            choice->sub = choice->sub * 10 + (unsigned)(s[i] - '0');
        }
        if (leading_zero || (s[3] == '-' && choice->sub == 0))
            return CODELIST_SYNTAX;
        if (s[3] == '-' && choice->sub >= choice->code) {
            if (n != 7)
                return CODELIST_SYNTAX;
            choice->last = choice->sub; /* a range: 500-504 */
            choice->sub = 0;
        }
    }
    if (choice->code < 100)
        return CODELIST_RANGE;
    return CODELIST_OK;
}

/* A decimal "12" or "0.5": digits, optionally a dot and digits. No sign, exponent or hex,
 * which strtod would accept. */
static bool parse_weight(const char *s, size_t n, double *weight)
{
    size_t digits = 0, dots = 0;
    for (size_t i = 0; i < n; i++) {
        if (is_digit(s[i]))
            digits++;
        else if (s[i] == '.' && dots == 0 && i > 0)
            dots++;
        else
            return false;
    }
    if (digits == 0 || n > 16 || s[n - 1] == '.')
        return false;
    char copy[17];
    memcpy(copy, s, n);
    copy[n] = '\0';
    *weight = strtod(copy, NULL);
    return *weight <= 1e9;
}

enum codelist_error codelist_parse(const char *spec, struct code_list *list, size_t *bad_item)
{
    list->count = 0;
    *bad_item = 0;
    bool any_weight = false;
    const char *p = spec;
    for (;;) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        *bad_item = list->count;
        if (list->count == CODELIST_MAX)
            return CODELIST_TOO_MANY;
        struct code_choice *choice = &list->items[list->count];
        const char *colon = memchr(p, ':', n);
        size_t code_length = colon ? (size_t)(colon - p) : n;
        enum codelist_error error = parse_code(p, code_length, choice);
        if (error != CODELIST_OK)
            return error;
        choice->weight = 1;
        if (colon) {
            if (!parse_weight(colon + 1, n - code_length - 1, &choice->weight))
                return CODELIST_WEIGHT;
            if (choice->weight > 0)
                any_weight = true;
        } else {
            any_weight = true;
        }
        list->count++;
        if (!end)
            break;
        p = end + 1;
    }
    return any_weight ? CODELIST_OK : CODELIST_ZERO_WEIGHTS;
}

/* How many codes an item stands for: 5 for 500-504, 1 for 404. */
static unsigned span(const struct code_choice *item)
{
    return item->last - item->code + 1;
}

struct code_choice codelist_pick(const struct code_list *list, double random)
{
    double total = 0;
    for (size_t i = 0; i < list->count; i++)
        total += list->items[i].weight * span(&list->items[i]);
    double target = random * total;
    const struct code_choice *last_weighted = NULL;
    bool inside = false;
    for (size_t i = 0; i < list->count && !inside; i++) {
        const struct code_choice *item = &list->items[i];
        if (item->weight <= 0)
            continue;
        last_weighted = item;
        double share = item->weight * span(item);
        inside = target < share;
        if (!inside)
            target -= share;
    }
    /* Rounding can leave target a hair above the last share: the last code of the last
     * weighted item then. The parser guarantees one item has weight. */
    struct code_choice picked = *last_weighted;
    double position = inside ? target / picked.weight : span(&picked);
    unsigned offset = position >= span(&picked) ? span(&picked) - 1 : (unsigned)position;
    picked.code += offset;
    picked.last = picked.code;
    return picked;
}

double codelist_seeded_random(const char *spec, uint64_t seed)
{
    uint64_t state = hash_fnv1a64_string(spec) ^ seed;
    hash_splitmix64(&state);
    return hash_unit_interval(hash_splitmix64(&state));
}

double codelist_random(void)
{
    static _Thread_local uint64_t state;
    if (state == 0) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        state = (uint64_t)now.tv_nsec ^ ((uint64_t)now.tv_sec << 32) ^
                (uint64_t)(uintptr_t)&state;
    }
    return hash_unit_interval(hash_splitmix64(&state));
}
